//! The in-memory event store: append-only and columnar.
//!
//! Each event is a row id (`u32`, in arrival order). Its time is an integer,
//! its facets are interned ids, and its original record sits compressed in
//! [`blobs`]. [`Store::order`] lists the published ids in time order; queries
//! read only published events, so what they see never shifts under them.

pub mod batch;
pub mod blobs;
pub mod strtable;

use crate::model::actor::ROOT_PREFIX;
use crate::model::facet::{FACET_COUNT, Facet, short_service};
use crate::model::time::Micros;
use batch::Batch;
use blobs::{BlobLoc, Chunk, ChunkCache};
use hashbrown::{HashMap, HashSet};
use std::sync::Arc;
use strtable::StrTable;

/// An event's row in the store.
pub type EventId = u32;

/// The facets whose combination makes an event's summary line (besides its
/// time and address): fuzzy search scores each distinct combination once.
pub const SUMMARY_FACETS: [Facet; 5] = [Facet::Source, Facet::Name, Facet::Actor, Facet::Region, Facet::Error];

#[derive(Default)]
pub struct Store {
    times: Vec<Micros>,
    cols: [Vec<u32>; FACET_COUNT],
    combo: Vec<u32>,
    locs: Vec<BlobLoc>,
    dicts: [StrTable; FACET_COUNT],
    combos: Vec<[u32; 5]>,
    combo_ids: HashMap<[u32; 5], u32, foldhash::quality::RandomState>,
    chunks: Vec<Chunk>,
    seen: HashSet<u128, foldhash::quality::RandomState>,
    duplicates: u64,
    order: Arc<Vec<EventId>>,
    /// Ids of root actors (`root@ACCOUNT`), to tell when to show the account.
    root_actors: usize,
}

impl Store {
    pub fn new() -> Self {
        let mut s = Self::default();
        for d in &mut s.dicts {
            *d = StrTable::new();
        }
        s
    }

    /// Appends a batch; events already in the store are dropped and counted.
    pub fn append(&mut self, batch: Batch) {
        let map: Vec<Vec<u32>> = batch
            .dicts
            .iter()
            .enumerate()
            .map(|(f, local)| {
                let mut m = Vec::with_capacity(local.len() + 1);
                m.push(0);
                for (_, s) in local.iter() {
                    let before = self.dicts[f].len();
                    let id = self.dicts[f].intern(s);
                    if f == Facet::Actor.index() && self.dicts[f].len() > before && s.starts_with(ROOT_PREFIX) {
                        self.root_actors += 1;
                    }
                    m.push(id);
                }
                m
            })
            .collect();
        let chunk_base = self.chunks.len() as u32;
        self.chunks.extend(batch.chunks);
        for i in 0..batch.times.len() {
            let key = batch.keys[i];
            if key != 0 && !self.seen.insert(key) {
                self.duplicates += 1;
                continue;
            }
            let mut ids = [0u32; FACET_COUNT];
            for f in 0..FACET_COUNT {
                let v = map[f][batch.values[i][f] as usize];
                ids[f] = v;
                self.cols[f].push(v);
            }
            let tuple = SUMMARY_FACETS.map(|f| ids[f.index()]);
            let next = self.combos.len() as u32;
            let combo = *self.combo_ids.entry(tuple).or_insert(next);
            if combo == next {
                self.combos.push(tuple);
            }
            self.combo.push(combo);
            self.times.push(batch.times[i]);
            let mut loc = batch.locs[i];
            loc.chunk += chunk_base;
            self.locs.push(loc);
        }
    }

    /// Makes every appended event visible to queries, in time order.
    /// Returns whether anything new was published.
    pub fn publish(&mut self) -> bool {
        let done = self.order.len();
        let total = self.times.len();
        if done == total {
            return false;
        }
        let times = &self.times;
        let mut fresh: Vec<EventId> = (done as EventId..total as EventId).collect();
        fresh.sort_unstable_by_key(|&i| (times[i as usize], i));
        let old = &self.order;
        let mut merged = Vec::with_capacity(total);
        let (mut a, mut b) = (0, 0);
        while a < old.len() && b < fresh.len() {
            if (times[old[a] as usize], old[a]) <= (times[fresh[b] as usize], fresh[b]) {
                merged.push(old[a]);
                a += 1;
            } else {
                merged.push(fresh[b]);
                b += 1;
            }
        }
        merged.extend_from_slice(&old[a..]);
        merged.extend_from_slice(&fresh[b..]);
        self.order = Arc::new(merged);
        true
    }

    /// Published event ids in time order (oldest first).
    pub fn order(&self) -> Arc<Vec<EventId>> {
        Arc::clone(&self.order)
    }

    /// Events appended (published or not).
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    pub fn time(&self, id: EventId) -> Micros {
        self.times[id as usize]
    }

    pub fn times(&self) -> &[Micros] {
        &self.times
    }

    /// The interned id of `facet` for event `id` (0 = absent).
    pub fn value_id(&self, id: EventId, facet: Facet) -> u32 {
        self.cols[facet.index()][id as usize]
    }

    /// The whole column of a facet.
    pub fn column(&self, facet: Facet) -> &[u32] {
        &self.cols[facet.index()]
    }

    pub fn dict(&self, facet: Facet) -> &StrTable {
        &self.dicts[facet.index()]
    }

    /// The value of `facet` for event `id` as stored ("" when absent).
    pub fn value(&self, id: EventId, facet: Facet) -> &str {
        self.dicts[facet.index()].get(self.value_id(id, facet))
    }

    /// Whether actor ids of root must show their account: more than one
    /// account is loaded.
    pub fn qualify_root(&self) -> bool {
        self.root_actors > 1 || self.dicts[Facet::Account.index()].len() > 1
    }

    /// How a value of `facet` is shown: as stored, except that `root@ACCOUNT`
    /// is plain `root` while only one account is loaded.
    pub fn label(&self, facet: Facet, value_id: u32) -> &str {
        let s = self.dicts[facet.index()].get(value_id);
        if facet == Facet::Actor && !self.qualify_root() && s.starts_with(ROOT_PREFIX) {
            return "root";
        }
        s
    }

    /// The summary combination id of an event (see [`SUMMARY_FACETS`]).
    pub fn combo(&self, id: EventId) -> u32 {
        self.combo[id as usize]
    }

    pub fn combo_count(&self) -> usize {
        self.combos.len()
    }

    /// The summary text of a combination: `service name actor region error`,
    /// as the list shows them.
    pub fn combo_text(&self, combo: u32) -> String {
        let ids = self.combos[combo as usize];
        let mut s = String::new();
        for (f, id) in SUMMARY_FACETS.iter().zip(ids) {
            if id == 0 {
                continue;
            }
            if !s.is_empty() {
                s.push(' ');
            }
            let label = self.label(*f, id);
            s.push_str(if *f == Facet::Source { short_service(label) } else { label });
        }
        s
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    pub fn loc(&self, id: EventId) -> BlobLoc {
        self.locs[id as usize]
    }

    /// The canonical JSON of event `id`.
    pub fn record<'c>(&self, id: EventId, cache: &'c mut ChunkCache) -> &'c [u8] {
        let loc = self.locs[id as usize];
        let chunk = cache.get(loc.chunk, &self.chunks);
        chunk.get(loc.start as usize..(loc.start + loc.len) as usize).unwrap_or_default()
    }

    /// Heap bytes held, by part: (columns, dictionaries, records).
    pub fn memory(&self) -> (usize, usize, usize) {
        let cols = self.times.capacity() * 8
            + self.cols.iter().map(|c| c.capacity() * 4).sum::<usize>()
            + self.combo.capacity() * 4
            + self.locs.capacity() * 12
            + self.order.capacity() * 4
            + self.seen.capacity() * 17;
        let dicts = self.dicts.iter().map(StrTable::heap_bytes).sum::<usize>()
            + self.combos.capacity() * 20
            + self.combo_ids.capacity() * 25;
        let records = self.chunks.iter().map(|c| c.compressed_len() + 24).sum();
        (cols, dicts, records)
    }
}
