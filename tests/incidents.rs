//! Incidents on stories with known answers, mixed into a background (the
//! bundled sample; and a generated trail when ../shared is there): one
//! intrusion along a credential chain across accounts is one incident,
//! ranked first; a second intruder at the same time is another; an
//! automation role tripping one rule all week and an administrator's one
//! risky change rank below both.

use crate::common;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;

const OFFICE: &str = "198.51.100.20";
const CLI: &str = "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux";

fn t(secs: i64) -> String {
    // 2024-05-14T00:00:00Z, the sample's first day.
    trailscope::model::time::format_utc(1_715_644_800_000_000 + secs * 1_000_000)
}

/// An IAM user's call with its long-term key.
fn user(
    id: &str,
    secs: i64,
    (name, key, ip): (&str, &str, &str),
    (source, call): (&str, &str),
    req: Value,
    resp: Value,
) -> Value {
    json!({"eventVersion": "1.09", "eventTime": t(secs), "eventSource": format!("{source}.amazonaws.com"), "eventName": call,
        "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": CLI, "eventID": id, "requestID": id,
        "requestParameters": req, "responseElements": resp, "readOnly": (["List", "Get", "Describe"].iter().any(|p| call.starts_with(p))),
        "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": "111122223333", "eventCategory": "Management",
        "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{}", name.to_uppercase()), "userName": name,
            "arn": format!("arn:aws:iam::111122223333:user/{name}"), "accountId": "111122223333", "accessKeyId": key}})
}

/// A role session's call in account `account`.
fn session(
    id: &str,
    secs: i64,
    (role, account, key, ip): (&str, &str, &str, &str),
    (source, call): (&str, &str),
    req: Value,
) -> Value {
    json!({"eventVersion": "1.09", "eventTime": t(secs), "eventSource": format!("{source}.amazonaws.com"), "eventName": call,
        "awsRegion": "us-east-1", "sourceIPAddress": ip, "userAgent": CLI, "eventID": id, "requestID": id,
        "requestParameters": req, "responseElements": null, "readOnly": false,
        "eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": account, "eventCategory": "Management",
        "userIdentity": {"type": "AssumedRole", "principalId": format!("AROA{}:s", role.to_uppercase()),
            "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/s"), "accountId": account, "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "arn": format!("arn:aws:iam::{account}:role/{role}"),
                "accountId": account, "userName": role}}}})
}

const LEAKED: &str = "AKIAQ7LEAKEDDEVCI0X1";
const BACKDOOR: &str = "AKIAQ7BACKD00RSVC0X2";
const HOP: &str = "ASIAQ7HOPORGADMIN0X3";
const ATTACKER: &str = "185.220.101.45";
const DAY: i64 = 86_400;

/// The intrusion: dev-ci's leaked key (a day and a half of office work
/// first), recon from a new network, a backdoor user with a key and admin
/// rights, a role in another account with that key, logging stopped there,
/// a snapshot shared out and a bucket opened.
fn intrusion() -> Vec<Value> {
    let mut v: Vec<Value> = (0..36)
        .map(|h| {
            user(
                &format!("a-hist-{h}"),
                h * 3_600,
                ("dev-ci", LEAKED, OFFICE),
                ("ec2", "DescribeInstances"),
                json!({}),
                Value::Null,
            )
        })
        .collect();
    let s = DAY + 14 * 3_600;
    let u = |id: &str, dt: i64, source: &str, call: &str, req: Value, resp: Value| {
        user(id, s + dt, ("dev-ci", LEAKED, ATTACKER), (source, call), req, resp)
    };
    v.push(u("a-whoami", 0, "sts", "GetCallerIdentity", Value::Null, Value::Null));
    v.push(u("a-users", 30, "iam", "ListUsers", Value::Null, Value::Null));
    v.push(u("a-buckets", 60, "s3", "ListBuckets", Value::Null, Value::Null));
    v.push(u("a-roles", 90, "iam", "ListRoles", Value::Null, Value::Null));
    v.push(u(
        "a-create-user",
        300,
        "iam",
        "CreateUser",
        json!({"userName": "backup-svc"}),
        json!({"user": {"userName": "backup-svc"}}),
    ));
    v.push(u(
        "a-create-key",
        330,
        "iam",
        "CreateAccessKey",
        json!({"userName": "backup-svc"}),
        json!({"accessKey": {"userName": "backup-svc", "accessKeyId": BACKDOOR, "status": "Active"}}),
    ));
    v.push(u(
        "a-admin",
        360,
        "iam",
        "AttachUserPolicy",
        json!({"userName": "backup-svc", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        Value::Null,
    ));
    v.push(user("a-hop", s + 900, ("backup-svc", BACKDOOR, ATTACKER), ("sts", "AssumeRole"), json!({"roleArn": "arn:aws:iam::444455556666:role/OrgAdmin", "roleSessionName": "s"}), json!({"credentials": {"accessKeyId": HOP, "expiration": "May 15, 2024, 4:15:00 PM"},
            "assumedRoleUser": {"arn": "arn:aws:sts::444455556666:assumed-role/OrgAdmin/s", "assumedRoleId": "AROAORGADMIN:s"}})));
    let r = |id: &str, dt: i64, source: &str, call: &str, req: Value| {
        session(id, s + dt, ("OrgAdmin", "444455556666", HOP, ATTACKER), (source, call), req)
    };
    v.push(r(
        "a-stop",
        1_000,
        "cloudtrail",
        "StopLogging",
        json!({"name": "arn:aws:cloudtrail:us-east-1:444455556666:trail/org"}),
    ));
    v.push(r(
        "a-share",
        1_200,
        "ec2",
        "ModifySnapshotAttribute",
        json!({"snapshotId": "snap-0abc", "attributeType": "CREATE_VOLUME_PERMISSION",
        "createVolumePermission": {"add": {"items": [{"userId": "999988887777"}]}}}),
    ));
    let public = json!({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::finance/*"}]});
    v.push(r("a-open", 1_300, "s3", "PutBucketPolicy", json!({"bucketName": "finance", "bucketPolicy": public})));
    v
}

/// A second intruder at the same time: erin's key, from another network, after her own day of work.
fn second() -> Vec<Value> {
    let k = "AKIAQ7ERINERINERIN04";
    let mut v: Vec<Value> = (0..36)
        .map(|h| {
            user(
                &format!("b-hist-{h}"),
                h * 3_600 + 60,
                ("erin", k, "192.0.2.30"),
                ("ec2", "DescribeVolumes"),
                json!({}),
                Value::Null,
            )
        })
        .collect();
    let s = DAY + 14 * 3_600 + 120;
    v.push(user(
        "b-detector",
        s,
        ("erin", k, "203.0.113.99"),
        ("guardduty", "DeleteDetector"),
        json!({"detectorId": "d-1"}),
        Value::Null,
    ));
    v.push(user(
        "b-profile",
        s + 60,
        ("erin", k, "203.0.113.99"),
        ("iam", "CreateLoginProfile"),
        json!({"userName": "dana"}),
        json!({"loginProfile": {"userName": "dana"}}),
    ));
    v
}

/// An automation role updating a function's code every hour for a week.
fn automation() -> Vec<Value> {
    (0..7 * 24)
        .map(|h| {
            session(
                &format!("c-{h}"),
                h * 3_600 + 600,
                ("deployer", "111122223333", "ASIAQ7DEPLOYERROLE05", "10.0.0.5"),
                ("lambda", "UpdateFunctionCode20150331v2"),
                json!({"functionName": "billing"}),
            )
        })
        .collect()
}

/// An administrator's one risky-looking change.
fn admin() -> Vec<Value> {
    vec![user(
        "d-attach",
        3 * DAY,
        ("frank", "AKIAQ7FRANKFRANK0006", OFFICE),
        ("iam", "AttachUserPolicy"),
        json!({"userName": "grace", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        Value::Null,
    )]
}

fn write(dir: &std::path::Path) -> PathBuf {
    let all: Vec<Value> = [intrusion(), second(), automation(), admin()].concat();
    let p = dir.join("stories.jsonl");
    std::fs::write(&p, all.iter().map(|e| format!("{e}\n")).collect::<String>()).unwrap();
    p
}

fn incidents(paths: &[PathBuf]) -> Vec<Value> {
    let mut args = vec!["incidents".to_string(), "--json".to_string()];
    args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
    let o = bin().args(&args).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn holding<'a>(all: &'a [Value], id: &str) -> Vec<&'a Value> {
    all.iter().filter(|i| i["events"].as_array().unwrap().iter().any(|e| e == id)).collect()
}

fn check(all: &[Value]) {
    let strs = |v: &Value| v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect::<Vec<_>>();
    // The intrusion: one incident, first, holding every step along the chain.
    let a = holding(all, "a-whoami");
    assert_eq!(a.len(), 1);
    let a = a[0];
    for step in ["a-users", "a-create-user", "a-create-key", "a-admin", "a-hop", "a-stop", "a-share", "a-open"] {
        assert_eq!(holding(all, step).len(), 1, "{step}");
        assert!(strs(&a["events"]).contains(&step.to_string()), "{step} is in the intrusion's incident");
    }
    assert_eq!(a["id"], 1, "ranked first: {:#}", a["why"]);
    assert_eq!(a["origin"], "dev-ci");
    assert!(strs(&a["accounts"]).contains(&"444455556666".to_string()));
    for tactic in ["persistence", "defense-evasion", "exfiltration"] {
        assert!(strs(&a["tactics"]).contains(&tactic.to_string()), "{tactic}: {}", a["tactics"]);
    }
    assert!(strs(&a["keys"]).contains(&HOP.to_string()) && strs(&a["keys"]).contains(&BACKDOOR.to_string()));
    assert!(!strs(&a["events"]).iter().any(|e| e.starts_with("a-hist")), "the office days before are not in it");
    // What it touched, with the calls made on each.
    let touched: Vec<(String, String, Vec<String>)> = a["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["type"].as_str().unwrap().into(), r["name"].as_str().unwrap().into(), strs(&r["calls"])))
        .collect();
    let has = |kind: &str, name: &str, call: &str| {
        touched.iter().any(|(k, n, c)| k == kind && n.ends_with(name) && c.contains(&call.to_string()))
    };
    assert!(
        has("iam user", "backup-svc", "CreateUser") && has("iam user", "backup-svc", "AttachUserPolicy"),
        "{touched:?}"
    );
    assert!(has("access key", BACKDOOR, "CreateAccessKey"), "{touched:?}");
    assert!(has("iam role", "OrgAdmin", "AssumeRole"), "{touched:?}");
    assert!(has("trail", "trail/org", "StopLogging"), "{touched:?}");
    assert!(has("ebs snapshot", "snap-0abc", "ModifySnapshotAttribute"), "{touched:?}");
    assert!(has("s3 bucket", "finance", "PutBucketPolicy"), "{touched:?}");
    // Its score says why.
    let why: Vec<String> =
        a["why"].as_array().unwrap().iter().map(|w| w["reason"].as_str().unwrap().to_string()).collect();
    assert!(
        why.iter().any(|w| w.contains("accounts")) && why.iter().any(|w| w.contains("made identities or keys")),
        "{why:?}"
    );
    // The second intruder: an incident of her own, above the routine ones.
    let b = holding(all, "b-detector");
    assert_eq!(b.len(), 1);
    assert_eq!(b[0]["origin"], "erin");
    assert!(strs(&b[0]["events"]).contains(&"b-profile".to_string()));
    assert!(!strs(&b[0]["events"]).contains(&"a-whoami".to_string()));
    // The automation role: one incident for the week, ranked below both, routine.
    let c = holding(all, "c-0");
    assert_eq!(c.len(), 1);
    assert_eq!(holding(all, "c-167").first().map(|i| &i["id"]), Some(&c[0]["id"]), "one incident all week");
    assert!(c[0]["id"].as_u64() > b[0]["id"].as_u64(), "{} vs {}", c[0]["score"], b[0]["score"]);
    assert!(c[0]["why"].to_string().contains("routine"));
    // The administrator's one change: low.
    let d = holding(all, "d-attach");
    assert_eq!(d.len(), 1);
    assert!(matches!(d[0]["level"].as_str(), Some("low" | "informational")), "{:#}", d[0]);
    assert!(d[0]["id"].as_u64() > b[0]["id"].as_u64());
}

#[test]
fn stories_in_a_background_group_and_rank_as_a_responder_would() {
    let dir = tempdir("incidents");
    let stories = write(&dir);
    check(&incidents(&[stories.clone(), sample()]));
    if let Some(shared) = shared("incidents in a generated background") {
        let out = dir.join("gen.jsonl");
        generate(
            &shared,
            &["--events", "20000", "--seed", "11", "--chains", "--format", "ndjson", "--out", &out.to_string_lossy()],
        );
        check(&incidents(&[stories, out]));
    }
}

#[test]
fn an_incident_is_a_query_term_and_a_report() {
    let dir = tempdir("incidents-term");
    let stories = write(&dir);
    let path = stories.to_string_lossy().into_owned();
    let o = run(&["query", "-q", "incident:1", "--format", "jsonl", &path]);
    let ids: Vec<String> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["eventID"].as_str().unwrap().to_string())
        .collect();
    let all = incidents(std::slice::from_ref(&stories));
    let mut want =
        all[0]["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect::<Vec<_>>();
    let mut got = ids.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    // Combined with other terms, and negated.
    let o = run(&["query", "-q", "incident:1 name:CreateUser", "--format", "jsonl", &path]);
    assert_eq!(stdout(&o).lines().count(), 1);
    let o = run(&["query", "-q", "-incident:* name:UpdateFunctionCode20150331v2", "--format", "jsonl", &path]);
    assert_eq!(stdout(&o).lines().count(), 0, "the automation's events are all in its incident");
    // --min-level and -q filter the list; the ids stay the ranks.
    let o = run(&["incidents", "--json", "--min-level", "high", &path]);
    let high: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(!high.is_empty() && high.iter().all(|i| matches!(i["level"].as_str(), Some("high" | "critical"))));
    let o = run(&["incidents", "--json", "-q", "actor:erin", &path]);
    let erin: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(erin.len(), 1);
    assert_eq!(erin[0]["origin"], "erin");
    // The report: summary, chain, timeline with the rules' why, resources, queries.
    let o = run(&["incidents", "--format", "markdown", "--min-level", "high", &path]);
    let md = stdout(&o);
    for part in [
        "## Incident 1: dev-ci",
        "### Credential chain",
        "### Timeline of the findings",
        "### What it touched",
        "`incident:1`",
        "backup-svc",
    ] {
        assert!(md.contains(part), "{part} in\n{md}");
    }
    assert!(!md.contains('\u{1b}'));
}

#[test]
fn incidents_do_not_depend_on_the_order_files_load_in() {
    let dir = tempdir("incidents-order");
    let all: Vec<Value> = [intrusion(), second(), automation(), admin()].concat();
    // Three files, each holding every third event: any order of them is the same records.
    let paths: Vec<PathBuf> = (0..3)
        .map(|k| {
            let p = dir.join(format!("part-{k}.jsonl"));
            let text: String = all.iter().skip(k).step_by(3).map(|e| format!("{e}\n")).collect();
            std::fs::write(&p, text).unwrap();
            p
        })
        .collect();
    let forward = incidents(&paths);
    let reversed: Vec<PathBuf> = paths.iter().rev().cloned().collect();
    assert_eq!(forward, incidents(&reversed));
    assert_eq!(forward, incidents(&[paths[1].clone(), paths[0].clone(), paths[2].clone()]));
    assert!(forward.len() >= 4);
}
