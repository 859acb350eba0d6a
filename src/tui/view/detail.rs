//! The detail pane: the selected event as a collapsible JSON tree.

use super::super::app::{App, Focus};
use super::super::theme::Theme;
use super::super::tree::{Kind, Tree};
use super::{cell, fitted};
use crate::json::canon;
use crate::sanitize::visible;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// The start of a value as shown in `cells` columns: strings unescaped and
/// quoted, long ones cut (only the part shown is decoded, so a 20 MB string
/// costs no more than a short one).
pub fn preview(raw: &[u8], cells: usize) -> String {
    if raw.first() != Some(&b'"') {
        return String::from_utf8_lossy(&raw[..raw.len().min(cells * 4 + 8)]).into_owned();
    }
    let limit = cells * 4 + 16;
    if raw.len() <= limit {
        return format!("\"{}\"", canon::unescape(raw));
    }
    // Cut before any escape the limit would split, and on a character boundary.
    let mut cut = limit;
    if let Some(back) = raw[cut - 6..cut].iter().rposition(|&b| b == b'\\') {
        cut = cut - 6 + back;
    }
    while cut > 1 && (raw[cut] & 0xc0) == 0x80 {
        cut -= 1;
    }
    let mut head = raw[..cut].to_vec();
    head.push(b'"');
    format!("\"{}…", canon::unescape(&head))
}

fn summary(tree: &Tree, row: usize) -> String {
    match tree.rows[row].kind {
        Kind::Container { array: true, len, .. } => format!("[{len} item{}]", if len == 1 { "" } else { "s" }),
        Kind::Container { array: false, len, .. } => format!("{{{len} key{}}}", if len == 1 { "" } else { "s" }),
        Kind::Scalar => String::new(),
    }
}

/// Levels shown as indentation; deeper rows show their level as a number,
/// so a value 200,000 levels down costs a few cells, not a screen of spaces.
const MAX_INDENT: u32 = 24;

fn indent(depth: u32) -> String {
    let level = depth.saturating_sub(1);
    if level <= MAX_INDENT {
        "  ".repeat(level as usize)
    } else {
        format!("{}⋯{level} ", "  ".repeat(MAX_INDENT as usize - 4))
    }
}

pub fn draw(f: &mut Frame, app: &App, theme: &Theme, r: Rect) {
    let block = Block::default().borders(Borders::LEFT).border_style(theme.dim);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let focused = app.focus == Focus::Detail;
    let w = inner.width as usize;
    let title_style = theme.pane_title(focused);
    let Some(d) = &app.detail else {
        f.render_widget(Paragraph::new(fitted("DETAIL", w, title_style)), inner);
        return;
    };
    let name = {
        let s = app.store.read().unwrap_or_else(|e| e.into_inner());
        format!(
            "{} · {}",
            s.value(d.event, crate::model::fields::Field::Name),
            super::super::timefmt::show(s.time(d.event), app.time)
        )
    };
    let mut lines = vec![fitted(&format!("DETAIL  {name}"), w, title_style)];
    let t = &d.tree;
    let rows = (inner.height as usize).saturating_sub(1);
    for (pos, &row) in t.visible().iter().enumerate().skip(d.scroll.offset).take(rows) {
        let selected = pos == d.scroll.cursor;
        let base = theme.row(selected, focused);
        let r = &t.rows[row];
        let indent = indent(r.depth);
        let marker = match r.kind {
            Kind::Container { .. } if t.is_collapsed(row) => "▸ ",
            Kind::Container { .. } => "▾ ",
            Kind::Scalar => "  ",
        };
        let key = t.key_text(row).map(|k| visible(&k).into_owned()).unwrap_or_default();
        let mut spans = vec![
            Span::styled(format!("{indent}{marker}"), base.patch(theme.dim)),
            Span::styled(key.clone(), base.patch(theme.key)),
            Span::styled(": ", base),
        ];
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let room = w.saturating_sub(used);
        let value = match r.kind {
            Kind::Scalar => visible(&preview(t.raw(row), room)).into_owned(),
            Kind::Container { .. } => summary(t, row),
        };
        let style = match r.kind {
            Kind::Container { .. } => base.patch(theme.dim),
            Kind::Scalar if t.raw(row).first() == Some(&b'"') => base,
            Kind::Scalar => base.patch(theme.bar),
        };
        spans.extend(cell(&value, room, &[], style, style));
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_cut_long_strings_cheaply() {
        assert_eq!(preview(br#""short""#, 40), "\"short\"");
        assert_eq!(preview(b"12.50", 40), "12.50");
        let long = format!("\"{}\"", "A".repeat(20_000_000));
        let p = preview(long.as_bytes(), 10);
        assert!(p.len() < 80 && p.ends_with('…'));
        // An escape at the cut is not split.
        let esc = format!("\"{}\\u001b{}\"", "x".repeat(50), "y".repeat(100));
        assert!(!preview(esc.as_bytes(), 10).contains('\\'));
        let uni = format!("\"{}\"", "é".repeat(100));
        assert!(preview(uni.as_bytes(), 10).starts_with("\"éé"));
    }
}
