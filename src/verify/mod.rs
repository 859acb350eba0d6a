//! Integrity of a trail (`trailscope verify`): log files against CloudTrail's
//! digest files, the chain of digests, and the digests' signatures, on any
//! source (folders, caches with `.s3meta` sidecars, `s3://`). Nothing is
//! loaded as events: items are fetched as stored and hashed.
//!
//! What is checked, beyond `aws cloudtrail validate-logs`:
//! - each digest's `previousDigestHashValue` against the previous digest's
//!   content, and its `previousDigestSignature` against that digest's own
//!   signature;
//! - signatures with the hash pinned to SHA-256;
//! - log files present that no digest lists (see [`logs`] for the rule);
//! - a digest found elsewhere than where it says it was written.
//!
//! In a copy without S3 metadata, a digest's signature is taken from its
//! successor's `previousDigestSignature` (and still checked against the
//! key); the newest digest of each chain is then unverifiable, and the
//! report says so. Public keys come from a file (`--public-keys`): live
//! `ListPublicKeys` is not called.

pub mod chain;
pub mod digest;
pub mod encoding;
pub mod inflate;
pub mod keys;
pub mod logs;
pub mod progress;
pub mod report;
mod work;

pub use keys::{Key, Keys};
pub use progress::Progress;
pub use report::{Finding, Kind, Report};

use crate::source::layout::Cut;
use crate::source::{Item, Source};
use std::sync::atomic::Ordering::Relaxed;

/// Checks everything the sources list: digests (read, placed, chained,
/// signatures checked with `keys`) and log files (hashed). `cut` is the cut
/// the sources list by: a listed file outside it is not called missing.
pub fn check(sources: &[Box<dyn Source>], keys: &Keys, cut: &Cut, progress: &Progress) -> Report {
    let mut draft = report::Draft::default();
    draft.signatures.keys = keys.len();
    let mut logs: Vec<(usize, Item)> = Vec::new();
    let mut digests: Vec<(usize, Item)> = Vec::new();
    for (s, source) in sources.iter().enumerate() {
        let mut found = Vec::new();
        let listing = source.list(&mut |item| found.push(item));
        found.extend(listing.items);
        logs.extend(found.into_iter().map(|item| (s, item)));
        digests.extend(listing.digests.into_iter().map(|item| (s, item)));
        draft.problems.extend(listing.problems.iter().map(ToString::to_string));
    }
    // Buckets want many requests in flight, local folders one per core.
    let workers = sources.iter().map(|s| s.concurrency()).max().unwrap_or(1).clamp(1, 64);
    progress.digests_total.store(digests.len() as u64, Relaxed);
    let files = work::map(&digests, workers, |(s, item)| {
        let read = chain::read(sources[*s].as_ref(), item.clone());
        progress.digests_done.fetch_add(1, Relaxed);
        read
    });
    let walked = chain::walk(files, keys, &mut draft);
    logs::check(sources, &logs, &walked, cut, workers, progress, &mut draft);
    draft.finish()
}
