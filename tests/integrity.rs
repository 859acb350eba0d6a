//! Integrity in the explorer's engine: the inputs are checked against their
//! digests once loaded; a file that fails is a problem, and the events it
//! holds are tagged in the case (and only those).

use crate::common;
use common::digests::{self, Trail};
use common::*;
use std::collections::BTreeSet;
use trailscope::engine::integrity::{MODIFIED, UNLISTED};
use trailscope::engine::{Dataset, Options};
use trailscope::loader::LoadOptions;
use trailscope::source::Kind;
use trailscope::verify::Keys;

/// The eventIDs of the events tagged `tag` in the case.
fn tagged(data: &Dataset, tag: &str) -> BTreeSet<String> {
    data.with_case(|book, _| {
        book.bound_events().filter(|(_, e)| e.has_tag(tag)).map(|(_, e)| e.event.event_id.clone()).collect()
    })
}

#[test]
fn files_that_fail_verification_are_problems_and_their_events_are_tagged() {
    let dir = tempdir("integrity-explorer");
    let built = Trail::new(&dir).build();
    // One log file changed after delivery, one added that no digest lists.
    let changed = &built.logs[3];
    let text = String::from_utf8(digests::gunzip(&std::fs::read(&changed.path).unwrap())).unwrap();
    let forged = text.replace("GetObject", "PutObject");
    std::fs::write(&changed.path, digests::gzip(forged.as_bytes())).unwrap();
    let (added_key, added, _) =
        digests::write_log(&built.root, false, ("111122223333", "us-east-1"), built.logs[1].start + 60_000_000, 999);
    assert!(added.exists() && added_key.contains("CloudTrail/us-east-1"));

    let keys = Keys::read(&std::fs::read(&built.keys).unwrap()).unwrap();
    let opts = Options { load: LoadOptions { publish_every: None, ..LoadOptions::default() }, ..Options::default() };
    let paths = vec![built.root.clone()];
    let data = Dataset::open(&paths, opts);
    trailscope::engine::integrity::verify_beside(&data, paths, Default::default(), keys);
    assert!(data.wait());

    let problems: Vec<_> = data.progress.problems().into_iter().filter(|p| p.kind == Kind::Integrity).collect();
    let named: BTreeSet<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(named, [changed.path.to_str().unwrap(), added.to_str().unwrap()].into_iter().collect(), "{problems:?}");
    assert!(problems.iter().any(|p| p.message.starts_with("log-modified")), "{problems:?}");
    assert!(problems.iter().any(|p| p.message.starts_with("log-unlisted")), "{problems:?}");

    // Each file holds one event (the fixture's): exactly those are tagged.
    let event_of = |path: &std::path::Path| {
        let v: serde_json::Value = serde_json::from_slice(&digests::gunzip(&std::fs::read(path).unwrap())).unwrap();
        v["Records"][0]["eventID"].as_str().unwrap().to_string()
    };
    assert_eq!(tagged(&data, MODIFIED), [event_of(&changed.path)].into_iter().collect());
    assert_eq!(tagged(&data, UNLISTED), [event_of(&added)].into_iter().collect());
    let store = data.read();
    assert_eq!(store.len(), built.logs.len() + 1, "every event loaded, the failed files' too");
}
