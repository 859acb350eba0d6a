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

/// A pane's title line: marked when the pane has the focus.
pub fn title_line(text: &str, width: usize, focused: bool, theme: &Theme) -> ratatui::text::Line<'static> {
    crate::tui::text::fitted(text, width, theme.pane_title(focused))
}
