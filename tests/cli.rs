//! The real binary, end to end, on the bundled sample and on files made here.

use crate::common;
use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::process::Stdio;

fn s(p: &std::path::Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn stats_of_the_sample_match_a_plain_reading() {
    let records = reference_tree(&sample());
    let v = stats_json(&[&s(&sample())]);
    assert_eq!(v["events"].as_u64().unwrap() as usize, records.len());
    assert_eq!(v["duplicates"], 0);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
    assert_eq!(v["digest_files"], 2);
    for (facet, key) in [
        ("eventName", "eventName"),
        ("awsRegion", "awsRegion"),
        ("errorCode", "errorCode"),
        ("recipientAccountId", "recipientAccountId"),
    ] {
        let mut want: HashMap<String, u64> = HashMap::new();
        for r in &records {
            if let Some(x) = r.get(key).and_then(Value::as_str) {
                *want.entry(x.to_string()).or_default() += 1;
            }
        }
        if facet == "eventName" {
            // The Insights event is named inside insightDetails.
            *want.entry("GetObject".into()).or_default() += records
                .iter()
                .filter(|r| r.get("eventType").and_then(Value::as_str) == Some("AwsCloudTrailInsight"))
                .count() as u64;
        }
        let got: HashMap<String, u64> =
            v["facets"][facet].as_object().unwrap().iter().map(|(k, n)| (k.clone(), n.as_u64().unwrap())).collect();
        assert_eq!(got, want, "{facet}");
    }
    let times: Vec<&str> = records.iter().filter_map(|r| r["eventTime"].as_str()).collect();
    assert_eq!(v["first"].as_str(), times.iter().min().copied());
    assert_eq!(v["last"].as_str(), times.iter().max().copied());
}

#[test]
fn jsonl_is_semantically_the_input_in_time_order() {
    let by_id: HashMap<String, Value> =
        reference_tree(&sample()).into_iter().map(|r| (r["eventID"].as_str().unwrap().to_string(), r)).collect();
    let o = run(&["query", "--format", "jsonl", &s(&sample())]);
    assert!(o.status.success());
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).expect("each line is JSON")).collect();
    assert_eq!(lines.len(), by_id.len());
    let mut last = String::new();
    for l in &lines {
        assert_eq!(l, &by_id[l["eventID"].as_str().unwrap()]);
        let t = l["eventTime"].as_str().unwrap().to_string();
        assert!(t >= last, "time order");
        last = t;
    }
}

#[test]
fn query_filters_and_limits() {
    let o = run(&["query", "-q", "ip:198.51.100.23 name:Create*", &s(&sample())]);
    let out = stdout(&o);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows.iter().all(|r| r.contains("198.51.100.23") && r.contains(" Create")));
    let o = run(&["query", "--limit", "2", "--format", "jsonl", &s(&sample())]);
    assert_eq!(stdout(&o).lines().count(), 2);
}

#[test]
fn exit_statuses() {
    let o = run(&["stats", "-q", "name:\"unclosed", &s(&sample())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("never closed") && stderr(&o).contains('^'));
    assert_eq!(run(&["stats", "--no-such-flag", "x"]).status.code(), Some(2));
    assert_eq!(run(&["stats"]).status.code(), Some(2));
    let o = run(&["stats", "/nonexistent/trailscope/path"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no such file"));
    let dir = tempdir("garbage-only");
    std::fs::write(dir.join("x.json"), b"not json").unwrap();
    assert_eq!(run(&["stats", &s(&dir)]).status.code(), Some(1));
    std::fs::write(dir.join("y.json"), br#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z"}]}"#).unwrap();
    let o = run(&["stats", &s(&dir)]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("warning:") && stderr(&o).contains("x.json"));
}

#[test]
fn help_documents_commands_and_the_language() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let h = stdout(&o);
    for want in ["stats", "query", "Examples", "after:", "-error:", "requestParameters.bucketName"] {
        assert!(h.contains(want), "--help lacks {want}");
    }
    for cmd in ["stats", "query"] {
        let o = run(&[cmd, "--help"]);
        assert_eq!(o.status.code(), Some(0));
        assert!(stdout(&o).contains("Examples"), "{cmd} --help");
    }
}

#[test]
fn standard_input_any_shape_gzip_or_not() {
    let lines = "{\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":\"A\",\"eventID\":\"1\"}\r\n{\"eventTime\":\"2024-01-01 00:00:01\",\"eventName\":\"B\",\"eventID\":\"2\"}\r\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(lines.as_bytes()).unwrap();
    for input in [lines.as_bytes().to_vec(), gz.finish().unwrap()] {
        let mut child =
            bin().args(["stats", "--json", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let o = child.wait_with_output().unwrap();
        let v: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["events"], 2);
        assert_eq!(v["first"], "2024-01-01T00:00:00Z");
        assert_eq!(v["last"], "2024-01-01T00:00:01Z");
    }
}

#[test]
fn overlapping_paths_and_duplicates_are_read_once() {
    let dir = tempdir("overlap");
    let ev = |id: &str, t: &str| {
        format!(r#"{{"eventTime":"{t}","eventName":"X","eventSource":"s3.amazonaws.com","eventID":"{id}"}}"#)
    };
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(
        dir.join("a/b/one.json"),
        format!("{{\"Records\":[{},{}]}}", ev("e1", "2024-01-01T00:00:00Z"), ev("e2", "2024-01-01T00:00:01Z")),
    )
    .unwrap();
    // The same event delivered again in another file, and a placeholder id reused by another event.
    std::fs::write(
        dir.join("a/two.jsonl"),
        format!("{}\n{}\n", ev("e1", "2024-01-01T00:00:00Z"), ev("e2", "2024-02-02T00:00:00Z")),
    )
    .unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&dir, dir.join("a/b/loop")).unwrap();
    let v = stats_json(&[&s(&dir), &s(&dir.join("a")), &s(&dir.join("a/b/one.json"))]);
    assert_eq!(v["events"], 3);
    assert_eq!(v["duplicates"], 1);
    assert_eq!(v["files"], 2);
}

#[test]
fn folder_walk_reads_log_names_and_counts_the_rest() {
    let dir = tempdir("names");
    let rec = br#"{"Records":[{"eventTime":"2024-01-01T00:00:00Z","eventID":"a"}]}"#;
    std::fs::write(dir.join("notes.txt"), rec).unwrap();
    std::fs::write(dir.join("log.json.bak"), rec).unwrap();
    std::fs::write(dir.join("x.gz"), rec).unwrap(); // named .gz, not compressed: sniffed
    let v = stats_json(&[&s(&dir)]);
    assert_eq!((v["events"].as_u64(), v["skipped_files"].as_u64()), (Some(1), Some(2)));
    // A file named explicitly is read whatever its name.
    let v = stats_json(&[&s(&dir.join("notes.txt"))]);
    assert_eq!(v["events"], 1);
}

#[test]
fn table_output_never_carries_control_characters() {
    let dir = tempdir("hostile-table");
    let ev = serde_json::json!({"eventTime": "2024-01-01T00:00:00Z", "eventName": "Get\u{1b}[2JObject", "awsRegion": "us-east-1\u{202e}",
        "userIdentity": {"type": "IAMUser", "userName": "eve\r\u{7}\u{9b}31m"}, "errorCode": "\u{1b}]52;c;ZWNobw==\u{7}"});
    std::fs::write(dir.join("h.json"), ev.to_string()).unwrap();
    let out = stdout(&run(&["query", &s(&dir)]));
    assert!(out.contains("Get\\u001b[2JObject") && out.contains("eve\\u000d\\u0007\\u009b31m"), "{out}");
    assert!(
        !out.chars().any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
        "raw control character in table output"
    );
    let o = run(&["query", "--format", "jsonl", "-q", "agent:*legit-agent*", &s(&sample())]);
    let out = stdout(&o);
    assert_eq!(out.lines().count(), 1);
    assert!(!out.chars().any(|c| c.is_control() && c != '\n') && !out.contains('\u{202e}'));
}

#[test]
fn a_path_query_through_200_000_nested_arrays_answers() {
    let dir = tempdir("cli-deep");
    let n = 200_000;
    let file = dir.join("deep.json");
    let rec = format!(
        r#"{{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","b":1,"a":{}{{"b":"x"}}{}}}"#,
        "[".repeat(n),
        "]".repeat(n)
    );
    std::fs::write(&file, rec).unwrap();
    for (q, want) in [("a.b:x", 1), ("a.b:y", 0), ("a.b.c:x", 0)] {
        let o = run(&["query", "-q", q, "--format", "jsonl", &s(&file)]);
        assert_eq!(o.status.code(), Some(0), "{q}: {}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), want, "{q}");
    }
}

#[test]
fn queries_may_start_with_a_dash_in_every_command() {
    let sample = s(&sample());
    let all = stats_json(&[&sample])["events"].as_u64().unwrap();
    let with_errors = stats_json(&["-q", "error:*", &sample])["events"].as_u64().unwrap();
    assert!(with_errors > 0 && with_errors < all);
    for args in [["-q", "-error:*"], ["--query", "-error:*"]] {
        let v = stats_json(&[args[0], args[1], &sample]);
        assert_eq!(v["events"].as_u64().unwrap(), all - with_errors, "{args:?}");
    }
    let v = stats_json(&["--query=-error:*", &sample]);
    assert_eq!(v["events"].as_u64().unwrap(), all - with_errors);
    let o = run(&["query", "-q", "-error:* -source:s3", "--format", "jsonl", &sample]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l.get("errorCode").is_none() && l["eventSource"] != "s3.amazonaws.com"));
    let o = run(&["bench", "--json", "-q", "-error:*", &sample]);
    assert!(o.status.success(), "{}", stderr(&o));
    let report: Value = serde_json::from_slice(&o.stdout).unwrap();
    let typed: Vec<&str> =
        report["keystrokes"].as_array().unwrap().iter().map(|k| k["typed"].as_str().unwrap()).collect();
    assert_eq!(typed.last(), Some(&"-error:*"), "bench replays the given query: {typed:?}");
    let o = run(&["actors", "--json", "-q", "-error:*", &sample]);
    let actors: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert_eq!(actors.iter().map(|a| a["events"].as_u64().unwrap()).sum::<u64>(), all - with_errors);
    // A malformed query that starts with a dash is still a query error (2), not a usage error about flags.
    let o = run(&["stats", "-q", "- x", &sample]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("must be followed by the term it negates"), "{}", stderr(&o));
}

#[test]
fn the_four_new_fields_are_queried_counted_and_shown() {
    let dir = tempdir("cli-new-fields");
    let file = dir.join("e.jsonl");
    let ev = |id: &str, vpce: Option<&str>, msg: Option<&str>| {
        let mut e = serde_json::json!({
            "eventTime": "2024-01-01T00:00:00Z", "eventID": id, "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "userIdentity": {"type": "AssumedRole", "principalId": format!("AROAX:{id}"), "arn": format!("arn:aws:sts::1:assumed-role/R/{id}")},
        });
        if let Some(v) = vpce {
            e["vpcEndpointId"] = v.into();
        }
        if let Some(m) = msg {
            e["errorMessage"] = m.into();
        }
        e.to_string()
    };
    let lines = [
        ev("a", Some("vpce-111"), None),
        ev("b", Some("vpce-111"), Some("Access Denied for bucket x")),
        ev("c", Some("vpce-222"), None),
        ev("d", None, Some("throttled")),
    ];
    std::fs::write(&file, lines.join("\n")).unwrap();
    // Events of the same time come in an order of their content: compared as sets.
    let ids = |q: &str| -> Vec<String> {
        let o = run(&["query", "-q", q, "--format", "jsonl", &s(&file)]);
        assert!(o.status.success(), "{q}: {}", stderr(&o));
        let mut v: Vec<String> = stdout(&o)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["eventID"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(ids("vpce:vpce-111"), ["a", "b"]);
    assert_eq!(ids("vpcEndpointId:vpce-2*"), ["c"]);
    assert_eq!(ids("-vpce:*"), ["d"]);
    assert_eq!(ids("message:*denied*"), ["b"]);
    assert_eq!(ids("errorMessage:throttled"), ["d"]);
    assert_eq!(ids("arn:*/R/c"), ["c"]);
    assert_eq!(ids("principal:AROAX:a"), ["a"]);
    assert_eq!(ids("userIdentity.principalId:AROAX:a"), ["a"], "the path spelling agrees");
    // Facets of the new columns are counted where the table says.
    let o = run(&["stats", "--json", &s(&file)]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["facets"].get("vpcEndpointId").is_none(), "not one of the stats facets");
}

#[test]
fn completions_and_the_manual_come_from_the_argument_definitions() {
    for shell in ["bash", "zsh", "fish"] {
        let o = run(&["completions", shell]);
        assert!(o.status.success(), "{shell}");
        let text = stdout(&o);
        for sub in ["incidents", "export", "detect", "min-level"] {
            assert!(text.contains(sub), "{shell} completions know {sub}");
        }
    }
    // The bash script is valid bash.
    let dir = tempdir("completions");
    let script = dir.join("trailscope.bash");
    std::fs::write(&script, stdout(&run(&["completions", "bash"]))).unwrap();
    if let Ok(st) = std::process::Command::new("bash").arg("-n").arg(&script).status() {
        assert!(st.success(), "bash -n on the completions");
    }
    let o = run(&["man"]);
    assert!(o.status.success());
    let page = stdout(&o);
    assert!(page.contains(".TH trailscope 1"));
    for sub in ["STATS", "QUERY", "DETECT", "TRACE", "ACTORS", "INCIDENTS", "EXPORT", "BENCH"] {
        assert!(page.contains(&format!(".SH \"TRAILSCOPE {sub}\"")), "a section for {sub}");
    }
    assert!(page.contains("\\-\\-gap"), "options of the commands are in it");
}

/// Past `--memory-limit`, loading stops and says so first, naming the way
/// out; what was read stays usable. Without a limit everything loads.
#[test]
fn loading_stops_at_the_memory_limit_and_says_so() {
    let sample = s(&sample());
    let o = run(&["stats", "--json", "--memory-limit", "1M", &sample]);
    let err = stderr(&o);
    assert!(err.contains("loading stopped at 0 events") && err.contains("--memory-limit"), "{err}");
    assert!(err.contains("--since") && err.contains("athena"), "what to do instead: {err}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert_eq!(v["events"], 0, "{v}");
    let all = run(&["stats", "--json", "--memory-limit", "0", &sample]);
    let v: serde_json::Value = serde_json::from_slice(&all.stdout).unwrap();
    assert!(v["events"].as_u64().unwrap() > 300 && !stderr(&all).contains("loading stopped"), "{v}");
    assert_eq!(run(&["stats", "--memory-limit", "lots", &sample]).status.code(), Some(2), "a size it cannot read");
}
