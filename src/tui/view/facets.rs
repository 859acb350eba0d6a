//! The facets panel: top values of each facet over the current matches.

use super::super::app::{App, Focus};
use super::super::theme::Theme;
use super::{cell, fitted};
use crate::sanitize::visible;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn draw(f: &mut Frame, app: &App, theme: &Theme, r: Rect) {
    let block = Block::default().borders(Borders::RIGHT).border_style(theme.dim);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let focused = app.focus == Focus::Facets;
    let w = inner.width as usize;
    let mut lines = vec![fitted("FACETS  Enter add · x exclude", w, theme.pane_title(focused))];
    let rows = app.facet_rows();
    let store = app.store.read().unwrap_or_else(|e| e.into_inner());
    let labels = crate::query::labels::Labels::new(&store);
    let distinct = |field| app.results.facets.iter().find(|c| c.field == field).map_or(0, |c| c.distinct);
    for (i, (facet, value)) in
        rows.iter().enumerate().skip(app.facets.offset).take((inner.height as usize).saturating_sub(1))
    {
        match value {
            None => lines.push(fitted(&format!("{} ({})", facet.label(), distinct(*facet)), w, theme.key)),
            Some((v, n)) => {
                let style = theme.row(i == app.facets.cursor, focused);
                let count = format!("{:>7} ", crate::format::thousands(*n as u64));
                let mut spans = vec![Span::styled(count.clone(), style.patch(theme.dim))];
                spans.extend(cell(
                    &visible(labels.label(*facet, *v)),
                    w.saturating_sub(count.len()),
                    &[],
                    style,
                    style,
                ));
                lines.push(Line::from(spans));
            }
        }
    }
    f.render_widget(Paragraph::new(lines), inner);
}
