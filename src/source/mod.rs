//! Sources: what the user names (`-`, files, folders and zip archives,
//! `s3://` buckets, saved Athena results), listed as items and opened as decoded byte streams. The
//! loader reads every item of every source without knowing where it comes
//! from; a new kind of source is a file here and a case in [`resolve`].

pub mod cache;
pub mod decode;
pub mod item;
pub mod layout;
pub mod local;
pub mod options;
pub mod problem;
pub mod s3;
pub mod selection;
pub mod stdin;
pub mod zip;

pub use decode::Opened;
pub use item::{Fetched, Item, Listing, Locator, Origin, Source, Transfer, describe};
pub use options::Options;
pub use problem::{Kind, Outer, Place, Problem};
use std::path::PathBuf;

/// The sources for what the user named: `-` is standard input; `s3://…` a
/// bucket; every other path goes to one local source, so that overlapping
/// paths are read once. A name that cannot be a source is a problem.
pub fn resolve(named: &[PathBuf], opts: &Options) -> (Vec<Box<dyn Source>>, Vec<Problem>) {
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    let mut problems = Vec::new();
    let mut paths = Vec::new();
    for p in named {
        match p.to_str().and_then(s3::Location::parse_url) {
            Some(Ok(at)) => sources.push(Box::new(s3::Bucket::new(at, opts))),
            Some(Err(why)) => problems.push(Problem::item(p.to_string_lossy(), Kind::Unreadable, why)),
            None if p.as_os_str() == "-" => {}
            None if p.is_file() && selection::looks_like(p) => {
                let name = p.to_string_lossy();
                match selection::read(p) {
                    Ok(sel) => {
                        let (more, trouble) = selection::sources(&sel, opts, &name);
                        sources.extend(more);
                        problems.extend(trouble);
                    }
                    Err(why) => problems.push(Problem::item(name, Kind::Unreadable, why)),
                }
            }
            None => paths.push(p.clone()),
        }
    }
    if !paths.is_empty() {
        sources.insert(0, Box::new(local::Local::new(paths, opts.cut.clone())));
    }
    if named.iter().any(|p| p.as_os_str() == "-") {
        sources.push(Box::new(stdin::Stdin));
    }
    (sources, problems)
}
