//! `trailscope export`: each format read back by a parser, every exported
//! record equal to its source, CSV cells that cannot be formulas, and a
//! file written whole.

use crate::common;
use common::*;
use serde_json::Value;

fn export(args: &[&str]) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let o = run(&all);
    assert!(o.status.success(), "{}", stderr(&o));
    stdout(&o)
}

#[test]
fn every_format_reads_back_and_holds_the_matching_records() {
    let sample = sample().to_string_lossy().into_owned();
    let q = "level:high";
    let source: Vec<Value> = stdout(&run(&["query", "-q", q, "--format", "jsonl", &sample]))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(source.len() > 10);
    // JSON lines: the full record, with what trailscope worked out beside it.
    let lines: Vec<Value> =
        export(&["-q", q, "--format", "jsonl", &sample]).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), source.len());
    for (mut got, want) in lines.into_iter().zip(&source) {
        let t = got.as_object_mut().unwrap().remove("trailscope").expect("the trailscope object");
        assert_eq!(&got, want);
        assert_eq!(t["level"], "high");
        assert!(!t["rules"].as_array().unwrap().is_empty() && t["origin"].is_string());
    }
    // CSV: a header, then one row per event, every row as wide as the header.
    let rows = read_csv(&export(&["-q", q, "--format", "csv", &sample]));
    assert_eq!(rows[0][..3], ["time", "level", "event"]);
    assert_eq!(rows.len() - 1, source.len());
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    let id = rows[0].iter().position(|c| c == "event_id").unwrap();
    for (r, want) in rows[1..].iter().zip(&source) {
        assert_eq!(r[id], want["eventID"].as_str().unwrap());
        assert_eq!(r[2], want["eventName"].as_str().unwrap());
    }
    // Timesketch: message, datetime and timestamp_desc on every line.
    for l in export(&["-q", q, "--format", "timesketch", &sample]).lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        for f in ["message", "datetime", "timestamp_desc"] {
            assert!(v[f].as_str().is_some_and(|s| !s.is_empty()), "{f} in {l}");
        }
        assert!(trailscope::model::time::parse_event_time(v["datetime"].as_str().unwrap()).is_some());
    }
    // Markdown: a timeline table with a row per event.
    let md = export(&["-q", q, "--format", "markdown", &sample]);
    assert_eq!(md.lines().filter(|l| l.starts_with("| 20")).count(), source.len());
}

#[test]
fn csv_cells_are_never_formulas_and_files_are_written_whole() {
    let dir = tempdir("export");
    let ev = serde_json::json!({"eventTime": "2024-03-01T10:00:00Z", "eventName": "=HYPERLINK(\"http://x\")", "eventID": "e1",
        "eventSource": "iam.amazonaws.com", "userAgent": "+cmd,\"quoted\"\nnext", "userIdentity": {"type": "IAMUser", "userName": "@SUM(A1)"}});
    std::fs::write(dir.join("e.json"), format!("{ev}\n")).unwrap();
    let path = dir.join("e.json").to_string_lossy().into_owned();
    let rows = read_csv(&export(&["--format", "csv", &path]));
    assert_eq!(rows.len(), 2);
    let row = &rows[1];
    assert_eq!(row[2], "'=HYPERLINK(\"http://x\")");
    assert_eq!(row[4], "'@SUM(A1)");
    assert_eq!(row[10], "'+cmd,\"quoted\"\nnext");
    // -o: the file appears whole, and the count is said.
    let out = dir.join("out.csv");
    let o = run(&["export", "--format", "csv", "-o", &out.to_string_lossy(), &path]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("wrote 1 event to"), "{}", stderr(&o));
    assert_eq!(read_csv(&std::fs::read_to_string(&out).unwrap()), rows);
    assert!(std::fs::read_dir(&dir).unwrap().all(|e| !e.unwrap().file_name().to_string_lossy().ends_with(".part")));
}
