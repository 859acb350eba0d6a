//! A dataset: the store, the loading progress, and the loader thread.

use crate::loader::{self, LoadOptions, Progress};
use crate::query::{Cancel, Query};
use crate::store::{EventId, Store};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::thread::JoinHandle;

/// Events being loaded (or loaded) from the inputs the user named. Cheap to
/// clone: clones share the store.
#[derive(Clone)]
pub struct Dataset {
    pub store: Arc<RwLock<Store>>,
    pub progress: Arc<Progress>,
    loader: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl Dataset {
    fn empty() -> Dataset {
        Dataset {
            store: Arc::new(RwLock::new(Store::new())),
            progress: Arc::new(Progress::default()),
            loader: Arc::new(Mutex::new(None)),
        }
    }

    /// Starts loading `inputs` (files, folders, `-` for standard input) in the
    /// background; the store fills while the caller goes on.
    pub fn open(inputs: &[PathBuf], opts: LoadOptions) -> Dataset {
        let d = Dataset::empty();
        let (paths, store, progress) = (inputs.to_vec(), Arc::clone(&d.store), Arc::clone(&d.progress));
        let handle = std::thread::spawn(move || loader::load(&paths, &store, &progress, &opts));
        *d.loader.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
        d
    }

    /// Loads `inputs` and returns when they are in.
    pub fn load(inputs: &[PathBuf], opts: LoadOptions) -> Dataset {
        let d = Dataset::open(inputs, opts);
        d.wait();
        d
    }

    /// Loads inputs held in memory, each with the name its problems get
    /// (tests and fuzzing), on this thread.
    pub fn from_bytes(inputs: Vec<(String, Vec<u8>)>) -> Dataset {
        let d = Dataset::empty();
        loader::load_bytes(inputs, &d.store, &d.progress);
        d
    }

    /// Waits for loading to end. False when the loader stopped unexpectedly
    /// (what it had loaded stays).
    pub fn wait(&self) -> bool {
        let handle = self.loader.lock().unwrap_or_else(|e| e.into_inner()).take();
        handle.is_none_or(|h| h.join().is_ok())
    }

    /// Whether loading has ended.
    pub fn is_loaded(&self) -> bool {
        self.progress.is_done()
    }

    /// The store, for reading.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The events matching `q`, oldest first, on this thread (commands).
    pub fn matching(&self, q: &Query) -> Vec<EventId> {
        crate::query::run(&self.store, q, &Cancel::new()).map(|m| m.ids).unwrap_or_default()
    }
}
