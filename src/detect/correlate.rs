//! Correlation rules over the matches of the rules they count, kept up to
//! date as matches arrive.
//!
//! Events are grouped by the group-by fields (compared ignoring case; an
//! event without one of them is left out) and put in time order. A window
//! is the timespan ending at an event, both ends included, as the
//! specification's sliding windows are read by pySigma. A burst qualifies in
//! many overlapping windows: they are merged, so a burst is one match with
//! all its events. `temporal_ordered` needs the rules' events in order with
//! strictly increasing times; its members are each window's chain (the
//! earliest event of each rule in turn), as pySigma's SQLite backend reads it.
//!
//! Each counted event's group and value are read once, when it first
//! matches (from the columns when they can answer); a step recomputes only
//! the groups that received events.

use super::engine::{RecordOnce, field_values};
use super::rule::{Body, CorrKind, Correlation};
use super::ruleset::RuleSet;
use crate::model::time::Micros;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use std::collections::{BTreeSet, HashMap};

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

/// An event of a group: its time, id, which counted rule (by position) it
/// matched, and for value_count the value counted (interned; 0: none).
#[derive(Debug, Clone, Copy)]
struct Ev {
    time: Micros,
    id: EventId,
    rule: u16,
    value: u32,
}

#[derive(Default)]
struct Group {
    shown: Vec<String>,
    evs: Vec<Ev>,
    dirty: bool,
    matches: Vec<CorrMatch>,
}

/// One correlation rule's groups.
#[derive(Default)]
struct State {
    groups: HashMap<Vec<String>, usize>,
    list: Vec<Group>,
    /// Counted values, interned (value_count).
    values: HashMap<String, u32>,
    /// How many hits of each counted rule were taken in.
    taken: Vec<usize>,
}

/// Every correlation's state, between steps.
pub struct Correlator {
    /// Per correlation rule (by index in the rule set), its state.
    states: Vec<(usize, State)>,
}

impl Correlator {
    pub fn new(rules: &RuleSet) -> Correlator {
        let states = rules
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.body, Body::Correlation(_)))
            .map(|(i, _)| (i, State::default()))
            .collect();
        Correlator { states }
    }

    /// Whether there is nothing to correlate.
    pub fn is_idle(&self) -> bool {
        self.states.is_empty()
    }

    /// Takes in the hits that arrived since the last call (`hits[r]`: events
    /// rule `r` matched, ascending): their groups and values are read now,
    /// while their records may still be at hand.
    pub fn take(&mut self, rules: &RuleSet, hits: &[Vec<EventId>], store: &Store) {
        let mut cache = ChunkCache::new(4);
        for (ci, state) in &mut self.states {
            let Body::Correlation(c) = &rules.rules[*ci].body else { continue };
            state.take(c, &rules.refs[*ci], hits, store, &mut cache);
        }
    }

    /// Every correlation's matches, or None when no group received events
    /// since the last call.
    pub fn matches(&mut self, rules: &RuleSet) -> Option<Vec<CorrMatch>> {
        let mut changed = false;
        for (ci, state) in &mut self.states {
            let Body::Correlation(c) = &rules.rules[*ci].body else { continue };
            for g in state.list.iter_mut().filter(|g| g.dirty) {
                changed = true;
                // The sorted events so far, then the new ones: the sort merges two runs.
                g.evs.sort_by_key(|e| (e.time, e.id));
                g.evs.dedup_by_key(|e| (e.id, e.rule));
                g.matches = find(c, rules.refs[*ci].len(), &g.evs)
                    .into_iter()
                    .map(|members| CorrMatch {
                        rule: *ci,
                        group: c.group_by.iter().cloned().zip(g.shown.iter().cloned()).collect(),
                        first: g.evs[members[0]].time,
                        last: g.evs[*members.last().expect("a match has events")].time,
                        events: members.iter().map(|&i| g.evs[i].id).collect(),
                    })
                    .collect();
                g.dirty = false;
            }
        }
        if !changed {
            return None;
        }
        let mut out = Vec::new();
        for (_, state) in &self.states {
            let mut groups: Vec<&Group> = state.list.iter().collect();
            groups.sort_by(|a, b| a.shown.cmp(&b.shown));
            out.extend(groups.into_iter().flat_map(|g| g.matches.iter().cloned()));
        }
        Some(out)
    }
}

impl State {
    /// Takes in the new hits of the counted rules.
    fn take(&mut self, c: &Correlation, refs: &[usize], hits: &[Vec<EventId>], store: &Store, cache: &mut ChunkCache) {
        self.taken.resize(refs.len(), 0);
        for (pos, &r) in refs.iter().enumerate() {
            for &id in &hits[r][self.taken[pos]..] {
                let mut rec = RecordOnce::new(store, id, cache);
                let shown: Option<Vec<String>> =
                    c.group_by.iter().map(|f| field_values(f, &mut rec).into_iter().next()).collect();
                let Some(shown) = shown else { continue };
                let value = match c.field.as_deref() {
                    Some(f) => match field_values(f, &mut rec).into_iter().next() {
                        Some(v) => {
                            let next = self.values.len() as u32 + 1;
                            *self.values.entry(v.to_lowercase()).or_insert(next)
                        }
                        // value_count leaves out events without the field.
                        None if c.kind == CorrKind::ValueCount => continue,
                        None => 0,
                    },
                    None => 0,
                };
                let key: Vec<String> = shown.iter().map(|v| v.to_lowercase()).collect();
                let next = self.list.len();
                let g = *self.groups.entry(key).or_insert(next);
                if g == next {
                    self.list.push(Group { shown, ..Group::default() });
                }
                let group = &mut self.list[g];
                group.evs.push(Ev { time: store.time(id), id, rule: pos as u16, value });
                group.dirty = true;
            }
            self.taken[pos] = hits[r].len();
        }
    }
}

/// The matches in one group's events (as indices into `evs`): windows end
/// at each event; those that qualify are merged while they overlap.
fn find(c: &Correlation, n_rules: usize, evs: &[Ev]) -> Vec<Vec<usize>> {
    if c.kind == CorrKind::TemporalOrdered {
        return ordered(c, n_rules, evs);
    }
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    let mut values: HashMap<u32, usize> = HashMap::new();
    let mut rules_seen = vec![0usize; n_rules];
    for (end, e) in evs.iter().enumerate() {
        if e.value != 0 {
            *values.entry(e.value).or_default() += 1;
        }
        rules_seen[e.rule as usize] += 1;
        while evs[start].time < e.time - c.timespan {
            let old = evs[start];
            if old.value != 0
                && let Some(n) = values.get_mut(&old.value)
            {
                *n -= 1;
                if *n == 0 {
                    values.remove(&old.value);
                }
            }
            rules_seen[old.rule as usize] -= 1;
            start += 1;
        }
        let holds = match c.kind {
            CorrKind::EventCount => c.condition.holds((end + 1 - start) as u64),
            CorrKind::ValueCount => c.condition.holds(values.len() as u64),
            _ => {
                let seen = rules_seen.iter().filter(|n| **n > 0).count() as u64;
                // Without a condition, a temporal rule needs all its rules.
                if c.condition == Default::default() { seen == n_rules as u64 } else { c.condition.holds(seen) }
            }
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
        by_rule[e.rule as usize].push(i);
    }
    let mut out: Vec<(Vec<usize>, Micros)> = Vec::new();
    for end in evs.iter().map(|e| e.time).collect::<BTreeSet<Micros>>() {
        let mut after = end - c.timespan - 1;
        let mut chain: Vec<usize> = Vec::new();
        let mut complete = true;
        for list in &by_rule {
            // The first event of this rule strictly after `after`, no later than the window's end.
            let at = list.partition_point(|&i| evs[i].time <= after);
            let Some(&first) = list.get(at).filter(|&&i| evs[i].time <= end) else {
                complete = false;
                break;
            };
            let t = evs[first].time;
            chain.extend(list[at..].iter().take_while(|&&i| evs[i].time == t));
            after = t;
        }
        if !complete {
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
