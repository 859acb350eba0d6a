//! The case: where it is kept, its marks, tags, notes on events and on the
//! case, saved queries and the history. Enter searches the line's query;
//! `C` adds a note to the case; `E` exports the marks.

use super::{Overlay, show_upto};
use crate::case::Book;
use crate::tui::action::Asking;
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::panes::Cx;
use crate::tui::text::fitted;
use crate::tui::theme::Theme;
use ratatui::Frame;

const WIDEST: u16 = 140;
/// History entries listed (the newest).
const HISTORY_SHOWN: usize = 50;

/// A line of the overlay; Enter searches its query, if it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub text: String,
    pub query: Option<String>,
    /// A section's title.
    pub title: bool,
}

#[derive(Debug, Default)]
pub struct CaseView {
    pub rows: Vec<Row>,
    pub cursor: usize,
}

fn title(text: &str) -> Row {
    Row { text: text.to_string(), query: None, title: true }
}

fn line(text: String, query: Option<String>) -> Row {
    Row { text, query, title: false }
}

impl CaseView {
    pub fn open(book: &Book) -> CaseView {
        let c = &book.case;
        let mut rows = Vec::new();
        let place =
            book.file.as_ref().map_or("kept in memory only (--no-case)".to_string(), |f| f.path.display().to_string());
        rows.push(line(format!("{place} · changed {}", c.updated), None));
        if let Some(why) = &book.unsaved {
            rows.push(line(format!("! {why}"), None));
        }
        let missing = book.unbound();
        let marked = book.marked();
        rows.push(line(
            format!(
                "{marked} marked · {} events kept{}",
                c.events.len(),
                if missing > 0 { format!(" · {missing} not in the logs loaded") } else { String::new() }
            ),
            Some("mark:*".into()),
        ));
        let noted = c.events.iter().filter(|e| !e.notes.is_empty()).count();
        if noted > 0 {
            rows.push(line(format!("{} with notes", crate::format::events(noted)), Some("note:*".into())));
        }
        let tags = c.tags_used();
        if !tags.is_empty() {
            rows.push(title("Tags"));
            rows.extend(tags.into_iter().map(|(t, n)| line(format!("  {t} ({n})"), Some(format!("tag:{t}")))));
        }
        if !c.queries.is_empty() {
            rows.push(title("Saved queries"));
            rows.extend(c.queries.iter().map(|q| line(format!("  {}: {}", q.name, q.query), Some(q.query.clone()))));
        }
        if !c.notes.is_empty() {
            rows.push(title("Notes on the case"));
            for n in &c.notes {
                for (i, l) in n.text.lines().enumerate() {
                    rows.push(line(if i == 0 { format!("  {} {l}", n.at) } else { format!("    {l}") }, None));
                }
            }
        }
        if !c.history.is_empty() {
            rows.push(title("History (newest first)"));
            rows.extend(
                c.history
                    .iter()
                    .rev()
                    .take(HISTORY_SHOWN)
                    .map(|p| line(format!("  {}", p.query), Some(p.query.clone()))),
            );
        }
        if !c.paths.is_empty() {
            rows.push(title("Opened on"));
            rows.extend(c.paths.iter().map(|p| line(format!("  {p}"), None)));
        }
        CaseView { rows, cursor: 1 }
    }
}

impl Overlay for CaseView {
    fn scope(&self) -> Scope {
        Scope::Case
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        if super::step_cursor(&mut self.cursor, action, self.rows.len(), cx.rows) {
            return vec![];
        }
        match action {
            Action::Back => vec![Command::CloseOverlay],
            Action::CopyValue => match self.rows.get(self.cursor) {
                Some(r) => vec![Command::Copy { payload: r.text.trim().to_string(), what: "line".into() }],
                None => vec![],
            },
            Action::Include => match self.rows.get(self.cursor).and_then(|r| r.query.as_deref()) {
                Some(q) => vec![
                    Command::Filter(crate::query::parse(q).map(|q| q.terms).unwrap_or_default()),
                    Command::CloseOverlay,
                ],
                None => vec![],
            },
            Action::Note => vec![Command::CloseOverlay, Command::Ask(Asking::Note(None))],
            Action::Export => vec![Command::CloseOverlay, Command::Ask(Asking::Export { marked: true })],
            _ => vec![],
        }
    }

    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme) {
        let w = super::frame_area_upto(f.area(), WIDEST).width.saturating_sub(2) as usize;
        let top = (self.cursor + 1).saturating_sub(cx.rows);
        let lines = (self.rows.iter().enumerate().skip(top).take(cx.rows))
            .map(|(i, r)| {
                let style = theme.row(i == self.cursor, true);
                fitted(&r.text, w, if r.title { style.patch(theme.title) } else { style })
            })
            .collect();
        show_upto(
            f,
            theme,
            " case · Enter search · C note on the case · E export the marks · Esc close ",
            lines,
            WIDEST,
        );
    }
}
