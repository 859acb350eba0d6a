//! How a Sigma value matches a field's text: modifiers, wildcards (`*`,
//! `?`, with `\` escapes), regular expressions and CIDR ranges. Matching
//! ignores case (Unicode-aware) except for regular expressions, which are
//! case-sensitive unless they say otherwise, as the specification has it.

use memchr::memmem;
use regex::Regex;
use std::net::IpAddr;

/// The modifiers after a field name (`eventName|contains|all`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Modifiers {
    pub contains: bool,
    pub startswith: bool,
    pub endswith: bool,
    pub all: bool,
    pub re: bool,
    /// `re` sub-modifiers.
    pub re_i: bool,
    pub re_m: bool,
    pub re_s: bool,
    pub exists: bool,
    pub cidr: bool,
    pub fieldref: bool,
    pub cased: bool,
}

impl Modifiers {
    pub fn contains() -> Modifiers {
        Modifiers { contains: true, ..Modifiers::default() }
    }

    pub fn parse<'a>(names: impl Iterator<Item = &'a str>) -> Result<Modifiers, String> {
        let mut m = Modifiers::default();
        for name in names {
            match name {
                "contains" => m.contains = true,
                "startswith" => m.startswith = true,
                "endswith" => m.endswith = true,
                "all" => m.all = true,
                "re" => m.re = true,
                "i" if m.re => m.re_i = true,
                "m" if m.re => m.re_m = true,
                "s" if m.re => m.re_s = true,
                "exists" => m.exists = true,
                "cidr" => m.cidr = true,
                "fieldref" => m.fieldref = true,
                "cased" => m.cased = true,
                other => return Err(format!("the modifier {other} is not supported")),
            }
        }
        if [m.contains, m.startswith, m.endswith].iter().filter(|x| **x).count() > 1
            || (m.re && (m.contains || m.startswith || m.endswith || m.cidr))
        {
            return Err("these modifiers do not combine".into());
        }
        Ok(m)
    }
}

/// A piece of a wildcard pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    /// `*`: any run of characters.
    Any,
    /// `?`: one character.
    One,
}

#[derive(Debug, Clone)]
pub enum Pattern {
    /// The whole value, ignoring case unless `cased`.
    Exact {
        text: String,
        cased: bool,
    },
    /// With `*` / `?` wildcards; `chars` is `pieces` spelled out, and
    /// `infix` finds the text of `*text*` in an ASCII value.
    Wild {
        pieces: Vec<Piece>,
        cased: bool,
        chars: Vec<P>,
        infix: Option<Box<memmem::Finder<'static>>>,
    },
    Regex(Regex),
    Cidr(IpAddr, u8),
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Pattern::Exact { text: a, cased: x }, Pattern::Exact { text: b, cased: y }) => a == b && x == y,
            (Pattern::Wild { pieces: a, cased: x, .. }, Pattern::Wild { pieces: b, cased: y, .. }) => a == b && x == y,
            (Pattern::Regex(a), Pattern::Regex(b)) => a.as_str() == b.as_str(),
            (Pattern::Cidr(a, n), Pattern::Cidr(b, m)) => a == b && n == m,
            _ => false,
        }
    }
}

/// Regular expressions are limited in size so that no rule can make
/// matching slow (the regex crate matches in linear time).
const REGEX_SIZE: usize = 1 << 20;

fn fold(s: &str, cased: bool) -> String {
    if cased { s.to_string() } else { s.to_lowercase() }
}

/// The pieces of a value with Sigma's wildcards and escapes: `\*` and `\?`
/// are literal, `\\` is one backslash, another backslash is itself.
fn pieces(value: &str, cased: bool) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut text = String::new();
    let mut chars = value.chars().peekable();
    let flush = |text: &mut String, out: &mut Vec<Piece>| {
        if !text.is_empty() {
            out.push(Piece::Text(fold(text, cased)));
            text.clear();
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => text.extend(chars.next()),
            '*' => {
                flush(&mut text, &mut out);
                if out.last() != Some(&Piece::Any) {
                    out.push(Piece::Any);
                }
            }
            '?' => {
                flush(&mut text, &mut out);
                out.push(Piece::One);
            }
            c => text.push(c),
        }
    }
    flush(&mut text, &mut out);
    out
}

impl Pattern {
    /// The pattern for a rule's value under the field's modifiers.
    pub fn compile(value: &str, m: &Modifiers) -> Result<Pattern, String> {
        if m.re {
            let flags: String =
                [(m.re_i, 'i'), (m.re_m, 'm'), (m.re_s, 's')].iter().filter(|f| f.0).map(|f| f.1).collect();
            let source = if flags.is_empty() { value.to_string() } else { format!("(?{flags}){value}") };
            let re = regex::RegexBuilder::new(&source)
                .size_limit(REGEX_SIZE)
                .build()
                .map_err(|e| format!("regular expression {value:?}: {}", e.to_string().lines().last().unwrap_or("")))?;
            return Ok(Pattern::Regex(re));
        }
        if m.cidr {
            let (addr, bits) = value.split_once('/').ok_or_else(|| format!("{value:?} is not a CIDR range"))?;
            let addr: IpAddr = addr.parse().map_err(|_| format!("{value:?} is not a CIDR range"))?;
            let bits: u8 = bits
                .parse()
                .ok()
                .filter(|b| *b <= if addr.is_ipv4() { 32 } else { 128 })
                .ok_or_else(|| format!("{value:?} is not a CIDR range"))?;
            return Ok(Pattern::Cidr(addr, bits));
        }
        let mut p = pieces(value, m.cased);
        if m.contains || m.endswith {
            p.insert(0, Piece::Any);
        }
        if m.contains || m.startswith {
            p.push(Piece::Any);
        }
        p.dedup_by(|a, b| *a == Piece::Any && *b == Piece::Any);
        Ok(match p.as_slice() {
            [] => Pattern::Exact { text: String::new(), cased: m.cased },
            [Piece::Text(t)] => Pattern::Exact { text: t.clone(), cased: m.cased },
            _ => Pattern::Wild {
                chars: spell(&p),
                infix: match p.as_slice() {
                    [Piece::Any, Piece::Text(t), Piece::Any] if t.is_ascii() => {
                        Some(Box::new(memmem::Finder::new(t.as_bytes()).into_owned()))
                    }
                    _ => None,
                },
                pieces: p,
                cased: m.cased,
            },
        })
    }

    /// Whether the pattern matches a value's text.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Pattern::Exact { text, cased: true } => value == text,
            Pattern::Exact { text, cased: false } => {
                if value.is_ascii() && text.is_ascii() {
                    value.eq_ignore_ascii_case(text)
                } else {
                    value.to_lowercase() == *text
                }
            }
            Pattern::Wild { infix: Some(f), cased, .. } if value.is_ascii() => ascii_find(f, *cased, value),
            Pattern::Wild { pieces, cased, chars, .. } if value.is_ascii() => ascii_match(pieces, chars, *cased, value),
            Pattern::Wild { cased, chars, .. } => {
                let v: Vec<char> = fold(value, *cased).chars().collect();
                wild_match(chars, v.len(), |i| v[i])
            }
            Pattern::Regex(re) => re.is_match(value),
            Pattern::Cidr(..) => self.matches_address(address(value)),
        }
    }

    /// Whether a CIDR pattern holds for a value read as an address once
    /// for several patterns (see [`address`]); other patterns never do.
    pub fn matches_address(&self, a: Option<IpAddr>) -> bool {
        match (self, a) {
            (Pattern::Cidr(net, bits), Some(a)) => in_cidr(a, *net, *bits),
            _ => false,
        }
    }

    pub fn is_cidr(&self) -> bool {
        matches!(self, Pattern::Cidr(..))
    }

    /// The literal a value must equal (ignoring case), for indexing.
    pub fn exact(&self) -> Option<&str> {
        match self {
            Pattern::Exact { text, cased: false } => Some(text),
            _ => None,
        }
    }
}

/// A value as a CIDR pattern reads it.
pub fn address(value: &str) -> Option<IpAddr> {
    value.trim().parse().ok()
}

fn in_cidr(a: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, net, width) = match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u32::from(a) as u128, u32::from(n) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (u128::from(a), u128::from(n), 128),
        (IpAddr::V6(a), IpAddr::V4(n)) => match a.to_ipv4_mapped() {
            Some(a4) => (u32::from(a4) as u128, u32::from(n) as u128, 32),
            None => return false,
        },
        _ => return false,
    };
    let shift = width - bits as u32;
    bits == 0 || (a >> shift) == (net >> shift)
}

/// A pattern character, or a wildcard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum P {
    C(char),
    Any,
    One,
}

fn spell(pieces: &[Piece]) -> Vec<P> {
    pieces
        .iter()
        .flat_map(|p| match p {
            Piece::Text(t) => t.chars().map(P::C).collect::<Vec<_>>(),
            Piece::Any => vec![P::Any],
            Piece::One => vec![P::One],
        })
        .collect()
}

thread_local! {
    /// An ASCII value in lower case, for `contains` without allocating.
    static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `*text*` in an ASCII value (`f` finds the text, folded unless `cased`).
fn ascii_find(f: &memmem::Finder, cased: bool, value: &str) -> bool {
    if cased {
        return f.find(value.as_bytes()).is_some();
    }
    LOWER.with_borrow_mut(|low| {
        low.clear();
        low.extend(value.bytes().map(|b| b.to_ascii_lowercase()));
        f.find(low).is_some()
    })
}

/// Wildcards against an ASCII value, without allocating: prefixes and
/// suffixes directly, anything else character by character.
fn ascii_match(pieces: &[Piece], chars: &[P], cased: bool, value: &str) -> bool {
    let v = value.as_bytes();
    let same = |a: &[u8], t: &str| if cased { a == t.as_bytes() } else { a.eq_ignore_ascii_case(t.as_bytes()) };
    match pieces {
        [Piece::Text(t), Piece::Any] if t.is_ascii() => v.len() >= t.len() && same(&v[..t.len()], t),
        [Piece::Any, Piece::Text(t)] if t.is_ascii() => v.len() >= t.len() && same(&v[v.len() - t.len()..], t),
        _ => {
            let at = |i: usize| if cased { v[i] as char } else { v[i].to_ascii_lowercase() as char };
            wild_match(chars, v.len(), at)
        }
    }
}

/// Matches the `len` characters `at(0..len)` against a spelled-out pattern:
/// `?` one character, `*` any run. Greedy with one backtrack point (the last
/// `*`), so the cost is at most the value's length times the pattern's.
fn wild_match(pat: &[P], len: usize, at: impl Fn(usize) -> char) -> bool {
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < len {
        match pat.get(j) {
            Some(P::Any) => {
                star = Some((j, i));
                j += 1;
            }
            Some(P::One) => {
                i += 1;
                j += 1;
            }
            Some(P::C(c)) if *c == at(i) => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((sj, si)) => {
                    j = sj + 1;
                    i = si + 1;
                    star = Some((sj, si + 1));
                }
                None => return false,
            },
        }
    }
    pat[j..].iter().all(|p| *p == P::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(value: &str, mods: &[&str]) -> Pattern {
        Pattern::compile(value, &Modifiers::parse(mods.iter().copied()).unwrap()).unwrap()
    }

    #[test]
    fn values_wildcards_and_modifiers() {
        assert!(m("GetObject", &[]).matches("getobject"));
        assert!(!m("GetObject", &[]).matches("GetObjectAcl"));
        assert!(m("Get*", &[]).matches("GetObjectAcl"));
        assert!(m("Get?bject", &[]).matches("GetObject") && !m("Get?bject", &[]).matches("GetbbObject"));
        assert!(m("kali", &["contains"]).matches("aws-cli/2 Linux/6.5.0-kali2"));
        assert!(m("Update", &["startswith"]).matches("UpdateFunctionConfiguration20150331v2"));
        assert!(m("v2", &["endswith"]).matches("UpdateFunctionConfiguration20150331v2"));
        assert!(m("*", &["contains"]).matches(""), "contains '*' is 'any value, even empty'");
        assert!(m(r"a\*b", &[]).matches("a*b") && !m(r"a\*b", &[]).matches("axb"));
        assert!(m(r"a\?", &[]).matches("a?") && !m(r"a\?", &[]).matches("ab"));
        assert!(m(r"c:\\x", &[]).matches(r"c:\x"));
        assert!(m(r"c:\x", &[]).matches(r"c:\x"), "a lone backslash is itself");
        assert!(m("ÉTÉ", &[]).matches("été"), "case is ignored beyond ASCII");
        assert!(!m("Ab", &["cased"]).matches("ab"));
        assert!(m(".+:assumed-role/aws:.+", &["re"]).matches("arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"));
        assert!(!m("^abc$", &["re"]).matches("ABC") && m("^abc$", &["re", "i"]).matches("ABC"));
        assert!(m("10.0.0.0/8", &["cidr"]).matches("10.1.2.3") && !m("10.0.0.0/8", &["cidr"]).matches("11.0.0.1"));
        assert!(m("2001:db8::/32", &["cidr"]).matches("2001:db8::1"));
        assert!(m("192.0.2.0/24", &["cidr"]).matches("::ffff:192.0.2.9"));
        assert!(!m("10.0.0.0/8", &["cidr"]).matches("AWS Internal"));
        assert!(Modifiers::parse(["base64"].into_iter()).is_err());
        assert!(Modifiers::parse(["contains", "re"].into_iter()).is_err());
        assert!(Pattern::compile("(", &Modifiers { re: true, ..Default::default() }).is_err());
        assert!(Pattern::compile("10.0.0.0/99", &Modifiers { cidr: true, ..Default::default() }).is_err());
    }

    #[test]
    fn wildcards_cost_at_most_value_times_pattern() {
        let v = "a".repeat(100_000);
        assert!(!m("*a*a*a*a*b", &[]).matches(&v));
        assert!(m("*a?a*", &[]).matches(&v));
    }

    proptest::proptest! {
        /// The ASCII shortcuts (prefix, suffix, infix, byte by byte) answer
        /// as the general matcher does over the value's folded characters.
        #[test]
        fn ascii_shortcuts_agree_with_the_general_matcher(
            value in "[a-cA-C*?.é]{0,10}",
            text in "[a-cA-C*?é]{0,5}",
            shape in 0..4usize,
            cased: bool,
        ) {
            let mods = Modifiers { contains: shape == 1, startswith: shape == 2, endswith: shape == 3, cased, ..Default::default() };
            let p = Pattern::compile(&text, &mods).unwrap();
            let general = match &p {
                Pattern::Wild { chars, cased, .. } => {
                    let v: Vec<char> = fold(&value, *cased).chars().collect();
                    wild_match(chars, v.len(), |i| v[i])
                }
                Pattern::Exact { text, cased: true } => value == *text,
                Pattern::Exact { text, cased: false } => value.to_lowercase() == *text,
                _ => unreachable!(),
            };
            proptest::prop_assert_eq!(p.matches(&value), general);
        }
    }
}
