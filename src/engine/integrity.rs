//! Integrity in the explorer: once the events are in, the same inputs are
//! checked against their digest files (`verify`). A log file that fails
//! becomes a problem, and the events it holds are tagged in the case, so
//! that `tag:integrity-*` finds them and every export carries the tag.

use super::Dataset;
use crate::loader::Problem;
use crate::source::{self, Kind};
use crate::verify::{self, Keys};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

/// The tag on events of a log file whose content differs from its digest.
pub const MODIFIED: &str = "integrity-modified";
/// The tag on events of a log file that no digest lists.
pub const UNLISTED: &str = "integrity-unlisted";

/// Starts checking `paths` (read with `opts`) against their digests once
/// `data` has loaded them.
pub fn verify_beside(data: &Dataset, paths: Vec<PathBuf>, opts: source::Options, keys: Keys) {
    let d = data.clone();
    let work = std::thread::spawn(move || {
        while !d.is_loaded() {
            std::thread::sleep(Duration::from_millis(100));
        }
        let (sources, _) = source::resolve(&paths, &opts);
        let report = verify::check(&sources, &keys, &opts.cut, &verify::Progress::default());
        let mut problems = Vec::new();
        for f in report.findings.iter().filter(|f| f.failure) {
            let what = f.file.clone().unwrap_or_else(|| format!("{} {}", f.account, f.region));
            problems.push(Problem::item(what, Kind::Integrity, format!("{}: {}", f.kind.name(), f.reason)));
        }
        d.progress.add_late_problems(problems);
        for (tag, kind) in [(MODIFIED, verify::Kind::LogModified), (UNLISTED, verify::Kind::LogUnlisted)] {
            let files: HashSet<&str> =
                report.findings.iter().filter(|f| f.kind == kind).filter_map(|f| f.file.as_deref()).collect();
            tag_events_of(&d, &sources, &files, tag);
        }
    });
    data.beside(work);
}

/// Tags the events held by the items named `files`: each is read again on
/// its own, and its events are found in the dataset by content.
fn tag_events_of(data: &Dataset, sources: &[Box<dyn source::Source>], files: &HashSet<&str>, tag: &str) {
    if files.is_empty() {
        return;
    }
    let mut inputs = Vec::new();
    for s in sources {
        let mut items = Vec::new();
        let listing = s.list(&mut |i| items.push(i));
        items.extend(listing.items);
        for item in items.into_iter().filter(|i| files.contains(i.name.as_str())) {
            if let Ok(fetched) = s.fetch(&item) {
                inputs.push((item.name, fetched.bytes));
            }
        }
    }
    let held = Dataset::from_bytes(inputs);
    let wanted: HashSet<u64> = {
        let store = held.read();
        (0..store.len() as u32).map(|id| store.fingerprint(id)).collect()
    };
    data.with_case(|book, store| {
        let ids: Vec<_> = (0..store.len() as u32)
            .filter(|&id| wanted.contains(&store.fingerprint(id)))
            .filter(|&id| !book.entry(id).is_some_and(|e| e.has_tag(tag)))
            .collect();
        if !ids.is_empty() {
            book.toggle_tag(store, &ids, tag);
        }
    });
}
