//! What a source is: the trait every source implements, and the items it
//! lists.

use super::decode::Opened;
use super::problem::Problem;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

/// Where a source finds an item, in its own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    Path(PathBuf),
    /// Entry `index` of a zip archive.
    Member {
        archive: PathBuf,
        index: usize,
    },
    /// An object of the source's bucket.
    Key(String),
    Stdin,
}

/// One thing to read (a file, an archive member, an object, standard input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// How messages name it.
    pub name: String,
    /// Its size, when the source knows it.
    pub size: Option<u64>,
    pub locator: Locator,
    /// Where the item sits in a trail bucket, when that is known (an S3
    /// object, or a cached copy that kept it): integrity checks compare it
    /// with where a digest says a file was written.
    pub origin: Option<Origin>,
    /// Only these events (by eventID) are read from it: the matches of an
    /// Athena query, whose files hold other events too.
    pub keep: Option<Arc<BTreeSet<String>>>,
}

/// A bucket and key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Origin {
    pub bucket: String,
    pub key: String,
}

impl Item {
    pub fn new(name: impl Into<String>, size: Option<u64>, locator: Locator) -> Item {
        Item { name: name.into(), size, locator, origin: None, keep: None }
    }

    /// The item's place as a `/`-separated path: its key when it has one,
    /// else its name (a local path, an archive's `zip!member`).
    pub fn place(&self) -> String {
        match (&self.origin, &self.locator) {
            (Some(o), _) => o.key.clone(),
            // `ARCHIVE!MEMBER`: the member's path is its place.
            (None, Locator::Member { .. }) => self.name.rsplit_once('!').map_or(&self.name[..], |(_, m)| m).to_string(),
            (None, _) => self.name.replace('\\', "/"),
        }
    }
}

/// An item's raw bytes (compressed as stored) and, where the source keeps
/// them, the object's user metadata (`signature` for a digest).
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// None: the source does not keep metadata (a plain folder, a zip).
    pub metadata: Option<BTreeMap<String, String>>,
}

/// What a remote source has transferred so far, for progress lines.
#[derive(Debug, Default)]
pub struct Transfer {
    pub listings: AtomicU64,
    pub objects: AtomicU64,
    pub bytes: AtomicU64,
    pub from_cache: AtomicU64,
    pub failed: AtomicU64,
    /// When the first request went out.
    pub started: OnceLock<Instant>,
}

impl Transfer {
    /// One line: listings, objects and bytes fetched, the rate.
    pub fn line(&self) -> String {
        let secs = self.started.get().map_or(0.0, |s| s.elapsed().as_secs_f64()).max(0.001);
        let bytes = self.bytes.load(Relaxed);
        let mut s = format!(
            "{} listings, {} objects fetched, {:.1} MB at {:.1} MB/s",
            self.listings.load(Relaxed),
            self.objects.load(Relaxed),
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / secs
        );
        let cached = self.from_cache.load(Relaxed);
        if cached > 0 {
            s += &format!(", {cached} from the cache");
        }
        s
    }
}

/// What listing a source found.
#[derive(Debug, Default)]
pub struct Listing {
    pub items: Vec<Item>,
    /// Files seen that are not logs.
    pub skipped: u64,
    /// CloudTrail digest files, known by their place: not loaded as events,
    /// but listed for `verify`.
    pub digests: Vec<Item>,
    pub problems: Vec<Problem>,
}

pub trait Source: Send + Sync {
    /// The items to read. A source that lists slowly (a bucket) hands over
    /// items as it finds them through `found`, and returns the rest.
    fn list(&self, found: &mut dyn FnMut(Item)) -> Listing;
    /// An item's bytes, decoded (gzip is recognised by its content).
    fn open(&self, item: &Item) -> io::Result<Opened>;
    /// An item's bytes as stored, with its metadata (for `verify`).
    fn fetch(&self, item: &Item) -> io::Result<Fetched>;
    /// How many items are best read at once.
    fn concurrency(&self) -> usize;
    /// What a remote source has transferred, for progress lines.
    fn transfer(&self) -> Option<Arc<Transfer>> {
        None
    }
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
