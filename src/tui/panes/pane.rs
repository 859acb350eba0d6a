//! What a pane is: the trait every pane implements, what it reads (its
//! context), and where it sits.

use crate::detect::Results;
use crate::engine::SearchResult;
use crate::identity::Graph;
use crate::loader::Progress;
use crate::query::labels::Labels;
use crate::store::{EventId, Store};
use crate::tui::action::{Action, Command, PaneId};
use crate::tui::keymap::Scope;
use crate::tui::scroll::Scroll;
use crate::tui::theme::Theme;
use crate::tui::timefmt::TimeMode;
use ratatui::Frame;
use ratatui::layout::Rect;

/// Where a pane sits on a wide screen (on a narrow one the focused pane
/// takes the whole body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Left,
    Main,
    Right,
}

/// What a pane reads to update or draw itself.
pub struct Cx<'a> {
    pub store: &'a Store,
    pub labels: Labels<'a>,
    pub progress: &'a Progress,
    pub results: &'a SearchResult,
    /// What the rules found.
    pub found: &'a Results,
    /// The credential graph.
    pub graph: &'a Graph,
    /// The case: marks, tags, notes.
    pub case: &'a crate::case::Book,
    /// The incidents (worked out when loading and detection end).
    pub incidents: &'a std::sync::RwLock<crate::incident::Incidents>,
    /// The query whose results are shown (for highlights).
    pub query: &'a str,
    pub time: TimeMode,
    pub selected: Option<EventId>,
    pub focused: bool,
    /// Rows of the pane's body (under its title line).
    pub rows: usize,
}

/// Which pane it is, where it sits, and where its keys are bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub id: PaneId,
    pub slot: Slot,
    pub scope: Scope,
}

pub trait Pane {
    fn meta(&self) -> Meta;
    /// Changes the pane's state; returns what the explorer should do.
    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command>;
    /// A click on row `row` of the body (under the title).
    fn click(&mut self, row: usize, cx: &Cx) -> Vec<Command>;
    /// Keeps positions valid after anything changed.
    fn settle(&mut self, cx: &Cx);
    fn draw(&self, f: &mut Frame, area: Rect, cx: &Cx, theme: &Theme);
    /// What the footer shows before the key hints.
    fn footer(&self, _cx: &Cx) -> Option<String> {
        None
    }
}

/// Keys of a panel of terms (facets, detections) whose rows are headings
/// or values: movement over `len` rows, Enter and `x` add or exclude the
/// selected row's term (`term(negated)`), Esc goes back to the list.
pub fn term_panel(
    scroll: &mut Scroll,
    action: &Action,
    (len, rows): (usize, usize),
    heading: impl Fn(usize) -> bool,
    term: impl FnOnce(bool) -> Vec<Command>,
) -> Vec<Command> {
    if let Some(mut s) = scroll.step(action, len, rows) {
        // Moving up onto a heading goes on to the value above it (the last
        // of the group before); the first heading has none, so stay.
        if matches!(action, Action::Up | Action::PageUp) && s.cursor < len && heading(s.cursor) {
            s.cursor = if s.cursor > 0 { s.cursor - 1 } else { scroll.cursor };
        }
        *scroll = s;
        return vec![];
    }
    match action {
        Action::Include => term(false),
        Action::Exclude => term(true),
        Action::CopyValue => copy_term(term(false)),
        Action::Back => vec![Command::Focus(PaneId::List)],
        _ => vec![],
    }
}

/// `Y` on a panel of terms: the selected row's term, as the query writes it.
pub fn copy_term(commands: Vec<Command>) -> Vec<Command> {
    commands
        .into_iter()
        .filter_map(|c| match c {
            Command::AddTerm(t) => Some(Command::Copy { payload: t.to_string(), what: "term".into() }),
            _ => None,
        })
        .collect()
}

/// A click on body row `row` of such a panel selects it unless it is a heading.
pub fn pick_row(scroll: &mut Scroll, row: usize, heading: impl Fn(usize) -> Option<bool>) {
    let target = scroll.offset + row;
    if heading(target) == Some(false) {
        scroll.cursor = target;
    }
}

/// Keeps such a panel's cursor in view and off headings (each heading is
/// followed by a value).
pub fn settle_rows(scroll: &mut Scroll, len: usize, rows: usize, heading: impl Fn(usize) -> bool) {
    *scroll = scroll.visible(len, rows);
    if scroll.cursor < len && heading(scroll.cursor) {
        scroll.cursor += 1;
    }
}

/// Draws a panel of terms' frame (a rule on its right) and returns its
/// inside, with the panel's lines so far: its title.
pub fn panel_frame(
    f: &mut Frame,
    r: Rect,
    title: &str,
    focused: bool,
    theme: &Theme,
) -> (Rect, Vec<ratatui::text::Line<'static>>) {
    let block = ratatui::widgets::Block::default().borders(ratatui::widgets::Borders::RIGHT).border_style(theme.dim);
    let inner = block.inner(r);
    f.render_widget(block, r);
    (inner, vec![title_line(title, inner.width as usize, focused, theme)])
}

/// A count as a panel row starts with it.
pub fn count_text(n: impl Into<u64>) -> String {
    format!("{:>7} ", crate::format::thousands(n.into()))
}

/// A pane's title line: marked when the pane has the focus.
pub fn title_line(text: &str, width: usize, focused: bool, theme: &Theme) -> ratatui::text::Line<'static> {
    crate::tui::text::fitted(text, width, theme.pane_title(focused))
}
