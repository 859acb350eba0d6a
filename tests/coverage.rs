//! Every call of the table of calls (assets/rules/calls.tsv) has a rule
//! that fires on it, at the level the table states for one call made with
//! ordinary parameters, successful and denied; the policy behind the table
//! is checked on its own too (a refused attempt at a call of a
//! non-discovery tactic is low, a single successful read of a discovery
//! call never more than informational). With ../shared, the table holds
//! every security-relevant call TrailDiscover lists, with its tactics.

use crate::common;
use common::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use trailscope::detect::{Level, RuleSet};
use trailscope::engine::Dataset;
use trailscope::store::EventId;

/// One row of the table of calls.
struct Row {
    tactics: String,
    primary: String,
    success: Option<Level>,
    denied: Option<Level>,
}

fn level(s: &str) -> Option<Level> {
    if s == "none" { None } else { Some(Level::parse(s).unwrap_or_else(|| panic!("level {s}"))) }
}

fn table() -> BTreeMap<(String, String), Row> {
    let text = std::fs::read_to_string(repo().join("assets/rules/calls.tsv")).unwrap();
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap();
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let row = Row {
                tactics: f[col("tactics")].to_string(),
                primary: f[col("primary")].to_string(),
                success: level(f[col("success")]),
                denied: level(f[col("denied")]),
            };
            ((f[col("eventSource")].to_string(), f[col("eventName")].to_string()), row)
        })
        .collect()
}

/// A call by an identity of its own, hours from any other (no burst can form).
fn call(n: usize, source: &str, name: &str, denied: bool) -> Value {
    let user = format!("caller{n:04}");
    let account = format!("{:012}", 100_000_000_000u64 + n as u64);
    let mut ev = json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "principalId": format!("AIDAQ{n:015}"), "arn": format!("arn:aws:iam::{account}:user/{user}"),
            "accountId": account, "accessKeyId": format!("AKIAQ{n:015}"), "userName": user},
        "eventTime": trailscope::model::time::format_utc(1_700_000_000_000_000 + n as i64 * 3 * 3_600_000_000),
        "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": format!("198.51.{}.{}", n / 250, 1 + n % 250),
        "userAgent": "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22",
        "requestParameters": {}, "responseElements": null, "eventID": format!("call-{n}"),
        "eventType": "AwsApiCall", "recipientAccountId": account
    });
    if source == "signin.amazonaws.com" {
        ev["eventType"] = "AwsConsoleSignIn".into();
        ev["responseElements"] = json!({ name: if denied { "Failure" } else { "Success" } });
    }
    if denied {
        ev["errorCode"] = "AccessDenied".into();
        ev["errorMessage"] = "User is not authorized to perform this action".into();
    }
    ev
}

/// The reads of discovery: names that only get, list or describe.
fn is_read(name: &str) -> bool {
    ["Get", "List", "Describe", "Search", "Lookup", "BatchGet", "Head"].iter().any(|p| name.starts_with(p))
}

/// The tactic names TrailDiscover writes (`TA0003 - Persistence`) as the table writes them.
fn slug(tactic: &str) -> String {
    tactic.split(" - ").nth(1).unwrap_or(tactic).to_lowercase().replace(' ', "-")
}

#[test]
fn the_table_holds_every_call_traildiscover_lists() {
    let Some(shared) = shared("the table of calls against TrailDiscover") else { return };
    let dir = shared.join("corpus/reference/traildiscover/events");
    let table = table();
    let mut listed = 0;
    for p in files(&dir).iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        let (source, name) = (v["eventSource"].as_str().unwrap(), v["eventName"].as_str().unwrap());
        let row = table.get(&(source.to_string(), name.to_string()));
        let row = row.unwrap_or_else(|| panic!("{source} {name} is not in assets/rules/calls.tsv"));
        let tactics: Vec<String> =
            v["mitreAttackTactics"].as_array().unwrap().iter().map(|t| slug(t.as_str().unwrap())).collect();
        assert_eq!(row.tactics, tactics.join(";"), "{source} {name}: its tactics");
        assert!(tactics.contains(&row.primary), "{source} {name}: filed under one of its tactics");
        listed += 1;
    }
    assert_eq!((listed, table.len()), (380, 380), "the reference holds 380 calls, the table those");
}

#[test]
fn every_call_of_the_table_has_a_rule_at_the_stated_level() {
    let table = table();
    assert!(table.len() >= 380);
    let mut events = Vec::new();
    for (i, (source, name)) in table.keys().enumerate() {
        events.push(call(2 * i, source, name, false));
        events.push(call(2 * i + 1, source, name, true));
    }
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    let rules = Arc::new(RuleSet::load(true, &[]));
    let data = Dataset::from_bytes_with(vec![("calls.jsonl".into(), text.into_bytes())], rules);
    let (store, found) = (data.read(), data.found());
    assert_eq!(store.len(), events.len());
    // Each event's highest level, by its eventID.
    let mut cache = trailscope::store::blobs::ChunkCache::new(4);
    let got: HashMap<String, Option<Level>> =
        (0..store.len() as EventId).map(|id| (store.event_id(id, &mut cache), found.level(id))).collect();
    let mut wrong = Vec::new();
    // tactic -> [success flagged, denied flagged, success at medium or above, calls]
    let mut counts: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for (i, ((source, name), row)) in table.iter().enumerate() {
        let (ok, denied) = (got[&format!("call-{}", 2 * i)], got[&format!("call-{}", 2 * i + 1)]);
        if ok != row.success || denied != row.denied {
            wrong.push(format!(
                "{source} {name}: success {ok:?} denied {denied:?}, the table says {:?} {:?}",
                row.success, row.denied
            ));
        }
        assert!(ok.is_some() || denied.is_some(), "{source} {name}: no rule fires on it");
        // The policy, whatever the table says.
        if row.primary != "discovery" {
            assert_eq!(denied, Some(Level::Low), "{source} {name}: a refused {} call is low", row.primary);
        } else if is_read(name) {
            assert!(ok <= Some(Level::Informational), "{source} {name}: one discovery read is at most informational");
        }
        let c = counts.entry(row.primary.clone()).or_default();
        c[0] += ok.is_some() as usize;
        c[1] += denied.is_some() as usize;
        c[2] += (ok >= Some(Level::Medium)) as usize;
        c[3] += 1;
    }
    assert!(wrong.is_empty(), "{} calls not at their level:\n{}", wrong.len(), wrong.join("\n"));
    eprintln!("coverage by tactic (calls: success flagged / denied flagged / success medium or above / calls):");
    for (t, c) in &counts {
        eprintln!("  {t:<22} {:>3} / {:>3} / {:>3} / {:>3}", c[0], c[1], c[2], c[3]);
    }
}

#[test]
fn the_generated_call_rules_are_up_to_date_with_the_table() {
    let Ok(o) =
        std::process::Command::new("python3").arg(repo().join("assets/build_coverage.py")).arg("--check").output()
    else {
        eprintln!("SKIPPED the generated call rules' check: python3 not found");
        return;
    };
    assert!(o.status.success(), "run python3 assets/build_coverage.py:\n{}", stdout(&o));
}
