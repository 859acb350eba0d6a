//! The query as data: a typed syntax tree. Its printed form parses back to
//! the same tree, so the explorer edits the tree (pivots, facet clicks) and
//! shows the printed form in the prompt; nothing builds query text by hand.

use super::glob::Glob;
use super::path::{self, Step};
use crate::model::fields::{self, Field};
use crate::model::time::Micros;
use std::fmt;

/// Terms that must all hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<Term>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negated: bool,
    pub kind: TermKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermKind {
    /// `target:value`.
    Match { target: Target, value: Glob },
    /// `after:TIME`: at or after.
    After(Bound),
    /// `before:TIME`: strictly before.
    Before(Bound),
    /// `"text"`: the event's JSON contains it, ignoring case.
    Text(String),
    /// Any other word: a fuzzy match on the summary line.
    Fuzzy(String),
}

/// What a `name:value` term looks at, with the name as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Fields of the table (`account` names two).
    Fields { name: String, fields: Vec<Field> },
    /// A dotted path into the record.
    Path { name: String, steps: Vec<Step> },
}

/// A time bound, with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub at: Micros,
    pub text: String,
}

impl Target {
    /// What `name` refers to: a field of the table, else a path; None when
    /// it is neither.
    pub fn named(name: &str) -> Option<Target> {
        let fields = fields::resolve(name);
        if !fields.is_empty() {
            return Some(Target::Fields { name: name.to_string(), fields });
        }
        path::parse(name).map(|steps| Target::Path { name: name.to_string(), steps })
    }

    /// A table field, by its query name.
    pub fn field(field: Field) -> Target {
        let name = field.query_name();
        Target::Fields { name: name.to_string(), fields: fields::resolve(name) }
    }

    pub fn name(&self) -> &str {
        match self {
            Target::Fields { name, .. } | Target::Path { name, .. } => name,
        }
    }
}

impl Term {
    /// `target:value` matching exactly `value` (case aside).
    pub fn matching(target: Target, value: &str, negated: bool) -> Term {
        Term { negated, kind: TermKind::Match { target, value: Glob::literal(value) } }
    }

    /// `"text"`.
    pub fn text(text: &str, negated: bool) -> Term {
        Term { negated, kind: TermKind::Text(text.to_string()) }
    }
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

    /// Whether a term (negated or not) is on one of `fields`.
    pub fn asks_about(&self, fields: &[Field]) -> bool {
        self.terms.iter().any(|t| match &t.kind {
            TermKind::Match { target: Target::Fields { fields: on, .. }, .. } => on.iter().any(|f| fields.contains(f)),
            _ => false,
        })
    }

    /// The range `[since, until)` narrowed by the un-negated `after:` and
    /// `before:` terms (the only ones that bound a whole result).
    pub fn within(&self, mut since: Option<Micros>, mut until: Option<Micros>) -> (Option<Micros>, Option<Micros>) {
        for t in self.terms.iter().filter(|t| !t.negated) {
            match &t.kind {
                TermKind::After(b) => since = Some(since.map_or(b.at, |s| s.max(b.at))),
                TermKind::Before(b) => until = Some(until.map_or(b.at, |u| u.min(b.at))),
                _ => {}
            }
        }
        (since, until)
    }

    /// Adds `term` unless the query holds it already; returns whether it did.
    pub fn add(&mut self, term: Term) -> bool {
        if self.terms.contains(&term) {
            return false;
        }
        self.terms.push(term);
        true
    }
}

/// Whether a value must be quoted to read back as itself.
fn needs_quotes(v: &str) -> bool {
    v.is_empty() || v.starts_with('"') || v.contains(|c: char| c.is_whitespace() || c == '"')
}

/// Writes `v` in double quotes: backslashes and quotes escaped.
fn write_quoted(f: &mut fmt::Formatter<'_>, v: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in v.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

fn write_value(f: &mut fmt::Formatter<'_>, v: &str) -> fmt::Result {
    if needs_quotes(v) { write_quoted(f, v) } else { f.write_str(v) }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("-")?;
        }
        match &self.kind {
            TermKind::Match { target, value } => {
                write!(f, "{}:", target.name())?;
                write_value(f, value.text())
            }
            TermKind::After(b) => {
                f.write_str("after:")?;
                write_value(f, &b.text)
            }
            TermKind::Before(b) => {
                f.write_str("before:")?;
                write_value(f, &b.text)
            }
            TermKind::Text(t) => write_quoted(f, t),
            TermKind::Fuzzy(w) => f.write_str(w),
        }
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, t) in self.terms.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{t}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;
    use proptest::prelude::*;

    /// Text that includes everything the printer must escape.
    fn any_value() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec![" ", "\"", "\\", "*", ":", "-", "\t", "é", "李", "\\*", "\\\\", "\"\""])
                    .prop_map(String::from),
                "[a-zA-Z0-9._/@-]{1,6}",
            ],
            0..6,
        )
        .prop_map(|parts| parts.concat())
    }

    fn any_target() -> impl Strategy<Value = Target> {
        prop::sample::select(vec![
            "name",
            "eventName",
            "ACCOUNT",
            "source",
            "message",
            "id",
            "arn",
            "vpce",
            "principal",
            "requestParameters.bucketName",
            "resources[0].ARN",
            "a.b[2][3].c",
        ])
        .prop_map(|n| Target::named(n).expect("a field or a path"))
    }

    fn any_term() -> impl Strategy<Value = Term> {
        let kind = prop_oneof![
            (any_target(), any_value()).prop_map(|(target, v)| TermKind::Match { target, value: Glob::literal(&v) }),
            (any_target(), any_value().prop_filter("non-empty", |v| !v.is_empty()))
                .prop_map(|(target, v)| TermKind::Match { target, value: Glob::new(&v) }),
            any_value().prop_filter("non-empty", |v| !v.is_empty()).prop_map(TermKind::Text),
            // Only words that start with a digit may hold a colon (`10:15`, `2001:db8::1`).
            prop_oneof!["[a-z][a-z0-9._é]{0,8}", "[0-9][0-9a-f:.-]{0,8}"].prop_map(TermKind::Fuzzy),
            prop::sample::select(vec!["2024-03-02", "2024-03-02T12:30", "2024-03-02T12:30:00+02:00", "2024"]).prop_map(
                |t| TermKind::After(Bound { at: crate::model::time::parse_bound(t).unwrap(), text: t.into() })
            ),
            prop::sample::select(vec!["2024-03-02T12", "2023-12-31T23:59:59.5Z"]).prop_map(|t| TermKind::Before(
                Bound { at: crate::model::time::parse_bound(t).unwrap(), text: t.into() }
            )),
        ];
        (kind, any::<bool>()).prop_map(|(kind, negated)| Term { negated, kind })
    }

    proptest! {
        #[test]
        fn a_printed_tree_parses_back_to_itself(terms in prop::collection::vec(any_term(), 0..6)) {
            let q = Query { terms };
            let text = q.to_string();
            prop_assert_eq!(parse(&text), Ok(q), "{}", text);
        }

        #[test]
        fn a_parsed_query_prints_to_text_that_parses_the_same(
            words in prop::collection::vec(prop::sample::select(vec![
                "name:", "-", "\"", "after:", "2024-03-02", "a.b:", "*", "\\", ":", " ", "x", "ip:", "\"a b\"", "\\*", "id:\"\"",
            ]), 0..10)
        ) {
            let text = words.concat();
            if let Ok(q) = parse(&text) {
                prop_assert_eq!(parse(&q.to_string()), Ok(q));
            }
        }
    }

    #[test]
    fn literal_values_match_only_themselves() {
        let q = Query { terms: vec![Term::matching(Target::field(Field::Agent), "a*b \"c\\", false)] };
        assert_eq!(q.to_string(), r#"agent:"a\\*b \"c\\\\""#);
        let TermKind::Match { value, .. } = &parse(&q.to_string()).unwrap().terms[0].kind else { panic!() };
        assert!(value.matches("A*B \"C\\") && !value.matches("aXb \"c\\"));
        assert_eq!(Term::matching(Target::field(Field::Name), "", true).to_string(), "-name:\"\"");
        let mut q = Query::default();
        assert!(q.add(Term::text("x", false)) && !q.add(Term::text("x", false)));
    }
}
