//! The explorer's state and how actions change it. Nothing here touches the
//! terminal: the runtime feeds actions in and carries out the effects that
//! come back, and tests do the same without a screen.
//!
//! Routing: resizes, search results and copy results are handled once,
//! whatever is open; then the prompt, an open overlay, the explorer's own
//! actions, and finally the focused pane get the action. Panes and overlays
//! answer with [`Command`]s, applied here.

use super::action::Asking;
use super::action::{Action, Command, Effect};
use super::clipboard::ClipboardMode;
use super::keymap::Scope;
use super::layout::{self, Areas, LEFT_WIDE, WIDE};
use super::overlays::{self, Overlay};
use super::panes::{Cx, Pane, PaneId, Panes, Slot};
use super::prompt::{Edit, Prompt};
use super::timefmt::TimeMode;
use crate::case::Book;
use crate::detect::Results;
use crate::engine::{Dataset, Request, SearchResult};
use crate::identity::Graph;
use crate::model::fields::{Field, panel_fields};
use crate::query::labels::Labels;
use crate::query::{self, Term};
use crate::store::{EventId, Store};
use ratatui::layout::Rect;
use std::sync::RwLockReadGuard;

/// Values counted per field for the facets panel.
pub const PANEL_VALUES: usize = 12;
/// Bins of the time histogram (the view merges them to its width).
pub const HISTOGRAM_BINS: usize = 512;

/// How the explorer starts, resolved from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The first query (well formed).
    pub query: String,
    pub time: TimeMode,
    pub mouse: bool,
    pub clipboard: ClipboardMode,
    /// Open the incidents when they are worked out, if nothing was pressed yet.
    pub incidents_first: bool,
    /// Said on the status line at the start (a case opened read-only).
    pub notice: Option<String>,
    /// The colour theme's name (dark, light, plain; None: dark).
    pub theme: Option<String>,
    /// Record paths shown as list columns after the built-in ones.
    pub columns: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            query: String::new(),
            time: TimeMode::Utc,
            mouse: true,
            clipboard: ClipboardMode::Auto,
            incidents_first: false,
            notice: None,
            theme: None,
            columns: Vec::new(),
        }
    }
}

/// The query shown and its results.
#[derive(Default)]
pub struct Search {
    /// The query whose results are shown (or are being computed).
    pub query: String,
    pub results: SearchResult,
    /// The newest search asked for, until its complete result arrives.
    pub pending: Option<u64>,
    next: u64,
}

pub struct App {
    pub data: Dataset,
    pub config: Config,
    pub search: Search,
    pub prompt: Option<Prompt>,
    pub panes: Panes,
    pub overlay: Option<Box<dyn Overlay>>,
    pub focus: PaneId,
    pub status: Option<String>,
    pub size: (u16, u16),
    pub quit: bool,
    /// Whether the user pressed or clicked anything yet.
    pub touched: bool,
}

/// What panes and views read beside the explorer's state, locked in one
/// order (the store first, as searches do).
pub struct Reading<'a> {
    pub store: RwLockReadGuard<'a, Store>,
    pub found: RwLockReadGuard<'a, Results>,
    pub graph: RwLockReadGuard<'a, Graph>,
    pub case: RwLockReadGuard<'a, Book>,
}

fn reading(data: &Dataset) -> Reading<'_> {
    let store = data.read();
    let (found, graph) = (data.found(), data.graph());
    let case = data.case.read().unwrap_or_else(|e| e.into_inner());
    Reading { store, found, graph, case }
}

/// What panes read, from the parts of the state they need (the caller
/// sets the focus and the rows).
fn cx<'a>(r: &'a Reading, data: &'a Dataset, search: &'a Search, time: TimeMode) -> Cx<'a> {
    Cx {
        store: &r.store,
        labels: Labels::new(&r.store),
        progress: &data.progress,
        results: &search.results,
        found: &r.found,
        graph: &r.graph,
        case: &r.case,
        incidents: &data.incidents,
        query: &search.query,
        time,
        selected: None,
        focused: false,
        rows: 0,
    }
}

impl App {
    pub fn new(data: Dataset, config: Config) -> Self {
        let status = config.notice.clone();
        // The config's columns, then those the case keeps.
        let mut panes = Panes::default();
        panes.list.extra = config.columns.clone();
        for c in &data.case.read().unwrap_or_else(|e| e.into_inner()).case.columns {
            if !panes.list.extra.contains(c) {
                panes.list.extra.push(c.clone());
            }
        }
        App {
            status,
            search: Search { query: config.query.trim().to_string(), ..Search::default() },
            data,
            config,
            prompt: None,
            panes,
            overlay: None,
            focus: PaneId::List,
            size: (80, 24),
            quit: false,
            touched: false,
        }
    }

    /// The query whose results are shown.
    pub fn query(&self) -> &str {
        &self.search.query
    }

    pub fn results(&self) -> &SearchResult {
        &self.search.results
    }

    pub fn len(&self) -> usize {
        self.search.results.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.search.results.ids.is_empty()
    }

    pub fn selected(&self) -> Option<EventId> {
        self.panes.list.selected(&self.search.results)
    }

    pub fn left_visible(&self) -> bool {
        self.panes.facets.shown.unwrap_or(self.size.0 >= LEFT_WIDE)
    }

    /// Whether the matches hold events that set off a rule (the detections
    /// panel shows only then, leaving the room to the facets otherwise).
    pub fn flagged_shown(&self) -> bool {
        self.search.results.facets.iter().any(|c| c.field == Field::Level && !c.values.is_empty())
    }

    /// The panes that may show, with their slots.
    pub fn shown_panes(&self) -> Vec<(PaneId, Slot)> {
        Panes::ORDER
            .iter()
            .map(|&id| (id, self.panes.get(id).meta().slot))
            .filter(|(_, slot)| *slot != Slot::Left || self.left_visible())
            .filter(|(id, _)| *id != PaneId::Detections || self.flagged_shown())
            .collect()
    }

    pub fn areas(&self) -> Areas {
        self.areas_in(Rect::new(0, 0, self.size.0, self.size.1))
    }

    pub fn areas_in(&self, area: Rect) -> Areas {
        layout::layout(area, &self.shown_panes(), self.focus)
    }

    /// What views read beside the state, locked.
    pub fn reading(&self) -> Reading<'_> {
        reading(&self.data)
    }

    /// What pane `id` reads, for drawing; `rows` of its body.
    pub fn cx<'a>(&'a self, r: &'a Reading, id: PaneId, rows: usize) -> Cx<'a> {
        let mut c = cx(r, &self.data, &self.search, self.config.time);
        (c.focused, c.rows) = (self.focus == id, rows);
        c.selected = self.selected();
        c
    }

    /// A search for the current query (the prompt's while editing).
    pub fn search(&mut self) -> Vec<Effect> {
        let text = self.prompt.as_ref().map_or(&self.search.query, |p| &p.text);
        match query::parse(text) {
            Ok(query) => {
                let mut facets = panel_fields().to_vec();
                if !self.data.found().rules.rules.is_empty() {
                    facets.extend([Field::Level, Field::Rule]);
                }
                self.search.next += 1;
                self.search.pending = Some(self.search.next);
                vec![Effect::Search(Request {
                    id: self.search.next,
                    query,
                    facets,
                    facet_values: PANEL_VALUES,
                    histogram_bins: HISTOGRAM_BINS,
                })]
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
            vec![Scope::Prompt]
        } else if let Some(o) = &self.overlay {
            vec![o.scope(), Scope::Overlay]
        } else {
            vec![self.panes.get(self.focus).meta().scope, Scope::Global]
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        let mut effects = Vec::new();
        let commands = self.dispatch(action, &mut effects);
        for c in commands {
            self.apply(c, &mut effects);
        }
        self.settle();
        effects
    }

    fn dispatch(&mut self, action: Action, effects: &mut Vec<Effect>) -> Vec<Command> {
        // Handled once, whatever is open.
        match action {
            Action::Resize(w, h) => self.size = (w, h),
            Action::SearchDone(r) => self.take_results(*r),
            Action::Copied(msg) => self.status = Some(msg),
            Action::Quit => {
                self.quit = true;
                effects.push(Effect::Quit);
            }
            Action::IncidentsReady => {
                // The first thing a responder sees when there are findings, unless they started already.
                let untouched = !self.touched && self.overlay.is_none() && self.prompt.is_none();
                if self.config.incidents_first && untouched && self.config.query.is_empty() {
                    self.open_incidents(true);
                }
            }
            _ => {
                self.touched = true;
                return self.route(action, effects);
            }
        }
        vec![]
    }

    fn route(&mut self, action: Action, effects: &mut Vec<Effect>) -> Vec<Command> {
        if matches!(action, Action::Search | Action::Up | Action::Down) {
            self.status = None;
        }
        if let Some(p) = &mut self.prompt {
            let query = p.asking == Asking::Query;
            match p.edit(&action) {
                Edit::Changed if query => {
                    p.error = None;
                    p.recalled = None;
                    effects.extend(self.search());
                    return vec![];
                }
                Edit::Changed | Edit::Moved => return vec![],
                Edit::Submit if !query => {
                    let Some(p) = self.prompt.take() else { return vec![] };
                    self.answer(p.asking, &p.text, effects);
                    return vec![];
                }
                Edit::Submit => {
                    if p.error.is_none() {
                        self.search.query = p.text.trim().to_string();
                        self.prompt = None;
                        self.panes.list.anchor = None;
                        // The results are what the search was for: Enter next opens an event.
                        self.focus = PaneId::List;
                        let q = self.search.query.clone();
                        self.data.with_case(|b, _| b.remember(&q));
                    }
                    return vec![];
                }
                Edit::Cancel if !query => {
                    self.prompt = None;
                    return vec![];
                }
                Edit::Cancel => {
                    let changed = p.text != p.original;
                    self.search.query = p.original.clone();
                    self.prompt = None;
                    if changed {
                        effects.extend(self.search());
                    }
                    return vec![];
                }
                Edit::NotMine => match action {
                    Action::RecallOlder | Action::RecallNewer => {
                        self.recall(action == Action::RecallOlder);
                        return vec![];
                    }
                    Action::Complete => {
                        self.complete();
                        return vec![];
                    }
                    _ => {}
                },
            }
        }
        if self.overlay.is_some() {
            return self.overlay_update(&action);
        }
        if let Some(commands) = self.case_action(&action, effects) {
            return commands;
        }
        match action {
            Action::Search => self.prompt = Some(Prompt::new(&self.search.query)),
            Action::FocusNext | Action::FocusPrev => self.cycle_focus(action == Action::FocusNext),
            Action::ToggleOrder => {
                let store = self.data.store.read().unwrap_or_else(|e| e.into_inner());
                self.panes.list.toggle_order(&store, &self.search.results);
            }
            Action::ToggleTime => self.config.time = self.config.time.toggled(),
            Action::ToggleFacets => {
                let shown = !self.left_visible();
                self.panes.facets.shown = Some(shown);
                if shown && self.size.0 < WIDE {
                    self.focus = PaneId::Facets;
                } else if !shown && self.panes.get(self.focus).meta().slot == Slot::Left {
                    self.focus = PaneId::List;
                }
            }
            Action::Help => self.overlay = Some(Box::new(overlays::help::Help::default())),
            Action::Problems => self.overlay = Some(Box::new(overlays::problems::Problems::default())),
            Action::Actors => {
                let view = overlays::actors::ActorsView::open(
                    &self.data.graph(),
                    &self.data.read(),
                    std::sync::Arc::clone(&self.search.results.ids),
                );
                self.overlay = Some(Box::new(view));
            }
            Action::Incidents => self.open_incidents(false),
            Action::Chain => match self.selected() {
                Some(id) => {
                    let view = overlays::chain::ChainView::open(&self.data.graph(), &self.data.read(), id);
                    self.overlay = Some(Box::new(view));
                }
                None => self.status = Some("no event selected".into()),
            },
            Action::CopyEvent => return vec![self.copy_event()],
            Action::NextFlagged | Action::PrevFlagged => self.next_flagged(action == Action::NextFlagged),
            Action::ScrollAt { x, y, down } => self.scroll_at(x, y, down),
            Action::ClickAt { x, y } => return self.click_at(x, y),
            other => return self.pane_update(self.focus, |p, cx| p.update(&other, cx)),
        }
        vec![]
    }

    /// Opens the incidents overlay (when `quiet`, only if there is one to show).
    fn open_incidents(&mut self, quiet: bool) {
        let view = {
            let incidents = self.data.incidents.read().unwrap_or_else(|e| e.into_inner());
            if !incidents.ready && !quiet {
                self.status = Some("incidents are worked out when loading and detection end".into());
                return;
            }
            overlays::incidents::IncidentsView::open(&incidents, &self.data.found())
        };
        if !(quiet && view.rows.is_empty()) {
            self.overlay = Some(Box::new(view));
        }
    }

    /// Runs `f` on pane `id` with what it reads.
    fn pane_update(&mut self, id: PaneId, f: impl FnOnce(&mut dyn Pane, &Cx) -> Vec<Command>) -> Vec<Command> {
        let rows = layout::body_rows(self.areas().of(id));
        let selected = self.selected();
        let r = reading(&self.data);
        let mut c = cx(&r, &self.data, &self.search, self.config.time);
        (c.focused, c.rows) = (self.focus == id, rows);
        c.selected = selected;
        f(self.panes.get_mut(id), &c)
    }

    fn overlay_update(&mut self, action: &Action) -> Vec<Command> {
        let rows = overlays::inner_rows(Rect::new(0, 0, self.size.0, self.size.1));
        let r = reading(&self.data);
        let mut c = cx(&r, &self.data, &self.search, self.config.time);
        (c.focused, c.rows) = (true, rows);
        self.overlay.as_mut().map_or_else(Vec::new, |o| o.update(action, &c))
    }

    fn apply(&mut self, command: Command, effects: &mut Vec<Effect>) {
        match command {
            Command::AddTerm(term) => {
                effects.extend(self.add_term(term));
                // On a narrow screen a panel covers the list: show the results it asked for.
                if self.size.0 < WIDE && self.panes.get(self.focus).meta().slot == Slot::Left {
                    self.focus = PaneId::List;
                }
            }
            Command::Filter(terms) => {
                self.panes.list.anchor = None;
                self.search.query = query::Query { terms }.to_string();
                self.status = None;
                self.panes.list.scroll = Default::default();
                effects.extend(self.search());
            }
            Command::Focus(PaneId::Detail) if self.selected().is_none() => {}
            Command::Focus(id) => self.focus = id,
            Command::Copy { payload, what } => effects.push(Effect::Copy { payload, what }),
            Command::Status(s) => self.status = Some(s),
            Command::CloseOverlay => self.overlay = None,
            Command::Ask(asking) => self.ask(asking),
            Command::Show(title, text) => self.overlay = Some(Box::new(overlays::pager::Pager::new(title, text))),
            Command::ToggleColumn(path) => {
                let extra = &mut self.panes.list.extra;
                let shown = match extra.iter().position(|p| *p == path) {
                    Some(i) => {
                        extra.remove(i);
                        false
                    }
                    None => {
                        extra.push(path.clone());
                        true
                    }
                };
                let columns = extra.clone();
                self.data.with_case(|b, _| b.set_columns(&columns));
                self.status = Some(format!("column {path} {}", if shown { "shown" } else { "hidden" }));
            }
        }
    }

    /// Adds a term to the query tree (the prompt shows its printed form) and searches.
    fn add_term(&mut self, term: Term) -> Vec<Effect> {
        let mut q = query::parse(&self.search.query).unwrap_or_default();
        if !q.add(term.clone()) {
            self.status = Some(format!("already in the query: {term}"));
            return vec![];
        }
        self.search.query = q.to_string();
        self.status = None;
        self.panes.list.anchor = None;
        self.search()
    }

    fn copy_event(&self) -> Command {
        let Some(event) = self.selected() else {
            return Command::Status("nothing to copy: no event selected".into());
        };
        let payload = self.panes.detail.pretty(event).unwrap_or_else(|| {
            let s = self.data.read();
            crate::json::pretty::pretty(s.record(event, &mut crate::store::blobs::ChunkCache::new(1)))
        });
        Command::Copy { payload, what: "event JSON".into() }
    }

    /// Moves the list's cursor to the next (or previous) event on the list
    /// that set off a rule.
    fn next_flagged(&mut self, forward: bool) {
        let hit = {
            let found = self.data.found();
            let list = &self.panes.list;
            let n = self.search.results.ids.len();
            let flagged =
                |row: usize| list.event_at(&self.search.results, row).is_some_and(|id| found.level(id).is_some());
            let at = list.scroll.cursor;
            if forward { (at + 1..n).find(|&r| flagged(r)) } else { (0..at.min(n)).rev().find(|&r| flagged(r)) }
        };
        match hit {
            Some(row) => {
                self.panes.list.scroll.cursor = row;
                self.status = None;
            }
            None => {
                // Down the list is back in time when the newest come first.
                let later = forward != self.panes.list.reversed;
                let (what, order) = (
                    if later { "after" } else { "before" },
                    if self.panes.list.reversed { " (newest first)" } else { "" },
                );
                self.status = Some(format!("no flagged event {what} this one{order}"));
            }
        }
    }

    fn cycle_focus(&mut self, forward: bool) {
        let has_event = self.selected().is_some();
        // Hidden panels are in the cycle too: Tab reaches them on a small screen without `F`.
        let panes: Vec<PaneId> = Panes::ORDER
            .iter()
            .copied()
            .filter(|&p| p != PaneId::Detections || self.flagged_shown())
            .filter(|&p| p != PaneId::Detail || has_event)
            .collect();
        let at = panes.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = panes.len();
        self.focus = panes[if forward { (at + 1) % n } else { (at + n - 1) % n }];
        if self.panes.get(self.focus).meta().slot == Slot::Left && !self.left_visible() {
            self.panes.facets.shown = Some(true);
        }
    }

    /// The wheel scrolls the pane under the pointer; the focus stays where
    /// the person works.
    fn scroll_at(&mut self, x: u16, y: u16, down: bool) {
        let Some((id, _)) = self.areas().at(x, y) else { return };
        let step = if down { Action::Down } else { Action::Up };
        for _ in 0..3 {
            self.pane_update(id, |p, cx| p.update(&step, cx));
        }
    }

    /// A click focuses the pane under it and selects the row (the first row
    /// of a pane is its title or column headings).
    fn click_at(&mut self, x: u16, y: u16) -> Vec<Command> {
        let Some((id, r)) = self.areas().at(x, y) else { return vec![] };
        self.focus = id;
        match (y - r.y) as usize {
            0 => vec![],
            row => self.pane_update(id, |p, cx| p.click(row - 1, cx)),
        }
    }

    /// Applies search results if they answer the newest request; a partial
    /// result shows what was found so far.
    fn take_results(&mut self, r: SearchResult) {
        // Only the answer to the newest request counts; older ones may still arrive.
        if r.id != self.search.next {
            return;
        }
        if r.complete {
            self.search.pending = None;
        }
        let keep = self.selected();
        let first = self.search.results.ids.is_empty();
        self.search.results = r;
        if first {
            self.panes.list.scroll = Default::default();
        } else {
            let store = self.data.store.read().unwrap_or_else(|e| e.into_inner());
            self.panes.list.select_event(keep, &store, &self.search.results);
        }
    }

    /// After any action: panes keep their positions valid, the focus stays
    /// on a pane that can have it, and the detail follows the selection.
    fn settle(&mut self) {
        if self.panes.get(self.focus).meta().slot == Slot::Left && !self.left_visible() {
            self.focus = PaneId::List;
        }
        self.pane_update(PaneId::List, |p, cx| {
            p.settle(cx);
            vec![]
        });
        let want = self.selected();
        if want.is_none() && self.focus == PaneId::Detail {
            self.focus = PaneId::List;
        }
        if want.is_none() || self.areas().of(PaneId::Detail).is_some() || self.focus == PaneId::Detail {
            let store = self.data.store.read().unwrap_or_else(|e| e.into_inner());
            self.panes.detail.show(want, &store);
        }
        for id in Panes::ORDER {
            self.pane_update(id, |p, cx| {
                p.settle(cx);
                vec![]
            });
        }
    }
}
