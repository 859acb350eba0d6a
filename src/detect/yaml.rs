//! A small YAML document model for rule files, built from yaml-rust2's
//! event parser. Aliases are refused (rules never need them, and expanding
//! them is how a few bytes of YAML become gigabytes), nesting is bounded,
//! and every node keeps its line for messages.

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Rule files larger than this are refused: a rule is a few KB.
pub const MAX_FILE: usize = 1 << 20;
/// Deeper nesting than this is refused.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    /// Any other scalar, as written (numbers included).
    Str(String),
    Seq(Vec<Node>),
    /// Keys in order; a key is a scalar's text.
    Map(Vec<(String, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(m) => m.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A scalar's text (booleans as `true`/`false`); None for null and containers.
    pub fn text(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            Node::Bool(true) => Some("true"),
            Node::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// A list of texts: one scalar, or a sequence of scalars (null: empty).
    pub fn texts(&self) -> Vec<String> {
        match self {
            Node::Seq(items) => items.iter().filter_map(|i| i.text().map(String::from)).collect(),
            Node::Null => vec![],
            other => other.text().map(String::from).into_iter().collect(),
        }
    }
}

/// A plain scalar as YAML's core schema reads it.
fn plain(text: String) -> Node {
    match text.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Node::Null,
        "true" | "True" | "TRUE" => Node::Bool(true),
        "false" | "False" | "FALSE" => Node::Bool(false),
        _ => Node::Str(text),
    }
}

/// Builds documents from parser events.
#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    /// Open containers; a map's pending key is kept beside it.
    stack: Vec<(Node, Option<String>)>,
    error: Option<String>,
}

impl Builder {
    fn push_value(&mut self, v: Node) {
        let Some((top, key)) = self.stack.last_mut() else {
            self.docs.push(v);
            return;
        };
        match top {
            Node::Seq(items) => items.push(v),
            Node::Map(entries) => match key.take() {
                Some(k) => entries.push((k, v)),
                None => match v {
                    Node::Str(s) => *key = Some(s),
                    Node::Bool(b) => *key = Some(b.to_string()),
                    Node::Null => *key = Some(String::new()),
                    _ => self.error = Some("a key that is not text".into()),
                },
            },
            _ => {}
        }
    }

    fn open(&mut self, node: Node, mark: Marker) {
        if self.stack.len() >= MAX_DEPTH {
            self.fail(mark, &format!("nested more than {MAX_DEPTH} levels"));
        }
        self.stack.push((node, None));
    }

    fn close(&mut self) {
        if let Some((node, _)) = self.stack.pop() {
            self.push_value(node);
        }
    }

    fn fail(&mut self, mark: Marker, why: &str) {
        self.error.get_or_insert_with(|| format!("line {}: {why}", mark.line()));
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match ev {
            Event::Alias(_) => self.fail(mark, "YAML aliases are not supported in rules"),
            Event::Scalar(text, TScalarStyle::Plain, _, _) => self.push_value(plain(text)),
            Event::Scalar(text, _, _, _) => self.push_value(Node::Str(text)),
            Event::SequenceStart(..) => self.open(Node::Seq(vec![]), mark),
            Event::MappingStart(..) => self.open(Node::Map(vec![]), mark),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            _ => {}
        }
    }
}

/// The documents of a YAML text (`---` separates them); empty documents are
/// left out. An error says the line.
pub fn documents(text: &str) -> Result<Vec<Node>, String> {
    if text.len() > MAX_FILE {
        return Err(format!("larger than {} KB", MAX_FILE >> 10));
    }
    let mut b = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut b, true).map_err(|e| format!("not valid YAML: {e}"))?;
    match b.error {
        Some(e) => Err(e),
        None => Ok(b.docs.into_iter().filter(|d| *d != Node::Null).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rules_and_refuses_what_they_never_need() {
        let docs = documents("title: a\nlevel: high\nn: 22\nt: true\nz: ~\nl: [x, 'y']\n---\ntitle: b\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].get("n"), Some(&Node::Str("22".into())));
        assert_eq!(docs[0].get("t"), Some(&Node::Bool(true)));
        assert_eq!(docs[0].get("z"), Some(&Node::Null));
        assert_eq!(docs[0].get("l").unwrap().texts(), ["x", "y"]);
        assert_eq!(docs[1].get("title").and_then(Node::text), Some("b"));
        assert!(documents("a: &x [1]\nb: *x\n").unwrap_err().contains("aliases"));
        let laughs = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n";
        assert!(documents(laughs).is_err());
        assert!(documents(&"[".repeat(10_000)).is_err());
        assert!(documents(&"- ".repeat(MAX_FILE)).unwrap_err().contains("larger"));
        assert!(documents("a: [1, 2\n").unwrap_err().contains("not valid YAML"));
    }
}
