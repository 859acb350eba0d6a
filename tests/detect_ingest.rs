//! The rules run inside the loader, on each event while its record is at
//! hand, batch by batch and thread by thread. What they find must not
//! depend on that: an event matches the same rules whether it is read
//! among hundreds of others by two threads, in one of many batches, or
//! alone, and a duplicate dropped by the store takes its matches with it.

use crate::common;
use common::*;
use std::collections::BTreeSet;
use std::sync::Arc;
use trailscope::detect::RuleSet;
use trailscope::engine::{Dataset, Options};
use trailscope::loader::LoadOptions;
use trailscope::model::fields::Field;
use trailscope::store::blobs::ChunkCache;

fn catalogue() -> Arc<RuleSet> {
    Arc::new(RuleSet::load(true, &[]))
}

/// The single-event rules event `id` matched, by index.
fn rules_of(d: &Dataset, id: u32) -> BTreeSet<usize> {
    let r = d.found();
    (0..r.hits.len()).filter(|&i| r.hits[i].binary_search(&id).is_ok()).collect()
}

/// Each event's eventID with the rules it matched.
fn by_event(d: &Dataset) -> Vec<(String, BTreeSet<usize>)> {
    let store = d.read();
    let mut cache = ChunkCache::new(2);
    let mut out: Vec<_> = (0..store.len() as u32).map(|id| (store.event_id(id, &mut cache), rules_of(d, id))).collect();
    out.sort();
    out
}

#[test]
fn an_event_matches_the_same_rules_in_two_threads_in_many_batches_and_alone() {
    let rules = catalogue();
    let opts = Options {
        load: LoadOptions { threads: 2, publish_every: None, ..LoadOptions::default() },
        rules: Arc::clone(&rules),
        ..Options::default()
    };
    let threads = Dataset::load(&[sample()], opts);
    let logs: Vec<_> = files(&sample()).into_iter().filter(|p| !p.to_string_lossy().contains("Digest")).collect();
    let inputs = logs.iter().map(|p| (p.display().to_string(), std::fs::read(p).unwrap())).collect();
    // One batch per file: values get new ids in each.
    let batches = Dataset::from_bytes_with(inputs, Arc::clone(&rules));
    let store = threads.read();
    assert!(store.len() > 300 && logs.len() > 100);
    {
        let r = threads.found();
        assert_eq!(r.evaluated, store.len(), "every event was evaluated");
        for hits in &r.hits {
            assert!(hits.windows(2).all(|w| w[0] < w[1]), "hits in event order");
        }
    }
    assert_eq!(by_event(&threads), by_event(&batches));
    let mut cache = ChunkCache::new(2);
    let (mut flagged, mut names) = (0, BTreeSet::new());
    for id in 0..store.len() as u32 {
        let record = store.record(id, &mut cache).to_vec();
        let alone = Dataset::from_bytes_with(vec![("one.json".into(), record)], Arc::clone(&rules));
        let got = rules_of(&threads, id);
        assert_eq!(got, rules_of(&alone, 0), "event {id} ({})", store.value(id, Field::Name));
        if !got.is_empty() {
            flagged += 1;
            names.insert(store.value(id, Field::Name).to_string());
        }
    }
    // The comparison means something: many events, of many kinds, matched rules.
    assert!(flagged > 50 && names.len() > 10, "{flagged} events, {names:?}");
}

#[test]
fn batches_do_not_share_what_their_values_answered() {
    let rules = catalogue();
    let kali =
        rules.rules.iter().position(|r| r.meta.name.as_deref() == Some("pentest_distribution_user_agent")).unwrap();
    let event = |agent: &str| {
        serde_json::json!({"eventVersion": "1.08", "eventTime": "2024-05-14T08:00:00Z", "eventSource": "sts.amazonaws.com",
            "eventName": "GetCallerIdentity", "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7", "userAgent": agent,
            "eventID": agent, "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"}})
        .to_string()
        .into_bytes()
    };
    // In each batch the user agent is the first value of its column: the same id, different texts.
    let d = Dataset::from_bytes_with(
        vec![
            ("kali.json".into(), event("aws-cli/2.15 Linux/6.6.9-kali1-amd64")),
            ("plain.json".into(), event("aws-cli/2.15 Linux/6.5")),
        ],
        rules,
    );
    let flagged: Vec<bool> = (0..2).map(|id| rules_of(&d, id).contains(&kali)).collect();
    assert_eq!(flagged, [true, false]);
}

#[test]
fn a_duplicate_dropped_by_the_store_takes_its_matches_with_it() {
    let rules = catalogue();
    let file = files(&sample())
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .max_by_key(|p| reference_records(p).len())
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let once = Dataset::from_bytes_with(vec![("a.json.gz".into(), bytes.clone())], Arc::clone(&rules));
    let twice = Dataset::from_bytes_with(
        vec![("a.json.gz".into(), bytes.clone()), ("b.json.gz".into(), bytes)],
        Arc::clone(&rules),
    );
    assert_eq!(twice.read().len(), once.read().len());
    assert_eq!(twice.read().duplicates() as usize, once.read().len());
    let (a, b) = (once.found(), twice.found());
    assert!(a.hits.iter().any(|h| !h.is_empty()), "the file sets off rules");
    assert_eq!(a.hits, b.hits);
    assert_eq!(a.correlations, b.correlations);
}
