//! A line being edited: the query (searched as it is typed), or what the
//! explorer asks for (a tag, a note, a name, a file); its text, the cursor,
//! and what Esc restores.

use super::action::{Action, Asking};
use crate::query::QueryError;

/// The longest query the prompt takes: a search box holds words, not
/// documents, and every keystroke reruns the search on the whole text.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

/// A reminder of the language, shown under the prompt.
pub const TIP: &str = "name:Delete*  -error:*  \"text\"  after:2024-03-02  alice";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    /// Byte offset of the cursor in `text`.
    pub cursor: usize,
    /// The query before editing, restored by Esc.
    pub original: String,
    pub error: Option<QueryError>,
    pub asking: Asking,
    /// Where Up and Down are in the query history (None: at the line being typed).
    pub recalled: Option<usize>,
    /// The line being typed, while the history is shown instead.
    pub draft: String,
}

/// What an action did to the prompt.
#[derive(Debug, PartialEq, Eq)]
pub enum Edit {
    /// The text changed: search again.
    Changed,
    /// The cursor moved, or the text could not grow.
    Moved,
    Submit,
    Cancel,
    /// Not an editing action.
    NotMine,
}

impl Prompt {
    pub fn new(query: &str) -> Prompt {
        Prompt::ask(Asking::Query, query)
    }

    /// A prompt for `asking`, starting with `text`.
    pub fn ask(asking: Asking, text: &str) -> Prompt {
        Prompt {
            text: text.to_string(),
            cursor: text.len(),
            original: text.to_string(),
            error: None,
            asking,
            recalled: None,
            draft: String::new(),
        }
    }

    /// Replaces the whole line (a recalled query, a completion), the cursor at its end.
    pub fn set(&mut self, text: &str) {
        self.text.clear();
        self.cursor = 0;
        self.insert(text);
    }

    /// Inserts `text` at the cursor, as much of it as fits in
    /// [`MAX_QUERY_BYTES`]. Returns whether anything was inserted.
    fn insert(&mut self, text: &str) -> bool {
        let room = MAX_QUERY_BYTES.saturating_sub(self.text.len());
        let mut take = text.len().min(room);
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        self.text.insert_str(self.cursor, &text[..take]);
        self.cursor += take;
        take > 0
    }

    fn changed(yes: bool) -> Edit {
        if yes { Edit::Changed } else { Edit::Moved }
    }

    pub fn edit(&mut self, action: &Action) -> Edit {
        match action {
            Action::Insert(c) => {
                let mut buf = [0u8; 4];
                return Prompt::changed(self.insert(c.encode_utf8(&mut buf)));
            }
            Action::InsertText(text) => return Prompt::changed(self.insert(text)),
            Action::DeleteBack => {
                if let Some((i, _)) = self.text[..self.cursor].char_indices().next_back() {
                    self.text.remove(i);
                    self.cursor = i;
                }
            }
            Action::DeleteForward => {
                if self.cursor < self.text.len() {
                    self.text.remove(self.cursor);
                }
            }
            Action::DeleteWord => {
                let start = self.text[..self.cursor].trim_end().rfind(char::is_whitespace).map_or(0, |i| i + 1);
                self.text.replace_range(start..self.cursor, "");
                self.cursor = start;
            }
            Action::ClearLine => {
                self.text.clear();
                self.cursor = 0;
            }
            Action::CursorLeft => {
                self.cursor = self.text[..self.cursor].char_indices().next_back().map_or(0, |(i, _)| i);
                return Edit::Moved;
            }
            Action::CursorRight => {
                self.cursor += self.text[self.cursor..].chars().next().map_or(0, char::len_utf8);
                return Edit::Moved;
            }
            Action::CursorHome => {
                self.cursor = 0;
                return Edit::Moved;
            }
            Action::CursorEnd => {
                self.cursor = self.text.len();
                return Edit::Moved;
            }
            Action::Submit => return Edit::Submit,
            Action::Cancel => return Edit::Cancel,
            _ => return Edit::NotMine,
        }
        Edit::Changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_by_character_and_word() {
        let mut p = Prompt::new("name:x");
        assert_eq!(p.edit(&Action::Insert('é')), Edit::Changed);
        assert_eq!(p.text, "name:xé");
        p.edit(&Action::CursorLeft);
        p.edit(&Action::DeleteBack);
        assert_eq!((p.text.as_str(), p.cursor), ("name:é", 5));
        p.edit(&Action::CursorEnd);
        p.edit(&Action::InsertText(" alice bob".into()));
        p.edit(&Action::DeleteWord);
        assert_eq!(p.text, "name:é alice ");
        assert_eq!(p.edit(&Action::Up), Edit::NotMine);
        p.edit(&Action::ClearLine);
        assert_eq!((p.text.as_str(), p.cursor), ("", 0));
    }

    #[test]
    fn the_text_is_bounded() {
        let mut p = Prompt::new("");
        assert_eq!(p.edit(&Action::InsertText("x".repeat(MAX_QUERY_BYTES + 10))), Edit::Changed);
        assert_eq!(p.text.len(), MAX_QUERY_BYTES);
        assert_eq!(p.edit(&Action::Insert('y')), Edit::Moved, "full: nothing to search again");
    }
}
