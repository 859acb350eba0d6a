//! Searches off the caller's thread: a request in, the matching events with
//! their facet counts and time histogram out. The newest request wins: a
//! newer one cancels the one running, and older results never arrive after
//! a newer request was made. A search that reads records reports partial
//! results as it goes, so a list can fill while it runs.

use super::dataset::Dataset;
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::query::eval::Annex;
use crate::query::facets::{FacetCounts, count};
use crate::query::labels::Labels;
use crate::query::{Cancel, Matches, Query, eval};
use crate::store::{EventId, Store};
use rayon::prelude::*;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: u64,
    pub query: Query,
    /// Fields whose values are counted over the matches...
    pub facets: Vec<Field>,
    /// ...keeping this many values of each.
    pub facet_values: usize,
    /// Bins of the time histogram (0: none).
    pub histogram_bins: usize,
}

impl Request {
    /// A request for the matches alone.
    pub fn plain(id: u64, query: Query) -> Request {
        Request { id, query, facets: vec![], facet_values: 0, histogram_bins: 0 }
    }
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
    /// False for a partial result: the search goes on.
    pub complete: bool,
    /// The widest text of each list column over the matches (see [`super::cells::widths`]).
    pub widths: Vec<(Field, super::cells::Width)>,
}

impl PartialEq for SearchResult {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.ids == other.ids && self.complete == other.complete
    }
}

/// Matching events over time. `ids` are in time order, so each bin's edge
/// is found by bisection: a few thousand times are read, not one per match.
pub fn histogram(store: &Store, ids: &[EventId], bins: usize) -> Histogram {
    let (Some(&first), Some(&last)) = (ids.first(), ids.last()) else {
        return Histogram::default();
    };
    if bins == 0 {
        return Histogram::default();
    }
    let (start, end) = (store.time(first), store.time(last));
    let span = (end - start).max(1) as i128;
    let bin_of = |id: EventId| (((store.time(id) - start) as i128 * bins as i128 / (span + 1)) as usize).min(bins - 1);
    let mut out = vec![0u32; bins];
    let mut from = 0;
    for (b, n) in out.iter_mut().enumerate() {
        let to = from + ids[from..].partition_point(|&id| bin_of(id) <= b);
        *n = (to - from) as u32;
        from = to;
    }
    Histogram { start, end, bins: out }
}

/// A result for `req` from the matches `m`; facets are counted only for the
/// complete one (partial results show the list filling). Fields computed
/// beside the store are counted by the annex.
fn result(
    data: &Dataset,
    annex: &(dyn Annex + Sync),
    req: &Request,
    m: &Matches,
    started: Instant,
    complete: bool,
) -> SearchResult {
    let s = data.read();
    // Partial results show the list filling: their facets and widths are
    // left for the complete one (a partial one holds the store while loading goes on).
    let (facets, widths) = if !complete {
        (vec![], vec![])
    } else {
        let (derived, kept): (Vec<Field>, Vec<Field>) =
            req.facets.iter().partition(|f| f.def().kept == crate::model::fields::Kept::Derived);
        // Stored facets, computed ones and column widths are independent: they run side by side.
        let ((mut facets, computed), mut widths) = rayon::join(
            || {
                rayon::join(
                    || count(&s, &m.ids, &kept, Some(req.facet_values)),
                    || derived.par_iter().filter_map(|&f| annex.count(&s, f, &m.ids, req.facet_values)).collect(),
                )
            },
            || {
                let (found, graph) = (data.found(), data.graph());
                let case = data.case.read().unwrap_or_else(|e| e.into_inner());
                super::cells::widths(&Labels::new(&s), &found, &graph, &case, &m.ids)
            },
        );
        facets.extend::<Vec<FacetCounts>>(computed);
        // In the order asked for (the panel's).
        facets.sort_by_key(|c| req.facets.iter().position(|&f| f == c.field));
        // The facets counted every match: a column the widths' sample missed is there all the same.
        super::cells::fill_missed(&mut widths, m.ids.len(), |f| facets.iter().any(|c| c.field == f && c.distinct > 0));
        (facets, widths)
    };
    SearchResult {
        id: req.id,
        widths,
        facets,
        histogram: histogram(&s, &m.ids, req.histogram_bins),
        ids: Arc::new(m.ids.clone()),
        searched: m.searched,
        elapsed: started.elapsed(),
        complete,
    }
}

/// Partial results are sent at most this often.
const PARTIAL_EVERY: Duration = Duration::from_millis(150);

/// Runs one request to the end (or until cancelled), giving partial results
/// to `notify` on the way (at most every [`PARTIAL_EVERY`]) and the complete
/// one last.
pub fn execute(data: &Dataset, req: &Request, cancel: &Cancel, notify: &mut dyn FnMut(SearchResult)) {
    execute_every(data, req, cancel, PARTIAL_EVERY, notify)
}

/// [`execute`] with partial results at most every `every`.
pub fn execute_every(
    data: &Dataset,
    req: &Request,
    cancel: &Cancel,
    every: Duration,
    notify: &mut dyn FnMut(SearchResult),
) {
    let (store, annex) = (&data.store, &*data.annex());
    let started = Instant::now();
    let mut last = started;
    let mut partial = |m: &Matches| {
        if !cancel.is_cancelled() && last.elapsed() >= every {
            last = Instant::now();
            notify(result(data, annex, req, m, started, false));
        }
    };
    let Ok(m) = eval::run_partial(store, annex, &req.query, cancel, &mut partial) else { return };
    if !cancel.is_cancelled() {
        notify(result(data, annex, req, &m, started, true));
    }
}

/// Requests submitted and finished, to wait until the service is idle.
#[derive(Default)]
struct Idle {
    newest: Mutex<(u64, u64)>,
    changed: Condvar,
}

/// A worker thread running the newest request.
pub struct SearchService {
    requests: Sender<(Request, Cancel)>,
    running: Cancel,
    idle: Arc<Idle>,
}

impl SearchService {
    /// Starts the worker over `data`; `notify` receives every result it
    /// produces (on the worker's thread).
    pub fn start(data: &super::dataset::Dataset, notify: impl FnMut(SearchResult) + Send + 'static) -> SearchService {
        let (tx, rx) = channel::<(Request, Cancel)>();
        let idle = Arc::new(Idle::default());
        let worker_idle = Arc::clone(&idle);
        let data = data.clone();
        std::thread::spawn(move || worker(&data, rx, notify, &worker_idle));
        SearchService { requests: tx, running: Cancel::new(), idle }
    }

    /// A service whose results arrive on the returned channel.
    pub fn with_channel(data: &super::dataset::Dataset) -> (SearchService, Receiver<SearchResult>) {
        let (tx, rx) = channel();
        let service = SearchService::start(data, move |r| {
            let _ = tx.send(r);
        });
        (service, rx)
    }

    /// Runs `req`, cancelling the request running (its results are dropped).
    pub fn submit(&mut self, req: Request) {
        self.running.cancel();
        self.running = Cancel::new();
        self.idle.newest.lock().unwrap_or_else(|e| e.into_inner()).0 = req.id;
        let _ = self.requests.send((req, self.running.clone()));
    }

    /// Blocks until the newest request submitted has finished.
    pub fn wait_idle(&self) {
        let mut ids = self.idle.newest.lock().unwrap_or_else(|e| e.into_inner());
        while ids.1 < ids.0 {
            ids = self.idle.changed.wait(ids).unwrap_or_else(|e| e.into_inner());
        }
    }
}

fn worker(data: &Dataset, requests: Receiver<(Request, Cancel)>, mut notify: impl FnMut(SearchResult), idle: &Idle) {
    while let Ok(mut job) = requests.recv() {
        // Only the newest request matters.
        while let Ok(newer) = requests.try_recv() {
            job = newer;
        }
        let (req, cancel) = job;
        execute(data, &req, &cancel, &mut notify);
        let mut ids = idle.newest.lock().unwrap_or_else(|e| e.into_inner());
        ids.1 = ids.1.max(req.id);
        idle.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::parse;

    fn data_of(n: usize) -> crate::engine::Dataset {
        let lines: String = (0..n)
            .map(|i| {
                format!(
                    "{{\"eventTime\":\"2024-01-01T00:00:{:02}Z\",\"eventID\":\"{i}\",\"eventName\":\"E{}\"}}\n",
                    i % 60,
                    i % 3
                )
            })
            .collect();
        crate::engine::Dataset::from_bytes(vec![("t.jsonl".into(), lines.into_bytes())])
    }

    #[test]
    fn the_newest_request_wins_and_idle_waits_for_it() {
        let (mut svc, rx) = SearchService::with_channel(&data_of(300));
        for (i, q) in ["name:E0", "name:E1", "name:E2"].iter().enumerate() {
            svc.submit(Request { histogram_bins: 16, ..Request::plain(i as u64 + 1, parse(q).unwrap()) });
        }
        svc.wait_idle();
        let got: Vec<SearchResult> = rx.try_iter().collect();
        let last = got.last().expect("a result");
        assert_eq!((last.id, last.ids.len(), last.complete), (3, 100, true));
        assert_eq!(last.histogram.bins.iter().sum::<u32>(), 100);
        assert!(got.windows(2).all(|w| w[0].id <= w[1].id), "never an older result after a newer one");
    }

    #[test]
    fn a_slow_search_reports_partial_results_in_time_order() {
        let data = data_of(200_000);
        let mut seen = Vec::new();
        let req = Request::plain(1, parse("\"E1\"").unwrap());
        execute_every(&data, &req, &Cancel::new(), Duration::ZERO, &mut |r| seen.push((r.ids.len(), r.complete)));
        let (last, partials) = seen.split_last().unwrap();
        assert_eq!(*last, (66_667, true));
        assert!(!partials.is_empty() && partials.iter().all(|p| !p.1));
        assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "partials grow: {seen:?}");
    }

    #[test]
    fn the_histogram_by_bisection_counts_as_one_pass_would() {
        // Uneven times (some seconds crowded, some empty), bins finer and coarser than the span.
        let lines: String = (0..3000)
            .map(|i| {
                format!("{{\"eventTime\":\"2024-01-01T00:{:02}:{:02}Z\",\"eventID\":\"{i}\"}}\n", (i * i) % 47, i % 7)
            })
            .collect();
        let data = crate::engine::Dataset::from_bytes(vec![("t.jsonl".into(), lines.into_bytes())]);
        let s = data.read();
        let order = s.order();
        for (keep, bins) in [(1, 512), (3, 16), (7, 1), (2, 5000), (1000, 30)] {
            let ids: Vec<EventId> = order.iter().copied().step_by(keep).collect();
            let got = histogram(&s, &ids, bins);
            let (start, end) = (s.time(ids[0]), s.time(*ids.last().unwrap()));
            let span = (end - start).max(1) as i128;
            let mut want = vec![0u32; bins];
            for &id in &ids {
                want[(((s.time(id) - start) as i128 * bins as i128 / (span + 1)) as usize).min(bins - 1)] += 1;
            }
            assert_eq!((got.start, got.end, got.bins), (start, end, want), "every {keep}th event in {bins} bins");
        }
        assert_eq!(histogram(&s, &[], 10), Histogram::default());
    }
}
