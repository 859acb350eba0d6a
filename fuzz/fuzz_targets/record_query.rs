//! A record and a query together (the query is the first line, the record
//! the rest): the record loads or is reported, the query parses or points at
//! its fault, and evaluating it on the record, building the record's detail
//! tree and pivoting from its last value never panic, overflow or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailscope::engine::Dataset;
use trailscope::query::{Cancel, parse, run};
use trailscope::store::blobs::ChunkCache;
use trailscope::tui::tree::Tree;

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let Ok(text) = std::str::from_utf8(&data[..split]) else { return };
    let record = data.get(split + 1..).unwrap_or_default();
    let store = Dataset::from_bytes(vec![("r.json".into(), record.to_vec())]).store;
    match parse(text) {
        Ok(q) => {
            let found = run(&store, &q, &Cancel::new()).expect("not cancelled");
            assert!(found.ids.len() <= store.read().unwrap().len());
        }
        Err(e) => assert!(e.pos <= text.len()),
    }
    let s = store.read().unwrap();
    let mut cache = ChunkCache::new(1);
    for id in 0..s.len() as u32 {
        let mut tree = Tree::new(s.record(id, &mut cache).to_vec());
        tree.set_all(false);
        if let Some(&last) = tree.visible().last() {
            let path = tree.path(last);
            let value = tree.value_text(last);
            // The pivot's query: it parses back (or is refused) and runs.
            // The pivot's term: it prints to text that parses back and runs.
            if let Some(target) = trailscope::query::Target::named(&path) {
                let q = trailscope::query::Query { terms: vec![trailscope::query::Term::matching(target, &value, false)] };
                let back = parse(&q.to_string()).expect("a printed query parses");
                let _ = run(&store, &back, &Cancel::new());
            }
        }
    }
});
