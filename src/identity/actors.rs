//! Who did what: per identity (by actor, or by origin), when it was first
//! and last seen, its events, its calls with their successes and failures,
//! denied calls, and the regions, addresses, user agents, keys and accounts
//! it used. Read from the columns, so a million events take a moment.

use super::graph::Graph;
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::{EventId, Store};
use foldhash::quality::RandomState;
use rayon::prelude::*;
use std::collections::HashMap;

/// How identities are told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    /// As the list shows the actor.
    Actor,
    /// By the identity at the end of the credential chain.
    Origin,
}

/// The distinct values of a column an identity used: gathered as a list
/// while counting (pushing is cheaper than a set's insert, and a million
/// addresses are mostly distinct), then sorted without repeats or absence.
#[derive(Debug, Clone, Default)]
pub struct Used(Vec<u32>);

impl Used {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Takes in `v` (an identity's events in a row mostly share their
    /// region, agent, key and account: a repeat is not pushed again).
    fn add(&mut self, v: u32) {
        if self.0.last() != Some(&v) {
            self.0.push(v);
        }
    }

    fn settle(&mut self) {
        self.0.sort_unstable();
        self.0.dedup();
        self.0.retain(|&v| v != 0);
    }

    /// The values, as the store holds them, sorted.
    pub fn values<'s>(&self, store: &'s Store, field: Field) -> Vec<&'s str> {
        let mut v: Vec<&str> = self.0.iter().map(|&i| store.dict(field).get(i)).collect();
        v.sort_unstable();
        v
    }
}

/// One identity's activity.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub identity: String,
    pub first: Micros,
    pub last: Micros,
    pub events: usize,
    /// Per call (event name id): (succeeded, failed).
    pub calls: HashMap<u32, (usize, usize), RandomState>,
    /// Calls refused for want of permission.
    pub denied: usize,
    pub regions: Used,
    pub ips: Used,
    pub agents: Used,
    pub keys: Used,
    pub accounts: Used,
    /// Keys other principals were also seen with (a conflict: not linked).
    pub conflicting: Used,
    /// Keys that are redacted or placeholders (they link nothing).
    pub untrusted: Used,
}

pub use crate::model::fields::NO_IDENTITY;

/// The fields whose distinct values a summary keeps.
pub const USED: [Field; 5] = [Field::Region, Field::Ip, Field::Agent, Field::AccessKey, Field::Account];

/// One slice's summaries; the identity of the last event is found again
/// without a lookup (an identity's events often come in a row).
#[derive(Default)]
struct Tally {
    index: HashMap<u64, usize, RandomState>,
    summaries: Vec<(u64, Summary)>,
    last: Option<(u64, usize)>,
}

impl Tally {
    fn of(&mut self, group: u64) -> &mut Summary {
        let i = match self.last {
            Some((g, i)) if g == group => i,
            _ => *self.index.entry(group).or_insert_with(|| {
                let fresh = Summary { first: Micros::MAX, last: Micros::MIN, ..Summary::default() };
                self.summaries.push((group, fresh));
                self.summaries.len() - 1
            }),
        };
        self.last = Some((group, i));
        &mut self.summaries[i].1
    }
}

impl Summary {
    fn used_mut(&mut self, field: Field) -> &mut Used {
        match field {
            Field::Region => &mut self.regions,
            Field::Ip => &mut self.ips,
            Field::Agent => &mut self.agents,
            Field::AccessKey => &mut self.keys,
            _ => &mut self.accounts,
        }
    }

    pub fn used(&self, field: Field) -> &Used {
        match field {
            Field::Region => &self.regions,
            Field::Ip => &self.ips,
            Field::Agent => &self.agents,
            Field::AccessKey => &self.keys,
            _ => &self.accounts,
        }
    }

    /// The number of keys, marked `!` when one of them is a conflict.
    pub fn keys_cell(&self) -> String {
        format!("{}{}", self.keys.len(), if self.conflicting.is_empty() { "" } else { "!" })
    }

    pub fn failed(&self) -> usize {
        self.calls.values().map(|c| c.1).sum()
    }
}

/// What summaries are sorted by: most first (`First`: earliest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    Events,
    Denied,
    Failed,
    Calls,
    First,
    Last,
}

impl SortBy {
    pub fn name(self) -> &'static str {
        match self {
            SortBy::Events => "events",
            SortBy::Denied => "denied",
            SortBy::Failed => "failed",
            SortBy::Calls => "calls",
            SortBy::First => "first seen",
            SortBy::Last => "last seen",
        }
    }

    fn key(self, s: &Summary) -> i64 {
        match self {
            SortBy::Events => s.events as i64,
            SortBy::Denied => s.denied as i64,
            SortBy::Failed => s.failed() as i64,
            SortBy::Calls => s.calls.len() as i64,
            SortBy::First => -s.first,
            SortBy::Last => s.last,
        }
    }
}

/// Sorts summaries by `by`, ties by identity.
pub fn sort(all: &mut [Summary], by: SortBy) {
    all.sort_by(|a, b| by.key(b).cmp(&by.key(a)).then_with(|| a.identity.cmp(&b.identity)));
}

/// Whether an error code says the caller lacked permission.
pub fn is_denial(code: &str) -> bool {
    let c = code.to_ascii_lowercase();
    c.contains("denied") || c.contains("unauthorized") || c.contains("forbidden")
}

impl Summary {
    /// Takes in `other`'s activity.
    fn absorb(&mut self, other: Summary) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.events += other.events;
        for (call, (ok, failed)) in other.calls {
            let c = self.calls.entry(call).or_default();
            c.0 += ok;
            c.1 += failed;
        }
        self.denied += other.denied;
        let pairs = [
            (&mut self.regions, other.regions),
            (&mut self.ips, other.ips),
            (&mut self.agents, other.agents),
            (&mut self.keys, other.keys),
            (&mut self.accounts, other.accounts),
            (&mut self.conflicting, other.conflicting),
            (&mut self.untrusted, other.untrusted),
        ];
        for (mine, theirs) in pairs {
            mine.0.extend(theirs.0);
        }
    }
}

/// Identities equal but for case are one (a query matches them alike),
/// named by the least of their spellings.
fn fold_case(mut all: Vec<Summary>) -> Vec<Summary> {
    all.sort_by(|a, b| a.identity.cmp(&b.identity));
    let mut by_lower: HashMap<String, usize> = HashMap::new();
    let mut out: Vec<Summary> = Vec::with_capacity(all.len());
    for s in all {
        match by_lower.entry(s.identity.to_lowercase()) {
            std::collections::hash_map::Entry::Occupied(e) => out[*e.get()].absorb(s),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(s);
            }
        }
    }
    out
}

/// Events per piece of work when summarizing.
const SLICE: usize = 64 * 1024;

/// The activity of every identity among `ids`, most events first.
///
/// Events are grouped by an interned id (the actor's value id, or the
/// origin's index), not by name, and slices are summarized on every core,
/// then merged.
pub fn summarize(store: &Store, graph: &Graph, ids: &[EventId], by: By) -> Vec<Summary> {
    let errors = store.dict(Field::Error);
    let denial: Vec<bool> = (0..=errors.len() as u32).map(|e| e != 0 && is_denial(errors.get(e))).collect();
    // An empty value is none (a key, an address or an agent written as "").
    let empty = USED.map(|f| store.dict(f).lookup(""));
    let empty_key = store.dict(Field::AccessKey).lookup("");
    let group = |id: EventId| match by {
        By::Actor => u64::from(store.value_id(id, Field::Actor)),
        By::Origin => graph.origin_group(store, id),
    };
    // In id order the columns are read front to back, not at random (the
    // matches come in time order). Most events are put in that order by
    // marking them, a few by sorting.
    let sorted: Vec<EventId> = if ids.len() * 8 > store.len() {
        let mut inside = vec![false; store.len()];
        for &id in ids {
            if let Some(b) = inside.get_mut(id as usize) {
                *b = true;
            }
        }
        (0..store.len() as EventId).filter(|&id| inside[id as usize]).collect()
    } else {
        let mut sorted = ids.to_vec();
        sorted.par_sort_unstable();
        sorted
    };
    let slices: Vec<Vec<(u64, Summary)>> = sorted
        .par_chunks(SLICE)
        .map(|slice| {
            let mut tally = Tally::default();
            for &id in slice {
                let s = tally.of(group(id));
                let t = store.time(id);
                s.first = s.first.min(t);
                s.last = s.last.max(t);
                s.events += 1;
                let err = store.value_id(id, Field::Error);
                let call = s.calls.entry(store.value_id(id, Field::Name)).or_default();
                if err == 0 {
                    call.0 += 1;
                } else {
                    call.1 += 1;
                }
                s.denied += denial.get(err as usize).copied().unwrap_or(false) as usize;
                // An empty key is no key; events the graph has not taken in yet are not judged.
                let key = store.value_id(id, Field::AccessKey);
                let has_key = key != 0 && Some(key) != empty_key;
                for (f, empty) in USED.into_iter().zip(empty) {
                    let v = store.value_id(id, f);
                    if Some(v) != empty {
                        s.used_mut(f).add(v);
                    }
                }
                if has_key {
                    match graph.cred_of(id) {
                        None if (id as usize) < graph.evaluated => s.untrusted.add(key),
                        Some(_) if graph.holders_of_value(key) > 1 => s.conflicting.add(key),
                        _ => {}
                    }
                }
            }
            tally.summaries
        })
        .collect();
    let mut groups: HashMap<u64, Summary, RandomState> = HashMap::default();
    for (k, s) in slices.into_iter().flatten() {
        match groups.entry(k) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().absorb(s),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(s);
            }
        }
    }
    let named = groups.into_iter().map(|(k, mut s)| {
        let who = match by {
            By::Actor => store.dict(Field::Actor).get(k as u32),
            By::Origin => graph.group_name(store, k),
        };
        s.identity = if who.is_empty() { NO_IDENTITY } else { who }.to_string();
        s
    });
    let mut out = fold_case(named.collect());
    out.par_iter_mut().for_each(|s| {
        for used in [
            &mut s.regions,
            &mut s.ips,
            &mut s.agents,
            &mut s.keys,
            &mut s.accounts,
            &mut s.conflicting,
            &mut s.untrusted,
        ] {
            used.settle();
        }
    });
    out.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.identity.cmp(&b.identity)));
    out
}
