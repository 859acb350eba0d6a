//! Counting the values of facets over a set of events.

use crate::model::facet::Facet;
use crate::store::{EventId, Store};
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// The values of one facet with their counts, most frequent first.
#[derive(Debug, Clone, Default)]
pub struct FacetCounts {
    pub facet: Option<Facet>,
    /// (value id, count); ties in label order.
    pub values: Vec<(u32, u32)>,
    /// How many distinct values there were (`values` may hold fewer).
    pub distinct: usize,
}

/// The `k` most frequent values of a count array (index = value id), without
/// gathering them all first: a facet such as the source address has nearly a
/// million values, almost all seen once. Among equal counts, lower ids win
/// (a stable choice; the few kept are then sorted by label).
fn top_k(counts: &[u32], k: usize) -> Vec<(u32, u32)> {
    let mut heap: BinaryHeap<Reverse<(u32, Reverse<u32>)>> = BinaryHeap::with_capacity(k + 1);
    for (v, &n) in counts.iter().enumerate().skip(1) {
        if n == 0 {
            continue;
        }
        let item = Reverse((n, Reverse(v as u32)));
        if heap.len() < k {
            heap.push(item);
        } else if heap.peek().is_some_and(|min| item < *min) {
            heap.pop();
            heap.push(item);
        }
    }
    heap.into_iter().map(|Reverse((n, Reverse(v)))| (v, n)).collect()
}

/// Counts `facets` over `ids`; keeps the `limit` most frequent values of each
/// (all of them when `limit` is None).
pub fn count(store: &Store, ids: &[EventId], facets: &[Facet], limit: Option<usize>) -> Vec<FacetCounts> {
    facets
        .par_iter()
        .map(|&f| {
            let col = store.column(f);
            let mut counts = vec![0u32; store.dict(f).len() + 1];
            for &id in ids {
                counts[col[id as usize] as usize] += 1;
            }
            let distinct = counts.iter().skip(1).filter(|&&n| n > 0).count();
            let mut values = match limit {
                Some(k) => top_k(&counts, k),
                None => {
                    counts.iter().enumerate().skip(1).filter(|(_, n)| **n > 0).map(|(v, n)| (v as u32, *n)).collect()
                }
            };
            values.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| store.label(f, a.0).cmp(store.label(f, b.0))));
            FacetCounts { facet: Some(f), values, distinct }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_most_frequent() {
        let counts = [0, 5, 1, 0, 9, 1, 5, 2];
        let mut t = top_k(&counts, 3);
        t.sort();
        assert_eq!(t, vec![(1, 5), (4, 9), (6, 5)]);
        let mut t = top_k(&counts, 5);
        t.sort();
        assert_eq!(t, vec![(1, 5), (2, 1), (4, 9), (6, 5), (7, 2)], "ties at the edge: the lower id");
        assert_eq!(top_k(&counts, 0), vec![]);
        assert_eq!(top_k(&[0, 0], 3), vec![]);
    }
}
