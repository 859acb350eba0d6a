//! The explorer's panes. Each owns its state, how actions change it, how it
//! is drawn, and its key scope ([`pane::Pane`]); the explorer routes to the
//! focused one and applies the commands it returns. A new pane is a file
//! here and one line in [`Panes`].

pub mod detail;
pub mod detections;
pub mod facets;
pub mod list;
pub mod pane;

pub use crate::tui::action::PaneId;
pub use pane::{Cx, Meta, Pane, Slot};

/// The panes, registered once.
#[derive(Default)]
pub struct Panes {
    pub detections: detections::DetectionsPane,
    pub facets: facets::FacetsPane,
    pub list: list::ListPane,
    pub detail: detail::DetailPane,
}

impl Panes {
    /// Every pane, left to right (top to bottom within a slot).
    pub const ORDER: [PaneId; 4] = [PaneId::Detections, PaneId::Facets, PaneId::List, PaneId::Detail];

    pub fn get(&self, id: PaneId) -> &dyn Pane {
        match id {
            PaneId::Detections => &self.detections,
            PaneId::Facets => &self.facets,
            PaneId::List => &self.list,
            PaneId::Detail => &self.detail,
        }
    }

    pub fn get_mut(&mut self, id: PaneId) -> &mut dyn Pane {
        match id {
            PaneId::Detections => &mut self.detections,
            PaneId::Facets => &mut self.facets,
            PaneId::List => &mut self.list,
            PaneId::Detail => &mut self.detail,
        }
    }
}
