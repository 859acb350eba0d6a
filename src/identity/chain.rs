//! A key's credential chain: from the identity at its origin, through every
//! session issued on the way, to the key itself.

use super::graph::Graph;
use crate::model::fields::Field;
use crate::model::time::Micros;
use crate::store::{EventId, Store};

/// One identity on the chain and the credentials it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The access key this identity used (none for a service, or a console sign-in).
    pub key: Option<String>,
    pub actor: String,
    /// The identity's ARN, as its events give it.
    pub arn: String,
    pub account: String,
    /// The event that issued `key` (for a long-term key, the `CreateAccessKey`
    /// that created it), with its time and source address.
    pub issued_by: Option<EventId>,
    /// The link to `issued_by` was inferred (its response hid the key; the
    /// account, role, session name and time match).
    pub inferred: bool,
    pub issued_at: Option<Micros>,
    pub source_ip: Option<String>,
    /// Events done with `key`.
    pub events: usize,
}

impl Hop {
    /// A hop known only by its key or its name.
    fn bare(key: Option<String>, actor: String) -> Hop {
        Hop {
            key,
            actor,
            arn: String::new(),
            account: String::new(),
            issued_by: None,
            inferred: false,
            issued_at: None,
            source_ip: None,
            events: 0,
        }
    }
}

/// How a chain ends, at its first hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// At the identity behind it all: a user (with a long-term key or its
    /// own session), root, an Identity Center user, an AWS service.
    Origin,
    /// The event that issued the first hop's key is not in the loaded data.
    Missing,
    /// The links lead back to a key already on the chain.
    Cycle,
    /// The issuer is not in the loaded data, but the session names the
    /// person behind it (`sourceIdentity`, Identity Center's `onBehalfOf`).
    Named,
}

impl End {
    pub fn says(self) -> &'static str {
        match self {
            End::Origin => "origin",
            End::Missing => "issuer not in the loaded data",
            End::Cycle => "the links loop back",
            End::Named => "named by the session",
        }
    }
}

/// A key's chain, origin first, the key's own session last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub hops: Vec<Hop>,
    pub end: End,
}

/// The identity behind event `id` (as its columns give it), using `key`.
fn hop_of_event(store: &Store, id: EventId, key: Option<String>) -> Hop {
    let v = |f| store.value(id, f).to_string();
    Hop { arn: v(Field::Arn), account: v(Field::IdentityAccount), ..Hop::bare(key, v(Field::Actor)) }
}

/// Whether a key with no issuing event still ends a chain rightly: a
/// long-term key, a user's or root's own session (console, session token),
/// or an Identity Center session.
fn ends_at_itself(store: &Store, key: &str, first: Option<EventId>) -> bool {
    if key.starts_with("AKIA") {
        return true;
    }
    let Some(id) = first else { return false };
    matches!(store.value(id, Field::IdentityType), "IAMUser" | "Root" | "IdentityCenterUser")
        || store.value(id, Field::Actor).starts_with("AWSReservedSSO_")
}

impl Chain {
    /// The chain of `key` in `graph`.
    pub fn of(graph: &Graph, store: &Store, key: &str) -> Chain {
        let mut up: Vec<Hop> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let mut key = key.to_string();
        let end = loop {
            if seen.contains(&key) {
                break End::Cycle;
            }
            seen.push(key.clone());
            let (events, first) = graph.uses(store, &key);
            let mut inferred = false;
            let issuer = graph.issuer(store, &key).or_else(|| {
                let found = first.and_then(|f| graph.inferred_issuer(store, store.value(f, Field::Arn), f));
                inferred = found.is_some();
                found
            });
            let mut hop = match first {
                Some(id) => hop_of_event(store, id, Some(key.clone())),
                // Issued but not used in the data.
                None => Hop::bare(Some(key.clone()), String::new()),
            };
            hop.events = events;
            let Some(e) = issuer else {
                let done = ends_at_itself(store, &key, first);
                // An Identity Center session: the person is its session name.
                let sso = hop
                    .actor
                    .strip_prefix("AWSReservedSSO_")
                    .and_then(|r| r.split_once('/'))
                    .map(|(_, u)| u.to_string());
                up.push(hop);
                up.extend(sso.map(|user| Hop::bare(None, user)));
                if done {
                    break End::Origin;
                }
                match graph.named(&key) {
                    Some(who) => {
                        up.push(Hop::bare(None, who.to_string()));
                        break End::Named;
                    }
                    None => break End::Missing,
                }
            };
            hop.issued_by = Some(e);
            hop.inferred = inferred;
            hop.issued_at = Some(store.time(e));
            hop.source_ip = Some(store.value(e, Field::Ip).to_string());
            up.push(hop);
            if store.value(e, Field::Name) == "CreateAccessKey" {
                // A long-term key: its owner is the origin; the creator is on record in `issued_by`.
                break End::Origin;
            }
            let caller = store.value(e, Field::AccessKey);
            if caller.is_empty() {
                // Issued to a service or a console sign-in: the caller ends the chain.
                up.push(hop_of_event(store, e, None));
                break End::Origin;
            }
            key = caller.to_string();
        };
        up.reverse();
        Chain { hops: up, end }
    }

    /// The identity at the end of the chain, as the list shows actors.
    pub fn origin(&self) -> &str {
        self.hops.first().map_or("", |h| if h.actor.is_empty() { h.key.as_deref().unwrap_or("") } else { &h.actor })
    }
}
