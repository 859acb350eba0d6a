//! `trailscope trace WHAT`: who is behind an access key, an event or an
//! identity. The credential chain, origin first, and the events of every
//! session under it.

use super::args::{EXIT_USAGE, TraceArgs};
use super::load::load;
use crate::format::thousands;
use crate::identity::{Chain, Graph};
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::query::{Target, Term};
use crate::sanitize::visible;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use serde_json::{Value, json};
use std::io::{self, BufWriter, Write};

/// What WHAT names: the keys whose chains answer it.
fn keys_of(data: &crate::engine::Dataset, store: &Store, what: &str) -> Vec<String> {
    let keys = store.dict(Field::AccessKey);
    if keys.lookup(what).is_some() || data.graph().issuer(store, what).is_some() {
        return vec![what.to_string()];
    }
    // An identity: an ARN or an actor as the list shows it (columns, fast).
    let mut found: Vec<(EventId, String)> = Vec::new();
    for field in [Field::Arn, Field::Actor] {
        if let Some(v) = store.dict(field).lookup(what) {
            found.extend(
                (0..store.len() as EventId)
                    .filter(|&id| store.value_id(id, field) == v)
                    .map(|id| (id, store.value(id, Field::AccessKey).to_string())),
            );
        }
        if !found.is_empty() {
            break;
        }
    }
    if found.is_empty() {
        // An event ID: the records are searched.
        let q = crate::query::Query { terms: vec![Term::matching(Target::field(Field::EventId), what, false)] };
        found = data.matching(&q).into_iter().map(|id| (id, store.value(id, Field::AccessKey).to_string())).collect();
    }
    // The most recent key first.
    found.sort_by_key(|(id, _)| std::cmp::Reverse(store.time(*id)));
    let mut out: Vec<String> = Vec::new();
    for (_, k) in found {
        if !k.is_empty() && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// The events done with `keys` or any key issued from them, oldest first.
pub fn session_events(graph: &Graph, store: &Store, keys: &[String]) -> Vec<EventId> {
    let wanted = graph.session_keys(store, keys.iter().map(String::as_str));
    let col = store.column(Field::AccessKey);
    store.order().iter().copied().filter(|&id| wanted[col[id as usize] as usize]).collect()
}

fn chain_json(chain: &Chain, store: &Store, cache: &mut ChunkCache) -> Value {
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
                "inferred": h.inferred,
                "issuedAt": h.issued_at.map(format_utc),
                "sourceIPAddress": h.source_ip,
                "events": h.events,
            })
        })
        .collect();
    Value::Array(hops)
}

fn chain_text(chain: &Chain, store: &Store, cache: &mut ChunkCache) -> String {
    let mut out = String::new();
    let or_unknown = |s: &str| if s.is_empty() { "?".to_string() } else { visible(s).into_owned() };
    for (i, h) in chain.hops.iter().enumerate() {
        if let Some(e) = h.issued_by {
            out += &format!(
                "   ↓ {}{} at {} from {} (event {})\n",
                or_unknown(store.value(e, Field::Name)),
                if h.inferred { " (inferred: its response hid the key)" } else { "" },
                format_utc(store.time(e)),
                or_unknown(h.source_ip.as_deref().unwrap_or("")),
                or_unknown(&store.event_id(e, cache))
            );
        }
        let what = if i == 0 { chain.end.says() } else { "session" };
        out += &format!(
            "{what:<9} {}  {}  account {}  {} events\n",
            or_unknown(&h.actor),
            h.key.as_deref().map_or("(no key)".to_string(), |k| visible(k).into_owned()),
            or_unknown(&h.account),
            thousands(h.events as u64)
        );
    }
    out
}

pub fn main(args: &TraceArgs) -> u8 {
    let loaded = load(&args.paths, &super::args::RuleArgs { rules: vec![], no_builtin: true });
    let data = &loaded.data;
    let store = data.read();
    let keys = keys_of(data, &store, &args.what);
    if keys.is_empty() {
        eprintln!("trailscope: no access key, identity or event {:?} in the loaded data", args.what);
        return EXIT_USAGE;
    }
    let graph = data.graph();
    let mut cache = ChunkCache::new(8);
    let chain = Chain::of(&graph, &store, &keys[0]);
    let events = session_events(&graph, &store, &keys);
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if args.json {
        // Read in store order (each chunk decompressed once), printed in time order.
        let mut by_id = events.clone();
        by_id.sort_unstable();
        let found: std::collections::HashMap<EventId, String> =
            by_id.iter().map(|&e| (e, store.event_id(e, &mut cache))).collect();
        let ids: Vec<&String> = events.iter().filter_map(|e| found.get(e)).collect();
        let v = json!({
            "hops": chain_json(&chain, &store, &mut cache),
            "end": chain.end.says(),
            "origin": chain.origin(),
            "events": ids,
        });
        writeln!(out, "{}", visible(&v.to_string()))
    } else {
        let mut text = chain_text(&chain, &store, &mut cache);
        if keys.len() > 1 {
            text += &format!("({} keys used by this identity; the most recent is shown)\n", keys.len());
        }
        text += &format!("{} events in these sessions\n", thousands(events.len() as u64));
        out.write_all(text.as_bytes())
    };
    let _ = written.and_then(|_| out.flush());
    loaded.exit_status()
}
