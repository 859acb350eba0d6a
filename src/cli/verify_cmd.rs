//! `trailscope verify`: checks log files against CloudTrail's digest files,
//! the digest chain and the signatures, and prints the report (text, or
//! JSON with `--json`).
//!
//! Exit status: 0 when nothing checked failed and something was verified
//! (signatures that could not be checked alone still give 0, and the report
//! says so plainly); 1 ([`EXIT_PROBLEMS`]) when a file is modified, missing,
//! unlisted, unreadable or in the wrong place, or a digest is missing from
//! its chain; 2 (`EXIT_USAGE`) when a public keys file cannot be used or an
//! input cannot be verified; 3 ([`EXIT_NOTHING_CHECKED`]) when nothing could
//! be read or verified (no digest files among the inputs, for one).

use super::args::{EXIT_OK, EXIT_USAGE, VerifyArgs};
use crate::sanitize::visible;
use crate::verify::{self, Keys, Progress, Report};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Exit status: integrity problems were found.
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit status: nothing could be read or verified. (Not the commands'
/// usual `EXIT_NOTHING_READ`, which is 1: here 1 means problems found, as
/// with `aws cloudtrail validate-logs`.)
pub const EXIT_NOTHING_CHECKED: u8 = 3;

/// The keys of every `--public-keys` file, or the message saying why one
/// cannot be used.
pub fn read_keys(files: &[std::path::PathBuf]) -> Result<Keys, String> {
    let mut keys = Keys::none();
    for path in files {
        let name = visible(&path.to_string_lossy()).into_owned();
        let text = std::fs::read(path)
            .map_err(|e| format!("cannot read the public keys file {name}: {}", crate::source::describe(&e)))?;
        keys.extend(Keys::read(&text).map_err(|why| format!("the public keys file {name} cannot be used: {why}"))?);
    }
    Ok(keys)
}

/// The exit status a report calls for.
pub fn status(report: &Report) -> u8 {
    if !report.intact {
        EXIT_PROBLEMS
    } else if report.summary.digests.found == 0 || !report.verified_something {
        EXIT_NOTHING_CHECKED
    } else {
        EXIT_OK
    }
}

pub fn main(args: &VerifyArgs) -> u8 {
    let keys = match read_keys(&args.public_keys) {
        Ok(k) => k,
        Err(why) => {
            eprintln!("trailscope: {why}");
            return EXIT_USAGE;
        }
    };
    if args.inputs.paths.iter().any(|p| p.as_os_str() == "-") {
        eprintln!("trailscope: standard input cannot be verified: name the files, folders or buckets");
        return EXIT_USAGE;
    }
    let opts = args.inputs.source.options(None);
    let (sources, problems) = crate::source::resolve(&args.inputs.paths, &opts);
    let progress = Progress::default();
    let done = AtomicBool::new(false);
    let mut report = std::thread::scope(|s| {
        s.spawn(|| show_progress(&progress, &done));
        let report = verify::check(&sources, &keys, &opts.cut, &progress);
        done.store(true, Relaxed);
        report
    });
    report.problems.splice(0..0, problems.iter().map(ToString::to_string));
    let out = if args.json { report.json() + "\n" } else { report.text() };
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush());
    status(&report)
}

/// A progress line on standard error while the check runs, when that is a
/// terminal and the check takes a moment.
fn show_progress(p: &Progress, done: &AtomicBool) {
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut shown = false;
    while !done.load(Relaxed) {
        std::thread::sleep(Duration::from_millis(50));
        if tty && started.elapsed() > Duration::from_millis(300) {
            eprint!(
                "\r\x1b[Kverifying: {}/{} digests, {}/{} log files, {} MB",
                p.digests_done.load(Relaxed),
                p.digests_total.load(Relaxed),
                p.logs_done.load(Relaxed),
                p.logs_total.load(Relaxed),
                p.bytes.load(Relaxed) >> 20
            );
            shown = true;
        }
    }
    if shown {
        eprint!("\r\x1b[K");
    }
}
