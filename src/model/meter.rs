//! Work done evaluating queries, counted in unit tests only: property tests
//! bound it by the size of the records and of the query, so no record can
//! make an evaluation grow faster than its input. Outside tests it compiles
//! to nothing.

#[cfg(test)]
thread_local! {
    static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Counts `units` of work (bytes read, or loop steps) on this thread.
#[inline(always)]
pub fn charge(units: usize) {
    #[cfg(test)]
    WORK.with(|w| w.set(w.get().saturating_add(units as u64)));
    #[cfg(not(test))]
    let _ = units;
}

/// The work counted on this thread since the last call.
#[cfg(test)]
pub fn take() -> u64 {
    WORK.with(|w| w.replace(0))
}
