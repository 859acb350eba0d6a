//! The links: which event issued each access key (the loader reads the key
//! a response issued into the `issuedKey` column), which keys each key's
//! calls issued, how often each key was used, and each key's origin. Kept
//! up to date by a [`super::Tracker`] as events arrive.

use crate::json::canon;
use crate::model::fields::Field;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use std::collections::HashMap;

/// The person a session's identity names: `sessionContext.sourceIdentity`
/// (set when the role was assumed), else `onBehalfOf.userId`.
fn named_by(rec: &[u8]) -> Option<String> {
    let uid = canon::get(rec, "userIdentity")?;
    let source = canon::get(uid, "sessionContext").and_then(|c| canon::get(c, "sourceIdentity"));
    let behalf = || canon::get(uid, "onBehalfOf").and_then(|o| canon::get(o, "userId"));
    source.or_else(behalf).and_then(canon::scalar_text).map(|s| s.into_owned()).filter(|s| !s.is_empty())
}

/// `ACCOUNT/ROLE/SESSION` of an assumed-role session ARN,
/// `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` (as the loader writes
/// the session a request asked for).
fn session_of_arn(arn: &str) -> Option<String> {
    let rest = arn.strip_prefix("arn:aws")?.split_once(":sts::")?.1;
    let (account, path) = rest.split_once(":assumed-role/")?;
    Some(format!("{account}/{path}"))
}

/// Where an event's origin is named.
#[derive(Clone, Copy)]
enum Origin {
    /// The origin of its key (an index into `Graph::origins`).
    Key(u32),
    /// Its actor (a value id), for events without a key or before origins are known.
    Actor(u32),
}

/// No issuing event.
const NONE: EventId = EventId::MAX;

/// The credential graph of the events handled so far.
#[derive(Default)]
pub struct Graph {
    /// Events handled (the first ones appended).
    pub evaluated: usize,
    /// Counts the changes, for views that refresh.
    pub generation: u64,
    /// Time spent keeping the graph up to date (for `bench`).
    pub work: std::time::Duration,
    /// Key → the event that issued it (the earliest, if several claim it).
    /// By value of the issued-key column ([`NONE`]: not issued).
    issued: Vec<EventId>,
    issued_count: usize,
    /// Caller's key (access-key value) → the keys (issued-key values) its calls issued.
    children: HashMap<u32, Vec<u32>>,
    /// Role assumptions whose response hid the key (redacted or null), by
    /// (account, role name, session name), for links inferred from them.
    pub(super) hidden: HashMap<String, Vec<EventId>>,
    /// Temporary key → the person its session names (`sourceIdentity`, or
    /// Identity Center's `onBehalfOf`), read once from its first event.
    pub(super) named: HashMap<String, String>,
    /// Per value of the access-key column: (events done with it, the first).
    pub(super) uses: Vec<(u32, EventId)>,
    /// Per value of the access-key column: its origin (an index into `origins`).
    origin_of_key: Vec<u32>,
    /// Origins as shown, interned.
    pub(super) origins: Vec<String>,
    origin_ids: HashMap<String, u32>,
}

impl Graph {
    /// Takes in events `from..to`: their keys, and the keys they issued.
    pub(super) fn take(&mut self, store: &Store, from: usize, to: usize) {
        let mut cache = ChunkCache::new(2);
        self.uses.resize(store.dict(Field::AccessKey).len() + 1, (0, 0));
        // Per event only ids are compared: strings are read for the few events that issue keys.
        let (used, issued, asked, errors) = (
            store.column(Field::AccessKey),
            store.column(Field::IssuedKey),
            store.column(Field::RequestedSession),
            store.column(Field::Error),
        );
        for id in from as EventId..to as EventId {
            let i = id as usize;
            let k = used[i] as usize;
            if k != 0 {
                // A temporary key's first event: does its session name its person?
                let key = store.value(id, Field::AccessKey);
                if self.uses[k].0 == 0
                    && key.starts_with("ASIA")
                    && let Some(who) = named_by(store.record(id, &mut cache))
                {
                    self.named.insert(key.to_string(), who);
                }
                let u = &mut self.uses[k];
                if u.0 == 0 || store.time(id) < store.time(u.1) {
                    u.1 = id;
                }
                u.0 += 1;
            }
            if errors[i] != 0 || (issued[i] == 0 && asked[i] == 0) {
                continue;
            }
            // The loader read the key a response issued into its own column.
            if issued[i] == 0 {
                // A role assumption whose response hid the key: kept for links inferred later.
                self.hidden.entry(store.value(id, Field::RequestedSession).to_string()).or_default().push(id);
                continue;
            }
            let v = issued[i] as usize;
            if self.issued.len() <= v {
                self.issued.resize(store.dict(Field::IssuedKey).len() + 1, NONE);
            }
            match self.issued[v] {
                NONE => {
                    self.issued[v] = id;
                    self.issued_count += 1;
                    let caller = store.value(id, Field::AccessKey);
                    if used[i] != 0 && caller != store.value(id, Field::IssuedKey) {
                        self.children.entry(used[i]).or_default().push(issued[i]);
                    }
                }
                // The earliest event that claims the key issued it.
                e if store.time(id) < store.time(e) => self.issued[v] = id,
                _ => {}
            }
        }
        self.evaluated = to;
        self.generation += 1;
    }

    /// Sets each key's origin (by access-key value id, from 1).
    pub(super) fn set_origins(&mut self, origins: Vec<String>) {
        let ids: Vec<u32> = std::iter::once(0).chain(origins.iter().map(|o| self.intern(o))).collect();
        self.origin_of_key = ids;
    }

    fn intern(&mut self, origin: &str) -> u32 {
        if let Some(&i) = self.origin_ids.get(origin) {
            return i;
        }
        self.origins.push(origin.to_string());
        let i = self.origins.len() as u32 - 1;
        self.origin_ids.insert(origin.to_string(), i);
        i
    }

    /// Where event `id`'s origin is named: its key's origin, or (without a
    /// key whose origin is known) its actor.
    fn origin_of(&self, store: &Store, id: EventId) -> Origin {
        let k = store.value_id(id, Field::AccessKey) as usize;
        match self.origin_of_key.get(k).filter(|_| k != 0) {
            Some(&o) => Origin::Key(o),
            None => Origin::Actor(store.value_id(id, Field::Actor)),
        }
    }

    fn origin_text<'a>(&'a self, store: &'a Store, o: Origin) -> &'a str {
        match o {
            Origin::Key(o) => &self.origins[o as usize],
            Origin::Actor(a) => store.dict(Field::Actor).get(a),
        }
    }

    /// The origin of event `id`: its key's, or (without a key) the identity itself.
    pub fn origin<'a>(&'a self, store: &'a Store, id: EventId) -> &'a str {
        self.origin_text(store, self.origin_of(store, id))
    }

    /// Which of the first `n` events have an origin `test` accepts; each
    /// origin is tested once, not once per event.
    pub fn origins_where(&self, store: &Store, n: usize, test: impl Fn(&str) -> bool) -> Vec<bool> {
        let by_key: Vec<bool> = self.origins.iter().map(|o| test(o)).collect();
        let actors = store.dict(Field::Actor);
        let by_actor: Vec<bool> = (0..=actors.len() as u32).map(|a| test(actors.get(a))).collect();
        (0..n as EventId)
            .map(|id| match self.origin_of(store, id) {
                Origin::Key(o) => by_key[o as usize],
                Origin::Actor(a) => by_actor[a as usize],
            })
            .collect()
    }

    /// Events per origin among `ids`, most first, the `keep` most kept; and
    /// how many origins there were. An origin is counted by its label, so a
    /// user seen both with a key and without one is one origin.
    pub fn count_origins(&self, store: &Store, ids: &[EventId], keep: usize) -> (Vec<(String, u32)>, usize) {
        let mut by_origin = vec![0u32; self.origins.len()];
        let mut by_actor = vec![0u32; store.dict(Field::Actor).len() + 1];
        for &id in ids {
            match self.origin_of(store, id) {
                Origin::Key(o) => by_origin[o as usize] += 1,
                Origin::Actor(a) => by_actor[a as usize] += 1,
            }
        }
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for (o, &n) in by_origin.iter().enumerate().filter(|(_, n)| **n > 0) {
            *counts.entry(self.origin_text(store, Origin::Key(o as u32))).or_default() += n;
        }
        for (a, &n) in by_actor.iter().enumerate().skip(1).filter(|(_, n)| **n > 0) {
            *counts.entry(self.origin_text(store, Origin::Actor(a as u32))).or_default() += n;
        }
        let distinct = counts.len();
        let mut v: Vec<(String, u32)> = counts.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(keep);
        (v, distinct)
    }

    /// The role assumption whose key was hidden that most likely issued
    /// the session `arn` (an assumed-role ARN) first used at `first`: the
    /// latest one for the same account, role and session name before it.
    pub fn inferred_issuer(&self, store: &Store, arn: &str, first: EventId) -> Option<EventId> {
        let session = session_of_arn(arn)?;
        let t = store.time(first);
        self.hidden.get(&session)?.iter().copied().filter(|&e| store.time(e) <= t).max_by_key(|&e| store.time(e))
    }

    /// The person `key`'s session names, if it names one.
    pub fn named(&self, key: &str) -> Option<&str> {
        self.named.get(key).map(String::as_str)
    }

    /// Keys whose issuing event was loaded.
    pub fn issued_count(&self) -> usize {
        self.issued_count
    }

    /// The event that issued `key`, if it was loaded.
    pub fn issuer(&self, store: &Store, key: &str) -> Option<EventId> {
        let v = store.dict(Field::IssuedKey).lookup(key)?;
        self.issued.get(v as usize).copied().filter(|&e| e != NONE)
    }

    /// Per value of the access-key column: whether it is one of `keys` or
    /// was issued, at any depth, from one of them (what `session:` selects).
    pub fn session_keys<'k>(&self, store: &Store, keys: impl IntoIterator<Item = &'k str>) -> Vec<bool> {
        let dict = store.dict(Field::AccessKey);
        let mut wanted = vec![false; dict.len() + 1];
        for k in keys {
            for d in self.descendants(store, k) {
                if let Some(i) = dict.lookup(d) {
                    wanted[i as usize] = true;
                }
            }
        }
        wanted
    }

    /// `key` and every key issued, at any depth, by calls made with it.
    pub fn descendants<'s>(&self, store: &'s Store, key: &'s str) -> Vec<&'s str> {
        let (used, issued) = (store.dict(Field::AccessKey), store.dict(Field::IssuedKey));
        let mut out = vec![key];
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::from([key]);
        let mut i = 0;
        while i < out.len() {
            if let Some(kids) = used.lookup(out[i]).and_then(|k| self.children.get(&k)) {
                for &k in kids {
                    let k = issued.get(k);
                    if seen.insert(k) {
                        out.push(k);
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// Events done with `key`, and the first of them.
    pub fn uses(&self, store: &Store, key: &str) -> (usize, Option<EventId>) {
        let k = store.dict(Field::AccessKey).lookup(key).unwrap_or(0) as usize;
        match self.uses.get(k).filter(|u| k != 0 && u.0 > 0) {
            Some(&(n, first)) => (n as usize, Some(first)),
            None => (0, None),
        }
    }
}
