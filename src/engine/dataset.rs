//! A dataset: the store, the loading progress, the loader thread, and what
//! is computed beside the store while it fills (detections, the credential
//! graph).

use crate::case::{self, Book};
use crate::detect::{self, Detector, Results, RuleSet};
use crate::identity::{self, Graph, Tracker};
use crate::incident::{self, Incidents};
use crate::loader::{self, LoadOptions, Progress};
use crate::model::fields::Field;
use crate::query::eval::Annex;
use crate::query::facets::FacetCounts;
use crate::query::glob::Glob;
use crate::query::index::TextIndex;
use crate::query::{Cancel, Query};
use crate::store::{EventId, Store};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// How a dataset is opened.
#[derive(Clone, Default)]
pub struct Options {
    pub load: LoadOptions,
    /// The detection rules run over the events (none by default).
    pub rules: Arc<RuleSet>,
    /// The learning window of first-seen analytics (None: a day).
    pub learning: Option<crate::model::time::Micros>,
    /// Findings of one origin further apart are separate incidents (None: two hours).
    pub gap: Option<crate::model::time::Micros>,
    /// The case kept beside the events (an empty one in memory by default).
    pub case: Arc<RwLock<Book>>,
    /// Index the records' text once loaded (the explorer, where every
    /// keystroke searches; a command that searches once would only wait).
    pub index: bool,
}

/// Events being loaded (or loaded) from the inputs the user named, and what
/// the rules found in them. Cheap to clone: clones share everything.
#[derive(Clone)]
pub struct Dataset {
    pub store: Arc<RwLock<Store>>,
    pub progress: Arc<Progress>,
    pub detections: Arc<RwLock<Results>>,
    /// The credential graph.
    pub identity: Arc<RwLock<Graph>>,
    /// The findings grouped into incidents, once every event is in.
    pub incidents: Arc<RwLock<Incidents>>,
    /// The case: marks, tags, notes and queries kept.
    pub case: Arc<RwLock<Book>>,
    /// The index of the records' text (see [`Options::index`]), or how far it is.
    pub index: Arc<RwLock<Indexing>>,
    /// The loader and the detector, while they run.
    threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// How often the detector and the identity tracker take in new events
/// while loading goes on.
const STEP_EVERY: Duration = Duration::from_millis(200);

impl Dataset {
    fn empty(rules: Arc<RuleSet>, case: Arc<RwLock<Book>>) -> Dataset {
        Dataset {
            store: Arc::new(RwLock::new(Store::new())),
            progress: Arc::new(Progress::default()),
            detections: Arc::new(RwLock::new(Results::new(rules))),
            identity: Arc::default(),
            incidents: Arc::default(),
            case,
            index: Arc::default(),
            threads: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Starts loading `inputs` (files, folders, `-` for standard input) in the
    /// background, and running the rules over the events as they arrive; the
    /// store fills while the caller goes on.
    pub fn open(inputs: &[PathBuf], opts: Options) -> Dataset {
        let d = Dataset::empty(Arc::clone(&opts.rules), Arc::clone(&opts.case));
        if let Some(l) = opts.learning {
            d.identity.write().unwrap_or_else(|e| e.into_inner()).firsts.learning = l;
        }
        let (paths, store, progress) = (inputs.to_vec(), Arc::clone(&d.store), Arc::clone(&d.progress));
        // The rules, if there are any, run in the loader; the detector takes in what they find.
        let mut detector = (!opts.rules.rules.is_empty()).then(|| Detector::with_results(Arc::clone(&d.detections)));
        let load = LoadOptions { watch: detector.as_ref().map(Detector::watch), ..opts.load };
        let loader = std::thread::spawn(move || loader::load(&paths, &store, &progress, &load));
        let mut threads = vec![loader];
        // Beside the loader: the credential graph, and the correlations.
        let (store, progress) = (Arc::clone(&d.store), Arc::clone(&d.progress));
        let mut tracker = Tracker::new(Arc::clone(&d.identity));
        let (identity, detections) = (Arc::clone(&d.identity), Arc::clone(&d.detections));
        let (incidents, gap) = (Arc::clone(&d.incidents), opts.gap.unwrap_or(incident::GAP));
        let index = opts.index.then(|| Arc::clone(&d.index));
        if opts.index {
            *d.index.write().unwrap_or_else(|e| e.into_inner()) = Indexing::Coming;
        }
        threads.push(std::thread::spawn(move || {
            loop {
                let done = progress.is_done();
                if done {
                    tracker.finish(&store);
                } else {
                    tracker.step(&store);
                }
                if let Some(d) = &mut detector {
                    if done {
                        finish(d, &store, &identity, &detections);
                    } else {
                        d.step(&store, false);
                    }
                }
                if done {
                    settle_incidents(&store, &detections, &identity, &incidents, gap);
                    count_values(&store);
                    // Last, so that it takes no processor from what the explorer shows first.
                    if let Some(index) = &index {
                        if progress.memory_short.load(std::sync::atomic::Ordering::Relaxed) {
                            // Memory is already short: searches read records.
                            *index.write().unwrap_or_else(|e| e.into_inner()) = Indexing::GaveUp;
                        } else {
                            build_index(&store, index);
                        }
                    }
                    break;
                }
                std::thread::sleep(STEP_EVERY);
            }
        }));
        *d.threads.lock().unwrap_or_else(|e| e.into_inner()) = threads;
        d
    }

    /// Loads `inputs` (and runs the rules) and returns when all is done.
    pub fn load(inputs: &[PathBuf], opts: Options) -> Dataset {
        let d = Dataset::open(inputs, opts);
        d.wait();
        d
    }

    /// Loads inputs held in memory, each with the name its problems get
    /// (tests and fuzzing), on this thread, and runs `rules` over them.
    pub fn from_bytes_with(inputs: Vec<(String, Vec<u8>)>, rules: Arc<RuleSet>) -> Dataset {
        let d = Dataset::empty(Arc::clone(&rules), Arc::default());
        let mut detector = (!rules.rules.is_empty()).then(|| Detector::with_results(Arc::clone(&d.detections)));
        loader::load_bytes(inputs, &d.store, &d.progress, detector.as_ref().map(Detector::watch).as_ref());
        Tracker::new(Arc::clone(&d.identity)).finish(&d.store);
        if let Some(detector) = &mut detector {
            finish(detector, &d.store, &d.identity, &d.detections);
        }
        settle_incidents(&d.store, &d.detections, &d.identity, &d.incidents, incident::GAP);
        build_index(&d.store, &d.index);
        d
    }

    /// [`Dataset::from_bytes_with`] without rules.
    pub fn from_bytes(inputs: Vec<(String, Vec<u8>)>) -> Dataset {
        Dataset::from_bytes_with(inputs, Arc::default())
    }

    /// Waits for loading and detection to end. False when one of them
    /// stopped unexpectedly (what it had done stays).
    pub fn wait(&self) -> bool {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        // Every thread is joined, whatever the others did.
        let joined: Vec<bool> = threads.into_iter().map(|h| h.join().is_ok()).collect();
        joined.into_iter().all(|ok| ok)
    }

    /// Keeps `work` (a thread working beside the dataset) among the threads
    /// [`Dataset::wait`] waits for.
    pub fn beside(&self, work: JoinHandle<()>) {
        self.threads.lock().unwrap_or_else(|e| e.into_inner()).push(work);
    }

    /// Whether loading has ended.
    pub fn is_loaded(&self) -> bool {
        self.progress.is_done()
    }

    /// The store, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    /// What the rules found, for reading.
    pub fn found(&self) -> RwLockReadGuard<'_, Results> {
        self.detections.read().unwrap_or_else(|e| e.into_inner())
    }

    /// What answers query terms on fields computed beside the store.
    pub fn annex(&self) -> Arc<dyn Annex + Send + Sync> {
        Arc::new(Annexes(
            detect::Annex(Arc::clone(&self.detections)),
            identity::Annex(Arc::clone(&self.identity)),
            incident::annex::Annex(Arc::clone(&self.incidents)),
            case::annex::Annex(Arc::clone(&self.case)),
            Arc::clone(&self.index),
        ))
    }

    /// Runs `f` on the case (its entries found among the events loaded so
    /// far) and the store. The store is locked first, as searches do, so
    /// the two never wait on each other.
    pub fn with_case<T>(&self, f: impl FnOnce(&mut Book, &Store) -> T) -> T {
        let store = self.read();
        let mut book = self.case.write().unwrap_or_else(|e| e.into_inner());
        book.sync(&store);
        f(&mut book, &store)
    }

    /// The credential graph, for reading.
    pub fn graph(&self) -> RwLockReadGuard<'_, Graph> {
        self.identity.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The events matching `q`, oldest first, on this thread (commands).
    pub fn matching(&self, q: &Query) -> Vec<EventId> {
        crate::query::eval::run_partial(&self.store, &*self.annex(), q, &Cancel::new(), &mut |_| {})
            .map(|m| m.ids)
            .unwrap_or_default()
    }
}

/// The detector's last step, once every event is in and the credential
/// graph has taken them: rules on first-seen fields are answered from it.
fn finish(detector: &mut Detector, store: &RwLock<Store>, identity: &RwLock<Graph>, detections: &RwLock<Results>) {
    let g = identity.read().unwrap_or_else(|e| e.into_inner());
    let firsts = g.firsts.derived(&store.read().unwrap_or_else(|e| e.into_inner()));
    detector.finish(store, &mut |s, id, f| match detect::DERIVED[f] {
        "trailscope.new" => firsts.first_uses(s, id),
        "trailscope.fresh" => firsts.fresh(s, id),
        _ => Vec::new(),
    });
    drop(g);
    // What `detect` folds, for the detections panel to count the same way.
    let rows = {
        let found = detections.read().unwrap_or_else(|e| e.into_inner());
        detect::fold::row_numbers(&found, &store.read().unwrap_or_else(|e| e.into_inner()))
    };
    detections.write().unwrap_or_else(|e| e.into_inner()).set_rows(rows);
}

/// Groups what the rules found into incidents, once everything else is done.
fn settle_incidents(
    store: &RwLock<Store>,
    detections: &RwLock<Results>,
    identity: &RwLock<Graph>,
    incidents: &RwLock<Incidents>,
    gap: crate::model::time::Micros,
) {
    let built = {
        let (s, found, g) = (
            store.read().unwrap_or_else(|e| e.into_inner()),
            detections.read().unwrap_or_else(|e| e.into_inner()),
            identity.read().unwrap_or_else(|e| e.into_inner()),
        );
        incident::build(&s, &found, &g, gap)
    };
    *incidents.write().unwrap_or_else(|e| e.into_inner()) = built;
}

/// Counts every value of the panel's columns once loading is done, so the
/// first search that keeps most events does not (see [`Store::value_counts`]).
fn count_values(store: &RwLock<Store>) {
    let s = store.read().unwrap_or_else(|e| e.into_inner());
    for &f in crate::model::fields::panel_fields() {
        s.value_counts(f);
    }
}

/// The text index, or how far it is.
#[derive(Clone, Default)]
pub enum Indexing {
    /// Not asked for.
    #[default]
    No,
    /// Built once loading and detection are done.
    Coming,
    Ready(Arc<TextIndex>),
    /// The records held too many distinct paths or values: searches read records.
    GaveUp,
}

impl Indexing {
    fn ready(&self) -> Option<Arc<TextIndex>> {
        match self {
            Indexing::Ready(ix) => Some(Arc::clone(ix)),
            _ => None,
        }
    }
}

impl Dataset {
    /// The text index, once built.
    pub fn text_index(&self) -> Option<Arc<TextIndex>> {
        self.index.read().unwrap_or_else(|e| e.into_inner()).ready()
    }
}

/// Indexes the records' text (the store is read a slice at a time meanwhile).
fn build_index(store: &RwLock<Store>, index: &RwLock<Indexing>) {
    let built = crate::query::index::build::build(store).map_or(Indexing::GaveUp, |ix| Indexing::Ready(Arc::new(ix)));
    *index.write().unwrap_or_else(|e| e.into_inner()) = built;
}

/// The fields computed beside the store (detections, identity, incidents,
/// the case), and the text index.
struct Annexes(detect::Annex, identity::Annex, incident::annex::Annex, case::annex::Annex, Arc<RwLock<Indexing>>);

impl Annex for Annexes {
    fn select(&self, store: &Store, field: Field, value: &Glob, events: usize) -> Option<Vec<bool>> {
        (self.0.select(store, field, value, events))
            .or_else(|| self.1.select(store, field, value, events))
            .or_else(|| self.2.select(store, field, value, events))
            .or_else(|| self.3.select(store, field, value, events))
    }

    fn count(&self, store: &Store, field: Field, ids: &[EventId], keep: usize) -> Option<FacetCounts> {
        (self.0.count(store, field, ids, keep))
            .or_else(|| self.1.count(store, field, ids, keep))
            .or_else(|| self.3.count(store, field, ids, keep))
    }

    fn index(&self) -> Option<Arc<TextIndex>> {
        self.4.read().unwrap_or_else(|e| e.into_inner()).ready()
    }
}
