//! Counting the values of facets over a set of events.

use crate::model::facet::Facet;
use crate::store::{EventId, Store};
use rayon::prelude::*;

/// The values of one facet with their counts, most frequent first.
#[derive(Debug, Clone, Default)]
pub struct FacetCounts {
    pub facet: Option<Facet>,
    /// (value id, count); ties in label order.
    pub values: Vec<(u32, u32)>,
    /// How many distinct values there were (`values` may hold fewer).
    pub distinct: usize,
}

/// Counts `facets` over `ids`; keeps the `limit` most frequent values of each.
pub fn count(store: &Store, ids: &[EventId], facets: &[Facet], limit: Option<usize>) -> Vec<FacetCounts> {
    facets
        .par_iter()
        .map(|&f| {
            let col = store.column(f);
            let mut counts = vec![0u32; store.dict(f).len() + 1];
            for &id in ids {
                counts[col[id as usize] as usize] += 1;
            }
            let mut values: Vec<(u32, u32)> =
                counts.iter().enumerate().skip(1).filter(|(_, n)| **n > 0).map(|(v, n)| (v as u32, *n)).collect();
            let distinct = values.len();
            let by_count = |a: &(u32, u32), b: &(u32, u32)| {
                b.1.cmp(&a.1).then_with(|| store.label(f, a.0).cmp(store.label(f, b.0)))
            };
            if let Some(k) = limit.filter(|&k| k < values.len()) {
                values.select_nth_unstable_by(k, by_count);
                values.truncate(k);
            }
            values.sort_unstable_by(by_count);
            FacetCounts { facet: Some(f), values, distinct }
        })
        .collect()
}
