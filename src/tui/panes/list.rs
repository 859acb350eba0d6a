//! The event list: a row per matching event, in time order (or reversed).
//! Columns come from the field table; which show and how wide from the
//! text of the whole result (measured by the search), so they stay put as
//! the list pages and room goes where there is something to show. Only the
//! rows on screen are built.

use super::pane::{Cx, Meta, Pane, Slot};
use crate::engine::SearchResult;
use crate::engine::cells::Width;
use crate::model::fields::{Field, Kept, ListColumn, SUMMARY_FIELDS, list_fields};
use crate::query::fuzzy::FuzzyWord;
use crate::store::{EventId, Store};
use crate::tui::action::PaneId;
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::scroll::Scroll;
use crate::tui::text::cell;
use crate::tui::theme::Theme;
use crate::tui::timefmt;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, Clone, Default)]
pub struct ListPane {
    pub scroll: Scroll,
    /// Newest first.
    pub reversed: bool,
    /// Where a range being selected started (a row), until it is marked or tagged.
    pub anchor: Option<usize>,
    /// Record paths shown as columns after the built-in ones (the config's, the case's).
    pub extra: Vec<String>,
}

/// How wide a column of a record path is: its heading, within these bounds.
/// Fixed rather than measured, so it stays put as the list pages.
const EXTRA_WIDTH: (usize, usize) = (16, 32);

/// The text of record path `steps` in event `id`: the first value there,
/// a string as it is, anything else as its JSON.
fn path_text(cx: &Cx, id: EventId, steps: &[crate::query::path::Step]) -> String {
    let mut cache = crate::store::blobs::ChunkCache::new(1);
    let record = cx.store.record(id, &mut cache);
    let mut out = String::new();
    crate::query::path::any_value(record, steps, &mut |v| {
        out = crate::json::canon::scalar_text(v)
            .map_or_else(|| String::from_utf8_lossy(v).into_owned(), |t| t.into_owned());
        true
    });
    crate::sanitize::visible(&out).into_owned()
}

/// A column: the field it shows and its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub field: Field,
    pub width: usize,
}

/// A column's heading: the table's, else the label in capitals.
fn heading(f: Field) -> String {
    match f.def().column.map(|c| c.heading) {
        Some(h) if !h.is_empty() => h.to_string(),
        _ => f.label().to_uppercase(),
    }
}

/// The columns for `width` cells, given how wide each one's text is over
/// the result (`need`: typical and widest; 0 when it has none, else at
/// least its heading). Columns of rank 0 (level, time, event) are there
/// whenever they have something to show; the others join by rank while
/// their least width fits, and a column with nothing to show gives its
/// room away; a column with text for few events joins after the others.
/// The event name is then shown at its typical width if room
/// can be made by giving up the lowest-ranked columns; what is left goes to
/// the others by rank, up to their typical width, then their widest
/// (within their most), then past their most when room is still left.
pub fn columns(width: usize, need: impl Fn(Field) -> Width) -> Vec<Col> {
    let mut specs: Vec<(Field, ListColumn)> =
        list_fields().iter().filter_map(|&f| f.def().column.map(|c| (f, c))).collect();
    // By rank; a column with text for few events (an origin, an error) joins after those most have.
    specs.sort_by_key(|(f, c)| (c.rank > 0 && need(*f).typical == 0, c.rank));
    let typical = |f: Field, c: &ListColumn| need(f).typical.min(c.max as usize);
    let mut chosen: Vec<(Field, ListColumn, usize)> = Vec::new();
    let mut used = 0;
    for (f, c) in specs {
        let n = need(f);
        let w = n.typical.max(1).min(c.min as usize).max(heading(f).width().min(c.min as usize));
        if n.widest > 0 && (c.rank == 0 || used + w < width) {
            used += w + 1;
            chosen.push((f, c, w));
        }
    }
    let mut spare = width.saturating_sub(used);
    loop {
        let short: usize =
            chosen.iter().filter(|(_, c, _)| c.rank == 0).map(|(f, c, w)| typical(*f, c).saturating_sub(*w)).sum();
        if short <= spare || chosen.last().is_none_or(|(_, c, _)| c.rank == 0) {
            break;
        }
        let (_, _, w) = chosen.pop().expect("checked");
        spare += w + 1;
    }
    // Up to the typical width, then the widest within the most, then (room still left) past the
    // most: a long role name or tag list is shown whole.
    for stage in 0..3 {
        for (f, c, w) in &mut chosen {
            let target = match stage {
                0 => typical(*f, c),
                1 => need(*f).widest.min(c.max as usize),
                _ => need(*f).widest,
            };
            let grow = target.saturating_sub(*w).min(spare);
            *w += grow;
            spare -= grow;
        }
    }
    chosen.sort_by_key(|(_, c, _)| c.order);
    let mut cols: Vec<Col> = chosen.into_iter().map(|(field, _, width)| Col { field, width }).collect();
    // On a screen narrower than the columns that always show, they give way from the right.
    let mut over = cols.iter().map(|c| c.width + 1).sum::<usize>().saturating_sub(width + 1);
    for c in cols.iter_mut().rev() {
        let cut = over.min(c.width);
        c.width -= cut;
        over -= cut;
    }
    cols.retain(|c| c.width > 0);
    cols
}

/// Characters matched by the fuzzy words in each column of a row (char
/// indices), found once per row: the summary the search scored, then the
/// source address.
fn row_marks(cx: &Cx, id: EventId, words: &[FuzzyWord]) -> Vec<(Field, Vec<usize>)> {
    if words.is_empty() {
        return vec![];
    }
    // Rebuild the summary as the search scored it, noting each field's span.
    let mut summary = String::new();
    let mut spans = Vec::new();
    for &f in &SUMMARY_FIELDS {
        if cx.store.value_id(id, f) == 0 {
            continue;
        }
        if !summary.is_empty() {
            summary.push(' ');
        }
        let t = cx.labels.compact_of(id, f);
        let start = summary.chars().count();
        spans.push((f, start, start + t.chars().count()));
        summary.push_str(t);
    }
    let hits: Vec<usize> = words.iter().filter_map(|w| w.indices(&summary)).flatten().collect();
    let mut out: Vec<(Field, Vec<usize>)> = spans
        .iter()
        .map(|&(f, a, b)| (f, hits.iter().filter(|&&i| i >= a && i < b).map(|i| i - a).collect()))
        .collect();
    let ip = cx.labels.compact_of(id, Field::Ip);
    out.push((Field::Ip, words.iter().filter_map(|w| w.indices(ip)).flatten().collect()));
    out
}

impl ListPane {
    /// The event shown at list row `row` (honouring the order).
    pub fn event_at(&self, results: &SearchResult, row: usize) -> Option<EventId> {
        let ids = &results.ids;
        let i = if self.reversed { ids.len().checked_sub(row + 1)? } else { row };
        ids.get(i).copied()
    }

    pub fn selected(&self, results: &SearchResult) -> Option<EventId> {
        self.event_at(results, self.scroll.cursor)
    }

    /// Puts the cursor on `event` (or the nearest in time) in `results`.
    pub fn select_event(&mut self, event: Option<EventId>, store: &Store, results: &SearchResult) {
        let Some(event) = event else { return };
        let ids = &results.ids;
        let key = (store.time(event), event);
        let pos = ids.partition_point(|&i| (store.time(i), i) < key).min(ids.len().saturating_sub(1));
        self.scroll.cursor = if self.reversed { ids.len().saturating_sub(pos + 1) } else { pos };
    }

    /// Flips the order, keeping the selected event.
    pub fn toggle_order(&mut self, store: &Store, results: &SearchResult) {
        let keep = self.selected(results);
        self.reversed = !self.reversed;
        self.select_event(keep, store, results);
    }

    /// The text of a cell, as shown.
    fn text(cx: &Cx, id: EventId, f: Field) -> String {
        match f {
            Field::Time => timefmt::show(cx.store.time(id), cx.time),
            f => crate::sanitize::visible(&crate::engine::cells::cell(&cx.labels, cx.found, cx.graph, cx.case, id, f))
                .into_owned(),
        }
    }
}

impl Pane for ListPane {
    fn meta(&self) -> Meta {
        Meta { id: PaneId::List, slot: Slot::Main, scope: Scope::List }
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        if let Some(s) = self.scroll.step(action, cx.results.ids.len(), cx.rows) {
            self.scroll = s;
        } else if *action == Action::OpenDetail && cx.selected.is_some() {
            return vec![Command::Focus(PaneId::Detail)];
        } else if *action == Action::CopyValue
            && let Some(id) = cx.selected
        {
            // The row as the list reads it, its cells by tabs.
            let cells: Vec<String> =
                list_fields().iter().map(|&f| ListPane::text(cx, id, f)).filter(|t| !t.is_empty()).collect();
            return vec![Command::Copy { payload: cells.join("\t"), what: "row".into() }];
        }
        vec![]
    }

    fn click(&mut self, row: usize, cx: &Cx) -> Vec<Command> {
        let target = self.scroll.offset + row;
        if target < cx.results.ids.len() {
            self.scroll.cursor = target;
        }
        vec![]
    }

    fn settle(&mut self, cx: &Cx) {
        self.scroll = self.scroll.visible(cx.results.ids.len(), cx.rows);
    }

    fn draw(&self, f: &mut Frame, r: Rect, cx: &Cx, theme: &Theme) {
        let rows: Vec<EventId> = (self.scroll.offset..self.scroll.offset + cx.rows)
            .map_while(|row| self.event_at(cx.results, row))
            .collect();
        let texts: Vec<Vec<(Field, String)>> =
            rows.iter().map(|&id| list_fields().iter().map(|&f| (f, ListPane::text(cx, id, f))).collect()).collect();
        // The columns follow the whole result (measured by the search), and the rows on
        // screen where it has not measured them (a partial result) or they changed since (a mark).
        // With no rows on screen the headings alone decide (the list still reads as a list);
        // a column computed beside the store (the level) shows only with content.
        let need = |f: Field| {
            let on_screen = (texts.iter().flat_map(|row| row.iter().filter(|(g, _)| *g == f)))
                .map(|(_, t)| t.width())
                .max()
                .unwrap_or(0);
            let measured = cx.results.widths.iter().find(|(g, _)| *g == f).map(|(_, w)| *w);
            let w = match measured {
                Some(m) => Width { typical: m.typical, widest: m.widest.max(on_screen) },
                None => Width { typical: on_screen, widest: on_screen },
            };
            let heading = heading(f).width();
            match w.widest {
                0 if !rows.is_empty() || f.def().kept == Kept::Derived => Width::default(),
                // A column with text for few events stays typically empty (it joins last).
                _ => Width {
                    typical: if w.typical > 0 { w.typical.max(heading) } else { 0 },
                    widest: w.widest.max(heading),
                },
            }
        };
        // The user's record paths take their room first (they asked for them), then the table's columns.
        let extra: Vec<(String, Vec<crate::query::path::Step>, usize)> = (self.extra.iter())
            .filter_map(|p| {
                Some((p.clone(), crate::query::path::parse(p)?, p.width().clamp(EXTRA_WIDTH.0, EXTRA_WIDTH.1)))
            })
            .collect();
        let extra_room: usize = extra.iter().map(|e| e.2 + 1).sum();
        let cols = columns((r.width as usize).saturating_sub(extra_room).max(40.min(r.width as usize)), need);
        let mut lines: Vec<Line> = Vec::with_capacity(r.height as usize);
        let mut head = Vec::new();
        for c in &cols {
            // The time column says which way the list runs.
            let name = match (c.field, self.reversed) {
                (Field::Time, true) => "TIME ↑ newest first".to_string(),
                _ => heading(c.field),
            };
            head.extend(cell(&name, c.width, &[], theme.pane_title(cx.focused), theme.title));
            head.push(Span::raw(" "));
        }
        for (path, _, w) in &extra {
            head.extend(cell(&crate::sanitize::visible(path), *w, &[], theme.pane_title(cx.focused), theme.title));
            head.push(Span::raw(" "));
        }
        lines.push(Line::from(head));
        let words: Vec<FuzzyWord> =
            crate::query::parse(cx.query).map(|q| q.fuzzy_words().map(FuzzyWord::new).collect()).unwrap_or_default();
        if rows.is_empty() {
            let msg = if !cx.progress.is_done() && cx.results.searched == 0 { "loading…" } else { "no events match" };
            lines.push(Line::from(Span::styled(format!("  {msg}"), theme.dim)));
        }
        for (i, (&id, row)) in rows.iter().zip(&texts).enumerate() {
            let row_at = self.scroll.offset + i;
            let in_range =
                self.anchor.is_some_and(|a| (a.min(self.scroll.cursor)..=a.max(self.scroll.cursor)).contains(&row_at));
            let base = match theme.row(row_at == self.scroll.cursor, cx.focused) {
                s if in_range && row_at != self.scroll.cursor => s.patch(theme.selected_unfocused),
                s => s,
            };
            let marks = row_marks(cx, id, &words);
            let mut spans = Vec::new();
            for c in &cols {
                let shown = row.iter().find(|(g, _)| *g == c.field).map_or("", |(_, t)| t.as_str());
                let style = match c.field {
                    Field::Time => base.patch(theme.dim),
                    Field::Level => cx.found.level(id).map_or(base, |l| base.patch(theme.level(l))),
                    Field::Error => base.patch(theme.error),
                    _ => base,
                };
                // Marks index the raw text; escapes shift characters, so they only apply to clean text.
                let raw_len = cx.labels.compact_of(id, c.field).len();
                let m = match marks.iter().find(|(g, _)| *g == c.field) {
                    Some((_, m)) if shown.len() == raw_len => m.as_slice(),
                    _ => &[],
                };
                spans.extend(cell(shown, c.width, m, style, style.patch(theme.matched)));
                spans.push(Span::styled(" ", base));
            }
            for (_, steps, w) in &extra {
                spans.extend(cell(&path_text(cx, id, steps), *w, &[], base, base));
                spans.push(Span::styled(" ", base));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event's text as wide as the widest.
    fn whole(need: impl Fn(Field) -> usize) -> impl Fn(Field) -> Width {
        move |f| Width { typical: need(f), widest: need(f) }
    }

    #[test]
    fn columns_follow_the_content() {
        let names = |cols: &[Col]| cols.iter().map(|c| c.field.label()).collect::<Vec<_>>();
        let wide = |f: Field| match f {
            Field::Level => 1,
            Field::Time => 19,
            Field::Name => 40,
            Field::Origin | Field::New | Field::Mark | Field::Tag => 0,
            _ => 30,
        };
        assert_eq!(names(&columns(40, whole(wide))), ["level", "time", "event"]);
        // Rows whose credentials lead back to someone else: the origin comes after the actor.
        let behind = |f: Field| if f == Field::Origin { 12 } else { wide(f) };
        assert_eq!(names(&columns(200, whole(behind)))[4..6], ["actor", "origin"]);
        // Nothing flagged on screen: no level column.
        let quiet = |f: Field| if f == Field::Level { 0 } else { wide(f) };
        assert_eq!(names(&columns(40, whole(quiet))), ["time", "event"]);
        // Every column full: the event name is shown whole first, the actor gets the rest.
        assert_eq!(names(&columns(80, whole(wide))), ["level", "time", "event", "actor"]);
        assert_eq!(
            names(&columns(200, whole(wide))),
            ["level", "time", "service", "event", "actor", "source IP", "region", "error"]
        );
        // Room goes where there is text: a column with nothing on screen gives its room away.
        let sparse = |f: Field| match f {
            Field::Level => 1,
            Field::Time => 19,
            Field::Name => 28,
            Field::Source => 17,
            Field::Error | Field::Origin | Field::New | Field::Mark | Field::Tag => 0,
            _ => 14,
        };
        let cols = columns(170, whole(sparse));
        let of = |f: Field| cols.iter().find(|c| c.field == f).map(|c| c.width);
        // Room left over lets a column pass its most (16) to show its text whole.
        assert_eq!((of(Field::Name), of(Field::Source), of(Field::Error)), (Some(28), Some(17), None));
        // A long role session name is shown whole when there is room, cut to the column's most when not.
        let long_actor = |f: Field| if f == Field::Actor { 50 } else { sparse(f) };
        let actor = |w: usize| columns(w, whole(long_actor)).iter().find(|c| c.field == Field::Actor).map(|c| c.width);
        assert_eq!(actor(220), Some(50));
        assert!(actor(130).is_some_and(|w| (30..50).contains(&w)), "{:?}", actor(130));
        // The event name is shown whole, the lowest-ranked columns giving way; the actor gets the rest.
        let busy = |f: Field| match f {
            Field::Level => 1,
            Field::Time => 19,
            Field::Name => 28,
            Field::Actor => 30,
            Field::Source => 16,
            Field::Error | Field::Origin | Field::New | Field::Mark | Field::Tag => 0,
            _ => 15,
        };
        let cols = columns(76, whole(busy));
        assert_eq!(names(&cols), ["level", "time", "service", "event", "actor"]);
        let of = |f: Field| cols.iter().find(|c| c.field == f).map(|c| c.width).unwrap();
        assert_eq!((of(Field::Level), of(Field::Name), of(Field::Actor)), (1, 28, 15));
        // One rare long event name does not push the service out at 80 columns; it is shown whole when room allows.
        let rare = |f: Field| match f {
            Field::Name => Width { typical: 18, widest: 36 },
            f => whole(busy)(f),
        };
        assert!(names(&columns(80, rare)).contains(&"service"));
        let name_width = |w| columns(w, rare).iter().find(|c| c.field == Field::Name).map(|c| c.width);
        assert_eq!((name_width(80), name_width(200)), (Some(18), Some(36)));
        for w in [0, 10, 40, 80, 120, 300] {
            let total: usize = columns(w, whole(wide)).iter().map(|c| c.width + 1).sum();
            assert!(total <= w + 1, "{w}: {total}");
        }
    }
}
