//! Tests on data from ../shared: the generator (checked against its exact
//! truth file, in every output shape), its hostile inputs, and the corpus of
//! real CloudTrail events. They say so and skip when ../shared is absent;
//! CI sets TRAILSCOPE_REQUIRE_SHARED=1 so there they always run.

use crate::common;
use common::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// stats --json of `path` agrees with the generator's truth file.
fn assert_matches_truth(stats: &Value, truth: &Value) {
    assert_eq!(stats["events"], truth["events"]);
    assert_eq!(stats["first"], truth["first"]);
    assert_eq!(stats["last"], truth["last"]);
    assert_eq!(stats["duplicates"], 0);
    assert_eq!(stats["problems"], serde_json::json!([]));
    for (facet, want) in truth["facets"].as_object().unwrap() {
        assert_eq!(&stats["facets"][facet], want, "facet {facet}");
    }
}

#[test]
fn generated_trail_matches_truth_in_every_shape() {
    let Some(shared) = shared("generated_trail_matches_truth_in_every_shape") else {
        return;
    };
    let dir = tempdir("gen");
    let truth_path = dir.join("truth.json");
    let args = ["--events", "20000", "--seed", "7", "--truth"];
    let with = |out: &Path, extra: &[&str]| {
        let mut a: Vec<String> = args.iter().map(|x| x.to_string()).collect();
        a.push(s(&truth_path));
        a.extend(["--out".into(), s(out)]);
        a.extend(extra.iter().map(|x| x.to_string()));
        generate(&shared, &a.iter().map(String::as_str).collect::<Vec<_>>());
    };
    with(&dir.join("s3"), &[]);
    let truth: Value = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
    let stats = stats_json(&[&s(&dir.join("s3"))]);
    assert_matches_truth(&stats, &truth);
    let logs = files(&dir.join("s3")).into_iter().filter(|p| !s(p).contains("CloudTrail-Digest")).count();
    assert_eq!(stats["files"].as_u64().unwrap() as usize, logs);
    assert!(stats["digest_files"].as_u64().unwrap() > 0);
    // Actors follow DESIGN.md's rules; the generator's own users are named by them.
    let actors = stats["facets"]["actor"].as_object().unwrap();
    assert!(
        actors.keys().any(|a| a.starts_with("Admin/"))
            && actors.contains_key("alice")
            && actors.contains_key("ec2.amazonaws.com")
    );
    assert!(actors.keys().any(|a| a.starts_with("root@")), "several accounts: root shows its account");

    for (name, extra) in [
        ("x.jsonl", vec!["--format", "ndjson"]),
        ("x.jsonl.gz", vec!["--format", "ndjson"]),
        ("x.json", vec!["--format", "records"]),
        ("y.json", vec!["--format", "records", "--compact"]),
    ] {
        let out = dir.join(name);
        with(&out, &extra);
        assert_matches_truth(&stats_json(&[&s(&out)]), &truth);
    }
    // Loading everything at once: each event is there twice and counted once.
    let all = stats_json(&[&s(&dir.join("s3")), &s(&dir.join("x.jsonl")), &s(&dir.join("x.json"))]);
    assert_eq!(all["events"], truth["events"]);
    assert_eq!(all["duplicates"].as_u64(), truth["events"].as_u64().map(|n| n * 2));
}

#[test]
fn hostile_inputs_load_what_is_valid_and_report_the_rest() {
    let Some(shared) = shared("hostile_inputs_load_what_is_valid_and_report_the_rest") else {
        return;
    };
    let dir = tempdir("bad");
    generate(&shared, &["--bad-inputs", "--out", &s(&dir)]);
    let o = run(&["stats", "--json", &s(&dir)]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    // Per file, the valid events EXPECTED.txt allows (where it allows a range, trailscope keeps the most).
    let per_file = [
        ("not-gzip.json.gz", 3),
        ("bom.json", 3),
        ("record-not-object.json", 1),
        ("missing-fields.json", 1),
        ("terminal-escapes.json", 1),
        ("ndjson-with-garbage.jsonl", 2),
        ("concatenated-objects.json", 2),
        ("huge-string.json", 1),
        ("deep-nesting.json", 1),
        ("invalid-utf8.json", 3),
        ("trailing-comma.json", 3),
        ("truncated.json", 1),
    ];
    for (file, n) in per_file {
        let one = stats_json(&[&s(&dir.join(file))]);
        assert_eq!(one["events"].as_u64(), Some(n), "{file}");
    }
    assert_eq!(v["events"].as_u64(), Some(per_file.iter().map(|(_, n)| n).sum::<u64>()));
    let problems = v["problems"].as_array().unwrap();
    let about = |f: &str| problems.iter().filter(|p| p["path"].as_str().unwrap().ends_with(f)).collect::<Vec<_>>();
    let place = |f: &str| about(f).iter().map(|p| p["where"].as_str().unwrap_or("").to_string()).collect::<Vec<_>>();
    assert!(about("digest-only.json").is_empty(), "a digest is not a problem");
    assert_eq!(place("record-not-object.json"), ["record 0", "record 1", "record 2"]);
    assert_eq!(place("missing-fields.json"), ["record 0", "record 1"]);
    assert_eq!(place("ndjson-with-garbage.jsonl"), ["line 2"]);
    assert_eq!(place("bad-time.json"), ["record 0", "record 1"]);
    assert_eq!(place("wrong-types.json"), ["record 0"]);
    assert!(about("trailing-comma.json")[0]["message"].as_str().unwrap().contains("trailing comma"));
    assert!(about("truncated.json")[0]["message"].as_str().unwrap().contains("truncated"));
    assert!(about("invalid-utf8.json")[0]["message"].as_str().unwrap().contains("UTF-8"));
    for f in ["empty.json", "binary.json", "records-not-array.json", "truncated.json.gz"] {
        assert!(!about(f).is_empty(), "{f} is reported");
    }
    for p in problems {
        assert!(!p["message"].as_str().unwrap().is_empty());
    }
    assert_eq!(v["skipped_files"], 1, "EXPECTED.txt is not a log");
}

/// eventID, time, source and name: what the loader once took for an event's identity.
fn four_fields(r: &Value) -> Option<String> {
    let id = r.get("eventID").or_else(|| r.get("eventId"))?.as_str()?;
    let t = trailscope::model::time::parse_event_time(r["eventTime"].as_str()?)?;
    let insight = |k: &str| r.get("insightDetails").and_then(|i| i.get(k)).cloned();
    let src = r.get("eventSource").cloned().or_else(|| insight("eventSource")).unwrap_or(Value::Null);
    let name = r.get("eventName").cloned().or_else(|| insight("eventName")).unwrap_or(Value::Null);
    Some(format!("{id}|{t}|{src}|{name}"))
}

#[test]
fn real_corpus_loads_every_event() {
    let Some(shared) = shared("real_corpus_loads_every_event") else {
        return;
    };
    let corpus = shared.join("corpus/real");
    let records = reference_tree(&corpus);
    let usable: Vec<&Value> = records
        .iter()
        .filter(|r| {
            r.get("eventTime").and_then(Value::as_str).and_then(trailscope::model::time::parse_event_time).is_some()
        })
        .collect();
    // Duplicates are records of the same content (members in the same order), read independently.
    let ordered: Vec<String> = files(&corpus)
        .iter()
        .filter(|p| trailscope::source::layout::is_log_name(&p.file_name().unwrap().to_string_lossy()))
        .flat_map(|p| ordered_records(p))
        .filter(|r| match r {
            Ordered::Object(m) => m.iter().any(|(k, v)| {
                k == "eventTime"
                    && matches!(v, Ordered::Scalar(Value::String(t)) if trailscope::model::time::parse_event_time(t).is_some())
            }),
            _ => false,
        })
        .map(|r| format!("{r:?}"))
        .collect();
    assert_eq!(ordered.len(), usable.len());
    let unique = ordered.iter().collect::<HashSet<_>>().len();
    let v = stats_json(&[&s(&corpus)]);
    assert_eq!(v["events"].as_u64().unwrap() as usize, unique);
    assert_eq!(v["duplicates"].as_u64().unwrap() as usize, usable.len() - unique);
    // Real data has records that share eventID, time, source and name but differ: all are kept.
    let by_four = usable.iter().filter_map(|r| four_fields(r)).collect::<HashSet<_>>().len();
    let without_id = usable.iter().filter(|r| four_fields(r).is_none()).count();
    assert!(unique > by_four + without_id + 100, "{unique} records, {by_four} by four fields");
    // Problems: exactly the records without a usable time (stats.json, which is
    // not a log, reads as one such record).
    let problems = v["problems"].as_array().unwrap();
    let bad_time = records.len() - usable.len();
    assert!(bad_time > 1);
    assert_eq!(problems.len(), bad_time, "{problems:#?}");
    assert!(problems.iter().any(|p| p["path"].as_str().unwrap().ends_with("stats.json")));
    // Every Insights event is loaded, with its service and name from insightDetails.
    let insights =
        records.iter().filter(|r| r.get("eventType").and_then(Value::as_str) == Some("AwsCloudTrailInsight")).count();
    assert!(insights >= 4);
    let o = run(&["query", "-q", "eventtype:AwsCloudTrailInsight", "--format", "jsonl", &s(&corpus)]);
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let distinct: HashSet<String> = lines.iter().map(|l| l.to_string()).collect();
    assert_eq!(lines.len(), distinct.len());
    assert_eq!(
        lines.len(),
        records
            .iter()
            .filter(|r| r.get("eventType").and_then(Value::as_str) == Some("AwsCloudTrailInsight"))
            .map(|r| r.to_string())
            .collect::<HashSet<_>>()
            .len()
    );
    let names: HashMap<String, u64> =
        v["facets"]["eventName"].as_object().unwrap().iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap())).collect();
    assert!(names.contains_key("CompleteLifecycleAction"), "an Insights event's name comes from insightDetails");
    // Every time that looks like a date and time is read, whatever the export did to it
    // (a space for T, fractions to nanoseconds, no zone); only placeholders are refused.
    let looks_like_time = |t: &str| {
        let b = t.as_bytes();
        b.len() >= 19
            && [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18].iter().all(|&i| b[i].is_ascii_digit())
            && (b[10] == b'T' || b[10] == b' ')
    };
    let shaped: Vec<&str> =
        records.iter().filter_map(|r| r["eventTime"].as_str()).filter(|t| looks_like_time(t)).collect();
    assert!(shaped.iter().any(|t| t.contains(' ')) && shaped.iter().any(|t| t.len() > 25));
    assert_eq!(shaped.len(), usable.len());
}
