//! A batch of events built by one loader thread, ready to append to the store.
//! Facet values are interned per batch first, so the store only maps each
//! distinct value of the batch once, under its lock.

use super::blobs::{BlobLoc, CHUNK_TARGET, Chunk, Packer};
use super::strtable::StrTable;
use crate::json::scan::MemberSpan;
use crate::model::fields::COLUMNS;
use crate::model::record::EventFields;
use crate::model::time::Micros;
use std::hash::BuildHasher;
use std::sync::LazyLock;

/// A random secret for the keyed half of a record's identity: two different
/// records agree on both halves by chance about once in 2^128, and whoever
/// writes log content cannot prepare such a pair without this run's secret.
static SECRET: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let state = std::hash::RandomState::new();
    (0..24u64).flat_map(|i| state.hash_one(i).to_le_bytes()).collect()
});

/// A record's content hash with a fixed secret: the same record gets the
/// same fingerprint in every run, whatever the order it was loaded in, so
/// ties (same time) are broken the same way everywhere.
pub fn fingerprint(record: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(record)
}

/// The identity of a record for deduplication: its fingerprint with a
/// keyed hash of the same content. Two records are the same event only when
/// their canonical content is the same (an event delivered twice, folders
/// loaded twice); records that merely share an eventID, a time, a source
/// and a name are different events.
pub fn dedupe_key(fingerprint: u64, record: &[u8]) -> u128 {
    let keyed = xxhash_rust::xxh3::xxh3_64_with_secret(record, &SECRET);
    ((fingerprint as u128) << 64) | keyed as u128
}

/// Events with their values interned per batch (0 = absent).
pub struct Batch {
    pub times: Vec<Micros>,
    pub values: Vec<[u32; COLUMNS]>,
    /// Each event's [`fingerprint`] and [`dedupe_key`].
    pub prints: Vec<u64>,
    pub keys: Vec<u128>,
    /// See [`EventFields::exact`].
    pub exact: Vec<bool>,
    /// `chunk` indexes `chunks` of this batch.
    pub locs: Vec<BlobLoc>,
    pub chunks: Vec<Chunk>,
    pub dicts: Vec<StrTable>,
}

impl Batch {
    fn new() -> Self {
        Self {
            times: Vec::new(),
            values: Vec::new(),
            prints: Vec::new(),
            keys: Vec::new(),
            exact: Vec::new(),
            locs: Vec::new(),
            chunks: Vec::new(),
            dicts: (0..COLUMNS).map(|_| StrTable::new()).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Adds the event whose canonical record, `record`, is at `start` of the
    /// chunk being filled (the chunk after the last sealed one).
    pub fn add(&mut self, start: usize, record: &[u8], f: &EventFields<'_>) {
        let mut ids = [0u32; COLUMNS];
        for (i, v) in f.values.iter().enumerate() {
            if let Some(v) = v {
                ids[i] = self.dicts[i].intern(v);
            }
        }
        self.times.push(f.time);
        self.values.push(ids);
        let print = fingerprint(record);
        self.prints.push(print);
        self.keys.push(dedupe_key(print, record));
        self.exact.push(f.exact);
        let chunk = self.chunks.len() as u32;
        self.locs.push(BlobLoc { chunk, start: start as u32, len: record.len() as u32 });
    }
}

/// Work done on each event while its canonical record is at hand, before
/// the batch reaches the store (the detection rules): no record has to be
/// decompressed again for it. Each loader thread has its own.
pub trait Watch: Send {
    /// Event `i` of `batch` was added; its canonical record is `record`,
    /// whose top-level members lie at `spans`.
    fn event(&mut self, batch: &Batch, i: usize, record: &[u8], spans: &[MemberSpan]);
    /// Events from `i` on were rolled back.
    fn forget(&mut self, i: usize);
    /// The batch was appended. Called under the store's lock, so calls from
    /// all threads come in the order the batches were appended.
    fn appended(&mut self, at: &Appended);
}

/// Makes a loader thread's [`Watch`].
pub type NewWatch = std::sync::Arc<dyn Fn() -> Box<dyn Watch> + Send + Sync>;

/// Where a batch's events went in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// The id of the batch's first event kept: a store `EventId`, spelled
    /// `u32` because naming it here would make the store and this module
    /// depend on each other.
    pub first: u32,
    /// Batch indices dropped as duplicates, ascending.
    pub dropped: Vec<usize>,
    /// Events in the store after the append.
    pub events: usize,
}

impl Appended {
    /// The id event `i` of the batch got (None: dropped as a duplicate).
    pub fn id(&self, i: usize) -> Option<u32> {
        match self.dropped.binary_search(&i) {
            Ok(_) => None,
            Err(before) => Some(self.first + (i - before) as u32),
        }
    }
}

/// A position in a builder (see [`BatchBuilder::checkpoint`]).
#[derive(Debug, Clone, Copy)]
pub struct Checkpoint {
    events: usize,
    chunks: usize,
    raw: usize,
}

/// Builds batches: the loader writes each canonical record into `raw`, adds
/// its fields to `batch` (the two are separate so the fields may borrow
/// `raw` meanwhile), then calls [`Self::added`].
pub struct BatchBuilder {
    /// Canonical records of the chunk being filled.
    pub raw: Vec<u8>,
    pub batch: Batch,
    packer: Packer,
    watch: Option<Box<dyn Watch>>,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchBuilder {
    pub fn new() -> Self {
        Self { raw: Vec::with_capacity(CHUNK_TARGET * 2), batch: Batch::new(), packer: Packer::new(), watch: None }
    }

    /// A builder whose events `watch` sees.
    pub fn watched(watch: Option<&NewWatch>) -> Self {
        Self { watch: watch.map(|w| w()), ..Self::new() }
    }

    /// The event at `raw[start..end]`, with members at `spans`, was added to
    /// the batch: the watch sees it, and the chunk is compressed once it is
    /// large enough.
    pub fn added(&mut self, start: usize, end: usize, spans: &[MemberSpan]) {
        if let Some(w) = &mut self.watch {
            w.event(&self.batch, self.batch.len() - 1, &self.raw[start..end], spans);
        }
        self.maybe_seal();
    }

    /// The batch last taken was appended.
    pub fn appended(&mut self, at: &Appended) {
        if let Some(w) = &mut self.watch {
            w.appended(at);
        }
    }

    pub fn len(&self) -> usize {
        self.batch.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Compresses the chunk being filled once it is large enough.
    fn maybe_seal(&mut self) {
        if self.raw.len() >= CHUNK_TARGET {
            self.seal();
        }
    }

    /// Compresses the records gathered so far into a chunk.
    fn seal(&mut self) {
        if !self.raw.is_empty() {
            self.batch.chunks.push(self.packer.pack(&self.raw));
            self.raw.clear();
        }
    }

    /// Where the builder stands, to return to with [`Self::rollback`].
    pub fn checkpoint(&self) -> Checkpoint {
        let b = &self.batch;
        Checkpoint { events: b.times.len(), chunks: b.chunks.len(), raw: self.raw.len() }
    }

    /// Forgets everything added since `c` (values interned since then stay in
    /// the batch's dictionaries, unused). Chunks sealed since then are
    /// dropped with the events in them, so events from before `c` that
    /// shared such a chunk are dropped too; the count is returned.
    pub fn rollback(&mut self, c: Checkpoint) -> usize {
        let b = &mut self.batch;
        let (keep_events, lost_before) = if b.chunks.len() > c.chunks {
            // A chunk holding earlier events was sealed: keep only events of older chunks.
            let keep = b.locs.iter().take(c.events).take_while(|l| (l.chunk as usize) < c.chunks).count();
            (keep, c.events - keep)
        } else {
            (c.events, 0)
        };
        b.times.truncate(keep_events);
        b.values.truncate(keep_events);
        b.prints.truncate(keep_events);
        b.keys.truncate(keep_events);
        b.exact.truncate(keep_events);
        b.locs.truncate(keep_events);
        b.chunks.truncate(c.chunks);
        if let Some(w) = &mut self.watch {
            w.forget(keep_events);
        }
        if lost_before > 0 {
            self.raw.clear();
        } else {
            self.raw.truncate(c.raw);
        }
        lost_before
    }

    /// The batch so far (its last chunk sealed); the builder starts a new one.
    /// Bytes in `raw` that no event claimed are dropped.
    pub fn take(&mut self) -> Batch {
        let claimed = self
            .batch
            .locs
            .last()
            .filter(|l| l.chunk as usize == self.batch.chunks.len())
            .map(|l| (l.start + l.len) as usize);
        self.raw.truncate(claimed.unwrap_or(0));
        self.seal();
        std::mem::replace(&mut self.batch, Batch::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fields::COLUMNS;
    use std::borrow::Cow;

    fn add(b: &mut BatchBuilder, id: &str, pad: usize) {
        let start = b.raw.len();
        b.raw.extend_from_slice(format!("{{\"eventID\":\"{id}\",\"p\":\"{}\"}}", "x".repeat(pad)).as_bytes());
        let mut values: [Option<Cow<'_, str>>; COLUMNS] = Default::default();
        values[0] = Some(Cow::Borrowed("s3.amazonaws.com"));
        let f = EventFields { time: 1, values, exact: true };
        let end = b.raw.len();
        b.batch.add(start, &b.raw[start..end], &f);
        b.added(start, end, &[]);
    }

    #[test]
    fn rollback_forgets_a_file_half_read() {
        let mut b = BatchBuilder::new();
        add(&mut b, "a", 10);
        let c = b.checkpoint();
        add(&mut b, "b", 10);
        b.raw.extend_from_slice(b"{\"half");
        assert_eq!(b.rollback(c), 0);
        assert_eq!(b.len(), 1);
        let batch = b.take();
        assert_eq!(batch.locs.len(), 1);
        assert_eq!(batch.chunks.len(), 1);
    }

    #[test]
    fn rollback_past_a_sealed_chunk_drops_its_earlier_events() {
        let mut b = BatchBuilder::new();
        add(&mut b, "a", 10);
        let c = b.checkpoint();
        add(&mut b, "big", CHUNK_TARGET);
        assert_eq!(b.batch.chunks.len(), 1, "the chunk with a and big was sealed");
        assert_eq!(b.rollback(c), 1, "a shared the sealed chunk");
        assert!(b.is_empty());
        assert!(b.take().chunks.is_empty());
    }

    /// What a watch heard, in order.
    #[derive(Default)]
    struct Heard(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl Watch for Heard {
        fn event(&mut self, batch: &Batch, i: usize, record: &[u8], _: &[MemberSpan]) {
            assert_eq!(batch.len(), i + 1, "told of the event just added");
            self.0.lock().unwrap().push(format!("event {i} {}", String::from_utf8_lossy(&record[..15])));
        }
        fn forget(&mut self, i: usize) {
            self.0.lock().unwrap().push(format!("forget {i}"));
        }
        fn appended(&mut self, at: &Appended) {
            let ids: Vec<Option<u32>> = (0..3).map(|i| at.id(i)).collect();
            self.0.lock().unwrap().push(format!("appended {ids:?} of {}", at.events));
        }
    }

    #[test]
    fn a_watch_sees_each_record_rollbacks_and_where_events_went() {
        let heard = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let h = std::sync::Arc::clone(&heard);
        let new: NewWatch = std::sync::Arc::new(move || Box::new(Heard(std::sync::Arc::clone(&h))) as Box<dyn Watch>);
        let mut store = crate::store::Store::new();
        let mut b = BatchBuilder::watched(Some(&new));
        add(&mut b, "a", 1);
        store.append(b.take());
        add(&mut b, "b", 1);
        let c = b.checkpoint();
        add(&mut b, "c", 1);
        b.rollback(c);
        add(&mut b, "a", 1);
        add(&mut b, "d", 1);
        let at = store.append(b.take());
        b.appended(&at);
        assert_eq!(
            *heard.lock().unwrap(),
            [
                r#"event 0 {"eventID":"a","#,
                r#"event 0 {"eventID":"b","#,
                r#"event 1 {"eventID":"c","#,
                "forget 1",
                r#"event 1 {"eventID":"a","#,
                r#"event 2 {"eventID":"d","#,
                // "a" was in the store already: dropped, and the ids after it close up.
                "appended [Some(1), None, Some(2)] of 3",
            ]
        );
    }
}
