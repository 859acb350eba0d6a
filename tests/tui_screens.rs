//! Whole screens as insta snapshots on ratatui's TestBackend (text only; the
//! colours are checked by the state tests' selection and by NO_COLOR mode).

use crate::common;
use common::tui::Harness;
use common::*;
use crossterm::event::KeyCode;
use serde_json::json;
use std::path::PathBuf;

/// Every screen at the three sizes people use: a default terminal, a laptop's, a wide monitor's.
const SIZES: [(u16, u16); 3] = [(80, 24), (160, 45), (220, 55)];

fn both(name: &str, mut make: impl FnMut((u16, u16)) -> Harness) {
    for size in SIZES {
        let h = make(size);
        let screen = h.screen();
        assert!(!screen.chars().any(|c| c.is_control() && c != '\n'), "{name}: a control character reached the screen");
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen);
    }
}

#[test]
fn sample_loaded() {
    both("sample", Harness::sample);
}

#[test]
fn sample_searched_with_detail() {
    both("search_detail", |size| {
        let mut h = Harness::new(&[sample()], size, "bob name:Create*");
        h.key(KeyCode::Enter);
        h
    });
}

#[test]
fn empty_results() {
    both("empty", |size| Harness::new(&[sample()], size, "zzzz-no-such-thing"));
}

#[test]
fn prompt_with_an_error() {
    both("prompt_error", |size| {
        let mut h = Harness::sample(size);
        h.key(KeyCode::Char('/')).keys("name:Get* after:tomorrow");
        h
    });
}

fn problem_files() -> PathBuf {
    // A path relative to the package (tests run there), so the screen is the same on every machine.
    let dir = PathBuf::from("target/test-fixtures/screen-problems");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let good = json!({"eventTime": "2024-01-02T03:04:05Z", "eventName": "GetObject", "eventSource": "s3.amazonaws.com", "eventID": "g1"});
    std::fs::write(dir.join("good.json"), json!({"Records": [good, 7, {"eventTime": "soon"}]}).to_string()).unwrap();
    std::fs::write(dir.join("empty.json"), b"").unwrap();
    std::fs::write(dir.join("lines.jsonl"), b"{\"eventTime\":\"2024-01-02T03:04:06Z\",\"eventID\":\"g2\"}\n{broken\n")
        .unwrap();
    std::fs::write(
        dir.join("cut.json"),
        b"{\"Records\":[{\"eventTime\":\"2024-01-02T03:04:07Z\",\"eventID\":\"g3\"},{\"eventTi",
    )
    .unwrap();
    dir
}

#[test]
fn problems_list() {
    let dir = problem_files();
    both("problems", |size| {
        let mut h = Harness::new(std::slice::from_ref(&dir), size, "");
        h.key(KeyCode::Char('!'));
        h
    });
}

#[test]
fn help() {
    both("help", |size| {
        let mut h = Harness::sample(size);
        h.key(KeyCode::Char('?'));
        h
    });
}

fn big_event() -> PathBuf {
    let dir = tempdir("screen-big");
    let items: Vec<_> = (0..460)
        .map(|i| json!({"reservationId": format!("r-{i:016x}"), "instancesSet": {"items": [{"instanceId": format!("i-{i:016x}"), "imageId": "ami-0123456789abcdef0", "privateIpAddress": format!("10.0.{}.{}", i / 250, i % 250), "tagSet": {"items": [{"key": "Name", "value": format!("worker-{i}")}]}}]}}))
        .collect();
    let ev = json!({"eventTime": "2024-03-01T10:00:00Z", "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances", "awsRegion": "us-east-1",
        "userIdentity": {"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"}, "requestParameters": {"maxResults": 1000},
        "responseElements": {"reservationSet": {"items": items}}, "eventID": "big"});
    let text = json!({"Records": [ev]}).to_string();
    assert!(text.len() > 100_000, "{}", text.len());
    std::fs::write(dir.join("big.json"), text).unwrap();
    dir
}

#[test]
fn a_100kb_event() {
    let dir = big_event();
    both("big_event", |size| {
        let mut h = Harness::new(std::slice::from_ref(&dir), size, "");
        h.key(KeyCode::Enter);
        for _ in 0..12 {
            h.key(KeyCode::Char('j'));
        }
        h
    });
}

fn hostile() -> PathBuf {
    let dir = tempdir("screen-hostile");
    let ev = json!({
        "eventTime": "2024-03-01T10:00:00Z",
        "eventSource": "iam.amazonaws.com",
        "eventName": "Create\u{1b}[2JUser",
        "awsRegion": "us-east-1\u{202e}lave",
        "sourceIPAddress": "203.0.113.9\r\u{1b}[1A",
        "userAgent": "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[10;10Hfake\rover\u{8}\u{8}",
        "userIdentity": {"type": "IAMUser", "userName": "eve\u{9b}31m\u{7f}\u{0}"},
        "errorCode": "Access\u{1b}[5mDenied",
        "requestParameters": {"userName": "\u{1b}[1;1H\u{1b}[2Kfake-line\u{202e}evil\u{2066}", "note": "tab\there\nnewline"},
        "eventID": "hostile"
    });
    std::fs::write(dir.join("h.json"), json!({"Records": [ev]}).to_string()).unwrap();
    dir
}

#[test]
fn hostile_strings_are_shown_escaped() {
    let dir = hostile();
    both("hostile", |size| {
        let mut h = Harness::new(std::slice::from_ref(&dir), size, "");
        h.key(KeyCode::Enter).key(KeyCode::Char('e'));
        h
    });
    let mut h = Harness::new(std::slice::from_ref(&dir), (160, 48), "");
    h.key(KeyCode::Enter).key(KeyCode::Char('e'));
    let s = h.screen();
    for shown in [
        "Create\\u001b[2JUser",
        "us-east-1\\u202elave",
        "eve\\u009b31m\\u007f\\u0000",
        "\\u001b]52;c;ZWNobyBwd25lZA==\\u0007",
    ] {
        assert!(s.contains(shown), "{shown} missing from:\n{s}");
    }
}

/// A user's key assumes a role, whose session assumes another, which acts.
fn chained() -> PathBuf {
    let dir = PathBuf::from("target/test-fixtures/screen-chain");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let uid = |role: Option<&str>, name: &str, key: &str| match role {
        None => {
            json!({"type": "IAMUser", "arn": format!("arn:aws:iam::111111111111:user/{name}"), "accountId": "111111111111", "accessKeyId": key, "userName": name})
        }
        Some(r) => {
            json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::222222222222:assumed-role/{r}/{name}"), "accountId": "222222222222",
            "accessKeyId": key, "sessionContext": {"sessionIssuer": {"type": "Role", "userName": r}}})
        }
    };
    let ev = |min: u32, name: &str, who: serde_json::Value, issued: Option<&str>| {
        json!({"eventTime": format!("2024-05-14T10:{min:02}:00Z"), "eventSource": "sts.amazonaws.com", "eventName": name,
            "userIdentity": who, "sourceIPAddress": format!("198.51.100.{min}"), "userAgent": "aws-cli/2.15.0 Python/3.11",
            "eventID": format!("e{min}"), "responseElements": issued.map(|k| json!({"credentials": {"accessKeyId": k}}))})
    };
    let lines = [
        ev(1, "AssumeRole", uid(None, "alice", "AKIAALICE0000000001"), Some("ASIAOPS00000000001")),
        ev(2, "AssumeRole", uid(Some("Ops"), "alice", "ASIAOPS00000000001"), Some("ASIAAUDIT000000001")),
        ev(3, "ListBuckets", uid(Some("Audit"), "alice", "ASIAAUDIT000000001"), None),
    ];
    std::fs::write(dir.join("chain.jsonl"), lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    dir
}

#[test]
fn credential_chain() {
    both("chain", |size| {
        let mut h = Harness::new(&[chained()], size, "name:ListBuckets");
        h.key(KeyCode::Char('s')).key(KeyCode::Char('j'));
        h
    });
}

#[test]
fn incidents_overlay() {
    both("incidents", |size| {
        let mut h = Harness::sample(size);
        h.key(KeyCode::Char('i'));
        h
    });
}

/// Snapshots `make`'s screens at [`SIZES`].
fn three(name: &str, mut make: impl FnMut((u16, u16)) -> Harness) {
    for size in SIZES {
        let screen = make(size).screen();
        assert!(!screen.chars().any(|c| c.is_control() && c != '\n'), "{name}: a control character reached the screen");
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), screen);
    }
}

/// The sample with a case in memory: two events marked, one tagged and noted, a query saved.
fn worked(size: (u16, u16)) -> Harness {
    let config = trailscope::tui::app::Config { columns: vec!["errorMessage".into()], ..Default::default() };
    // A fixed clock: the times of changes read the same in every run.
    let book = trailscope::case::Book::default().with_clock(|| "2026-12-06T10:00:00Z".to_string());
    let mut h = Harness::in_case_with(&[sample()], size, "", std::sync::Arc::new(std::sync::RwLock::new(book)), config);
    for (q, tag) in [("name:StopLogging", Some("defense-evasion")), ("name:CreateUser", None)] {
        h.key(KeyCode::Char('/')).key_mod(KeyCode::Char('u'), crossterm::event::KeyModifiers::CONTROL);
        h.keys(q).key(KeyCode::Enter).key(KeyCode::Char('m'));
        if let Some(t) = tag {
            h.key(KeyCode::Char('T')).keys(t).key(KeyCode::Enter);
            h.key(KeyCode::Char('C')).keys("trail stopped from a pentest box").key(KeyCode::Enter);
        }
    }
    h.key(KeyCode::Char('/')).key_mod(KeyCode::Char('u'), crossterm::event::KeyModifiers::CONTROL);
    h.keys("mark:* source:*").key(KeyCode::Enter);
    h.key(KeyCode::Char('S')).keys("the marks").key(KeyCode::Enter);
    h
}

#[test]
fn workbench_list_with_marks_tags_and_a_record_path_column() {
    three("workbench_list", |size| {
        let mut h = worked(size);
        h.key(KeyCode::Char('j'));
        h
    });
}

#[test]
fn workbench_case_overlay() {
    three("workbench_case", |size| {
        let mut h = worked(size);
        h.key(KeyCode::Char('K'));
        h
    });
}

#[test]
fn workbench_tag_prompt_with_the_tags_used() {
    three("workbench_tag", |size| {
        let mut h = worked(size);
        h.key(KeyCode::Char('T')).keys("d");
        h
    });
}

#[test]
fn workbench_value_in_full() {
    three("workbench_full", |size| {
        let mut h = worked(size);
        h.key(KeyCode::Char('j')).key(KeyCode::Enter).key(KeyCode::Char('g'));
        // The first finding's title line: its whole description.
        for _ in 0..h.app.panes.detail.head.iter().position(|l| l.more.is_some()).unwrap_or(0) {
            h.key(KeyCode::Down);
        }
        h.key(KeyCode::Char('w'));
        h
    });
}
