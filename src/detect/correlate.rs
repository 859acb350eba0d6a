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

use super::engine::{FieldPath, Hit, RecordOnce};
use super::rule::{Body, CorrKind, Correlation};
use super::ruleset::RuleSet;
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use foldhash::quality::RandomState;
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
struct State {
    /// The group-by fields, and the counted field (value_count).
    group_by: Vec<FieldPath>,
    counted: Option<FieldPath>,
    /// Group (by its fields' interned values) → its index in `list`.
    groups: HashMap<Vec<u32>, usize, RandomState>,
    list: Vec<Group>,
}

/// Field values compared ignoring case, interned (one table for every
/// correlation): a column value is folded once however many events hold it.
#[derive(Default)]
struct Keys {
    by_text: HashMap<String, u32, RandomState>,
    /// Per field, by column value id: its key (0: not yet known).
    by_column: HashMap<Field, Vec<u32>, RandomState>,
}

/// The key of a value (folded), interning it the first time.
fn fold_key(by_text: &mut HashMap<String, u32, RandomState>, v: &str) -> u32 {
    let next = by_text.len() as u32 + 1;
    *by_text.entry(v.to_lowercase()).or_insert(next)
}

impl Keys {
    /// The interned value of `field` in the event (0: absent).
    fn of(&mut self, field: &FieldPath, rec: &mut RecordOnce) -> u32 {
        match field.value_id(rec) {
            Some(0) => 0,
            Some(v) => {
                let col = field.column.expect("a column");
                let known = self.by_column.entry(col).or_default();
                if let Some(&k) = known.get(v as usize).filter(|k| **k != 0) {
                    return k;
                }
                if known.len() <= v as usize {
                    known.resize(rec.store.dict(col).len() + 1, 0);
                }
                known[v as usize] = fold_key(&mut self.by_text, rec.store.value(rec.id, col));
                known[v as usize]
            }
            None => field.first(rec).map_or(0, |v| fold_key(&mut self.by_text, &v)),
        }
    }
}

impl State {
    fn new(c: &Correlation) -> State {
        State {
            group_by: c.group_by.iter().map(|f| FieldPath::new(f)).collect(),
            counted: c.field.as_deref().map(FieldPath::new),
            groups: HashMap::default(),
            list: Vec::new(),
        }
    }
}

/// Every correlation's state, between steps.
pub struct Correlator {
    /// Per correlation rule (by index in the rule set), its state.
    states: Vec<(usize, State)>,
    /// Per rule: the correlations (index in `states`) that count it, and its place among their rules.
    counted_by: Vec<Vec<(u32, u16)>>,
    keys: Keys,
    /// A group's key being looked up (kept to spare an allocation per event).
    key: Vec<u32>,
}

impl Correlator {
    pub fn new(rules: &RuleSet) -> Correlator {
        let states = rules
            .rules
            .iter()
            .enumerate()
            .filter_map(|(i, r)| match &r.body {
                Body::Correlation(c) => Some((i, State::new(c))),
                _ => None,
            })
            .collect::<Vec<_>>();
        let mut counted_by = vec![Vec::new(); rules.rules.len()];
        for (si, (ci, _)) in states.iter().enumerate() {
            for (pos, &r) in rules.refs[*ci].iter().enumerate() {
                counted_by[r].push((si as u32, pos as u16));
            }
        }
        Correlator { states, counted_by, keys: Keys::default(), key: Vec::new() }
    }

    /// Whether there is nothing to correlate.
    pub fn is_idle(&self) -> bool {
        self.states.is_empty()
    }

    /// The fields correlations group or count by that only the record holds,
    /// per counted rule: the engine reads them when the rule matches.
    pub fn capture(rules: &RuleSet) -> Vec<Vec<String>> {
        let mut out: Vec<Vec<String>> = vec![Vec::new(); rules.rules.len()];
        for (ci, rule) in rules.rules.iter().enumerate() {
            let Body::Correlation(c) = &rule.body else { continue };
            for &r in &rules.refs[ci] {
                for f in c.group_by.iter().chain(&c.field) {
                    if FieldPath::new(f).column.is_none() && !out[r].contains(f) {
                        out[r].push(f.clone());
                    }
                }
            }
        }
        out
    }

    /// Takes in new matches (in event order) of the rules correlations
    /// count: their groups and values, from what the engine captured, the
    /// columns, or (rarely) the record.
    pub fn take(&mut self, rules: &RuleSet, hits: &[Hit], capture: &[Vec<FieldPath>], store: &Store) {
        let mut cache = ChunkCache::new(4);
        for hit in hits {
            let r = hit.rule as usize;
            let counting = self.counted_by.get(r).map_or(&[][..], |v| v.as_slice());
            if counting.is_empty() {
                continue;
            }
            // One read of the record (if any) serves every correlation counting the rule.
            let mut rec = RecordOnce::new(store, hit.id, &mut cache).knowing(&capture[r], &hit.captured);
            for &(si, pos) in counting {
                let (ci, state) = &mut self.states[si as usize];
                let Body::Correlation(c) = &rules.rules[*ci].body else { continue };
                state.take(c, pos, &mut rec, &mut self.keys, &mut self.key);
            }
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
            // Groups in the order their values sort, those with matches only (most have none).
            let mut groups: Vec<&Group> = state.list.iter().filter(|g| !g.matches.is_empty()).collect();
            groups.sort_by(|a, b| a.shown.cmp(&b.shown));
            out.extend(groups.into_iter().flat_map(|g| g.matches.iter().cloned()));
        }
        Some(out)
    }
}

impl State {
    /// Takes in event `rec` as a match of the counted rule at `pos`. An
    /// event without one of the group-by fields is left out.
    fn take(&mut self, c: &Correlation, pos: u16, rec: &mut RecordOnce, keys: &mut Keys, key: &mut Vec<u32>) {
        key.clear();
        for f in &self.group_by {
            match keys.of(f, rec) {
                0 => return,
                k => key.push(k),
            }
        }
        let value = match &self.counted {
            Some(f) => match keys.of(f, rec) {
                // value_count leaves out events without the field.
                0 if c.kind == CorrKind::ValueCount => return,
                v => v,
            },
            None => 0,
        };
        let g = match self.groups.get(key.as_slice()) {
            Some(&g) => g,
            None => {
                self.groups.insert(key.clone(), self.list.len());
                // The group as the first event shows it.
                let shown = self.group_by.iter().map(|f| f.first(rec).unwrap_or_default()).collect();
                self.list.push(Group { shown, ..Group::default() });
                self.list.len() - 1
            }
        };
        let group = &mut self.list[g];
        group.evs.push(Ev { time: rec.store.time(rec.id), id: rec.id, rule: pos, value });
        group.dirty = true;
    }
}

/// The matches in one group's events (as indices into `evs`): windows end
/// at each event; those that qualify are merged while they overlap.
fn find(c: &Correlation, n_rules: usize, evs: &[Ev]) -> Vec<Vec<usize>> {
    // No window counts more events, values or rules than the group has
    // events: a group too small for the condition is passed over.
    let temporal = matches!(c.kind, CorrKind::Temporal | CorrKind::TemporalOrdered);
    let least = if temporal && (c.kind == CorrKind::TemporalOrdered || c.condition == Default::default()) {
        n_rules as u64
    } else {
        c.condition.floor()
    };
    if (evs.len() as u64) < least {
        return Vec::new();
    }
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
