//! The real binary in a real terminal: tmux, when it is installed. Load the
//! sample, search, open the detail, copy through OSC 52 (tmux keeps it in its
//! buffer with set-clipboard on), quit with status 0.

mod common;
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
        let command = format!("env XDG_DATA_HOME={} {command}", scratch_data().display());
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
