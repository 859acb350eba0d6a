//! The help (from the key table) and the list of problems, over the screen.

use super::super::app::App;
use super::super::keymap;
use super::super::theme::Theme;
use super::fitted;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

fn frame_area(f: &Frame) -> Rect {
    let a = f.area();
    let w = a.width.saturating_sub(4).min(100);
    let h = a.height.saturating_sub(2);
    Rect { x: a.x + (a.width - w) / 2, y: a.y + (a.height - h) / 2, width: w, height: h }
}

fn show(f: &mut Frame, theme: &Theme, title: &str, lines: Vec<Line<'static>>, scroll: usize) {
    let r = frame_area(f);
    if r.width < 4 || r.height < 3 {
        return;
    }
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.title)
        .title(title.to_string())
        .title_style(theme.title_focused);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let max = lines.len().saturating_sub(inner.height as usize);
    let lines: Vec<Line> = lines.into_iter().skip(scroll.min(max)).take(inner.height as usize).collect();
    f.render_widget(Paragraph::new(lines), inner);
}

pub fn help(f: &mut Frame, theme: &Theme, scroll: usize) {
    let w = frame_area(f).width.saturating_sub(2) as usize;
    let mut lines = Vec::new();
    for (scope, rows) in keymap::help() {
        lines.push(fitted(scope, w, theme.title_focused));
        for (keys, what) in rows {
            let mut l = fitted(&format!("  {keys:<22}"), 24.min(w), theme.key);
            l.spans.extend(fitted(what, w.saturating_sub(24), ratatui::style::Style::new()).spans);
            lines.push(l);
        }
        lines.push(Line::default());
    }
    lines.extend(keymap::HELP_FOOTER.iter().map(|l| fitted(l, w, theme.dim)));
    debug_assert_eq!(lines.len(), keymap::help_lines());
    show(f, theme, " help · Esc closes ", lines, scroll);
}

pub fn problems(f: &mut Frame, app: &App, theme: &Theme, scroll: usize) {
    let area = frame_area(f);
    let (w, rows) = (area.width.saturating_sub(2) as usize, area.height.saturating_sub(2) as usize);
    // Two lines a problem; only the problems on screen are fetched.
    let total = app.progress.problem_count.load(std::sync::atomic::Ordering::Relaxed) as usize;
    let scroll = scroll.min((2 * total).saturating_sub(rows));
    let mut lines = Vec::new();
    if total == 0 {
        lines.push(fitted("No problems: every file and record was read.", w, theme.dim));
    }
    for p in app.progress.problems_page(scroll / 2, rows / 2 + 1) {
        let place = p.place.map(|pl| format!(" ({pl})")).unwrap_or_default();
        lines.push(fitted(&format!("{}{place}", p.path), w, theme.key));
        lines.push(fitted(&format!("  {}", p.message), w, theme.error));
    }
    show(f, theme, &format!(" {total} problems · Esc closes "), lines, scroll % 2);
}
