//! The detail pane's JSON tree: the selected record flattened into rows (one
//! per key or item, like jless's flat tree), with a collapse flag per
//! container. Built for one event at a time, without recursion, so a 100 KB
//! event or 5,000 levels of nesting cost a single pass.

use crate::json::canon::{self, skip_string, skip_value};
use crate::json::pretty::pretty;
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// The root value.
    None,
    /// An object member: its raw key (quotes included) in the record.
    Name(Range<usize>),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An object or array: its size, and the row after its last descendant.
    Container {
        array: bool,
        len: usize,
        end: usize,
    },
    Scalar,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub depth: u32,
    pub key: Key,
    pub kind: Kind,
    /// The value's bytes in the record.
    pub value: Range<usize>,
    pub parent: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Tree {
    pub json: Vec<u8>,
    pub rows: Vec<Row>,
    collapsed: Vec<bool>,
    /// Rows shown, in order (the root is never shown: its members are the top level).
    visible: Vec<usize>,
}

/// Top-level members shown expanded when a record is opened; the rest start collapsed.
const OPEN_AT_START: [&str; 2] = ["requestParameters", "responseElements"];

impl Tree {
    /// Flattens canonical JSON `json` (one record).
    pub fn new(json: Vec<u8>) -> Self {
        let mut rows: Vec<Row> = Vec::new();
        // Open containers: (row, is_object, children so far).
        let mut stack: Vec<(usize, bool, usize)> = Vec::new();
        let mut pending_key: Option<Range<usize>> = None;
        let c = &json[..];
        let mut i = 0;
        while i < c.len() {
            match c[i] {
                b',' | b':' => {
                    i += 1;
                    continue;
                }
                b'}' | b']' => {
                    if let Some((row, _, len)) = stack.pop() {
                        let end = rows.len();
                        rows[row].value.end = i + 1;
                        rows[row].kind = Kind::Container { array: c[i] == b']', len, end };
                    }
                    i += 1;
                    continue;
                }
                b'"' if stack.last().is_some_and(|s| s.1) && pending_key.is_none() => {
                    let end = skip_string(c, i);
                    pending_key = Some(i..end);
                    i = end;
                    continue;
                }
                _ => {}
            }
            let (parent, key) = match stack.last_mut() {
                Some((row, is_object, n)) => {
                    let key = if *is_object { Key::Name(pending_key.take().unwrap_or(0..0)) } else { Key::Index(*n) };
                    *n += 1;
                    (Some(*row), key)
                }
                None => (None, Key::None),
            };
            let depth = stack.len() as u32;
            if matches!(c[i], b'{' | b'[') {
                stack.push((rows.len(), c[i] == b'{', 0));
                rows.push(Row {
                    depth,
                    key,
                    kind: Kind::Container { array: c[i] == b'[', len: 0, end: 0 },
                    value: i..i,
                    parent,
                });
                i += 1;
            } else {
                let end = skip_value(c, i);
                rows.push(Row { depth, key, kind: Kind::Scalar, value: i..end, parent });
                i = end.max(i + 1);
            }
        }
        // Inside the two open members everything is expanded; elsewhere containers
        // start closed. Parents come before children, so one pass settles it.
        let mut open_branch = vec![false; rows.len()];
        for (i, r) in rows.iter().enumerate() {
            open_branch[i] = match (&r.key, r.parent) {
                (Key::Name(k), _) if r.depth == 1 => {
                    OPEN_AT_START.iter().any(|name| canon::key_is(&json[k.clone()], name))
                }
                (_, Some(p)) if r.depth > 1 => open_branch[p],
                _ => false,
            };
        }
        let collapsed = rows
            .iter()
            .zip(&open_branch)
            .map(|(r, open)| matches!(r.kind, Kind::Container { .. }) && r.depth > 0 && !open)
            .collect();
        let mut t = Tree { json, rows, collapsed, visible: Vec::new() };
        t.refresh();
        t
    }

    fn refresh(&mut self) {
        self.visible.clear();
        let mut i = if self.rows.first().is_some_and(|r| matches!(r.kind, Kind::Container { .. })) { 1 } else { 0 };
        while i < self.rows.len() {
            self.visible.push(i);
            match self.rows[i].kind {
                Kind::Container { end, .. } if self.collapsed[i] => i = end.max(i + 1),
                _ => i += 1,
            }
        }
    }

    /// Rows to show, in order.
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    pub fn is_collapsed(&self, row: usize) -> bool {
        self.collapsed.get(row).copied().unwrap_or(false)
    }

    pub fn is_container(&self, row: usize) -> bool {
        matches!(self.rows.get(row).map(|r| &r.kind), Some(Kind::Container { .. }))
    }

    pub fn set_collapsed(&mut self, row: usize, collapsed: bool) {
        if self.is_container(row) && row != 0 {
            self.collapsed[row] = collapsed;
            self.refresh();
        }
    }

    pub fn set_all(&mut self, collapsed: bool) {
        for (i, c) in self.collapsed.iter_mut().enumerate() {
            *c = collapsed && i != 0 && matches!(self.rows[i].kind, Kind::Container { .. });
        }
        self.refresh();
    }

    /// The key of a row as text (`[3]` for array items).
    pub fn key_text(&self, row: usize) -> Option<String> {
        match &self.rows[row].key {
            Key::None => None,
            Key::Name(r) => Some(canon::unescape(&self.json[r.clone()]).into_owned()),
            Key::Index(n) => Some(format!("[{n}]")),
        }
    }

    /// The path of a row: `requestParameters.items[0].imageId`. Keys that a
    /// dotted path cannot spell are written `["like this"]`.
    pub fn path(&self, row: usize) -> String {
        let mut parts = Vec::new();
        let mut at = Some(row);
        while let Some(r) = at {
            if let Some(k) = self.key_text(r) {
                parts.push((k, matches!(self.rows[r].key, Key::Index(_))));
            }
            at = self.rows[r].parent;
        }
        let mut out = String::new();
        for (k, index) in parts.into_iter().rev() {
            let simple =
                !k.is_empty() && k.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '@' || c == ':');
            if index {
                out.push_str(&k);
            } else if simple {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&k);
            } else {
                out.push_str(&format!("[{}]", serde_json::Value::String(k)));
            }
        }
        out
    }

    /// The raw (canonical) JSON of a row's value.
    pub fn raw(&self, row: usize) -> &[u8] {
        &self.json[self.rows[row].value.clone()]
    }

    /// A row's value as one copies it: a string's text, other scalars as
    /// written, containers pretty-printed.
    pub fn value_text(&self, row: usize) -> String {
        let raw = self.raw(row);
        match self.rows[row].kind {
            Kind::Container { .. } => pretty(raw),
            Kind::Scalar => canon::scalar_text(raw).map_or_else(|| "null".to_string(), |s| s.into_owned()),
        }
    }

    /// The whole record, pretty-printed.
    pub fn pretty(&self) -> String {
        pretty(&self.json)
    }

    /// The visible position of the row that is, or holds, `row`.
    pub fn position_of(&self, row: usize) -> usize {
        let mut at = Some(row);
        while let Some(r) = at {
            if let Ok(p) = self.visible.binary_search(&r) {
                return p;
            }
            at = self.rows[r].parent;
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REC: &str = r#"{"eventName":"RunInstances","userIdentity":{"type":"IAMUser","userName":"bob"},"requestParameters":{"instancesSet":{"items":[{"imageId":"ami-1"},{"imageId":"ami-2"}]},"odd key":1},"responseElements":null,"resources":[{"ARN":"x"}]}"#;

    fn shown(t: &Tree) -> Vec<String> {
        t.visible()
            .iter()
            .map(|&r| format!("{}{}", "  ".repeat(t.rows[r].depth as usize - 1), t.key_text(r).unwrap()))
            .collect()
    }

    #[test]
    fn request_and_response_open_the_rest_closed() {
        let t = Tree::new(REC.as_bytes().to_vec());
        assert_eq!(
            shown(&t),
            [
                "eventName",
                "userIdentity",
                "requestParameters",
                "  instancesSet",
                "    items",
                "      [0]",
                "        imageId",
                "      [1]",
                "        imageId",
                "  odd key",
                "responseElements",
                "resources"
            ]
        );
        assert!(t.is_collapsed(2)); // userIdentity
    }

    #[test]
    fn paths_values_and_toggles() {
        let mut t = Tree::new(REC.as_bytes().to_vec());
        let image = t.visible()[8];
        assert_eq!(t.path(image), "requestParameters.instancesSet.items[1].imageId");
        assert_eq!(t.value_text(image), "ami-2");
        let odd = t.visible()[9];
        assert_eq!(t.path(odd), r#"requestParameters["odd key"]"#);
        let uid = t.visible()[1];
        assert_eq!(t.value_text(uid), "{\n  \"type\": \"IAMUser\",\n  \"userName\": \"bob\"\n}");
        assert!(matches!(t.rows[uid].kind, Kind::Container { len: 2, array: false, .. }));
        t.set_collapsed(uid, false);
        assert_eq!(t.visible().len(), 14);
        t.set_all(true);
        assert_eq!(shown(&t), ["eventName", "userIdentity", "requestParameters", "responseElements", "resources"]);
        assert_eq!(t.position_of(image), 2, "a hidden row maps to its visible ancestor");
        t.set_all(false);
        assert_eq!(t.visible().len(), 16);
        let resp = *t.visible().iter().find(|&&r| t.path(r) == "responseElements").unwrap();
        assert_eq!(t.value_text(resp), "null");
    }

    #[test]
    fn deep_nesting_is_flat() {
        let deep = "{\"a\":".repeat(5000) + "1" + &"}".repeat(5000);
        let mut t = Tree::new(deep.into_bytes());
        assert_eq!(t.rows.len(), 5001);
        t.set_all(false);
        assert_eq!(t.visible().len(), 5000);
        assert!(t.path(5000).starts_with("a.a.a"));
    }
}
