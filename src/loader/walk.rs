//! Turns the paths a user gave into the list of files to read.
//!
//! Folders are walked recursively (following symbolic links, each folder and
//! file once, so loops end and overlapping paths do not double the data).
//! In folders only log-like names are read; a file named explicitly always is.

use super::problem::Problem;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

impl Input {
    /// How the input is named in messages.
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => p.to_string_lossy().into_owned(),
            Input::Stdin => "<stdin>".into(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Walk {
    pub inputs: Vec<Input>,
    /// Files in folders whose names are not logs.
    pub skipped: u64,
    /// CloudTrail digest files (known by their folder), not read.
    pub digests: u64,
    pub problems: Vec<Problem>,
}

/// Whether a name found in a folder is read: `.json`, `.jsonl`, `.ndjson`,
/// each optionally followed by `.gz`, and plain `.gz`.
pub fn is_log_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n.strip_suffix(".gz").map(|s| (s, true)).unwrap_or((&n, false));
    n.1 || [".json", ".jsonl", ".ndjson"].iter().any(|ext| n.0.ends_with(ext))
}

fn is_digest_path(p: &Path) -> bool {
    p.components().any(|c| c.as_os_str() == "CloudTrail-Digest")
}

/// A file's identity, so the same file reached twice is read once.
#[cfg(unix)]
fn identity(meta: &fs::Metadata, _: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn identity(_: &fs::Metadata, p: &Path) -> (u64, u64) {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()).hash(&mut h);
    (0, h.finish())
}

pub fn walk(paths: &[PathBuf]) -> Walk {
    let mut w = Walk::default();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let mut stdin = false;
    let problem = |w: &mut Walk, p: &Path, message: String| {
        w.problems.push(Problem { path: p.to_string_lossy().into_owned(), place: None, message })
    };
    for path in paths {
        if path.as_os_str() == "-" {
            if !stdin {
                w.inputs.push(Input::Stdin);
                stdin = true;
            }
            continue;
        }
        let meta = match fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                problem(&mut w, path, describe(&e));
                continue;
            }
        };
        if !seen.insert(identity(&meta, path)) {
            continue;
        }
        if !meta.is_dir() {
            w.inputs.push(Input::File(path.clone()));
            continue;
        }
        // Depth-first with an explicit stack; entries in name order.
        let mut stack = vec![path.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    problem(&mut w, &dir, describe(&e));
                    continue;
                }
            };
            let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            names.sort();
            let mut subdirs = Vec::new();
            for p in names {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                let meta = match fs::metadata(&p) {
                    Ok(m) => m,
                    Err(e) => {
                        // A dangling link or an entry that vanished: only worth a word if it looked like a log.
                        if is_log_name(&name) {
                            problem(&mut w, &p, describe(&e));
                        } else {
                            w.skipped += 1;
                        }
                        continue;
                    }
                };
                if meta.is_dir() {
                    if seen.insert(identity(&meta, &p)) {
                        subdirs.push(p);
                    }
                } else if !meta.is_file() || !is_log_name(&name) {
                    w.skipped += 1;
                } else if is_digest_path(&p) {
                    w.digests += 1;
                } else if seen.insert(identity(&meta, &p)) {
                    w.inputs.push(Input::File(p));
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
    }
    w
}

/// An I/O error in plain words.
pub fn describe(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => "no such file or folder".into(),
        PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names() {
        for n in ["a.json", "a.json.gz", "A.JSONL", "x.ndjson.gz", "y.gz", "z.jsonl.gz"] {
            assert!(is_log_name(n), "{n}");
        }
        for n in ["EXPECTED.txt", "a.json.bak", "gz", "a.zip", "README.md"] {
            assert!(!is_log_name(n), "{n}");
        }
    }
}
