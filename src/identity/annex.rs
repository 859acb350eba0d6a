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
        if !matches!(field, Field::Origin | Field::Session | Field::New) {
            return None;
        }
        let g = self.0.read().unwrap_or_else(|e| e.into_inner());
        let n = events.min(s.len()).min(g.evaluated);
        let mut set = vec![false; events];
        match field {
            Field::New => set[..n].copy_from_slice(&g.firsts.select(s, n, |k| value.matches(k.name()))),
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

    /// Events per origin, and per kind of first use, as facets (the labels carried along).
    fn count(&self, store: &Store, field: Field, ids: &[EventId], keep: usize) -> Option<FacetCounts> {
        let g = self.0.read().unwrap_or_else(|e| e.into_inner());
        if field == Field::New {
            let counts = g.firsts.count(store, ids);
            let mut top: Vec<(String, u32)> = super::firsts::Kind::ALL
                .iter()
                .map(|k| (k.name().to_string(), counts[*k as usize]))
                .filter(|(_, n)| *n > 0)
                .collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let (distinct, values) = (top.len(), (1..=top.len() as u32).zip(top.iter().map(|t| t.1)).collect());
            return Some(FacetCounts {
                field,
                values,
                distinct,
                labels: top.into_iter().map(|t| t.0).collect(),
                rows: vec![],
            });
        }
        if field != Field::Origin {
            return None;
        }
        let (top, distinct) = g.count_origins(store, ids, keep);
        let values = (1..=top.len() as u32).zip(top.iter().map(|t| t.1)).collect();
        Some(FacetCounts { field, values, distinct, labels: top.into_iter().map(|t| t.0).collect(), rows: vec![] })
    }
}
