//! The Athena hand-off: the SQL `athena sql` writes must select exactly the
//! events trailscope's own evaluator selects. Without AWS, it is run in
//! DuckDB (transpiled from Trino by sqlglot, tests/athena/duckdb_oracle.py)
//! over the same events, loaded into the table `athena ddl` declares, with
//! its column types, as Athena's JSON SerDe reads them.
//!
//! Both sides read the events as the table holds them: members the table
//! has no column for are left out (Athena cannot search what it does not
//! hold), and so are Insights events (CloudTrail delivers them to
//! `CloudTrail-Insight/`, outside the table's location). So are events
//! holding control characters: trailscope's quoted text looks in the JSON,
//! where they are written as escapes (`\u0007`), so `"07"` finds them there;
//! Athena looks in the values (a known difference, in the README).

use crate::common;
use common::generated::generated_queries;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, RwLock};
use trailscope::athena::ddl::{Trail, create_table};
use trailscope::athena::schema::{COLUMNS, Column, Kind};
use trailscope::athena::sql::{Range, Shape, statement};
use trailscope::engine::{Dataset, Options};
use trailscope::loader::LoadOptions;
use trailscope::query::ast::{Query, TermKind};
use trailscope::query::{Cancel, parse};
use trailscope::store::Store;
use trailscope::store::blobs::ChunkCache;

fn python(test: &str) -> Option<PathBuf> {
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    venv_python(test, &READY, "tests/athena/setup.sh", "target/athena-venv", "sqlglot and DuckDB")
}

/// The events trailscope loaded from `paths`, as it holds them.
struct Loaded {
    store: Arc<RwLock<Store>>,
    /// Each event's record, by event id.
    records: Vec<Value>,
    /// The event ids in a fixed order.
    order: Vec<usize>,
}

/// `v` with only the members the table has columns for, in the table's
/// spelling; None when the value cannot fill a struct column.
fn as_table_holds(v: &Value, members: &[Column]) -> Value {
    let Value::Object(m) = v else { return v.clone() };
    let mut out = serde_json::Map::new();
    for (k, x) in m {
        let Some(c) = members.iter().find(|c| c.key == k) else { continue };
        let kept = match c.kind {
            Kind::Struct(inner) => as_table_holds(x, inner),
            Kind::Structs(inner) => match x {
                Value::Array(a) => Value::Array(a.iter().map(|e| as_table_holds(e, inner)).collect()),
                other => other.clone(),
            },
            _ => x.clone(),
        };
        out.insert(k.clone(), kept);
    }
    Value::Object(out)
}

impl Loaded {
    /// The events of `paths` as the table holds them (see the top).
    fn new(test: &str, paths: &[PathBuf]) -> Loaded {
        let all = Self::load(paths);
        let file = tempdir(test).join("as-the-table-holds-them.ndjson");
        let lines: Vec<String> = all
            .records
            .iter()
            .filter(|r| r["eventType"] != "AwsCloudTrailInsight")
            .map(|r| as_table_holds(r, COLUMNS).to_string())
            .filter(|line| !line.contains("\\u00"))
            .collect();
        std::fs::write(&file, lines.join("\n")).unwrap();
        let mut table = Self::load(&[file]);
        // Generated queries draw from the records: in a fixed order, whatever the loading order.
        table.order = (0..table.records.len()).collect();
        table.order.sort_by_key(|&i| table.records[i].to_string());
        table
    }

    fn load(paths: &[PathBuf]) -> Loaded {
        let options = Options {
            load: LoadOptions { threads: 2, publish_every: None, ..LoadOptions::default() },
            ..Options::default()
        };
        let store = Dataset::load(paths, options).store;
        let records = {
            let s = store.read().unwrap();
            let mut cache = ChunkCache::new(4);
            (0..s.len() as u32).map(|i| serde_json::from_slice(s.record(i, &mut cache)).unwrap()).collect()
        };
        Loaded { store, records, order: Vec::new() }
    }

    /// The eventIDs trailscope selects (those in the table), sorted.
    fn select(&self, q: &Query) -> Vec<String> {
        let ids = trailscope::query::run(&self.store, q, &Cancel::new()).unwrap().ids;
        let mut out: Vec<String> = ids
            .into_iter()
            .map(|i| self.records[i as usize]["eventID"].as_str().unwrap_or_default().to_string())
            .collect();
        out.sort();
        out
    }

    /// The table's events as JSON lines.
    fn write(&self, path: &Path) {
        let lines: Vec<String> = self.records.iter().map(Value::to_string).collect();
        std::fs::write(path, lines.join("\n")).unwrap();
    }
}

const TABLE: &str = "cloudtrail_logs";

fn ddl() -> String {
    create_table(&Trail {
        bucket: "trail".into(),
        prefix: String::new(),
        org: None,
        accounts: vec!["111122223333".into()],
        regions: vec![],
        table: TABLE.into(),
        since: "2013/11/01".into(),
    })
    .unwrap()
}

/// Runs `statements` in DuckDB over `loaded`: the eventIDs of each, sorted, or the error.
fn oracle(python: &Path, dir: &Path, loaded: &Loaded, statements: &[String]) -> Vec<Result<Vec<String>, String>> {
    let records = dir.join("records.ndjson");
    loaded.write(&records);
    let job = dir.join("job.json");
    let spec = serde_json::json!({ "ddl": ddl(), "table": TABLE, "records": records, "statements": statements });
    std::fs::write(&job, spec.to_string()).unwrap();
    let out = Command::new(python).arg(repo().join("tests/athena/duckdb_oracle.py")).arg(&job).output().unwrap();
    assert!(out.status.success(), "the oracle failed: {}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| match r.get("error") {
            Some(e) => Err(e.as_str().unwrap_or_default().to_string()),
            None => {
                let mut ids: Vec<String> =
                    r["ids"].as_array().unwrap().iter().map(|i| i.as_str().unwrap_or_default().to_string()).collect();
                ids.sort();
                Ok(ids)
            }
        })
        .collect()
}

/// Translates each query, runs the translations in DuckDB and compares with
/// trailscope; returns how many were compared and how many selected something.
fn agree(test: &str, python: &Path, loaded: &Loaded, queries: &[Query]) -> (usize, usize) {
    let dir = tempdir(test);
    let mut compared = Vec::new();
    for q in queries {
        let has_fuzzy = q.terms.iter().any(|t| matches!(t.kind, TermKind::Fuzzy(_)));
        match statement(q, TABLE, Range::default(), Shape::Records) {
            Ok(sql) => {
                assert!(!has_fuzzy, "{q}: a fuzzy word was translated");
                compared.push((q, sql));
            }
            Err(refused) => assert!(
                has_fuzzy
                    || ["no column", "no member", "part of the key", "part of null"]
                        .iter()
                        .any(|w| refused.why.contains(w)),
                "{q}: refused: {refused}"
            ),
        }
    }
    let statements: Vec<String> = compared.iter().map(|(_, s)| s.clone()).collect();
    let results = oracle(python, &dir, loaded, &statements);
    let mut hits = 0;
    for ((q, sql), got) in compared.iter().zip(results) {
        let want = loaded.select(q);
        let got = got.unwrap_or_else(|e| panic!("{q}: DuckDB refused the SQL: {e}\n{sql}"));
        if got != want {
            let only =
                |a: &[String], b: &[String]| a.iter().filter(|x| !b.contains(x)).take(5).cloned().collect::<Vec<_>>();
            panic!(
                "query {q}: DuckDB {} events, trailscope {}; only trailscope: {:?}; only DuckDB: {:?}\n{sql}",
                got.len(),
                want.len(),
                only(&want, &got),
                only(&got, &want)
            );
        }
        hits += usize::from(!want.is_empty());
    }
    eprintln!("{test}: {} compared, {hits} selected something", compared.len());
    (compared.len(), hits)
}

#[test]
fn the_sql_selects_what_trailscope_selects_for_the_query_corpus() {
    let Some(python) = python("athena-corpus") else { return };
    let loaded = Loaded::new("athena-corpus", &[sample()]);
    let queries: Vec<Query> = QUERY_CORPUS.iter().map(|q| parse(q).unwrap()).collect();
    let (compared, hits) = agree("athena-corpus", &python, &loaded, &queries);
    let fuzzy = queries.iter().filter(|q| q.terms.iter().any(|t| matches!(t.kind, TermKind::Fuzzy(_)))).count();
    assert_eq!(compared + fuzzy, queries.len(), "only fuzzy words are refused");
    assert!(hits >= 30, "{hits} of {compared} queries selected something");
}

#[test]
fn the_sql_selects_what_trailscope_selects_for_generated_queries() {
    let Some(python) = python("athena-generated") else { return };
    let loaded = Loaded::new("athena-generated", &[sample()]);
    let queries = generated_queries(&loaded.store, &loaded.records, &loaded.order, 0x5eed_a7e7a, 400);
    let (compared, hits) = agree("athena-generated", &python, &loaded, &queries);
    assert!(compared >= 360, "only {compared} of 400 translated");
    assert!(hits >= 150, "only {hits} of {compared} selected something");
}

#[test]
fn the_sql_selects_what_trailscope_selects_on_real_events() {
    let Some(shared) = shared("athena-real") else { return };
    let Some(python) = python("athena-real") else { return };
    let loaded = Loaded::new("athena-real", &[shared.join("corpus/real")]);
    let mut queries: Vec<Query> = QUERY_CORPUS.iter().map(|q| parse(q).unwrap()).collect();
    queries.extend(generated_queries(&loaded.store, &loaded.records, &loaded.order, 0xc0ffee, 400));
    let (compared, hits) = agree("athena-real", &python, &loaded, &queries);
    assert!(compared >= 380 && hits >= 150, "{compared} compared, {hits} selected something");
}

#[test]
fn the_commands_print_the_table_and_the_sql_and_refuse_by_name() {
    let out = run(&["athena", "ddl", "--bucket", "org-trail", "--org", "o-abc123", "--account", "111122223333"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ddl = stdout(&out);
    assert!(ddl.starts_with("CREATE EXTERNAL TABLE cloudtrail_logs ("), "{ddl}");
    assert!(ddl.contains("s3://org-trail/AWSLogs/o-abc123/${accountid}/CloudTrail/${region}/${timestamp}"), "{ddl}");
    let out = run(&["athena", "ddl", "--bucket", "b", "--account", "12"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"12\" is not an account ID"), "{}", stderr(&out));

    let out =
        run(&["athena", "sql", "-q", "name:StopLogging region:eu-west-1", "--since", "2024-03-01", "--table", "trail"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let sql = stdout(&out);
    for part in [
        "SELECT *\nFROM trail\nWHERE",
        "\"region\" = 'eu-west-1'",
        "\"timestamp\" >= '2024/02/29'",
        "lower(eventname) = 'stoplogging'",
        "ORDER BY eventtime;",
    ] {
        assert!(sql.contains(part), "{part:?} in\n{sql}");
    }
    let out = run(&["athena", "sql", "-q", "name:Get* -rule:*"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("Athena cannot answer rule:*: only trailscope computes rule"), "{err}");
    assert!(stdout(&out).is_empty());
}

/// Runs `code` with the test tools' Python (boto3 and requests are there).
fn python_call(python: &Path, code: &str, input: &str, server: &common::s3::Server) -> String {
    use std::io::Write;
    let mut child = Command::new(python)
        .args(["-c", code, &server.endpoint()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{code}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn athena_run_loads_exactly_the_events_athena_returned() {
    let Some(python) = common::s3::python("athena-run") else { return };
    let dir = tempdir("athena-run");
    let trail = dir.join("trail");
    let keys = common::s3::write_trail(&trail);
    let server = common::s3::Server::start(&python, &dir.join("requests.log"), &[("trail", &trail)], "[]");
    // What Athena will answer (moto runs no SQL, it returns what it is
    // given): the events of u1 in the first account, with their objects,
    // after the header row Athena puts first.
    let mut rows = vec![("eventid".to_string(), "object".to_string())];
    for key in keys.iter().filter(|k| k.contains(common::s3::ACCOUNTS[0])) {
        for r in reference_records(&trail.join(key)) {
            if r["userIdentity"]["userName"] == "u1" {
                rows.push((r["eventID"].as_str().unwrap().to_string(), format!("s3://trail/{key}")));
            }
        }
    }
    let cell = |v: &str| serde_json::json!({ "VarCharValue": v });
    let seeded = serde_json::json!({ "results": [{
        "rows": rows.iter().map(|(e, o)| serde_json::json!({ "Data": [cell(e), cell(o)] })).collect::<Vec<_>>(),
        "column_info": [
            { "Name": "eventid", "Label": "eventid", "Type": "varchar" },
            { "Name": "object", "Label": "object", "Type": "varchar" },
        ],
    }]});
    python_call(
        &python,
        "import json, sys, requests\nr = requests.post(sys.argv[1] + '/moto-api/static/athena/query-results', json=json.load(sys.stdin))\nassert r.status_code == 201, r.text",
        &seeded.to_string(),
        &server,
    );
    server.take_log();

    let saved = dir.join("cut.json");
    let q = "actor:u1 recipientaccountid:111111111111";
    let out = server
        .bin()
        .args(["athena", "run", "-q", q, "--since", "2024-03-01", "--workgroup", "primary", "--database", "trails"])
        .arg("--save")
        .arg(&saved)
        .arg("--no-explore")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains(common::s3::SECRET) && !stdout(&out).contains(common::s3::SECRET));
    let matches = rows.len() - 1;
    assert!(err.contains(" succeeded, 0 bytes scanned"), "{err}");
    assert!(err.contains(&format!("athena: {matches} events in {} objects", matches)), "{err}");
    let sel: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    assert_eq!(sel["trailscope"], "athena-result");
    assert_eq!(sel["query"], q);
    let sql = sel["sql"].as_str().unwrap();
    assert!(sql.contains("SELECT eventid, \"$path\" AS object\nFROM cloudtrail_logs\nWHERE"), "{sql}");
    assert!(sql.contains("\"accountid\" = '111111111111'") && sql.contains("\"timestamp\" >= '2024/02/29'"), "{sql}");
    // The statement reached Athena as saved, in the workgroup and database asked for.
    let sent = python_call(
        &python,
        // A JSON-protocol call as the SDKs make it (moto does not check the signature).
        "import json, sys, requests\n\
         h = {'X-Amz-Target': 'AmazonAthena.GetQueryExecution', 'Content-Type': 'application/x-amz-json-1.1',\n\
              'Authorization': 'AWS4-HMAC-SHA256 Credential=x/20240101/us-east-1/athena/aws4_request, SignedHeaders=host, Signature=0'}\n\
         r = requests.post(sys.argv[1] + '/', headers=h, data=json.dumps({'QueryExecutionId': sys.stdin.read()}))\n\
         e = r.json()['QueryExecution']\n\
         print(e['WorkGroup']); print(e['QueryExecutionContext']['Database']); print(e['Query'], end='')",
        sel["execution"].as_str().unwrap(),
        &server,
    );
    assert_eq!(sent, format!("primary\ntrails\n{sql}"));

    // The saved result is a source: exactly the returned events load, from
    // exactly their objects, with no listing.
    let out = server.bin().args(["query", "--format", "jsonl"]).arg(&saved).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mut got: Vec<String> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["eventID"].as_str().unwrap().to_string())
        .collect();
    let mut want: Vec<String> = rows[1..].iter().map(|(e, _)| e.clone()).collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    let log = server.take_log();
    let fetched: std::collections::BTreeSet<String> = common::s3::fetched_keys(&log, "trail").into_iter().collect();
    let objects: std::collections::BTreeSet<String> =
        rows[1..].iter().map(|(_, o)| o.trim_start_matches("s3://trail/").to_string()).collect();
    assert_eq!(fetched, objects);
    assert!(!log.iter().any(|(_, t, _)| t.contains("list-type")), "no listing: {log:?}");
    let stats = server.bin().args(["stats", "--json"]).arg(&saved).output().unwrap();
    let v: Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(v["events"], matches as u64);
    assert!(v["outside_cut"].as_u64().unwrap_or(0) > 0, "the other events of those objects were left out: {v}");
    // With a cache, the second reading fetches nothing and makes no request at all.
    server.take_log();
    let cache = dir.join("cache");
    for round in 0..2 {
        let out = server.bin().args(["stats", "--json", "--cache"]).arg(&cache).arg(&saved).output().unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["events"], matches as u64, "round {round}");
        let log = server.take_log();
        let fetched = common::s3::fetched_keys(&log, "trail").len();
        assert_eq!((round, fetched, log.is_empty()), if round == 0 { (0, matches, false) } else { (1, 0, true) });
    }
}

/// What moto's Athena does not do, scripted at the test server: a run that
/// fails or is cancelled after running a while says why (without the
/// terminal controls Athena's text may hold) and saves nothing; results
/// over several pages are all read.
#[test]
fn athena_run_says_why_a_run_ended_and_reads_every_page() {
    use serde_json::json;
    let Some(python) = common::s3::python("athena-states") else { return };
    let dir = tempdir("athena-states");
    let execution = |state: &str, reason: &str| {
        json!({ "amz_target": "AmazonAthena.GetQueryExecution", "times": -1, "json": { "QueryExecution": {
            "QueryExecutionId": "q-1", "Status": { "State": state, "StateChangeReason": reason },
            "Statistics": { "DataScannedInBytes": 3 << 20 } } } })
    };
    let running = || {
        let mut r = execution("RUNNING", "");
        r["times"] = json!(1);
        r
    };
    let run = |name: &str, faults: Value| {
        let server = common::s3::Server::start(&python, &dir.join(format!("{name}.log")), &[], &faults.to_string());
        let saved = dir.join(format!("{name}.json"));
        let out = server
            .bin()
            .args(["athena", "run", "-q", "name:StopLogging", "--workgroup", "primary", "--save"])
            .arg(&saved)
            .arg("--no-explore")
            .output()
            .unwrap();
        (out, saved)
    };
    for (state, reason, said) in [
        ("FAILED", "SYNTAX_ERROR: line 3:7: Column 'x' cannot be resolved\u{1b}[2J", "the query failed: SYNTAX_ERROR"),
        ("CANCELLED", "Query cancelled by user", "the query was cancelled: Query cancelled by user"),
    ] {
        let (out, saved) = run(state, json!([running(), execution(state, reason)]));
        let err = stderr(&out);
        assert!(!out.status.success(), "{state}: {err}");
        assert!(err.contains("running, 3.0 MB scanned") && err.contains(said), "{state}: {err}");
        assert!(!err.contains('\u{1b}'), "no terminal control from Athena's text: {err:?}");
        assert!(!saved.exists(), "{state}: nothing saved");
    }
    // Five matches over three pages, the column names first on the first.
    let cell = |v: &str| json!({ "VarCharValue": v });
    let row = |e: &str, o: &str| json!({ "Data": [cell(e), cell(o)] });
    let columns = json!({ "ColumnInfo": [
        { "Name": "eventid", "Type": "varchar" }, { "Name": "object", "Type": "varchar" } ] });
    let page = |rows: Vec<Value>, next: Option<&str>| {
        let mut body = json!({ "ResultSet": { "Rows": rows, "ResultSetMetadata": columns } });
        if let Some(n) = next {
            body["NextToken"] = json!(n);
        }
        json!({ "amz_target": "AmazonAthena.GetQueryResults", "times": 1, "json": body })
    };
    let (a, b) = ("s3://trail/a.json.gz", "s3://trail/b.json.gz");
    let faults = json!([
        execution("SUCCEEDED", ""),
        page(vec![row("eventid", "object"), row("e1", a), row("e2", a)], Some("t2")),
        page(vec![row("e3", b), row("e4", a)], Some("t3")),
        page(vec![row("e5", b)], None),
    ]);
    let (out, saved) = run("pages", faults);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("athena: 5 events in 2 objects"), "{err}");
    let sel: Value = serde_json::from_str(&std::fs::read_to_string(&saved).unwrap()).unwrap();
    let objects: Vec<(String, Vec<String>)> = sel["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let events = o["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect();
            (o["url"].as_str().unwrap().to_string(), events)
        })
        .collect();
    let want = |o: &str, e: &[&str]| (o.to_string(), e.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(objects, vec![want(a, &["e1", "e2", "e4"]), want(b, &["e3", "e5"])]);
}
