//! Incidents: the findings grouped by who is behind them. Every flagged
//! event (low or above) belongs to the origin of its credentials, as the
//! credential graph works it out (the creator of a key, the caller behind a
//! role chain, across accounts); findings without one go by their access
//! key, then their source address. One group's findings separated by less
//! than a gap (two hours by default) are one incident, which also holds
//! every event done with the same credentials between its first and last
//! finding. Incidents are ranked by a score that says why (see [`score`]).

pub mod annex;
pub mod model;
pub mod score;
pub mod touched;

pub use model::{By, Incident, KILL_CHAIN, strip};

use crate::detect::{Level, Results};
use crate::identity::Graph;
use crate::identity::principal::{self, Trust};
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::{EventId, Store};
use foldhash::quality::RandomState;
use std::collections::HashMap;

/// Findings of one origin further apart than this are separate incidents.
pub const GAP: Micros = 2 * 3_600 * 1_000_000;

/// Every incident, ranked, and which one each event is in.
#[derive(Debug, Default)]
pub struct Incidents {
    pub list: Vec<Incident>,
    /// Per event: its incident's id (0: none).
    of_event: Vec<u32>,
    /// Whether they were worked out (after every event and finding was in).
    pub ready: bool,
    /// What working them out took (for `bench`).
    pub took: std::time::Duration,
}

impl Incidents {
    /// The incident event `id` is in.
    pub fn of(&self, id: EventId) -> Option<&Incident> {
        match self.of_event.get(id as usize).copied().unwrap_or(0) {
            0 => None,
            n => self.list.get(n as usize - 1),
        }
    }

    /// Incident `n` (its id).
    pub fn get(&self, n: u32) -> Option<&Incident> {
        self.list.get((n as usize).wrapping_sub(1))
    }
}

/// What an event's findings are grouped by.
fn group_of<'a>(store: &'a Store, graph: &'a Graph, id: EventId) -> (By, &'a str) {
    let origin = graph.origin(store, id);
    // A name the log hid joins strangers: it is no identity.
    if !origin.is_empty() && !crate::model::actor::is_hidden(origin) {
        return (By::Origin, origin);
    }
    let key = store.value(id, Field::AccessKey);
    if !key.is_empty() && principal::trust(key) == Trust::Key {
        return (By::Key, key);
    }
    (By::Address, store.value(id, Field::Ip))
}

/// Distinct values of `fields` among `ids`, the most used first.
pub fn values(store: &Store, ids: &[EventId], fields: &[Field]) -> Vec<String> {
    let mut n: HashMap<&str, usize, RandomState> = HashMap::default();
    for &f in fields {
        // Counted by value id: a column's ids are dense.
        let mut of_value = vec![0usize; store.dict(f).len() + 1];
        for &id in ids {
            of_value[store.value_id(id, f) as usize] += 1;
        }
        for (v, &c) in of_value.iter().enumerate().skip(1).filter(|(_, c)| **c > 0) {
            *n.entry(store.dict(f).get(v as u32)).or_default() += c;
        }
    }
    let mut v: Vec<(&str, usize)> = n.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().map(|(s, _)| s.to_string()).collect()
}

/// The incidents of what the rules found, findings further apart than
/// `gap` in separate incidents.
pub fn build(store: &Store, found: &Results, graph: &Graph, gap: Micros) -> Incidents {
    let started = std::time::Instant::now();
    let n = found.evaluated.min(store.len());
    let order = store.order();
    // Flagged events by group, and every event of a group from its first
    // finding on (earlier ones are in none of its incidents), oldest first.
    let mut groups: HashMap<(By, &str), usize, RandomState> = HashMap::default();
    let mut flagged: Vec<Vec<EventId>> = Vec::new();
    let mut all: Vec<Vec<EventId>> = Vec::new();
    for &id in order.iter().filter(|&&id| (id as usize) < n) {
        let g = group_of(store, graph, id);
        let at = if found.level(id).is_some_and(|l| l >= Level::Low) {
            let next = flagged.len();
            let at = *groups.entry(g).or_insert(next);
            if at == next {
                flagged.push(Vec::new());
                all.push(Vec::new());
            }
            flagged[at].push(id);
            at
        } else {
            match groups.get(&g) {
                Some(&at) => at,
                None => continue,
            }
        };
        all[at].push(id);
    }
    let mut keys: Vec<((By, &str), usize)> = groups.into_iter().collect();
    keys.sort_by_key(|&(_, g)| g);
    // Each group's findings cut where they are further apart than the gap.
    let mut list = Vec::new();
    for ((by, origin), g) in keys {
        let mut start = 0;
        let fl = &flagged[g];
        while start < fl.len() {
            let mut end = start + 1;
            while end < fl.len() && store.time(fl[end]) - store.time(fl[end - 1]) <= gap {
                end += 1;
            }
            let (first, last) = (store.time(fl[start]), store.time(fl[end - 1]));
            let from = all[g].partition_point(|&e| store.time(e) < first);
            let to = all[g].partition_point(|&e| store.time(e) <= last);
            list.push(Incident {
                id: 0,
                by,
                origin: origin.to_string(),
                first,
                last,
                flagged: fl[start..end].to_vec(),
                events: all[g][from..to].to_vec(),
                top: Level::Low,
                rules: Vec::new(),
                tactics: Vec::new(),
                accounts: Vec::new(),
                new_uses: 0,
                score: model::Score::default(),
            });
            start = end;
        }
    }
    // Which incident each flagged event is in, then each rule's matches counted once per rule.
    let mut flagged_in = vec![u32::MAX; n];
    for (i, inc) in list.iter().enumerate() {
        for &e in &inc.flagged {
            flagged_in[e as usize] = i as u32;
        }
    }
    let mut counts: Vec<HashMap<usize, usize>> = vec![HashMap::new(); list.len()];
    for (r, hits) in found.hits.iter().enumerate().filter(|&(r, _)| found.rules.reports[r]) {
        for &e in hits {
            if let Some(&i) = flagged_in.get(e as usize).filter(|&&i| i != u32::MAX) {
                *counts[i as usize].entry(r).or_default() += 1;
            }
        }
    }
    // A correlation's events, each once per rule however many of its matches hold it.
    let mut members: Vec<(u32, usize, EventId)> = found
        .correlations
        .iter()
        .flat_map(|m| m.events.iter().map(move |&e| (m.rule, e)))
        .filter_map(|(r, e)| flagged_in.get(e as usize).filter(|&&i| i != u32::MAX).map(|&i| (i, r, e)))
        .collect();
    members.sort_unstable();
    members.dedup();
    for (i, r, _) in members {
        *counts[i as usize].entry(r).or_default() += 1;
    }
    for (inc, rules) in list.iter_mut().zip(counts) {
        describe(inc, rules, store, found, graph);
    }
    list.sort_by(|a, b| b.score.total.cmp(&a.score.total).then(a.first.cmp(&b.first)).then(a.origin.cmp(&b.origin)));
    let mut of_event = vec![0u32; n];
    for (i, inc) in list.iter_mut().enumerate() {
        inc.id = i as u32 + 1;
        for &e in &inc.events {
            of_event[e as usize] = inc.id;
        }
    }
    Incidents { list, of_event, ready: true, took: started.elapsed() }
}

/// Works out what an incident's findings say: its level, rules, tactics,
/// accounts and first uses, and its score.
fn describe(inc: &mut Incident, rules: HashMap<usize, usize>, store: &Store, found: &Results, graph: &Graph) {
    inc.top = inc.flagged.iter().filter_map(|&e| found.level(e)).max().unwrap_or(Level::Low);
    let meta = |r: usize| &found.rules.rules[r].meta;
    let mut rules: Vec<(usize, usize)> = rules.into_iter().collect();
    rules.sort_by(|a, b| meta(b.0).level.cmp(&meta(a.0).level).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    inc.tactics = KILL_CHAIN
        .iter()
        .map(|&(t, _)| t)
        .filter(|t| rules.iter().any(|&(r, _)| meta(r).tactics().any(|x| x.replace('_', "-") == *t)))
        .collect();
    inc.rules = rules;
    inc.accounts = values(store, &inc.events, &[Field::Account, Field::IdentityAccount]);
    inc.new_uses = inc.events.iter().filter(|&&e| graph.firsts.is_new(store, e)).count();
    inc.score = score::of(inc, store, found);
}
