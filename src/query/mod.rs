//! The query language and its evaluation: shared by the explorer and every
//! command. `ast` is the query as data, `parse` reads it from text, `eval`
//! runs it over the store (with `path`, `glob` and `fuzzy` for its terms),
//! `facets` counts values over the matches, `labels` shows values as
//! people read them, and `index` answers text and path terms without
//! reading every record.

pub mod ast;
pub mod eval;
pub mod facets;
pub mod fuzzy;
pub mod index;
pub use crate::model::glob;
#[cfg(test)]
mod hostile_tests;
pub mod labels;
pub use crate::model::meter;
pub mod parse;
pub mod path;

pub use ast::{Query, Target, Term, TermKind};
pub use eval::{Cancel, Cancelled, Matches, run};
pub use parse::{QueryError, parse};
