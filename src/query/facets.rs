//! Counting the values of facets over a set of events.

use super::labels::Labels;
use crate::model::fields::Field;
use crate::store::{EventId, Store};
use rayon::prelude::*;
use std::collections::BinaryHeap;

/// The values of one field with their counts, most frequent first.
#[derive(Debug, Clone)]
pub struct FacetCounts {
    pub field: Field,
    /// (value id, count); ties in label order.
    pub values: Vec<(u32, u32)>,
    /// How many distinct values there were (`values` may hold fewer).
    pub distinct: usize,
    /// For a field computed beside the store: value `v`'s label is
    /// `labels[v - 1]` (store fields are labelled from the store).
    pub labels: Vec<String>,
    /// For rules: per value, the rows `detect` folds its events into (see
    /// `detect::fold`); empty otherwise.
    pub rows: Vec<u32>,
}

impl FacetCounts {
    /// Value `v` as shown.
    pub fn label<'a>(&'a self, store_labels: &Labels<'a>, v: u32) -> &'a str {
        match self.labels.get((v as usize).wrapping_sub(1)) {
            Some(l) => l,
            None if self.labels.is_empty() => store_labels.label(self.field, v),
            None => "",
        }
    }
}

/// A value in the running top list; the heap keeps the worst on top.
struct Ranked<'a> {
    count: u32,
    label: &'a str,
    id: u32,
}

impl Ord for Ranked<'_> {
    /// Worse is greater: fewer events, then later in label order.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        other.count.cmp(&self.count).then_with(|| self.label.cmp(other.label))
    }
}
impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}
impl Eq for Ranked<'_> {}

/// The `k` most frequent values of a count array (index = value id), ties in
/// label order, without gathering them all first: a facet such as the source
/// address has nearly a million values, almost all seen once. Labels are
/// compared only between a tie and the current worst of the top.
fn top_k<'a>(counts: &[u32], k: usize, label: impl Fn(u32) -> &'a str) -> Vec<(u32, u32)> {
    let mut heap: BinaryHeap<Ranked<'a>> = BinaryHeap::with_capacity(k + 1);
    for (v, &n) in counts.iter().enumerate().skip(1) {
        if n == 0 {
            continue;
        }
        if heap.len() < k {
            heap.push(Ranked { count: n, label: label(v as u32), id: v as u32 });
            continue;
        }
        let Some(worst) = heap.peek() else { break };
        if n < worst.count {
            continue;
        }
        let item = Ranked { count: n, label: label(v as u32), id: v as u32 };
        if item < *worst {
            heap.pop();
            heap.push(item);
        }
    }
    heap.into_iter().map(|r| (r.id, r.count)).collect()
}

/// Counts the values of `fields` over `ids`; keeps the `limit` most frequent
/// of each (all of them when `limit` is None). Values equal but for case
/// are one (a query matches them alike), counted under the least of their
/// spellings. Ties go by label. Fields without a column (computed beside
/// the store) are left to their annex.
pub fn count(store: &Store, ids: &[EventId], fields: &[Field], limit: Option<usize>) -> Vec<FacetCounts> {
    let labels = Labels::new(store);
    // A search that keeps most events: every event's counts, less those of the events it left out.
    let order = store.order();
    let left_out = (ids.len() > order.len() / 2).then(|| left_out(&order, ids)).flatten();
    fields
        .par_iter()
        .filter(|f| f.column().is_some())
        .map(|&f| {
            let col = store.column(f);
            // Events per value...
            let mut counts = match &left_out {
                Some(out) => {
                    let mut counts = store.value_counts(f).to_vec();
                    for &id in out {
                        let n = &mut counts[col[id as usize] as usize];
                        *n = n.saturating_sub(1);
                    }
                    counts
                }
                None => {
                    let mut counts = vec![0u32; store.dict(f).len() + 1];
                    ids.iter().for_each(|&id| counts[col[id as usize] as usize] += 1);
                    counts
                }
            };
            // ...those equal but for case counted as one.
            if let Some(folds) = store.case_folds(f) {
                let mut folded = vec![0u32; counts.len()];
                for (v, &n) in counts.iter().enumerate() {
                    folded[folds.get(v).map_or(v, |&to| to as usize)] += n;
                }
                counts = folded;
            }
            counts[0] = 0;
            let distinct = counts.iter().skip(1).filter(|&&n| n > 0).count();
            let values = match limit {
                Some(k) => top_k(&counts, k, |v| labels.label(f, v)),
                None => {
                    counts.iter().enumerate().skip(1).filter(|(_, n)| **n > 0).map(|(v, n)| (v as u32, *n)).collect()
                }
            };
            // Each label is looked up once, not at every comparison (all of a facet may be 800k values).
            let mut keyed: Vec<(u32, u32, &str)> =
                values.into_iter().map(|(v, n)| (v, n, labels.label(f, v))).collect();
            keyed.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.2.cmp(b.2)));
            let values = keyed.into_iter().map(|(v, n, _)| (v, n)).collect();
            FacetCounts { field: f, values, distinct, labels: vec![], rows: vec![] }
        })
        .collect()
}

/// The events of `order` that `ids` leaves out, when `ids` is a part of
/// `order` in its order (as a search's result is); None otherwise.
fn left_out(order: &[EventId], ids: &[EventId]) -> Option<Vec<EventId>> {
    let mut out = Vec::with_capacity(order.len().saturating_sub(ids.len()));
    let mut rest = order.iter();
    for &id in ids {
        loop {
            let &o = rest.next()?;
            if o == id {
                break;
            }
            out.push(o);
        }
    }
    out.extend(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_the_most_frequent_ties_by_label() {
        let counts = [0, 5, 1, 0, 9, 1, 5, 2];
        let labels = ["", "e", "z", "", "a", "b", "c", "d"];
        let top = |k| {
            let mut t = top_k(&counts, k, |v| labels[v as usize]);
            t.sort();
            t
        };
        assert_eq!(top(3), vec![(1, 5), (4, 9), (6, 5)]);
        assert_eq!(top(5), vec![(1, 5), (4, 9), (5, 1), (6, 5), (7, 2)], "of the two seen once, \"b\" before \"z\"");
        assert_eq!(top(0), vec![]);
        assert_eq!(top_k(&[0, 0], 3, |_| ""), vec![]);
    }
}
