//! The case: marks, tags and notes made in the explorer are kept in the case
//! file, found again after a reload (even when eventIDs repeat), searched
//! with `mark:`, `tag:` and `note:`, exported, and never written by two
//! explorers at once.

use crate::common;
use common::tui::Harness;
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use trailscope::case::{Book, CaseFile};
use trailscope::model::fields::Field;

/// The case at `path` opened as the explorer opens it, and what it said.
fn open_case(path: &Path, inputs: &[PathBuf]) -> (Arc<RwLock<Book>>, Option<String>) {
    let shown: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let o = CaseFile::open(path, &shown, "2026-01-01T00:00:00Z").expect("a case");
    (Arc::new(RwLock::new(Book::new(o.case, Some(o.file)))), o.read_only)
}

/// The eventIDs of the events the explorer lists for `query`.
fn listed(h: &mut Harness, query: &str) -> Vec<String> {
    h.key(KeyCode::Char('/')).key_mod(KeyCode::Char('u'), KeyModifiers::CONTROL).keys(query).key(KeyCode::Enter);
    let s = h.store.read().unwrap();
    let mut cache = trailscope::store::blobs::ChunkCache::new(1);
    h.app.results().ids.iter().map(|&id| s.event_id(id, &mut cache)).collect()
}

fn case_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn marks_tags_and_notes_are_kept_and_found_after_a_reload() {
    let dir = tempdir("case-reload");
    let path = dir.join("case.json");
    let inputs = vec![sample()];
    let (book, notice) = open_case(&path, &inputs);
    assert!(notice.is_none());
    let mut h = Harness::in_case(&inputs, (160, 45), "", book);
    // One event marked, then a range of three.
    listed(&mut h, "name:CreateUser");
    h.key(KeyCode::Char('m'));
    assert_eq!(h.app.status.as_deref(), Some("marked 1 event"));
    listed(&mut h, "source:s3");
    h.key(KeyCode::Char('v')).key(KeyCode::Char('j')).key(KeyCode::Char('j')).key(KeyCode::Char('m'));
    assert_eq!(h.app.status.as_deref(), Some("marked 3 events"));
    assert_eq!(h.app.panes.list.anchor, None, "the range is done with");
    // The third is tagged and noted.
    h.key(KeyCode::Char('T')).keys("data exfil").key(KeyCode::Enter);
    assert_eq!(h.app.status.as_deref(), Some("tagged 1 event data-exfil"));
    h.key(KeyCode::Char('C')).keys("copied the bucket out").key(KeyCode::Enter);
    assert_eq!(h.app.status.as_deref(), Some("noted the event"));
    let screen = h.screen();
    assert!(screen.contains("tags: data-exfil") && screen.contains("copied the bucket out"), "{screen}");
    let marked = listed(&mut h, "mark:*");
    assert_eq!(marked.len(), 4);
    assert_eq!(listed(&mut h, "tag:data*").len(), 1);
    assert_eq!(listed(&mut h, "note:\"BUCKET\"").len(), 1, "a note is found by a word in it, any case");
    assert_eq!(listed(&mut h, "note:* -tag:*").len(), 0);
    assert_eq!(listed(&mut h, "mark:* -source:s3"), listed(&mut h, "name:CreateUser"));
    // The mark column shows the marks.
    listed(&mut h, "mark:*");
    let screen = h.screen();
    assert!(screen.contains("M ! TIME"), "a mark column heading:\n{screen}");
    // Saved as it went: the file holds the marks, with the keys that find them again.
    let saved = case_json(&path);
    assert_eq!(saved["format"], "trailscope-case");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["events"].as_array().unwrap().len(), 4);
    assert_eq!(saved["history"].as_array().unwrap().last().unwrap()["query"], "mark:*");
    drop(h);
    // Another session, files named in another order: the same events come back.
    let (book, notice) = open_case(&path, &inputs);
    assert!(notice.is_none(), "the first explorer is gone: the case is writable again");
    let mut h = Harness::in_case(&inputs, (160, 45), "", book);
    assert_eq!(listed(&mut h, "mark:*"), marked);
    assert_eq!(listed(&mut h, "tag:data-exfil").len(), 1);
    // Unmarking all four leaves the tagged one kept (its tag and note), the others dropped.
    listed(&mut h, "mark:*");
    h.key(KeyCode::Char('g')).key(KeyCode::Char('v')).key(KeyCode::Char('G')).key(KeyCode::Char('m'));
    assert_eq!(h.app.status.as_deref(), Some("unmarked 4 events"));
    assert!(h.app.results().ids.is_empty(), "mark:* searched again: nothing marked");
    let saved = case_json(&path);
    assert_eq!(saved["events"].as_array().unwrap().len(), 1);
    assert!(saved["events"][0].get("marked").is_none());
}

/// Two records with one placeholder eventID and the same time, source and
/// name, told apart by content; and a record with no eventID at all.
fn lookalikes(dir: &Path) -> (PathBuf, PathBuf) {
    let event = |ip: &str, id: Option<&str>| {
        let mut v = serde_json::json!({
            "eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": ip,
            "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "111122223333"},
            "recipientAccountId": "111122223333"
        });
        if let Some(id) = id {
            v["eventID"] = id.into();
        }
        v.to_string()
    };
    let a = dir.join("a.jsonl");
    let b = dir.join("b.jsonl");
    std::fs::write(&a, event("203.0.113.1", Some("00000000-0000-0000-0000-000000000000")) + "\n").unwrap();
    let more = [event("198.51.100.7", Some("00000000-0000-0000-0000-000000000000")), event("192.0.2.9", None)];
    std::fs::write(&b, more.join("\n") + "\n").unwrap();
    (a, b)
}

#[test]
fn events_whose_ids_repeat_are_told_apart_by_content() {
    let dir = tempdir("case-lookalikes");
    let (a, b) = lookalikes(&dir);
    let path = dir.join("case.json");
    let inputs = vec![a.clone(), b.clone()];
    let (book, _) = open_case(&path, &inputs);
    let mut h = Harness::in_case(&inputs, (120, 30), "", book);
    for ip in ["198.51.100.7", "192.0.2.9"] {
        listed(&mut h, &format!("ip:{ip}"));
        h.key(KeyCode::Char('m'));
    }
    drop(h);
    // Loaded the other way round (ids differ), the marks stay on the same records.
    let reversed = vec![b, a];
    let (book, _) = open_case(&path, &reversed);
    let mut h = Harness::in_case(&reversed, (120, 30), "", book);
    listed(&mut h, "mark:*");
    let s = h.store.read().unwrap();
    let mut ips: Vec<&str> = h.app.results().ids.iter().map(|&id| s.value(id, Field::Ip)).collect();
    ips.sort();
    assert_eq!(ips, ["192.0.2.9", "198.51.100.7"]);
}

#[test]
fn a_second_explorer_reads_the_case_and_says_so() {
    let dir = tempdir("case-second");
    let path = dir.join("case.json");
    let inputs = vec![sample()];
    let (book, _) = open_case(&path, &inputs);
    let mut first = Harness::in_case(&inputs, (120, 30), "", book);
    listed(&mut first, "name:CreateUser");
    first.key(KeyCode::Char('m'));
    let (book, notice) = open_case(&path, &inputs);
    assert!(notice.as_deref().is_some_and(|n| n.contains("read-only")), "{notice:?}");
    let mut second = Harness::in_case(&inputs, (120, 30), "", book);
    assert_eq!(listed(&mut second, "mark:*").len(), 1, "it reads what the first kept");
    second.key(KeyCode::Char('m'));
    let status = second.app.status.clone().unwrap_or_default();
    assert!(status.starts_with("unmarked 1 event · not saved") && status.contains("read-only"), "{status}");
    assert_eq!(case_json(&path)["events"].as_array().unwrap().len(), 1, "the file is the first explorer's");
}

#[test]
fn the_prompt_recalls_queries_and_completes_tags() {
    let dir = tempdir("case-prompt");
    let (book, _) = open_case(&dir.join("case.json"), &[sample()]);
    let mut h = Harness::in_case(&[sample()], (120, 30), "", book);
    listed(&mut h, "name:CreateUser");
    listed(&mut h, "source:s3 -error:*");
    h.key(KeyCode::Char('/')).key_mod(KeyCode::Char('u'), KeyModifiers::CONTROL).keys("act");
    let text = |h: &Harness| h.app.prompt.as_ref().unwrap().text.clone();
    h.key(KeyCode::Up);
    assert_eq!(text(&h), "source:s3 -error:*");
    h.key(KeyCode::Up).key(KeyCode::Up);
    assert_eq!(text(&h), "name:CreateUser", "the oldest stays");
    h.key(KeyCode::Down);
    assert_eq!(text(&h), "source:s3 -error:*");
    h.key(KeyCode::Down);
    assert_eq!(text(&h), "act", "back to what was typed");
    h.key(KeyCode::Esc);
    // Tags: what was typed picks among the tags used, Tab goes round them.
    for t in ["exfil", "exploit", "recon"] {
        h.key(KeyCode::Char('j')).key(KeyCode::Char('T')).keys(t).key(KeyCode::Enter);
    }
    h.key(KeyCode::Char('j')).key(KeyCode::Char('T')).keys("ex");
    h.key(KeyCode::Tab);
    assert_eq!(text(&h), "exfil");
    h.key(KeyCode::Tab);
    assert_eq!(text(&h), "exploit");
    h.key(KeyCode::Tab);
    assert_eq!(text(&h), "exfil");
    assert!(h.screen().contains("Tab: exfil exploit recon"), "the footer lists the tags");
    h.key(KeyCode::Enter);
    assert_eq!(listed(&mut h, "tag:exfil").len(), 2);
    // A saved query shows in the case overlay, and Enter there searches it.
    listed(&mut h, "tag:ex*");
    h.key(KeyCode::Char('S')).keys("tagged ex").key(KeyCode::Enter);
    listed(&mut h, "");
    h.key(KeyCode::Char('K'));
    let screen = h.screen();
    assert!(screen.contains("tagged ex: tag:ex*") && screen.contains("exfil (2)"), "{screen}");
    let line = screen.lines().position(|l| l.contains("tagged ex: tag:ex*")).unwrap();
    let cursor = screen.lines().position(|l| l.contains("marked ·")).unwrap();
    for _ in cursor..line {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), "tag:ex*");
    assert_eq!(h.app.len(), 3);
}

#[test]
fn the_explorer_and_the_command_export_the_marks_with_their_tags_and_notes() {
    let dir = tempdir("case-export");
    let path = dir.join("case.json");
    let inputs = vec![sample()];
    let (book, _) = open_case(&path, &inputs);
    let mut h = Harness::in_case(&inputs, (120, 30), "", book);
    listed(&mut h, "name:CreateUser");
    h.key(KeyCode::Char('m')).key(KeyCode::Char('T')).keys("=HYPERLINK(\"x\")").key(KeyCode::Enter);
    h.key(KeyCode::Char('C')).keys("made by bob, \"not\" the admin").key(KeyCode::Enter);
    // The explorer's export: the matches, to the file named.
    let csv = dir.join("from-explorer.csv");
    h.key(KeyCode::Char('E')).key_mod(KeyCode::Char('u'), KeyModifiers::CONTROL).keys(&csv.display().to_string());
    h.key(KeyCode::Enter);
    let status = h.app.status.clone().unwrap_or_default();
    assert_eq!(status, format!("wrote 1 event to {} as CSV", csv.display()));
    let rows = read_csv(&std::fs::read_to_string(&csv).unwrap());
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][col("event")], "CreateUser");
    assert_eq!(rows[1][col("tags")], "'=HYPERLINK(x)", "a tag that reads as a formula is neutralised");
    assert_eq!(rows[1][col("notes")], "made by bob, \"not\" the admin");
    drop(h);
    // The command: --marked, with the case the explorer kept.
    let case = path.display().to_string();
    let o = run(&["export", "--case", &case, "--marked", "--format", "jsonl", &sample().display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    let t = &lines[0]["trailscope"];
    assert_eq!((t["marked"].as_bool(), t["tags"][0].as_str()), (Some(true), Some("=HYPERLINK(x)")));
    assert_eq!(t["notes"][0], "made by bob, \"not\" the admin");
    let o = run(&["export", "--case", &case, "--marked", "--format", "markdown", &sample().display().to_string()]);
    let md = stdout(&o);
    assert!(md.contains("1 event marked in the case") && md.contains("made by bob"), "{md}");
    assert!(md.contains("## Incidents") || !md.contains("| 1 |"), "{md}");
    // `mark` from a script, in the same case.
    let o =
        run(&["mark", "--case", &case, "-q", "name:StopLogging", "--tag", "evasion", &sample().display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["query", "--case", &case, "-q", "tag:evasion", "--format", "jsonl", &sample().display().to_string()]);
    assert_eq!(stdout(&o).lines().count(), 1);
    assert_eq!(case_json(&path)["events"].as_array().unwrap().len(), 2);
}

#[test]
fn a_file_that_is_not_a_case_is_refused_and_left_alone() {
    let dir = tempdir("case-refused");
    let path = dir.join("mine.json");
    std::fs::write(&path, "{\"my\": \"notes\"}").unwrap();
    let o =
        run(&["mark", "--case", &path.display().to_string(), "-q", "name:CreateUser", &sample().display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mine.json") && stderr(&o).contains("not a trailscope case"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"my\": \"notes\"}");
}

#[test]
fn a_range_too_large_to_keep_is_refused_with_a_way_out() {
    let dir = tempdir("case-range");
    let lines: String = (0..trailscope::tui::casework::MAX_RANGE + 5)
        .map(|i| {
            format!(
                "{{\"eventTime\":\"2024-05-01T10:{:02}:{:02}Z\",\"eventID\":\"e{i}\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\"}}\n",
                i / 60 % 60,
                i % 60
            )
        })
        .collect();
    let file = dir.join("many.jsonl");
    std::fs::write(&file, lines).unwrap();
    let (book, _) = open_case(&dir.join("case.json"), std::slice::from_ref(&file));
    let mut h = Harness::in_case(std::slice::from_ref(&file), (120, 30), "", book);
    h.key(KeyCode::Char('v')).key(KeyCode::Char('G')).key(KeyCode::Char('m'));
    let status = h.app.status.clone().unwrap_or_default();
    assert!(status.starts_with("a range marks or tags at most 10,000 events, this one has 10,005"), "{status}");
    assert_eq!(listed(&mut h, "mark:*").len(), 0);
    assert_eq!(case_json(&dir.join("case.json"))["events"].as_array().map(Vec::len), Some(0), "nothing was kept");
    // One event fewer than the bound from the top: kept.
    listed(&mut h, "");
    h.key(KeyCode::Char('g')).key(KeyCode::Char('v'));
    for _ in 0..5 {
        h.key(KeyCode::Char('k'));
    }
    h.key(KeyCode::Char('G'));
    for _ in 0..5 {
        h.key(KeyCode::Char('k'));
    }
    h.key(KeyCode::Char('m'));
    assert_eq!(h.app.status.as_deref(), Some("marked 10,000 events"));
}

#[test]
fn every_lookalike_finds_its_own_record_whatever_the_load_order() {
    let dir = tempdir("case-lookalike-order");
    // Three records with one placeholder eventID and the same time, source and name.
    let files: Vec<PathBuf> = ["203.0.113.1", "198.51.100.7", "192.0.2.9"]
        .iter()
        .enumerate()
        .map(|(i, ip)| {
            let v = serde_json::json!({
                "eventVersion": "1.08", "eventTime": "2024-05-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "eventID": "00000000-0000-0000-0000-000000000000", "sourceIPAddress": ip,
                "userIdentity": {"type": "IAMUser", "userName": "alice", "accountId": "111122223333"}
            });
            let f = dir.join(format!("{i}.jsonl"));
            std::fs::write(&f, format!("{v}\n")).unwrap();
            f
        })
        .collect();
    let path = dir.join("case.json");
    let (book, _) = open_case(&path, &files);
    let mut h = Harness::in_case(&files, (120, 30), "", book);
    listed(&mut h, "");
    h.key(KeyCode::Char('g')).key(KeyCode::Char('v')).key(KeyCode::Char('G')).key(KeyCode::Char('m'));
    assert_eq!(h.app.status.as_deref(), Some("marked 3 events"));
    drop(h);
    for order in [[2, 1, 0], [1, 2, 0], [0, 2, 1]] {
        let inputs: Vec<PathBuf> = order.iter().map(|&i| files[i].clone()).collect();
        let (book, _) = open_case(&path, &inputs);
        let mut h = Harness::in_case(&inputs, (120, 30), "", book);
        assert_eq!(listed(&mut h, "mark:*").len(), 3, "{order:?}");
        drop(h);
        assert_eq!(case_json(&path)["events"].as_array().unwrap().len(), 3, "no entry made twice: {order:?}");
    }
}
