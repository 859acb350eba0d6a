//! trailscope's own catalogue of detection rules: it loads whole, every rule
//! says what it needs to, and every rule fires on its firing fixtures and
//! stays quiet on its near misses (tests/fixtures/rules, one file a rule).

use crate::common;
use common::*;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use trailscope::detect::rule::Body;
use trailscope::detect::{Level, RuleSet};
use trailscope::engine::Dataset;

fn catalogue() -> Arc<RuleSet> {
    Arc::new(RuleSet::load(true, &[]))
}

#[test]
fn the_catalogue_loads_whole_and_says_what_each_rule_is() {
    let set = catalogue();
    assert!(set.unsupported.is_empty(), "{:#?}", set.unsupported);
    let reporting: Vec<_> = (0..set.rules.len()).filter(|&i| set.reports[i]).collect();
    assert!(reporting.len() >= 100, "{} rules report matches", reporting.len());
    let (mut ids, mut names) = (HashSet::new(), HashSet::new());
    for r in &set.rules {
        let m = &r.meta;
        assert!(m.builtin);
        assert!(ids.insert(m.id.clone()), "id {} twice", m.id);
        let name = m.name.clone().unwrap_or_else(|| panic!("{} has no name", m.title));
        assert!(names.insert(name.clone()), "name {name} twice");
        assert!(m.description.len() > 40, "{name}: a short why-text");
        assert!(m.author.as_deref() == Some("trailscope"), "{name}");
        if !set.reports[set.rules.iter().position(|x| x.meta.id == m.id).unwrap()] {
            continue;
        }
        assert!(m.tactics().next().is_some(), "{name}: no ATT&CK tactic");
        assert!(m.tags.iter().any(|t| t.starts_with("attack.t")), "{name}: no ATT&CK technique");
        assert!(!m.falsepositives.is_empty(), "{name}: no false positives");
        assert!(!m.references.is_empty(), "{name}: no references");
    }
    // Every level is used, and the areas the catalogue must cover are there.
    let levels: HashSet<Level> = set.rules.iter().map(|r| r.meta.level).collect();
    assert_eq!(levels.len(), 5);
    let tactics: HashSet<&str> = set.rules.iter().flat_map(|r| r.meta.tactics()).collect();
    for t in [
        "defense-evasion",
        "persistence",
        "privilege-escalation",
        "credential-access",
        "exfiltration",
        "impact",
        "initial-access",
        "discovery",
    ] {
        assert!(tactics.contains(t), "no rule for {t}");
    }
    assert!(set.rules.iter().any(|r| matches!(r.body, Body::Correlation(_))));
}

/// The events of a fixture case: items are events, or `{"repeat": N,
/// "step_seconds": S, "event": {...}}` for N copies S seconds apart.
fn expand(items: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for item in items {
        let Some(n) = item.get("repeat").and_then(Value::as_u64) else {
            out.push(item.clone());
            continue;
        };
        let step = item["step_seconds"].as_i64().unwrap_or(1);
        let base = &item["event"];
        let t0 = trailscope::model::time::parse_event_time(base["eventTime"].as_str().unwrap()).unwrap();
        for k in 0..n as i64 {
            let mut e = base.clone();
            e["eventTime"] = json!(trailscope::model::time::format_utc(t0 + k * step * 1_000_000));
            e["eventID"] = json!(format!("{}-{k}", base["eventID"].as_str().unwrap_or("e")));
            out.push(e);
        }
    }
    out
}

/// How many matches rule `r` (the first document of its file) makes on `events`.
fn matches_of(set: &Arc<RuleSet>, r: usize, events: &[Value]) -> usize {
    let lines: String = events.iter().map(|e| e.to_string() + "\n").collect();
    let data = Dataset::from_bytes_with(vec![("case.jsonl".into(), lines.into_bytes())], Arc::clone(set));
    let found = data.found();
    assert_eq!(data.progress.problems(), vec![], "a fixture loads cleanly");
    match set.rules[r].body {
        Body::Detection(_) => found.hits[r].len(),
        Body::Correlation(_) => found.correlations.iter().filter(|m| m.rule == r).count(),
    }
}

#[test]
fn every_rule_fires_on_its_fixtures_and_stays_quiet_on_its_near_misses() {
    let set = catalogue();
    let fixtures = repo().join("tests/fixtures/rules");
    // The file each rule came from, and the first rule of each file.
    let mut first: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in set.rules.iter().enumerate() {
        first.entry(r.meta.file.trim_start_matches("builtin:").to_string()).or_insert(i);
    }
    let mut failures = Vec::new();
    let mut cases = 0;
    for (file, &r) in &first {
        let fixture = fixtures.join(Path::new(file).with_extension("json"));
        let Ok(text) = std::fs::read_to_string(&fixture) else {
            failures.push(format!("{file}: no fixture at {}", fixture.display()));
            continue;
        };
        let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
        for (kind, want) in [("fires", true), ("quiet", false)] {
            let list = v[kind].as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                failures.push(format!("{file}: no {kind} case"));
            }
            for case in list {
                cases += 1;
                let n = matches_of(&set, r, &expand(case["events"].as_array().unwrap()));
                if (n > 0) != want {
                    failures.push(format!(
                        "{file}: {kind} case {:?} made {n} matches",
                        case["note"].as_str().unwrap_or("")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {cases} cases wrong:\n{}", failures.len(), failures.join("\n"));
    assert!(cases >= 2 * first.len());
}

/// An IAM user's ordinary call, made from the AWS CLI on a laptop.
fn by_alice(name: &str, source: &str, request: Value, response: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser", "principalId": "AIDAEXAMPLEALICE0001", "arn": "arn:aws:iam::111122223333:user/alice",
            "accountId": "111122223333", "accessKeyId": "AKIAEXAMPLEALICE0001", "userName": "alice"
        },
        "eventTime": "2024-05-14T09:12:00Z", "eventSource": source, "eventName": name, "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.20",
        "userAgent": "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0-1018-aws md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off",
        "requestParameters": request, "responseElements": response,
        "requestID": "5d1c0a8e-1f0e-4c1e-9a51-0d3a8f0c2b11", "eventID": format!("benign-{name}"),
        "readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": "111122223333", "eventCategory": "Management"
    })
}

#[test]
fn benign_look_alikes_do_not_fire_high_or_critical() {
    let own_policy = json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "OwnAccount", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "s3:GetObject", "Resource": "arn:aws:s3:::alice-reports/*"}]
    });
    let cases = [
        (
            "a user creating their own access key",
            by_alice(
                "CreateAccessKey",
                "iam.amazonaws.com",
                Value::Null,
                json!({"accessKey": {"userName": "alice", "accessKeyId": "AKIAEXAMPLEALICE0002", "status": "Active"}}),
            ),
        ),
        (
            "a bucket policy granting the own account",
            by_alice(
                "PutBucketPolicy",
                "s3.amazonaws.com",
                json!({"bucketName": "alice-reports", "bucketPolicy": own_policy, "policy": own_policy.to_string()}),
                Value::Null,
            ),
        ),
        (
            "GetCallerIdentity from a normal CLI",
            by_alice("GetCallerIdentity", "sts.amazonaws.com", Value::Null, Value::Null),
        ),
    ];
    // A person mistyping a password twice, then signing in; a Terraform plan reading six services.
    let mut typos = Vec::new();
    for (i, outcome) in ["Failure", "Failure", "Success"].iter().enumerate() {
        let mut e = by_alice("ConsoleLogin", "signin.amazonaws.com", Value::Null, json!({"ConsoleLogin": outcome}));
        e["eventTime"] = json!(format!("2024-05-14T09:1{i}:00Z"));
        e["eventID"] = json!(format!("typo-{i}"));
        e["eventType"] = json!("AwsConsoleSignIn");
        e["userIdentity"].as_object_mut().unwrap().remove("accessKeyId");
        typos.push(e);
    }
    let mut plan = Vec::new();
    let reads = [
        ("ec2.amazonaws.com", "DescribeInstances"),
        ("ec2.amazonaws.com", "DescribeSecurityGroups"),
        ("iam.amazonaws.com", "GetRole"),
        ("iam.amazonaws.com", "ListAttachedRolePolicies"),
        ("s3.amazonaws.com", "GetBucketPolicy"),
        ("lambda.amazonaws.com", "GetFunction20150331v2"),
        ("rds.amazonaws.com", "DescribeDBInstances"),
        ("kms.amazonaws.com", "DescribeKey"),
    ];
    for i in 0..60 {
        let (source, name) = reads[i % reads.len()];
        let mut e = by_alice(name, source, json!({}), Value::Null);
        e["eventTime"] = json!(format!("2024-05-14T09:12:{:02}Z", i % 60));
        e["eventID"] = json!(format!("plan-{i}"));
        e["readOnly"] = json!(true);
        e["userAgent"] =
            json!("APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.46.0");
        plan.push(e);
    }
    let lines = |evs: &[Value]| evs.iter().map(|e| e.to_string() + "\n").collect::<String>();
    let cases: Vec<(&str, String)> = cases
        .into_iter()
        .map(|(w, e)| (w, e.to_string()))
        .chain([("a person mistyping a password twice", lines(&typos)), ("a Terraform plan", lines(&plan))])
        .collect();
    let set = catalogue();
    for (what, text) in cases {
        let data = Dataset::from_bytes_with(vec![(what.into(), text.into_bytes())], Arc::clone(&set));
        assert!(!data.read().is_empty(), "{what}: loads");
        let found = data.found();
        let serious: Vec<&str> = found
            .counts(None)
            .into_iter()
            .map(|c| &set.rules[c.rule].meta)
            .filter(|m| m.level >= Level::High)
            .map(|m| m.key())
            .collect();
        assert!(serious.is_empty(), "{what} set off {serious:?}");
    }
    // The same calls made for someone else, or granting everyone, do fire: the test can fail.
    let mut other = by_alice("CreateAccessKey", "iam.amazonaws.com", json!({"userName": "bob"}), Value::Null);
    other["eventID"] = json!("for-bob");
    let data = Dataset::from_bytes_with(vec![("other".into(), other.to_string().into_bytes())], Arc::clone(&set));
    assert!(data.found().counts(None).iter().any(|c| set.rules[c.rule].meta.level >= Level::High));
}
