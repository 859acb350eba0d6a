//! The facets panel: the top values of each panel field (from the field
//! table) over the current matches; a value is added to the query, or
//! excluded, as a term of the query tree.

use super::pane::{Cx, Meta, Pane, Slot, count_text, panel_frame, pick_row, settle_rows, term_panel};
use crate::engine::SearchResult;
use crate::model::fields::{Field, panel_fields};
use crate::query::{Target, Term};
use crate::sanitize::visible;
use crate::tui::action::PaneId;
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::scroll::Scroll;
use crate::tui::text::{cell, fitted};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

#[derive(Debug, Clone, Default)]
pub struct FacetsPane {
    pub scroll: Scroll,
    /// None: shown when the terminal is wide enough.
    pub shown: Option<bool>,
}

/// A row of the panel: a field's heading (value None), or one of its values
/// with its count.
pub type FacetRow = (Field, Option<(u32, u32)>);

/// The panel flattened: per field a heading, then its values.
pub fn rows(results: &SearchResult) -> Vec<FacetRow> {
    let mut rows = Vec::new();
    for c in &results.facets {
        if !panel_fields().contains(&c.field) || c.values.is_empty() {
            continue;
        }
        rows.push((c.field, None));
        rows.extend(c.values.iter().map(|&v| (c.field, Some(v))));
    }
    rows
}

impl FacetsPane {
    fn term(&self, cx: &Cx, negated: bool) -> Vec<Command> {
        let Some((field, Some((value, _)))) = rows(cx.results).get(self.scroll.cursor).copied() else {
            return vec![];
        };
        let Some(c) = cx.results.facets.iter().find(|c| c.field == field) else { return vec![] };
        vec![Command::AddTerm(Term::matching(Target::field(field), c.label(&cx.labels, value), negated))]
    }
}

impl Pane for FacetsPane {
    fn meta(&self) -> Meta {
        Meta { id: PaneId::Facets, slot: Slot::Left, scope: Scope::Facets }
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        let all = rows(cx.results);
        let mut scroll = self.scroll;
        let heading = |i: usize| all.get(i).is_some_and(|r| r.1.is_none());
        let out = term_panel(&mut scroll, action, (all.len(), cx.rows), heading, |negated| self.term(cx, negated));
        self.scroll = scroll;
        out
    }

    fn click(&mut self, row: usize, cx: &Cx) -> Vec<Command> {
        let all = rows(cx.results);
        pick_row(&mut self.scroll, row, |i| all.get(i).map(|r| r.1.is_none()));
        vec![]
    }

    fn settle(&mut self, cx: &Cx) {
        let all = rows(cx.results);
        settle_rows(&mut self.scroll, all.len(), cx.rows, |i| all[i].1.is_none());
    }

    fn draw(&self, f: &mut Frame, r: Rect, cx: &Cx, theme: &Theme) {
        let (inner, mut lines) = panel_frame(f, r, "FACETS  Enter add · x exclude", cx.focused, theme);
        let w = inner.width as usize;
        let distinct = |field| cx.results.facets.iter().find(|c| c.field == field).map_or(0, |c| c.distinct);
        let all = rows(cx.results);
        for (i, (field, value)) in
            all.iter().enumerate().skip(self.scroll.offset).take((inner.height as usize).saturating_sub(1))
        {
            match value {
                None => lines.push(fitted(&format!("{} ({})", field.label(), distinct(*field)), w, theme.key)),
                Some((v, n)) => {
                    let style = theme.row(i == self.scroll.cursor, cx.focused);
                    let count = count_text(*n);
                    let mut spans = vec![Span::styled(count.clone(), style.patch(theme.dim))];
                    let counts = cx.results.facets.iter().find(|c| c.field == *field);
                    let label = visible(counts.map_or("", |c| c.label(&cx.labels, *v)));
                    spans.extend(cell(&label, w.saturating_sub(count.len()), &[], style, style));
                    lines.push(Line::from(spans));
                }
            }
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
