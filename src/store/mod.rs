//! The in-memory event store: append-only and columnar.
//!
//! Each event is a row id (`u32`, in arrival order). Its time is an integer,
//! its facets are interned ids, and its original record sits compressed in
//! [`blobs`]. [`Store::order`] lists the published ids in time order; queries
//! read only published events, so what they see never shifts under them.

pub mod batch;
pub mod blobs;
pub mod strtable;

use crate::model::fields::{COLUMNS, Field, SUMMARY_FIELDS, SUMMARY_LEN};
use crate::model::time::Micros;
use batch::Batch;
use blobs::{BlobLoc, Chunk, ChunkCache};
use hashbrown::{HashMap, HashSet};
use std::sync::Arc;
use strtable::StrTable;

/// An event's row in the store.
pub type EventId = u32;

/// The values of an event's summary fields ([`SUMMARY_FIELDS`]): fuzzy
/// search scores each distinct combination once, not each event.
pub type Combo = [u32; SUMMARY_LEN];

/// A dictionary with nothing in it, for fields without a column.
static NO_VALUES: std::sync::LazyLock<StrTable> = std::sync::LazyLock::new(StrTable::new);

#[derive(Default)]
pub struct Store {
    times: Vec<Micros>,
    /// Each event's content fingerprint ([`batch::fingerprint`]).
    prints: Vec<u64>,
    cols: [Vec<u32>; COLUMNS],
    combo: Vec<u32>,
    /// See [`crate::model::record::EventFields::exact`].
    exact: Vec<bool>,
    locs: Vec<BlobLoc>,
    dicts: [StrTable; COLUMNS],
    combos: Vec<Combo>,
    combo_ids: HashMap<Combo, u32, foldhash::quality::RandomState>,
    chunks: Vec<Chunk>,
    seen: HashSet<u128, foldhash::quality::RandomState>,
    duplicates: u64,
    order: Arc<Vec<EventId>>,
    /// Per column: its values equal but for case, worked out when first
    /// asked (off the loading path) and kept up to date.
    folds: [std::sync::Mutex<Fold>; COLUMNS],
    /// Per column: events per value over the published events, with how
    /// many were published when counted (see [`Store::value_counts`]).
    totals: [std::sync::Mutex<(usize, Arc<Vec<u32>>)>; COLUMNS],
}

/// The values of one column that are equal but for case (queries match
/// them alike, so counts group them alike).
#[derive(Default)]
struct Fold {
    /// Per value: its class.
    class: Vec<u32>,
    /// Per class: the value that stands for it, the least in sort order.
    rep: Vec<u32>,
    /// The lower-case forms of values with capitals, with their class.
    lower: std::collections::HashMap<String, u32>,
    /// Per value: its class's representative, as last handed out; None
    /// while every value is its own class (the common case: counts skip it).
    view: Option<Arc<Vec<u32>>>,
    /// Values seen when `view` was last worked out.
    viewed: usize,
}

impl Fold {
    /// Takes in the values of `dict` not seen yet.
    fn extend(&mut self, dict: &StrTable) {
        if self.class.is_empty() {
            // 0, no value, is its own class.
            self.class.push(0);
            self.rep.push(0);
        }
        let seen = self.class.len();
        if seen > dict.len() && self.viewed == seen {
            return;
        }
        for v in seen as u32..=dict.len() as u32 {
            let text = dict.get(v);
            let capitals = !text.is_ascii() || text.bytes().any(|b| b.is_ascii_uppercase());
            let lower = capitals.then(|| text.to_lowercase()).filter(|l| l != text);
            let known = match &lower {
                None => self.lower.get(text).copied(),
                Some(l) => self.lower.get(l).copied().or_else(|| {
                    // Its lower-case form came before it.
                    dict.lookup(l).filter(|&w| w < v).map(|w| self.class[w as usize])
                }),
            };
            let class = known.unwrap_or_else(|| {
                self.rep.push(v);
                self.rep.len() as u32 - 1
            });
            if let Some(l) = lower {
                self.lower.entry(l).or_insert(class);
            }
            if text < dict.get(self.rep[class as usize]) {
                self.rep[class as usize] = v;
            }
            self.class.push(class);
        }
        self.viewed = self.class.len();
        // Classes number values (with 0) unless some values fell together.
        self.view = (self.rep.len() < self.class.len())
            .then(|| Arc::new(self.class.iter().map(|&c| self.rep[c as usize]).collect()));
    }
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
    pub fn append(&mut self, batch: Batch) -> batch::Appended {
        let first = self.times.len() as EventId;
        let mut dropped = Vec::new();
        let map: Vec<Vec<u32>> = batch
            .dicts
            .iter()
            .enumerate()
            .map(|(f, local)| {
                let mut m = Vec::with_capacity(local.len() + 1);
                m.push(0);
                m.extend(local.iter().map(|(_, s)| self.dicts[f].intern(s)));
                m
            })
            .collect();
        let chunk_base = self.chunks.len() as u32;
        self.chunks.extend(batch.chunks);
        for i in 0..batch.times.len() {
            if !self.seen.insert(batch.keys[i]) {
                self.duplicates += 1;
                dropped.push(i);
                continue;
            }
            let mut ids = [0u32; COLUMNS];
            for c in 0..COLUMNS {
                let v = map[c][batch.values[i][c] as usize];
                ids[c] = v;
                self.cols[c].push(v);
            }
            let tuple: Combo = SUMMARY_FIELDS.map(|f| f.column().map_or(0, |c| ids[c]));
            let next = self.combos.len() as u32;
            let combo = *self.combo_ids.entry(tuple).or_insert(next);
            if combo == next {
                self.combos.push(tuple);
            }
            self.combo.push(combo);
            self.exact.push(batch.exact[i]);
            self.times.push(batch.times[i]);
            self.prints.push(batch.prints[i]);
            let mut loc = batch.locs[i];
            loc.chunk += chunk_base;
            self.locs.push(loc);
        }
        batch::Appended { first, dropped, events: self.times.len() }
    }

    /// Orders events by time, then content, so the same records come in the
    /// same order whatever order they were loaded in: by fingerprint, and
    /// byte by byte where fingerprints tie (which takes a collision, or one
    /// forged by whoever wrote the log).
    pub fn cmp_events(&self, a: EventId, b: EventId) -> std::cmp::Ordering {
        let (ta, tb) = (self.times[a as usize], self.times[b as usize]);
        // Times differ for nearly every pair: the fingerprints are read only for ties.
        ta.cmp(&tb).then_with(|| self.prints[a as usize].cmp(&self.prints[b as usize])).then_with(|| {
            if a == b {
                return std::cmp::Ordering::Equal;
            }
            let (mut ca, mut cb) = (ChunkCache::new(1), ChunkCache::new(1));
            self.record(a, &mut ca).cmp(self.record(b, &mut cb)).then(a.cmp(&b))
        })
    }

    /// Event `id`'s content fingerprint (the same in every run).
    pub fn fingerprint(&self, id: EventId) -> u64 {
        self.prints[id as usize]
    }

    /// Makes every appended event visible to queries, in time order.
    /// Returns whether anything new was published.
    pub fn publish(&mut self) -> bool {
        let done = self.order.len();
        let total = self.times.len();
        if done == total {
            return false;
        }
        let mut fresh: Vec<EventId> = (done as EventId..total as EventId).collect();
        fresh.sort_unstable_by(|&x, &y| self.cmp_events(x, y));
        let old = &self.order;
        let mut merged = Vec::with_capacity(total);
        let (mut a, mut b) = (0, 0);
        while a < old.len() && b < fresh.len() {
            if self.cmp_events(old[a], fresh[b]).is_le() {
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

    /// The interned id of `field` for event `id` (0: absent, or a field
    /// without a column).
    pub fn value_id(&self, id: EventId, field: Field) -> u32 {
        field.column().map_or(0, |c| self.cols[c][id as usize])
    }

    /// The whole column of a field (empty for a field without one).
    pub fn column(&self, field: Field) -> &[u32] {
        field.column().map_or(&[], |c| &self.cols[c])
    }

    /// The values of a field's column (none for a field without one).
    pub fn dict(&self, field: Field) -> &StrTable {
        field.column().map_or(&NO_VALUES, |c| &self.dicts[c])
    }

    /// The value of `field` for event `id` as stored ("" when absent).
    pub fn value(&self, id: EventId, field: Field) -> &str {
        self.dict(field).get(self.value_id(id, field))
    }

    /// Whether event `id`'s columns hold exactly its record's members.
    pub fn is_exact(&self, id: EventId) -> bool {
        self.exact[id as usize]
    }

    /// The summary combination of an event.
    pub fn combo(&self, id: EventId) -> u32 {
        self.combo[id as usize]
    }

    pub fn combo_count(&self) -> usize {
        self.combos.len()
    }

    /// The value ids of a summary combination, one per [`SUMMARY_FIELDS`].
    pub fn combo_values(&self, combo: u32) -> Combo {
        self.combos[combo as usize]
    }

    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    pub fn loc(&self, id: EventId) -> BlobLoc {
        self.locs[id as usize]
    }

    /// Event `id`'s eventID as its record gives it (`eventId` in exports
    /// that spell it so; empty when it has none).
    pub fn event_id(&self, id: EventId, cache: &mut ChunkCache) -> String {
        let rec = self.record(id, cache);
        crate::json::canon::get(rec, "eventID")
            .or_else(|| crate::json::canon::get(rec, "eventId"))
            .and_then(crate::json::canon::scalar_text)
            .map(|s| s.into_owned())
            .unwrap_or_default()
    }

    /// The canonical JSON of event `id`.
    pub fn record<'c>(&self, id: EventId, cache: &'c mut ChunkCache) -> &'c [u8] {
        let loc = self.locs[id as usize];
        let chunk = cache.get(loc.chunk, &self.chunks);
        chunk.get(loc.start as usize..(loc.start + loc.len) as usize).unwrap_or_default()
    }

    /// Per value of `field`'s column: the value that stands for every value
    /// equal to it but for case (the least in sort order); None when no two
    /// values of the column are equal but for case.
    pub fn case_folds(&self, field: Field) -> Option<Arc<Vec<u32>>> {
        let c = field.column()?;
        let mut fold = self.folds[c].lock().unwrap_or_else(|e| e.into_inner());
        fold.extend(&self.dicts[c]);
        fold.view.clone()
    }

    /// Events per value of `field`'s column (index: value id, 0 for none)
    /// over the published events: counted once, so a facet over most of
    /// them counts only the rest (see `query::facets::count`).
    pub fn value_counts(&self, field: Field) -> Arc<Vec<u32>> {
        let Some(c) = field.column() else { return Arc::default() };
        let mut totals = self.totals[c].lock().unwrap_or_else(|e| e.into_inner());
        if totals.0 != self.order.len() || totals.1.len() != self.dicts[c].len() + 1 {
            let mut counts = vec![0u32; self.dicts[c].len() + 1];
            for &id in self.order.iter() {
                counts[self.cols[c][id as usize] as usize] += 1;
            }
            *totals = (self.order.len(), Arc::new(counts));
        }
        Arc::clone(&totals.1)
    }

    /// Heap bytes held, by part: (columns, dictionaries, records).
    pub fn memory(&self) -> (usize, usize, usize) {
        let cols = self.times.capacity() * 8
            + self.prints.capacity() * 8
            + self.cols.iter().map(|c| c.capacity() * 4).sum::<usize>()
            + self.combo.capacity() * 4
            + self.exact.capacity()
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The representative of each of `values`, interned in that order and folded in steps.
    fn folded(values: &[&str], step: usize) -> Vec<String> {
        let mut dict = StrTable::new();
        let mut fold = Fold::default();
        for chunk in values.chunks(step) {
            for v in chunk {
                dict.intern(v);
            }
            fold.extend(&dict);
        }
        let view = |v: u32| fold.view.as_ref().map_or(v, |view| view[v as usize]);
        values.iter().map(|v| dict.get(view(dict.lookup(v).unwrap())).to_string()).collect()
    }

    #[test]
    fn values_equal_but_for_case_fold_to_their_least_spelling_in_any_order() {
        let values = ["alice", "Alice", "ALICE", "bob", "Bob", "Ünal", "ünal", "ec2.amazonaws.com"];
        let want = ["ALICE", "ALICE", "ALICE", "Bob", "Bob", "Ünal", "Ünal", "ec2.amazonaws.com"];
        assert_eq!(folded(&values, 1), want);
        assert_eq!(folded(&values, 3), want);
        let mut reversed = values;
        reversed.reverse();
        let mut back = want;
        back.reverse();
        assert_eq!(folded(&reversed, 2), back, "whichever spelling came first");
        // Nothing to fold: each value stands for itself, and counts are spared the look-up.
        assert_eq!(folded(&["a", "b"], 1), ["a", "b"]);
        let mut fold = Fold::default();
        fold.extend(&StrTable::new());
        assert!(fold.view.is_none());
    }
}
