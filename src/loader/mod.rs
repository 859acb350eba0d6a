//! Loading: list the items of every source, read them on as many threads
//! as the sources take, find the records whatever the shape (`split`),
//! unwrap envelopes (`envelope`), and append batches of events to the store
//! (`sink`) while the rest loads. Nothing in the input can make it panic:
//! what it cannot use becomes a [`Problem`].

pub mod envelope;
pub mod memory;
pub mod sink;
pub mod split;

use crate::source::layout::Cut;
use crate::source::{self, Item, Kind, Source};
pub use crate::source::{Place, Problem};
use crate::store::Store;
use crate::store::batch::{BatchBuilder, NewWatch};
use envelope::Shape;
use sink::FileSink;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

/// Counters a UI reads while loading goes on.
#[derive(Default)]
pub struct Progress {
    pub files_total: AtomicU64,
    pub files_done: AtomicU64,
    /// Files that gave events, or were valid and empty.
    pub files_ok: AtomicU64,
    /// Files in folders that were not logs.
    pub skipped_files: AtomicU64,
    pub digest_files: AtomicU64,
    /// Digest files found by their content (they count in `files_done` too).
    digests_read: AtomicU64,
    /// Bytes read from disk (compressed size for gzip files).
    pub disk_bytes: AtomicU64,
    /// Bytes of JSON read (after decompression).
    pub json_bytes: AtomicU64,
    /// Events read (before duplicates are dropped).
    pub events: AtomicU64,
    /// Events read but left out: outside the cut (`--since`, `--account`…).
    pub outside_cut: AtomicU64,
    /// Events read, by the shape they were held in ([`Shape::ALL`] order).
    pub shapes: [AtomicU64; Shape::ALL.len()],
    pub problem_count: AtomicU64,
    /// Incremented each time new events are published in the store.
    pub generation: AtomicU64,
    pub walking_done: AtomicBool,
    /// What remote sources have transferred.
    pub transfers: Mutex<Vec<Arc<source::Transfer>>>,
    pub done: AtomicBool,
    /// Loading stopped before every file was read: memory would have run short.
    pub memory_short: AtomicBool,
    /// Problems with the index of their file (walk problems first).
    problems: Mutex<Vec<(usize, Problem)>>,
}

impl Progress {
    fn add_problems(&self, order: usize, ps: Vec<Problem>) {
        if ps.is_empty() {
            return;
        }
        self.problem_count.fetch_add(ps.len() as u64, Relaxed);
        self.problems.lock().unwrap_or_else(|e| e.into_inner()).extend(ps.into_iter().map(|p| (order, p)));
    }

    /// Problems found after loading (by `verify`), listed after the others.
    pub fn add_late_problems(&self, ps: Vec<Problem>) {
        self.add_problems(usize::MAX, ps);
        self.generation.fetch_add(1, Relaxed);
    }

    /// Every problem so far, in the order files were listed.
    pub fn problems(&self) -> Vec<Problem> {
        self.problems_page(0, usize::MAX)
    }

    /// `take` problems from the `skip`th, in the order files were listed: the
    /// explorer redraws often, so only what it shows is copied. (A stable
    /// sort of an already sorted list is one pass.)
    pub fn problems_page(&self, skip: usize, take: usize) -> Vec<Problem> {
        let mut all = self.problems.lock().unwrap_or_else(|e| e.into_inner());
        all.sort_by_key(|(order, _)| *order);
        all.iter().skip(skip).take(take).map(|(_, p)| p.clone()).collect()
    }

    /// Log files read (digests not counted).
    pub fn files_read(&self) -> u64 {
        self.files_done.load(Relaxed).saturating_sub(self.digests_read.load(Relaxed))
    }

    /// One line per remote source: listings, objects, bytes, rate.
    pub fn transfer_lines(&self) -> Vec<String> {
        self.transfers.lock().unwrap_or_else(|e| e.into_inner()).iter().map(|c| c.line()).collect()
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Relaxed)
    }
}

#[derive(Clone)]
pub struct LoadOptions {
    /// Worker threads (0 = one per core).
    pub threads: usize,
    /// How often new events are published while loading (None: once, at the end).
    pub publish_every: Option<Duration>,
    /// What sees each event as it is read (the detection rules).
    pub watch: Option<NewWatch>,
    /// Which part of the named sources to read, and how to reach buckets.
    pub sources: source::Options,
    /// Resident bytes at which no further file is started (None: no limit).
    pub memory_limit: Option<u64>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            publish_every: Some(Duration::from_millis(100)),
            watch: None,
            sources: source::Options::default(),
            memory_limit: None,
        }
    }
}

/// A batch is handed to the store when it holds this many events...
const BATCH_EVENTS: usize = 16_384;
/// ...or when it is this old, so that a UI sees events stream in.
const BATCH_AGE: Duration = Duration::from_millis(100);

/// Loads what the user named (`paths`: files, folders, `-`, `s3://…`) into
/// `store`, blocking until done.
pub fn load(paths: &[PathBuf], store: &RwLock<Store>, progress: &Progress, opts: &LoadOptions) {
    let (sources, problems) = source::resolve(paths, &opts.sources);
    progress.add_problems(0, problems);
    load_sources(&sources, store, progress, opts)
}

/// Items as their sources list them, taken by the workers while listing
/// goes on (a bucket lists for a while; its first objects load meanwhile).
#[derive(Default)]
struct Queue {
    items: Mutex<(Vec<(usize, Item)>, bool)>,
    more: Condvar,
}

impl Queue {
    fn push(&self, progress: &Progress, source: usize, item: Item) {
        let mut q = self.items.lock().unwrap_or_else(|e| e.into_inner());
        q.0.push((source, item));
        progress.files_total.store(q.0.len() as u64, Relaxed);
        self.more.notify_one();
    }

    fn close(&self) {
        self.items.lock().unwrap_or_else(|e| e.into_inner()).1 = true;
        self.more.notify_all();
    }

    /// Item `i`, waiting while it may still be listed.
    fn get(&self, i: usize) -> Option<(usize, Item)> {
        let mut q = self.items.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(item) = q.0.get(i) {
                return Some(item.clone());
            }
            if q.1 {
                return None;
            }
            q = self.more.wait(q).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Lists every source's items and reads them all into `store`.
pub fn load_sources(sources: &[Box<dyn Source>], store: &RwLock<Store>, progress: &Progress, opts: &LoadOptions) {
    let queue = Queue::default();
    progress.transfers.lock().unwrap_or_else(|e| e.into_inner()).extend(sources.iter().filter_map(|s| s.transfer()));
    let wanted = sources.iter().map(|s| s.concurrency()).max().unwrap_or(1);
    let threads = if opts.threads == 0 { wanted } else { opts.threads }.max(1);
    let next = AtomicUsize::new(0);
    let workers_left = AtomicUsize::new(threads);
    let started = AtomicUsize::new(0);
    // Events outside the cut are read (files hold some) but not kept.
    let cut = Some(&opts.sources.cut).filter(|c| !c.is_everything());
    thread::scope(|s| {
        s.spawn(|| {
            for (i, source) in sources.iter().enumerate() {
                let listing = source.list(&mut |item| queue.push(progress, i, item));
                progress.skipped_files.fetch_add(listing.skipped, Relaxed);
                progress.digest_files.fetch_add(listing.digests.len() as u64, Relaxed);
                progress.add_problems(0, listing.problems);
                for item in listing.items {
                    queue.push(progress, i, item);
                }
            }
            progress.walking_done.store(true, Relaxed);
            queue.close();
        });
        for _ in 0..threads {
            let spawned = thread::Builder::new().name(LOADER_THREAD.into()).spawn_scoped(s, || {
                started.fetch_add(1, Relaxed);
                let mut builder = BatchBuilder::watched(opts.watch.as_ref());
                let mut last_flush = Instant::now();
                loop {
                    if progress.memory_short.load(Relaxed) || over(opts.memory_limit) {
                        progress.memory_short.store(true, Relaxed);
                        break;
                    }
                    let i = next.fetch_add(1, Relaxed);
                    let Some((src, item)) = queue.get(i) else {
                        break;
                    };
                    let problems = load_guarded(&*sources[src], &item, &mut builder, progress, cut);
                    progress.add_problems(i + 1, problems);
                    progress.files_done.fetch_add(1, Relaxed);
                    if builder.len() >= BATCH_EVENTS || last_flush.elapsed() >= BATCH_AGE {
                        flush(&mut builder, store);
                        last_flush = Instant::now();
                    }
                }
                flush(&mut builder, store);
                workers_left.fetch_sub(1, Relaxed);
            });
            if spawned.is_err() {
                // The others share the work; with none at all, nothing loads and that is reported.
                workers_left.fetch_sub(1, Relaxed);
            }
        }
        if let Some(every) = opts.publish_every {
            publish_while_loading(store, progress, &workers_left, every);
        }
    });
    store.write().unwrap_or_else(|e| e.into_inner()).publish();
    if progress.memory_short.load(Relaxed) {
        let (done, total) = (progress.files_done.load(Relaxed), progress.files_total.load(Relaxed));
        let events = store.read().unwrap_or_else(|e| e.into_inner()).len();
        let message = format!(
            "loading stopped at {events} events, {} files of {total} read: the process held {} of the {} it may \
             use (--memory-limit). Load less at a time (--since/--until, --account, --region) or cut with Athena \
             (`trailscope athena run`)",
            done,
            crate::format::human_bytes(memory::resident().unwrap_or(0) as usize),
            crate::format::human_bytes(opts.memory_limit.unwrap_or(0) as usize),
        );
        // First in the list: it says what the rest of the list is missing.
        progress.add_problems(0, vec![Problem::item("trailscope", Kind::Memory, message)]);
    }
    if started.load(Relaxed) == 0 && progress.files_total.load(Relaxed) > 0 {
        progress.add_problems(0, vec![Problem::item("trailscope", Kind::Internal, "could not start a loader thread")]);
    }
    progress.generation.fetch_add(1, Relaxed);
    progress.done.store(true, Relaxed);
}

/// Whether this process holds more memory than `limit`.
fn over(limit: Option<u64>) -> bool {
    limit.is_some_and(|l| memory::resident().is_some_and(|r| r > l))
}

/// Publishes new events now and then until the workers are done. Publishing
/// merges the time index, a pass over all events: the interval grows with
/// the store (`every` per million events).
fn publish_while_loading(store: &RwLock<Store>, progress: &Progress, workers_left: &AtomicUsize, every: Duration) {
    let mut last = Instant::now();
    while workers_left.load(Relaxed) > 0 {
        thread::sleep(Duration::from_millis(20));
        let millions = (store.read().unwrap_or_else(|e| e.into_inner()).len() / 1_000_000).max(1) as u32;
        if last.elapsed() >= every * millions {
            last = Instant::now();
            if store.write().unwrap_or_else(|e| e.into_inner()).publish() {
                progress.generation.fetch_add(1, Relaxed);
            }
        }
    }
}

/// Loads inputs held in memory, each named for its problems, on this thread,
/// through the same decoding and reading as files (for tests and fuzzing).
/// Each input is a batch of its own, so that tests meet several.
pub fn load_bytes(
    inputs: Vec<(String, Vec<u8>)>,
    store: &RwLock<Store>,
    progress: &Progress,
    watch: Option<&NewWatch>,
) {
    let mut builder = BatchBuilder::watched(watch);
    progress.files_total.store(inputs.len() as u64, Relaxed);
    for (i, (name, bytes)) in inputs.into_iter().enumerate() {
        let problems = read_opened(&name, source::decode::decode(bytes), &mut builder, progress, None, None);
        progress.add_problems(i + 1, problems);
        progress.files_done.fetch_add(1, Relaxed);
        flush(&mut builder, store);
    }
    store.write().unwrap_or_else(|e| e.into_inner()).publish();
    progress.walking_done.store(true, Relaxed);
    progress.done.store(true, Relaxed);
}

fn flush(builder: &mut BatchBuilder, store: &RwLock<Store>) {
    if builder.is_empty() {
        return;
    }
    let batch = builder.take();
    // The watch hears of the append under the same lock, so in append order.
    let mut s = store.write().unwrap_or_else(|e| e.into_inner());
    let at = s.append(batch);
    builder.appended(&at);
}

/// The name of the loader's threads (a panic there is caught, per file).
pub const LOADER_THREAD: &str = "trailscope-loader";

/// [`load_one`] with a panic caught. Input cannot cause one by design; if a
/// bug does, the item's events are rolled back, the failure is reported as a
/// problem, and loading goes on with the other items.
fn load_guarded(
    source: &dyn Source,
    item: &Item,
    builder: &mut BatchBuilder,
    progress: &Progress,
    cut: Option<&Cut>,
) -> Vec<Problem> {
    let mark = builder.checkpoint();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load_one(source, item, builder, progress, cut))) {
        Ok(problems) => problems,
        Err(payload) => {
            let lost = builder.rollback(mark);
            let why = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let mut message = format!("internal error while reading this file, its events are left out: {why}");
            if lost > 0 {
                message += &format!(" ({lost} events of files read before it were lost with them)");
            }
            vec![Problem::item(&item.name, Kind::Internal, message)]
        }
    }
}

/// Reads one item into the builder; returns its problems.
fn load_one(
    source: &dyn Source,
    item: &Item,
    builder: &mut BatchBuilder,
    progress: &Progress,
    cut: Option<&Cut>,
) -> Vec<Problem> {
    // Unit tests only: a way to exercise the guard in load_guarded.
    #[cfg(test)]
    if item.name.ends_with("panic-for-test.json") {
        let mut sink = FileSink::new(builder, &item.name);
        split::split(&mut split::Feed::new(br#"{"eventTime":"2024-01-01T00:00:00Z"}"#.to_vec(), None), &mut sink);
        panic!("requested by the test");
    }
    match source.open(item) {
        Ok(o) => read_opened(&item.name, o, builder, progress, cut, item.keep.as_deref()),
        Err(e) => vec![Problem::item(&item.name, Kind::Unreadable, source::describe(&e))],
    }
}

/// Reads the records of an opened item into the builder; returns its problems.
fn read_opened(
    path: &str,
    opened: source::Opened,
    builder: &mut BatchBuilder,
    progress: &Progress,
    cut: Option<&Cut>,
    keep: Option<&std::collections::BTreeSet<String>>,
) -> Vec<Problem> {
    progress.disk_bytes.fetch_add(opened.disk_bytes, Relaxed);
    let mut feed = split::Feed::new(opened.head, opened.rest);
    let mut sink = FileSink::new(builder, path);
    sink.cut = cut;
    sink.keep = keep;
    split::split(&mut feed, &mut sink);
    progress.outside_cut.fetch_add(sink.outside, Relaxed);
    let (events, digests, shapes, mut problems) = (sink.events, sink.digests, sink.shapes, sink.problems);
    if let Some((kind, e)) = feed.read_error.take() {
        problems.push(Problem::item(path, kind, e));
    }
    if feed.bytes_seen() == 0 && problems.is_empty() {
        problems.push(Problem::item(path, Kind::Empty, "empty file"));
    }
    progress.json_bytes.fetch_add(feed.bytes_seen(), Relaxed);
    progress.events.fetch_add(events, Relaxed);
    for (counter, n) in progress.shapes.iter().zip(shapes) {
        counter.fetch_add(n, Relaxed);
    }
    if digests > 0 && events == 0 {
        progress.digest_files.fetch_add(1, Relaxed);
        progress.digests_read.fetch_add(1, Relaxed);
    } else if events > 0 || problems.is_empty() {
        progress.files_ok.fetch_add(1, Relaxed);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{Fetched, Listing, Locator, Opened};

    /// A source that is not the file system: items held in memory, read
    /// three at a time, one of them failing to open.
    struct Memory(Vec<(String, Vec<u8>)>);

    impl Source for Memory {
        fn list(&self, found: &mut dyn FnMut(Item)) -> Listing {
            let mut items =
                self.0.iter().map(|(n, b)| Item::new(n.clone(), Some(b.len() as u64), Locator::Key(n.clone())));
            // The first as soon as it is found, the others at the end.
            found(items.next().expect("one at least"));
            Listing { items: items.collect(), skipped: 1, ..Listing::default() }
        }
        fn open(&self, item: &Item) -> std::io::Result<Opened> {
            Ok(source::decode::decode(self.fetch(item)?.bytes))
        }
        fn fetch(&self, item: &Item) -> std::io::Result<Fetched> {
            let (_, bytes) = self.0.iter().find(|(n, _)| item.locator == Locator::Key(n.clone())).expect("listed");
            if bytes.is_empty() {
                return Err(std::io::Error::other("the remote store said no"));
            }
            Ok(Fetched { bytes: bytes.clone(), metadata: None })
        }
        fn concurrency(&self) -> usize {
            3
        }
    }

    #[test]
    fn any_source_loads_through_the_same_loader() {
        let ev = |i: usize| format!(r#"{{"eventTime":"2024-01-01T00:00:0{i}Z","eventID":"{i}"}}"#).into_bytes();
        let items = vec![
            ("s3://b/one.json".to_string(), ev(1)),
            ("s3://b/two.json.gz".to_string(), {
                use std::io::Write;
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&ev(2)).unwrap();
                e.finish().unwrap()
            }),
            ("s3://b/gone.json".to_string(), vec![]),
        ];
        let (store, progress) = (RwLock::new(Store::new()), Progress::default());
        let sources: Vec<Box<dyn Source>> = vec![Box::new(Memory(items))];
        load_sources(
            &sources,
            &store,
            &progress,
            &LoadOptions { threads: 0, publish_every: None, ..Default::default() },
        );
        assert_eq!(store.read().unwrap().len(), 2);
        assert_eq!(progress.skipped_files.load(Relaxed), 1);
        let problems = progress.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].path.as_str(), problems[0].kind), ("s3://b/gone.json", Kind::Unreadable));
        assert!(problems[0].message.contains("said no"));
    }

    #[test]
    fn a_panic_while_reading_a_file_is_a_problem_and_loading_goes_on() {
        let dir = std::env::temp_dir().join(format!("trailscope-guard-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.json"), r#"{"eventTime":"2024-01-01T00:00:00Z","eventID":"a"}"#).unwrap();
        std::fs::write(dir.join("panic-for-test.json"), "{}").unwrap();
        std::fs::write(dir.join("z.json"), r#"{"eventTime":"2024-01-01T00:00:01Z","eventID":"z"}"#).unwrap();
        let store = RwLock::new(Store::new());
        let progress = Progress::default();
        load(
            std::slice::from_ref(&dir),
            &store,
            &progress,
            &LoadOptions { threads: 1, publish_every: None, ..Default::default() },
        );
        assert_eq!(store.read().unwrap().len(), 2, "the files around it load; its half-read event does not");
        let problems = progress.problems();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].path.ends_with("panic-for-test.json") && problems[0].message.contains("internal error"),
            "{problems:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
