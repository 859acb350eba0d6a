//! The user's config: key bindings that replace the table's (the help and
//! the footer follow), list columns of record paths, a light theme. The key
//! table is built once per process, so this file holds the tests that set it.

mod common;
use common::tui::Harness;
use common::*;
use crossterm::event::KeyCode;
use trailscope::tui::app::Config;
use trailscope::tui::keymap;

#[test]
fn rebound_keys_work_and_the_help_and_footer_follow() {
    keymap::configure(&[("mark".into(), vec!["M".into()]), ("case".into(), vec!["F2".into()])]).unwrap();
    let mut h = Harness::sample((120, 30));
    h.key(KeyCode::Char('m'));
    assert_eq!(h.app.status, None, "m no longer marks");
    h.key(KeyCode::Char('M'));
    assert_eq!(h.app.status.as_deref(), Some("marked 1 event"));
    h.key(KeyCode::Char('j'));
    assert!(h.screen().contains(" M mark "), "the footer says the new key:\n{}", h.screen());
    h.key(KeyCode::F(2));
    assert!(h.screen().contains("1 marked"), "F2 opens the case:\n{}", h.screen());
    h.key(KeyCode::Esc).key(KeyCode::Char('?'));
    let help = h.screen();
    assert!(help.lines().any(|l| l.contains(" M ") && l.contains("mark / unmark")), "{help}");
    assert!(!help.lines().any(|l| l.contains(" K ") && l.contains("the case:")), "{help}");
}

#[test]
fn record_paths_are_list_columns_from_the_config_and_the_tree() {
    let dir = tempdir("config-columns");
    let case = dir.join("case.json");
    let o = CaseFileOpen::new(&case);
    let config = Config { columns: vec!["errorMessage".into()], ..Config::default() };
    let mut h = Harness::in_case_with(&[sample()], (200, 40), "error:AccessDenied", o.book(), config);
    let screen = h.screen();
    let heading = screen.lines().find(|l| l.contains("TIME")).unwrap();
    assert!(heading.contains("errorMessage"), "{heading}");
    assert!(screen.contains("User: arn:aws"), "the messages show:\n{screen}");
    // From the tree: the node's path, without its array indices.
    h.key(KeyCode::Enter);
    // Down the tree until the footer names the node.
    for _ in 0..60 {
        if h.screen().lines().last().is_some_and(|l| l.starts_with(" sourceIPAddress ")) {
            break;
        }
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Char('+'));
    assert_eq!(h.app.status.as_deref(), Some("column sourceIPAddress shown"));
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
    assert_eq!(saved["columns"], serde_json::json!(["errorMessage", "sourceIPAddress"]));
    h.key(KeyCode::Char('+'));
    assert_eq!(h.app.status.as_deref(), Some("column sourceIPAddress hidden"));
}

/// A case file opened as the explorer opens it.
struct CaseFileOpen(std::sync::Arc<std::sync::RwLock<trailscope::case::Book>>);

impl CaseFileOpen {
    fn new(path: &std::path::Path) -> Self {
        let o = trailscope::case::CaseFile::open(path, &[], "2026-01-01T00:00:00Z").unwrap();
        CaseFileOpen(std::sync::Arc::new(std::sync::RwLock::new(trailscope::case::Book::new(o.case, Some(o.file)))))
    }

    fn book(&self) -> std::sync::Arc<std::sync::RwLock<trailscope::case::Book>> {
        std::sync::Arc::clone(&self.0)
    }
}
