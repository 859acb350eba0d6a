//! The explorer's state and how actions change it. Nothing here touches the
//! terminal: the runtime feeds actions in and carries out the effects that
//! come back, and tests do the same without a screen.

use super::action::{Action, Effect};
use super::keymap::Scope;
use super::layout::{self, Areas, FACETS_WIDE};
use super::search::{Request, SearchResult};
use super::tree::{Kind, Tree};
use crate::cli::ClipboardMode;
use crate::loader::Progress;
use crate::model::fields::{Field, panel_fields};
use crate::query::glob::Glob;
use crate::query::labels::Labels;
use crate::query::{self, QueryError, Target, Term, TermKind};
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use ratatui::layout::Rect;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
    Facets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    None,
    Help { scroll: usize },
    Problems { scroll: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeMode {
    Utc,
    Local,
}

/// The query being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    /// Byte offset of the cursor in `text`.
    pub cursor: usize,
    /// The query before editing, restored by Esc.
    pub original: String,
    pub error: Option<QueryError>,
}

/// Values longer than this pivot on their first bytes followed by `*`.
pub const MAX_PIVOT_BYTES: usize = 1024;

/// The longest query the prompt takes: a search box holds words, not
/// documents, and every keystroke reruns the search on the whole text.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;

impl Prompt {
    /// Inserts `text` at the cursor, as much of it as fits in
    /// [`MAX_QUERY_BYTES`]. Returns whether anything was inserted.
    fn insert(&mut self, text: &str) -> bool {
        let room = MAX_QUERY_BYTES.saturating_sub(self.text.len());
        let mut take = text.len().min(room);
        while !text.is_char_boundary(take) {
            take -= 1;
        }
        self.text.insert_str(self.cursor, &text[..take]);
        self.cursor += take;
        take > 0
    }
}

/// A scrollable position: the cursor and the first row shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scroll {
    pub cursor: usize,
    pub offset: usize,
}

impl Scroll {
    /// Moves the cursor by `delta` within `len` items and keeps it in a
    /// window of `rows`.
    fn moved(self, delta: isize, len: usize, rows: usize) -> Scroll {
        let cursor = if len == 0 { 0 } else { (self.cursor as isize + delta).clamp(0, len as isize - 1) as usize };
        Scroll { cursor, offset: self.offset }.visible(len, rows)
    }

    /// Keeps the cursor in range and on screen.
    pub fn visible(mut self, len: usize, rows: usize) -> Scroll {
        self.cursor = self.cursor.min(len.saturating_sub(1));
        let rows = rows.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + rows {
            self.offset = self.cursor + 1 - rows;
        }
        self.offset = self.offset.min(len.saturating_sub(rows));
        self
    }
}

pub struct Detail {
    pub event: EventId,
    pub tree: Tree,
    pub scroll: Scroll,
}

pub struct App {
    pub store: Arc<RwLock<Store>>,
    pub progress: Arc<Progress>,
    /// The query whose results are shown (or are being computed).
    pub query: String,
    pub results: SearchResult,
    /// The newest search asked for.
    pub pending: Option<u64>,
    next_request: u64,
    pub prompt: Option<Prompt>,
    pub list: Scroll,
    /// Newest first.
    pub reversed: bool,
    pub focus: Focus,
    pub overlay: Overlay,
    /// None: shown when the terminal is wide enough.
    pub facets_shown: Option<bool>,
    pub facets: Scroll,
    pub detail: Option<Detail>,
    pub time: TimeMode,
    pub status: Option<String>,
    pub size: (u16, u16),
    pub mouse: bool,
    pub clipboard: ClipboardMode,
    pub quit: bool,
    cache: ChunkCache,
}

impl App {
    pub fn new(store: Arc<RwLock<Store>>, progress: Arc<Progress>, query: &str) -> Self {
        App {
            store,
            progress,
            query: query.trim().to_string(),
            results: SearchResult::default(),
            pending: None,
            next_request: 0,
            prompt: None,
            list: Scroll::default(),
            reversed: false,
            focus: Focus::List,
            overlay: Overlay::None,
            facets_shown: None,
            facets: Scroll::default(),
            detail: None,
            time: TimeMode::Utc,
            status: None,
            size: (80, 24),
            mouse: true,
            clipboard: ClipboardMode::Auto,
            quit: false,
            cache: ChunkCache::new(8),
        }
    }

    pub fn areas(&self) -> Areas {
        layout::layout(Rect::new(0, 0, self.size.0, self.size.1), self)
    }

    pub fn facets_visible(&self, width: u16) -> bool {
        self.facets_shown.unwrap_or(width >= FACETS_WIDE)
    }

    pub fn len(&self) -> usize {
        self.results.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.results.ids.is_empty()
    }

    /// The event shown at list row `row` (honouring the order).
    pub fn event_at(&self, row: usize) -> Option<EventId> {
        let ids = &self.results.ids;
        let i = if self.reversed { ids.len().checked_sub(row + 1)? } else { row };
        ids.get(i).copied()
    }

    pub fn selected(&self) -> Option<EventId> {
        self.event_at(self.list.cursor)
    }

    /// A search for the current query (the prompt's while editing).
    pub fn search(&mut self) -> Vec<Effect> {
        let text = self.prompt.as_ref().map_or(&self.query, |p| &p.text);
        match query::parse(text) {
            Ok(q) => {
                self.next_request += 1;
                self.pending = Some(self.next_request);
                vec![Effect::Search(Request { id: self.next_request, query: q })]
            }
            Err(e) => {
                if let Some(p) = &mut self.prompt {
                    p.error = Some(e);
                }
                vec![]
            }
        }
    }

    /// The scopes keys are looked up in, most specific first.
    pub fn scopes(&self) -> Vec<Scope> {
        if self.prompt.is_some() {
            return vec![Scope::Prompt];
        }
        if self.overlay != Overlay::None {
            return vec![Scope::Overlay];
        }
        let pane = match self.focus {
            Focus::List => Scope::List,
            Focus::Detail => Scope::Detail,
            Focus::Facets => Scope::Facets,
        };
        vec![pane, Scope::Global]
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let effects = self.apply(action);
        self.settle();
        effects
    }

    fn apply(&mut self, action: Action) -> Vec<Effect> {
        if self.prompt.is_some()
            && let Some(effects) = self.prompt_action(&action)
        {
            return effects;
        }
        if self.overlay != Overlay::None {
            return self.overlay_action(action);
        }
        let areas = self.areas();
        let list_rows = layout::body_rows(areas.list).saturating_sub(1);
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Search => {
                self.prompt = Some(Prompt {
                    text: self.query.clone(),
                    cursor: self.query.len(),
                    original: self.query.clone(),
                    error: None,
                });
            }
            Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
                let page = match self.focus {
                    Focus::List => list_rows,
                    Focus::Detail => layout::body_rows(areas.detail).saturating_sub(1),
                    Focus::Facets => layout::body_rows(areas.facets),
                }
                .max(1) as isize;
                let delta = match action {
                    Action::Up => -1,
                    Action::Down => 1,
                    Action::PageUp => -page,
                    Action::PageDown => page,
                    Action::Top => isize::MIN / 2,
                    _ => isize::MAX / 2,
                };
                self.move_by(delta);
            }
            Action::OpenDetail if self.selected().is_some() => self.focus = Focus::Detail,
            Action::Back => self.focus = Focus::List,
            Action::FocusNext | Action::FocusPrev => self.cycle_focus(action == Action::FocusNext),
            Action::ToggleOrder => {
                let keep = self.selected();
                self.reversed = !self.reversed;
                self.select_event(keep);
            }
            Action::ToggleTime => {
                self.time = if self.time == TimeMode::Utc { TimeMode::Local } else { TimeMode::Utc };
            }
            Action::ToggleFacets => {
                let shown = !self.facets_visible(self.size.0);
                self.facets_shown = Some(shown);
                self.focus = if shown && self.size.0 < layout::WIDE {
                    Focus::Facets
                } else if !shown && self.focus == Focus::Facets {
                    Focus::List
                } else {
                    self.focus
                };
            }
            Action::Help => self.overlay = Overlay::Help { scroll: 0 },
            Action::Problems => self.overlay = Overlay::Problems { scroll: 0 },
            Action::Collapse | Action::Expand | Action::ToggleNode | Action::ExpandAll | Action::CollapseAll => {
                self.tree_action(&action)
            }
            Action::Pivot => return self.pivot(),
            Action::Include | Action::Exclude => return self.facet_term(action == Action::Exclude),
            Action::CopyEvent | Action::CopyValue | Action::CopyPath => return self.copy(&action),
            Action::Resize(w, h) => self.size = (w, h),
            Action::ScrollAt { x, y, down } => {
                let delta = if down { 3 } else { -3 };
                let target = if layout::contains(areas.detail, x, y) {
                    Focus::Detail
                } else if layout::contains(areas.facets, x, y) {
                    Focus::Facets
                } else {
                    Focus::List
                };
                let before = self.focus;
                self.focus = target;
                self.move_by(delta);
                if target != Focus::List || before == Focus::List {
                    // Scrolling a pane does not move focus away from where the person works.
                    self.focus = before;
                }
            }
            Action::ClickAt { x, y } => self.click(&areas, x, y),
            Action::SearchDone(r) => self.take_results(*r),
            Action::Copied(msg) => self.status = Some(msg),
            // Prompt keys outside the prompt do nothing.
            _ => {}
        }
        vec![]
    }

    fn prompt_action(&mut self, action: &Action) -> Option<Vec<Effect>> {
        let p = self.prompt.as_mut()?;
        let edited = match action {
            Action::Insert(c) => {
                let mut buf = [0u8; 4];
                p.insert(c.encode_utf8(&mut buf))
            }
            Action::InsertText(text) => p.insert(text),
            Action::DeleteBack => {
                if let Some((i, _)) = p.text[..p.cursor].char_indices().next_back() {
                    p.text.remove(i);
                    p.cursor = i;
                }
                true
            }
            Action::DeleteForward => {
                if p.cursor < p.text.len() {
                    p.text.remove(p.cursor);
                }
                true
            }
            Action::CursorLeft => {
                p.cursor = p.text[..p.cursor].char_indices().next_back().map_or(0, |(i, _)| i);
                false
            }
            Action::CursorRight => {
                p.cursor = p.text[p.cursor..].chars().next().map_or(p.cursor, |c| p.cursor + c.len_utf8());
                false
            }
            Action::CursorHome => {
                p.cursor = 0;
                false
            }
            Action::CursorEnd => {
                p.cursor = p.text.len();
                false
            }
            Action::DeleteWord => {
                let before = p.text[..p.cursor].trim_end();
                let start = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
                p.text.replace_range(start..p.cursor, "");
                p.cursor = start;
                true
            }
            Action::ClearLine => {
                p.text.clear();
                p.cursor = 0;
                true
            }
            Action::Submit => {
                if p.error.is_some() {
                    return Some(vec![]);
                }
                self.query = p.text.trim().to_string();
                self.prompt = None;
                return Some(vec![]);
            }
            Action::Cancel => {
                let changed = p.text != p.original;
                self.query = p.original.clone();
                self.prompt = None;
                return Some(if changed { self.search() } else { vec![] });
            }
            // Anything else (resizes, results, copies) is handled as usual.
            _ => return None,
        };
        if edited {
            p.error = None;
            return Some(self.search());
        }
        Some(vec![])
    }

    fn overlay_action(&mut self, action: Action) -> Vec<Effect> {
        let page = self.size.1.saturating_sub(4) as isize;
        let scroll = match &mut self.overlay {
            Overlay::Help { scroll } | Overlay::Problems { scroll } => scroll,
            Overlay::None => return vec![],
        };
        match action {
            Action::Back => self.overlay = Overlay::None,
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Down => *scroll += 1,
            Action::Up => *scroll = scroll.saturating_sub(1),
            Action::PageDown => *scroll += page.max(1) as usize,
            Action::PageUp => *scroll = scroll.saturating_sub(page.max(1) as usize),
            Action::Resize(w, h) => self.size = (w, h),
            Action::SearchDone(r) => self.take_results(*r),
            Action::Copied(msg) => self.status = Some(msg),
            _ => {}
        }
        vec![]
    }

    fn move_by(&mut self, delta: isize) {
        let areas = self.areas();
        match self.focus {
            Focus::List => {
                let rows = layout::body_rows(areas.list).saturating_sub(1);
                self.list = self.list.moved(delta, self.len(), rows);
            }
            Focus::Detail => {
                let rows = layout::body_rows(areas.detail).saturating_sub(1);
                if let Some(d) = &mut self.detail {
                    d.scroll = d.scroll.moved(delta, d.tree.visible().len(), rows);
                }
            }
            Focus::Facets => {
                let rows = layout::body_rows(areas.facets);
                self.facets = self.facets.moved(delta, self.facet_rows().len(), rows);
            }
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        let mut panes = vec![];
        if self.facets_visible(self.size.0) {
            panes.push(Focus::Facets);
        }
        panes.push(Focus::List);
        if self.selected().is_some() {
            panes.push(Focus::Detail);
        }
        let at = panes.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = panes.len();
        self.focus = panes[if forward { (at + 1) % n } else { (at + n - 1) % n }];
    }

    fn click(&mut self, areas: &Areas, x: u16, y: u16) {
        // The first row of a pane is its title; the list has a column header too.
        let row_in = |r: Option<Rect>, skip: u16| {
            r.filter(|_| layout::contains(r, x, y)).and_then(|r| (y >= r.y + skip).then(|| (y - r.y - skip) as usize))
        };
        if let Some(row) = row_in(areas.list, 2) {
            self.focus = Focus::List;
            let target = self.list.offset + row;
            if target < self.len() {
                self.list.cursor = target;
            }
        } else if let Some(row) = row_in(areas.detail, 1) {
            self.focus = Focus::Detail;
            if let Some(d) = &mut self.detail {
                let target = d.scroll.offset + row;
                if target < d.tree.visible().len() {
                    d.scroll.cursor = target;
                }
            }
        } else if let Some(row) = row_in(areas.facets, 1) {
            self.focus = Focus::Facets;
            let target = self.facets.offset + row;
            if self.facet_rows().get(target).is_some_and(|r| r.1.is_some()) {
                self.facets.cursor = target;
            }
        }
    }

    /// Applies finished search results, if they are the newest asked for.
    fn take_results(&mut self, r: SearchResult) {
        // Only the answer to the newest request counts; older ones may still arrive.
        if r.id != self.next_request {
            return;
        }
        self.pending = None;
        let keep = self.selected();
        let first_results = self.results.ids.is_empty();
        self.results = r;
        if first_results {
            self.list = Scroll::default();
        } else {
            self.select_event(keep);
        }
    }

    /// Puts the cursor on `event` (or the nearest in time) in the current results.
    fn select_event(&mut self, event: Option<EventId>) {
        let Some(event) = event else { return };
        let ids = Arc::clone(&self.results.ids);
        let pos = {
            let s = self.store.read().unwrap_or_else(|e| e.into_inner());
            let key = (s.time(event), event);
            ids.partition_point(|&i| (s.time(i), i) < key)
        };
        let pos = pos.min(ids.len().saturating_sub(1));
        self.list.cursor = if self.reversed { ids.len().saturating_sub(pos + 1) } else { pos };
    }

    /// How far an overlay can scroll: its lines less the rows it shows (the
    /// overlay takes the screen less two rows, less its border).
    fn overlay_max_scroll(&self) -> usize {
        let lines = match self.overlay {
            Overlay::Help { .. } => super::keymap::help_lines(),
            Overlay::Problems { .. } => {
                2 * self.progress.problem_count.load(std::sync::atomic::Ordering::Relaxed) as usize
            }
            Overlay::None => 0,
        };
        lines.saturating_sub(self.size.1.saturating_sub(4) as usize)
    }

    /// After any action: keep scroll positions valid and the detail in step
    /// with the selection.
    fn settle(&mut self) {
        let max = self.overlay_max_scroll();
        if let Overlay::Help { scroll } | Overlay::Problems { scroll } = &mut self.overlay {
            *scroll = (*scroll).min(max);
        }
        let areas = self.areas();
        self.list = self.list.visible(self.len(), layout::body_rows(areas.list).saturating_sub(1));
        let facet_rows = self.facet_rows();
        self.facets = self.facets.visible(facet_rows.len(), layout::body_rows(areas.facets));
        // The cursor rests on values, not on headings (a heading is always followed by one).
        if facet_rows.get(self.facets.cursor).is_some_and(|r| r.1.is_none()) {
            self.facets.cursor += 1;
        }
        let want = self.selected();
        if want.is_none() {
            self.detail = None;
            if self.focus == Focus::Detail {
                self.focus = Focus::List;
            }
        } else if self.detail.as_ref().map(|d| d.event) != want
            && (areas.detail.is_some() || self.focus == Focus::Detail)
        {
            self.detail = want.map(|event| {
                let json = {
                    let s = self.store.read().unwrap_or_else(|e| e.into_inner());
                    s.record(event, &mut self.cache).to_vec()
                };
                Detail { event, tree: Tree::new(json), scroll: Scroll::default() }
            });
        }
        if let Some(d) = &mut self.detail {
            d.scroll = d.scroll.visible(d.tree.visible().len(), layout::body_rows(areas.detail).saturating_sub(1));
        }
    }

    fn tree_action(&mut self, action: &Action) {
        let Some(d) = &mut self.detail else { return };
        let Some(&row) = d.tree.visible().get(d.scroll.cursor) else {
            return;
        };
        match action {
            Action::Collapse if d.tree.is_container(row) && !d.tree.is_collapsed(row) => {
                d.tree.set_collapsed(row, true)
            }
            Action::Collapse => {
                // Already folded, or a value: go to the parent.
                if let Some(parent) = d.tree.rows[row].parent.filter(|&p| p != 0) {
                    d.scroll.cursor = d.tree.position_of(parent);
                }
                return;
            }
            Action::Expand => d.tree.set_collapsed(row, false),
            Action::ToggleNode => d.tree.set_collapsed(row, !d.tree.is_collapsed(row)),
            Action::ExpandAll => d.tree.set_all(false),
            Action::CollapseAll => d.tree.set_all(true),
            _ => return,
        }
        d.scroll.cursor = d.tree.position_of(row);
    }

    /// The facets panel, flattened: a heading row per facet (value None),
    /// then its values with their counts.
    pub fn facet_rows(&self) -> Vec<(Field, Option<(u32, u32)>)> {
        let mut rows = Vec::new();
        for c in &self.results.facets {
            if !panel_fields().contains(&c.field) || c.values.is_empty() {
                continue;
            }
            rows.push((c.field, None));
            rows.extend(c.values.iter().map(|&v| (c.field, Some(v))));
        }
        rows
    }

    /// Adds a term to the query (as a tree: the prompt shows its printed
    /// form) and searches.
    fn add_term(&mut self, term: Term) -> Vec<Effect> {
        let mut q = query::parse(&self.query).unwrap_or_default();
        if !q.add(term.clone()) {
            self.status = Some(format!("already in the query: {term}"));
            return vec![];
        }
        self.query = q.to_string();
        self.status = None;
        self.search()
    }

    fn facet_term(&mut self, negated: bool) -> Vec<Effect> {
        let Some((field, Some((value, _)))) = self.facet_rows().get(self.facets.cursor).copied() else {
            return vec![];
        };
        let label = {
            let s = self.store.read().unwrap_or_else(|e| e.into_inner());
            Labels::new(&s).label(field, value).to_string()
        };
        self.add_term(Term::matching(Target::field(field), &label, negated))
    }

    fn pivot(&mut self) -> Vec<Effect> {
        let Some(d) = &self.detail else { return vec![] };
        let Some(&row) = d.tree.visible().get(d.scroll.cursor) else {
            return vec![];
        };
        if !matches!(d.tree.rows[row].kind, Kind::Scalar) || d.tree.raw(row) == b"null" {
            self.status = Some("pivot needs a value: move to a string, number or boolean".into());
            return vec![];
        }
        // Array positions are dropped: the same value anywhere in the list counts.
        let path: String = d
            .tree
            .path(row)
            .split('[')
            .enumerate()
            .map(|(i, part)| if i == 0 { part } else { part.split_once(']').map_or("", |(_, rest)| rest) })
            .collect();
        let value = d.tree.value_text(row);
        // A key a path cannot spell: look for the value as text.
        let Some(target) = Target::named(&path).filter(|_| !path.contains('"')) else {
            return self.add_term(Term::text(&value, false));
        };
        if value.len() <= MAX_PIVOT_BYTES {
            return self.add_term(Term::matching(target, &value, false));
        }
        // Pivot on the start of a huge value: the query stays short and fast.
        let mut cut = MAX_PIVOT_BYTES;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        let prefix = format!("{}*", Glob::literal(&value[..cut]).text());
        self.add_term(Term { negated: false, kind: TermKind::Match { target, value: Glob::new(&prefix) } })
    }

    fn copy(&mut self, action: &Action) -> Vec<Effect> {
        let Some(event) = self.selected() else {
            self.status = Some("nothing to copy: no event selected".into());
            return vec![];
        };
        let (payload, what) = match action {
            Action::CopyEvent => {
                let json = match &self.detail {
                    Some(d) if d.event == event => d.tree.pretty(),
                    _ => {
                        let s = self.store.read().unwrap_or_else(|e| e.into_inner());
                        crate::json::pretty::pretty(s.record(event, &mut self.cache))
                    }
                };
                (json, "event JSON".to_string())
            }
            _ => {
                let Some(d) = self.detail.as_ref().filter(|d| self.focus == Focus::Detail && d.event == event) else {
                    self.status = Some("open the detail (Enter) to copy a value or a path".into());
                    return vec![];
                };
                let Some(&row) = d.tree.visible().get(d.scroll.cursor) else {
                    return vec![];
                };
                if *action == Action::CopyPath {
                    (d.tree.path(row), "path".into())
                } else {
                    (d.tree.value_text(row), format!("value of {}", d.tree.path(row)))
                }
            }
        };
        vec![Effect::Copy { payload, what }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_keeps_the_cursor_on_screen() {
        let s = Scroll::default().moved(15, 100, 10);
        assert_eq!((s.cursor, s.offset), (15, 6));
        let s = s.moved(-12, 100, 10);
        assert_eq!((s.cursor, s.offset), (3, 3));
        let s = s.moved(isize::MAX / 2, 100, 10);
        assert_eq!((s.cursor, s.offset), (99, 90));
        let s = s.visible(5, 10);
        assert_eq!((s.cursor, s.offset), (4, 0));
        assert_eq!(Scroll::default().moved(5, 0, 10), Scroll::default());
    }
}
