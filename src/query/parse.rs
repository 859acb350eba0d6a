//! The query language, one parser for the TUI's search box and `-q`.
//!
//! ```text
//! query  := term (space term)*          all terms must hold
//! term   := ['-'] ( '"text"'            the event's JSON contains the text
//!                 | after:TIME | before:TIME
//!                 | FIELD ':' VALUE     VALUE may be "quoted"; * is a wildcard
//!                 | WORD )              fuzzy match on the summary line
//! ```

use super::glob::Glob;
use super::path::{self, Step};
use crate::model::facet::Facet;
use crate::model::time::{Micros, parse_bound};
use std::fmt;

/// What a `field:` term looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// Interned columns (`account` looks at two).
    Facets(Vec<Facet>),
    /// A path into the record.
    Path(Vec<Step>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermKind {
    Field { field: Field, name: String, value: Glob },
    After(Micros),
    Before(Micros),
    Text(String),
    Fuzzy(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub kind: TermKind,
    /// Byte range of the term in the query text.
    pub span: (usize, usize),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The fuzzy words, for highlighting.
    pub fn fuzzy_words(&self) -> impl Iterator<Item = &str> {
        self.terms.iter().filter(|t| !t.negated).filter_map(|t| match &t.kind {
            TermKind::Fuzzy(w) => Some(w.as_str()),
            _ => None,
        })
    }
}

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

/// The fields people type, and what they mean.
pub fn resolve_field(name: &str) -> Option<Field> {
    let f = |x: Facet| Some(Field::Facets(vec![x]));
    let key = |k: &str| Some(Field::Path(vec![Step::Key(k.into())]));
    match name.to_ascii_lowercase().as_str() {
        "name" | "eventname" => f(Facet::Name),
        "source" | "service" | "eventsource" => f(Facet::Source),
        "actor" | "user" => f(Facet::Actor),
        "type" | "useridentity.type" => f(Facet::IdentityType),
        "region" | "awsregion" => f(Facet::Region),
        "ip" | "sourceipaddress" => f(Facet::Ip),
        "account" => Some(Field::Facets(vec![Facet::Account, Facet::IdentityAccount])),
        "recipientaccountid" => f(Facet::Account),
        "useridentity.accountid" => f(Facet::IdentityAccount),
        "error" | "errorcode" => f(Facet::Error),
        "key" | "useridentity.accesskeyid" => f(Facet::AccessKey),
        "agent" | "useragent" => f(Facet::Agent),
        "readonly" => f(Facet::ReadOnly),
        "eventtype" => f(Facet::EventType),
        "category" | "eventcategory" => f(Facet::Category),
        "id" | "eventid" => key("eventID"),
        "request" | "requestid" => key("requestID"),
        _ => None,
    }
}

fn err<T>(pos: usize, len: usize, message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError { pos, len, message: message.into() })
}

/// Reads a quoted string whose opening quote is at `start`; returns its text
/// and the position after the closing quote.
fn quoted(s: &str, start: usize) -> Result<(String, usize), QueryError> {
    let mut out = String::new();
    let mut chars = s[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + i + 1)),
            '\\' => match chars.next() {
                Some((_, c)) => out.push(c),
                None => break,
            },
            c => out.push(c),
        }
    }
    err(start, s.len() - start, "this quote is never closed")
}

pub fn parse(s: &str) -> Result<Query, QueryError> {
    let mut terms = Vec::new();
    let mut pos = 0;
    let bytes = s.as_bytes();
    loop {
        while pos < s.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= s.len() {
            break;
        }
        let start = pos;
        let negated = bytes[pos] == b'-';
        if negated {
            pos += 1;
            if pos >= s.len() || bytes[pos].is_ascii_whitespace() {
                return err(start, 1, "'-' must be followed by the term it negates");
            }
        }
        if bytes[pos] == b'"' {
            let (text, end) = quoted(s, pos)?;
            if text.is_empty() {
                return err(start, end - start, "empty quoted text");
            }
            terms.push(Term { negated, kind: TermKind::Text(text), span: (start, end) });
            pos = end;
            continue;
        }
        // A word runs to the next space outside quotes.
        let word_start = pos;
        let colon = loop {
            if pos >= s.len() || bytes[pos].is_ascii_whitespace() {
                break None;
            }
            if bytes[pos] == b':' {
                break Some(pos);
            }
            pos += 1;
        };
        let head = &s[word_start..pos];
        let field_like = colon.is_some() && head.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
        let Some(colon) = colon.filter(|_| field_like) else {
            // A plain word (which may still hold colons further on, like an IPv6 address).
            while pos < s.len() && !bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            terms.push(Term { negated, kind: TermKind::Fuzzy(s[word_start..pos].to_string()), span: (start, pos) });
            continue;
        };
        let mut vpos = colon + 1;
        let value = if bytes.get(vpos) == Some(&b'"') {
            let (v, end) = quoted(s, vpos)?;
            vpos = end;
            v
        } else {
            let vstart = vpos;
            while vpos < s.len() && !bytes[vpos].is_ascii_whitespace() {
                vpos += 1;
            }
            s[vstart..vpos].to_string()
        };
        pos = vpos;
        let span = (start, pos);
        let name = head.to_string();
        if value.is_empty() {
            return err(start, pos - start, format!("{name}: needs a value (use {name}:* for \"present\")"));
        }
        let kind = match name.to_ascii_lowercase().as_str() {
            "after" | "before" => {
                let Some(t) = parse_bound(&value) else {
                    return err(
                        colon + 1,
                        pos - colon - 1,
                        format!("{value} is not a time: use 2024-03-02, 2024-03-02T12:30 or RFC 3339"),
                    );
                };
                if name.eq_ignore_ascii_case("after") { TermKind::After(t) } else { TermKind::Before(t) }
            }
            _ => {
                let field = match resolve_field(&name) {
                    Some(f) => f,
                    None => match path::parse(&name) {
                        Some(steps) => Field::Path(steps),
                        None => {
                            return err(
                                start,
                                colon - start,
                                format!("{name} is not a field or a path like requestParameters.bucketName"),
                            );
                        }
                    },
                };
                TermKind::Field { field, name, value: Glob::new(&value) }
            }
        };
        terms.push(Term { negated, kind, span });
    }
    Ok(Query { terms })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(q: &str) -> Vec<(bool, TermKind)> {
        parse(q).unwrap().terms.into_iter().map(|t| (t.negated, t.kind)).collect()
    }

    #[test]
    fn parses_each_kind() {
        let k =
            kinds(r#"name:Delete* -error:ThrottlingException "i-0abc" alice after:2024-03-02 before:2024-03-02T12:30"#);
        assert_eq!(k.len(), 6);
        assert!(
            matches!(&k[0], (false, TermKind::Field { field: Field::Facets(f), value, .. }) if f == &vec![Facet::Name] && value.text() == "Delete*")
        );
        assert!(matches!(&k[1], (true, TermKind::Field { field: Field::Facets(f), .. }) if f == &vec![Facet::Error]));
        assert_eq!(k[2], (false, TermKind::Text("i-0abc".into())));
        assert_eq!(k[3], (false, TermKind::Fuzzy("alice".into())));
        assert!(matches!(k[4], (false, TermKind::After(_))));
        assert!(matches!(k[5], (false, TermKind::Before(_))));
    }

    #[test]
    fn fields_paths_and_quoted_values() {
        let k = kinds(r#"requestParameters.bucketName:logs-* agent:"aws-cli/2 Python" account:123 user:bob"#);
        assert!(matches!(&k[0].1, TermKind::Field { field: Field::Path(p), .. } if p.len() == 2));
        assert!(matches!(&k[1].1, TermKind::Field { value, .. } if value.text() == "aws-cli/2 Python"));
        assert!(matches!(&k[2].1, TermKind::Field { field: Field::Facets(f), .. } if f.len() == 2));
        assert!(matches!(&k[3].1, TermKind::Field { field: Field::Facets(f), .. } if f == &vec![Facet::Actor]));
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
