//! A Sigma condition (`selection and not 1 of filter_*`) as a tree over the
//! rule's searches. Loosest first: `or`, `and`, `not`, `x of`, parentheses.

/// A condition over searches (by their index in the rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Search(usize),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

impl Cond {
    /// Evaluates with `search(i)` telling whether search `i` holds; stops as
    /// soon as the answer is known.
    pub fn eval(&self, search: &mut impl FnMut(usize) -> bool) -> bool {
        match self {
            Cond::Search(i) => search(*i),
            Cond::Not(c) => !c.eval(search),
            Cond::And(cs) => cs.iter().all(|c| c.eval(search)),
            Cond::Or(cs) => cs.iter().any(|c| c.eval(search)),
        }
    }

    /// For indexing: things of which at least one holds whenever the
    /// condition holds, given such things for each search (`search(i)`;
    /// None: nothing known). Of a conjunction, the shortest list of a
    /// member; of a disjunction, every member's together; nothing under `not`.
    pub fn needs<T>(&self, search: &impl Fn(usize) -> Option<Vec<T>>) -> Option<Vec<T>> {
        match self {
            Cond::Search(i) => search(*i),
            Cond::Not(_) => None,
            Cond::And(cs) => cs.iter().filter_map(|c| c.needs(search)).min_by_key(Vec::len),
            Cond::Or(cs) => {
                let mut all = Vec::new();
                for c in cs {
                    all.extend(c.needs(search)?);
                }
                Some(all)
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Word(String),
    Open,
    Close,
}

fn tokens(s: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in s.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !word.is_empty() {
                out.push(Tok::Word(std::mem::take(&mut word)));
            }
            match c {
                '(' => out.push(Tok::Open),
                ')' => out.push(Tok::Close),
                _ => {}
            }
        } else {
            word.push(c);
        }
    }
    if !word.is_empty() {
        out.push(Tok::Word(word));
    }
    out
}

/// Whether a search name matches a pattern with `*` wildcards.
fn name_matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || !name[first.len()..].ends_with(last) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for p in &parts[1..parts.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

struct P<'a> {
    toks: Vec<Tok>,
    at: usize,
    names: &'a [&'a str],
    depth: usize,
}

/// Conditions nested deeper than this are refused.
const MAX_DEPTH: usize = 64;

impl P<'_> {
    fn peek_word(&self) -> Option<&str> {
        match self.toks.get(self.at) {
            Some(Tok::Word(w)) => Some(w),
            _ => None,
        }
    }

    fn or(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.and()?];
        while self.peek_word() == Some("or") {
            self.at += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 { items.pop().expect("one") } else { Cond::Or(items) })
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut items = vec![self.not()?];
        while self.peek_word() == Some("and") {
            self.at += 1;
            items.push(self.not()?);
        }
        Ok(if items.len() == 1 { items.pop().expect("one") } else { Cond::And(items) })
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.peek_word() == Some("not") {
            self.at += 1;
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err("the condition is nested too deep".into());
            }
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.atom()
    }

    fn atom(&mut self) -> Result<Cond, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("the condition is nested too deep".into());
        }
        let tok = self.toks.get(self.at).cloned().ok_or("the condition ends early")?;
        self.at += 1;
        let out = match tok {
            Tok::Open => {
                let c = self.or()?;
                if self.toks.get(self.at) != Some(&Tok::Close) {
                    return Err("a parenthesis is never closed".into());
                }
                self.at += 1;
                c
            }
            Tok::Close => return Err("a closing parenthesis too many".into()),
            Tok::Word(w) if w == "1" || w == "any" || w == "all" => {
                if self.peek_word() != Some("of") {
                    return Err(format!("{w} must be followed by 'of'"));
                }
                self.at += 1;
                let target = self.peek_word().ok_or("'of' needs a search name, a pattern or 'them'")?.to_string();
                self.at += 1;
                let hits: Vec<Cond> = self
                    .names
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| if target == "them" { !n.starts_with('_') } else { name_matches(&target, n) })
                    .map(|(i, _)| Cond::Search(i))
                    .collect();
                if hits.is_empty() {
                    return Err(format!("no search matches {target}"));
                }
                if w == "all" { Cond::And(hits) } else { Cond::Or(hits) }
            }
            Tok::Word(w) => {
                let i = self
                    .names
                    .iter()
                    .position(|n| *n == w)
                    .ok_or_else(|| format!("the condition names {w}, which is not a search"))?;
                Cond::Search(i)
            }
        };
        self.depth -= 1;
        Ok(out)
    }
}

/// Parses `text` over the searches `names`.
pub fn parse(text: &str, names: &[&str]) -> Result<Cond, String> {
    if text.contains('|') {
        return Err("aggregations in the condition (|) are Sigma 1 and not supported".into());
    }
    let mut p = P { toks: tokens(text), at: 0, names, depth: 0 };
    if p.toks.is_empty() {
        return Err("an empty condition".into());
    }
    let c = p.or()?;
    if p.at < p.toks.len() {
        return Err(format!("unexpected {:?} in the condition", p.toks[p.at]));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAMES: [&str; 5] = ["selection", "filter_a", "filter_b", "_hidden", "error_code"];

    fn truth(cond: &str, holds: &[usize]) -> bool {
        parse(cond, &NAMES).unwrap().eval(&mut |i| holds.contains(&i))
    }

    #[test]
    fn grammar_and_precedence() {
        assert!(truth("selection and not (filter_a or filter_b)", &[0]));
        assert!(!truth("selection and not (filter_a or filter_b)", &[0, 2]));
        assert!(truth("selection and not 1 of filter_*", &[0]));
        assert!(!truth("selection and not 1 of filter_*", &[0, 1]));
        assert!(truth("all of filter_*", &[1, 2]) && !truth("all of filter_*", &[1]));
        assert!(truth("1 of them", &[4]) && !truth("1 of them", &[3]), "them leaves out _ names");
        assert!(truth("not selection or filter_a and filter_b", &[1, 2, 0]), "and binds tighter than or");
        // Searches 0 and 1 each need something; 2 does not.
        let each = |i: usize| (i < 2).then(|| vec![i * 10, i * 10 + 1]);
        let needs = |c: &str| parse(c, &NAMES).unwrap().needs(&each);
        assert_eq!(needs("selection and filter_a"), Some(vec![0, 1]));
        assert_eq!(needs("selection or filter_a"), Some(vec![0, 1, 10, 11]));
        assert_eq!(needs("selection or filter_b"), None);
        assert_eq!(needs("filter_b and not selection"), None);
        assert_eq!(needs("(selection or filter_a) and not filter_b"), Some(vec![0, 1, 10, 11]));
        for bad in [
            "",
            "selection and",
            "(selection",
            "selection)",
            "nope",
            "1 of nothing_*",
            "1 selection",
            "selection | count() > 5",
        ] {
            assert!(parse(bad, &NAMES).is_err(), "{bad}");
        }
        assert!(parse(&"(".repeat(1000), &NAMES).is_err());
        assert!(parse(&("not ".repeat(100_000) + "selection"), &NAMES).is_err());
    }
}
