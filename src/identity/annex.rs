//! The query terms on identity: `origin:GLOB` (events whose chain ends at a
//! matching identity) and `session:KEY` (events done with the key or with
//! any key issued, at any depth, from it).

use super::graph::Graph;
use crate::model::fields::Field;
use crate::query::facets::FacetCounts;
use crate::query::glob::Glob;
use crate::store::{EventId, Store};
use std::sync::{Arc, RwLock};

pub struct Annex(pub Arc<RwLock<Graph>>);

impl crate::query::eval::Annex for Annex {
    fn select(&self, s: &Store, field: Field, value: &Glob, events: usize) -> Option<Vec<bool>> {
        if !matches!(field, Field::Origin | Field::Session) {
            return None;
        }
        let g = self.0.read().unwrap_or_else(|e| e.into_inner());
        let n = events.min(s.len()).min(g.evaluated);
        let mut set = vec![false; events];
        match field {
            Field::Origin => set[..n].copy_from_slice(&g.origins_where(s, n, |o| match o {
                "" => crate::query::eval::absent_matches(Field::Origin, value),
                o => value.matches(o),
            })),
            _ => {
                // The keys the term names (a glob may name several), and what they issued.
                let keys = s.dict(Field::AccessKey);
                let named = (1..=keys.len() as u32).map(|k| keys.get(k)).filter(|k| value.matches(k));
                let mask = g.session_mask(s, named);
                for (id, b) in set.iter_mut().enumerate().take(n) {
                    *b = g.selects(s, &mask, id as EventId);
                }
            }
        }
        Some(set)
    }

    /// Events per origin, as a facet (the labels carried along).
    fn count(&self, store: &Store, field: Field, ids: &[EventId], keep: usize) -> Option<FacetCounts> {
        if field != Field::Origin {
            return None;
        }
        let g = self.0.read().unwrap_or_else(|e| e.into_inner());
        let (top, distinct) = g.count_origins(store, ids, keep);
        let values = (1..=top.len() as u32).zip(top.iter().map(|t| t.1)).collect();
        Some(FacetCounts { field, values, distinct, labels: top.into_iter().map(|t| t.0).collect() })
    }
}
