use std::sync::RwLock;
use trailscope::loader::{self, LoadOptions, Progress};
use trailscope::store::Store;
fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let store = RwLock::new(Store::new());
    let progress = Progress::default();
    let t = std::time::Instant::now();
    loader::load(
        &paths,
        &store,
        &progress,
        &LoadOptions {
            threads: 0,
            publish_every: None,
        },
    );
    let s = store.read().unwrap();
    eprintln!(
        "{} events in {:?}; dups {}; problems {}; mem {:?}; combos {}",
        s.len(),
        t.elapsed(),
        s.duplicates(),
        progress
            .problem_count
            .load(std::sync::atomic::Ordering::Relaxed),
        s.memory(),
        s.combo_count()
    );
    for p in progress.problems().iter().take(40) {
        eprintln!("  {p}");
    }
}
