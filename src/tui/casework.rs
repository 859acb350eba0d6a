//! The explorer's case actions: marks, ranges, tags, notes, saved queries,
//! the query history and exports. Every change goes to the case at once
//! (the case saves itself); the status line says what was done.

use super::action::Asking;
use super::action::{Action, Command, Effect};
use super::app::App;
use super::overlays;
use super::prompt::Prompt;
use crate::case::CASE_FIELDS;
use crate::engine::export::{self, Format, Scope};
use crate::format::events;
use crate::query;
use crate::sanitize::visible;
use crate::store::EventId;
use std::path::PathBuf;

/// Whether a query's results depend on the case (they change when it does).
fn asks_case(text: &str) -> bool {
    query::parse(text).is_ok_and(|q| q.asks_about(&CASE_FIELDS))
}

/// The most events a range in the explorer marks or tags at once: every
/// one becomes an entry of the case, written after each change.
pub const MAX_RANGE: usize = 10_000;

impl App {
    /// The events a case action applies to: the range being selected, else the selected event.
    pub fn chosen(&self) -> Vec<EventId> {
        let list = &self.panes.list;
        match list.anchor {
            Some(a) => {
                let (lo, hi) = (a.min(list.scroll.cursor), a.max(list.scroll.cursor));
                (lo..=hi).filter_map(|row| list.event_at(&self.search.results, row)).collect()
            }
            None => self.selected().into_iter().collect(),
        }
    }

    /// The events a case action applies to, or None (and why on the status
    /// line) when there are none or too many.
    fn chosen_for_case(&mut self) -> Option<Vec<EventId>> {
        let list = &self.panes.list;
        let range = list.anchor.map_or(1, |a| a.abs_diff(list.scroll.cursor) + 1);
        if range > MAX_RANGE {
            self.status = Some(format!(
                "a range marks or tags at most {} events, this one has {}: narrow the query (`trailscope mark` takes any number)",
                crate::format::thousands(MAX_RANGE as u64),
                crate::format::thousands(range as u64)
            ));
            return None;
        }
        let ids = self.chosen();
        if ids.is_empty() {
            self.status = Some("no event selected".into());
            return None;
        }
        Some(ids)
    }

    /// Handles a case action; None when `action` is not one.
    pub(super) fn case_action(&mut self, action: &Action, effects: &mut Vec<Effect>) -> Option<Vec<Command>> {
        let ask = |a: Asking| Some(vec![Command::Ask(a)]);
        match action {
            Action::Mark => {
                let Some(ids) = self.chosen_for_case() else { return Some(vec![]) };
                let on = self.data.with_case(|b, s| b.toggle_marks(s, &ids));
                self.panes.list.anchor = None;
                self.said(format!("{} {}", if on { "marked" } else { "unmarked" }, events(ids.len())), effects);
            }
            Action::Select => {
                let list = &mut self.panes.list;
                list.anchor = match list.anchor {
                    Some(_) => None,
                    None if self.search.results.ids.is_empty() => None,
                    None => Some(list.scroll.cursor),
                };
                self.status = Some(
                    if list.anchor.is_some() {
                        "range: move, then m marks or T tags it (v drops it)"
                    } else {
                        "range dropped"
                    }
                    .into(),
                );
            }
            Action::Tag => {
                let Some(ids) = self.chosen_for_case() else { return Some(vec![]) };
                return ask(Asking::Tag(ids));
            }
            Action::Note => match self.selected() {
                Some(id) => return ask(Asking::Note(Some(id))),
                None => self.status = Some("no event selected".into()),
            },
            Action::SaveQuery if self.search.query.is_empty() => {
                self.status = Some("nothing to save: the query is empty".into());
            }
            Action::SaveQuery => return ask(Asking::QueryName(self.search.query.clone())),
            Action::Export => return ask(Asking::Export { marked: false }),
            Action::Case => {
                let view = self.data.with_case(|b, _| overlays::case::CaseView::open(b));
                self.overlay = Some(Box::new(view));
            }
            _ => return None,
        }
        Some(vec![])
    }

    /// Opens the prompt for `asking`, with a sensible first text.
    pub(super) fn ask(&mut self, asking: Asking) {
        let text = match &asking {
            Asking::Export { marked: true } => "trailscope-marks.md".to_string(),
            Asking::Export { marked: false } => "trailscope-export.csv".to_string(),
            _ => String::new(),
        };
        self.prompt = Some(Prompt::ask(asking, &text));
        // The footer's room goes to what the prompt asks.
        self.status = None;
    }

    /// Says what a change did (and when the case could not be saved), and
    /// searches again when the results depend on the case.
    fn said(&mut self, what: String, effects: &mut Vec<Effect>) {
        let unsaved = self.data.case.read().unwrap_or_else(|e| e.into_inner()).unsaved.clone();
        self.status = Some(match unsaved {
            Some(why) => format!("{what} · not saved: {why}"),
            None => what,
        });
        if asks_case(&self.search.query) {
            effects.extend(self.search());
        }
    }

    /// The prompt's line was given for `asking` (not a query).
    pub(super) fn answer(&mut self, asking: Asking, text: &str, effects: &mut Vec<Effect>) {
        match asking {
            Asking::Query => {}
            Asking::Tag(ids) => match self.data.with_case(|b, s| b.toggle_tag(s, &ids, text)) {
                Some((tag, on)) => {
                    self.panes.list.anchor = None;
                    let what = if on {
                        format!("tagged {} {tag}", events(ids.len()))
                    } else {
                        format!("removed {tag} from {}", events(ids.len()))
                    };
                    self.said(what, effects);
                }
                None => self.status = Some("no tag given".into()),
            },
            Asking::Note(id) => match self.data.with_case(|b, s| b.add_note(s, id, text)) {
                true => self.said(if id.is_some() { "noted the event" } else { "noted the case" }.into(), effects),
                false => self.status = Some("nothing noted: the note is empty".into()),
            },
            Asking::QueryName(query) => match self.data.with_case(|b, _| b.save_query(text, &query)) {
                true => self.said(format!("saved the query as {}", text.trim()), effects),
                false => self.status = Some("not saved: the name is empty".into()),
            },
            Asking::Export { marked } => self.export_to(text.trim(), marked),
        }
    }

    fn export_to(&mut self, file: &str, marked: bool) {
        if file.is_empty() {
            self.status = Some("not exported: no file name".into());
            return;
        }
        let path = PathBuf::from(file);
        let ids = if marked {
            self.data.matching(&query::parse("mark:*").expect("a valid query"))
        } else {
            self.search.results.ids.to_vec()
        };
        let format = Format::of_path(&path);
        let scope = Scope { query: if marked { "" } else { &self.search.query }, marked };
        let shown = visible(&path.display().to_string()).into_owned();
        self.status = Some(match export::write_file(&path, &self.data, &ids, format, &scope) {
            Ok(()) => format!("wrote {} to {shown} as {}", events(ids.len()), format.name()),
            Err(e) => format!("could not write {shown}: {e}"),
        });
    }

    /// Up and Down in the query prompt: older and newer queries from the history.
    pub(super) fn recall(&mut self, older: bool) {
        let history: Vec<String> = {
            let book = self.data.case.read().unwrap_or_else(|e| e.into_inner());
            book.case.history.iter().map(|p| p.query.clone()).collect()
        };
        let Some(p) = self.prompt.as_mut().filter(|p| p.asking == Asking::Query) else { return };
        let n = history.len();
        // Counted back from the newest: 0 is the newest entry.
        let next = match (p.recalled, older) {
            (None, true) if n > 0 => Some(0),
            (None, _) => return,
            (Some(i), true) => Some((i + 1).min(n.saturating_sub(1))),
            (Some(0), false) => None,
            (Some(i), false) => Some(i - 1),
        };
        if p.recalled.is_none() {
            p.draft = p.text.clone();
        }
        p.recalled = next;
        let text = next.map_or_else(|| p.draft.clone(), |i| history[n - 1 - i].clone());
        p.set(&text);
    }

    /// Tab in the tag prompt: the next tag used so far that starts with what is typed.
    pub(super) fn complete(&mut self) {
        let Some(p) = self.prompt.as_mut().filter(|p| matches!(p.asking, Asking::Tag(_))) else { return };
        let tags: Vec<String> = self
            .data
            .case
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .case
            .tags_used()
            .into_iter()
            .map(|t| t.0)
            .collect();
        // What was typed before the first Tab is the prefix the tags must start with.
        if !tags.contains(&p.text) {
            p.original = p.text.clone();
        }
        let typed = p.original.to_lowercase();
        let fits: Vec<&String> = tags.iter().filter(|t| t.to_lowercase().starts_with(&typed)).collect();
        // Tab again goes to the next tag that fits.
        let at = fits.iter().position(|t| **t == p.text).map_or(0, |i| (i + 1) % fits.len().max(1));
        if let Some(t) = fits.get(at) {
            p.set(t);
        }
    }
}
