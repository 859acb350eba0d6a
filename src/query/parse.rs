//! The query language, one parser for the TUI's search box and `-q`.
//!
//! ```text
//! query  := term (space term)*          all terms must hold
//! term   := ['-'] ( '"text"'            the event's JSON contains the text
//!                 | after:TIME | before:TIME
//!                 | NAME ':' VALUE      a field or a path; VALUE may be "quoted";
//!                                       * is a wildcard, \* a literal star
//!                 | WORD )              fuzzy match on the summary line
//! ```
//!
//! It produces the syntax tree of [`super::ast`].

pub use super::ast::{Bound, Query, Target, Term, TermKind};
use super::glob::Glob;
use crate::model::time::parse_bound;
use std::fmt;

/// A malformed query: what is wrong and where (byte offsets into the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub pos: usize,
    pub len: usize,
    pub message: String,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.message, self.pos + 1)
    }
}

impl QueryError {
    /// The query with a caret line under the faulty part, for terminals.
    pub fn pointed(&self, query: &str) -> String {
        let col = query[..self.pos.min(query.len())].chars().count();
        let width = query.get(self.pos..(self.pos + self.len).min(query.len())).map_or(1, |s| s.chars().count().max(1));
        format!("{query}\n{}{}\n{}", " ".repeat(col), "^".repeat(width), self.message)
    }
}

fn err<T>(pos: usize, len: usize, message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError { pos, len, message: message.into() })
}

/// Reads a quoted string whose opening quote is at `start`; returns its text
/// and the position after the closing quote. `\"` and `\\` stand for a quote
/// and a backslash; any other backslash is kept (so `\*` reaches the glob).
fn quoted(s: &str, start: usize) -> Result<(String, usize), QueryError> {
    let mut out = String::new();
    let mut chars = s[start + 1..].char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + i + 1)),
            '\\' => match chars.peek() {
                Some(&(_, e @ ('"' | '\\'))) => {
                    out.push(e);
                    chars.next();
                }
                Some(_) => out.push('\\'),
                None => break,
            },
            c => out.push(c),
        }
    }
    err(start, s.len() - start, "this quote is never closed")
}

/// The end of the run of non-space bytes from `pos`.
fn word_end(s: &str, mut pos: usize) -> usize {
    let bytes = s.as_bytes();
    while pos < s.len() && !bytes[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

/// The value after `name:` at `pos`, quoted or not; with where it ends and
/// whether it was quoted.
fn value(s: &str, pos: usize) -> Result<(String, usize, bool), QueryError> {
    if s.as_bytes().get(pos) == Some(&b'"') {
        let (v, end) = quoted(s, pos)?;
        return Ok((v, end, true));
    }
    let end = word_end(s, pos);
    Ok((s[pos..end].to_string(), end, false))
}

/// A `name:value` term whose name runs from `start` to the colon at `colon`.
fn named_term(s: &str, start: usize, colon: usize) -> Result<(TermKind, usize), QueryError> {
    let name = &s[start..colon];
    let (value, end, was_quoted) = value(s, colon + 1)?;
    if value.is_empty() && !was_quoted {
        return err(start, end - start, format!("{name}: needs a value (use {name}:* for \"present\")"));
    }
    let lower = name.to_ascii_lowercase();
    if lower == "after" || lower == "before" {
        let Some(at) = parse_bound(&value) else {
            return err(
                colon + 1,
                end - colon - 1,
                format!("{value} is not a time: use 2024-03-02, 2024-03-02T12:30 or RFC 3339"),
            );
        };
        let b = Bound { at, text: value };
        return Ok((if lower == "after" { TermKind::After(b) } else { TermKind::Before(b) }, end));
    }
    let Some(target) = Target::named(name) else {
        return err(start, colon - start, format!("{name} is not a field or a path like requestParameters.bucketName"));
    };
    let value = Glob::new(&value);
    if let Some(why) = unknown_value(&target, &value) {
        return err(colon + 1, end - colon - 1, why);
    }
    Ok((TermKind::Match { target, value }, end))
}

/// Why `value` names nothing a field with few values takes (`level:hihg`), if so.
fn unknown_value(target: &Target, value: &Glob) -> Option<String> {
    let Target::Fields { fields, .. } = target else { return None };
    let (&field, known) = fields.iter().find_map(|f| Some((f, f.def().values?)))?;
    if known == ["#"] {
        // Globs of numbers (`incident:1*`) are fine; words are not.
        let text = value.text();
        return (!value.is_any() && !text.bytes().all(|b| b.is_ascii_digit() || b == b'*'))
            .then(|| format!("{} takes a number, not {text}", field.def().queries[0]));
    }
    let name = field.def().queries[0];
    (!known.iter().any(|k| value.matches(k)))
        .then(|| format!("{name}:{} matches nothing: {name} is one of {}", value.text(), known.join(", ")))
}

/// The term at `start` (not a space); with where it ends.
fn term(s: &str, start: usize) -> Result<(Term, usize), QueryError> {
    let bytes = s.as_bytes();
    let negated = bytes[start] == b'-';
    let pos = start + usize::from(negated);
    if negated && (pos >= s.len() || bytes[pos].is_ascii_whitespace()) {
        return err(start, 1, "'-' must be followed by the term it negates");
    }
    if bytes[pos] == b'"' {
        let (text, end) = quoted(s, pos)?;
        if text.is_empty() {
            return err(start, end - start, "empty quoted text");
        }
        return Ok((Term { negated, kind: TermKind::Text(text) }, end));
    }
    let end = word_end(s, pos);
    // A name starts with a letter; other words with colons (an IPv6 address) are fuzzy words.
    let colon = s[pos..end].find(':').map(|i| pos + i).filter(|_| bytes[pos].is_ascii_alphabetic());
    match colon {
        Some(colon) => named_term(s, pos, colon).map(|(kind, end)| (Term { negated, kind }, end)),
        None => Ok((Term { negated, kind: TermKind::Fuzzy(s[pos..end].to_string()) }, end)),
    }
}

pub fn parse(s: &str) -> Result<Query, QueryError> {
    let mut terms = Vec::new();
    let mut pos = 0;
    loop {
        while pos < s.len() && s.as_bytes()[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= s.len() {
            return Ok(Query { terms });
        }
        let (t, end) = term(s, pos)?;
        terms.push(t);
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::fields::Field;

    fn kinds(q: &str) -> Vec<(bool, TermKind)> {
        parse(q).unwrap().terms.into_iter().map(|t| (t.negated, t.kind)).collect()
    }

    fn fields(k: &TermKind) -> Vec<Field> {
        match k {
            TermKind::Match { target: Target::Fields { fields, .. }, .. } => fields.clone(),
            _ => vec![],
        }
    }

    #[test]
    fn parses_each_kind() {
        let k =
            kinds(r#"name:Delete* -error:ThrottlingException "i-0abc" alice after:2024-03-02 before:2024-03-02T12:30"#);
        assert_eq!(k.len(), 6);
        assert_eq!(fields(&k[0].1), [Field::Name]);
        assert!(matches!(&k[0], (false, TermKind::Match { value, .. }) if value.text() == "Delete*"));
        assert!(k[1].0);
        assert_eq!(fields(&k[1].1), [Field::Error]);
        assert_eq!(k[2], (false, TermKind::Text("i-0abc".into())));
        assert_eq!(k[3], (false, TermKind::Fuzzy("alice".into())));
        assert!(matches!(k[4], (false, TermKind::After(_))));
        assert!(matches!(k[5], (false, TermKind::Before(_))));
    }

    #[test]
    fn fields_paths_and_quoted_values() {
        let k = kinds(r#"requestParameters.bucketName:logs-* agent:"aws-cli/2 Python" account:123 user:bob"#);
        assert!(matches!(&k[0].1, TermKind::Match { target: Target::Path { steps, .. }, .. } if steps.len() == 2));
        assert!(matches!(&k[1].1, TermKind::Match { value, .. } if value.text() == "aws-cli/2 Python"));
        assert_eq!(fields(&k[2].1), [Field::Account, Field::IdentityAccount]);
        assert_eq!(fields(&k[3].1), [Field::Actor]);
        // Words that merely hold a colon stay fuzzy words.
        assert_eq!(kinds("2001:db8::1")[0].1, TermKind::Fuzzy("2001:db8::1".into()));
        assert_eq!(kinds(r#""say \"hi\"""#)[0].1, TermKind::Text("say \"hi\"".into()));
    }

    #[test]
    fn errors_point_at_the_term() {
        let e = parse(r#"name:x "open"#).unwrap_err();
        assert_eq!((e.pos, e.message.as_str()), (7, "this quote is never closed"));
        let e = parse("after:yesterday").unwrap_err();
        assert_eq!(e.pos, 6);
        let e = parse("a - b").unwrap_err();
        assert_eq!(e.pos, 2);
        let e = parse("name: x").unwrap_err();
        assert_eq!(e.pos, 0);
        let e = parse("a..b:x").unwrap_err();
        assert!(e.message.contains("not a field"));
        assert!(e.pointed("a..b:x").contains("^^^^"));
        assert!(parse("").unwrap().is_empty());
        assert!(parse("   ").unwrap().is_empty());
    }
}
