//! What a source is: the trait every source implements, and the items it
//! lists.

use super::decode::Opened;
use super::problem::Problem;
use std::ffi::OsString;
use std::io;

/// One thing to read (a file, an object, standard input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// How messages name it.
    pub name: String,
    /// Its size, when the source knows it.
    pub size: Option<u64>,
    /// Where the source finds it (a path, a key), in the source's own terms.
    pub locator: OsString,
}

/// What listing a source found.
#[derive(Debug, Default)]
pub struct Listing {
    pub items: Vec<Item>,
    /// Files seen that are not logs.
    pub skipped: u64,
    /// CloudTrail digest files, known by their place, not read.
    pub digests: u64,
    pub problems: Vec<Problem>,
}

pub trait Source: Send + Sync {
    /// The items to read.
    fn list(&self) -> Listing;
    /// An item's bytes, decoded (gzip is recognised by its content).
    fn open(&self, item: &Item) -> io::Result<Opened>;
    /// How many items are best read at once.
    fn concurrency(&self) -> usize;
}

/// An I/O error in plain words.
pub fn describe(e: &io::Error) -> String {
    use io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}
