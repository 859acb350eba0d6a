//! The case file's content: plain JSON, documented in the README, with a
//! format name and a version so a later trailscope can read it or refuse it
//! clearly.

use super::key::EventKey;
use serde::{Deserialize, Serialize};

/// What the `format` member says.
pub const FORMAT: &str = "trailscope-case";
/// The version this build writes (and the newest it reads).
pub const VERSION: u32 = 1;

/// Bounds that keep a case a notebook, not a dump: a longer note, tag or
/// name is cut, and the history keeps its newest entries.
pub const MAX_TEXT: usize = 8 * 1024;
pub const MAX_TAG: usize = 64;
pub const MAX_HISTORY: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    pub format: String,
    pub version: u32,
    /// When the case was created and last changed (RFC 3339, UTC).
    pub created: String,
    pub updated: String,
    /// The inputs it was opened on, as given.
    #[serde(default)]
    pub paths: Vec<String>,
    /// What was kept about events, in the order first kept.
    #[serde(default)]
    pub events: Vec<Entry>,
    /// Notes on the case itself.
    #[serde(default)]
    pub notes: Vec<Note>,
    #[serde(default)]
    pub queries: Vec<SavedQuery>,
    /// Queries searched, oldest first.
    #[serde(default)]
    pub history: Vec<Past>,
    /// Record paths shown as list columns.
    #[serde(default)]
    pub columns: Vec<String>,
}

/// What is kept about one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub event: EventKey,
    /// When it was marked; absent when it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

impl Entry {
    pub fn new(event: EventKey) -> Entry {
        Entry { event, marked: None, tags: vec![], notes: vec![] }
    }

    /// Whether anything is kept (an empty entry is dropped).
    pub fn is_empty(&self) -> bool {
        self.marked.is_none() && self.tags.is_empty() && self.notes.is_empty()
    }

    pub fn has_tag(&self, name: &str) -> bool {
        self.tags.iter().any(|t| t.name.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub name: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub text: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedQuery {
    pub name: String,
    pub query: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Past {
    pub query: String,
    pub at: String,
}

impl Case {
    pub fn new(paths: Vec<String>, now: &str) -> Case {
        Case {
            format: FORMAT.into(),
            version: VERSION,
            created: now.into(),
            updated: now.into(),
            paths,
            events: vec![],
            notes: vec![],
            queries: vec![],
            history: vec![],
            columns: vec![],
        }
    }

    /// Reads a case from its JSON, refusing another format or a newer version.
    pub fn from_json(text: &str) -> Result<Case, String> {
        let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        if v.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(format!("not a trailscope case (no \"format\": \"{FORMAT}\")"));
        }
        match v.get("version").and_then(|n| n.as_u64()) {
            Some(n) if n as u32 as u64 == n && n as u32 <= VERSION => {}
            Some(n) => return Err(format!("case version {n} is newer than this trailscope reads ({VERSION})")),
            None => return Err("no version".into()),
        }
        serde_json::from_value(v).map_err(|e| format!("unexpected content: {e}"))
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a case always serializes");
        s.push('\n');
        s
    }

    /// Every tag used, each once, most used first.
    pub fn tags_used(&self) -> Vec<(String, usize)> {
        tag_counts(self.events.iter())
    }
}

/// The tags of `entries`, each once (case aside), with how many entries have it, most first.
pub fn tag_counts<'a>(entries: impl Iterator<Item = &'a Entry>) -> Vec<(String, usize)> {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for t in entries.flat_map(|e| &e.tags) {
        match seen.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(&t.name)) {
            Some((_, c)) => *c += 1,
            None => seen.push((t.name.clone(), 1)),
        }
    }
    seen.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    seen
}

/// A tag as kept: trimmed, inner spaces joined by `-` (a tag is one word, so
/// `tag:NAME` finds it), at most [`MAX_TAG`] bytes. None when nothing is left.
pub fn clean_tag(s: &str) -> Option<String> {
    let t = s.split_whitespace().collect::<Vec<_>>().join("-");
    let t: String = t.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '*')).collect();
    let t = cut(&t, MAX_TAG);
    (!t.is_empty()).then_some(t)
}

/// A note as kept: control characters but newlines and tabs dropped, at most [`MAX_TEXT`] bytes.
pub fn clean_text(s: &str) -> Option<String> {
    let t: String = s.trim().chars().filter(|c| !c.is_control() || matches!(c, '\n' | '\t')).collect();
    let t = cut(&t, MAX_TEXT);
    (!t.is_empty()).then_some(t)
}

fn cut(s: &str, max: usize) -> String {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_other_files_and_newer_versions() {
        let c = Case::new(vec!["logs".into()], "2026-01-01T00:00:00Z");
        assert_eq!(Case::from_json(&c.to_json()), Ok(c.clone()));
        assert!(Case::from_json("{}").unwrap_err().contains("not a trailscope case"));
        assert!(Case::from_json("[1").unwrap_err().contains("not JSON"));
        let newer = c.to_json().replace("\"version\": 1", "\"version\": 7");
        assert!(Case::from_json(&newer).unwrap_err().contains("newer"));
    }

    #[test]
    fn tags_and_notes_are_cleaned() {
        assert_eq!(clean_tag("  data exfil \u{1b}[31m").as_deref(), Some("data-exfil-[31m"));
        assert_eq!(clean_tag("   "), None);
        assert_eq!(clean_tag(&"é".repeat(100)).map(|t| t.len()), Some(64));
        assert_eq!(clean_text(" two\nlines\u{7} ").as_deref(), Some("two\nlines"));
    }
}
