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
//! [`Graph::settle`], ties broken by time, then content. Only keys that
//! were used get credentials: a key issued but never used (most of them)
//! costs one claim.

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
/// Whom a claim named, when it named no one (and a value that is no ARN).
const NOTHING: u32 = u32::MAX - 1;

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
    /// The key: a value of the access-key column.
    pub key: u32,
    /// Index into the graph's principals.
    pub holder: u32,
    /// Events done with it.
    pub events: u32,
    /// The first of them, by time then content.
    first: EventId,
    /// The event that issued it, and how it links.
    pub issuer: Option<(EventId, Link)>,
    /// Other records that claim to have issued it (the other account's copy
    /// of a cross-account call), in order.
    pub confirmations: Vec<EventId>,
    /// The person its session names (`sourceIdentity`, `onBehalfOf`);
    /// read for a temporary key nothing in the data issued.
    pub named: Option<Box<str>>,
    /// Its first event was done in the console (read as `named` is).
    pub console: bool,
    /// `first` changed since `named` and `console` were read.
    stale: bool,
}

impl Cred {
    /// The first event done with it.
    pub fn first(&self) -> EventId {
        self.first
    }
}

/// An event of a call that hands out credentials.
#[derive(Debug, Clone, Copy)]
struct Claim {
    /// The key it issued: a value of the issued-key column (0: none, or
    /// one that cannot be trusted).
    issued: u32,
    event: EventId,
    call: &'static Call,
    /// The principal it named as receiving the grant (NOTHING: not named).
    to: u32,
}

/// A keyless console sign-in of an IAM user.
#[derive(Debug, Clone, Copy)]
struct Login {
    event: EventId,
    holder: u32,
    /// Whether it succeeded (read only when a password set for its user is loaded).
    succeeded: Option<bool>,
}

/// The credential graph of the events taken in so far.
#[derive(Default)]
pub struct Graph {
    /// Events taken in (the first ones appended).
    pub evaluated: usize,
    /// Counts the changes, for views that refresh.
    pub generation: u64,
    /// Time spent keeping the graph up to date, first-seen analytics
    /// included, and of it on first-seen alone (for `bench`).
    pub work: std::time::Duration,
    pub firsts_work: std::time::Duration,
    /// Per event: its credential.
    cred_of_event: Vec<CredId>,
    /// Credentials; 0 is none.
    creds: Vec<Cred>,
    cred_ids: HashMap<(u32, u32), CredId>,
    /// Per value of the access-key column: its credentials (several when
    /// principals disagree on who holds it; none when it cannot be trusted).
    creds_of_value: Vec<Vec<CredId>>,
    /// Per value of the access-key and issued-key columns: whether it can
    /// be trusted (1), not (0), or not worked out yet (UNSET).
    trusted_used: Vec<u32>,
    trusted_issued: Vec<u32>,
    /// Per value of the access-key column: the ARN value last seen with it
    /// and its credential (only for ARNs that name a principal).
    last_seen: Vec<(u32, CredId)>,
    /// Principals in their compared form ([`principal::principal_of_arn`]).
    principals: Vec<String>,
    principal_ids: HashMap<String, u32>,
    /// Per principal: its credentials.
    creds_of_holder: HashMap<u32, Vec<CredId>>,
    /// Per value of the ARN and issued-to columns: the principal (UNSET:
    /// not worked out; NOTHING: not an ARN).
    principal_of_arn: Vec<u32>,
    principal_of_issued_to: Vec<u32>,
    /// Per value of the event-name column: the credential call, if it is one.
    call_of_name: Vec<Option<Option<&'static Call>>>,
    /// Claims, sorted by issued key in `settle`; `sorted` of them are.
    claims: Vec<Claim>,
    sorted: usize,
    /// Sessions whose key the response hid, and passwords set, by the
    /// principal they named; each list in event order once settled.
    hidden: HashMap<u32, Vec<EventId>>,
    passwords: HashMap<u32, Vec<EventId>>,
    logins: Vec<Login>,
    /// Credentials whose issuer must be worked out again.
    dirty: Vec<CredId>,
    is_dirty: Vec<bool>,
    /// Sign-ins must be linked to passwords again.
    logins_dirty: bool,
    /// Per credential, worked out by `settle`: the credentials its calls
    /// issued, as ranges of `child_list`.
    children: Vec<(u32, u32)>,
    child_list: Vec<CredId>,
    /// Per sign-in: the event that set the password it used.
    login_password: HashMap<EventId, EventId>,
    /// Per credential, set from its chain: its origin (an index into `origins`).
    origin_of_cred: Vec<u32>,
    /// Per sign-in whose password another identity set: its origin.
    login_origin: HashMap<EventId, u32>,
    /// Origins as shown, interned.
    origins: Vec<String>,
    origin_ids: HashMap<String, u32>,
    /// What each identity did for the first time.
    pub firsts: super::firsts::Firsts,
}

/// The person a session's identity names: `sessionContext.sourceIdentity`
/// (set when the role was assumed), else `onBehalfOf.userId`.
fn named_by(rec: &[u8]) -> Option<Box<str>> {
    let uid = canon::get(rec, "userIdentity")?;
    let source = canon::get(uid, "sessionContext").and_then(|c| canon::get(c, "sourceIdentity"));
    let behalf = || canon::get(uid, "onBehalfOf").and_then(|o| canon::get(o, "userId"));
    source.or_else(behalf).and_then(canon::scalar_text).filter(|s| !s.is_empty()).map(|s| s.into())
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
fn grow<T: Clone>(v: &mut Vec<T>, len: usize, fill: T) {
    if v.len() <= len {
        v.resize(len + 1, fill);
    }
}

/// Marks an origin's index among actor value ids (see [`Graph::origin_group`]).
const ORIGIN_BIT: u64 = 1 << 32;

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

    /// The principal an ARN value names (cached per value; None: not an ARN).
    fn principal_of(&mut self, store: &Store, field: Field, v: u32) -> Option<u32> {
        if v == 0 {
            return None;
        }
        let table = if field == Field::Arn { &mut self.principal_of_arn } else { &mut self.principal_of_issued_to };
        grow(table, store.dict(field).len(), UNSET);
        if table[v as usize] == UNSET {
            let p = principal::principal_of_arn(store.dict(field).get(v)).map(|p| self.intern_principal(p));
            let table = if field == Field::Arn { &mut self.principal_of_arn } else { &mut self.principal_of_issued_to };
            table[v as usize] = p.unwrap_or(NOTHING);
        }
        let table = if field == Field::Arn { &self.principal_of_arn } else { &self.principal_of_issued_to };
        Some(table[v as usize]).filter(|&p| p != NOTHING)
    }

    /// The principal event `id`'s identity names: its ARN; else its account
    /// and principal id, else its account and actor.
    fn holder_of(&mut self, store: &Store, id: EventId) -> u32 {
        if let Some(p) = self.principal_of(store, Field::Arn, store.value_id(id, Field::Arn)) {
            return p;
        }
        let (account, principal) = (store.value(id, Field::IdentityAccount), store.value(id, Field::Principal));
        let p = if principal.is_empty() {
            format!("{account}:actor/{}", store.value(id, Field::Actor))
        } else {
            format!("{account}:principal/{principal}")
        };
        self.intern_principal(p.to_lowercase())
    }

    /// Marks credential `c` to be settled again.
    fn mark(&mut self, c: CredId) {
        grow(&mut self.is_dirty, c as usize, false);
        if !self.is_dirty[c as usize] {
            self.is_dirty[c as usize] = true;
            self.dirty.push(c);
        }
    }

    /// The credential (access-key value `v`, `holder`), made if new.
    fn cred(&mut self, v: u32, holder: u32) -> CredId {
        if let Some(&c) = self.cred_ids.get(&(v, holder)) {
            return c;
        }
        if self.creds.is_empty() {
            // 0 is none.
            self.creds.push(Cred {
                key: 0,
                holder: 0,
                events: 0,
                first: NONE,
                issuer: None,
                confirmations: Vec::new(),
                named: None,
                console: false,
                stale: false,
            });
        }
        let c = self.creds.len() as CredId;
        self.creds.push(Cred { key: v, holder, ..self.creds[0].clone() });
        self.cred_ids.insert((v, holder), c);
        self.creds_of_holder.entry(holder).or_default().push(c);
        // A claim that names no one links to a key's only holder: the key's other credentials too are settled again.
        self.creds_of_value[v as usize].push(c);
        for other in self.creds_of_value[v as usize].clone() {
            self.mark(other);
        }
        c
    }

    fn call_of(&mut self, store: &Store, id: EventId) -> Option<&'static Call> {
        let v = store.value_id(id, Field::Name) as usize;
        grow(&mut self.call_of_name, store.dict(Field::Name).len(), None);
        *self.call_of_name[v].get_or_insert_with(|| credentials::call_named(store.dict(Field::Name).get(v as u32)))
    }

    /// Whether value `v` of the access-key (or issued-key) column can be
    /// evidence of who holds it (an empty value is no key).
    fn trusted(&mut self, store: &Store, field: Field, v: u32) -> bool {
        if v == 0 {
            return false;
        }
        let table = if field == Field::AccessKey { &mut self.trusted_used } else { &mut self.trusted_issued };
        grow(table, store.dict(field).len(), UNSET);
        if table[v as usize] == UNSET {
            table[v as usize] = (principal::trust(store.dict(field).get(v)) == Trust::Key) as u32;
        }
        table[v as usize] == 1
    }

    /// The credential of event `id`, made if new (0: no key, or one that cannot be trusted).
    fn credential_of(&mut self, store: &Store, id: EventId) -> CredId {
        let v = store.value_id(id, Field::AccessKey);
        if !self.trusted(store, Field::AccessKey, v) {
            return 0;
        }
        let n = store.dict(Field::AccessKey).len();
        grow(&mut self.creds_of_value, n, Vec::new());
        grow(&mut self.last_seen, n, (0, 0));
        // Most events of a key carry the ARN its last event did.
        let arn = store.value_id(id, Field::Arn);
        let (last_arn, last) = self.last_seen[v as usize];
        if last_arn == arn && arn != 0 {
            return last;
        }
        let named = self.principal_of(store, Field::Arn, arn).is_some();
        let holder = self.holder_of(store, id);
        let c = self.cred(v, holder);
        if named {
            self.last_seen[v as usize] = (arn, c);
        }
        c
    }

    /// Takes in events `from..to`: the credential each was done with, and
    /// the calls among them that hand out credentials.
    pub(super) fn take(&mut self, store: &Store, from: usize, to: usize) {
        let errors = store.column(Field::Error);
        let login = store.dict(Field::Name).lookup("ConsoleLogin");
        let iam_user = store.dict(Field::IdentityType).lookup("IAMUser");
        for id in from as EventId..to as EventId {
            let cred = self.credential_of(store, id);
            if cred != 0 {
                let c = &mut self.creds[cred as usize];
                c.events += 1;
                if c.first == NONE || store.cmp_events(id, c.first) == Ordering::Less {
                    c.first = id;
                    c.stale = true;
                    self.mark(cred);
                }
            }
            self.cred_of_event.push(cred);
            let keyless = store.value(id, Field::AccessKey).is_empty();
            let name = Some(store.value_id(id, Field::Name));
            if name == login && keyless && Some(store.value_id(id, Field::IdentityType)) == iam_user {
                let holder = self.holder_of(store, id);
                self.logins.push(Login { event: id, holder, succeeded: None });
                self.logins_dirty = true;
            }
            let Some(call) = self.call_of(store, id).filter(|_| errors[id as usize] == 0) else { continue };
            let issued = store.value_id(id, Field::IssuedKey);
            let issued = if self.trusted(store, Field::IssuedKey, issued) { issued } else { 0 };
            let to = self.issued_to(store, id, call);
            self.claims.push(Claim { issued, event: id, call, to });
        }
        self.evaluated = to;
        self.generation += 1;
    }

    /// The principal a claim names as receiving its grant.
    fn issued_to(&mut self, store: &Store, id: EventId, call: &Call) -> u32 {
        let v = store.value_id(id, Field::IssuedTo);
        if v != 0 {
            return self.principal_of(store, Field::IssuedTo, v).unwrap_or(NOTHING);
        }
        match call.to {
            // Without a user named, a key or password is the caller's own.
            To::Caller | To::User => self.holder_of(store, id),
            _ => NOTHING,
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
        rank(a).cmp(&rank(b)).then_with(|| store.cmp_events(a, b))
    }

    /// The latest of `events` (in event order) at or before event `at`.
    fn latest_before(store: &Store, events: &[EventId], at: EventId) -> Option<EventId> {
        let t = store.time(at);
        let n = events.partition_point(|&e| store.time(e) <= t);
        n.checked_sub(1).map(|i| events[i])
    }

    /// The claims on issued-key value `issued`.
    fn claims_on(&self, issued: u32) -> &[Claim] {
        let sorted = &self.claims[..self.sorted];
        let from = sorted.partition_point(|c| c.issued < issued);
        let to = sorted.partition_point(|c| c.issued <= issued);
        &sorted[from..to]
    }

    /// The events that claim to have issued `key`, a key never used, best
    /// first: the best claim and those naming the same principal.
    pub fn claims_of_key(&self, store: &Store, key: &str) -> Vec<EventId> {
        let Some(v) = store.dict(Field::IssuedKey).lookup(key) else { return vec![] };
        let mut claims: Vec<&Claim> = self.claims_on(v).iter().collect();
        claims.sort_by(|a, b| self.claim_order(store, a.event, b.event));
        let to = claims.first().map(|c| c.to);
        claims.into_iter().filter(|c| Some(c.to) == to).map(|c| c.event).collect()
    }

    /// Takes in the claims since the last settle: sorted by key and merged,
    /// filed under the principal they named when they issued no key, and
    /// the credentials they may concern marked.
    fn take_claims(&mut self, store: &Store) {
        if self.sorted == self.claims.len() {
            return;
        }
        let fresh = self.claims.split_off(self.sorted);
        let mut touched: Vec<u32> = Vec::new();
        let mut filed: Vec<(bool, u32)> = Vec::new();
        for cl in &fresh {
            if cl.issued != 0 {
                let text = store.dict(Field::IssuedKey).get(cl.issued);
                if let Some(v) = store.dict(Field::AccessKey).lookup(text) {
                    touched.extend(self.creds_of_value.get(v as usize).into_iter().flatten().copied());
                }
                continue;
            }
            let password = match cl.call.grant {
                // A session whose key the response hid: linked by whom it named and when.
                Grant::Session if cl.to != NOTHING => false,
                Grant::Password if cl.to != NOTHING => true,
                _ => continue,
            };
            let list = if password { &mut self.passwords } else { &mut self.hidden };
            list.entry(cl.to).or_default().push(cl.event);
            filed.push((password, cl.to));
            touched.extend(self.creds_of_holder.get(&cl.to).into_iter().flatten().copied());
        }
        for c in touched {
            self.mark(c);
        }
        filed.sort_unstable();
        filed.dedup();
        for (password, to) in filed {
            self.logins_dirty |= password;
            let list = if password { self.passwords.get_mut(&to) } else { self.hidden.get_mut(&to) };
            list.into_iter().for_each(|l| l.sort_by(|&a, &b| store.cmp_events(a, b)));
        }
        // The new claims sorted, then merged with those sorted before.
        let key = |c: &Claim| (c.issued, c.event);
        let mut fresh = fresh;
        fresh.sort_unstable_by_key(key);
        let old = std::mem::take(&mut self.claims);
        let (mut a, mut b) = (old.into_iter().peekable(), fresh.into_iter().peekable());
        while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
            let next = if key(x) <= key(y) { a.next() } else { b.next() };
            self.claims.extend(next);
        }
        self.claims.extend(a.chain(b));
        self.sorted = self.claims.len();
    }

    /// Decides again, from everything taken in, what depends on several
    /// records, for the credentials and sign-ins it may have changed for:
    /// which event issued each credential, the links inferred from hidden
    /// keys and from passwords, the children of each credential, and what a
    /// session's first event says. Returns whether anything was settled.
    pub(super) fn settle(&mut self, store: &Store) -> bool {
        self.take_claims(store);
        let dirty = std::mem::take(&mut self.dirty);
        if dirty.is_empty() && !self.logins_dirty {
            return false;
        }
        let mut cache = ChunkCache::new(2);
        for c in dirty {
            self.is_dirty[c as usize] = false;
            self.settle_cred(store, c as usize, &mut cache);
        }
        if std::mem::take(&mut self.logins_dirty) {
            self.login_password.clear();
            for i in 0..self.logins.len() {
                let l = self.logins[i];
                let Some(set) = self.passwords.get(&l.holder) else { continue };
                let ok =
                    *self.logins[i].succeeded.get_or_insert_with(|| login_succeeded(store.record(l.event, &mut cache)));
                if let Some(e) = Self::latest_before(store, set, l.event).filter(|_| ok) {
                    self.login_password.insert(l.event, e);
                }
            }
        }
        self.link_children();
        self.generation += 1;
        true
    }

    /// Works out which event issued credential `c`.
    fn settle_cred(&mut self, store: &Store, c: usize, cache: &mut ChunkCache) {
        let (v, holder, first) = (self.creds[c].key, self.creds[c].holder, self.creds[c].first);
        // Claims that name the key and this holder, or name no one when the key has one holder.
        let only = self.creds_of_value[v as usize].len() == 1;
        let issued = store.dict(Field::IssuedKey).lookup(store.dict(Field::AccessKey).get(v)).unwrap_or(0);
        let mut events: Vec<EventId> = if issued == 0 {
            vec![]
        } else {
            let claims = self.claims_on(issued).iter();
            claims.filter(|cl| cl.to == holder || (cl.to == NOTHING && only)).map(|cl| cl.event).collect()
        };
        events.sort_by(|&a, &b| self.claim_order(store, a, b));
        // What the first event says matters only to a session nothing issued in the data: read it then.
        let session = store.dict(Field::AccessKey).get(v).starts_with("ASIA");
        if events.is_empty() && session && self.creds[c].stale {
            let rec = store.record(first, cache);
            let (named, console) = (named_by(rec), from_console(rec));
            let cred = &mut self.creds[c];
            (cred.named, cred.console, cred.stale) = (named, console, false);
        }
        let console_user = self.creds[c].console && principal::kind_of(&self.principals[holder as usize]) == "user";
        let issuer = match events.first() {
            Some(&e) => Some((e, Link::Logged)),
            None if console_user => self
                .passwords
                .get(&holder)
                .and_then(|set| Self::latest_before(store, set, first))
                .map(|e| (e, Link::Password)),
            None => {
                self.hidden.get(&holder).and_then(|h| Self::latest_before(store, h, first)).map(|e| (e, Link::Inferred))
            }
        };
        let cred = &mut self.creds[c];
        cred.issuer = issuer;
        cred.confirmations = events.get(1..).unwrap_or_default().to_vec();
    }

    /// The credentials each credential's calls issued.
    fn link_children(&mut self) {
        let mut pairs: Vec<(CredId, CredId)> = (1..self.creds.len() as CredId)
            .filter_map(|c| {
                let (e, _) = self.creds[c as usize].issuer?;
                let parent = self.cred_of_event[e as usize];
                (parent != 0 && parent != c).then_some((parent, c))
            })
            .collect();
        pairs.sort_unstable();
        self.children = vec![(0, 0); self.creds.len()];
        for (i, &(p, _)) in pairs.iter().enumerate() {
            let r = &mut self.children[p as usize];
            if r.1 == 0 {
                r.0 = i as u32;
            }
            r.1 = i as u32 + 1;
        }
        self.child_list = pairs.into_iter().map(|(_, c)| c).collect();
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
    pub fn key_text<'s>(&self, store: &'s Store, c: CredId) -> &'s str {
        store.dict(Field::AccessKey).get(self.creds[c as usize].key)
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
    pub fn creds_of_key(&self, store: &Store, key: &str) -> Vec<CredId> {
        let v = store.dict(Field::AccessKey).lookup(key).unwrap_or(0) as usize;
        let mut out = self.creds_of_value.get(v).cloned().unwrap_or_default();
        out.sort_by(|&a, &b| {
            let (ca, cb) = (&self.creds[a as usize], &self.creds[b as usize]);
            cb.events
                .cmp(&ca.events)
                .then_with(|| self.principals[ca.holder as usize].cmp(&self.principals[cb.holder as usize]))
        });
        out
    }

    /// How many principals were seen with value `v` of the access-key column.
    pub fn holders_of_value(&self, v: u32) -> usize {
        self.creds_of_value.get(v as usize).map_or(0, Vec::len)
    }

    /// The other credentials of `c`'s key: principals that do not agree on who holds it.
    pub fn conflicts(&self, store: &Store, c: CredId) -> Vec<CredId> {
        self.creds_of_key(store, self.key_text(store, c)).into_iter().filter(|&o| o != c).collect()
    }

    /// Per credential: whether it is one of `creds` or was issued, at any
    /// depth, by calls made with one of them.
    pub fn issued_from(&self, creds: impl IntoIterator<Item = CredId>) -> Vec<bool> {
        let mut mask = vec![false; self.creds.len().max(1)];
        for c in creds {
            self.mark_descendants(c, &mut mask);
        }
        mask
    }

    /// Marks `c` in `mask`, and the credentials issued, at any depth, by
    /// calls made with it (a credential marked already is not gone into again).
    fn mark_descendants(&self, c: CredId, mask: &mut [bool]) {
        let mut stack = vec![c];
        while let Some(x) = stack.pop() {
            if std::mem::replace(&mut mask[x as usize], true) {
                continue;
            }
            let (from, to) = self.children.get(x as usize).copied().unwrap_or_default();
            stack.extend_from_slice(&self.child_list[from as usize..to as usize]);
        }
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

    /// Events of calls that handed out credentials (or set a password).
    pub fn claim_count(&self) -> usize {
        self.claims.len()
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

    /// What [`Graph::origin`] names, as a number: the origin's index (high
    /// bit set), else the actor's value id. [`Graph::group_name`] reads it.
    pub fn origin_group(&self, store: &Store, id: EventId) -> u64 {
        match self.origin_index(id) {
            Some(o) => ORIGIN_BIT | u64::from(o),
            None => u64::from(store.value_id(id, Field::Actor)),
        }
    }

    /// The name of an [`Graph::origin_group`].
    pub fn group_name<'a>(&'a self, store: &'a Store, group: u64) -> &'a str {
        if group & ORIGIN_BIT != 0 {
            &self.origins[(group & !ORIGIN_BIT) as usize]
        } else {
            store.dict(Field::Actor).get(group as u32)
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
        for (a, &n) in by_actor.iter().enumerate().skip(1).filter(|(_, n)| **n > 0) {
            *counts.entry(store.dict(Field::Actor).get(a as u32)).or_default() += n;
        }
        // Events without an identity have no origin to count (as the actor facet leaves them out).
        counts.remove("");
        // Origins equal but for case are one (a query matches them alike), under the least spelling.
        let mut spelled: Vec<(&str, u32)> = counts.into_iter().collect();
        spelled.sort_unstable();
        let mut folded: HashMap<String, (String, u32)> = HashMap::new();
        for (label, n) in spelled {
            folded.entry(label.to_lowercase()).or_insert_with(|| (label.to_string(), 0)).1 += n;
        }
        let distinct = folded.len();
        let mut v: Vec<(String, u32)> = folded.into_values().collect();
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
        let mut own = Vec::new();
        let mut untrusted = vec![false; store.dict(Field::AccessKey).len() + 1];
        for k in keys {
            let of_key = self.creds_of_key(store, k);
            if of_key.is_empty()
                && let Some(v) = store.dict(Field::AccessKey).lookup(k)
            {
                untrusted[v as usize] = true;
            }
            own.extend(of_key);
        }
        SessionMask { creds: self.issued_from(own), untrusted }
    }

    /// Whether `mask` selects event `id`.
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
