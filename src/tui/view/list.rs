//! The event list: a row per event, columns dropped by priority when narrow,
//! fuzzy-matched characters highlighted. Only the rows on screen are built.

use super::super::app::{App, Focus};
use super::super::theme::Theme;
use super::super::timefmt;
use super::cell;
use crate::model::fields::{Field as Facet, SUMMARY_FIELDS};
use crate::query::fuzzy::FuzzyWord;
use crate::query::labels::Labels;
use crate::sanitize::visible;
use crate::store::{EventId, Store};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A column: the facet it shows (None: the time) and its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub facet: Option<Facet>,
    pub width: usize,
}

const TIME_W: usize = 19;

/// Which columns fit in `width`, and how wide: time and event name always,
/// then actor, error, service, source IP and region as room allows.
pub fn columns(width: usize) -> Vec<Col> {
    // (facet, least width, most width), in the order they are given up.
    let optional = [
        (Facet::Actor, 12, 30),
        (Facet::Error, 12, 26),
        (Facet::Source, 8, 16),
        (Facet::Ip, 15, 39),
        (Facet::Region, 14, 16),
    ];
    let name = (14, 36);
    let mut chosen: Vec<(Facet, usize, usize)> = vec![];
    // Every column is followed by one space.
    let mut used = TIME_W + 1 + name.0 + 1;
    for (f, min, max) in optional {
        if used + 1 + min <= width {
            used += 1 + min;
            chosen.push((f, min, max));
        }
    }
    // Share the spare width a cell at a time among the columns that can grow.
    let mut spare = width.saturating_sub(used);
    let mut name_w = name.0;
    let mut widths: Vec<usize> = chosen.iter().map(|c| c.1).collect();
    while spare > 0 {
        let before = spare;
        if name_w < name.1 {
            name_w += 1;
            spare -= 1;
        }
        for (i, c) in chosen.iter().enumerate() {
            if spare > 0 && widths[i] < c.2 {
                widths[i] += 1;
                spare -= 1;
            }
        }
        if spare == before {
            break;
        }
    }
    name_w += spare;
    let width_of = |f: Facet| chosen.iter().position(|c| c.0 == f).map(|i| widths[i]);
    let mut cols = vec![Col { facet: None, width: TIME_W.min(width) }];
    // Display order: time, service, event, actor, source IP, region, error.
    for f in [Facet::Source, Facet::Name, Facet::Actor, Facet::Ip, Facet::Region, Facet::Error] {
        let w = if f == Facet::Name { Some(name_w) } else { width_of(f) };
        if let Some(w) = w {
            cols.push(Col { facet: Some(f), width: w });
        }
    }
    cols
}

fn title(f: Facet) -> &'static str {
    match f {
        Facet::Name => "event",
        Facet::Ip => "source IP",
        other => other.label(),
    }
}

/// The text of a column for an event, as shown.
fn text(store: &Store, id: EventId, f: Facet) -> &str {
    Labels::new(store).compact_of(id, f)
}

/// Characters matched by the fuzzy words in each column of a row (char
/// indices), found once per row: the summary the search scored, then the
/// source address.
fn row_marks(store: &Store, id: EventId, words: &[FuzzyWord]) -> Vec<(Facet, Vec<usize>)> {
    if words.is_empty() {
        return vec![];
    }
    // Rebuild the summary as the search scored it, noting each field's span.
    let mut summary = String::new();
    let mut spans = Vec::new();
    for &f in &SUMMARY_FIELDS {
        if store.value_id(id, f) == 0 {
            continue;
        }
        if !summary.is_empty() {
            summary.push(' ');
        }
        let t = text(store, id, f);
        let start = summary.chars().count();
        spans.push((f, start, start + t.chars().count()));
        summary.push_str(t);
    }
    let hits: Vec<usize> = words.iter().filter_map(|w| w.indices(&summary)).flatten().collect();
    let mut out: Vec<(Facet, Vec<usize>)> = spans
        .iter()
        .map(|&(f, a, b)| (f, hits.iter().filter(|&&i| i >= a && i < b).map(|i| i - a).collect()))
        .collect();
    let ip = text(store, id, Facet::Ip);
    out.push((Facet::Ip, words.iter().filter_map(|w| w.indices(ip)).flatten().collect()));
    out
}

pub fn draw(f: &mut Frame, app: &App, theme: &Theme, r: Rect) {
    let cols = columns(r.width as usize);
    let focused = app.focus == Focus::List;
    let mut lines: Vec<Line> = Vec::with_capacity(r.height as usize);
    let mut head = Vec::new();
    for c in &cols {
        let t = c.facet.map_or("time", title);
        head.extend(cell(&t.to_uppercase(), c.width, &[], theme.pane_title(focused), theme.title));
        head.push(Span::raw(" "));
    }
    lines.push(Line::from(head));
    let store = app.store.read().unwrap_or_else(|e| e.into_inner());
    let words: Vec<FuzzyWord> =
        crate::query::parse(&app.query).map(|q| q.fuzzy_words().map(FuzzyWord::new).collect()).unwrap_or_default();
    let rows = (r.height as usize).saturating_sub(1);
    if app.is_empty() {
        let msg = if !app.progress.is_done() && app.results.searched == 0 { "loading…" } else { "no events match" };
        lines.push(Line::from(Span::styled(format!("  {msg}"), theme.dim)));
    }
    for row in app.list.offset..(app.list.offset + rows).min(app.len()) {
        let Some(id) = app.event_at(row) else { break };
        let selected = row == app.list.cursor;
        let base = theme.row(selected, focused);
        let marks = row_marks(&store, id, &words);
        let mut spans = Vec::new();
        for c in &cols {
            match c.facet {
                None => spans.extend(cell(
                    &timefmt::show(store.time(id), app.time),
                    c.width,
                    &[],
                    base.patch(theme.dim),
                    base,
                )),
                Some(fc) => {
                    let raw = text(&store, id, fc);
                    let shown = visible(raw);
                    // Marks index the raw text; escapes shift characters, so they only apply to clean text.
                    let m = match marks.iter().find(|(f, _)| *f == fc) {
                        Some((_, m)) if shown.len() == raw.len() => m.as_slice(),
                        _ => &[],
                    };
                    let style = if fc == Facet::Error { base.patch(theme.error) } else { base };
                    spans.extend(cell(&shown, c.width, m, style, style.patch(theme.matched)));
                }
            }
            spans.push(Span::styled(" ", base));
        }
        lines.push(Line::from(spans));
    }
    f.render_widget(Paragraph::new(lines), r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_land_in_the_columns_that_matched() {
        let store = std::sync::RwLock::new(Store::new());
        let ev = br#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","sourceIPAddress":"203.0.113.9","userIdentity":{"type":"IAMUser","userName":"alice"}}"#;
        crate::loader::load_bytes(vec![("e.json".into(), ev.to_vec())], &store, &crate::loader::Progress::default());
        let s = store.read().unwrap();
        let words = [FuzzyWord::new("alice"), FuzzyWord::new("203.0")];
        let marks = row_marks(&s, 0, &words);
        let of = |f: Facet| marks.iter().find(|(g, _)| *g == f).map(|(_, m)| m.clone()).unwrap_or_default();
        assert_eq!(of(Facet::Actor), vec![0, 1, 2, 3, 4]);
        assert_eq!(of(Facet::Ip), vec![0, 1, 2, 3, 4]);
        assert!(of(Facet::Name).is_empty() && of(Facet::Source).is_empty());
        assert!(row_marks(&s, 0, &[]).is_empty());
    }

    #[test]
    fn columns_drop_by_priority() {
        let names = |w| columns(w).iter().map(|c| c.facet.map_or("time", |f| f.label())).collect::<Vec<_>>();
        assert_eq!(names(40), ["time", "event"]);
        assert_eq!(names(80), ["time", "service", "event", "actor", "error"]);
        assert_eq!(names(160), ["time", "service", "event", "actor", "source IP", "region", "error"]);
        for w in [0, 10, 40, 80, 120, 300] {
            let total: usize = columns(w).iter().map(|c| c.width + 1).sum();
            assert!(total <= w.max(TIME_W + 16), "{w}: {total}");
        }
    }
}
