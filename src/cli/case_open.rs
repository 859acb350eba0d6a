//! Which case a command works in: `--case FILE`, or the one kept for its
//! inputs in the user's data folder, so marks are never lost by forgetting
//! a flag.

use super::args::{CaseArgs, EXIT_USAGE};
use crate::case::{Book, CaseFile, book};
use crate::sanitize::visible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// A case opened for `inputs`, and what to tell the person about it.
pub struct OpenedCase {
    pub book: Arc<RwLock<Book>>,
    pub path: Option<PathBuf>,
    /// Set when it is read-only here (another trailscope has it open).
    pub notice: Option<String>,
}

/// Opens the case `args` name for `inputs` (a case in memory with
/// `--no-case`, or when there is no data folder). A file that is not a case
/// is an error (status 2): it is never overwritten.
pub fn open(args: &CaseArgs, inputs: &[PathBuf]) -> Result<OpenedCase, u8> {
    let path = match (&args.case, args.no_case) {
        (_, true) => None,
        (Some(p), false) => Some(p.clone()),
        (None, false) => crate::case::file::default_path(inputs),
    };
    let Some(path) = path else {
        return Ok(OpenedCase { book: Arc::default(), path: None, notice: None });
    };
    let shown: Vec<String> = inputs.iter().map(|p| shown_path(p)).collect();
    match CaseFile::open(&path, &shown, &book::now()) {
        Ok(o) => Ok(OpenedCase {
            book: Arc::new(RwLock::new(Book::new(o.case, Some(o.file)))),
            path: Some(path),
            notice: o.read_only,
        }),
        Err(e) => {
            eprintln!("trailscope: {}", visible(&e));
            Err(EXIT_USAGE)
        }
    }
}

/// An input as the case records it: absolute when it can be.
fn shown_path(p: &Path) -> String {
    if p.as_os_str() == "-" {
        return "-".into();
    }
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()).to_string_lossy().into_owned()
}
