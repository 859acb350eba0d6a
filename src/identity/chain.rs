//! A credential's chain: from the identity at its origin, through every
//! session issued on the way, to the credential itself.

use super::graph::{CredId, Graph, Link};
use super::principal::{self, Trust};
use crate::model::actor::{account_of_arn, actor_of_arn};
use crate::model::credentials::{Grant, call_named};
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
enum At {
    /// A credential.
    Cred(CredId),
    /// The caller of an event, who used no credential that can be followed.
    Caller(EventId),
}

/// Whether a credential with no issuing event ends a chain rightly: a
/// long-term key, a user's or root's own session (console, session token),
/// or an Identity Center session.
fn ends_at_itself(graph: &Graph, store: &Store, c: CredId) -> bool {
    if graph.key_text(c).starts_with("AKIA") || matches!(principal::kind_of(graph.holder_text(c)), "user" | "root") {
        return true;
    }
    let Some(id) = graph.cred_info(c).first() else { return false };
    matches!(store.value(id, Field::IdentityType), "IAMUser" | "Root" | "IdentityCenterUser")
        || store.value(id, Field::Actor).starts_with("AWSReservedSSO_")
}

/// How a chain ends at the caller of `e`, who used no credential that can be followed.
fn end_at_caller(store: &Store, e: EventId) -> End {
    let kind = store.value(e, Field::IdentityType);
    let keyed = store.value_id(e, Field::AccessKey) != 0;
    match kind {
        // A cross-account call's copy in the target account: the caller's
        // own chain is in its account's trail.
        "AWSAccount" => End::Missing,
        "IAMUser" | "Root" | "AWSService" | "IdentityCenterUser" | "SAMLUser" | "WebIdentityUser" => End::Origin,
        _ if keyed => End::Unlinked,
        "" => End::Origin,
        _ => End::Missing,
    }
}

/// Whether event `e`'s caller is the principal holding credential `c`.
fn caller_is_holder(graph: &Graph, store: &Store, e: EventId, c: CredId) -> bool {
    principal::principal_of_arn(store.value(e, Field::Arn)).is_some_and(|p| p == graph.holder_text(c))
}

/// The hop of credential `c`: named by its first event, or by the call that issued it.
fn hop_of_cred(graph: &Graph, store: &Store, c: CredId) -> Hop {
    let info = graph.cred_info(c);
    let key = Some(graph.key_text(c).to_string());
    let mut hop = match (info.first(), &info.issued_arn) {
        (Some(first), _) => Hop { key, ..Hop::of_event(store, first) },
        (None, Some(arn)) => Hop {
            arn: arn.clone(),
            account: account_of_arn(arn).unwrap_or_default().to_string(),
            ..Hop::bare(key, actor_of_arn(arn).unwrap_or_default())
        },
        (None, None) => Hop::bare(key, String::new()),
    };
    hop.cred = Some(c);
    hop.events = info.events as usize;
    hop.conflicts = graph
        .conflicts(c)
        .into_iter()
        .map(|o| {
            let other = graph.cred_info(o);
            let arn = other.first().map(|f| store.value(f, Field::Arn).to_string()).or(other.issued_arn.clone());
            (arn.filter(|a| !a.is_empty()).unwrap_or_else(|| graph.holder_text(o).to_string()), other.events as usize)
        })
        .collect();
    hop
}

/// Walks up from `at`, with `up` the hops below it (nearest first).
fn walk(graph: &Graph, store: &Store, mut up: Vec<Hop>, mut at: At) -> Chain {
    let mut seen: Vec<CredId> = Vec::new();
    let end = loop {
        let c = match at {
            At::Caller(e) => {
                up.push(Hop::of_event(store, e));
                break end_at_caller(store, e);
            }
            At::Cred(c) if seen.contains(&c) => break End::Cycle,
            At::Cred(c) => c,
        };
        seen.push(c);
        let info = graph.cred_info(c);
        let mut hop = hop_of_cred(graph, store, c);
        let Some((e, link)) = info.issuer else {
            // An Identity Center session: the person is its session name.
            let sso =
                hop.actor.strip_prefix("AWSReservedSSO_").and_then(|r| r.split_once('/')).map(|(_, u)| u.to_string());
            up.push(hop);
            up.extend(sso.map(|user| Hop::bare(None, user)));
            if ends_at_itself(graph, store, c) {
                break End::Origin;
            }
            match &info.named {
                Some(who) => {
                    up.push(Hop::bare(None, who.clone()));
                    break End::Named;
                }
                None => break End::Missing,
            }
        };
        hop.issued(store, e, link, &info.confirmations);
        up.push(hop);
        // A key or a password its owner made: the owner is the origin.
        let granted = call_named(store.value(e, Field::Name)).map(|call| call.grant);
        if matches!(granted, Some(Grant::AccessKey | Grant::Password)) && caller_is_holder(graph, store, e, c) {
            break End::Origin;
        }
        at = graph.cred_of(e).map_or(At::Caller(e), At::Cred);
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
    /// did (the others are the hop's conflicts). A key that cannot be
    /// trusted is one hop that ends the chain.
    pub fn of(graph: &Graph, store: &Store, key: &str) -> Chain {
        if let Some(&c) = graph.creds_of_key(key).first() {
            return Chain::of_cred(graph, store, c);
        }
        let trusted = principal::trust(key) == Trust::Key;
        Chain {
            hops: vec![Hop::bare(Some(key.to_string()), String::new())],
            end: if trusted { End::Missing } else { End::Unlinked },
        }
    }

    /// The chain behind event `id`: its credential's; for a sign-in with a
    /// password another identity set, that identity's; else the event's own
    /// identity, which ends it.
    pub fn of_event(graph: &Graph, store: &Store, id: EventId) -> Chain {
        if let Some(c) = graph.cred_of(id) {
            return Chain::of_cred(graph, store, c);
        }
        let mut hop = Hop::of_event(store, id);
        let Some(set) = graph.login_password(id) else {
            return Chain { end: end_at_caller(store, id), hops: vec![hop] };
        };
        hop.issued(store, set, Link::Password, &[]);
        let own = principal::principal_of_arn(store.value(set, Field::Arn)) == principal::principal_of_arn(&hop.arn);
        if own {
            return Chain { hops: vec![hop], end: End::Origin };
        }
        walk(graph, store, vec![hop], graph.cred_of(set).map_or(At::Caller(set), At::Cred))
    }

    /// The identity at the end of the chain, as the list shows actors.
    pub fn origin(&self) -> &str {
        self.hops.first().map_or("", |h| if h.actor.is_empty() { h.key.as_deref().unwrap_or("") } else { &h.actor })
    }
}
