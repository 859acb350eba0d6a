//! A case file is intact whatever moment its writer dies: `trailscope mark`
//! is killed (SIGKILL, no chance to clean up) over and over, at moments
//! spread over its whole run and, on purpose, while it writes a case of
//! several megabytes. After every kill the case is absent (only before the
//! first write ever finished) or a whole case: JSON, the format and
//! version, and each change saved all at once or not at all. The lock of a
//! killed writer is released, so the next run writes.

use crate::common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Events in the input: enough for a case of about 12 MB once marked and tagged.
const EVENTS: usize = 20_000;
/// Every event (the events are from 2024).
const ALL: &str = "after:2000-01-01";
/// 40 events: `u7`'s after 05:00 (events 18007, 18057, … 19957).
const NOTED_QUERY: &str = "actor:u7 after:2024-03-01T05:00:00Z";
const NOTED: usize = 40;
const TAGS: [&str; 3] = [
    "alpha-a-rather-long-tag-name-to-make-the-case-big",
    "beta-a-rather-long-tag-name-to-make-the-case-big",
    "gamma-a-rather-long-tag-name-to-make-the-case-big",
];
const ROUNDS: usize = 30;

/// NDJSON, one CloudTrail record a line, each with its own eventID and second.
fn write_events(p: &Path) {
    let mut out = String::with_capacity(EVENTS * 320);
    for i in 0..EVENTS {
        let (h, m, s) = (i / 3600, i / 60 % 60, i % 60);
        out.push_str(&format!(
            concat!(
                r#"{{"eventVersion":"1.09","eventTime":"2024-03-01T{:02}:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","#,
                r#""eventName":"GetObject","eventID":"{:08}-0000-4000-8000-{:012}","awsRegion":"us-east-1","#,
                r#""userIdentity":{{"type":"IAMUser","userName":"u{}"}},"sourceIPAddress":"10.0.{}.{}","#,
                r#""requestParameters":{{"bucketName":"logs","key":"obj/{}"}}}}"#,
                "\n"
            ),
            h,
            m,
            s,
            i,
            i,
            i % 50,
            i / 256 % 256,
            i % 256,
            i
        ));
    }
    std::fs::write(p, out).unwrap();
}

/// What a case file holds, counted.
#[derive(Debug, Clone, PartialEq)]
struct Summary {
    bytes: u64,
    entries: usize,
    marked: usize,
    /// Events with each of [`TAGS`].
    tagged: [usize; 3],
    notes: usize,
}

/// Reads the case at `p`: None when there is none; a panic when it is anything but a whole case.
fn check(p: &Path, note: &str, round: &str) -> Option<Summary> {
    let bytes = match std::fs::read(p) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => panic!("{round}: cannot read the case: {e}"),
    };
    let text = std::str::from_utf8(&bytes).unwrap_or_else(|e| panic!("{round}: the case is not UTF-8: {e}"));
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| {
        let tail: String = text.chars().rev().take(200).collect::<Vec<_>>().into_iter().rev().collect();
        panic!("{round}: the case ({} bytes) is not whole JSON ({e}); it ends with:\n{tail}", bytes.len())
    });
    assert_eq!(v["format"], "trailscope-case", "{round}");
    assert_eq!(v["version"], 1, "{round}");
    for f in ["created", "updated"] {
        assert!(v[f].as_str().is_some_and(|t| t.starts_with("20")), "{round}: {f}");
    }
    // trailscope itself reads it back.
    trailscope::case::Case::from_json(text).unwrap_or_else(|e| panic!("{round}: trailscope refuses the case: {e}"));
    let entries = v["events"].as_array().unwrap_or_else(|| panic!("{round}: no events array"));
    let mut s = Summary { bytes: bytes.len() as u64, entries: entries.len(), marked: 0, tagged: [0; 3], notes: 0 };
    for e in entries {
        assert!(e["event"]["eventID"].as_str().is_some_and(|id| id.len() == 36), "{round}: {e}");
        s.marked += e["marked"].is_string() as usize;
        for t in e["tags"].as_array().into_iter().flatten() {
            let i = TAGS.iter().position(|n| t["name"] == *n).unwrap_or_else(|| panic!("{round}: tag {t}"));
            s.tagged[i] += 1;
        }
        for n in e["notes"].as_array().into_iter().flatten() {
            assert_eq!(n["text"], note, "{round}: a note kept whole");
            s.notes += 1;
        }
    }
    Some(s)
}

fn tmp_of(case: &Path, pid: u32) -> PathBuf {
    let mut s = case.as_os_str().to_owned();
    s.push(format!(".tmp-{pid}"));
    PathBuf::from(s)
}

/// The case file's size and time of change: it changes when a new case is renamed over it.
fn stamp(p: &Path) -> Option<(u64, SystemTime, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).ok().map(|m| (m.len(), m.modified().unwrap(), m.ino()))
}

/// A small generator of varied delays (xorshift), seeded so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

fn spawn(args: &[&str]) -> Child {
    bin().args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().expect("trailscope runs")
}

/// How a round's run ended.
#[derive(Debug, Default)]
struct Ending {
    /// It was still running when killed.
    killed_running: bool,
    /// Its temporary file was left: it died while writing the case.
    mid_write: bool,
    /// It had finished on its own (then it must have succeeded).
    output: Option<Output>,
}

/// Kills `child` (if it still runs), reaps it, and says how it ended;
/// the temporary file it left, if any, is removed.
fn kill(mut child: Child, case: &Path) -> Ending {
    let pid = child.id();
    let running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let out = child.wait_with_output().expect("wait");
    let tmp = tmp_of(case, pid);
    let mid_write = tmp.exists();
    if mid_write {
        std::fs::remove_file(&tmp).unwrap();
    }
    Ending { killed_running: running, mid_write, output: (!running).then_some(out) }
}

/// Waits until `child` is writing the case (its temporary file is there, or
/// the case file changed), or has ended; gives up after a while.
fn until_writing(child: &mut Child, case: &Path, before: Option<(u64, SystemTime, u64)>) {
    let tmp = tmp_of(case, child.id());
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if tmp.exists() || stamp(case) != before || child.try_wait().expect("try_wait").is_some() {
            return;
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    panic!("trailscope mark neither wrote the case nor ended in 30 s");
}

/// Only the killed runs' temporary files (removed as found) may ever be beside the case.
fn nothing_else_beside(dir: &Path, round: &str) {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names.retain(|n| n.starts_with("case.json"));
    assert!(names.iter().all(|n| n == "case.json" || n == "case.json.lock"), "{round}: beside the case: {names:?}");
}

fn run_ok(args: &[&str]) -> Output {
    let o = bin().args(args).stdin(Stdio::null()).output().expect("trailscope runs");
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    assert!(!stderr(&o).contains("read-only"), "{args:?}: {}", stderr(&o));
    o
}

#[test]
fn a_killed_writer_never_leaves_a_broken_case() {
    let started = Instant::now();
    let dir = tempdir("case-crash");
    let input = dir.join("events.jsonl");
    write_events(&input);
    let case = dir.join("case.json");
    let (input_s, case_s) = (input.to_string_lossy().into_owned(), case.to_string_lossy().into_owned());
    // A long note (cut at 8 KB by trailscope; this one is kept whole).
    let note = format!("a long note {}", "0123456789abcdef".repeat(256));
    let seed = std::env::var("TRAILSCOPE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_nanos() as u64);
    eprintln!("case_crash: seed {seed} (TRAILSCOPE_CRASH_SEED={seed} replays the delays)");
    let mut rng = Rng(seed | 1);
    let (mut hits, mut killed_running, mut completed) = (0, 0, 0);
    let mut log = Vec::new();

    // 1. Creation: killed early, the case may not be there yet; never half there.
    let mark_all = ["mark", "--case", &case_s, "-q", ALL, &input_s];
    let mut ever = false;
    for (i, poll) in [false, false, true, false].into_iter().enumerate() {
        let round = format!("creation {i}");
        let before = stamp(&case);
        let mut child = spawn(&mark_all);
        if poll {
            until_writing(&mut child, &case, before);
        } else {
            std::thread::sleep(Duration::from_millis(rng.below(150)));
        }
        let end = kill(child, &case);
        (hits, killed_running) = (hits + end.mid_write as usize, killed_running + end.killed_running as usize);
        log.push(format!("{round}: {end:?}"));
        match check(&case, &note, &round) {
            None => assert!(!ever, "{round}: the case vanished"),
            Some(s) => {
                ever = true;
                assert!(s.marked == EVENTS && s.entries == EVENTS, "{round}: one write marks all: {s:?}");
            }
        }
        nothing_else_beside(&dir, &round);
    }

    // 2. A big case, written without interruption; how long a whole run takes sets the delays.
    run_ok(&mark_all);
    let mut tag_args = vec!["mark", "--case", &case_s, "-q", ALL];
    for t in TAGS {
        tag_args.extend(["--tag", t]);
    }
    tag_args.push(&input_s);
    run_ok(&tag_args);
    let t0 = Instant::now();
    run_ok(&["mark", "--unmark", "--case", &case_s, "-q", ALL, &input_s]);
    let whole_run = t0.elapsed();
    let mut last = check(&case, &note, "setup").expect("the case after setup");
    assert_eq!((last.entries, last.marked, last.tagged), (EVENTS, 0, [EVENTS; 3]), "{last:?}");
    eprintln!("case_crash: a case of {} bytes; a whole unmark run takes {whole_run:?}", last.bytes);
    assert!(last.bytes > 5_000_000, "the case is big enough that writing it takes a while: {last:?}");
    let max_delay = (whole_run * 5 / 4).max(Duration::from_millis(300)).as_millis() as u64;

    // 3. Kill every kind of run at varied moments; every fourth one once it writes.
    let mut round_no = 0;
    while round_no < ROUNDS || (hits == 0 && round_no < ROUNDS + 10) {
        // Each run changes the case (so each one writes it): marks, a tag, or notes, in turn.
        let tag_index = round_no / 3 % 3;
        let tag = TAGS[tag_index];
        let mut args = vec!["mark", "--case", &case_s];
        let what = match round_no % 3 {
            0 if last.marked == 0 => {
                args.extend(["-q", ALL]);
                "mark"
            }
            0 => {
                args.extend(["-q", ALL, "--unmark"]);
                "unmark"
            }
            1 if last.tagged[tag_index] == 0 => {
                args.extend(["-q", ALL, "--tag", tag]);
                "tag"
            }
            1 => {
                args.extend(["-q", ALL, "--unmark", "--tag", tag]);
                "untag"
            }
            _ => {
                args.extend(["-q", NOTED_QUERY, "--note", &note]);
                "note"
            }
        };
        args.push(&input_s);
        // Every fourth round (each kind in turn), and past the planned rounds (no write caught yet).
        let poll = round_no % 4 == 3 || round_no >= ROUNDS;
        let before = stamp(&case);
        let mut child = spawn(&args);
        let delay = if poll {
            until_writing(&mut child, &case, before);
            // Somewhere in writing, syncing or renaming 13 MB (or just after).
            let extra = rng.below(25);
            std::thread::sleep(Duration::from_millis(extra));
            format!("at the write +{extra} ms")
        } else {
            let ms = rng.below(max_delay + 1);
            std::thread::sleep(Duration::from_millis(ms));
            format!("{ms} ms")
        };
        let end = kill(child, &case);
        let round = format!("round {round_no} ({what}, killed {delay})");
        if let Some(out) = &end.output {
            completed += 1;
            assert!(out.status.success(), "{round}: a run that ended failed: {}", stderr(out));
            assert!(!stderr(out).contains("read-only"), "{round}: a killed run's lock was kept: {}", stderr(out));
        }
        (hits, killed_running) = (hits + end.mid_write as usize, killed_running + end.killed_running as usize);
        let now = check(&case, &note, &round).unwrap_or_else(|| panic!("{round}: the case is gone"));
        // Each change was saved whole or not at all: all events marked or none, each tag on all or none.
        assert!(now.marked == 0 || now.marked == EVENTS, "{round}: a part of the events marked: {now:?}");
        for (i, n) in now.tagged.iter().enumerate() {
            assert!(*n == 0 || *n == EVENTS, "{round}: tag {i} on a part of the events: {now:?}");
        }
        // What this run could not have changed is as it was.
        match what {
            "mark" | "unmark" => assert_eq!((now.tagged, now.notes), (last.tagged, last.notes), "{round}"),
            "tag" | "untag" => assert_eq!((now.marked, now.notes), (last.marked, last.notes), "{round}"),
            _ => {
                assert_eq!((now.marked, now.tagged), (last.marked, last.tagged), "{round}");
                // Notes are saved one by one: some of the 40 may be in.
                assert!(now.notes >= last.notes && now.notes <= last.notes + NOTED, "{round}: {last:?} -> {now:?}");
            }
        }
        if end.output.is_some() {
            let expect = match what {
                "mark" => (now.marked == EVENTS, "all marked"),
                "unmark" => (now.marked == 0, "none marked"),
                "tag" => (now.tagged[tag_index] == EVENTS, "all tagged"),
                "untag" => (now.tagged[tag_index] == 0, "none tagged"),
                _ => (now.notes == last.notes + NOTED, "40 more notes"),
            };
            assert!(expect.0, "{round}: the run ended, so {}: {now:?}", expect.1);
        }
        nothing_else_beside(&dir, &round);
        log.push(format!("{round}: {end:?} -> {now:?}"));
        eprintln!("case_crash: {}", log.last().unwrap());
        last = now;
        round_no += 1;
    }
    let report = format!(
        "{round_no} rounds (+4 at creation): {hits} killed while writing the case (its temporary file left), \
         {killed_running} killed while running, {completed} ended first"
    );
    eprintln!("case_crash: {report}");
    assert!(hits > 0, "no round killed a write in progress, so the test proved nothing: {report}\n{}", log.join("\n"));
    assert!(killed_running > ROUNDS / 2, "most runs must be killed while running: {report}\n{}", log.join("\n"));

    // 4. The lock of a writer killed while it holds it is released: the next run writes.
    let before = stamp(&case);
    let mut child = spawn(&["mark", "--case", &case_s, "-q", ALL, "--unmark", &input_s]);
    until_writing(&mut child, &case, before);
    kill(child, &case);
    let o = run_ok(&mark_all);
    assert!(stderr(&o).contains("marked in"), "{}", stderr(&o));
    let after = check(&case, &note, "after the rounds").expect("the case");
    assert_eq!((after.entries, after.marked), (EVENTS, EVENTS), "{after:?}");
    nothing_else_beside(&dir, "after the rounds");
    eprintln!("case_crash: took {:?}", started.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
}
