//! Loading for the non-interactive commands: a progress line on a terminal,
//! problems printed as warnings, and the exit status.

use super::args::{self, EXIT_NOTHING_READ, EXIT_OK, Inputs, RuleArgs};
use crate::engine::Dataset;
use crate::loader::{LoadOptions, Progress};
use crate::sanitize::visible;
use crate::store::EventId;
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Warnings printed one by one before they are summed up.
const WARNINGS_SHOWN: usize = 20;

pub struct Loaded {
    pub data: Dataset,
    pub elapsed: Duration,
}

impl Loaded {
    /// 0 when some input was read, 1 when nothing could be.
    pub fn exit_status(&self) -> u8 {
        if self.data.progress.files_ok.load(Relaxed) > 0 { EXIT_OK } else { EXIT_NOTHING_READ }
    }
}

/// What the commands share: parse `-q` (2 on a malformed query), load
/// the inputs running the rules, and find the matching events in time order.
pub fn matching_with_rules(
    query: Option<&str>,
    inputs: &Inputs,
    rules: &RuleArgs,
) -> Result<(Loaded, Vec<EventId>), u8> {
    matching_in_case(query, inputs, rules, Default::default())
}

/// [`matching_with_rules`] with the case the events are kept in (for `mark:`, `tag:`, `note:`).
pub fn matching_in_case(
    query: Option<&str>,
    inputs: &Inputs,
    rules: &RuleArgs,
    case: std::sync::Arc<std::sync::RwLock<crate::case::Book>>,
) -> Result<(Loaded, Vec<EventId>), u8> {
    let query = args::parse_query(query)?;
    let loaded = load_in_case(inputs, Some(&query), rules, case);
    let ids = loaded.data.matching(&query);
    Ok((loaded, ids))
}

/// [`matching_with_rules`], but the rules run only when the query asks
/// about what they found (`rule:`, `level:`), and the case is read only when
/// it asks about it (`mark:`, `tag:`, `note:`): listing events needs neither.
pub fn matching(
    query: Option<&str>,
    inputs: &Inputs,
    rules: &RuleArgs,
    case: &args::CaseArgs,
) -> Result<(Loaded, Vec<EventId>), u8> {
    let q = args::parse_query(query)?;
    use crate::model::fields::Field;
    let none = rules.without_rules();
    let rules = if q.asks_about(&[Field::Rule, Field::Level, Field::Incident]) { rules } else { &none };
    let book = match q.asks_about(&crate::case::CASE_FIELDS) {
        true => super::case_open::open(case, &inputs.paths)?.book,
        false => Default::default(),
    };
    matching_in_case(query, inputs, rules, book)
}

/// Loads the inputs, showing progress on standard error when it is a
/// terminal, then prints the problems found as warnings.
pub fn load(inputs: &Inputs, rules: &RuleArgs) -> Loaded {
    load_in_case(inputs, None, rules, Default::default())
}

/// Loads the inputs, pruned by the source flags and by what `query` asks for.
fn load_in_case(
    inputs: &Inputs,
    query: Option<&crate::query::Query>,
    rules: &RuleArgs,
    case: std::sync::Arc<std::sync::RwLock<crate::case::Book>>,
) -> Loaded {
    let started = Instant::now();
    // Rules need the history before a query's range (first uses, bursts):
    // when they run, only the flags cut.
    let query = query.filter(|_| !rules.runs_rules());
    let load = LoadOptions {
        threads: 0,
        publish_every: None,
        sources: inputs.source.options(query),
        memory_limit: inputs.source.memory_limit(),
        ..LoadOptions::default()
    };
    let data = Dataset::open(&inputs.paths, crate::engine::Options { case, ..rules.options(load) });
    let progress = &data.progress;
    let tty = std::io::stderr().is_terminal();
    let mut shown = false;
    while !data.is_loaded() {
        std::thread::sleep(Duration::from_millis(50));
        if tty && started.elapsed() > Duration::from_millis(300) {
            let p = &progress;
            eprint!(
                "\r\x1b[Kloading: {}/{} files, {} events, {} MB{}",
                p.files_done.load(Relaxed),
                p.files_total.load(Relaxed),
                p.events.load(Relaxed),
                p.json_bytes.load(Relaxed) >> 20,
                p.transfer_lines().iter().map(|l| format!(" · {l}")).collect::<String>()
            );
            shown = true;
        }
    }
    if shown {
        eprint!("\r\x1b[K");
    }
    if !data.wait() {
        eprintln!("trailscope: the loader stopped unexpectedly; showing what was loaded");
    }
    let elapsed = started.elapsed();
    warn_problems(&data.progress);
    Loaded { data, elapsed }
}

fn warn_problems(progress: &Progress) {
    let problems = progress.problems();
    let mut err = std::io::stderr().lock();
    for p in problems.iter().take(WARNINGS_SHOWN) {
        let _ = writeln!(err, "warning: {}", visible(&p.to_string()));
    }
    if problems.len() > WARNINGS_SHOWN {
        let _ = writeln!(
            err,
            "warning: ... and {} more problems (all are listed by `trailscope stats --json`)",
            problems.len() - WARNINGS_SHOWN
        );
    }
}
