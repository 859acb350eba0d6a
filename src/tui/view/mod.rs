//! Drawing: a pure function of the state. Only what is on screen is built:
//! the visible rows of the list and of the tree.

mod detail;
mod facets;
mod header;
mod histogram;
mod list;
mod overlay;

use super::app::{App, Overlay};
use super::theme::Theme;
use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let areas = super::layout::layout(f.area(), app);
    header::header(f, app, theme, areas.header);
    header::query_line(f, app, theme, areas.query);
    if let Some(r) = areas.histogram {
        histogram::draw(f, app, theme, r);
    }
    if let Some(r) = areas.facets {
        facets::draw(f, app, theme, r);
    }
    if let Some(r) = areas.list {
        list::draw(f, app, theme, r);
    }
    if let Some(r) = areas.detail {
        detail::draw(f, app, theme, r);
    }
    header::footer(f, app, theme, areas.footer);
    match app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => overlay::help(f, theme, scroll),
        Overlay::Problems { scroll } => overlay::problems(f, app, theme, scroll),
    }
}

/// Spans for `text` (already made visible) cut or padded to `width` cells,
/// with the characters at `marks` (char indices) in `mark` style.
pub fn cell(text: &str, width: usize, marks: &[usize], base: Style, mark: Style) -> Vec<Span<'static>> {
    let (kept, mut used, cut) = crate::sanitize::fit_prefix(text, width);
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut run = String::new();
    let mut run_marked = false;
    for (i, c) in text.chars().take(kept).enumerate() {
        let marked = marks.contains(&i);
        if marked != run_marked && !run.is_empty() {
            spans.push(Span::styled(std::mem::take(&mut run), if run_marked { mark } else { base }));
        }
        run_marked = marked;
        run.push(c);
    }
    if !run.is_empty() {
        spans.push(Span::styled(run, if run_marked { mark } else { base }));
    }
    if cut && width > 0 {
        spans.push(Span::styled("…", base));
        used += 1;
    }
    if used < width {
        spans.push(Span::styled(" ".repeat(width - used), base));
    }
    spans
}

/// A line of `text`, made visible and fitted to `width`.
pub fn fitted(text: &str, width: usize, style: Style) -> Line<'static> {
    Line::from(cell(&crate::sanitize::visible(text), width, &[], style, style))
}
