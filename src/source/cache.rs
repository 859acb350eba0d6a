//! A local copy of a bucket's objects: `DIR/BUCKET/KEY`, the same layout as
//! the bucket, with `KEY.s3meta` beside each object holding where it came
//! from, its ETag and its user metadata (a digest's signature). A second run
//! fetches only what the cache lacks, and `verify` or the explorer can read
//! the folder offline, signatures included.

use super::item::Origin;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub const SIDECAR: &str = ".s3meta";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sidecar {
    pub origin: Origin,
    pub size: u64,
    pub etag: Option<String>,
    /// The object's user metadata, without the `x-amz-meta-` prefix.
    pub metadata: BTreeMap<String, String>,
}

/// Where a cached object lives, or None when its bucket or key cannot be a
/// path safely (an empty, `.` or `..` segment, a backslash, a control).
pub fn path_of(dir: &Path, origin: &Origin) -> Option<PathBuf> {
    let safe =
        |seg: &str| !seg.is_empty() && seg != "." && seg != ".." && !seg.chars().any(|c| c == '\\' || c.is_control());
    if !safe(&origin.bucket) || origin.bucket.contains('/') || !origin.key.split('/').all(safe) {
        return None;
    }
    let mut p = dir.join(&origin.bucket);
    p.extend(origin.key.split('/'));
    Some(p)
}

fn sidecar_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(SIDECAR);
    PathBuf::from(s)
}

/// The sidecar of a file, if it has a readable one.
pub fn read_sidecar(p: &Path) -> Option<Sidecar> {
    let text = fs::read(sidecar_path(p)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// The cached copy of an object, when it is whole and the same object
/// (same size, and same ETag when both are known).
pub fn lookup(dir: &Path, origin: &Origin, size: Option<u64>, etag: Option<&str>) -> Option<(PathBuf, Sidecar)> {
    let p = path_of(dir, origin)?;
    let side = read_sidecar(&p)?;
    let len = fs::metadata(&p).ok()?.len();
    let same = side.origin == *origin
        && len == side.size
        && size.is_none_or(|s| s == len)
        && (etag.is_none() || side.etag.is_none() || side.etag.as_deref() == etag);
    same.then_some((p, side))
}

fn write_atomic(p: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = {
        let mut s = p.as_os_str().to_owned();
        s.push(format!(".tmp-{}", std::process::id()));
        PathBuf::from(s)
    };
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    drop(f);
    fs::rename(&tmp, p).inspect_err(|_| {
        let _ = fs::remove_file(&tmp);
    })
}

/// Keeps an object: its bytes first, then its sidecar, so that a copy
/// without a sidecar (a run stopped between the two) is fetched again.
pub fn store(dir: &Path, side: &Sidecar, bytes: &[u8]) -> io::Result<PathBuf> {
    let p = path_of(dir, &side.origin)
        .ok_or_else(|| io::Error::other(format!("key cannot be kept in a folder: {}", side.origin.key)))?;
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent)?;
    }
    write_atomic(&p, bytes)?;
    let json = serde_json::to_vec_pretty(side).map_err(io::Error::other)?;
    write_atomic(&sidecar_path(&p), &json)?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(bucket: &str, key: &str) -> Origin {
        Origin { bucket: bucket.into(), key: key.into() }
    }

    #[test]
    fn keys_that_would_leave_the_folder_are_refused() {
        let d = Path::new("/c");
        assert_eq!(path_of(d, &origin("b", "AWSLogs/1/x.json.gz")), Some(PathBuf::from("/c/b/AWSLogs/1/x.json.gz")));
        for (b, k) in
            [("b", "../x"), ("b", "a//x"), ("b", "/abs"), ("..", "x"), ("b", "a\\..\\x"), ("b", "x\n"), ("a/b", "x")]
        {
            assert_eq!(path_of(d, &origin(b, k)), None, "{b} {k}");
        }
    }

    #[test]
    fn a_kept_object_is_found_again_only_when_it_is_the_same() {
        let dir = std::env::temp_dir().join(format!("trailscope-cache-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let o = origin("bkt", "AWSLogs/111122223333/CloudTrail-Digest/x.json.gz");
        let side = Sidecar {
            origin: o.clone(),
            size: 5,
            etag: Some("\"e1\"".into()),
            metadata: [("signature".to_string(), "ab".to_string())].into(),
        };
        let p = store(&dir, &side, b"hello").unwrap();
        assert_eq!(
            lookup(&dir, &o, Some(5), Some("\"e1\"")).map(|(q, s)| (q, s.metadata)),
            Some((p.clone(), side.metadata.clone()))
        );
        assert!(lookup(&dir, &o, Some(5), Some("\"e2\"")).is_none(), "another version of the object");
        assert!(lookup(&dir, &o, Some(6), None).is_none());
        fs::write(&p, b"hell").unwrap();
        assert!(lookup(&dir, &o, None, None).is_none(), "cut short");
        let _ = fs::remove_dir_all(&dir);
    }
}
