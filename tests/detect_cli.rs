//! The detection commands on the real binary: `detect` in each format,
//! `rules`, and the detection counts of `stats`, checked against each other.

use crate::common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;

fn jsonl(args: &[&str]) -> Vec<Value> {
    let o = run(args);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[test]
fn detect_jsonl_is_a_timeline_with_every_field_and_agrees_with_stats() {
    let sample = sample();
    let sample = sample.to_str().unwrap();
    let all = jsonl(&["detect", "--format", "jsonl", "--each", sample]);
    assert!(all.len() > 50, "{} matches", all.len());
    let times: Vec<&str> = all.iter().map(|v| v["eventTime"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "oldest first");
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut correlations = 0;
    for v in &all {
        for key in [
            "rule",
            "title",
            "level",
            "eventTime",
            "eventName",
            "actor",
            "sourceIPAddress",
            "recipientAccountId",
            "awsRegion",
        ] {
            assert!(v[key].is_string(), "{key} missing in {v}");
        }
        assert!(v["tags"].is_array(), "{v}");
        match v.get("eventIDs") {
            Some(ids) => {
                correlations += 1;
                assert!(v.get("eventID").is_none());
                assert!(ids.as_array().unwrap().len() >= 2, "{v}");
            }
            None => {
                assert!(v["eventID"].as_str().is_some_and(|s| !s.is_empty()), "{v}");
                *per_rule.entry(v["name"].as_str().unwrap().to_string()).or_default() += 1;
            }
        }
    }
    assert!(correlations > 0, "the sample holds a correlation match");
    // stats counts the same events per single-event rule.
    let o = run(&["stats", "--json", sample]);
    let stats: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let d = &stats["detections"];
    let listed: Value = serde_json::from_str(&stdout(&run(&["rules", "--json"]))).unwrap();
    assert_eq!(d["rules"].as_u64(), Some(listed["rules"].as_array().unwrap().len() as u64));
    for m in d["matches"].as_array().unwrap() {
        if let Some(&n) = per_rule.get(m["rule"].as_str().unwrap()) {
            assert_eq!(m["events"].as_u64(), Some(n as u64), "{m}");
        }
    }
    let levels: u64 = d["levels"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(d["flagged"].as_u64(), Some(levels));
    let text = stdout(&run(&["stats", sample]));
    assert!(text.contains(&format!("Detections   {} events flagged", d["flagged"])), "{text}");
    // --min-level and -q narrow the timeline.
    let high = jsonl(&["detect", "--format", "jsonl", "--min-level", "high", sample]);
    assert!(!high.is_empty() && high.len() < all.len());
    assert!(high.iter().all(|v| matches!(v["level"].as_str(), Some("high" | "critical"))));
    let bob = jsonl(&["detect", "--format", "jsonl", "--each", "-q", "-actor:bob", sample]);
    assert!(bob.len() < all.len() && bob.iter().filter(|v| v.get("eventIDs").is_none()).all(|v| v["actor"] != "bob"));
}

#[test]
fn repeated_matches_fold_into_one_row_per_rule_identity_and_hour() {
    let sample = sample();
    let sample = sample.to_str().unwrap();
    let each = jsonl(&["detect", "--format", "jsonl", "--each", sample]);
    let folded = jsonl(&["detect", "--format", "jsonl", sample]);
    assert!(folded.len() < each.len(), "{} rows from {} matches", folded.len(), each.len());
    // Every match is in exactly one row, with every eventID.
    let count = |rows: &[Value], rule: &str| -> (u64, usize) {
        let of: Vec<&Value> = rows.iter().filter(|v| v["rule"] == rule).collect();
        let ids: usize = of.iter().map(|v| v.get("eventIDs").and_then(Value::as_array).map_or(1, Vec::len)).sum();
        (of.iter().map(|v| v["count"].as_u64().unwrap()).sum(), ids)
    };
    let rules: std::collections::BTreeSet<&str> = each.iter().map(|v| v["rule"].as_str().unwrap()).collect();
    for r in rules {
        let (matches, _) = count(&each, r);
        let (folded_matches, ids) = count(&folded, r);
        assert_eq!(folded_matches, matches, "{r}");
        if each.iter().any(|v| v["rule"] == r && v.get("eventIDs").is_none()) {
            assert_eq!(ids as u64, matches, "{r}: one eventID per folded match");
        }
    }
    // A row spans at most the hour from its first match; the next row of the same rule and identity starts after it.
    let hour = 3_600_000_000i64;
    let t = |v: &Value, k: &str| trailscope::model::time::parse_event_time(v[k].as_str().unwrap()).unwrap();
    let mut last_start: BTreeMap<(String, String), i64> = BTreeMap::new();
    for v in folded.iter().filter(|v| v.get("group").is_none()) {
        assert!(t(v, "last") - t(v, "eventTime") < hour, "{v}");
        let key = (v["rule"].as_str().unwrap().to_string(), v["actor"].as_str().unwrap().to_string());
        if let Some(prev) = last_start.insert(key, t(v, "eventTime")) {
            assert!(t(v, "eventTime") >= prev + hour, "{v}");
        }
    }
    let tool = folded.iter().find(|v| v["count"].as_u64() > Some(20)).expect("a tool's repeated calls are one row");
    assert_eq!(tool["eventIDs"].as_array().unwrap().len() as u64, tool["count"].as_u64().unwrap());
    // The table says how many matches each row holds, and cuts nothing that fits.
    let table = stdout(&run(&["detect", sample]));
    let head = table.lines().next().unwrap();
    assert!(head.contains("COUNT"), "{head}");
    assert!(table.contains("Identity check followed by account enumeration with the same key"), "a long title whole");
    assert!(table.contains(&format!("{} matches in {} rows", each.len(), folded.len())), "{table}");
}

#[test]
fn user_rules_load_are_listed_and_cannot_inject_formulas() {
    let dir = tempdir("detect-rules");
    std::fs::write(
        dir.join("mine.yml"),
        "title: '=HYPERLINK(\"http://x\")'\nid: 0f6e7a52-1d3c-4b7a-9a55-2b1e8d0c9f11\nauthor: '+attacker'\nlicense: '@MIT'\n\
         logsource: {product: aws, service: cloudtrail}\nlevel: high\n\
         detection:\n  sel:\n    eventName: GetObject\n    sourceIPAddress: 198.51.100.23\n  condition: sel\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("broken.yml"),
        "title: broken\nid: b\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  sel:\n    eventName|base64: x\n  condition: sel\n",
    )
    .unwrap();
    let rules = dir.to_str().unwrap().to_string();
    let sample = sample();
    let sample = sample.to_str().unwrap();
    let o = run(&["detect", "--no-builtin", "--rules", &rules, "--format", "csv", "--each", sample]);
    let csv = stdout(&o);
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows.len() > 5, "{csv}");
    for row in &rows {
        assert!(
            row.contains("\"'=HYPERLINK(\"\"http://x\"\")\"") && row.contains("'+attacker") && row.contains("'@MIT"),
            "{row}"
        );
    }
    assert!(stderr(&o).contains("could not be used"), "{}", stderr(&o));
    // The table credits the rule's author and licence.
    let table = stdout(&run(&["detect", "--no-builtin", "--rules", &rules, sample]));
    assert!(table.contains("rules by: +attacker (@MIT)"), "{table}");
    // `rules --json` lists the rule and says why the other could not be used.
    let o = run(&["rules", "--json", "--no-builtin", "--rules", &rules]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rules"].as_array().unwrap().len(), 1);
    assert_eq!(v["rules"][0]["author"], "+attacker");
    let why = v["unsupported"][0]["why"].as_str().unwrap();
    assert!(v["unsupported"][0]["file"].as_str().unwrap().ends_with("broken.yml") && why.contains("base64"), "{v}");
}
