//! The header (counts, loading, time zone), the query line and the footer.

use crate::detect::Results;
use crate::format::thousands;
use crate::identity::Graph;
use crate::model::fields::Field;
use crate::sanitize::visible;
use crate::store::Store;
use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::layout::body_rows;
use crate::tui::theme::Theme;
use crate::tui::timefmt;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::sync::atomic::Ordering::Relaxed;

pub fn header(f: &mut Frame, app: &App, store: &Store, theme: &Theme, r: Rect) {
    let p = &app.data.progress;
    let problems = p.problem_count.load(Relaxed);
    let files = if p.is_done() { p.files_read() } else { p.files_done.load(Relaxed) };
    let mut parts = vec![
        format!(" trailscope  {} of {} events", thousands(app.len() as u64), thousands(app.results().searched as u64)),
        format!("{} files", thousands(files)),
    ];
    // Events that set off a rule among the matches (the level counts are cumulative: the last is every level).
    let flagged = app.results().facets.iter().find(|c| c.field == Field::Level).and_then(|c| c.values.last());
    if let Some(&(_, n)) = flagged {
        parts.push(format!("{} flagged (n)", thousands(n as u64)));
    }
    if !p.is_done() {
        let total = p.files_total.load(Relaxed).max(1);
        let pct = p.files_done.load(Relaxed) * 100 / total;
        let walking = !p.walking_done.load(Relaxed);
        parts.push(if walking {
            "finding files…".to_string()
        } else {
            // A ten-cell gauge of files read.
            let filled = (pct as usize / 10).min(10);
            // The events are counted once, at the left ("N of M events").
            format!(
                "loading {}{} {pct}% · {} MB",
                "█".repeat(filled),
                "░".repeat(10 - filled),
                p.json_bytes.load(Relaxed) >> 20
            )
        });
    }
    let mut spans = vec![Span::styled(parts.join(" · "), theme.header)];
    if problems > 0 {
        spans.push(Span::styled(format!(" · {} problems (!)", thousands(problems)), theme.header.patch(theme.warn)));
    }
    let dup = store.duplicates();
    if dup > 0 {
        spans.push(Span::styled(format!(" · {} duplicates dropped", thousands(dup)), theme.header));
    }
    let right = format!(" {} · ? help ", timefmt::zone(app.config.time));
    // The way to the help is never cut: the left side gives way.
    let mut room = (r.width as usize).saturating_sub(right.chars().count());
    for span in &mut spans {
        let w = span.width();
        if w > room {
            span.content = crate::sanitize::fit(&span.content, room).into();
        }
        room = room.saturating_sub(w);
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let pad = (r.width as usize).saturating_sub(used + right.chars().count());
    spans.push(Span::styled(" ".repeat(pad), theme.header));
    spans.push(Span::styled(right, theme.header));
    f.render_widget(Paragraph::new(Line::from(spans)).style(theme.header), r);
}

pub fn query_line(f: &mut Frame, app: &App, theme: &Theme, r: Rect) {
    if r.height == 0 {
        return;
    }
    let (text, editing) = match &app.prompt {
        Some(p) => (p.text.as_str(), true),
        None => (app.query(), false),
    };
    let mut spans = vec![Span::styled("/ ", if editing { theme.title_focused } else { theme.dim })];
    if text.is_empty() && !editing {
        spans.push(Span::styled("all events · press / to search", theme.dim));
    } else {
        spans.push(Span::raw(visible(text).into_owned()));
    }
    if let Some(e) = app.prompt.as_ref().and_then(|p| p.error.as_ref()) {
        spans.push(Span::styled(format!("   ✗ {}", visible(&e.message)), theme.error));
    } else if app.search.pending.is_some() {
        spans.push(Span::styled("   searching…", theme.dim));
    } else if !app.query().is_empty() || editing {
        spans.push(Span::styled(format!("   {} ms", app.results().elapsed.as_millis()), theme.dim));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), r);
    if let Some(p) = &app.prompt {
        let col = 2 + visible(&p.text[..p.cursor]).chars().count() as u16;
        f.set_cursor_position((r.x + col.min(r.width.saturating_sub(1)), r.y));
    }
}

pub fn footer(f: &mut Frame, app: &App, store: &Store, found: &Results, graph: &Graph, theme: &Theme, r: Rect) {
    if r.height == 0 {
        return;
    }
    let line = if let Some(msg) = &app.status {
        Line::from(Span::styled(visible(msg).into_owned(), theme.title_focused))
    } else {
        let mut spans = Vec::new();
        if app.prompt.is_none() && app.overlay.is_none() {
            let pane = app.panes.get(app.focus);
            let cx = app.cx(store, found, graph, app.focus, body_rows(app.areas().of(app.focus)));
            if let Some(prefix) = pane.footer(&cx) {
                spans.push(Span::styled(format!(" {} ", visible(&prefix)), theme.title));
            }
        }
        for (key, what) in keymap::hints(&app.scopes()) {
            spans.push(Span::styled(format!(" {key}"), theme.key));
            spans.push(Span::styled(format!(" {what} "), theme.dim));
        }
        if app.prompt.is_some() {
            spans.push(Span::styled(format!(" {}", crate::tui::prompt::TIP), theme.dim));
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line), r);
}
