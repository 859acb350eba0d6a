//! What the user asked of the sources: which part of a trail, and how to
//! reach a bucket.

use std::path::PathBuf;

/// What part of the named sources to read, and how to reach buckets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub cut: super::layout::Cut,
    /// Where fetched objects are kept (`--cache`).
    pub cache: Option<PathBuf>,
    /// The AWS profile (`--profile`); None: the standard chain's choice.
    pub profile: Option<String>,
}
