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

use crate::detect::{Finding, Level, Results};
use crate::identity::Graph;
use crate::identity::principal::{self, Trust};
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::{EventId, Store};
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
    if !origin.is_empty() && origin != "HIDDEN_DUE_TO_SECURITY_REASONS" {
        return (By::Origin, origin);
    }
    let key = store.value(id, Field::AccessKey);
    if !key.is_empty() && principal::trust(key) == Trust::Key {
        return (By::Key, key);
    }
    (By::Address, store.value(id, Field::Ip))
}

/// Distinct values of `field` among `ids`, the most used first.
fn values(store: &Store, ids: &[EventId], fields: &[Field]) -> Vec<String> {
    let mut n: HashMap<(Field, u32), usize> = HashMap::new();
    for &id in ids {
        for &f in fields {
            *n.entry((f, store.value_id(id, f))).or_default() += 1;
        }
    }
    let mut by_text: HashMap<&str, usize> = HashMap::new();
    for ((f, v), c) in n {
        if v != 0 {
            *by_text.entry(store.dict(f).get(v)).or_default() += c;
        }
    }
    let mut v: Vec<(&str, usize)> = by_text.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter().map(|(s, _)| s.to_string()).collect()
}

/// The incidents of what the rules found, findings further apart than
/// `gap` in separate incidents.
pub fn build(store: &Store, found: &Results, graph: &Graph, gap: Micros) -> Incidents {
    let n = found.evaluated.min(store.len());
    let order = store.order();
    // Flagged events by group, oldest first.
    let mut groups: HashMap<(By, &str), usize> = HashMap::new();
    let mut flagged: Vec<Vec<EventId>> = Vec::new();
    for &id in order.iter().filter(|&&id| (id as usize) < n) {
        if found.level(id).is_none_or(|l| l < Level::Low) {
            continue;
        }
        let g = group_of(store, graph, id);
        let next = flagged.len();
        let at = *groups.entry(g).or_insert(next);
        if at == next {
            flagged.push(Vec::new());
        }
        flagged[at].push(id);
    }
    // Every event of those groups, oldest first.
    let mut all: Vec<Vec<EventId>> = vec![Vec::new(); flagged.len()];
    for &id in order.iter().filter(|&&id| (id as usize) < n) {
        if let Some(&g) = groups.get(&group_of(store, graph, id)) {
            all[g].push(id);
        }
    }
    let mut keys: Vec<((By, &str), usize)> = groups.into_iter().collect();
    keys.sort_by_key(|&(_, g)| g);
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
            list.push(incident(store, found, graph, by, origin, fl[start..end].to_vec(), all[g][from..to].to_vec()));
            start = end;
        }
    }
    list.sort_by(|a, b| b.score.total.cmp(&a.score.total).then(a.first.cmp(&b.first)).then(a.origin.cmp(&b.origin)));
    let mut of_event = vec![0u32; n];
    for (i, inc) in list.iter_mut().enumerate() {
        inc.id = i as u32 + 1;
        for &e in &inc.events {
            of_event[e as usize] = inc.id;
        }
    }
    Incidents { list, of_event, ready: true }
}

fn incident(
    store: &Store,
    found: &Results,
    graph: &Graph,
    by: By,
    origin: &str,
    flagged: Vec<EventId>,
    events: Vec<EventId>,
) -> Incident {
    let mut rules: HashMap<usize, usize> = HashMap::new();
    let mut top = Level::Low;
    for &id in &flagged {
        top = top.max(found.level(id).unwrap_or(Level::Low));
        let mut of_event: Vec<usize> = found
            .findings(id)
            .into_iter()
            .map(|f| match f {
                Finding::Rule(r) => r as usize,
                Finding::Correlation(m) => found.correlations[m as usize].rule,
            })
            .collect();
        of_event.sort_unstable();
        of_event.dedup();
        for r in of_event {
            *rules.entry(r).or_default() += 1;
        }
    }
    let meta = |r: usize| &found.rules.rules[r].meta;
    let mut rules: Vec<(usize, usize)> = rules.into_iter().collect();
    rules.sort_by(|a, b| meta(b.0).level.cmp(&meta(a.0).level).then(b.1.cmp(&a.1)).then(a.0.cmp(&b.0)));
    let tactics: Vec<&'static str> = KILL_CHAIN
        .iter()
        .map(|&(t, _)| t)
        .filter(|t| rules.iter().any(|&(r, _)| meta(r).tactics().any(|x| x.replace('_', "-") == *t)))
        .collect();
    let new_uses = events.iter().filter(|&&e| !graph.firsts.new_kinds(store, e).is_empty()).count();
    let mut inc = Incident {
        id: 0,
        by,
        origin: origin.to_string(),
        first: store.time(flagged[0]),
        last: store.time(*flagged.last().expect("an incident has a finding")),
        top,
        tactics,
        identities: values(store, &events, &[Field::Actor]),
        keys: values(store, &events, &[Field::AccessKey]),
        accounts: values(store, &events, &[Field::Account, Field::IdentityAccount]),
        regions: values(store, &events, &[Field::Region]),
        addresses: values(store, &events, &[Field::Ip]),
        agents: values(store, &events, &[Field::Agent]),
        new_uses,
        rules,
        flagged,
        events,
        score: model::Score::default(),
    };
    inc.score = score::of(&inc, store, found);
    inc
}
