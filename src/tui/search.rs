//! Searches for the explorer: a request in, the matching events with their
//! facet counts and time histogram out. A worker thread runs them; a newer
//! request cancels the one running, and results of an older request are
//! dropped when they arrive.

use crate::model::fields::panel_fields;
use crate::model::time::Micros;
use crate::query::facets::{FacetCounts, count};
use crate::query::{Cancel, Query, run};
use crate::store::{EventId, Store};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Values counted per facet for the panel.
pub const PANEL_VALUES: usize = 12;
/// Bins of the time histogram (the view merges them to its width).
pub const HISTOGRAM_BINS: usize = 512;

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: u64,
    pub query: Query,
}

/// Matching events over time: `bins` equal slices of `start..=end`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    pub start: Micros,
    pub end: Micros,
    pub bins: Vec<u32>,
}

#[derive(Debug, Clone, Default)]
pub struct SearchResult {
    pub id: u64,
    pub ids: Arc<Vec<EventId>>,
    pub facets: Vec<FacetCounts>,
    pub histogram: Histogram,
    /// Published events searched.
    pub searched: usize,
    pub elapsed: Duration,
}

impl PartialEq for SearchResult {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.ids == other.ids
    }
}

pub fn histogram(store: &Store, ids: &[EventId]) -> Histogram {
    let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else {
        return Histogram::default();
    };
    let (start, end) = (store.time(first), store.time(last));
    let span = (end - start).max(1) as i128;
    let mut bins = vec![0u32; HISTOGRAM_BINS];
    for &id in ids {
        let b = ((store.time(id) - start) as i128 * HISTOGRAM_BINS as i128 / (span + 1)) as usize;
        bins[b.min(HISTOGRAM_BINS - 1)] += 1;
    }
    Histogram { start, end, bins }
}

/// Runs one request to the end (or until cancelled).
pub fn execute(store: &RwLock<Store>, req: &Request, cancel: &Cancel) -> Option<SearchResult> {
    let started = Instant::now();
    let m = run(store, &req.query, cancel).ok()?;
    if cancel.is_cancelled() {
        return None;
    }
    let s = store.read().unwrap_or_else(|e| e.into_inner());
    let facets = count(&s, &m.ids, panel_fields(), Some(PANEL_VALUES));
    let histogram = histogram(&s, &m.ids);
    Some(SearchResult {
        id: req.id,
        ids: Arc::new(m.ids),
        facets,
        histogram,
        searched: m.searched,
        elapsed: started.elapsed(),
    })
}

/// The worker: takes the newest request waiting, runs it, sends the result.
pub fn worker(store: Arc<RwLock<Store>>, requests: Receiver<(Request, Cancel)>, results: Sender<SearchResult>) {
    while let Ok(mut job) = requests.recv() {
        // Only the newest request matters.
        while let Ok(newer) = requests.try_recv() {
            job = newer;
        }
        let (req, cancel) = job;
        if let Some(r) = execute(&store, &req, &cancel)
            && results.send(r).is_err()
        {
            return;
        }
    }
}
