//! The case: what a responder keeps while investigating (marks, tags and
//! notes on events, notes on the case, named queries, the queries searched)
//! in a plain JSON file that outlives the session. `model` is the file's
//! content, `key` how an event is recognised across loads, `file` where
//! and how the case is written, `book` the case at work beside a store,
//! `annex` the query terms on it.

pub mod annex;
pub mod book;
pub mod file;
pub mod key;
pub mod model;

pub use book::Book;

/// The fields the case answers (`mark:`, `tag:`, `note:`).
pub const CASE_FIELDS: [crate::model::fields::Field; 3] =
    [crate::model::fields::Field::Mark, crate::model::fields::Field::Tag, crate::model::fields::Field::Note];
pub use file::CaseFile;
pub use model::Case;
