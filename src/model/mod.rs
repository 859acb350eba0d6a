//! What an event is: its fields (the table of what trailscope knows about
//! each), how they are read from a record, its time and its actor.

pub mod actor;
pub mod credentials;
pub mod fields;
pub mod glob;
pub mod meter;
pub mod record;
pub mod resources;
pub mod time;
