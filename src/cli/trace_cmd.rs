//! `trailscope trace WHAT`: who is behind an access key, an event or an
//! identity. The credential chain, origin first, and the events of the
//! credential and of every credential issued from it.

use super::args::{EXIT_USAGE, TraceArgs};
use super::load::load;
use crate::engine::chains::chain_text;
use crate::format::thousands;
use crate::identity::principal::{self, Trust};
use crate::identity::{Chain, CredId, Graph};
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::query::{Target, Term};
use crate::sanitize::visible;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use serde_json::{Value, json};
use std::io::{self, BufWriter, Write};

/// What WHAT names.
enum Traced {
    /// Credentials, the one to show first: a key's (by principal, most used
    /// first; `true`), or the keys an identity used (most recent first).
    Creds(Vec<CredId>, bool),
    /// One event whose identity used no credential that links.
    Event(EventId),
    /// A key issued but never used in the data.
    Unused(String),
    /// A key that is not evidence of identity.
    Untrusted(String, Trust),
    /// An eventID that several different records carry.
    Ambiguous(Vec<EventId>),
    Nothing,
}

/// The events of `ids`, most recent first, by time then content.
fn most_recent_first(store: &Store, ids: &mut [EventId]) {
    ids.sort_by(|&a, &b| store.cmp_events(b, a));
}

fn resolve(data: &crate::engine::Dataset, store: &Store, graph: &Graph, what: &str) -> Traced {
    let creds = graph.creds_of_key(store, what);
    if !creds.is_empty() {
        return Traced::Creds(creds, true);
    }
    if store.dict(Field::AccessKey).lookup(what).is_some() || store.dict(Field::IssuedKey).lookup(what).is_some() {
        return match principal::trust(what) {
            Trust::Key => Traced::Unused(what.to_string()),
            trust => Traced::Untrusted(what.to_string(), trust),
        };
    }
    // An identity, written as a query would match it (an ARN, or an actor as the
    // list shows it, case aside), else an event ID (the records are searched).
    let select =
        |field| data.matching(&crate::query::Query { terms: vec![Term::matching(Target::field(field), what, false)] });
    let mut found = select(Field::Arn);
    if found.is_empty() {
        found = select(Field::Actor);
    }
    if found.is_empty() {
        found = select(Field::EventId);
        if found.len() > 1 {
            most_recent_first(store, &mut found);
            found.reverse();
            return Traced::Ambiguous(found);
        }
    }
    most_recent_first(store, &mut found);
    let mut seen = std::collections::HashSet::new();
    let creds: Vec<CredId> = found.iter().filter_map(|&id| graph.cred_of(id)).filter(|&c| seen.insert(c)).collect();
    match (creds.is_empty(), found.first()) {
        (false, _) => Traced::Creds(creds, false),
        (true, Some(&id)) => Traced::Event(id),
        (true, None) => Traced::Nothing,
    }
}

/// The events done with `creds` or any credential issued from them, oldest first.
pub fn session_events(graph: &Graph, store: &Store, creds: &[CredId]) -> Vec<EventId> {
    let wanted = graph.issued_from(creds.iter().copied());
    store.order().iter().copied().filter(|&id| graph.cred_of(id).is_some_and(|c| wanted[c as usize])).collect()
}

/// An event as `--json` lists it.
fn event_json(store: &Store, id: EventId, cache: &mut ChunkCache) -> Value {
    json!({
        "eventID": store.event_id(id, cache),
        "eventTime": format_utc(store.time(id)),
        "eventName": store.value(id, Field::Name),
        "recipientAccountId": store.value(id, Field::Account),
        "accessKeyId": store.value(id, Field::AccessKey),
    })
}

pub fn chain_json(chain: &Chain, store: &Store, cache: &mut ChunkCache) -> Value {
    let hops: Vec<Value> = chain
        .hops
        .iter()
        .map(|h| {
            json!({
                "accessKeyId": h.key,
                "identity": h.arn,
                "actor": h.actor,
                "account": h.account,
                "issuedBy": h.issued_by.map(|e| store.event_id(e, cache)),
                "link": h.link.map(|l| l.says()),
                "confirmedBy": h.confirmed_by.iter().map(|&e| store.event_id(e, cache)).collect::<Vec<_>>(),
                "issuedAt": h.issued_at.map(format_utc),
                "sourceIPAddress": h.source_ip,
                "events": h.events,
                "conflicts": h.conflicts.iter().map(|(arn, n)| json!({"identity": arn, "events": n})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Value::Array(hops)
}

/// A key that links nothing: who was seen with it.
fn untrusted(store: &Store, key: &str, trust: Trust, json: bool, out: &mut impl Write) -> io::Result<()> {
    let v = store.dict(Field::AccessKey).lookup(key).unwrap_or(0);
    let events: Vec<EventId> =
        store.order().iter().copied().filter(|&id| v != 0 && store.value_id(id, Field::AccessKey) == v).collect();
    let mut by_holder: std::collections::HashMap<(u32, u32), (String, String, String, usize)> =
        std::collections::HashMap::new();
    for &id in &events {
        let h =
            by_holder.entry((store.value_id(id, Field::Arn), store.value_id(id, Field::Actor))).or_insert_with(|| {
                let v = |f| store.value(id, f).to_string();
                (v(Field::Arn), v(Field::Actor), v(Field::IdentityAccount), 0)
            });
        h.3 += 1;
    }
    let mut holders: Vec<(String, String, String, usize)> = by_holder.into_values().collect();
    holders.sort_by(|a, b| b.3.cmp(&a.3).then_with(|| a.0.cmp(&b.0)).then_with(|| a.1.cmp(&b.1)));
    if json {
        let mut cache = ChunkCache::new(8);
        let v = json!({
            "accessKeyId": key,
            "trust": trust.says(),
            "holders": holders.iter().map(|h| json!({"identity": h.0, "actor": h.1, "account": h.2, "events": h.3})).collect::<Vec<_>>(),
            "events": events.iter().map(|&id| event_json(store, id, &mut cache)).collect::<Vec<_>>(),
        });
        return writeln!(out, "{}", visible(&v.to_string()));
    }
    let mut text = format!(
        "{} is {}: it is not evidence of who holds it, and links nothing.\nSeen with {} identit{} in {} events:\n",
        visible(key),
        trust.says(),
        holders.len(),
        if holders.len() == 1 { "y" } else { "ies" },
        thousands(events.len() as u64)
    );
    for h in &holders {
        text += &format!(
            "  {}  {}  account {}  {} events\n",
            visible(&h.1),
            visible(&h.0),
            visible(&h.2),
            thousands(h.3 as u64)
        );
    }
    out.write_all(text.as_bytes())
}

/// Several records carry the eventID: list them rather than pick one.
fn ambiguous(store: &Store, what: &str, ids: &[EventId], json: bool, out: &mut impl Write) -> io::Result<()> {
    let mut cache = ChunkCache::new(8);
    if json {
        let v = json!({
            "ambiguous": true,
            "eventID": what,
            "candidates": ids.iter().map(|&id| {
                let mut e = event_json(store, id, &mut cache);
                e["actor"] = store.value(id, Field::Actor).into();
                e
            }).collect::<Vec<_>>(),
        });
        return writeln!(out, "{}", visible(&v.to_string()));
    }
    let mut text = format!(
        "{} different records carry the eventID {}; trace one by its key or identity:\n",
        ids.len(),
        visible(what)
    );
    for &id in ids {
        text += &format!(
            "  {}  {}  {}  account {}  key {}\n",
            format_utc(store.time(id)),
            visible(store.value(id, Field::Name)),
            visible(store.value(id, Field::Actor)),
            visible(store.value(id, Field::Account)),
            visible(store.value(id, Field::AccessKey))
        );
    }
    out.write_all(text.as_bytes())
}

pub fn main(args: &TraceArgs) -> u8 {
    let loaded = load(&args.inputs, &super::args::RuleArgs::none());
    let data = &loaded.data;
    let store = data.read();
    let graph = data.graph();
    let mut out = BufWriter::new(io::stdout().lock());
    let (chain, events, own, others, by_key) = match resolve(data, &store, &graph, &args.what) {
        Traced::Nothing => {
            eprintln!("trailscope: no access key, identity or event {:?} in the loaded data", args.what);
            return EXIT_USAGE;
        }
        Traced::Untrusted(key, trust) => {
            let _ = untrusted(&store, &key, trust, args.json, &mut out).and_then(|_| out.flush());
            return loaded.exit_status();
        }
        Traced::Ambiguous(ids) => {
            let _ = ambiguous(&store, &args.what, &ids, args.json, &mut out).and_then(|_| out.flush());
            return EXIT_USAGE;
        }
        Traced::Event(id) => (Chain::of_event(&graph, &store, id), vec![id], 1, 0, false),
        Traced::Unused(key) => (Chain::of(&graph, &store, &key), vec![], 0, 0, false),
        Traced::Creds(creds, by_key) => {
            let c = creds[0];
            let own = graph.cred_info(c).events as usize;
            (Chain::of_cred(&graph, &store, c), session_events(&graph, &store, &[c]), own, creds.len() - 1, by_key)
        }
    };
    let mut cache = ChunkCache::new(8);
    let written = if args.json {
        // Read in store order (each chunk decompressed once), printed in time order.
        let mut by_id = events.clone();
        by_id.sort_unstable();
        let found: std::collections::HashMap<EventId, Value> =
            by_id.iter().map(|&e| (e, event_json(&store, e, &mut cache))).collect();
        let listed: Vec<&Value> = events.iter().filter_map(|e| found.get(e)).collect();
        let v = json!({
            "hops": chain_json(&chain, &store, &mut cache),
            "end": chain.end.says(),
            "origin": chain.origin(),
            "events": listed,
            "ownEvents": own,
            "issuedEvents": events.len().saturating_sub(own),
            "otherKeys": if by_key { 0 } else { others },
        });
        writeln!(out, "{}", visible(&v.to_string()))
    } else {
        let mut text = chain_text(&chain, &store, &mut cache);
        if others > 0 && !by_key {
            text += &format!("({} keys used by this identity; the most recent is shown)\n", others + 1);
        }
        let issued = events.len().saturating_sub(own);
        text += &format!(
            "{} events: {} with this credential, {} with credentials issued from it\n",
            thousands(events.len() as u64),
            thousands(own as u64),
            thousands(issued as u64)
        );
        out.write_all(text.as_bytes())
    };
    let _ = written.and_then(|_| out.flush());
    loaded.exit_status()
}
