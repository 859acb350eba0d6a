//! A batch of events built by one loader thread, ready to append to the store.
//! Facet values are interned per batch first, so the store only maps each
//! distinct value of the batch once, under its lock.

use super::blobs::{BlobLoc, CHUNK_TARGET, Chunk, Packer};
use super::strtable::StrTable;
use crate::model::facet::FACET_COUNT;
use crate::model::record::EventFields;
use crate::model::time::Micros;
use std::hash::{BuildHasher, Hasher};
use std::sync::LazyLock;

/// Two random SipHash keys make a 128-bit identity: collisions can neither
/// happen by chance nor be forged by whoever wrote the log.
static DEDUPE_KEYS: LazyLock<(std::hash::RandomState, std::hash::RandomState)> =
    LazyLock::new(|| (std::hash::RandomState::new(), std::hash::RandomState::new()));

/// The identity of an event for deduplication: its eventID with its time,
/// source and name (placeholder eventIDs such as "1" are reused across
/// different events in the wild; the same event delivered twice agrees on all).
/// 0 means "no eventID, never a duplicate".
pub fn dedupe_key(f: &EventFields<'_>) -> u128 {
    use crate::model::facet::Facet;
    let Some(id) = f.event_id.as_deref() else {
        return 0;
    };
    let feed = |h: &mut std::hash::DefaultHasher| {
        h.write(id.as_bytes());
        h.write_u8(0xff);
        h.write_i64(f.time);
        for facet in [Facet::Source, Facet::Name] {
            h.write(f.values[facet.index()].as_deref().unwrap_or("").as_bytes());
            h.write_u8(0xff);
        }
    };
    let (mut a, mut b) = (DEDUPE_KEYS.0.build_hasher(), DEDUPE_KEYS.1.build_hasher());
    feed(&mut a);
    feed(&mut b);
    (((a.finish() as u128) << 64) | b.finish() as u128).max(1)
}

/// Events with their values interned per batch (0 = absent).
pub struct Batch {
    pub times: Vec<Micros>,
    pub values: Vec<[u32; FACET_COUNT]>,
    pub keys: Vec<u128>,
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
            keys: Vec::new(),
            locs: Vec::new(),
            chunks: Vec::new(),
            dicts: (0..FACET_COUNT).map(|_| StrTable::new()).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Adds the event whose canonical record is `start..end` of the chunk
    /// being filled (the chunk after the last sealed one).
    pub fn add(&mut self, start: usize, end: usize, f: &EventFields<'_>) {
        let mut ids = [0u32; FACET_COUNT];
        for (i, v) in f.values.iter().enumerate() {
            if let Some(v) = v {
                ids[i] = self.dicts[i].intern(v);
            }
        }
        self.times.push(f.time);
        self.values.push(ids);
        self.keys.push(dedupe_key(f));
        let chunk = self.chunks.len() as u32;
        self.locs.push(BlobLoc { chunk, start: start as u32, len: (end - start) as u32 });
    }
}

/// Builds batches: the loader writes each canonical record into `raw`, adds
/// its fields to `batch` (the two are separate so the fields may borrow
/// `raw` meanwhile), then calls [`Self::maybe_seal`].
pub struct BatchBuilder {
    /// Canonical records of the chunk being filled.
    pub raw: Vec<u8>,
    pub batch: Batch,
    packer: Packer,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchBuilder {
    pub fn new() -> Self {
        Self { raw: Vec::with_capacity(CHUNK_TARGET * 2), batch: Batch::new(), packer: Packer::new() }
    }

    pub fn len(&self) -> usize {
        self.batch.len()
    }

    pub fn is_empty(&self) -> bool {
        self.batch.is_empty()
    }

    /// Compresses the chunk being filled once it is large enough.
    pub fn maybe_seal(&mut self) {
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
