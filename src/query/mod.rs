//! The query language and its evaluation: shared by the TUI and the command line.

pub mod eval;
pub mod facets;
pub mod fuzzy;
pub mod glob;
#[cfg(test)]
mod hostile_tests;
pub mod meter;
pub mod parse;
pub mod path;

pub use eval::{Cancel, Cancelled, Matches, run};
pub use parse::{Query, QueryError, parse};
