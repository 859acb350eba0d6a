//! The engine facade: a [`Dataset`] is the events loaded from what the user
//! named (store, progress, the loader at work, detections and the
//! credential graph beside them), and a [`SearchService`] runs
//! queries over it off the caller's thread. The explorer, every command,
//! `bench` and the tests go through here; nothing above creates a store or
//! spawns the loader itself.

pub mod cells;
pub mod chains;
pub mod dataset;
pub mod export;
pub mod integrity;
pub mod search;

pub use dataset::{Dataset, Options};
pub use search::{Histogram, Request, SearchResult, SearchService};
