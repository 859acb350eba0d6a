//! Correlation rules over the matches of the rules they count.
//!
//! Events are grouped by the group-by fields (compared ignoring case; an
//! event without one of them is left out) and put in time order. A window
//! is the timespan ending at an event, both ends included, as the
//! specification's sliding windows are read by pySigma. A burst qualifies in
//! many overlapping windows: they are merged, so a burst is one match with
//! all its events. `temporal_ordered` needs the rules' events in order with
//! strictly increasing times; its members are each window's chain (the
//! earliest event of each rule in turn), as pySigma's SQLite backend reads it.

use super::engine::{RecordOnce, field_values};
use super::rule::{Body, CorrKind, Correlation};
use super::ruleset::RuleSet;
use crate::model::time::Micros;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use std::collections::HashMap;

/// One finding of a correlation rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrMatch {
    /// The correlation rule's index in the rule set.
    pub rule: usize,
    /// The group-by fields with this group's values.
    pub group: Vec<(String, String)>,
    /// Its events, oldest first.
    pub events: Vec<EventId>,
    pub first: Micros,
    pub last: Micros,
}

/// An event of a group: its time, id, which counted rule it matched, and
/// (for value_count) the value counted.
#[derive(Debug, Clone)]
struct Ev {
    time: Micros,
    id: EventId,
    rule: usize,
    value: Option<String>,
}

/// Finds every correlation's matches. `hits[r]` are the events rule `r` matched.
pub fn correlate(rules: &RuleSet, hits: &[Vec<EventId>], store: &Store) -> Vec<CorrMatch> {
    let mut out = Vec::new();
    let mut cache = ChunkCache::new(4);
    for (ci, rule) in rules.rules.iter().enumerate() {
        let Body::Correlation(c) = &rule.body else { continue };
        let groups = group(c, &rules.refs[ci], hits, store, &mut cache);
        let mut keys: Vec<&Vec<String>> = groups.keys().collect();
        keys.sort();
        for key in keys {
            let (shown, evs) = &groups[key];
            for members in find(c, rules.refs[ci].len(), evs) {
                let events: Vec<EventId> = members.iter().map(|&i| evs[i].id).collect();
                let group = c.group_by.iter().cloned().zip(shown.iter().cloned()).collect();
                out.push(CorrMatch {
                    rule: ci,
                    group,
                    first: evs[members[0]].time,
                    last: evs[*members.last().expect("a match has events")].time,
                    events,
                });
            }
        }
    }
    out
}

type Groups = HashMap<Vec<String>, (Vec<String>, Vec<Ev>)>;

/// The counted rules' events by group (key: values lowercased), in time order.
fn group(c: &Correlation, refs: &[usize], hits: &[Vec<EventId>], store: &Store, cache: &mut ChunkCache) -> Groups {
    let mut groups: Groups = HashMap::new();
    for (pos, &r) in refs.iter().enumerate() {
        for &id in &hits[r] {
            let mut rec = RecordOnce::new(store, id, cache);
            let shown: Option<Vec<String>> =
                c.group_by.iter().map(|f| field_values(f, &mut rec).into_iter().next()).collect();
            let Some(shown) = shown else { continue };
            let value =
                c.field.as_deref().and_then(|f| field_values(f, &mut rec).into_iter().next()).map(|v| v.to_lowercase());
            if c.kind == CorrKind::ValueCount && value.is_none() {
                continue;
            }
            let key: Vec<String> = shown.iter().map(|v| v.to_lowercase()).collect();
            let entry = groups.entry(key).or_insert_with(|| (shown, Vec::new()));
            entry.1.push(Ev { time: store.time(id), id, rule: pos, value });
        }
    }
    for (_, evs) in groups.values_mut() {
        evs.sort_by_key(|e| (e.time, e.id));
        evs.dedup_by_key(|e| (e.id, e.rule));
    }
    groups
}

/// The matches in one group's events (as indices into `evs`): windows end
/// at each event; those that qualify are merged while they overlap.
fn find(c: &Correlation, n_rules: usize, evs: &[Ev]) -> Vec<Vec<usize>> {
    if c.kind == CorrKind::TemporalOrdered {
        return ordered(c, n_rules, evs);
    }
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    let mut values: HashMap<&str, usize> = HashMap::new();
    let mut rules_seen = vec![0usize; n_rules];
    for (end, e) in evs.iter().enumerate() {
        if let Some(v) = &e.value {
            *values.entry(v).or_default() += 1;
        }
        rules_seen[e.rule] += 1;
        while evs[start].time < e.time - c.timespan {
            let old = &evs[start];
            if let Some(v) = &old.value
                && let Some(n) = values.get_mut(v.as_str())
            {
                *n -= 1;
                if *n == 0 {
                    values.remove(v.as_str());
                }
            }
            rules_seen[old.rule] -= 1;
            start += 1;
        }
        let holds = match c.kind {
            CorrKind::EventCount => c.condition.holds((end + 1 - start) as u64),
            CorrKind::ValueCount => c.condition.holds(values.len() as u64),
            CorrKind::Temporal => {
                let seen = rules_seen.iter().filter(|n| **n > 0).count() as u64;
                // Without a condition, a temporal rule needs all its rules.
                if c.condition == Default::default() { seen == n_rules as u64 } else { c.condition.holds(seen) }
            }
            CorrKind::TemporalOrdered => unreachable!("handled above"),
        };
        if !holds {
            continue;
        }
        match ranges.last_mut() {
            Some(last) if start <= last.1 || evs[start].time <= evs[last.1].time => last.1 = end,
            _ => ranges.push((start, end)),
        }
    }
    ranges.into_iter().map(|(a, b)| (a..=b).collect()).collect()
}

/// For temporal_ordered: in each window (the timespan ending at an event),
/// the earliest event of the first rule, then the earliest of the next rule
/// strictly after it, and so on; a window whose chain is complete gives its
/// chain's events (with any event of the same rule at the same instant).
/// Chains of windows that overlap in time become one match.
fn ordered(c: &Correlation, n_rules: usize, evs: &[Ev]) -> Vec<Vec<usize>> {
    let mut by_rule: Vec<Vec<usize>> = vec![Vec::new(); n_rules];
    for (i, e) in evs.iter().enumerate() {
        by_rule[e.rule].push(i);
    }
    let mut out: Vec<(Vec<usize>, Micros)> = Vec::new();
    for end in evs.iter().map(|e| e.time).collect::<std::collections::BTreeSet<Micros>>() {
        let mut after = end - c.timespan - 1;
        let mut chain: Vec<usize> = Vec::new();
        for list in &by_rule {
            // The first event of this rule strictly after `after`, and no later than the window's end.
            let at = list.partition_point(|&i| evs[i].time <= after);
            let Some(&first) = list.get(at).filter(|&&i| evs[i].time <= end) else { break };
            let t = evs[first].time;
            chain.extend(list[at..].iter().take_while(|&&i| evs[i].time == t));
            after = t;
        }
        if chain.iter().map(|&i| evs[i].rule).collect::<std::collections::BTreeSet<_>>().len() < n_rules {
            continue;
        }
        let first_time = chain.iter().map(|&i| evs[i].time).min().unwrap_or(end);
        match out.last_mut() {
            Some((cur, last)) if first_time <= *last => {
                cur.extend(chain);
                cur.sort_unstable();
                cur.dedup();
                *last = end;
            }
            _ => out.push((chain, end)),
        }
    }
    out.into_iter()
        .map(|(mut chain, _)| {
            chain.sort_unstable();
            chain
        })
        .collect()
}
