//! Text cut or padded to a number of cells, for every pane and overlay.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

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
