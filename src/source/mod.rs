//! Sources: what the user names (`-`, files and folders; a remote store
//! later), listed as items and opened as decoded byte streams. The loader
//! reads every item of every source without knowing where it comes from;
//! a new kind of source is a file here and a case in [`resolve`].

pub mod decode;
pub mod item;
pub mod local;
pub mod problem;
pub mod stdin;

pub use decode::Opened;
pub use item::{Item, Listing, Source, describe};
pub use problem::{Kind, Outer, Place, Problem};
use std::path::PathBuf;

/// The sources for what the user named: `-` is standard input; every path
/// goes to one local source, so that overlapping paths are read once.
pub fn resolve(named: &[PathBuf]) -> Vec<Box<dyn Source>> {
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    let paths: Vec<PathBuf> = named.iter().filter(|p| p.as_os_str() != "-").cloned().collect();
    if !paths.is_empty() {
        sources.push(Box::new(local::Local::new(paths)));
    }
    if named.iter().any(|p| p.as_os_str() == "-") {
        sources.push(Box::new(stdin::Stdin));
    }
    sources
}
