//! The header (counts, loading, time zone), the query line and the footer.

use crate::engine::dataset::Indexing;
use crate::format::thousands;
use crate::model::fields::Field;
use crate::sanitize::visible;
use crate::store::Store;
use crate::tui::action::Asking;
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
use unicode_width::UnicodeWidthStr;

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
        parts.extend(p.transfer_lines());
    } else if p.memory_short.load(Relaxed) {
        // Then the index is not built either: this says why, and the problem list says more.
        parts.push("loading stopped before memory ran short: not every file was read (!)".into());
    } else {
        // Until the text index is ready, quoted text and paths read every record.
        match *app.data.index.read().unwrap_or_else(|e| e.into_inner()) {
            Indexing::Coming => parts.push("indexing text…".into()),
            Indexing::GaveUp => parts.push("text not indexed: quoted text and paths read every record".into()),
            Indexing::No | Indexing::Ready(_) => {}
        }
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
    let asking = app.prompt.as_ref().map_or(&Asking::Query, |p| &p.asking);
    let label = asking.label();
    let mut spans = vec![Span::styled(label, if editing { theme.title_focused } else { theme.dim })];
    let mut after = Vec::new();
    // A query says how its search went; other questions say nothing after the line.
    if let Some(e) = app.prompt.as_ref().and_then(|p| p.error.as_ref()) {
        after.push(Span::styled(format!("   ✗ {}", visible(&e.message)), theme.error));
    } else if *asking == Asking::Query && app.search.pending.is_some() {
        after.push(Span::styled("   searching…", theme.dim));
    } else if *asking == Asking::Query && (!app.query().is_empty() || editing) {
        after.push(Span::styled(format!("   {} ms", app.results().elapsed.as_millis()), theme.dim));
    }
    // The line scrolls sideways to keep the cursor in sight; … says text is hidden.
    let width = r.width as usize;
    let room = width.saturating_sub(label.width() + after.iter().map(|s| s.width()).sum::<usize>()).max(width / 2);
    let room = room.min(width.saturating_sub(label.width()));
    let cursor = app.prompt.as_ref().map_or(text.len(), |p| p.cursor);
    let (shown, col) = scrolled(text, cursor, room);
    if text.is_empty() && !editing {
        spans.push(Span::styled("all events · press / to search", theme.dim));
    } else {
        spans.push(Span::raw(shown));
    }
    spans.extend(after);
    f.render_widget(Paragraph::new(Line::from(spans)), r);
    if app.prompt.is_some() {
        let col = (label.width() + col) as u16;
        f.set_cursor_position((r.x + col.min(r.width.saturating_sub(1)), r.y));
    }
}

/// The part of `text` shown in `room` cells with the cursor (a byte offset)
/// in sight, and the cursor's cell in it. Cut ends are shown as `…`.
pub fn scrolled(text: &str, cursor: usize, room: usize) -> (String, usize) {
    let cells: Vec<String> = text.chars().map(|c| visible(c.encode_utf8(&mut [0; 4])).into_owned()).collect();
    let at = text[..cursor.min(text.len())].chars().count();
    let before: usize = cells[..at].iter().map(|c| c.width()).sum();
    let total: usize = cells.iter().map(|c| c.width()).sum();
    if total < room || room < 3 {
        return (cells.concat(), before);
    }
    // The first character shown keeps the cursor within three quarters of the room.
    let (mut start, mut lead_in) = (0, before);
    while start < at && 1 + lead_in > room * 3 / 4 {
        lead_in -= cells[start].width();
        start += 1;
    }
    let lead = if start > 0 { "…" } else { "" };
    let (mut out, mut used, mut end) = (lead.to_string(), lead.width(), start);
    // One cell is kept for the closing `…`.
    while end < cells.len() && used + cells[end].width() < room {
        used += cells[end].width();
        out.push_str(&cells[end]);
        end += 1;
    }
    if end < cells.len() {
        out.push('…');
    }
    (out, lead.width() + lead_in)
}

pub fn footer(f: &mut Frame, app: &App, held: &crate::tui::app::Reading, theme: &Theme, r: Rect) {
    if r.height == 0 {
        return;
    }
    let line = if let Some(msg) = &app.status {
        Line::from(Span::styled(visible(msg).into_owned(), theme.title_focused))
    } else {
        let mut spans = Vec::new();
        if app.prompt.is_none() && app.overlay.is_none() {
            let pane = app.panes.get(app.focus);
            let cx = app.cx(held, app.focus, body_rows(app.areas().of(app.focus)));
            if let Some(prefix) = pane.footer(&cx) {
                spans.push(Span::styled(format!(" {} ", visible(&prefix)), theme.title));
            }
        }
        let mut hints = keymap::hints(&app.scopes());
        // Where room is short, hints give way from the end, but for the last two (help, quit).
        let width = |h: &[(String, &str)]| h.iter().map(|(k, w)| k.width() + w.width() + 3).sum::<usize>();
        let prefix: usize = spans.iter().map(|s| s.width()).sum();
        while app.prompt.is_none() && hints.len() > 2 && prefix + width(&hints) > r.width as usize {
            hints.remove(hints.len() - 3);
        }
        for (key, what) in hints {
            spans.push(Span::styled(format!(" {key}"), theme.key));
            spans.push(Span::styled(format!(" {what} "), theme.dim));
        }
        if let Some(p) = &app.prompt {
            spans.push(Span::styled(format!(" {}", prompt_tip(&held.case, &p.asking)), theme.dim));
        }
        Line::from(spans)
    };
    f.render_widget(Paragraph::new(line), r);
}

/// What the footer says under the prompt: the query language, or the tags used so far.
/// (The case is the one already locked for drawing: locking it again could wait on a search.)
fn prompt_tip(case: &crate::case::Book, asking: &Asking) -> String {
    match asking {
        Asking::Query => format!("{} · ↑↓ history", crate::tui::prompt::TIP),
        Asking::Tag(ids) => {
            let used = case.case.tags_used();
            let names: Vec<String> = used.into_iter().take(12).map(|t| t.0).collect();
            let on = if ids.len() == 1 { "the event".to_string() } else { format!("{} events", ids.len()) };
            match names.is_empty() {
                true => format!("a word for {on}"),
                false => format!("for {on} · Tab: {}", visible(&names.join(" "))),
            }
        }
        Asking::Note(_) => "Enter keeps it".into(),
        Asking::QueryName(q) => format!("for {}", visible(q)),
        Asking::Export { .. } => "the name says the format: .csv, .jsonl, .md, or timesketch in it".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_line_scrolls_to_keep_the_cursor_in_sight() {
        assert_eq!(scrolled("name:x", 6, 20), ("name:x".to_string(), 6));
        let text = format!("{}END", "a".repeat(100));
        let (shown, col) = scrolled(&text, text.len(), 20);
        assert!(shown.starts_with('…') && shown.ends_with("END"), "{shown}");
        assert_eq!(shown.width(), col.max(shown.width()));
        assert!(col < 20 && shown.width() <= 20);
        let (shown, col) = scrolled(&text, 0, 20);
        assert!(shown.starts_with("aaa") && shown.ends_with('…') && shown.width() == 20 && col == 0, "{shown}");
        // Escapes count as what is shown.
        let (shown, col) = scrolled("a\u{1b}b", 2, 40);
        assert_eq!((shown.as_str(), col), ("a\\u001bb", 7));
    }
}
