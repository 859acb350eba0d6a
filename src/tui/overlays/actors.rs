//! Who did what among the current matches: one row per identity (by actor,
//! or `b` by origin), sortable with `o`; Enter filters the list to it.

use super::{Overlay, show_upto};
use crate::identity::Graph;
use crate::identity::actors::{By, NO_IDENTITY, SortBy, Summary, sort, summarize};
use crate::model::fields::Field;
use crate::query::{Target, Term};
use crate::store::{EventId, Store};
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::panes::Cx;
use crate::tui::text::fitted;
use crate::tui::theme::Theme;
use ratatui::Frame;
use std::sync::Arc;

/// The overlay's width at least (wider when a name needs it): names and both times in full.
const WIDEST: u16 = 160;

/// The orders `o` cycles through.
const CYCLE: [SortBy; 5] = [SortBy::Events, SortBy::Denied, SortBy::Failed, SortBy::First, SortBy::Last];

pub struct ActorsView {
    ids: Arc<Vec<EventId>>,
    pub by: By,
    pub sort: SortBy,
    pub rows: Vec<Summary>,
    pub cursor: usize,
}

impl ActorsView {
    /// The identities among `ids` (the current matches).
    pub fn open(graph: &Graph, store: &Store, ids: Arc<Vec<EventId>>) -> ActorsView {
        let mut v = ActorsView { ids, by: By::Actor, sort: SortBy::Events, rows: vec![], cursor: 0 };
        v.refresh(store, graph);
        v
    }

    fn refresh(&mut self, store: &Store, graph: &Graph) {
        self.rows = summarize(store, graph, &self.ids, self.by);
        self.order();
    }

    fn order(&mut self) {
        sort(&mut self.rows, self.sort);
        self.cursor = 0;
    }

    /// The term that keeps the selected identity's events.
    fn term(&self) -> Option<Term> {
        let s = self.rows.get(self.cursor).filter(|s| s.identity != NO_IDENTITY)?;
        let field = if self.by == By::Origin { Field::Origin } else { Field::Actor };
        Some(Term::matching(Target::field(field), &s.identity, false))
    }
}

impl Overlay for ActorsView {
    fn scope(&self) -> Scope {
        Scope::Actors
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        if super::step_cursor(&mut self.cursor, action, self.rows.len(), cx.rows.saturating_sub(2)) {
            return vec![];
        }
        match action {
            Action::Back => return vec![Command::CloseOverlay],
            Action::ToggleOrder => {
                let at = CYCLE.iter().position(|s| *s == self.sort).unwrap_or(0);
                self.sort = CYCLE[(at + 1) % CYCLE.len()];
                self.order();
            }
            Action::GroupBy => {
                self.by = if self.by == By::Actor { By::Origin } else { By::Actor };
                self.refresh(cx.store, cx.graph);
            }
            Action::Include => {
                let Some(t) = self.term() else { return vec![] };
                return vec![Command::Filter(vec![t]), Command::CloseOverlay];
            }
            _ => {}
        }
        vec![]
    }

    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme) {
        // As wide as the longest name needs (a role session's ARN), within the screen.
        let widest_name =
            self.rows.iter().map(|s| crate::sanitize::visible(&s.identity).chars().count()).max().unwrap_or(0);
        let most = (9 + 7 + 7 + 6 + 5 + 4 + 6 + 2 + 20 + 21 + 2 + widest_name).clamp(WIDEST as usize, u16::MAX as usize)
            as u16;
        let w = super::frame_area_upto(f.area(), most).width.saturating_sub(2) as usize;
        // Times in full; the first seen only where there is room for it and a name.
        let both = w >= 110;
        let fixed = 9 + 7 + 7 + 6 + 5 + 4 + 6 + 2 + 20 + if both { 21 } else { 0 };
        let name_w = w.saturating_sub(fixed).max(8);
        let when = |first: &str, last: &str| if both { format!("{first:<20} {last}") } else { last.to_string() };
        let head = format!(
            "{:<name_w$} {:>9} {:>7} {:>7} {:>6} {:>5} {:>4}  {}",
            if self.by == By::Origin { "ORIGIN" } else { "ACTOR" },
            "EVENTS",
            "FAILED",
            "DENIED",
            "CALLS",
            "IPS",
            "KEYS",
            when("FIRST SEEN", "LAST SEEN")
        );
        let mut lines = vec![fitted(&head, w, theme.title)];
        let rows = cx.rows.saturating_sub(1);
        let top = (self.cursor + 1).saturating_sub(rows);
        for (i, s) in self.rows.iter().enumerate().skip(top).take(rows) {
            let name: String = crate::sanitize::fit(&s.identity, name_w);
            let line = format!(
                "{name} {:>9} {:>7} {:>7} {:>6} {:>5} {:>4}  {}",
                crate::format::thousands(s.events as u64),
                crate::format::thousands(s.failed() as u64),
                crate::format::thousands(s.denied as u64),
                s.calls.len(),
                s.ips.len(),
                s.keys_cell(),
                when(&crate::model::time::format_utc(s.first), &crate::model::time::format_utc(s.last))
            );
            lines.push(fitted(&line, w, theme.row(i == self.cursor, true)));
        }
        let title = format!(
            " {} {} · sorted by {} (o) · b by {} · Enter its events · Esc closes ",
            self.rows.len(),
            if self.by == By::Origin { "origins" } else { "actors" },
            self.sort.name(),
            if self.by == By::Origin { "actor" } else { "origin" }
        );
        show_upto(f, theme, &title, lines, most);
    }
}
