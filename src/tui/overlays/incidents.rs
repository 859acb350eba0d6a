//! The incidents: the findings grouped by who is behind them, the highest
//! score first; what the responder sees first when there are findings.
//! Enter keeps an incident's events, `f`/`x` add or exclude `incident:N`.

use super::{Overlay, show_upto};
use crate::incident::{Incidents, strip};
use crate::model::fields::Field;
use crate::query::{Target, Term};
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::panes::Cx;
use crate::tui::text::fitted;
use crate::tui::theme::Theme;
use ratatui::Frame;

/// The overlay's widest frame: an incident's line is long.
const WIDEST: u16 = 170;

/// One incident as the overlay lists it (worked out once, when it opens).
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: u32,
    pub line: String,
    pub level: Option<crate::detect::Level>,
    /// Why it ranks where it does.
    pub why: String,
}

#[derive(Debug, Default)]
pub struct IncidentsView {
    pub rows: Vec<Row>,
    pub cursor: usize,
}

impl IncidentsView {
    pub fn open(incidents: &Incidents, found: &crate::detect::Results) -> IncidentsView {
        let rows = incidents
            .list
            .iter()
            .map(|i| {
                let level = i.score.level;
                let top = found.rules.rules[i.rules[0].0].meta.title.as_str();
                let rules = if i.rules.len() > 1 { format!("{top} +{}", i.rules.len() - 1) } else { top.to_string() };
                let first = crate::model::time::format_utc(i.first);
                let line = format!(
                    "{:>3} {:>5} {} {:<13} {:<24} {:<16} {:>5} {:>7}  {:<17}  {}",
                    i.id,
                    i.score.total,
                    level.map_or(" ", |l| l.glyph()),
                    level.map_or("", |l| l.name()),
                    crate::sanitize::fit(&i.origin, 24),
                    first.get(..16).unwrap_or(&first).replace('T', " "),
                    i.span(),
                    crate::format::thousands(i.events.len() as u64),
                    strip(&i.tactics),
                    crate::sanitize::visible(&rules)
                );
                let why = i
                    .score
                    .reasons
                    .iter()
                    .map(|(p, r)| if *p < 0 { r.clone() } else { format!("+{p} {r}") })
                    .collect::<Vec<_>>()
                    .join(" · ");
                Row { id: i.id, line, level, why }
            })
            .collect();
        IncidentsView { rows, cursor: 0 }
    }

    fn term(&self, negated: bool) -> Option<Term> {
        let r = self.rows.get(self.cursor)?;
        Some(Term::matching(Target::field(Field::Incident), &r.id.to_string(), negated))
    }
}

impl Overlay for IncidentsView {
    fn scope(&self) -> Scope {
        Scope::Incidents
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        if super::step_cursor(&mut self.cursor, action, self.rows.len(), cx.rows.saturating_sub(4)) {
            return vec![];
        }
        match action {
            Action::Back => return vec![Command::CloseOverlay],
            Action::CopyValue => {
                let Some(r) = self.rows.get(self.cursor) else { return vec![] };
                return vec![Command::Copy {
                    payload: format!("{}\n{}", r.line.trim(), r.why),
                    what: "incident".into(),
                }];
            }
            Action::Include => {
                let Some(t) = self.term(false) else { return vec![] };
                return vec![Command::Filter(vec![t]), Command::CloseOverlay];
            }
            Action::Pivot | Action::Exclude => {
                let Some(t) = self.term(*action == Action::Exclude) else { return vec![] };
                return vec![Command::AddTerm(t), Command::CloseOverlay];
            }
            _ => {}
        }
        vec![]
    }

    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme) {
        let w = super::frame_area_upto(f.area(), WIDEST).width.saturating_sub(2) as usize;
        let head = format!(
            "{:>3} {:>5} {:<15} {:<24} {:<16} {:>5} {:>7}  {:<17}  {}",
            "#", "SCORE", "LEVEL", "ORIGIN", "FIRST", "SPAN", "EVENTS", "TACTICS", "RULES"
        );
        let mut lines = vec![fitted(&head, w, theme.title)];
        // Two lines at the bottom say why the selected incident ranks where it does.
        let rows = cx.rows.saturating_sub(4);
        let top = (self.cursor + 1).saturating_sub(rows);
        for (i, r) in self.rows.iter().enumerate().skip(top).take(rows) {
            let style = theme.row(i == self.cursor, true);
            lines.push(fitted(&r.line, w, r.level.map_or(style, |l| style.patch(theme.level(l)))));
        }
        while lines.len() < rows + 1 {
            lines.push(fitted("", w, theme.dim));
        }
        if let Some(r) = self.rows.get(self.cursor) {
            for l in wrap(&format!("why {}: {}", r.id, r.why), w, 2) {
                lines.push(fitted(&l, w, theme.dim));
            }
        } else {
            lines.push(fitted("  nothing flagged at low or above: no incident", w, theme.dim));
        }
        let title = format!(
            " {} incidents · highest score first · Enter its events · f add · x exclude · Esc the list ",
            self.rows.len()
        );
        show_upto(f, theme, &title, lines, WIDEST);
    }
}

/// `text` in `most` lines of `width` columns, broken between words.
fn wrap(text: &str, width: usize, most: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    for word in text.split(' ') {
        let lines = out.len();
        let last = out.last_mut().expect("a line");
        if last.is_empty() || last.chars().count() + 1 + word.chars().count() <= width {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        } else if lines < most {
            out.push(word.to_string());
        } else {
            last.push_str(" …");
            break;
        }
    }
    out
}
