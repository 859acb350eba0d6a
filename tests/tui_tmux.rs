//! The real binary in a real terminal: tmux, when it is installed. Load the
//! sample, search, open the detail, copy through OSC 52 (tmux keeps it in its
//! buffer with set-clipboard on), quit with status 0.

use crate::common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, size: (u16, u16), command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            eprintln!("SKIPPED {name}: tmux is not installed");
            return None;
        }
        let t = Tmux { socket: format!("trailscope-{name}-{}", std::process::id()) };
        // The explorer keeps its case in a scratch data folder, not the home folder's.
        let data = scratch_data();
        let command =
            format!("env XDG_DATA_HOME={} XDG_CONFIG_HOME={}/config {command}", data.display(), data.display());
        let command = command.as_str();
        let ok = t
            .cmd(&[
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-s",
                "e2e",
                "-x",
                &size.0.to_string(),
                "-y",
                &size.1.to_string(),
                command,
            ])
            .status
            .success();
        assert!(ok, "tmux starts");
        t.cmd(&["set", "-g", "set-clipboard", "on"]);
        Some(t)
    }

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").arg("-L").arg(&self.socket).args(args).output().expect("tmux runs")
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    /// Sends keys one at a time, as a person types (Esc followed at once by a
    /// key would read as Alt-key).
    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.cmd(&["send-keys", "-t", "e2e", k]);
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    /// Types `text` as it is (no key names), then waits as [`Tmux::keys`] does.
    fn type_text(&self, text: &str) {
        self.cmd(&["send-keys", "-t", "e2e", "-l", text]);
        std::thread::sleep(Duration::from_millis(60));
    }

    fn wait_for(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if test(&s) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.cmd(&["kill-server"]);
    }
}

fn wait_file(p: &Path) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if let Ok(s) = std::fs::read_to_string(p)
            && !s.is_empty()
        {
            return s;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{} never appeared", p.display());
}

#[test]
fn load_search_copy_quit_in_tmux() {
    let dir = tempdir("tmux");
    let exit_file = dir.join("exit");
    let bin = env!("CARGO_BIN_EXE_trailscope");
    let command = format!("'{bin}' --list-first --clipboard osc52; echo $? > '{}'; sleep 5", exit_file.display());
    let Some(t) = Tmux::start("e2e", (100, 30), &command) else { return };
    // No PATH: the bundled sample opens.
    t.wait_for("the sample to load", |s| s.contains("383 of 383 events"));
    t.keys(&[
        "/", "a", "c", "t", "o", "r", ":", "b", "o", "b", " ", "n", "a", "m", "e", ":", "C", "r", "e", "a", "t", "e",
        "*",
    ]);
    let s = t.wait_for("the search", |s| s.contains("2 of 383 events"));
    assert!(s.contains("CreateUser") && s.contains("CreateAccessKey"), "{s}");
    t.keys(&["Enter", "Enter"]);
    t.wait_for("the detail", |s| s.contains("DETAIL") && s.contains("requestParameters"));
    t.keys(&["y"]);
    let s = t.wait_for("the copy", |s| s.contains("via OSC 52"));
    assert!(s.contains("copied event JSON"), "{s}");
    let buffer = String::from_utf8_lossy(&t.cmd(&["show-buffer"]).stdout).into_owned();
    let v: serde_json::Value =
        serde_json::from_str(&buffer).unwrap_or_else(|e| panic!("tmux buffer is the event JSON ({e}): {buffer}"));
    assert_eq!(v["eventName"], "CreateUser");
    assert_eq!(v["userIdentity"]["userName"], "bob");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
    t.keys(&["q"]);
    assert_eq!(wait_file(&exit_file).trim(), "0");
    // The terminal is back to normal: the shell's output is on the main screen.
    let s = t.screen();
    assert!(!s.contains("DETAIL"), "the explorer's screen is gone:\n{s}");
}

#[test]
fn ctrl_c_quits_and_restores_at_small_sizes() {
    let dir = tempdir("tmux-small");
    let exit_file = dir.join("exit");
    let bin = env!("CARGO_BIN_EXE_trailscope");
    let command = format!(
        "'{bin}' --list-first '{}'; echo $? > '{}'; stty -a > '{}'; sleep 5",
        s(&sample()),
        exit_file.display(),
        dir.join("stty").display()
    );
    let Some(t) = Tmux::start("small", (40, 12), &command) else { return };
    t.wait_for("the list", |s| s.contains("TIME"));
    t.keys(&["j", "Enter", "e", "?"]);
    t.wait_for("the help", |s| s.contains("help"));
    t.keys(&["C-c"]);
    assert_eq!(wait_file(&exit_file).trim(), "0");
    let stty = wait_file(&dir.join("stty"));
    assert!(stty.contains(" icanon") && stty.contains(" echo "), "raw mode was left: {stty}");
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn hostile_data_cannot_write_the_clipboard_or_the_title() {
    let dir = tempdir("tmux-hostile");
    let ev = serde_json::json!({"Records": [{"eventTime": "2024-03-01T10:00:00Z", "eventName": "Create\u{1b}[2JUser", "eventID": "h",
        "userAgent": "\u{1b}]52;c;ZWNobyBwd25lZA==\u{7}\u{1b}]2;pwned\u{7}\u{1b}[2J\u{1b}[10;10Hfake\rover",
        "awsRegion": "us-east-1\u{202e}lave", "requestParameters": {"x": "\u{1b}]52;c;b3duZWQ=\u{1b}\\"}}]});
    std::fs::write(dir.join("h.json"), ev.to_string()).unwrap();
    let exit_file = dir.join("exit");
    let bin = env!("CARGO_BIN_EXE_trailscope");
    let command = format!(
        "'{bin}' --list-first --clipboard osc52 '{}'; echo $? > '{}'; sleep 5",
        s(&dir.join("h.json")),
        exit_file.display()
    );
    let Some(t) = Tmux::start("hostile", (120, 30), &command) else { return };
    let title_before = String::from_utf8_lossy(&t.cmd(&["display", "-p", "#{pane_title}"]).stdout).into_owned();
    t.wait_for("the event", |s| s.contains("1 of 1 events"));
    t.keys(&["j", "Enter", "e", "j", "j", "j", "Tab", "Tab", "t", "o"]);
    let s = t.wait_for("the escaped strings", |s| s.contains("\\u001b]52;c;"));
    assert!(s.contains("Create\\u001b[2JUser") && s.contains("us-east-1\\u202elave"), "{s}");
    // Nothing reached tmux as a sequence: no clipboard buffer, the title unchanged.
    let buffer = t.cmd(&["show-buffer"]);
    assert!(
        !buffer.status.success() || buffer.stdout.is_empty(),
        "the data wrote the clipboard: {}",
        String::from_utf8_lossy(&buffer.stdout)
    );
    let title = String::from_utf8_lossy(&t.cmd(&["display", "-p", "#{pane_title}"]).stdout).into_owned();
    assert_eq!(title, title_before);
    assert!(!title.contains("pwned"));
    // The person's own copy does reach the clipboard, with the real bytes.
    t.keys(&["y"]);
    t.wait_for("the copy", |s| s.contains("via OSC 52"));
    let buffer = String::from_utf8_lossy(&t.cmd(&["show-buffer"]).stdout).into_owned();
    let v: serde_json::Value = serde_json::from_str(&buffer).unwrap();
    assert_eq!(v["userAgent"], ev["Records"][0]["userAgent"]);
    t.keys(&["q"]);
    assert_eq!(wait_file(&exit_file).trim(), "0");
}

#[test]
fn a_panic_restores_the_terminal() {
    let dir = tempdir("tmux-panic");
    let bin = env!("CARGO_BIN_EXE_trailscope");
    let command = format!(
        "TRAILSCOPE_PANIC_AFTER_FIRST_FRAME=1 '{bin}' '{}' 2> '{}'; echo $? > '{}'; stty -a > '{}'; echo SHELL-IS-BACK; sleep 5",
        s(&sample()),
        dir.join("stderr").display(),
        dir.join("exit").display(),
        dir.join("stty").display()
    );
    let Some(t) = Tmux::start("panic", (100, 30), &command) else { return };
    assert_eq!(wait_file(&dir.join("exit")).trim(), "101", "a panic exits with Rust's status");
    let stty = wait_file(&dir.join("stty"));
    assert!(
        stty.contains(" icanon") && stty.contains(" echo ") && !stty.contains("-icanon"),
        "raw mode was left on: {stty}"
    );
    let screen = t.wait_for("the shell's own screen", |s| s.contains("SHELL-IS-BACK"));
    assert!(!screen.contains("TIME") && !screen.contains("trailscope  "), "the alternate screen was left: {screen}");
    let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap();
    assert!(stderr.contains("panic requested"), "{stderr}");
    // The mouse is released too: the terminal no longer reports clicks.
    let modes =
        String::from_utf8_lossy(&t.cmd(&["display", "-p", "#{mouse_any_flag}#{alternate_on}"]).stdout).into_owned();
    assert_eq!(modes.trim(), "00", "mouse reporting or the alternate screen is still on");
}

#[test]
fn detections_mark_count_and_filter_in_tmux() {
    let dir = tempdir("tmux-detect");
    let exit_file = dir.join("exit");
    let bin = env!("CARGO_BIN_EXE_trailscope");
    let command = format!("'{bin}' --list-first '{}'; echo $? > '{}'; sleep 5", s(&sample()), exit_file.display());
    let Some(t) = Tmux::start("detect", (160, 48), &command) else { return };
    // The rules run while the sample loads; the header counts flagged events, the panel their levels.
    let screen = t.wait_for("the detections", |s| s.contains("flagged (n)") && s.contains("DETECTIONS"));
    assert!(screen.contains("level (or above)") && screen.contains("rule ("), "{screen}");
    // The panel's first level row: its count is what Enter keeps.
    let row = screen.lines().find(|l| l.contains(" high ")).expect("a high row").to_string();
    let count: String = row.chars().skip(1).take_while(|c| *c == ' ' || c.is_ascii_digit()).collect();
    let count = count.trim().to_string();
    // The first event set nothing off; `n` moves to one that did, and the detail says what.
    assert!(!screen.contains("· by trailscope"), "{screen}");
    t.keys(&["n"]);
    t.wait_for("the first flagged event's findings", |s| s.contains("· by trailscope"));
    t.keys(&["BTab", "BTab", "Enter"]);
    let s = t.wait_for("the level filter", |s| s.contains("/ level:high"));
    assert!(s.contains(&format!(" {count} of 383 events")), "{count} events expected:\n{s}");
    t.keys(&["q"]);
    assert_eq!(wait_file(&exit_file).trim(), "0");
}

#[test]
fn the_incidents_come_first_and_enter_keeps_one_in_tmux() {
    let dir = tempdir("tmux-incidents");
    let exit_file = dir.join("exit");
    let bin = env!("CARGO_BIN_EXE_trailscope");
    let command = format!("'{bin}' '{}'; echo $? > '{}'; sleep 5", s(&sample()), exit_file.display());
    let Some(t) = Tmux::start("incidents", (170, 40), &command) else { return };
    // When loading and detection end, the ranked incidents open over the list.
    let screen = t.wait_for("the incidents", |s| s.contains("incidents · highest score first"));
    let first = screen.lines().find(|l| l.contains("  1 ")).expect("incident 1").to_string();
    assert!(first.contains("critical") && first.contains("bob"), "{screen}");
    assert!(screen.contains("why 1: +"), "{screen}");
    // Enter keeps its events; the detail names the incident and the chain.
    t.keys(&["Enter"]);
    let s = t.wait_for("the incident's events", |s| s.contains("/ incident:1"));
    assert!(s.contains("55 of 383 events"), "{s}");
    t.keys(&["Enter"]);
    t.wait_for("the detail's incident line", |s| s.contains("incident 1 · score") && s.contains("chain: bob"));
    // `i` opens them again; `x` excludes the selected one.
    t.keys(&["Escape", "i"]);
    t.wait_for("the incidents again", |s| s.contains("incidents · highest score first"));
    t.keys(&["x"]);
    t.wait_for("the exclusion", |s| s.contains("/ incident:1 -incident:1"));
    t.keys(&["q"]);
    assert_eq!(wait_file(&exit_file).trim(), "0");
}

#[test]
fn a_case_survives_quitting_and_exports_every_format() {
    let dir = tempdir("tmux-case");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    let case = dir.join("case.json");
    let bin = env!("CARGO_BIN_EXE_trailscope");
    // The explorer runs in `work`, so the exports' relative names land there.
    let command = |exit: &str| {
        format!(
            "sh -c \"cd '{}' && exec '{bin}' --list-first --case '{}' '{}'\"; echo $? > '{}'; sleep 5",
            s(&work),
            s(&case),
            s(&sample()),
            s(&dir.join(exit))
        )
    };
    // A note with a comma and quotes: the CSV must quote it, every reader give it back.
    let note = "trail off, \"by bob\"";
    let tag = "exfil";
    let search = |t: &Tmux, query: &str| {
        t.keys(&["/"]);
        t.wait_for("the query prompt", |s| s.contains("Ctrl-u clear"));
        t.keys(&["C-u"]);
        t.type_text(query);
        t.keys(&["Enter"]);
        t.wait_for("the search", |s| s.contains(&format!("/ {query} ")) && !s.contains("Ctrl-u clear"))
    };

    // 1. Mark two events, tag one and note it, quit.
    let Some(t) = Tmux::start("case", (160, 45), &command("exit1")) else { return };
    t.wait_for("the sample to load", |s| s.contains("383 of 383 events"));
    search(&t, "name:StopLogging");
    t.wait_for("StopLogging selected", |s| s.contains("1 of 383 events") && s.contains("DETAIL  StopLogging"));
    t.keys(&["m"]);
    t.wait_for("the mark", |s| s.contains("marked 1 event"));
    t.keys(&["T"]);
    t.wait_for("the tag prompt", |s| s.lines().any(|l| l.starts_with("tag:")));
    t.type_text(tag);
    t.keys(&["Enter"]);
    t.wait_for("the tag", |s| s.contains("tagged 1 event exfil"));
    t.keys(&["C"]);
    t.wait_for("the note prompt", |s| s.lines().any(|l| l.starts_with("note:")));
    t.type_text(note);
    t.keys(&["Enter"]);
    t.wait_for("the note", |s| s.contains("noted the event"));
    search(&t, "name:CreateUser");
    t.wait_for("CreateUser selected", |s| s.contains("1 of 383 events") && s.contains("DETAIL  CreateUser"));
    t.keys(&["m"]);
    t.wait_for("the second mark", |s| s.contains("marked 1 event"));
    t.keys(&["q"]);
    assert_eq!(wait_file(&dir.join("exit1")).trim(), "0", "the first explorer quits with status 0");
    drop(t);

    // The case file: JSON, the two marks, the tag and the note, each on its own event.
    let sample_records = reference_tree(&sample());
    let by_id = |id: &str| -> &serde_json::Value {
        let found: Vec<_> = sample_records.iter().filter(|r| r["eventID"] == id).collect();
        assert_eq!(found.len(), 1, "one sample record has eventID {id}");
        found[0]
    };
    let text = std::fs::read_to_string(&case).unwrap();
    let kept: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("the case is JSON ({e}):\n{text}"));
    assert_eq!(kept["format"], "trailscope-case");
    assert_eq!(kept["version"], 1);
    let entries = kept["events"].as_array().expect("events");
    assert_eq!(entries.len(), 2, "{text}");
    let entry = |name: &str| {
        entries.iter().find(|e| e["event"]["eventName"] == name).unwrap_or_else(|| panic!("{name} kept:\n{text}"))
    };
    let (stop, create) = (entry("StopLogging"), entry("CreateUser"));
    for e in [stop, create] {
        assert!(e["marked"].as_str().is_some_and(|t| t.starts_with("20")), "marked with a time: {e}");
        let source = by_id(e["event"]["eventID"].as_str().unwrap());
        assert_eq!(source["eventName"], e["event"]["eventName"]);
        assert_eq!(source["eventSource"], e["event"]["eventSource"]);
        assert_eq!(source["eventTime"], e["event"]["eventTime"]);
    }
    let tags: Vec<_> = stop["tags"].as_array().unwrap().iter().map(|t| t["name"].clone()).collect();
    assert_eq!(tags, [tag]);
    let notes: Vec<_> = stop["notes"].as_array().unwrap().iter().map(|n| n["text"].clone()).collect();
    assert_eq!(notes, [note]);
    assert!(create.get("tags").is_none_or(|t| t.as_array().unwrap().is_empty()), "{create}");
    assert!(create.get("notes").is_none_or(|t| t.as_array().unwrap().is_empty()), "{create}");
    let history: Vec<_> = kept["history"].as_array().unwrap().iter().map(|h| h["query"].clone()).collect();
    assert_eq!(history, ["name:StopLogging", "name:CreateUser"]);
    // Written whole and renamed: nothing but the case and its lock beside it.
    let mut beside: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("case.json"))
        .collect();
    beside.sort();
    assert_eq!(beside, ["case.json", "case.json.lock"]);

    // 2. Reopen the case: the marks find their events again, with the tag and the note.
    let Some(t) = Tmux::start("case-again", (160, 45), &command("exit2")) else { return };
    t.wait_for("the sample to load", |s| s.contains("383 of 383 events"));
    let screen = search(&t, "mark:*");
    let screen = if screen.contains("2 of 383 events") {
        screen
    } else {
        t.wait_for("the marked events", |s| s.contains("2 of 383 events"))
    };
    assert!(screen.contains("CreateUser") && screen.contains("StopLogging"), "{screen}");
    // Oldest first: CreateUser (04:22:40), then StopLogging (04:24:09).
    assert!(screen.contains("DETAIL  CreateUser"), "{screen}");
    t.keys(&["j"]);
    t.wait_for("StopLogging selected", |s| s.contains("DETAIL  StopLogging"));
    t.keys(&["Enter"]);
    let screen = t.wait_for("the detail", |s| s.contains("Esc back") && s.contains("DETAIL  StopLogging"));
    assert!(screen.contains("tags: exfil"), "the tag is shown:\n{screen}");
    assert!(screen.contains(note), "the note is shown:\n{screen}");
    t.keys(&["Escape"]);
    std::thread::sleep(Duration::from_millis(200));
    t.wait_for("the list again", |s| !s.contains("Esc back"));
    for (file, format) in [
        ("out.csv", "CSV"),
        ("out.jsonl", "JSON lines"),
        ("out.md", "Markdown"),
        ("out-timesketch.jsonl", "Timesketch JSONL"),
    ] {
        t.keys(&["E"]);
        t.wait_for("the export prompt", |s| s.contains("export the matches to: trailscope-export.csv"));
        t.keys(&["C-u"]);
        t.type_text(file);
        t.keys(&["Enter"]);
        t.wait_for("the export", |s| s.contains(&format!("wrote 2 events to {file} as {format}")));
    }
    t.keys(&["q"]);
    assert_eq!(wait_file(&dir.join("exit2")).trim(), "0", "the second explorer quits with status 0");
    drop(t);
    assert!(!work.join("trailscope-export.csv").exists(), "Ctrl-u cleared the suggested name");

    // CSV: a header with tags and notes, a row per marked event, the note whole despite its comma and quotes.
    let rows = read_csv(&std::fs::read_to_string(work.join("out.csv")).unwrap());
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{rows:?}");
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap_or_else(|| panic!("{name} column"));
    let (id, event, tags, notes) = (col("event_id"), col("event"), col("tags"), col("notes"));
    let names: Vec<&str> = rows[1..].iter().map(|r| r[event].as_str()).collect();
    assert_eq!(names, ["CreateUser", "StopLogging"]);
    for r in &rows[1..] {
        assert_eq!(by_id(&r[id])["eventName"], r[event]);
    }
    assert_eq!((rows[1][tags].as_str(), rows[1][notes].as_str()), ("", ""));
    assert_eq!((rows[2][tags].as_str(), rows[2][notes].as_str()), (tag, note));

    // JSON lines: each record is its source record, with the case beside it in `trailscope`.
    let jsonl = std::fs::read_to_string(work.join("out.jsonl")).unwrap();
    let mut seen = Vec::new();
    for l in jsonl.lines() {
        let mut got: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("a JSON line ({e}): {l}"));
        let ts = got.as_object_mut().unwrap().remove("trailscope").expect("the trailscope object");
        let want = by_id(got["eventID"].as_str().expect("an eventID"));
        assert_eq!(&got, want, "the exported record is its source record");
        assert_eq!(ts["marked"], true, "{ts}");
        let stop = got["eventName"] == "StopLogging";
        assert_eq!(ts["tags"], if stop { serde_json::json!([tag]) } else { serde_json::json!([]) }, "{ts}");
        assert_eq!(ts["notes"], if stop { serde_json::json!([note]) } else { serde_json::json!([]) }, "{ts}");
        seen.push(got["eventName"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, ["CreateUser", "StopLogging"]);

    // Timesketch: message, an RFC 3339 datetime and timestamp_desc; the case's tag among the tags.
    let sketch = std::fs::read_to_string(work.join("out-timesketch.jsonl")).unwrap();
    assert_eq!(sketch.lines().count(), 2, "{sketch}");
    for l in sketch.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("a JSON line ({e}): {l}"));
        for f in ["message", "datetime", "timestamp_desc"] {
            assert!(v[f].as_str().is_some_and(|s| !s.trim().is_empty()), "{f} in {l}");
        }
        let when = chrono::DateTime::parse_from_rfc3339(v["datetime"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("datetime is RFC 3339 ({e}): {l}"));
        let source = by_id(v["event_id"].as_str().expect("event_id"));
        let source_time = chrono::DateTime::parse_from_rfc3339(source["eventTime"].as_str().unwrap()).unwrap();
        assert_eq!(when, source_time, "{l}");
        let tags: Vec<&str> = v["tag"].as_array().expect("a tag array").iter().filter_map(|t| t.as_str()).collect();
        if v["event_name"] == "StopLogging" {
            assert!(tags.contains(&tag), "the case's tag is a Timesketch tag: {l}");
            assert!(v["comment"].as_array().is_some_and(|c| c.contains(&note.into())), "the note is a comment: {l}");
        } else {
            assert!(!tags.contains(&tag), "{l}");
        }
    }

    // Markdown: the note, and a timeline row per exported event.
    let md = std::fs::read_to_string(work.join("out.md")).unwrap();
    assert!(md.contains(note), "the note is in the report:\n{md}");
    let timeline: Vec<&str> = md.lines().filter(|l| l.starts_with("| 20")).collect();
    assert_eq!(timeline.len(), 2, "{md}");
    assert!(timeline[0].contains("| CreateUser |") && timeline[1].contains("| StopLogging |"), "{md}");
    assert!(timeline[1].contains(&format!("| {tag} |")), "{md}");
}
