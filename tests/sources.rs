//! The envelopes exports wrap events in, through the real binary: each loads
//! with the event's own fields, and `stats` counts events per input shape.

use crate::common;
use common::*;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;

fn event(id: &str, name: &str, user: &str) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": user, "accountId": "111122223333", "accessKeyId": format!("AKIA{id}")},
        "eventTime": format!("2024-02-0{}T10:00:00Z", id.len() % 9 + 1),
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "eventID": id,
        "recipientAccountId": "111122223333",
    })
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// The five envelopes, one file each, in `dir`.
fn write_envelopes(dir: &Path) {
    // CloudWatch Logs subscription data, gzip, with a control message and an entry that is not JSON.
    let cwl = [
        json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs", "logGroup": "", "logStream": "",
               "subscriptionFilters": [], "logEvents": [{"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination"}]}),
        json!({"messageType": "DATA_MESSAGE", "owner": "111122223333", "logGroup": "aws-cloudtrail-logs", "logStream": "111122223333_CloudTrail_eu-west-1",
               "subscriptionFilters": ["to-siem"], "logEvents": [
                   {"id": "1", "timestamp": 1706781600000u64, "message": event("cwl-1", "GetObject", "ana").to_string()},
                   {"id": "2", "timestamp": 1706781600000u64, "message": event("cwl-2", "PutObject", "ana").to_string()},
                   {"id": "3", "timestamp": 1706781600000u64, "message": "{not json"},
               ]}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<String>();
    std::fs::write(dir.join("cwl-subscription.gz"), gzip(cwl.as_bytes())).unwrap();
    // `aws cloudtrail lookup-events` output.
    let lookup = json!({"Events": [
        {"EventId": "lk-1", "EventName": "DeleteBucket", "ReadOnly": "false", "EventTime": 1706781600, "EventSource": "s3.amazonaws.com",
         "Username": "ben", "Resources": [], "CloudTrailEvent": event("lk-1", "DeleteBucket", "ben").to_string()},
        {"EventId": "lk-2", "EventName": "ListBuckets", "CloudTrailEvent": event("lk-2", "ListBuckets", "ben").to_string()},
    ], "NextToken": "abc"});
    std::fs::write(dir.join("lookup-events.json"), serde_json::to_string_pretty(&lookup).unwrap()).unwrap();
    // EventBridge "AWS API Call via CloudTrail", one per line.
    let eb = ["eb-1", "eb-2", "eb-3"]
        .iter()
        .map(|id| {
            json!({"version": "0", "id": format!("x-{id}"), "detail-type": "AWS API Call via CloudTrail", "source": "aws.s3",
                   "account": "111122223333", "time": "2024-02-01T10:00:00Z", "region": "eu-west-1", "resources": [],
                   "detail": event(id, "PutBucketPolicy", "cy")})
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("eventbridge.jsonl"), eb).unwrap();
    // Splunk (`_raw`) and Cribl (`message`) exports.
    let splunk = json!({"_time": "2024-02-01T10:00:00.000+00:00", "host": "h", "_raw": event("sp-1", "GetBucketAcl", "dee").to_string()});
    let cribl = json!({"_time": 1706781600, "message": format!("  {}", event("cr-1", "GetBucketAcl", "dee"))});
    std::fs::write(dir.join("exports.ndjson"), format!("{splunk}\n{cribl}\n")).unwrap();
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn every_envelope_loads_with_the_events_own_fields() {
    let dir = tempdir("envelopes");
    write_envelopes(&dir);
    let v = stats_json(&[&s(&dir)]);
    assert_eq!(v["events"], 9, "{v}");
    assert_eq!(
        v["shapes"],
        json!({"cloudwatch_logs": 2, "lookup_events": 2, "eventbridge": 3, "embedded_json": 2}),
        "events per input shape"
    );
    assert_eq!(v["facets"]["eventName"]["PutBucketPolicy"], 3);
    assert_eq!(v["facets"]["actor"]["ben"], 2, "the actor comes from the wrapped event");
    assert_eq!(v["facets"]["awsRegion"]["eu-west-1"], 9);
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["where"], "line 1, logEvents[2]", "both objects sit on line 1, as Firehose writes them");
    assert_eq!(problems[0]["kind"], "syntax");
    assert!(problems[0]["path"].as_str().unwrap().ends_with("cwl-subscription.gz"));
    // The events themselves, not their wrappers, are what a query returns.
    let o = run(&["query", "-q", "actor:ana", "--format", "jsonl", &s(&dir)]);
    let mut lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // Events of the same time come in an order of their content.
    lines.sort_by_key(|l| l["eventID"].to_string());
    assert_eq!(lines, vec![event("cwl-1", "GetObject", "ana"), event("cwl-2", "PutObject", "ana")]);
    let text = run(&["stats", &s(&dir)]);
    assert!(stdout(&text).contains("3 from EventBridge events"), "{}", stdout(&text));
}

#[test]
fn plain_shapes_are_counted_too() {
    let dir = tempdir("plain-shapes");
    let e = |id: &str| event(id, "GetObject", "ana");
    std::fs::write(dir.join("a.json"), json!({"Records": [e("r1"), e("r2")]}).to_string()).unwrap();
    std::fs::write(dir.join("b.json"), json!([e("a1")]).to_string()).unwrap();
    std::fs::write(dir.join("c.jsonl"), format!("{}\n{}\n", e("l1"), e("l2"))).unwrap();
    let v = stats_json(&[&s(&dir)]);
    assert_eq!(v["shapes"], json!({"records": 2, "array": 1, "lines": 2}));
    // An object that is neither an event nor an envelope is still a problem.
    std::fs::write(dir.join("d.json"), r#"{"message":"not an event"}"#).unwrap();
    let v = stats_json(&[&s(&dir)]);
    assert_eq!(v["problems"][0]["kind"], "not-an-event");
    assert_eq!(v["problems"][0]["message"], "record has no eventTime");
}
