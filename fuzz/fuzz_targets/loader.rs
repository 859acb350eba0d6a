//! Any bytes, as a file: the loader must not panic, and every record it keeps
//! must be canonical JSON that the scanner reads back to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailscope::engine::Dataset;
use trailscope::json::scan::canon_value;
use trailscope::store::blobs::ChunkCache;

fuzz_target!(|data: &[u8]| {
    let data = Dataset::from_bytes(vec![("fuzz.json".into(), data.to_vec())]);
    let s = data.read();
    let mut cache = ChunkCache::new(2);
    for &id in s.order().iter() {
        let rec = s.record(id, &mut cache).to_vec();
        let mut again = Vec::new();
        let padded = [rec.as_slice(), b" "].concat();
        let end = canon_value(&padded, 0, &mut again).expect("a stored record is JSON");
        assert_eq!(end, rec.len());
        assert_eq!(again, rec, "canonical form is stable");
    }
    for p in data.progress.problems() {
        assert!(!p.message.is_empty());
    }
});
