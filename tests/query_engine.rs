//! The query engine against a naive evaluator: every query must select
//! exactly the events a plain per-record reading selects. The engine's
//! shortcuts (interned sets, one fuzzy score per summary combination,
//! time-range narrowing, chunk-wise record tests) must not change answers.

use crate::common;
use common::*;
use serde_json::Value;
use std::sync::RwLock;
use trailscope::engine::{Dataset, Options};
use trailscope::loader::LoadOptions;
use trailscope::model::actor::actor;
use trailscope::model::fields::short_service;
use trailscope::model::time::{format_utc, parse_bound, parse_event_time};
use trailscope::query::fuzzy::FuzzyWord;
use trailscope::query::glob::Glob;
use trailscope::query::{Cancel, parse, run};
use trailscope::store::Store;

fn load_sample() -> std::sync::Arc<RwLock<Store>> {
    Dataset::load(
        &[sample()],
        Options {
            load: LoadOptions { threads: 2, publish_every: None, ..LoadOptions::default() },
            ..Options::default()
        },
    )
    .store
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The fields a record shows, computed from the plain JSON.
struct Plain {
    json: Value,
    time: i64,
    source: Option<String>,
    name: Option<String>,
    actor: Option<String>,
    ip: Option<String>,
    region: Option<String>,
    error: Option<String>,
}

impl Plain {
    fn new(json: Value) -> Self {
        let insight = |k: &str| json.get("insightDetails").and_then(|i| i.get(k)).cloned();
        let uid = json.get("userIdentity").filter(|u| u.is_object());
        let actor = uid.and_then(|u| {
            let extra = json.get("additionalEventData").map(|e| e.to_string());
            let u = u.to_string();
            actor(u.as_bytes(), extra.as_deref().map(str::as_bytes)).map(|a| a.into_owned())
        });
        Plain {
            time: parse_event_time(json["eventTime"].as_str().unwrap()).unwrap(),
            source: text(json.get("eventSource")).or_else(|| text(insight("eventSource").as_ref())),
            name: text(json.get("eventName")).or_else(|| text(insight("eventName").as_ref())),
            actor,
            ip: text(json.get("sourceIPAddress")),
            region: text(json.get("awsRegion")),
            error: text(json.get("errorCode")),
            json,
        }
    }

    /// The values a field shows (two accounts are loaded, so root keeps its
    /// account, and `actor:root` matches it too).
    fn field(&self, name: &str) -> Vec<String> {
        let at = |path: &[&str]| {
            let mut v = &self.json;
            for p in path {
                v = match v.get(p) {
                    Some(x) => x,
                    None => return vec![],
                };
            }
            text(Some(v)).into_iter().collect()
        };
        match name {
            "name" => self.name.iter().cloned().collect(),
            "source" => self.source.iter().flat_map(|s| [s.clone(), short_service(s).to_string()]).collect(),
            "actor" => self
                .actor
                .iter()
                .flat_map(|a| [a.clone()].into_iter().chain(a.starts_with("root@").then(|| "root".to_string())))
                .collect(),
            "region" => self.region.iter().cloned().collect(),
            "ip" => self.ip.iter().cloned().collect(),
            "error" => self.error.iter().cloned().collect(),
            "type" => at(&["userIdentity", "type"]),
            "key" => at(&["userIdentity", "accessKeyId"]),
            "account" => [at(&["recipientAccountId"]), at(&["userIdentity", "accountId"])].concat(),
            "agent" => at(&["userAgent"]),
            "readonly" => at(&["readOnly"]),
            "eventtype" => at(&["eventType"]),
            "category" => at(&["eventCategory"]),
            "id" => at(&["eventID"]),
            "arn" => at(&["userIdentity", "arn"]),
            "principal" => at(&["userIdentity", "principalId"]),
            "vpce" => at(&["vpcEndpointId"]),
            "message" => at(&["errorMessage"]),
            other => {
                // A dotted path; arrays met on the way are searched element by element.
                fn walk(v: &Value, path: &[&str], out: &mut Vec<String>) {
                    match (path.split_first(), v) {
                        (None, v) => out.extend(text(Some(v))),
                        (Some(_), Value::Array(items)) => items.iter().for_each(|i| walk(i, path, out)),
                        (Some((k, rest)), Value::Object(m)) => {
                            if let Some(x) = m.get(*k) {
                                walk(x, rest, out)
                            }
                        }
                        _ => {}
                    }
                }
                let mut out = vec![];
                walk(&self.json, &other.split('.').collect::<Vec<_>>(), &mut out);
                out
            }
        }
    }

    fn summary(&self) -> String {
        [
            self.source.as_deref().map(short_service),
            self.name.as_deref(),
            self.actor.as_deref(),
            self.region.as_deref(),
            self.error.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
    }

    fn contains_text(&self, needle: &str) -> bool {
        fn any_string(v: &Value, needle: &str) -> bool {
            match v {
                Value::String(s) => s.to_lowercase().contains(needle),
                Value::Array(a) => a.iter().any(|x| any_string(x, needle)),
                Value::Object(m) => m.iter().any(|(k, x)| k.to_lowercase().contains(needle) || any_string(x, needle)),
                other => other.to_string().contains(needle),
            }
        }
        any_string(&self.json, &needle.to_lowercase())
    }

    /// One term, the naive way.
    fn holds(&self, term: &str) -> bool {
        let (neg, term) = match term.strip_prefix('-') {
            Some(t) => (true, t),
            None => (false, term),
        };
        let ok = if let Some(q) = term.strip_prefix('"') {
            self.contains_text(q.trim_end_matches('"'))
        } else if let Some(t) = term.strip_prefix("after:") {
            self.time >= parse_bound(t).unwrap()
        } else if let Some(t) = term.strip_prefix("before:") {
            self.time < parse_bound(t).unwrap()
        } else if let Some((field, value)) =
            term.split_once(':').filter(|(f, _)| f.chars().next().unwrap().is_ascii_alphabetic())
        {
            let g = Glob::new(value);
            self.field(field).iter().any(|v| g.matches(v))
        } else {
            let w = FuzzyWord::new(term);
            w.score(&self.summary()).is_some()
                || self.ip.as_deref().is_some_and(|ip| w.score(ip).is_some())
                || (term.chars().all(|c| "0123456789-: ".contains(c))
                    && term.contains(['-', ':'])
                    && format_utc(self.time).replace('T', " ").contains(term))
        };
        ok != neg
    }
}

#[test]
fn engine_agrees_with_a_naive_reading() {
    let store = load_sample();
    let mut plain: Vec<Plain> = reference_tree(&sample()).into_iter().map(Plain::new).collect();
    plain.sort_by_key(|p| p.time);
    let queries = QUERY_CORPUS;
    for &q in queries {
        let parsed = parse(q).unwrap();
        let got = run(&store, &parsed, &Cancel::new()).unwrap().ids;
        let s = store.read().unwrap();
        let got_ids: Vec<String> = got
            .iter()
            .map(|&i| {
                let mut cache = trailscope::store::blobs::ChunkCache::new(4);
                let v: Value = serde_json::from_slice(s.record(i, &mut cache)).unwrap();
                v["eventID"].as_str().unwrap().to_string()
            })
            .collect();
        let want: Vec<String> = plain
            .iter()
            .filter(|p| q.split_whitespace().all(|t| p.holds(t)))
            .map(|p| p.json["eventID"].as_str().unwrap().to_string())
            .collect();
        let (mut g, mut w) = (got_ids.clone(), want.clone());
        g.sort();
        w.sort();
        assert_eq!(g, w, "query {q:?}: engine {} events, naive {}", g.len(), w.len());
        // And in time order.
        let times: Vec<i64> = got.iter().map(|&i| s.time(i)).collect();
        assert!(times.windows(2).all(|t| t[0] <= t[1]), "{q}: not in time order");
        if ![
            "",
            "id:*",
            "-error:*",
            "-name:GetObject",
            "-\"prod-db-backups\"",
            "-after:2024-05-15",
            "zzzz-nothing",
            "vpce:*",
            "-vpce:*",
        ]
        .contains(&q)
        {
            assert!(
                !want.is_empty() && want.len() < plain.len(),
                "query {q:?} should select some but not all events ({})",
                want.len()
            );
        }
    }
}

#[test]
fn a_cancelled_query_stops() {
    let store = load_sample();
    let cancel = Cancel::new();
    cancel.cancel();
    assert!(run(&store, &parse("\"x\"").unwrap(), &cancel).is_err());
}

/// Facets count as one reading of each event would, whether the result
/// keeps most events (counted as every event's counts less the rest), few,
/// or is not in the store's order (counted one by one).
#[test]
fn facets_agree_with_counting_each_event() {
    use std::collections::BTreeMap;
    use trailscope::model::fields::panel_fields;
    let store = load_sample();
    let s = store.read().unwrap();
    let labels = trailscope::query::labels::Labels::new(&s);
    let mut kinds = (0, 0);
    for q in [
        "",
        "-source:s3",
        "source:s3",
        "-error:*",
        "error:*",
        "-name:Get*",
        "region:us-east-1",
        "name:AssumeRole",
        "type:Root",
    ] {
        let ids = run(&store, &parse(q).unwrap(), &Cancel::new()).unwrap().ids;
        kinds = if ids.len() * 2 > s.order().len() { (kinds.0 + 1, kinds.1) } else { (kinds.0, kinds.1 + 1) };
        let mut shuffled = ids.clone();
        shuffled.reverse();
        for (how, ids) in [("in order", &ids), ("reversed", &shuffled)] {
            let fields: Vec<_> = panel_fields().iter().copied().filter(|f| f.column().is_some()).collect();
            for c in trailscope::query::facets::count(&s, ids, &fields, None) {
                let got: BTreeMap<String, u32> =
                    c.values.iter().map(|&(v, n)| (c.label(&labels, v).to_lowercase(), n)).collect();
                let mut want: BTreeMap<String, u32> = BTreeMap::new();
                for &id in ids.iter() {
                    if s.value_id(id, c.field) != 0 {
                        *want.entry(labels.label(c.field, s.value_id(id, c.field)).to_lowercase()).or_default() += 1;
                    }
                }
                assert_eq!(got, want, "{q:?} {how}: {}", c.field.label());
                assert_eq!(c.distinct, want.len());
            }
        }
    }
    assert!(kinds.0 >= 3 && kinds.1 >= 3, "results keeping most events and few: {kinds:?}");
}
