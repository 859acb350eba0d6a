//! The links. A **credential** is an access key as one principal held it:
//! events link through a key only when they agree on who holds it, and a
//! redacted or placeholder key links nothing ([`super::principal`]). Each
//! credential links to the event that issued it (the loader reads the key
//! and the principal a call issued into the `issuedKey` and `issuedTo`
//! columns), that event to its caller's credential, and so on.
//!
//! Everything here is a function of the set of records, never of the order
//! they arrived in: events are taken in one by one ([`Graph::take`]), and
//! what depends on several of them (which record issued a key, which was
//! first, what a session names) is decided again from all of them by
//! [`Graph::settle`], ties broken by time, then content.

use super::principal::{self, Trust};
use crate::json::canon;
use crate::model::credentials::{self, Call, Grant, To};
use crate::model::fields::Field;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use std::cmp::Ordering;
use std::collections::HashMap;

/// A credential's number (0: none).
pub type CredId = u32;

/// No event.
const NONE: EventId = EventId::MAX;
/// A per-value answer not worked out yet.
const UNSET: u32 = u32::MAX;

/// How an issuing event is linked to the credential it issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Its response named the key.
    Logged,
    /// Its response hid the key; the session it named was first used after it.
    Inferred,
    /// It set the console password the session signed in with.
    Password,
}

impl Link {
    pub fn says(self) -> &'static str {
        match self {
            Link::Logged => "logged",
            Link::Inferred => "inferred",
            Link::Password => "password",
        }
    }
}

/// An access key as one principal held it.
#[derive(Debug, Clone)]
pub struct Cred {
    /// Index into the graph's keys.
    pub key: u32,
    /// Index into the graph's principals.
    pub holder: u32,
    /// Events done with it.
    pub events: u32,
    /// The first of them ([`NONE`]: issued but never used in the data).
    first: EventId,
    /// The event that issued it, and how it links.
    pub issuer: Option<(EventId, Link)>,
    /// Other records that claim to have issued it (the other account's copy
    /// of a cross-account call), in order.
    pub confirmations: Vec<EventId>,
    /// The ARN the issuing event named, for a credential never used.
    pub issued_arn: Option<String>,
    /// The person its session names (`sourceIdentity`, `onBehalfOf`).
    pub named: Option<String>,
    /// Its first event was done in the console.
    pub console: bool,
    /// `first` changed since `named` and `console` were read.
    stale: bool,
}

impl Cred {
    /// The first event done with it.
    pub fn first(&self) -> Option<EventId> {
        (self.first != NONE).then_some(self.first)
    }
}

/// An access key id as the data wrote it.
struct Key {
    text: String,
    creds: Vec<CredId>,
}

/// An event of a call that hands out credentials.
#[derive(Debug, Clone, Copy)]
struct Claim {
    event: EventId,
    call: &'static Call,
    /// The key it issued, when the response named one that can be trusted.
    key: Option<u32>,
    /// The principal it named as receiving the grant.
    to: Option<u32>,
}

/// The credential graph of the events taken in so far.
#[derive(Default)]
pub struct Graph {
    /// Events taken in (the first ones appended).
    pub evaluated: usize,
    /// Counts the changes, for views that refresh.
    pub generation: u64,
    /// Time spent keeping the graph up to date (for `bench`).
    pub work: std::time::Duration,
    /// Per event: its credential.
    cred_of_event: Vec<CredId>,
    /// Credentials; 0 is none.
    creds: Vec<Cred>,
    cred_ids: HashMap<(u32, u32), CredId>,
    keys: Vec<Key>,
    key_ids: HashMap<String, u32>,
    /// Per value of the access-key and issued-key columns: the key (UNSET:
    /// not worked out yet; u32::MAX - 1: not to be trusted).
    key_of_used: Vec<u32>,
    key_of_issued: Vec<u32>,
    /// Principals in their compared form ([`principal::principal_of_arn`]).
    principals: Vec<String>,
    principal_ids: HashMap<String, u32>,
    /// Per value of the ARN and issued-to columns: the principal.
    principal_of_arn: Vec<u32>,
    principal_of_issued_to: Vec<u32>,
    /// Per value of the event-name column: the credential call, if it is one.
    call_of_name: Vec<Option<Option<&'static Call>>>,
    claims: Vec<Claim>,
    /// Keyless console sign-ins of IAM users, with whether they succeeded.
    logins: Vec<(EventId, bool)>,
    /// Per credential, worked out by `settle`: the credentials its calls issued.
    children: Vec<Vec<CredId>>,
    /// Per sign-in of `logins`: the event that set the password it used.
    login_password: HashMap<EventId, EventId>,
    /// Per credential, set from its chain: its origin (an index into `origins`).
    origin_of_cred: Vec<u32>,
    /// Per sign-in whose password another identity set: its origin.
    login_origin: HashMap<EventId, u32>,
    /// Origins as shown, interned.
    origins: Vec<String>,
    origin_ids: HashMap<String, u32>,
}

/// A key id not to be trusted, in `key_of_*`.
const UNTRUSTED: u32 = u32::MAX - 1;

/// Orders events by time, then content: the same records in any load order
/// come out in the same order.
pub fn event_order(store: &Store, a: EventId, b: EventId) -> Ordering {
    let (ra, rb) = (store.rank(a), store.rank(b));
    (ra.0, ra.1).cmp(&(rb.0, rb.1)).then_with(|| {
        if a == b {
            return Ordering::Equal;
        }
        // The same fingerprint for different content: compare the content.
        let (mut ca, mut cb) = (ChunkCache::new(1), ChunkCache::new(1));
        store.record(a, &mut ca).cmp(store.record(b, &mut cb))
    })
}

/// The person a session's identity names: `sessionContext.sourceIdentity`
/// (set when the role was assumed), else `onBehalfOf.userId`.
fn named_by(rec: &[u8]) -> Option<String> {
    let uid = canon::get(rec, "userIdentity")?;
    let source = canon::get(uid, "sessionContext").and_then(|c| canon::get(c, "sourceIdentity"));
    let behalf = || canon::get(uid, "onBehalfOf").and_then(|o| canon::get(o, "userId"));
    source.or_else(behalf).and_then(canon::scalar_text).map(|s| s.into_owned()).filter(|s| !s.is_empty())
}

/// Whether a record was done with console credentials.
fn from_console(rec: &[u8]) -> bool {
    canon::get(rec, "sessionCredentialFromConsole").and_then(canon::scalar_text).is_some_and(|v| v == "true")
}

/// Whether a `ConsoleLogin` record says it succeeded.
fn login_succeeded(rec: &[u8]) -> bool {
    let said = canon::get(rec, "responseElements").and_then(|r| canon::get(r, "ConsoleLogin"));
    said.and_then(canon::scalar_text).is_some_and(|v| v == "Success")
}

/// A vector indexed by dictionary value, grown to hold `len` values.
fn grow(v: &mut Vec<u32>, len: usize) {
    if v.len() <= len {
        v.resize(len + 1, UNSET);
    }
}

impl Graph {
    fn intern_principal(&mut self, p: String) -> u32 {
        if let Some(&i) = self.principal_ids.get(&p) {
            return i;
        }
        self.principals.push(p.clone());
        let i = self.principals.len() as u32 - 1;
        self.principal_ids.insert(p, i);
        i
    }

    /// The principal event `id`'s identity names: its ARN, else its account
    /// and principal id, else its actor.
    fn holder_of(&mut self, store: &Store, id: EventId) -> u32 {
        let arn = store.value_id(id, Field::Arn);
        grow(&mut self.principal_of_arn, store.dict(Field::Arn).len());
        if arn != 0 && self.principal_of_arn[arn as usize] != UNSET {
            return self.principal_of_arn[arn as usize];
        }
        let p = match principal::principal_of_arn(store.dict(Field::Arn).get(arn)) {
            Some(p) => p,
            None => {
                let principal = store.value(id, Field::Principal);
                if principal.is_empty() {
                    format!("actor:{}", store.value(id, Field::Actor))
                } else {
                    format!("{}:principal/{principal}", store.value(id, Field::IdentityAccount)).to_lowercase()
                }
            }
        };
        let p = self.intern_principal(p);
        if arn != 0 {
            self.principal_of_arn[arn as usize] = p;
        }
        p
    }

    fn intern_key(&mut self, text: &str) -> u32 {
        if let Some(&k) = self.key_ids.get(text) {
            return k;
        }
        self.keys.push(Key { text: text.to_string(), creds: Vec::new() });
        let k = self.keys.len() as u32 - 1;
        self.key_ids.insert(text.to_string(), k);
        k
    }

    /// The key of a value of `field` (the access-key or issued-key column), if it can be trusted.
    fn key_of(&mut self, store: &Store, field: Field, v: u32) -> Option<u32> {
        let dict = store.dict(field);
        let table = if field == Field::AccessKey { &mut self.key_of_used } else { &mut self.key_of_issued };
        grow(table, dict.len());
        if table[v as usize] == UNSET {
            let text = dict.get(v);
            let k = if principal::trust(text) == Trust::Key { self.intern_key(text) } else { UNTRUSTED };
            let table = if field == Field::AccessKey { &mut self.key_of_used } else { &mut self.key_of_issued };
            table[v as usize] = k;
        }
        let table = if field == Field::AccessKey { &self.key_of_used } else { &self.key_of_issued };
        Some(table[v as usize]).filter(|&k| k != UNTRUSTED)
    }

    /// The credential (key, holder), made if new.
    fn cred(&mut self, key: u32, holder: u32) -> CredId {
        if self.creds.is_empty() {
            // 0 is none.
            self.creds.push(Cred {
                key: 0,
                holder: 0,
                events: 0,
                first: NONE,
                issuer: None,
                confirmations: Vec::new(),
                issued_arn: None,
                named: None,
                console: false,
                stale: false,
            });
        }
        if let Some(&c) = self.cred_ids.get(&(key, holder)) {
            return c;
        }
        let c = self.creds.len() as CredId;
        self.creds.push(Cred { key, holder, ..self.creds[0].clone() });
        self.cred_ids.insert((key, holder), c);
        self.keys[key as usize].creds.push(c);
        c
    }

    fn call_of(&mut self, store: &Store, id: EventId) -> Option<&'static Call> {
        let v = store.value_id(id, Field::Name) as usize;
        if self.call_of_name.len() <= v {
            self.call_of_name.resize(store.dict(Field::Name).len() + 1, None);
        }
        *self.call_of_name[v].get_or_insert_with(|| credentials::call_named(store.dict(Field::Name).get(v as u32)))
    }

    /// Takes in events `from..to`: the credential each was done with, and
    /// the calls among them that hand out credentials.
    pub(super) fn take(&mut self, store: &Store, from: usize, to: usize) {
        let mut cache = ChunkCache::new(2);
        let (used, errors) = (store.column(Field::AccessKey), store.column(Field::Error));
        let login = store.dict(Field::Name).lookup("ConsoleLogin").unwrap_or(0);
        let iam_user = store.dict(Field::IdentityType).lookup("IAMUser").unwrap_or(0);
        for id in from as EventId..to as EventId {
            let i = id as usize;
            let mut cred = 0;
            if used[i] != 0
                && let Some(key) = self.key_of(store, Field::AccessKey, used[i])
            {
                let holder = self.holder_of(store, id);
                cred = self.cred(key, holder);
                let c = &mut self.creds[cred as usize];
                c.events += 1;
                if c.first == NONE || event_order(store, id, c.first) == Ordering::Less {
                    c.first = id;
                    c.stale = true;
                }
            }
            self.cred_of_event.push(cred);
            let name = store.value_id(id, Field::Name);
            if used[i] == 0 && name == login && login != 0 && store.value_id(id, Field::IdentityType) == iam_user {
                self.logins.push((id, login_succeeded(store.record(id, &mut cache))));
            }
            let Some(call) = self.call_of(store, id).filter(|_| errors[i] == 0) else { continue };
            let issued = store.value_id(id, Field::IssuedKey);
            let key = if issued == 0 { None } else { self.key_of(store, Field::IssuedKey, issued) };
            let to = self.issued_to(store, id, call);
            self.claims.push(Claim { event: id, call, key, to });
        }
        self.evaluated = to;
        self.generation += 1;
    }

    /// The principal a claim names as receiving its grant.
    fn issued_to(&mut self, store: &Store, id: EventId, call: &Call) -> Option<u32> {
        let v = store.value_id(id, Field::IssuedTo);
        if v != 0 {
            grow(&mut self.principal_of_issued_to, store.dict(Field::IssuedTo).len());
            if self.principal_of_issued_to[v as usize] == UNSET {
                let p =
                    principal::principal_of_arn(store.dict(Field::IssuedTo).get(v)).map(|p| self.intern_principal(p));
                self.principal_of_issued_to[v as usize] = p.unwrap_or(UNTRUSTED);
            }
            return Some(self.principal_of_issued_to[v as usize]).filter(|&p| p != UNTRUSTED);
        }
        match call.to {
            // Without a user named, a key or password is the caller's own.
            To::Caller | To::User => Some(self.holder_of(store, id)),
            _ => None,
        }
    }

    /// Which of two claims on one credential wins: the copy that carries its
    /// caller's credentials (a cross-account call is logged in both
    /// accounts; the caller's account's copy names the caller's key), then
    /// the copy logged in the caller's own account, then the earliest, then
    /// by content.
    fn claim_order(&self, store: &Store, a: EventId, b: EventId) -> Ordering {
        let rank = |e: EventId| {
            let keyless = self.cred_of_event[e as usize] == 0;
            let elsewhere = store.value(e, Field::IdentityAccount) != store.value(e, Field::Account);
            (keyless, elsewhere)
        };
        rank(a).cmp(&rank(b)).then_with(|| event_order(store, a, b))
    }

    /// The latest of `events` at or before event `at`, by time then content.
    fn latest_before(store: &Store, events: &[EventId], at: EventId) -> Option<EventId> {
        let t = store.time(at);
        events.iter().copied().filter(|&e| store.time(e) <= t).max_by(|&a, &b| event_order(store, a, b))
    }

    /// Decides again, from everything taken in, what depends on several
    /// records: which event issued each credential, the links inferred from
    /// hidden keys and from passwords, the children of each credential, and
    /// what each session's first event says.
    pub(super) fn settle(&mut self, store: &Store) {
        let mut cache = ChunkCache::new(2);
        for c in self.creds.iter_mut().skip(1) {
            if c.stale && c.first != NONE {
                let rec = store.record(c.first, &mut cache);
                c.named = named_by(rec);
                c.console = from_console(rec);
                c.stale = false;
            }
            c.issuer = None;
            c.confirmations.clear();
            c.issued_arn = None;
        }
        // Claims that name their key, by the credential they issued.
        let mut by_cred: HashMap<CredId, Vec<EventId>> = HashMap::new();
        let mut hidden: HashMap<u32, Vec<EventId>> = HashMap::new();
        let mut passwords: HashMap<u32, Vec<EventId>> = HashMap::new();
        let claims = std::mem::take(&mut self.claims);
        for cl in &claims {
            match (cl.call.grant, cl.key, cl.to) {
                (Grant::Password, _, Some(to)) => passwords.entry(to).or_default().push(cl.event),
                (Grant::Password, _, None) => {}
                (_, Some(key), Some(to)) => by_cred.entry(self.cred(key, to)).or_default().push(cl.event),
                // Whom it went to is not named: the key's one holder, if it has only one.
                (_, Some(key), None) => {
                    if let [c] = self.keys[key as usize].creds[..] {
                        by_cred.entry(c).or_default().push(cl.event);
                    }
                }
                // A session whose key the response hid: linked later by whom it named and when.
                (Grant::Session, None, Some(to)) => hidden.entry(to).or_default().push(cl.event),
                (_, None, _) => {}
            }
        }
        self.claims = claims;
        for (c, mut events) in by_cred {
            events.sort_by(|&a, &b| self.claim_order(store, a, b));
            let cred = &mut self.creds[c as usize];
            cred.issuer = Some((events[0], Link::Logged));
            cred.issued_arn = Some(store.value(events[0], Field::IssuedTo).to_string()).filter(|s| !s.is_empty());
            cred.confirmations = events[1..].to_vec();
        }
        for c in self.creds.iter_mut().skip(1).filter(|c| c.issuer.is_none() && c.first != NONE) {
            let console_user = c.console && principal::kind_of(&self.principals[c.holder as usize]) == "user";
            let from = if console_user { passwords.get(&c.holder) } else { hidden.get(&c.holder) };
            let link = if console_user { Link::Password } else { Link::Inferred };
            c.issuer = from.and_then(|events| Self::latest_before(store, events, c.first)).map(|e| (e, link));
        }
        self.login_password.clear();
        let signed_in: Vec<EventId> = self.logins.iter().filter(|l| l.1).map(|l| l.0).collect();
        for id in signed_in {
            let holder = self.holder_of(store, id);
            if let Some(set) = passwords.get(&holder).and_then(|events| Self::latest_before(store, events, id)) {
                self.login_password.insert(id, set);
            }
        }
        self.children = vec![Vec::new(); self.creds.len()];
        for (c, cred) in self.creds.iter().enumerate().skip(1) {
            if let Some((e, _)) = cred.issuer {
                let parent = self.cred_of_event[e as usize];
                if parent != 0 && parent != c as CredId {
                    self.children[parent as usize].push(c as CredId);
                }
            }
        }
        self.generation += 1;
    }

    /// Sets each credential's origin, and the origin of each sign-in whose
    /// password another identity set.
    pub(super) fn set_origins(&mut self, by_cred: Vec<String>, by_login: Vec<(EventId, String)>) {
        self.origin_of_cred = by_cred.iter().map(|o| self.intern_origin(o)).collect();
        self.login_origin = by_login.iter().map(|(e, o)| (*e, self.intern_origin(o))).collect();
    }

    fn intern_origin(&mut self, origin: &str) -> u32 {
        if let Some(&i) = self.origin_ids.get(origin) {
            return i;
        }
        self.origins.push(origin.to_string());
        let i = self.origins.len() as u32 - 1;
        self.origin_ids.insert(origin.to_string(), i);
        i
    }

    /// Credentials, 1 to n.
    pub fn cred_count(&self) -> usize {
        self.creds.len().saturating_sub(1)
    }

    pub fn cred_info(&self, c: CredId) -> &Cred {
        &self.creds[c as usize]
    }

    /// The key of credential `c`, as the data wrote it.
    pub fn key_text(&self, c: CredId) -> &str {
        &self.keys[self.creds[c as usize].key as usize].text
    }

    /// The principal of credential `c`, in its compared form.
    pub fn holder_text(&self, c: CredId) -> &str {
        &self.principals[self.creds[c as usize].holder as usize]
    }

    /// The credential event `id` was done with (None: no key, or one that
    /// cannot be trusted).
    pub fn cred_of(&self, id: EventId) -> Option<CredId> {
        self.cred_of_event.get(id as usize).copied().filter(|&c| c != 0)
    }

    /// The credentials of `key`: one per principal seen with it, most used first.
    pub fn creds_of_key(&self, key: &str) -> Vec<CredId> {
        let Some(&k) = self.key_ids.get(key) else { return vec![] };
        let mut v = self.keys[k as usize].creds.clone();
        v.sort_by(|&a, &b| {
            let (ca, cb) = (&self.creds[a as usize], &self.creds[b as usize]);
            cb.events
                .cmp(&ca.events)
                .then_with(|| self.principals[ca.holder as usize].cmp(&self.principals[cb.holder as usize]))
        });
        v
    }

    /// The other credentials of `c`'s key: principals that do not agree on who holds it.
    pub fn conflicts(&self, c: CredId) -> Vec<CredId> {
        self.creds_of_key(self.key_text(c)).into_iter().filter(|&o| o != c).collect()
    }

    /// The credentials issued, at any depth, by calls made with `c`.
    pub fn descendants(&self, c: CredId) -> Vec<CredId> {
        let mut out = vec![c];
        let mut seen = std::collections::HashSet::from([c]);
        let mut i = 0;
        while i < out.len() {
            for &k in self.children.get(out[i] as usize).map_or(&[][..], |v| &v[..]) {
                if seen.insert(k) {
                    out.push(k);
                }
            }
            i += 1;
        }
        out
    }

    /// The event that set the password a keyless sign-in used.
    pub fn login_password(&self, id: EventId) -> Option<EventId> {
        self.login_password.get(&id).copied()
    }

    /// The keyless sign-ins linked to the event that set their password.
    pub fn logins_with_password(&self) -> Vec<EventId> {
        let mut v: Vec<EventId> = self.login_password.keys().copied().collect();
        v.sort_unstable();
        v
    }

    /// Credentials whose issuing event was loaded.
    pub fn issued_count(&self) -> usize {
        self.creds.iter().filter(|c| matches!(c.issuer, Some((_, Link::Logged)))).count()
    }

    /// The origin of event `id` as shown: its credential's, the password
    /// setter's for a sign-in, else its own actor.
    pub fn origin<'a>(&'a self, store: &'a Store, id: EventId) -> &'a str {
        match self.origin_index(id) {
            Some(o) => &self.origins[o as usize],
            None => store.value(id, Field::Actor),
        }
    }

    fn origin_index(&self, id: EventId) -> Option<u32> {
        match self.cred_of(id) {
            Some(c) => self.origin_of_cred.get(c as usize - 1).copied(),
            None if self.login_origin.is_empty() => None,
            None => self.login_origin.get(&id).copied(),
        }
    }

    /// Which of the first `n` events have an origin `test` accepts; each
    /// origin is tested once, not once per event.
    pub fn origins_where(&self, store: &Store, n: usize, test: impl Fn(&str) -> bool) -> Vec<bool> {
        let by_origin: Vec<bool> = self.origins.iter().map(|o| test(o)).collect();
        let actors = store.dict(Field::Actor);
        let by_actor: Vec<bool> = (0..=actors.len() as u32).map(|a| test(actors.get(a))).collect();
        (0..n as EventId)
            .map(|id| match self.origin_index(id) {
                Some(o) => by_origin[o as usize],
                None => by_actor[store.value_id(id, Field::Actor) as usize],
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
            match self.origin_index(id) {
                Some(o) => by_origin[o as usize] += 1,
                None => by_actor[store.value_id(id, Field::Actor) as usize] += 1,
            }
        }
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for (o, &n) in by_origin.iter().enumerate().filter(|(_, n)| **n > 0) {
            *counts.entry(&self.origins[o]).or_default() += n;
        }
        // Events without an identity have no origin to count (as the actor facet leaves them out).
        for (a, &n) in by_actor.iter().enumerate().skip(1).filter(|(_, n)| **n > 0) {
            *counts.entry(store.dict(Field::Actor).get(a as u32)).or_default() += n;
        }
        let distinct = counts.len();
        let mut v: Vec<(String, u32)> = counts.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(keep);
        (v, distinct)
    }

    /// What `session:` selects for `keys`: per credential, whether it is a
    /// credential of one of the keys or was issued, at any depth, from one;
    /// per value of the access-key column, whether it is one of the keys
    /// that cannot be trusted (they select their own events, and nothing
    /// was issued from them that could be followed).
    pub fn session_mask<'k>(&self, store: &Store, keys: impl IntoIterator<Item = &'k str>) -> SessionMask {
        let mut creds = vec![false; self.creds.len().max(1)];
        let mut untrusted = vec![false; store.dict(Field::AccessKey).len() + 1];
        for k in keys {
            let own = self.creds_of_key(k);
            if own.is_empty()
                && let Some(v) = store.dict(Field::AccessKey).lookup(k)
            {
                untrusted[v as usize] = true;
            }
            for c in own {
                for d in self.descendants(c) {
                    creds[d as usize] = true;
                }
            }
        }
        SessionMask { creds, untrusted }
    }

    /// Per event: whether `mask` selects it.
    pub fn selects(&self, store: &Store, mask: &SessionMask, id: EventId) -> bool {
        match self.cred_of(id) {
            Some(c) => mask.creds.get(c as usize).copied().unwrap_or(false),
            None => mask.untrusted[store.value_id(id, Field::AccessKey) as usize],
        }
    }
}

/// What a `session:` term selects (see [`Graph::session_mask`]).
pub struct SessionMask {
    creds: Vec<bool>,
    untrusted: Vec<bool>,
}
