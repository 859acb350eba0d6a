//! The rules run where the loader reads: each loader thread's watch
//! evaluates its events while their records are at hand, and hands the
//! hits, with the ids the store gave the events, to the detector.

use super::engine::{Engine, Hit, Local};
use crate::json::scan::MemberSpan;
use crate::store::batch::{Appended, Batch, NewWatch, Watch};
use std::sync::{Arc, Mutex};

/// Hits of appended events, in event order, waiting for the detector.
#[derive(Default)]
pub struct Feed(Mutex<Fed>);

#[derive(Default)]
struct Fed {
    hits: Vec<Hit>,
    /// Events evaluated: the store's length at the last append.
    events: usize,
}

impl Feed {
    /// The hits fed since the last call, and how many events they cover.
    pub fn take(&self) -> (Vec<Hit>, usize) {
        let mut f = self.0.lock().unwrap_or_else(|e| e.into_inner());
        (std::mem::take(&mut f.hits), f.events)
    }
}

/// A loader thread's evaluation of the rules.
struct RuleWatch {
    engine: Arc<Engine>,
    local: Local,
    /// Hits of the batch being built; ids are indices in the batch.
    hits: Vec<Hit>,
    feed: Arc<Feed>,
}

impl Watch for RuleWatch {
    fn event(&mut self, batch: &Batch, i: usize, record: &[u8], spans: &[MemberSpan]) {
        self.engine.event(&mut self.local, batch, i, (record, spans), &mut self.hits);
    }

    fn forget(&mut self, i: usize) {
        self.hits.retain(|h| (h.id as usize) < i);
    }

    fn appended(&mut self, at: &Appended) {
        let mut f = self.feed.0.lock().unwrap_or_else(|e| e.into_inner());
        f.hits.extend(self.hits.drain(..).filter_map(|h| Some(Hit { id: at.id(h.id as usize)?, ..h })));
        f.events = at.events;
        self.local.clear();
    }
}

/// Watches that evaluate `engine`'s rules and feed `feed`.
pub fn watch(engine: &Arc<Engine>, feed: &Arc<Feed>) -> NewWatch {
    let (engine, feed) = (Arc::clone(engine), Arc::clone(feed));
    Arc::new(move || {
        Box::new(RuleWatch {
            engine: Arc::clone(&engine),
            local: engine.local(),
            hits: Vec::new(),
            feed: Arc::clone(&feed),
        })
    })
}
