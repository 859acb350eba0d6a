//! First-seen: for each identity (its actor), the first time in the loaded
//! data it used a source address, a /24 network, a kind of client, a
//! region, an API call and an account; and for each long-term key, the
//! first time it was used from an address, a network or a kind of client. "First"
//! counts only once the identity has a history: after a learning window of
//! its own activity (24 hours by default), so the start of the data is not
//! all new. What is first is decided by time, then content, never by
//! arrival: events may come in any order while loading.

use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::{EventId, Store};
use hashbrown::HashMap;
use std::cmp::Ordering;

/// What an identity may use for the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Ip,
    Net,
    Agent,
    Region,
    Call,
    Account,
}

impl Kind {
    pub const ALL: [Kind; 6] = [Kind::Ip, Kind::Net, Kind::Agent, Kind::Region, Kind::Call, Kind::Account];

    /// The word a query names it by (`new:ip`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ip => "ip",
            Kind::Net => "net",
            Kind::Agent => "agent",
            Kind::Region => "region",
            Kind::Call => "call",
            Kind::Account => "account",
        }
    }

    /// How the detail says it.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Ip => "source address",
            Kind::Net => "network",
            Kind::Agent => "kind of client",
            Kind::Region => "region",
            Kind::Call => "call",
            Kind::Account => "account",
        }
    }

    /// Its mark for an actor, or (`key`) for a long-term key.
    fn bit(self, key: bool) -> u16 {
        1 << (self as u16 + if key { 6 } else { 0 })
    }

    /// Its bits for the actor and for the key.
    fn bits(self) -> u16 {
        self.bit(false) | self.bit(true)
    }
}

/// What rules read of a first use made by a long-term key, by kind: the
/// same words as an actor's, with `key_` before them.
const KEY_WORDS: [&str; 3] = ["key_ip", "key_net", "key_agent"];

/// The word for a long-term key first seen once the data's own learning
/// window is over: a key made (or brought out) during what was loaded.
pub const NEW_KEY: &str = "new_key";

/// How long after its first use a value still counts as fresh for rules:
/// an intruder's calls from a new address come within the hour.
pub const FRESH: Micros = 3_600 * 1_000_000;

/// The default learning window: a day of the identity's activity.
pub const LEARNING: Micros = 24 * 3_600 * 1_000_000;

/// The most values of a kind an identity is followed for: past it (a
/// service or a tool behind a pool of addresses, an administrator who calls
/// everything) a first use says nothing, and the identity is no longer
/// followed for that kind. Keeps memory and work bounded per identity.
fn cap(kind: Kind) -> usize {
    match kind {
        Kind::Call => 2_048,
        _ => 64,
    }
}

/// The kind of client a user agent names: the browser for the console, the
/// tool or SDK otherwise (`aws-cli`, `boto3`, `terraform`…), lower case.
pub fn agent_family(agent: &str) -> String {
    let a = agent.trim().trim_start_matches('[');
    if a.is_empty() {
        return String::new();
    }
    if a.starts_with("Mozilla/") || a.contains("console.amazonaws.com") || a.starts_with("signin.amazonaws.com") {
        return "console".into();
    }
    if a.contains("Terraform") {
        return "terraform".into();
    }
    if a == "AWS Internal" || a.ends_with(".amazonaws.com") {
        return "aws".into();
    }
    let first = a.split(['/', ' ', ',', ';', ']']).next().unwrap_or(a);
    first.to_lowercase()
}

/// The /24 network of an IPv4 address, the /48 of an IPv6 one; None for
/// anything else (`AWS Internal`, a service's name).
pub fn network(ip: &str) -> Option<String> {
    match ip.parse::<std::net::IpAddr>().ok()? {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(format!("{}.{}.{}.0/24", o[0], o[1], o[2]))
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]))
        }
    }
}

/// First uses, kept up to date as events arrive.
pub struct Firsts {
    /// The learning window.
    pub learning: Micros,
    /// Per identity: its first event and what it used; found by its
    /// account and actor, or by the key's value (dense, so a vector).
    histories: Vec<History>,
    of_actor: HashMap<(u32, u32), u32>,
    of_key: Vec<u32>,
    /// The value of `AWSService` in the identity-type column, once seen.
    service: Option<u32>,
    /// Per event: the kinds it is the first use of, for its actor (low six
    /// bits) and for its long-term key (the next six), whatever the window.
    marks: Vec<u16>,
    /// Per event, once every event is in: the marks that count (see
    /// [`Firsts::settle`]), so a facet over a million events reads them
    /// instead of looking up two histories per event. Empty until then.
    settled: Vec<u16>,
    /// The learning window `settled` was worked out with.
    settled_learning: Micros,
    /// Values of the kinds without a column of their own (networks, client kinds).
    interned: HashMap<String, u32>,
    /// Per value of the user-agent and source-address columns: their
    /// client kind and network (0: none; u32::MAX: not worked out).
    agent_of: Vec<u32>,
    net_of: Vec<u32>,
    /// Per value of the access-key column: whether it is a long-term key
    /// (the first `long_term_done` values worked out).
    long_term: Vec<u8>,
    long_term_done: usize,
}

/// An identity: an actor in its account, or a long-term key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Actor { account: u32, actor: u32 },
    Key(u32),
}

/// No event yet.
const NO_EVENT: EventId = EventId::MAX;

/// What one identity did: its first event, and per kind the first event to
/// use each value (None: more values than [`cap`], no longer followed),
/// with the value it used last and its first use (most events repeat it).
struct History {
    first: EventId,
    used: [Option<HashMap<u32, EventId>>; 6],
    last: [(u32, EventId); 6],
}

impl Default for Firsts {
    fn default() -> Firsts {
        Firsts {
            learning: LEARNING,
            histories: Vec::new(),
            of_actor: HashMap::new(),
            of_key: Vec::new(),
            service: None,
            marks: Vec::new(),
            settled: Vec::new(),
            settled_learning: 0,
            interned: HashMap::new(),
            agent_of: Vec::new(),
            net_of: Vec::new(),
            long_term: Vec::new(),
            long_term_done: 0,
        }
    }
}

impl Firsts {
    fn intern(&mut self, s: String) -> u32 {
        let n = self.interned.len() as u32 + 1;
        *self.interned.entry(s).or_insert(n)
    }

    /// The network of value `ip` of the source-address column (0: not an address).
    fn net(&mut self, store: &Store, ip: u32) -> u32 {
        if ip == 0 {
            return 0;
        }
        if self.net_of.len() <= ip as usize {
            self.net_of.resize(store.dict(Field::Ip).len() + 1, u32::MAX);
        }
        if self.net_of[ip as usize] == u32::MAX {
            // An IPv4 network is its 24 bits, one past 0; others are interned above them.
            let net = match store.dict(Field::Ip).get(ip).parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(v4)) => 1 + (u32::from(v4) >> 8),
                Ok(std::net::IpAddr::V6(_)) => {
                    (1 << 24) + self.intern(network(store.dict(Field::Ip).get(ip)).unwrap_or_default())
                }
                Err(_) => 0,
            };
            self.net_of[ip as usize] = net;
        }
        self.net_of[ip as usize]
    }

    /// The client kind of value `a` of the user-agent column (0: none).
    fn agent(&mut self, store: &Store, a: u32) {
        if a == 0 {
            return;
        }
        if self.agent_of.len() <= a as usize {
            self.agent_of.resize(store.dict(Field::Agent).len() + 1, u32::MAX);
        }
        if self.agent_of[a as usize] == u32::MAX {
            let family = agent_family(store.dict(Field::Agent).get(a));
            self.agent_of[a as usize] = if family.is_empty() { 0 } else { self.intern(family) };
        }
    }

    /// The value of `kind` for event `id` (0: none), working out its
    /// network or client kind the first time its address or agent is seen.
    fn value(&mut self, store: &Store, id: EventId, kind: Kind) -> u32 {
        match kind {
            Kind::Ip | Kind::Net => {
                self.net(store, store.value_id(id, Field::Ip));
            }
            Kind::Agent => self.agent(store, store.value_id(id, Field::Agent)),
            _ => {}
        }
        self.value_of(store, id, kind).unwrap_or(0)
    }

    /// The value of `kind` for event `id`, once worked out (None: none).
    fn value_of(&self, store: &Store, id: EventId, kind: Kind) -> Option<u32> {
        let known = |table: &[u32], v: u32| table.get(v as usize).copied().filter(|&x| x != u32::MAX);
        let v = match kind {
            // A service's name or `AWS Internal` is no address of the identity's.
            Kind::Ip => {
                let ip = store.value_id(id, Field::Ip);
                known(&self.net_of, ip).filter(|&n| n != 0).map(|_| ip)
            }
            Kind::Net => known(&self.net_of, store.value_id(id, Field::Ip)),
            Kind::Agent => known(&self.agent_of, store.value_id(id, Field::Agent)),
            Kind::Region => Some(store.value_id(id, Field::Region)),
            Kind::Call => Some(store.value_id(id, Field::Name)),
            Kind::Account => Some(store.value_id(id, Field::Account)),
        };
        v.filter(|&v| v != 0)
    }

    /// The history of identity `who`, made if new (its slot).
    fn history(&mut self, who: Who, store: &Store) -> usize {
        let fresh = self.histories.len() as u32;
        let slot = match who {
            Who::Actor { account, actor } => *self.of_actor.entry((account, actor)).or_insert(fresh),
            Who::Key(v) => {
                if self.of_key.len() <= v as usize {
                    self.of_key.resize(store.dict(Field::AccessKey).len() + 1, u32::MAX);
                }
                if self.of_key[v as usize] == u32::MAX {
                    self.of_key[v as usize] = fresh;
                }
                self.of_key[v as usize]
            }
        };
        if slot == fresh {
            let used = std::array::from_fn(|_| Some(HashMap::new()));
            self.histories.push(History { first: NO_EVENT, used, last: [(0, NO_EVENT); 6] });
        }
        slot as usize
    }

    /// The history of identity `who`, if it has one.
    fn find(&self, who: Who) -> Option<&History> {
        let slot = match who {
            Who::Actor { account, actor } => *self.of_actor.get(&(account, actor))?,
            Who::Key(v) => *self.of_key.get(v as usize)?,
        };
        self.histories.get(slot as usize)
    }

    /// The identities of event `id`: its actor in its account, and its key
    /// when long-term. AWS services acting for themselves have no history
    /// to compare. (Reads values, not text: this runs for every event.)
    fn identities(&self, store: &Store, id: EventId) -> [Option<Who>; 2] {
        if self.service.is_some_and(|s| s == store.value_id(id, Field::IdentityType)) {
            return [None, None];
        }
        let actor = store.value_id(id, Field::Actor);
        let account = store.value_id(id, Field::IdentityAccount);
        let key = store.value_id(id, Field::AccessKey);
        let long_term = self.long_term.get(key as usize).is_some_and(|&l| l == 1);
        [(actor != 0).then_some(Who::Actor { account, actor }), long_term.then_some(Who::Key(key))]
    }

    /// Takes in events `from..to`.
    pub fn take(&mut self, store: &Store, from: usize, to: usize) {
        // New events can move an identity's first event: what counts is worked out again.
        self.settled = Vec::new();
        self.marks.resize(to, 0);
        self.service = store.dict(Field::IdentityType).lookup("AWSService");
        let keys = store.dict(Field::AccessKey);
        self.long_term.resize(keys.len() + 1, 0);
        for v in self.long_term_done as u32 + 1..=keys.len() as u32 {
            self.long_term[v as usize] = keys.get(v).starts_with("AKIA") as u8;
        }
        self.long_term_done = keys.len();
        for id in from as EventId..to as EventId {
            for who in self.identities(store, id).into_iter().flatten() {
                // A long-term key is followed where it is used from, not for what it does.
                let key = matches!(who, Who::Key(_));
                let kinds = if key { &Kind::ALL[..3] } else { &Kind::ALL[..] };
                let mut values = [(Kind::Ip, 0u32); 6];
                for (slot, &k) in values.iter_mut().zip(kinds) {
                    *slot = (k, self.value(store, id, k));
                }
                let slot = self.history(who, store);
                let h = &mut self.histories[slot];
                if h.first == NO_EVENT || store.cmp_events(id, h.first) == Ordering::Less {
                    h.first = id;
                }
                for &(kind, v) in &values[..kinds.len()] {
                    let k = kind as usize;
                    if v == 0 || h.used[k].is_none() {
                        continue;
                    }
                    // The value the identity used last, first used no later than this: nothing new.
                    let (last, first_use) = h.last[k];
                    if last == v && store.cmp_events(id, first_use) != Ordering::Less {
                        continue;
                    }
                    let Some(used) = &mut h.used[k] else { continue };
                    let bit = kind.bit(key);
                    match used.get(&v).copied() {
                        Some(e) if store.cmp_events(id, e) != Ordering::Less => {
                            h.last[k] = (v, e);
                            continue;
                        }
                        Some(e) => self.marks[e as usize] &= !bit,
                        None => {}
                    }
                    used.insert(v, id);
                    h.last[k] = (v, id);
                    self.marks[id as usize] |= bit;
                    if used.len() > cap(kind) {
                        // Too varied to say anything: forget it, and the first uses marked.
                        for &e in used.values() {
                            self.marks[e as usize] &= !bit;
                        }
                        h.used[k] = None;
                    }
                }
            }
        }
    }

    /// Works out, once every event is in, which marks count for each event.
    pub fn settle(&mut self, store: &Store) {
        self.settled = Vec::new();
        let settled = (0..self.marks.len() as EventId).map(|id| self.counted(store, id)).collect();
        (self.settled, self.settled_learning) = (settled, self.learning);
    }

    /// The marks of event `id` that count: those of each identity past its learning window.
    fn counted(&self, store: &Store, id: EventId) -> u16 {
        if self.settled.len() == self.marks.len() && self.settled_learning == self.learning {
            return self.settled.get(id as usize).copied().unwrap_or(0);
        }
        let marks = self.marks.get(id as usize).copied().unwrap_or(0);
        if marks == 0 {
            return 0;
        }
        let t = store.time(id);
        // Past the window: after it, strictly, so with no window the first event is not new.
        let past = |who: Option<Who>| {
            who.and_then(|w| self.find(w)).is_some_and(|h| t > store.time(h.first).saturating_add(self.learning))
        };
        let [actor, key] = self.identities(store, id);
        let mask = if past(actor) { 0x3f } else { 0 } | if past(key) { 0x3f << 6 } else { 0 };
        marks & mask
    }

    /// Whether event `id` is a first use of anything, past its identity's learning window.
    pub fn is_new(&self, store: &Store, id: EventId) -> bool {
        self.counted(store, id) != 0
    }

    /// The kinds event `id` is a first use of, past its identity's learning window.
    pub fn new_kinds(&self, store: &Store, id: EventId) -> Vec<Kind> {
        let m = self.counted(store, id);
        Kind::ALL.into_iter().filter(|k| m & k.bits() != 0).collect()
    }

    /// What event `id` is a first use of, for whom: (kinds new to its actor,
    /// kinds new to its long-term key), each with when that identity was first seen.
    pub fn new_uses(&self, store: &Store, id: EventId) -> [(Vec<Kind>, Option<Micros>); 2] {
        let m = self.counted(store, id);
        let [actor, key] = self.identities(store, id);
        let of = |who: Option<Who>, as_key: bool| {
            let kinds = Kind::ALL.into_iter().filter(|k| m & k.bit(as_key) != 0).collect();
            (kinds, who.and_then(|w| self.find(w)).map(|h| store.time(h.first)))
        };
        [of(actor, false), of(key, true)]
    }

    /// Which of the first `n` events are a first use of a kind `test` accepts.
    pub fn select(&self, store: &Store, n: usize, test: impl Fn(Kind) -> bool) -> Vec<bool> {
        let wanted: u16 = Kind::ALL.into_iter().filter(|&k| test(k)).fold(0, |a, k| a | k.bits());
        (0..n.min(self.marks.len()) as EventId)
            .map(|id| self.marks[id as usize] & wanted != 0 && self.counted(store, id) & wanted != 0)
            .chain(std::iter::repeat(false))
            .take(n)
            .collect()
    }

    /// First uses as rules read them, once every event is in.
    pub fn derived(&self, store: &Store) -> Derived<'_> {
        let start = self.histories.iter().filter(|h| h.first != NO_EVENT).map(|h| store.time(h.first)).min();
        Derived { firsts: self, start: start.unwrap_or(Micros::MAX) }
    }

    /// Events per kind among `ids`.
    pub fn count(&self, store: &Store, ids: &[EventId]) -> [u32; 6] {
        let mut out = [0; 6];
        for &id in ids {
            let m = self.counted(store, id);
            if m != 0 {
                for k in Kind::ALL {
                    out[k as usize] += u32::from(m & k.bits() != 0);
                }
            }
        }
        out
    }
}

/// First uses as words (see [`KEY_WORDS`], [`NEW_KEY`] and [`Kind::name`])
/// for the rules' derived fields: what an event is the first use of, and
/// what it uses that was first used within [`FRESH`] before it.
pub struct Derived<'f> {
    firsts: &'f Firsts,
    /// The time of the first event with an identity.
    start: Micros,
}

impl Derived<'_> {
    fn word(kind: Kind, key: bool) -> &'static str {
        if key { KEY_WORDS[kind as usize] } else { kind.name() }
    }

    /// Whether the long-term key of event `id` was first seen after the
    /// data's learning window, and when.
    fn key_born(&self, s: &Store, id: EventId) -> Option<EventId> {
        let [_, key] = self.firsts.identities(s, id);
        let h = self.firsts.find(key?)?;
        (s.time(h.first) > self.start.saturating_add(self.firsts.learning)).then_some(h.first)
    }

    /// What event `id` is the first use of.
    pub fn first_uses(&self, s: &Store, id: EventId) -> Vec<&'static str> {
        let m = self.firsts.counted(s, id);
        let mut out: Vec<&'static str> = Kind::ALL
            .into_iter()
            .flat_map(|k| [(k, false), (k, true)])
            .filter(|&(k, key)| m & k.bit(key) != 0)
            .map(|(k, key)| Self::word(k, key))
            .collect();
        if self.key_born(s, id) == Some(id) {
            out.push(NEW_KEY);
        }
        out
    }

    /// What event `id` uses that its identity first used within [`FRESH`]
    /// (a first use past the learning window; the event itself included).
    pub fn fresh(&self, s: &Store, id: EventId) -> Vec<&'static str> {
        let f = self.firsts;
        let t = s.time(id);
        let recent = |e: EventId| t.saturating_sub(s.time(e)) <= FRESH;
        let mut out = Vec::new();
        for who in f.identities(s, id).into_iter().flatten() {
            let key = matches!(who, Who::Key(_));
            let Some(h) = f.find(who) else { continue };
            for kind in if key { &Kind::ALL[..3] } else { &Kind::ALL[..] } {
                let Some(used) = &h.used[*kind as usize] else { continue };
                let Some(v) = f.value_of(s, id, *kind) else { continue };
                let Some(&e) = used.get(&v) else { continue };
                let bit = kind.bit(key);
                if f.marks.get(e as usize).is_some_and(|m| m & bit != 0) && f.counted(s, e) & bit != 0 && recent(e) {
                    out.push(Self::word(*kind, key));
                }
            }
        }
        if self.key_born(s, id).is_some_and(recent) {
            out.push(NEW_KEY);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_and_networks() {
        assert_eq!(agent_family("aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux"), "aws-cli");
        assert_eq!(agent_family("Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0"), "boto3");
        assert_eq!(agent_family("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"), "console");
        assert_eq!(agent_family("APN/1.0 HashiCorp/1.0 Terraform/1.7.5 terraform-provider-aws/5.46.0"), "terraform");
        assert_eq!(agent_family("[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.0]"), "s3console");
        assert_eq!(agent_family("ec2.amazonaws.com"), "aws");
        assert_eq!(agent_family(""), "");
        assert_eq!(network("203.0.113.50").as_deref(), Some("203.0.113.0/24"));
        assert_eq!(network("2001:db8:1:2::5").as_deref(), Some("2001:db8:1::/48"));
        assert_eq!(network("AWS Internal"), None);
        assert_eq!(network("s3.amazonaws.com"), None);
    }
}
