//! Where a case lives and how it is written: the whole file replaced at
//! once (write beside it, flush to disk, rename over it), so a crash or a
//! killed session leaves the old case or the new one, never half of one.
//! One explorer at a time may change a case: a lock held on a file beside
//! it (released by the system if the holder dies); the next one reads.

use super::model::Case;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct CaseFile {
    pub path: PathBuf,
    /// Held while this process may write the case.
    lock: Option<File>,
}

/// An opened case: its content, its file, and what to tell the person.
pub struct Opened {
    pub case: Case,
    pub file: CaseFile,
    /// Set when another trailscope holds the case: this one only reads it.
    pub read_only: Option<String>,
    pub existed: bool,
}

impl CaseFile {
    /// Opens (or prepares to create) the case at `path`, for the inputs
    /// `paths`. Fails on a file that is not a case, rather than overwrite it.
    pub fn open(path: &Path, paths: &[String], now: &str) -> Result<Opened, String> {
        let shown = path.display();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| format!("case {shown}: cannot create its folder: {e}"))?;
        }
        let (lock, read_only) = take_lock(path)?;
        if lock.is_some() {
            remove_leftovers(path);
        }
        let (mut case, existed) = match fs::read_to_string(path) {
            Ok(text) => (Case::from_json(&text).map_err(|e| format!("case {shown}: {e}"))?, true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Case::new(vec![], now), false),
            Err(e) => return Err(format!("case {shown}: {e}")),
        };
        for p in paths {
            if !case.paths.contains(p) {
                case.paths.push(p.clone());
            }
        }
        Ok(Opened { case, file: CaseFile { path: path.to_path_buf(), lock }, read_only, existed })
    }

    pub fn writable(&self) -> bool {
        self.lock.is_some()
    }

    /// Replaces the file with `case`, atomically and durably.
    pub fn save(&self, case: &Case) -> Result<(), String> {
        if !self.writable() {
            return Err(format!("case {} is read-only here", self.path.display()));
        }
        write_atomic(&self.path, case.to_json().as_bytes())
            .map_err(|e| format!("case {}: not saved: {e}", self.path.display()))
    }
}

/// The lock on the case at `path`, or why it is read-only here.
fn take_lock(path: &Path) -> Result<(Option<File>, Option<String>), String> {
    let (shown, lock_path) = (path.display(), lock_path(path));
    // A lock file removed by a closing explorer between our open and our lock is not the
    // lock any more: lock the file at the path, checked after locking.
    for _ in 0..3 {
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| format!("case {shown}: cannot open {}: {e}", lock_path.display()))?;
        match lock.try_lock() {
            Ok(()) if same_file(&lock, &lock_path) => return Ok((Some(lock), None)),
            Ok(()) => continue,
            Err(fs::TryLockError::WouldBlock) => {
                return Ok((None, Some(format!("case {shown} is open in another trailscope: read-only here"))));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Ok((None, Some(format!("case {shown} cannot be locked ({e}): read-only"))));
            }
        }
    }
    Ok((None, Some(format!("case {shown}: its lock keeps changing: read-only"))))
}

#[cfg(unix)]
fn same_file(f: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &File, path: &Path) -> bool {
    path.exists()
}

/// Removes what writers killed mid-write left beside the case (`FILE.tmp-PID`).
/// Only the lock holder calls it: no one else is writing.
fn remove_leftovers(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return };
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let prefix = format!("{}.tmp-", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(e.path());
        }
    }
}

impl Drop for CaseFile {
    /// A case never written leaves no lock file behind.
    fn drop(&mut self) {
        if self.lock.is_some() && !self.path.exists() {
            let _ = fs::remove_file(lock_path(&self.path));
        }
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// Writes `bytes` to a file beside `path`, flushes it to disk, renames it
/// over `path` and flushes the folder, so the rename itself survives a crash.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Not every system lets a folder be opened for syncing; the rename stands anyway.
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The case kept for these inputs when no `--case` is given:
/// `$XDG_DATA_HOME/trailscope/cases/NAME-HASH.json` (`~/.local/share` by
/// default), named after the first input and a hash of them all.
pub fn default_path(inputs: &[PathBuf]) -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()).map(PathBuf::from).or_else(|| {
        std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".local/share"))
    })?;
    let mut full: Vec<String> = inputs
        .iter()
        .map(|p| fs::canonicalize(p).unwrap_or_else(|_| p.clone()).to_string_lossy().into_owned())
        .collect();
    full.sort();
    let hash = xxhash_rust::xxh3::xxh3_64(full.join("\n").as_bytes());
    let first = inputs.first().and_then(|p| fs::canonicalize(p).ok().or_else(|| Some(p.clone())));
    let stem = first.as_deref().and_then(Path::file_name).map(|n| n.to_string_lossy().into_owned());
    let name: String = stem
        .unwrap_or_else(|| "stdin".into())
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .take(40)
        .collect();
    Some(data.join("trailscope").join("cases").join(format!("{name}-{:08x}.json", hash as u32)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "trailscope-casefile-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn a_second_opener_only_reads() {
        let d = dir();
        let path = d.join("c.json");
        let first = CaseFile::open(&path, &["logs".into()], "t0").unwrap();
        assert!(first.read_only.is_none() && !first.existed && first.file.writable());
        first.file.save(&first.case).unwrap();
        let second = CaseFile::open(&path, &[], "t1").unwrap();
        assert!(second.read_only.as_deref().is_some_and(|m| m.contains("read-only")));
        assert!(second.file.save(&second.case).is_err());
        assert_eq!(second.case.paths, ["logs"]);
        drop(first);
        let third = CaseFile::open(&path, &["more".into()], "t2").unwrap();
        assert!(third.read_only.is_none() && third.existed);
        assert_eq!(third.case.paths, ["logs", "more"]);
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn what_a_killed_writer_left_is_cleared_by_the_next_writer_only() {
        let d = dir();
        let path = d.join("c.json");
        let left = d.join("c.json.tmp-999999");
        let first = CaseFile::open(&path, &[], "t0").unwrap();
        fs::write(&left, "half a ca").unwrap();
        let reader = CaseFile::open(&path, &[], "t1").unwrap();
        assert!(reader.read_only.is_some() && left.exists(), "a reader leaves it: a writer may be at work");
        drop((first, reader));
        let writer = CaseFile::open(&path, &[], "t2").unwrap();
        assert!(writer.read_only.is_none() && !left.exists());
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn a_file_that_is_not_a_case_is_left_alone() {
        let d = dir();
        let path = d.join("notes.json");
        fs::write(&path, "my own notes").unwrap();
        let err = CaseFile::open(&path, &[], "t").err().unwrap();
        assert!(err.contains("notes.json") && err.contains("not JSON"), "{err}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "my own notes");
        let _ = fs::remove_dir_all(&d);
    }
}
