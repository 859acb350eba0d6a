//! Everything that can happen to the explorer's state (actions), what panes
//! ask of the explorer (commands), and what the runtime must do (effects).

use crate::engine::{Request, SearchResult};
use crate::query::Term;
use crate::store::EventId;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the query prompt.
    Search,
    /// Open (or focus) the detail of the selected event.
    OpenDetail,
    /// Leave the detail, the facets or an overlay.
    Back,
    FocusNext,
    FocusPrev,
    ToggleOrder,
    ToggleTime,
    ToggleFacets,
    Help,
    Problems,
    /// Open the selected event's credential chain.
    Chain,
    /// Open the identities among the matches.
    Actors,
    /// Open the incidents.
    Incidents,
    /// The incidents were worked out (loading and detection ended).
    IncidentsReady,
    /// Group identities by actor or by origin.
    GroupBy,
    // The tree.
    Collapse,
    Expand,
    ToggleNode,
    ExpandAll,
    CollapseAll,
    Pivot,
    /// Move to the next (previous) event that set off a rule.
    NextFlagged,
    PrevFlagged,
    // The facets and detections panels.
    Include,
    Exclude,
    // The case.
    /// Mark or unmark the selected event (or the range being selected).
    Mark,
    /// Start (or drop) a range of events at the cursor.
    Select,
    /// Ask for a tag for the selected event (or range).
    Tag,
    /// Ask for a note on the selected event (on the case, in the case overlay).
    Note,
    /// Ask for a name to save the query under.
    SaveQuery,
    /// Ask for a file to export the matches (or, in the case overlay, the marks) to.
    Export,
    /// Open the case: marks, tags, notes, saved queries, history.
    Case,
    /// An older (newer) query from the history, in the prompt.
    RecallOlder,
    RecallNewer,
    /// Complete the word in the prompt (a tag).
    Complete,
    /// Show (or hide) the detail node's path as a list column.
    ToggleColumn,
    /// Show the selected value (or finding) in full.
    ShowFull,
    // Copies.
    CopyEvent,
    CopyValue,
    CopyPath,
    // The prompt.
    Insert(char),
    /// Pasted text, inserted at once.
    InsertText(String),
    DeleteBack,
    DeleteForward,
    CursorLeft,
    CursorRight,
    CursorHome,
    CursorEnd,
    DeleteWord,
    ClearLine,
    Submit,
    Cancel,
    // From outside the keyboard.
    Resize(u16, u16),
    ScrollAt {
        x: u16,
        y: u16,
        down: bool,
    },
    ClickAt {
        x: u16,
        y: u16,
    },
    SearchDone(Box<SearchResult>),
    /// A copy finished; the message says how.
    Copied(String),
}

/// Which pane (see [`super::panes`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaneId {
    Detections,
    Facets,
    List,
    Detail,
}

/// What a pane or an overlay asks of the explorer.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Add a term to the query (a pivot, a facet) and search.
    AddTerm(Term),
    /// Replace the query with these terms and search.
    Filter(Vec<Term>),
    /// Move the focus to a pane.
    Focus(PaneId),
    /// Put `payload` on the clipboard; `what` names it.
    Copy {
        payload: String,
        what: String,
    },
    /// Say something on the status line.
    Status(String),
    CloseOverlay,
    /// Show (or hide) a record path as a list column.
    ToggleColumn(String),
    /// Show a text in full, in a pager: (title, text).
    Show(String, String),
    /// Ask for a line (a tag, a note, a file name) in the prompt.
    Ask(Asking),
}

/// What the runtime must do after an update.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Run this search (replacing any still running).
    Search(Request),
    /// Put `payload` on the clipboard; `what` names it for the status line.
    Copy {
        payload: String,
        what: String,
    },
    Quit,
}

/// What the prompt's line is for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Asking {
    #[default]
    Query,
    /// A tag to put on (or take off) these events.
    Tag(Vec<EventId>),
    /// A note on this event (on the case when None).
    Note(Option<EventId>),
    /// A name to save the query under.
    QueryName(String),
    /// A file to export to: the marked events, or the matches.
    Export { marked: bool },
}

impl Asking {
    /// What the line starts with.
    pub fn label(&self) -> &'static str {
        match self {
            Asking::Query => "/ ",
            Asking::Tag(_) => "tag: ",
            Asking::Note(Some(_)) => "note: ",
            Asking::Note(None) => "case note: ",
            Asking::QueryName(_) => "save query as: ",
            Asking::Export { marked: true } => "export the marks to: ",
            Asking::Export { marked: false } => "export the matches to: ",
        }
    }
}
