//! A credential's chain: from the identity at its origin, through every
//! session issued on the way, to the credential itself. [`Chain`] walks it
//! with every detail, for `trace` and the chain view; [`origins`] walks
//! every credential's once, keeping only the name at the end, with the
//! same steps ([`step`]).

use super::graph::{CredId, Graph, Link};
use super::principal::{self, Trust};
use crate::model::actor::{account_of_arn, actor_of_arn};
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::{EventId, Store};

/// One identity on the chain and the credentials it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The access key this identity used (none for a service, or a console sign-in).
    pub key: Option<String>,
    /// The credential, when the key links events.
    pub cred: Option<CredId>,
    pub actor: String,
    /// The identity's ARN, as its events (or the call that issued its key) give it.
    pub arn: String,
    pub account: String,
    /// The event that issued `key` (for a long-term key, the `CreateAccessKey`
    /// that created it; for a console session, the call that set the
    /// password), with its time and source address.
    pub issued_by: Option<EventId>,
    pub link: Option<Link>,
    /// Other records that claim the same issue (the other account's copy of
    /// a cross-account call).
    pub confirmed_by: Vec<EventId>,
    pub issued_at: Option<Micros>,
    pub source_ip: Option<String>,
    /// Events done with this credential.
    pub events: usize,
    /// Other principals seen with the same key, not linked: (ARN, events).
    pub conflicts: Vec<(String, usize)>,
}

impl Hop {
    /// A hop known only by its key or its name.
    fn bare(key: Option<String>, actor: String) -> Hop {
        Hop {
            key,
            cred: None,
            actor,
            arn: String::new(),
            account: String::new(),
            issued_by: None,
            link: None,
            confirmed_by: Vec::new(),
            issued_at: None,
            source_ip: None,
            events: 0,
            conflicts: Vec::new(),
        }
    }

    /// The identity behind event `id` (as its columns give it), with its key if any.
    fn of_event(store: &Store, id: EventId) -> Hop {
        let v = |f| store.value(id, f).to_string();
        let key = Some(v(Field::AccessKey)).filter(|k| !k.is_empty());
        let account = Some(v(Field::IdentityAccount)).filter(|a| !a.is_empty()).unwrap_or_else(|| v(Field::Account));
        Hop { arn: v(Field::Arn), account, ..Hop::bare(key, v(Field::Actor)) }
    }

    /// The principal an issuing event named (`issuedTo`), for a key never used.
    fn issued_to(store: &Store, key: &str, e: EventId) -> Hop {
        let arn = store.value(e, Field::IssuedTo).to_string();
        let actor = actor_of_arn(&arn).unwrap_or_default();
        Hop { account: account_of_arn(&arn).unwrap_or_default().to_string(), arn, ..Hop::bare(Some(key.into()), actor) }
    }

    /// Records that event `e` issued this hop's credential.
    fn issued(&mut self, store: &Store, e: EventId, link: Link, confirmations: &[EventId]) {
        self.issued_by = Some(e);
        self.link = Some(link);
        self.confirmed_by = confirmations.to_vec();
        self.issued_at = Some(store.time(e));
        self.source_ip = Some(store.value(e, Field::Ip).to_string());
    }

    pub fn inferred(&self) -> bool {
        self.link == Some(Link::Inferred)
    }

    /// The name the chain gives this hop when it is the origin.
    pub fn name(&self) -> &str {
        if self.actor.is_empty() { self.key.as_deref().unwrap_or("") } else { &self.actor }
    }
}

/// How a chain ends, at its first hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// At the identity behind it all: a user (with a long-term key or its
    /// own session), root, an Identity Center user, an AWS service.
    Origin,
    /// The event that issued the first hop's key is not in the loaded data
    /// (or, for a caller named only by its account, that account's trail).
    Missing,
    /// The links lead back to a key already on the chain.
    Cycle,
    /// The issuer is not in the loaded data, but the session names the
    /// person behind it (`sourceIdentity`, Identity Center's `onBehalfOf`).
    Named,
    /// The first hop's key is redacted or a placeholder: it is not followed.
    Unlinked,
}

impl End {
    pub fn says(self) -> &'static str {
        match self {
            End::Origin => "origin",
            End::Missing => "issuer not in the loaded data",
            End::Cycle => "the links loop back",
            End::Named => "named by the session",
            End::Unlinked => "key not evidence of identity (redacted or placeholder)",
        }
    }
}

/// A chain, origin first, the credential's own session last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub hops: Vec<Hop>,
    pub end: End,
}

/// Where the walk stands.
#[derive(Clone, Copy)]
enum At {
    /// A credential.
    Cred(CredId),
    /// The caller of an event, who used no credential that can be followed.
    Caller(EventId),
}

impl At {
    /// The caller of event `e`.
    fn caller_of(graph: &Graph, e: EventId) -> At {
        graph.cred_of(e).map_or(At::Caller(e), At::Cred)
    }
}

/// What comes after a credential.
enum Step {
    /// Event `e` issued it: the walk goes on at its caller. A key or a
    /// password a user made for themselves goes on too, through the
    /// credentials they made it with (which end at them unless someone
    /// else's do: a backdoor's owner cannot launder it by making a key).
    Issued { e: EventId, link: Link },
    /// Nothing issued it in the data: the chain ends here, at the person
    /// an Identity Center role or the session names, if any.
    Ends { end: End, person: Option<String> },
}

/// Whether a credential with no issuing event ends a chain rightly: a
/// long-term key, a user's or root's own session (console, session token),
/// or an Identity Center session.
fn ends_at_itself(graph: &Graph, store: &Store, c: CredId) -> bool {
    if graph.key_text(store, c).starts_with("AKIA")
        || matches!(principal::kind_of(graph.holder_text(c)), "user" | "root")
    {
        return true;
    }
    let id = graph.cred_info(c).first();
    matches!(store.value(id, Field::IdentityType), "IAMUser" | "Root" | "IdentityCenterUser")
        || sso_person(store.value(id, Field::Actor)).is_some()
}

/// The person an Identity Center role session stands for: its session name.
fn sso_person(actor: &str) -> Option<&str> {
    actor.strip_prefix("AWSReservedSSO_").and_then(|r| r.split_once('/')).map(|(_, u)| u)
}

fn step(graph: &Graph, store: &Store, c: CredId) -> Step {
    let info = graph.cred_info(c);
    let Some((e, link)) = info.issuer else {
        let person = sso_person(store.value(info.first(), Field::Actor)).map(str::to_string);
        if person.is_some() || ends_at_itself(graph, store, c) {
            return Step::Ends { end: End::Origin, person };
        }
        return match &info.named {
            Some(who) => Step::Ends { end: End::Named, person: Some(who.to_string()) },
            None => Step::Ends { end: End::Missing, person: None },
        };
    };
    Step::Issued { e, link }
}

/// How a chain ends at the caller of `e`, who used no credential that can be followed.
fn end_at_caller(store: &Store, e: EventId) -> End {
    let keyed = !store.value(e, Field::AccessKey).is_empty();
    match store.value(e, Field::IdentityType) {
        // A cross-account call's copy in the target account: the caller's
        // own chain is in its account's trail.
        "AWSAccount" => End::Missing,
        "IAMUser" | "Root" | "AWSService" | "IdentityCenterUser" | "SAMLUser" | "WebIdentityUser" => End::Origin,
        _ if keyed => End::Unlinked,
        "" => End::Origin,
        _ => End::Missing,
    }
}

/// The hop of credential `c`, named by its first event.
fn hop_of_cred(graph: &Graph, store: &Store, c: CredId) -> Hop {
    let info = graph.cred_info(c);
    let mut hop = Hop { key: Some(graph.key_text(store, c).to_string()), ..Hop::of_event(store, info.first()) };
    hop.cred = Some(c);
    hop.events = info.events as usize;
    hop.conflicts = graph
        .conflicts(store, c)
        .into_iter()
        .map(|o| (store.value(graph.cred_info(o).first(), Field::Arn).to_string(), graph.cred_info(o).events as usize))
        .map(|(arn, n)| (if arn.is_empty() { "(no ARN)".to_string() } else { arn }, n))
        .collect();
    hop
}

/// Walks up from `at`, with `up` the hops below it (nearest first).
fn walk(graph: &Graph, store: &Store, mut up: Vec<Hop>, mut at: At) -> Chain {
    let mut seen: std::collections::HashSet<CredId> = std::collections::HashSet::new();
    let end = loop {
        let c = match at {
            At::Caller(e) => {
                up.push(Hop::of_event(store, e));
                break end_at_caller(store, e);
            }
            At::Cred(c) if !seen.insert(c) => break End::Cycle,
            At::Cred(c) => c,
        };
        let mut hop = hop_of_cred(graph, store, c);
        match step(graph, store, c) {
            Step::Ends { end, person } => {
                up.push(hop);
                up.extend(person.map(|p| Hop::bare(None, p)));
                break end;
            }
            Step::Issued { e, link } => {
                hop.issued(store, e, link, &graph.cred_info(c).confirmations);
                up.push(hop);
                at = At::caller_of(graph, e);
            }
        }
    };
    up.reverse();
    Chain { hops: up, end }
}

impl Chain {
    /// The chain of credential `c`.
    pub fn of_cred(graph: &Graph, store: &Store, c: CredId) -> Chain {
        walk(graph, store, Vec::new(), At::Cred(c))
    }

    /// The chain of `key`: of the principal that used it most, when several
    /// did (the others are the hop's conflicts); of the call that issued it,
    /// when it was never used. A key that cannot be trusted is one hop that
    /// ends the chain.
    pub fn of(graph: &Graph, store: &Store, key: &str) -> Chain {
        if let Some(&c) = graph.creds_of_key(store, key).first() {
            return Chain::of_cred(graph, store, c);
        }
        let claims = graph.claims_of_key(store, key);
        let Some(&e) = claims.first() else {
            let end = if principal::trust(key) == Trust::Key { End::Missing } else { End::Unlinked };
            return Chain { hops: vec![Hop::bare(Some(key.to_string()), String::new())], end };
        };
        let mut hop = Hop::issued_to(store, key, e);
        hop.issued(store, e, Link::Logged, &claims[1..]);
        walk(graph, store, vec![hop], At::caller_of(graph, e))
    }

    /// The chain behind event `id`: its credential's; for a sign-in with a
    /// password another identity set, that identity's; else the event's own
    /// identity, which ends it.
    pub fn of_event(graph: &Graph, store: &Store, id: EventId) -> Chain {
        if let Some(c) = graph.cred_of(id) {
            return Chain::of_cred(graph, store, c);
        }
        let mut hop = Hop::of_event(store, id);
        hop.events = 1;
        let Some(set) = graph.login_password(id) else {
            return Chain { end: end_at_caller(store, id), hops: vec![hop] };
        };
        hop.issued(store, set, Link::Password, &[]);
        walk(graph, store, vec![hop], At::caller_of(graph, set))
    }

    /// The identity at the end of the chain, as the list shows actors.
    pub fn origin(&self) -> &str {
        self.hops.first().map_or("", Hop::name)
    }
}

/// Every credential's origin (by credential, from 1), as [`Chain::origin`]
/// names it, each chain walked once: a credential issued by another's call
/// takes that one's origin. A walk that runs into a loop ends, as
/// [`walk`] does, at the credential that led back into it: for those
/// before the loop and its first, the last one walked; for one inside it,
/// the one before it.
pub fn origins(graph: &Graph, store: &Store) -> Vec<String> {
    let n = graph.cred_count();
    let mut found: Vec<Option<String>> = vec![None; n + 1];
    // Which start's walk a credential is on (0: none yet), and where.
    let mut on_walk: Vec<(u32, u32)> = vec![(0, 0); n + 1];
    for start in 1..=n as CredId {
        if found[start as usize].is_some() {
            continue;
        }
        let mut path: Vec<CredId> = Vec::new();
        let mut at = At::Cred(start);
        let mut looped_at = None;
        let origin = loop {
            let c = match at {
                At::Caller(e) => break Hop::of_event(store, e).name().to_string(),
                At::Cred(c) => c,
            };
            if let Some(o) = &found[c as usize] {
                break o.clone();
            }
            if on_walk[c as usize].0 == start {
                looped_at = Some(on_walk[c as usize].1 as usize);
                break name_of(graph, store, *path.last().unwrap_or(&c));
            }
            on_walk[c as usize] = (start, path.len() as u32);
            path.push(c);
            match step(graph, store, c) {
                Step::Ends { person: Some(p), .. } => break p,
                Step::Ends { person: None, .. } => break name_of(graph, store, c),
                Step::Issued { e, .. } => at = At::caller_of(graph, e),
            }
        };
        for (i, &c) in path.iter().enumerate() {
            found[c as usize] = Some(match looped_at {
                Some(j) if i > j => name_of(graph, store, path[i - 1]),
                _ => origin.clone(),
            });
        }
    }
    found.into_iter().skip(1).map(Option::unwrap_or_default).collect()
}

/// The name of credential `c`'s identity (as its first event gives it).
fn name_of(graph: &Graph, store: &Store, c: CredId) -> String {
    let actor = store.value(graph.cred_info(c).first(), Field::Actor);
    if actor.is_empty() { graph.key_text(store, c).to_string() } else { actor.to_string() }
}
