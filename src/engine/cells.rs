//! How an event's field reads in a list of events, the explorer's and the
//! `query` table alike: stored fields as the field table shows them where
//! room is short, computed ones from what computes them. The text is the
//! data's: each view escapes it for its terminal.

use crate::case::Book;
use crate::detect::Results;
use crate::identity::Graph;
use crate::model::fields::{Field, Kept, list_fields};
use crate::query::labels::Labels;
use crate::store::EventId;

/// The text of event `id`'s `field` in a list (the time is each list's own).
pub fn cell(labels: &Labels, found: &Results, graph: &Graph, case: &Book, id: EventId, field: Field) -> String {
    let store = labels.store;
    match field {
        Field::Mark => if case.is_marked(id) { "*" } else { "" }.to_string(),
        Field::Tag => case
            .entry(id)
            .map(|e| e.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        Field::Level => found.level(id).map_or("", |l| l.glyph()).to_string(),
        Field::New => graph.firsts.new_kinds(store, id).iter().map(|k| k.name()).collect::<Vec<_>>().join(" "),
        // Only when it says more than the actor does.
        Field::Origin => match graph.origin(store, id) {
            o if o == store.value(id, Field::Actor) => String::new(),
            o => o.to_string(),
        },
        f => labels.compact_of(id, f).to_string(),
    }
}

/// How wide a column's text is over a result: wide enough for most of its
/// events (`typical`, 95 in 100), and for all of them (`widest`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Width {
    pub typical: usize,
    pub widest: usize,
}

/// Events whose computed columns (origin, first uses) are measured, at most:
/// an even sample of a larger result, so a search of a million events stays fast.
const DERIVED_SAMPLE: usize = 2_000;

/// Events whose stored columns are measured, at most (an even sample of a larger result).
const STORED_SAMPLE: usize = 5_000;

/// Of so many events in a hundred, a column's typical width shows the text whole.
const TYPICAL_PERCENT: u64 = 95;

/// The typical and widest of `widths` given as (width, events) pairs over `total` events.
fn width_of(mut widths: Vec<(usize, u64)>, total: u64) -> Width {
    widths.sort_unstable();
    let widest = widths.last().map_or(0, |w| w.0);
    let enough = (total * TYPICAL_PERCENT).div_ceil(100);
    let mut seen = total - widths.iter().map(|w| w.1).sum::<u64>().min(total);
    let mut typical = 0;
    for (w, n) in widths {
        if seen >= enough {
            break;
        }
        seen += n;
        typical = w;
    }
    Width { typical, widest }
}

/// How wide each list column's text is over `ids`, so the columns and
/// their widths follow the whole result, not the rows on screen.
pub fn widths(labels: &Labels, found: &Results, graph: &Graph, case: &Book, ids: &[EventId]) -> Vec<(Field, Width)> {
    let store = labels.store;
    // Printable ASCII (nearly every value) is as wide as it is long.
    let width = |t: &str| match t.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        true => t.len(),
        false => unicode_width::UnicodeWidthStr::width(crate::sanitize::visible(t).as_ref()),
    };
    let total = ids.len() as u64;
    let flag = |yes: bool| Width { typical: usize::from(yes), widest: usize::from(yes) };
    // The result is in the store's order: an event is looked up by bisection.
    let contains = |id: EventId| ids.binary_search_by(|&x| store.cmp_events(x, id)).is_ok();
    let mut out = Vec::new();
    for &f in list_fields().iter().filter(|&&f| f != Field::Time) {
        let w = match f.def().kept {
            Kept::Derived => match f {
                Field::Level => flag(ids.iter().any(|&id| found.level(id).is_some())),
                // The case keeps few events: its entries are looked up in the result, not the other way.
                Field::Mark | Field::Tag => {
                    let mut kept = case.bound_events().filter(|(id, _)| contains(*id));
                    match f {
                        Field::Mark => flag(kept.any(|(_, e)| e.marked.is_some())),
                        _ => width_of(
                            kept.map(|(id, _)| (width(&cell(labels, found, graph, case, id, f)), 1)).collect(),
                            total,
                        ),
                    }
                }
                // Worked out per event: measured on an even sample of a large result.
                f => {
                    let step = ids.len().div_ceil(DERIVED_SAMPLE).max(1);
                    let sample: Vec<(usize, u64)> = (ids.iter().step_by(step))
                        .map(|&id| (width(&cell(labels, found, graph, case, id, f)), step as u64))
                        .filter(|w| w.0 > 0)
                        .collect();
                    width_of(sample, total)
                }
            },
            _ => {
                // An even sample.
                let column = store.column(f);
                let step = ids.len().div_ceil(STORED_SAMPLE).max(1);
                // Events per value: a table over the column's values; or, when the sample
                // is small beside them (a million addresses), each sampled event measured.
                let values = store.dict(f).len() + 1;
                let counted: Vec<(u32, u64)> = if ids.len() / step < values / 16 {
                    ids.iter()
                        .step_by(step)
                        .map(|&id| (column.get(id as usize).copied().unwrap_or(0), step as u64))
                        .collect()
                } else {
                    let mut events = vec![0u64; values];
                    for &id in ids.iter().step_by(step) {
                        if let Some(n) = column.get(id as usize).and_then(|&v| events.get_mut(v as usize)) {
                            *n += step as u64;
                        }
                    }
                    events.into_iter().enumerate().filter(|e| e.1 > 0).map(|(v, n)| (v as u32, n)).collect()
                };
                let counted = counted.into_iter().filter(|&(v, _)| v != 0);
                width_of(counted.map(|(v, n)| (width(labels.compact(f, v)), n)).collect(), total)
            }
        };
        out.push((f, w));
    }
    out
}

/// Gives a width to each stored column whose values the sample of a large
/// result missed though `present` says some match holds one: the column is
/// there all the same (its rows say how wide).
pub fn fill_missed(widths: &mut [(Field, Width)], matches: usize, present: impl Fn(Field) -> bool) {
    if matches <= STORED_SAMPLE {
        return;
    }
    for (f, w) in widths.iter_mut() {
        if w.widest == 0 && f.def().kept != Kept::Derived && present(*f) {
            w.widest = 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rare_long_value_is_not_typical() {
        let w = width_of(vec![(10, 96), (36, 4)], 100);
        assert_eq!(w, Width { typical: 10, widest: 36 });
        assert_eq!(width_of(vec![(10, 90), (36, 10)], 100), Width { typical: 36, widest: 36 });
        // Events without a value count as narrow ones.
        assert_eq!(width_of(vec![(20, 3)], 100), Width { typical: 0, widest: 20 });
        assert_eq!(width_of(vec![], 0), Width::default());
    }
}
