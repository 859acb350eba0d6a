// Scratch timing probe (not committed).
use std::sync::{Arc, RwLock};
use std::time::Instant;
use trailscope::loader::{self, LoadOptions, Progress};
use trailscope::query::{Cancel, parse, run};
use trailscope::store::Store;
fn main() {
    let store = Arc::new(RwLock::new(Store::new()));
    loader::load(
        &[std::env::args().nth(1).unwrap().into()],
        &store,
        &Progress::default(),
        &LoadOptions { threads: 0, publish_every: None },
    );
    for _ in 0..20 {
        let t = Instant::now();
        let m = run(&store, &parse("\"AccessDenied\"").unwrap(), &Cancel::new()).unwrap();
        println!("{} {:.1} ms", m.ids.len(), t.elapsed().as_secs_f64() * 1e3);
    }
}
