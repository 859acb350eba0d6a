//! Keeps the credential graph up to date as events arrive: new keys and
//! issuing events are taken in, then every key's origin is walked again
//! (keys number thousands, not millions).

use super::chain::Chain;
use super::graph::Graph;
use crate::model::fields::Field;
use crate::store::Store;
use std::sync::{Arc, RwLock};

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
        let s = store.read().unwrap_or_else(|e| e.into_inner());
        let from = self.graph.read().unwrap_or_else(|e| e.into_inner()).evaluated;
        let to = s.len();
        if to <= from {
            return false;
        }
        let mut g = self.graph.write().unwrap_or_else(|e| e.into_inner());
        g.take(&s, from, to);
        let keys = s.dict(Field::AccessKey);
        let origins = (1..=keys.len() as u32).map(|k| Chain::of(&g, &s, keys.get(k)).origin().to_string()).collect();
        g.set_origins(origins);
        g.work += started.elapsed();
        true
    }
}
