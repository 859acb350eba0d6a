//! The text index answers quoted text and record paths exactly as reading
//! every record does: for each term, the events it says surely match do,
//! and every event that matches is either sure or left to read. Queries
//! come from the query corpus, from the events themselves, and from a
//! fixture of awkward shapes (nested arrays, escapes, empty containers,
//! deep nesting, long values, a value seen just often enough to count).

use crate::common;
use common::generated::generated_queries;
use common::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use trailscope::engine::{Dataset, Options};
use trailscope::loader::LoadOptions;
use trailscope::query::ast::{Query, Target, Term, TermKind};
use trailscope::query::eval::{Annex, NoAnnex, run_partial};
use trailscope::query::glob::Glob;
use trailscope::query::index::{Narrow, TextIndex};
use trailscope::query::{Cancel, parse};
use trailscope::store::Store;
use trailscope::store::blobs::ChunkCache;

/// Only the index, for terms to be answered with it.
struct Indexed(Arc<TextIndex>);

impl Annex for Indexed {
    fn select(&self, _: &Store, _: trailscope::model::fields::Field, _: &Glob, _: usize) -> Option<Vec<bool>> {
        None
    }
    fn index(&self) -> Option<Arc<TextIndex>> {
        Some(Arc::clone(&self.0))
    }
}

struct Loaded {
    store: Arc<RwLock<Store>>,
    index: Arc<TextIndex>,
    records: Vec<Value>,
    order: Vec<usize>,
}

fn load(paths: &[PathBuf]) -> Loaded {
    let options = Options {
        load: LoadOptions { threads: 2, publish_every: None, ..LoadOptions::default() },
        index: true,
        ..Options::default()
    };
    let data = Dataset::load(paths, options);
    let index = data.text_index().expect("the index is built once loading is done");
    let records: Vec<Value> = {
        let s = data.read();
        let mut cache = ChunkCache::new(4);
        (0..s.len() as u32).map(|i| serde_json::from_slice(s.record(i, &mut cache)).unwrap()).collect()
    };
    let mut order: Vec<usize> = (0..records.len()).collect();
    order.sort_by_key(|&i| records[i].to_string());
    Loaded { store: data.store, index, records, order }
}

/// What the index says of a text or path term (None: it cannot narrow it).
fn narrow(ix: &TextIndex, term: &Term) -> Option<Narrow> {
    match &term.kind {
        TermKind::Text(text) => {
            let needle = trailscope::json::canon::escape_like_canonical(text);
            let mut spellings: Vec<Vec<u8>> = Vec::new();
            for v in [needle.clone(), needle.to_lowercase(), needle.to_uppercase()] {
                let v = v.to_ascii_lowercase().into_bytes();
                if !spellings.contains(&v) {
                    spellings.push(v);
                }
            }
            ix.text(&spellings)
        }
        TermKind::Match { target: Target::Path { steps, .. }, value } => Some(ix.path(steps, value)),
        _ => None,
    }
}

/// Checks every query: the same events with and without the index, and per
/// text or path term, that what the index decides is true. Returns how many
/// terms the index narrowed, and the share of (term, event) it decided
/// without the record.
fn agree(what: &str, loaded: &Loaded, queries: &[Query]) -> (usize, f64) {
    let cancel = Cancel::new();
    let indexed = Indexed(Arc::clone(&loaded.index));
    let (mut narrowed, mut decided, mut asked) = (0, 0, 0);
    for q in queries {
        let plain = run_partial(&loaded.store, &NoAnnex, q, &cancel, &mut |_| {}).unwrap().ids;
        let fast = run_partial(&loaded.store, &indexed, q, &cancel, &mut |_| {}).unwrap().ids;
        assert_eq!(fast, plain, "{what}: `{q}` selects other events with the index");
        for term in &q.terms {
            let Some(n) = narrow(&loaded.index, term) else { continue };
            narrowed += 1;
            let alone = Query { terms: vec![Term { negated: false, kind: term.kind.clone() }] };
            let truth = run_partial(&loaded.store, &NoAnnex, &alone, &cancel, &mut |_| {}).unwrap().ids;
            let truth: std::collections::HashSet<u32> = truth.into_iter().collect();
            let s = loaded.store.read().unwrap();
            for id in 0..s.len() as u32 {
                let d = n.decide(id);
                asked += 1;
                decided += d.is_some() as usize;
                match d {
                    Some(true) => {
                        assert!(truth.contains(&id), "{what}: `{alone}` is sure of event {id}, which it does not match")
                    }
                    Some(false) => {
                        assert!(!truth.contains(&id), "{what}: `{alone}` rules out event {id}, which it matches")
                    }
                    None => {}
                }
            }
        }
    }
    (narrowed, decided as f64 / asked.max(1) as f64)
}

fn corpus_queries() -> Vec<Query> {
    QUERY_CORPUS.iter().map(|q| parse(q).unwrap()).collect()
}

#[test]
fn the_index_agrees_with_reading_the_records_on_the_sample() {
    let loaded = load(&[sample()]);
    let mut queries = corpus_queries();
    queries.extend(generated_queries(&loaded.store, &loaded.records, &loaded.order, 0x1de8, 600));
    let (narrowed, decided) = agree("sample", &loaded, &queries);
    eprintln!("sample: {} queries, {narrowed} text and path terms, {decided:.3} decided by the index", queries.len());
    assert!(narrowed > 200, "the generated queries hold text and path terms ({narrowed})");
    assert!(decided > 0.6, "most events are decided without their record ({decided:.3})");
}

#[test]
fn the_index_agrees_with_reading_the_records_on_real_events() {
    let Some(shared) = shared("text-index-real") else { return };
    let loaded = load(&[shared.join("corpus/real")]);
    let mut queries = corpus_queries();
    queries.extend(generated_queries(&loaded.store, &loaded.records, &loaded.order, 0xfeed, 600));
    let (narrowed, decided) = agree("real", &loaded, &queries);
    eprintln!("real: {} queries, {narrowed} text and path terms, {decided:.3} decided by the index", queries.len());
    assert!(narrowed > 200 && decided > 0.5, "{narrowed} terms, {decided:.3} decided");
}

/// Events whose shapes the walk must get right.
fn awkward_events() -> Vec<Value> {
    let mut deep = json!("bottom");
    for i in 0..80 {
        deep = if i % 2 == 0 { json!({ "d": deep }) } else { json!([deep]) };
    }
    let base = |i: usize| {
        json!({
            "eventVersion": "1.09",
            "eventTime": format!("2024-03-01T10:{:02}:{:02}Z", i / 60, i % 60),
            "eventSource": "s3.amazonaws.com",
            "eventName": "GetObject",
            "awsRegion": "us-east-1",
            "eventID": format!("awkward-{i}"),
        })
    };
    let extras = [
        json!({
            "requestParameters": {"tags": [["a", "b"], ["c"]], "n": [1, 2, {"k": "deep-in-array"}]},
            "resources": [{"ARN": "arn:aws:s3:::bucket-a/key:with:colons"}]
        }),
        json!({"requestParameters": {"quote": "say \"hi\" \\ now", "tab": "a\tb", "ünï": "çödé"}}),
        json!({"requestParameters": {"empty": {}, "none": [], "nothing": null, "flag": true, "n": 12.5}}),
        json!({"requestParameters": {"tags": "not-an-array", "bucketName": {"nested": "object-here"}}}),
        json!({"requestParameters": {"long": "x".repeat(400) + "needle-in-long-value"}}),
        // Over its path's budget already, so found through the grams; a
        // pattern lowercases the Kelvin sign to an ASCII `k`.
        json!({"requestParameters": {"long": "\u{212A}ELVIN-long-value"}}),
        json!({"additionalEventData": deep}),
        json!({"requestParameters": {"weird.key": "dotted", "we\"ird": "quoted-key"}}),
    ];
    let mut events = Vec::new();
    for (i, e) in extras.iter().enumerate() {
        let mut ev = base(i);
        ev.as_object_mut().unwrap().extend(e.as_object().unwrap().clone());
        events.push(ev);
    }
    // A value seen exactly as often as it takes to count as frequent, and once more.
    for i in 0..9 {
        let mut ev = base(100 + i);
        ev["requestParameters"] = json!({"bucketName": "just-frequent", "key": format!("k{i}")});
        events.push(ev);
    }
    events
}

#[test]
fn the_index_agrees_on_awkward_shapes() {
    let dir = tempdir("text-index-awkward");
    let file = dir.join("awkward.json");
    std::fs::write(&file, json!({ "Records": awkward_events() }).to_string()).unwrap();
    let loaded = load(&[file]);
    let texts = [
        "\"deep-in-array\"",
        "\"hi\\\" \\\\ now\"",
        "\"a\\tb\"",
        "\"çödé\"",
        "\"ÇÖDÉ\"",
        "\"ünï\"",
        "\"needle-in-long\"",
        "\"bottom\"",
        "\"just-freq\"",
        "\"bucketNa\"",
        "\"12.5\"",
        "\"true\"",
        "\"null\"",
        "\"object-here\"",
        "\"weird\"",
        "\"dotted\"",
        "\"not-an-arr\"",
        "\"arn:aws:s3\"",
        "\":12.5\"",
        "\"flag\":true\"",
        "\"n:[1\"",
    ];
    let paths = [
        "requestParameters.tags:a",
        "requestParameters.tags:*",
        "requestParameters.tags:not-an-array",
        "requestParameters.tags[0]:*",
        "requestParameters.tags[1]:c",
        "requestParameters.n:*",
        "requestParameters.n.k:deep*",
        "requestParameters.n[2].k:deep*",
        "requestParameters.empty:{}",
        "requestParameters.none:[]",
        "requestParameters.nothing:*",
        "requestParameters.flag:true",
        "requestParameters.n:12.5",
        "requestParameters.bucketName:just-frequent",
        "requestParameters.bucketName:*here*",
        "requestParameters.bucketName:{*",
        "requestParameters.bucketName:obj*",
        "requestParameters.quote:*hi*",
        "requestParameters.long:*needle*",
        "requestParameters.long:kelvin-*",
        "additionalEventData.d.d.d:*",
        "requestParameters.key:k8",
        "eventName:GetObject",
    ];
    let mut queries: Vec<Query> = texts.iter().chain(&paths).map(|q| parse(q).unwrap()).collect();
    queries.extend(texts.iter().chain(&paths).map(|q| parse(&format!("-{q}")).unwrap()));
    queries.extend(generated_queries(&loaded.store, &loaded.records, &loaded.order, 0xa3c, 300));
    let (narrowed, decided) = agree("awkward", &loaded, &queries);
    assert!(narrowed > 40 && decided > 0.0, "{narrowed} terms, {decided:.3} decided");
    // Each of these selects something: the comparison above is not between two empty answers.
    for q in [
        "\"deep-in-array\"",
        "\"bottom\"",
        "\"arn:aws:s3\"",
        "\"key:with:colons\"",
        "requestParameters.tags[1]:*c*",
        "requestParameters.bucketName:{*",
    ] {
        let ids = run_partial(
            &loaded.store,
            &Indexed(Arc::clone(&loaded.index)),
            &parse(q).unwrap(),
            &Cancel::new(),
            &mut |_| {},
        )
        .unwrap()
        .ids;
        assert!(!ids.is_empty(), "{q} selects nothing");
    }
}
