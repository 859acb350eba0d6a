//! What an event is: its time, its facets, its actor.

pub mod actor;
pub mod facet;
pub mod record;
pub mod time;
