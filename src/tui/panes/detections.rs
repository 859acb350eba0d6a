//! The detections panel: over the current matches, the events at each level
//! (or above) and the events of each rule that found something, the most
//! serious first. Like the facets, a row is added to the query (`level:high`,
//! `rule:ID`) or excluded from it.

use super::pane::{Cx, Meta, Pane, Slot, count_text, panel_frame, pick_row, settle_rows, term_panel};
use crate::detect::{Level, Results};
use crate::engine::SearchResult;
use crate::model::fields::Field;
use crate::query::{Target, Term};
use crate::sanitize::visible;
use crate::tui::action::{Action, Command, PaneId};
use crate::tui::keymap::Scope;
use crate::tui::scroll::Scroll;
use crate::tui::text::{cell, fitted};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

#[derive(Debug, Clone, Default)]
pub struct DetectionsPane {
    pub scroll: Scroll,
}

/// A row of the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Row {
    Heading(Field),
    /// Events at this level or above.
    Level(Level, u32),
    /// A rule (index in the rule set), its events, and the rows `detect`
    /// folds them into (0: not known yet).
    Rule(usize, u32, u32),
}

/// The panel flattened: levels, then rules by level (most serious first)
/// and by events.
pub fn rows(results: &SearchResult, found: &Results) -> Vec<Row> {
    let facet = |f: Field| results.facets.iter().find(|c| c.field == f);
    let counts = |f: Field| facet(f).map_or(&[][..], |c| c.values.as_slice());
    let mut out = Vec::new();
    let levels: Vec<Row> =
        counts(Field::Level).iter().filter_map(|&(l, n)| Some(Row::Level(Level::from_u8(l as u8)?, n))).collect();
    if !levels.is_empty() {
        out.push(Row::Heading(Field::Level));
        out.extend(levels);
    }
    let rows = facet(Field::Rule).map_or(&[][..], |c| c.rows.as_slice());
    let mut rules: Vec<(usize, u32, u32)> = counts(Field::Rule)
        .iter()
        .enumerate()
        .map(|(i, &(r, n))| (r as usize, n, rows.get(i).copied().unwrap_or(0)))
        .filter(|&(r, ..)| r < found.rules.rules.len())
        .collect();
    rules.sort_by_key(|&(r, n, _)| (std::cmp::Reverse(found.rules.rules[r].meta.level), std::cmp::Reverse(n), r));
    if !rules.is_empty() {
        out.push(Row::Heading(Field::Rule));
        out.extend(rules.into_iter().map(|(r, n, rows)| Row::Rule(r, n, rows)));
    }
    out
}

impl DetectionsPane {
    fn term(&self, cx: &Cx, negated: bool) -> Vec<Command> {
        let term = match rows(cx.results, cx.found).get(self.scroll.cursor) {
            Some(Row::Level(l, _)) => Term::matching(Target::field(Field::Level), l.name(), negated),
            Some(Row::Rule(r, ..)) => {
                Term::matching(Target::field(Field::Rule), cx.found.rules.rules[*r].meta.key(), negated)
            }
            _ => return vec![],
        };
        vec![Command::AddTerm(term)]
    }
}

impl Pane for DetectionsPane {
    fn meta(&self) -> Meta {
        Meta { id: PaneId::Detections, slot: Slot::Left, scope: Scope::Detections }
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        let all = rows(cx.results, cx.found);
        // The panel cuts a rule's title to its width: `w` shows the rule whole.
        if *action == Action::ShowFull {
            let Some(Row::Rule(r, ..)) = all.get(self.scroll.cursor) else { return vec![] };
            let meta = &cx.found.rules.rules[*r].meta;
            let text = format!(
                "{} {} · {}\n\n{}\n\n{}",
                meta.level.glyph(),
                meta.level.name(),
                meta.title,
                meta.description,
                meta.key()
            );
            return vec![Command::Show("rule".into(), text)];
        }
        let mut scroll = self.scroll;
        let heading = |i: usize| matches!(all.get(i), Some(Row::Heading(_)));
        let out = term_panel(&mut scroll, action, (all.len(), cx.rows), heading, |negated| self.term(cx, negated));
        self.scroll = scroll;
        out
    }

    fn click(&mut self, row: usize, cx: &Cx) -> Vec<Command> {
        let all = rows(cx.results, cx.found);
        pick_row(&mut self.scroll, row, |i| all.get(i).map(|r| matches!(r, Row::Heading(_))));
        vec![]
    }

    fn settle(&mut self, cx: &Cx) {
        let all = rows(cx.results, cx.found);
        settle_rows(&mut self.scroll, all.len(), cx.rows, |i| matches!(all[i], Row::Heading(_)));
    }

    fn draw(&self, f: &mut Frame, r: Rect, cx: &Cx, theme: &Theme) {
        let (inner, mut lines) = panel_frame(f, r, "DETECTIONS  Enter · x exclude", cx.focused, theme);
        let w = inner.width as usize;
        let all = rows(cx.results, cx.found);
        if all.is_empty() {
            let msg = if cx.found.evaluated < cx.store.len() { "  rules running…" } else { "  nothing flagged here" };
            lines.push(fitted(msg, w, theme.dim));
        }
        for (i, row) in all.iter().enumerate().skip(self.scroll.offset).take((inner.height as usize).saturating_sub(1))
        {
            let style = theme.row(i == self.scroll.cursor, cx.focused);
            let (level, n, label) = match *row {
                Row::Heading(Field::Level) => {
                    lines.push(fitted("level (or above)", w, theme.key));
                    continue;
                }
                Row::Heading(_) => {
                    lines.push(fitted(
                        &format!("rule ({})", all.iter().filter(|r| matches!(r, Row::Rule(..))).count()),
                        w,
                        theme.key,
                    ));
                    continue;
                }
                Row::Level(l, n) => (l, n, l.name().to_string()),
                Row::Rule(rule, n, rows) => {
                    let m = &cx.found.rules.rules[rule].meta;
                    // As `detect` prints them: repeats by one identity within the hour are one row.
                    let folded = match rows {
                        r if r == 0 || r >= n => String::new(),
                        1 => "1 row · ".to_string(),
                        r => format!("{} rows · ", count_text(r).trim()),
                    };
                    (m.level, n, format!("{folded}{}", visible(&m.title)))
                }
            };
            let count = count_text(n);
            let mut spans = vec![
                Span::styled(level.glyph(), style.patch(theme.level(level))),
                Span::styled(count.clone(), style.patch(theme.dim)),
            ];
            spans.extend(cell(&label, w.saturating_sub(count.len() + 1), &[], style, style));
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
