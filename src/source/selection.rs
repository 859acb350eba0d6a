//! A saved Athena result: the S3 objects that hold the matches of a query,
//! and the eventIDs to read from each. `trailscope athena run` writes it;
//! every command reads it as a source, so the events load as CloudTrail
//! wrote them, complete, and can be verified against their digests.

use super::item::Source;
use super::options::Options;
use super::problem::{Kind, Problem};
use super::s3::{Bucket, Location};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

/// The first member of a saved result, which tells it from a log file.
pub const MARK: &str = "athena-result";

/// The largest saved result read (a million matches take about 60 MB).
const MAX_BYTES: u64 = 1 << 30;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Always [`MARK`].
    pub trailscope: String,
    pub version: u32,
    /// The query as the user wrote it, and the statement it became.
    pub query: String,
    pub sql: String,
    pub workgroup: String,
    /// Athena's ID of the run.
    pub execution: String,
    /// What Athena read (what it bills).
    pub scanned_bytes: u64,
    pub objects: Vec<Object>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Object {
    /// `s3://BUCKET/KEY`.
    pub url: String,
    /// The eventIDs of the matches it holds.
    pub events: Vec<String>,
}

impl Selection {
    /// The number of matches.
    pub fn events(&self) -> usize {
        self.objects.iter().map(|o| o.events.len()).sum()
    }
}

/// Whether the file at `path` starts as a saved result does.
pub fn looks_like(path: &Path) -> bool {
    let mut head = [0u8; 64];
    let Ok(n) = std::fs::File::open(path).and_then(|mut f| f.read(&mut head)) else { return false };
    let compact: Vec<u8> = head[..n].iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
    compact.starts_with(format!("{{\"trailscope\":\"{MARK}\"").as_bytes())
}

/// Reads a saved result.
pub fn read(path: &Path) -> Result<Selection, String> {
    let size = std::fs::metadata(path).map_err(|e| super::item::describe(&e))?.len();
    if size > MAX_BYTES {
        return Err(format!("a saved Athena result of {size} bytes is larger than trailscope reads"));
    }
    let bytes = std::fs::read(path).map_err(|e| super::item::describe(&e))?;
    let sel: Selection =
        serde_json::from_slice(&bytes).map_err(|e| format!("not a saved Athena result trailscope can read: {e}"))?;
    if sel.version != 1 {
        return Err(format!("a saved Athena result of version {}, which this trailscope does not read", sel.version));
    }
    Ok(sel)
}

/// One source per bucket of the result, reading only its objects, and
/// from each only its matches.
pub fn sources(sel: &Selection, opts: &Options, name: &str) -> (Vec<Box<dyn Source>>, Vec<Problem>) {
    let mut buckets: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut problems = Vec::new();
    for o in &sel.objects {
        match Location::parse_url(&o.url) {
            Some(Ok(at)) if !at.prefix.is_empty() => {
                let key = at.prefix.trim_end_matches('/').to_string();
                buckets.entry(at.bucket).or_default().entry(key).or_default().extend(o.events.iter().cloned());
            }
            _ => problems.push(Problem::item(name, Kind::Unreadable, format!("{:?} is not an S3 object", o.url))),
        }
    }
    let sources = buckets
        .into_iter()
        .map(|(bucket, objects)| {
            let keep = objects.into_iter().map(|(k, ids)| (k, Arc::new(ids))).collect();
            Box::new(Bucket::objects(bucket, keep, opts)) as Box<dyn Source>
        })
        .collect();
    (sources, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(objects: Vec<Object>) -> Selection {
        Selection {
            trailscope: MARK.into(),
            version: 1,
            query: "name:x".into(),
            sql: "SELECT".into(),
            workgroup: "primary".into(),
            execution: "e-1".into(),
            scanned_bytes: 10,
            objects,
        }
    }

    #[test]
    fn a_saved_result_is_told_from_logs_and_read_back() {
        let dir = std::env::temp_dir().join(format!("trailscope-selection-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("cut.json");
        let sel = saved(vec![Object { url: "s3://b/AWSLogs/1.json.gz".into(), events: vec!["e1".into()] }]);
        std::fs::write(&file, serde_json::to_string_pretty(&sel).unwrap()).unwrap();
        assert!(looks_like(&file));
        assert_eq!(read(&file).unwrap(), sel);
        let log = dir.join("log.json");
        std::fs::write(&log, r#"{"Records":[{"trailscope":"athena-result"}]}"#).unwrap();
        assert!(!looks_like(&log));
        std::fs::write(&file, serde_json::to_string(&Selection { version: 2, ..sel }).unwrap()).unwrap();
        assert!(read(&file).unwrap_err().contains("version 2"));
        std::fs::write(&file, r#"{"trailscope":"athena-result","version":1}"#).unwrap();
        assert!(read(&file).unwrap_err().contains("not a saved Athena result"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn one_source_per_bucket_and_bad_urls_are_problems() {
        let o =
            |url: &str, ids: &[&str]| Object { url: url.into(), events: ids.iter().map(|s| s.to_string()).collect() };
        let sel = saved(vec![
            o("s3://one/a.json.gz", &["1"]),
            o("s3://two/b.json.gz", &["2"]),
            o("s3://one/c.json.gz", &["3", "4"]),
            o("s3://one/a.json.gz", &["5"]),
            o("/etc/passwd", &["6"]),
            o("s3://one", &["7"]),
        ]);
        let (sources, problems) = sources(&sel, &Options::default(), "cut.json");
        assert_eq!(sources.len(), 2);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("\"/etc/passwd\" is not an S3 object"));
        let mut items = Vec::new();
        // Listing names the objects without a request (no client is made for it).
        let _ = sources[0].list(&mut |i| items.push(i));
        let names: Vec<_> = items.iter().map(|i| (i.name.clone(), i.keep.as_deref().cloned())).collect();
        let set = |ids: &[&str]| Some(ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
        assert_eq!(
            names,
            [
                ("s3://one/a.json.gz".to_string(), set(&["1", "5"])),
                ("s3://one/c.json.gz".to_string(), set(&["3", "4"]))
            ]
        );
    }
}
