//! trailscope: load CloudTrail logs into a fast in-memory store and explore them.
//!
//! Data flows one way: [`source`] -> [`loader`] -> [`store`] -> [`query`]
//! -> [`detect`] and [`identity`] -> [`incident`] -> views (the explorer in
//! [`tui`], the commands in [`cli`]), with [`engine`] as the facade every
//! view uses.

pub mod athena;
pub mod case;
pub mod cli;
pub mod detect;
pub mod engine;
pub mod format;
pub mod identity;
pub mod incident;
pub mod json;
pub mod loader;
pub mod model;
pub mod query;
pub mod sanitize;
pub mod source;
pub mod store;
pub mod tui;
pub mod verify;

/// When the process started (as early as `main` could note it), for the
/// first-frame measurement of the benchmark.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
