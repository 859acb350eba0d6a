//! Keeps the credential graph up to date as events arrive: new events are
//! taken in, what depends on several records is settled again, then every
//! credential's origin is walked again (credentials number thousands, not
//! millions).

use super::chain::Chain;
use super::graph::Graph;
use crate::store::Store;
use std::sync::{Arc, RwLock};

/// Events taken in under one hold of the store's lock.
const SLICE: usize = 32_768;

pub struct Tracker {
    graph: Arc<RwLock<Graph>>,
}

impl Tracker {
    pub fn new(graph: Arc<RwLock<Graph>>) -> Tracker {
        Tracker { graph }
    }

    /// Takes in the events appended since the last call. Returns whether there were any.
    pub fn step(&mut self, store: &RwLock<Store>) -> bool {
        let started = std::time::Instant::now();
        let from = self.graph.read().unwrap_or_else(|e| e.into_inner()).evaluated;
        let to = store.read().unwrap_or_else(|e| e.into_inner()).len();
        if to <= from {
            return false;
        }
        // In slices, letting go of the store between them: the loader appends meanwhile.
        for at in (from..to).step_by(SLICE) {
            let s = store.read().unwrap_or_else(|e| e.into_inner());
            let mut g = self.graph.write().unwrap_or_else(|e| e.into_inner());
            let end = (at + SLICE).min(to);
            g.take(&s, at, end);
            let firsts = std::time::Instant::now();
            g.firsts.take(&s, at, end);
            g.firsts_work += firsts.elapsed();
        }
        let s = store.read().unwrap_or_else(|e| e.into_inner());
        let mut g = self.graph.write().unwrap_or_else(|e| e.into_inner());
        if !g.settle(&s) {
            g.work += started.elapsed();
            return true;
        }
        let creds = super::chain::origins(&g, &s);
        let logins = g
            .logins_with_password()
            .into_iter()
            .map(|id| (id, Chain::of_event(&g, &s, id).origin().to_string()))
            .collect();
        g.set_origins(creds, logins);
        g.work += started.elapsed();
        true
    }

    /// Takes in the last events, once every event is in, and settles what
    /// is worked out from all of them.
    pub fn finish(&mut self, store: &RwLock<Store>) {
        self.step(store);
        let started = std::time::Instant::now();
        let s = store.read().unwrap_or_else(|e| e.into_inner());
        let mut g = self.graph.write().unwrap_or_else(|e| e.into_inner());
        g.firsts.settle(&s);
        g.firsts_work += started.elapsed();
    }
}
