//! Local files and folders as a source: folders are walked recursively
//! (following symbolic links, each folder and file once, so loops end and
//! overlapping paths do not double the data). In folders only log-like names
//! are read; a file named explicitly always is. Read on every core.

use super::decode::Opened;
use super::item::{Item, Listing, Source, describe};
use super::problem::{Kind, Problem};
use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub struct Local {
    paths: Vec<PathBuf>,
}

impl Local {
    pub fn new(paths: Vec<PathBuf>) -> Local {
        Local { paths }
    }
}

impl Source for Local {
    fn list(&self) -> Listing {
        walk(&self.paths)
    }

    fn open(&self, item: &Item) -> io::Result<Opened> {
        super::decode::open_path(Path::new(&item.locator))
    }

    fn concurrency(&self) -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

fn item(p: PathBuf, meta: &fs::Metadata) -> Item {
    Item { name: p.to_string_lossy().into_owned(), size: Some(meta.len()), locator: p.into_os_string() }
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

/// Lists the files under `paths`.
pub fn walk(paths: &[PathBuf]) -> Listing {
    let mut w = Listing::default();
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    let problem = |w: &mut Listing, p: &Path, message: String| {
        w.problems.push(Problem::item(p.to_string_lossy(), Kind::Unreadable, message))
    };
    for path in paths {
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
            w.items.push(item(path.clone(), &meta));
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
                    w.items.push(item(p, &meta));
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
    }
    w
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
