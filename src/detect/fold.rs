//! Matches as a responder reads them: a rule that matched one identity
//! (an actor in its account) again and again within an hour (a tool that
//! called 40 reads) is one row with a count, its first and last time and
//! every event, not 40 lines; the same for one correlation group matched
//! again (a correlation without group-by is one group). Events without an
//! identity to tell apart are not folded. `detect --each` unfolds them.

use super::correlate::CorrMatch;
use super::results::Results;
use super::rule::{Level, Rule};
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::{EventId, Store};
use std::collections::HashMap;

/// How long after a row's first match later ones still fold into it.
pub const WINDOW: Micros = 3_600 * 1_000_000;

/// One row: matches of one rule by one identity (or one correlation group)
/// within [`WINDOW`] of the first.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub rule: &'a Rule,
    /// The rule's index in the rule set.
    pub index: usize,
    pub first: Micros,
    pub last: Micros,
    /// Matches folded into the row (a correlation match counts once).
    pub matches: usize,
    /// Every event of every match, oldest first.
    pub events: Vec<EventId>,
    /// The group of a correlation rule's matches.
    pub group: Option<&'a [(String, String)]>,
}

/// One match, before folding.
struct One<'a> {
    index: usize,
    time: Micros,
    last: Micros,
    events: Vec<EventId>,
    group: Option<&'a [(String, String)]>,
    /// What repeats: the actor's value (single-event rules), or the correlation group.
    who: Who<'a>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Who<'a> {
    /// An identity: its account and actor.
    Actor(u32, u32),
    /// Nobody that can be told apart (no actor, or one the log hid): its own row.
    Alone(EventId),
    Group(&'a [(String, String)]),
}

/// What repeats for event `id`'s single-event matches.
fn who_of(store: &Store, id: EventId) -> Who<'static> {
    let actor = store.value_id(id, Field::Actor);
    if actor == 0 || crate::model::actor::is_hidden(store.value(id, Field::Actor)) {
        return Who::Alone(id);
    }
    Who::Actor(store.value_id(id, Field::IdentityAccount), actor)
}

/// The matches among `among` (all events when None), of `min` level or
/// above, oldest first; folded into rows per rule and identity within
/// [`WINDOW`] unless `each`.
pub fn rows<'a>(
    found: &'a Results,
    store: &Store,
    among: Option<&[EventId]>,
    min: Option<Level>,
    each: bool,
) -> Vec<Row<'a>> {
    let keep: Option<Vec<bool>> = among.map(|a| {
        let mut k = vec![false; store.len()];
        for &id in a {
            if let Some(b) = k.get_mut(id as usize) {
                *b = true;
            }
        }
        k
    });
    let kept = |id: &EventId| keep.as_ref().is_none_or(|k| k.get(*id as usize).copied().unwrap_or(false));
    let rules = &found.rules;
    let level_ok = |r: &Rule| min.is_none_or(|m| r.meta.level >= m);
    let mut all: Vec<One> = Vec::new();
    for (r, hits) in found.hits.iter().enumerate() {
        if !rules.reports[r] || !level_ok(&rules.rules[r]) {
            continue;
        }
        for &id in hits.iter().filter(|id| kept(id)) {
            let t = store.time(id);
            all.push(One { index: r, time: t, last: t, events: vec![id], group: None, who: who_of(store, id) });
        }
    }
    for m in found.correlations.iter().filter(|m| level_ok(&rules.rules[m.rule])) {
        if m.events.iter().any(kept) {
            all.push(of_correlation(m));
        }
    }
    // Oldest first; ties by the first event's place in time, then the rule.
    all.sort_by(|a, b| {
        a.time.cmp(&b.time).then_with(|| store.cmp_events(a.events[0], b.events[0])).then(a.index.cmp(&b.index))
    });
    let mut out: Vec<Row> = Vec::new();
    let mut open: HashMap<(usize, Who), usize> = HashMap::new();
    for one in all {
        let key = (one.index, one.who.clone());
        match open.get(&key).copied().filter(|&i| !each && one.time < out[i].first + WINDOW) {
            Some(i) => {
                let row = &mut out[i];
                row.last = row.last.max(one.last);
                row.matches += 1;
                row.events.extend(one.events);
            }
            None => {
                open.insert(key, out.len());
                out.push(Row {
                    rule: &rules.rules[one.index],
                    index: one.index,
                    first: one.time,
                    last: one.last,
                    matches: 1,
                    events: one.events,
                    group: one.group,
                });
            }
        }
    }
    for row in &mut out {
        row.events.sort_by(|&a, &b| store.cmp_events(a, b));
        row.events.dedup();
    }
    out
}

fn of_correlation(m: &CorrMatch) -> One<'_> {
    One {
        index: m.rule,
        time: m.first,
        last: m.last,
        events: m.events.clone(),
        group: Some(&m.group),
        who: Who::Group(&m.group),
    }
}

/// Where the rows of one rule and one identity (or group) end, given its
/// matches' times in order: a row starts at a match and takes in those
/// within [`WINDOW`] of it.
fn row_ends(times: &[Micros]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut start = 0;
    while start < times.len() {
        start += times[start..].partition_point(|&t| t < times[start] + WINDOW);
        ends.push(start);
    }
    ends
}

/// The row event `id`'s match of rule `index` folds into, as `detect` shows
/// it: (matches in the row, first, last).
pub fn row_of(found: &Results, store: &Store, index: usize, id: EventId) -> Option<(usize, Micros, Micros)> {
    let who = who_of(store, id);
    if matches!(who, Who::Alone(_)) {
        return Some((1, store.time(id), store.time(id)));
    }
    let mut mine: Vec<EventId> = found.hits.get(index)?.iter().copied().filter(|&e| who_of(store, e) == who).collect();
    mine.sort_by(|&a, &b| store.cmp_events(a, b));
    let times: Vec<Micros> = mine.iter().map(|&e| store.time(e)).collect();
    let mut start = 0;
    for end in row_ends(&times) {
        if mine[start..end].contains(&id) {
            return Some((end - start, times[start], times[end - 1]));
        }
        start = end;
    }
    None
}

/// Every match's row over all the data, as `detect` folds them: per
/// reporting detection rule, the row of each of its hits (in `hits`
/// order); per correlation match, its row. Rows are numbered within a rule.
pub fn row_numbers(found: &Results, store: &Store) -> (Vec<Vec<u32>>, Vec<u32>) {
    let number = |runs: &mut dyn Iterator<Item = Vec<(usize, Micros)>>, out: &mut dyn FnMut(usize, u32)| {
        let mut row = 0u32;
        for run in runs {
            let times: Vec<Micros> = run.iter().map(|&(_, t)| t).collect();
            let mut start = 0;
            for end in row_ends(&times) {
                for &(i, _) in &run[start..end] {
                    out(i, row);
                }
                row += 1;
                start = end;
            }
        }
    };
    let mut hits: Vec<Vec<u32>> = vec![Vec::new(); found.hits.len()];
    for (r, of) in found.hits.iter().enumerate() {
        if !found.rules.reports[r] || of.is_empty() {
            continue;
        }
        let mut order: Vec<(Who, usize)> = of.iter().enumerate().map(|(i, &id)| (who_of(store, id), i)).collect();
        order.sort_by(|a, b| {
            let key = |w: &Who| match *w {
                Who::Actor(a, b) => (0, a, b),
                Who::Alone(id) => (1, id, 0),
                Who::Group(_) => (2, 0, 0),
            };
            key(&a.0).cmp(&key(&b.0)).then_with(|| store.cmp_events(of[a.1], of[b.1]))
        });
        let mut runs =
            order.chunk_by(|a, b| a.0 == b.0).map(|run| run.iter().map(|&(_, i)| (i, store.time(of[i]))).collect());
        let mut numbers = vec![0; of.len()];
        number(&mut runs, &mut |i, row| numbers[i] = row);
        hits[r] = numbers;
    }
    let cs = &found.correlations;
    let mut order: Vec<usize> = (0..cs.len()).collect();
    order.sort_by(|&a, &b| (cs[a].rule, &cs[a].group, cs[a].first).cmp(&(cs[b].rule, &cs[b].group, cs[b].first)));
    let mut corr = vec![0; cs.len()];
    for rule_run in order.chunk_by(|&a, &b| cs[a].rule == cs[b].rule) {
        let mut runs = rule_run
            .chunk_by(|&a, &b| cs[a].group == cs[b].group)
            .map(|run| run.iter().map(|&m| (m, cs[m].first)).collect());
        number(&mut runs, &mut |m, row| corr[m] = row);
    }
    (hits, corr)
}
