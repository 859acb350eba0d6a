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
pub use file::CaseFile;
pub use model::Case;
