//! Local files and folders as a source: folders are walked recursively
//! (following symbolic links, each folder and file once, so loops end and
//! overlapping paths do not double the data). In folders only log-like names
//! are read; a file named explicitly always is. Zip archives are walked like
//! folders. Folders and files in the trail layout outside the cut are never
//! opened. Read on every core.

use super::decode::Opened;
use super::item::{Fetched, Item, Listing, Locator, Source, describe};
use super::layout::{Cut, is_digest_path, is_log_name};
use super::problem::{Kind, Problem};
use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

pub struct Local {
    paths: Vec<PathBuf>,
    cut: Cut,
}

impl Local {
    pub fn new(paths: Vec<PathBuf>, cut: Cut) -> Local {
        Local { paths, cut }
    }
}

impl Source for Local {
    fn list(&self, _: &mut dyn FnMut(Item)) -> Listing {
        walk(&self.paths, &self.cut)
    }

    fn open(&self, item: &Item) -> io::Result<Opened> {
        match &item.locator {
            Locator::Path(p) => super::decode::open_path(p),
            Locator::Member { archive, index } => super::zip::open(archive, *index).map(super::decode::decode),
            _ => Err(io::Error::other("not a local item")),
        }
    }

    fn fetch(&self, item: &Item) -> io::Result<Fetched> {
        match &item.locator {
            Locator::Path(p) => {
                Ok(Fetched { bytes: fs::read(p)?, metadata: super::cache::read_sidecar(p).map(|s| s.metadata) })
            }
            Locator::Member { archive, index } => {
                Ok(Fetched { bytes: super::zip::open(archive, *index)?, metadata: None })
            }
            _ => Err(io::Error::other("not a local item")),
        }
    }

    fn concurrency(&self) -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }
}

fn item(p: PathBuf, meta: &fs::Metadata) -> Item {
    let origin = super::cache::read_sidecar(&p).map(|s| s.origin);
    Item {
        name: p.to_string_lossy().into_owned(),
        size: Some(meta.len()),
        locator: Locator::Path(p),
        origin,
        keep: None,
    }
}

fn is_zip_name(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".zip")
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

/// Lists the files under `paths` that can hold events of `cut`.
pub fn walk(paths: &[PathBuf], cut: &Cut) -> Listing {
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
            if is_zip_name(&path.to_string_lossy()) {
                super::zip::list(path, cut, &mut w);
            } else {
                w.items.push(item(path.clone(), &meta));
            }
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
                let in_cut = || {
                    let at = p.to_string_lossy().replace('\\', "/");
                    if meta.is_dir() { cut.wants_folder_at(&at) } else { cut.wants_file(&at) }
                };
                if meta.is_dir() {
                    if in_cut() && seen.insert(identity(&meta, &p)) {
                        subdirs.push(p);
                    }
                } else if meta.is_file() && is_zip_name(&name) {
                    if seen.insert(identity(&meta, &p)) {
                        super::zip::list(&p, cut, &mut w);
                    }
                } else if !meta.is_file() || !is_log_name(&name) {
                    w.skipped += 1;
                } else if !in_cut() {
                    continue;
                } else if is_digest_path(&p.to_string_lossy()) {
                    w.digests.push(item(p, &meta));
                } else if seen.insert(identity(&meta, &p)) {
                    w.items.push(item(p, &meta));
                }
            }
            stack.extend(subdirs.into_iter().rev());
        }
    }
    w
}
