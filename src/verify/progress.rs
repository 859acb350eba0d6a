//! How far a check has got.

use std::sync::atomic::AtomicU64;

/// Counters a check advances and a progress line reads from another thread.
#[derive(Debug, Default)]
pub struct Progress {
    pub digests_total: AtomicU64,
    pub digests_done: AtomicU64,
    /// Log files to hash (known once the digests are read).
    pub logs_total: AtomicU64,
    pub logs_done: AtomicU64,
    /// Bytes fetched.
    pub bytes: AtomicU64,
}
