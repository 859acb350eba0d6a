//! Turns the digest files of a trail folder in the S3 layout (the
//! generator's are fake) into a real hourly chain over the log files
//! present, signed with the test key of tests/fixtures/verify (not a
//! secret: nothing real trusts it), and writes the keys file beside the
//! folder, so that `trailscope verify` can be timed on a large trail:
//!
//! ```text
//! python3 ../shared/tools/gen_cloudtrail.py --events 1000000 --out /tmp/big
//! cargo run --release --example sign_digests -- /tmp/big [--sidecars] [--bucket NAME]
//! time trailscope verify --public-keys /tmp/big.keys.json /tmp/big
//! ```
//!
//! Every digest file under the folder is replaced. `--sidecars` also writes
//! `.s3meta` sidecars with each digest's signature (as a `--cache` folder
//! keeps them), so that the newest digest of each chain can be checked too.

#[path = "../tests/common/digests.rs"]
mod digests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use trailscope::model::time::Micros;
use trailscope::source::layout::{self, Family, HOUR};

fn usage() -> ! {
    eprintln!("usage: sign_digests FOLDER [--sidecars] [--bucket NAME]");
    std::process::exit(2)
}

/// Removes every digest file (and sidecar) under `root`.
fn remove_digests(root: &Path) -> usize {
    let mut removed = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.components().any(|c| c.as_os_str() == "CloudTrail-Digest") {
                removed += usize::from(std::fs::remove_file(&p).is_ok());
            }
        }
    }
    removed
}

/// The content hash of each log file (first gzip member), on every core.
fn hash_all(files: &[(String, PathBuf)]) -> Vec<String> {
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut out: Vec<(usize, String)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        let Some((_, path)) = files.get(i) else { break mine };
                        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                        let content = if bytes.starts_with(&[0x1f, 0x8b]) { digests::gunzip(&bytes) } else { bytes };
                        mine.push((i, digests::sha256_hex(&content)));
                    }
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a hashing thread")).collect()
    });
    out.sort();
    out.into_iter().map(|(_, h)| h).collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut root, mut sidecars, mut bucket) = (None, false, digests::BUCKET.to_string());
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sidecars" => sidecars = true,
            "--bucket" => bucket = args.next().unwrap_or_else(|| usage()),
            _ if a.starts_with('-') => usage(),
            _ => root = Some(PathBuf::from(a)),
        }
    }
    let root = root.unwrap_or_else(|| usage());
    let started = std::time::Instant::now();
    let removed = remove_digests(&root);
    let files = digests::logs_under(&root);
    let hashes = hash_all(&files);
    // The log files of each trail folder: `[PREFIX/]AWSLogs/[o-ORG/]`, account, region.
    let mut groups: BTreeMap<(String, String, String), Vec<(Micros, digests::Log)>> = BTreeMap::new();
    for ((key, _), sha256) in files.iter().zip(hashes) {
        let Some(k) = layout::parse(key).filter(|k| k.family == Family::Log) else { continue };
        let base = format!("{}AWSLogs/{}", k.prefix, k.org.map(|o| o + "/").unwrap_or_default());
        groups
            .entry((base, k.account, k.region))
            .or_default()
            .push((k.name.time(), digests::Log { key: key.clone(), sha256 }));
    }
    let mut written = 0;
    for ((base, account, region), logs) in groups {
        let first = logs.iter().map(|l| l.0).min().unwrap_or(0);
        let last = logs.iter().map(|l| l.0).max().unwrap_or(0);
        // Hours from the one holding the first delivery, 37 s past it (as
        // CloudTrail's digests end at odd seconds), through the last.
        let start = first.div_euclid(HOUR) * HOUR - HOUR + 37_000_000;
        let hours = ((last - start) / HOUR + 1) as usize;
        let logs: Vec<digests::Log> = logs.into_iter().map(|l| l.1).collect();
        let chain = digests::write_chain(
            &root,
            &bucket,
            &base,
            (&account, &region),
            start,
            hours,
            &logs,
            sidecars,
            &digests::fingerprint(),
        );
        written += chain.len();
    }
    let keys = root.with_extension("keys.json");
    std::fs::write(&keys, digests::keys_json(&[digests::public_pkcs1()])).expect("the keys file is written");
    eprintln!(
        "removed {removed} digest files; wrote {written} signed digests over {} log files{} in {:.1} s; keys: {}",
        files.len(),
        if sidecars { " (with .s3meta sidecars)" } else { "" },
        started.elapsed().as_secs_f64(),
        keys.display()
    );
}
