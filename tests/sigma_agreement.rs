//! Sigma rules, trailscope against an independent evaluator: pySigma with
//! its SQLite backend (tests/oracle, installed by its setup script into a
//! virtual environment under target/). On the real corpus and on a generated
//! trail, every third-party rule (SigmaHQ's and Suzaku's) and every built-in
//! one must match exactly the events the oracle matches; a correlation, the
//! same events in the same groups.

use crate::common;
use common::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use trailscope::detect::RuleSet;
use trailscope::detect::rule::Body;
use trailscope::engine::{Dataset, Options};
use trailscope::loader::LoadOptions;
use trailscope::model::time::parse_event_time;

/// The oracle's interpreter, set up once (None, with a note, when it cannot
/// be; a failure when TRAILSCOPE_REQUIRE_SHARED=1).
fn oracle_python() -> Option<PathBuf> {
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    venv_python("sigma agreement", &READY, "tests/oracle/setup.sh", "target/oracle-venv", "the Sigma oracle")
}

/// Writes `records` as JSON lines, one event each: those trailscope reads as
/// events (a usable eventTime), once each (the same content is one event),
/// so that line n is trailscope's event n.
fn write_events(records: &[Value], out: &Path) -> usize {
    let mut seen = HashSet::new();
    let mut lines = String::new();
    let mut n = 0;
    for r in records {
        if r.get("eventTime").and_then(Value::as_str).and_then(parse_event_time).is_none() {
            continue;
        }
        let line = r.to_string();
        if !seen.insert(line.clone()) {
            continue;
        }
        lines += &line;
        lines.push('\n');
        n += 1;
    }
    std::fs::write(out, lines).unwrap();
    n
}

/// A rule's identity in both reports: its file (relative to its folder of
/// rules) and its id.
type Key = (String, String);

fn rel(file: &str) -> String {
    let f = file.trim_start_matches("builtin:");
    for root in ["assets/rules/", "corpus/rules/"] {
        if let Some(i) = f.find(root) {
            return f[i + root.len()..].to_string();
        }
    }
    f.to_string()
}

/// What a rule matched: event lines, or (group values, event line) pairs.
type Found = BTreeSet<(Vec<String>, usize)>;

fn oracle(python: &Path, rules: &[PathBuf], events: &Path, dir: &Path) -> BTreeMap<Key, Result<Found, String>> {
    let out = dir.join("oracle.json");
    let mut cmd = Command::new(python);
    cmd.arg(repo().join("tests/oracle/sigma_oracle.py"));
    for r in rules {
        cmd.arg("--rules").arg(r);
    }
    let st = cmd.arg("--events").arg(events).arg("--out").arg(&out).status().unwrap();
    assert!(st.success(), "the oracle ran");
    let v: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let mut found = BTreeMap::new();
    for r in v["rules"].as_array().unwrap() {
        let key = (rel(r["file"].as_str().unwrap_or("")), r["id"].as_str().unwrap_or("").to_string());
        let entry = if let Some(e) = r["error"].as_str() {
            Err(e.to_string())
        } else if r["kind"] == "correlation" {
            let mut set = Found::new();
            for g in r["groups"].as_array().unwrap() {
                let mut values: Vec<(String, String)> = g["group"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_lowercase)))
                            .collect()
                    })
                    .unwrap_or_default();
                values.sort();
                let values: Vec<String> = values.into_iter().map(|(_, v)| v).collect();
                for e in g["events"].as_array().unwrap() {
                    set.insert((values.clone(), e.as_u64().unwrap() as usize));
                }
            }
            Ok(set)
        } else {
            Ok(r["matches"].as_array().unwrap().iter().map(|e| (vec![], e.as_u64().unwrap() as usize)).collect())
        };
        found.insert(key, entry);
    }
    found
}

/// Ours, and the events as the oracle gets them: each record with the
/// fields trailscope works out beside it (`trailscope.new`,
/// `trailscope.fresh`; their own tests are in tests/firsts.rs), so the
/// oracle checks how rules on them are answered.
fn ours(set: &Arc<RuleSet>, events: &Path, count: usize, for_oracle: &Path) -> BTreeMap<Key, Found> {
    let data = Dataset::load(
        &[events.to_path_buf()],
        Options {
            load: LoadOptions { threads: 1, publish_every: None, ..LoadOptions::default() },
            rules: Arc::clone(set),
            ..Options::default()
        },
    );
    assert_eq!(data.read().len(), count, "every line is an event, in order");
    {
        let (store, graph) = (data.read(), data.graph());
        let firsts = graph.firsts.derived(&store);
        let mut lines = String::new();
        for (i, line) in std::fs::read_to_string(events).unwrap().lines().enumerate() {
            let mut v: Value = serde_json::from_str(line).unwrap();
            let id = i as trailscope::store::EventId;
            let mut derived = serde_json::Map::new();
            for (name, words) in [("new", firsts.first_uses(&store, id)), ("fresh", firsts.fresh(&store, id))] {
                if !words.is_empty() {
                    derived.insert(name.into(), words.into());
                }
            }
            if !derived.is_empty() {
                v["trailscope"] = Value::Object(derived);
            }
            lines += &format!("{v}\n");
        }
        std::fs::write(for_oracle, lines).unwrap();
    }
    let found = data.found();
    let mut out = BTreeMap::new();
    for (i, r) in set.rules.iter().enumerate() {
        let key = (rel(&r.meta.file), r.meta.id.clone());
        let f: Found = match &r.body {
            Body::Detection(_) => found.hits[i].iter().map(|&e| (vec![], e as usize)).collect(),
            Body::Correlation(c) => {
                let mut set = Found::new();
                for m in found.correlations.iter().filter(|m| m.rule == i) {
                    let mut values: Vec<(String, String)> =
                        m.group.iter().map(|(k, v)| (k.clone(), v.to_lowercase())).collect();
                    values.sort();
                    let values: Vec<String> = values.into_iter().map(|(_, v)| v).collect();
                    assert_eq!(values.len(), c.group_by.len());
                    for &e in &m.events {
                        set.insert((values.clone(), e as usize));
                    }
                }
                set
            }
        };
        out.insert(key, f);
    }
    out
}

/// Compares both reports; returns (rules compared, rules matching something, disagreements).
fn compare(
    name: &str,
    theirs: &BTreeMap<Key, Result<Found, String>>,
    mine: &BTreeMap<Key, Found>,
) -> (usize, usize, Vec<String>) {
    let mut bad = Vec::new();
    let mut active = 0;
    for (key, m) in mine {
        match theirs.get(key) {
            None => bad.push(format!("{name}: {key:?} is not in the oracle's report")),
            Some(Err(e)) => bad.push(format!("{name}: {key:?}: the oracle could not run it: {e}")),
            Some(Ok(t)) => {
                if !t.is_empty() {
                    active += 1;
                }
                if t != m {
                    let only_mine: Vec<_> = m.difference(t).take(5).collect();
                    let only_theirs: Vec<_> = t.difference(m).take(5).collect();
                    bad.push(format!(
                        "{name}: {key:?}: {} vs oracle {} (only ours {only_mine:?}, only the oracle's {only_theirs:?})",
                        m.len(),
                        t.len()
                    ));
                }
            }
        }
    }
    (mine.len(), active, bad)
}

#[test]
fn every_rule_matches_what_the_oracle_matches() {
    let Some(shared) = shared("sigma agreement") else { return };
    let Some(python) = oracle_python() else { return };
    let dir = tempdir("sigma-agreement");
    let rule_dirs =
        [shared.join("corpus/rules/sigmahq"), shared.join("corpus/rules/suzaku"), repo().join("assets/rules")];
    let set = Arc::new(RuleSet::load(true, &rule_dirs[..2]));
    assert!(set.unsupported.is_empty(), "{:#?}", set.unsupported);
    // The real corpus, and a generated trail with every kind of credential chain.
    let real = dir.join("real.jsonl");
    let n_real = write_events(&reference_tree(&shared.join("corpus/real")), &real);
    generate(
        &shared,
        &[
            "--events",
            "20000",
            "--seed",
            "7",
            "--chains",
            "--format",
            "ndjson",
            "--out",
            &dir.join("gen.jsonl").to_string_lossy(),
        ],
    );
    let gen_records: Vec<Value> = reference_records(&dir.join("gen.jsonl"));
    let generated = dir.join("generated.jsonl");
    let n_gen = write_events(&gen_records, &generated);
    let mut all_bad = Vec::new();
    for (name, events, n) in [("real corpus", &real, n_real), ("generated", &generated, n_gen)] {
        let for_oracle = dir.join("for-oracle.jsonl");
        let mine = ours(&set, events, n, &for_oracle);
        let theirs = oracle(&python, &rule_dirs, &for_oracle, &dir);
        let (rules, active, bad) = compare(name, &theirs, &mine);
        eprintln!("{name}: {n} events, {rules} rules compared, {active} match something, {} disagree", bad.len());
        all_bad.extend(bad);
    }
    assert!(all_bad.is_empty(), "{} disagreements:\n{}", all_bad.len(), all_bad.join("\n"));
}
