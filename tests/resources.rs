//! Resource bounds on pathological input, through the real binary: each case
//! finishes, keeps what is valid, reports what it refused, and stays within
//! a stated memory bound (peak resident memory, measured by GNU time when it
//! is installed).

use crate::common;
use common::*;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// Writes a stream to the child's standard input.
type Feed = Box<dyn FnOnce(&mut dyn Write) + Send>;

/// Runs `trailscope stats --json ARGS`, feeding `stdin` from `feed` when given;
/// returns the report and the peak resident memory in MB (if measurable).
fn stats(args: &[&str], feed: Option<Feed>) -> (Value, Option<u64>) {
    let time = Path::new("/usr/bin/time").exists();
    let dir = tempdir("res-time");
    let rss_file = dir.join("rss");
    let mut cmd = if time {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-o").arg(&rss_file).arg("-f").arg("%M").arg(env!("CARGO_BIN_EXE_trailscope"));
        c
    } else {
        bin()
    };
    cmd.arg("stats").arg("--json").args(args).stdout(Stdio::piped()).stderr(Stdio::null());
    cmd.stdin(if feed.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = cmd.spawn().unwrap();
    let writer = feed.map(|f| {
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || f(&mut stdin))
    });
    let out = child.wait_with_output().unwrap();
    if let Some(w) = writer {
        let _ = w.join();
    }
    let report =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let rss = std::fs::read_to_string(&rss_file)
        .ok()
        .and_then(|s| s.trim().lines().last()?.parse::<u64>().ok())
        .map(|kb| kb / 1024);
    if rss.is_none() {
        eprintln!("note: /usr/bin/time not installed, peak memory not measured");
    }
    (report, rss)
}

fn messages(v: &Value) -> Vec<String> {
    v["problems"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap().to_string()).collect()
}

const GB2: u64 = 2 << 30;

#[test]
fn a_2gb_single_value_is_refused_with_bounded_memory() {
    // One record holding a 2 GB string: read up to the 64 MB a record may take, then refused.
    let t = Instant::now();
    let (v, rss) = stats(
        &["-"],
        Some(Box::new(|w: &mut dyn Write| {
            let good = json!({"eventTime": "2024-01-01T00:00:00Z", "eventID": "before"}).to_string();
            let _ = write!(w, "{{\"Records\":[{good},{{\"eventTime\":\"2024-01-01T00:00:01Z\",\"x\":\"");
            let block = vec![b'A'; 1 << 20];
            let mut sent = 0;
            while sent < GB2 && w.write_all(&block).is_ok() {
                sent += block.len() as u64;
            }
        })),
    );
    assert_eq!(v["events"], 1, "the record before it is kept");
    assert!(messages(&v).iter().any(|m| m.contains("larger than 64 MB")), "{:?}", messages(&v));
    if let Some(mb) = rss {
        assert!(mb < 400, "peak memory {mb} MB");
    }
    eprintln!("2 GB value: {:?}, peak {rss:?} MB", t.elapsed());
}

#[test]
fn a_2gb_gzip_bomb_streams_with_bounded_memory() {
    // 2 GB of blank lines between two events, gzip-compressed to a few MB: inflated
    // as a stream (too large to inflate whole), so memory stays flat.
    let dir = tempdir("bomb");
    let path = dir.join("bomb.jsonl.gz");
    {
        let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
        writeln!(gz, "{}", json!({"eventTime": "2024-01-01T00:00:00Z", "eventID": "a"})).unwrap();
        let block = vec![b'\n'; 1 << 20];
        for _ in 0..(GB2 >> 20) {
            gz.write_all(&block).unwrap();
        }
        writeln!(gz, "{}", json!({"eventTime": "2024-01-01T00:00:01Z", "eventID": "b"})).unwrap();
        gz.finish().unwrap();
    }
    let (v, rss) = stats(&[&path.to_string_lossy()], None);
    assert_eq!(v["events"], 2);
    assert_eq!(v["problems"], json!([]));
    if let Some(mb) = rss {
        assert!(mb < 200, "peak memory {mb} MB");
    }
}

#[test]
fn a_hundred_thousand_tiny_files() {
    let dir = tempdir("tiny");
    for i in 0..100_000u32 {
        let sub = dir.join(format!("{:03}", i % 500));
        if i < 500 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        std::fs::write(
            sub.join(format!("{i}.json")),
            format!(r#"{{"eventTime":"2024-01-01T00:00:00Z","eventName":"E{}","eventID":"{i}"}}"#, i % 7),
        )
        .unwrap();
    }
    let t = Instant::now();
    let (v, rss) = stats(&[&dir.to_string_lossy()], None);
    eprintln!("100,000 files: {:?}, peak {rss:?} MB", t.elapsed());
    assert_eq!(v["events"], 100_000);
    assert_eq!(v["files"], 100_000);
    assert_eq!(v["problems"], json!([]));
    if let Some(mb) = rss {
        assert!(mb < 300, "peak memory {mb} MB");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn huge_strings_and_deep_nesting_load() {
    let dir = tempdir("big-deep");
    let big = json!({"Records": [{"eventTime": "2024-01-01T00:00:00Z", "eventID": "big", "requestParameters": {"policy": "A".repeat(20_000_000)}}]});
    std::fs::write(dir.join("big.json"), big.to_string()).unwrap();
    let deep = format!(
        r#"{{"eventTime":"2024-01-01T00:00:01Z","eventID":"deep","requestParameters":{}null{}}}"#,
        "{\"a\":".repeat(5000),
        "}".repeat(5000)
    );
    std::fs::write(dir.join("deep.json"), deep).unwrap();
    let (v, rss) = stats(&[&dir.to_string_lossy()], None);
    assert_eq!(v["events"], 2);
    assert_eq!(v["problems"], json!([]));
    if let Some(mb) = rss {
        assert!(mb < 300, "peak memory {mb} MB");
    }
    // Both come back whole.
    let o = run(&["query", "--format", "jsonl", &dir.to_string_lossy()]);
    let lines: Vec<&str> = std::str::from_utf8(&o.stdout).unwrap().lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(lines.iter().any(|l| l.len() > 20_000_000));
    assert!(lines.iter().any(|l| l.matches("{\"a\":").count() == 5000));
}

#[test]
fn loops_unreadable_files_and_odd_names() {
    let dir = tempdir("odd");
    let ev = |id: &str| json!({"Records": [{"eventTime": "2024-01-01T00:00:00Z", "eventID": id}]}).to_string();
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(dir.join("a/b/x.json"), ev("x")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::os::unix::fs::symlink("..", dir.join("a/b/up")).unwrap();
        std::os::unix::fs::symlink(".", dir.join("a/self")).unwrap();
        std::os::unix::fs::symlink("nowhere.json", dir.join("a/dangling.json")).unwrap();
        // A name that is not UTF-8, one readable and one broken.
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(b"bad\xffname.json")), ev("odd")).unwrap();
        std::fs::write(dir.join(std::ffi::OsStr::from_bytes(b"broken\xfe.json")), b"{not json").unwrap();
    }
    let (v, _) = stats(&[&dir.to_string_lossy()], None);
    assert_eq!(v["events"], 2, "x.json and the odd name, each once despite the loops");
    let problems = v["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p["path"].as_str().unwrap().contains("dangling.json")));
    assert!(problems.iter().any(|p| p["path"].as_str().unwrap().contains("broken\u{fffd}.json")));
    // An unreadable file: permission denied where that holds; for root, a file whose read fails.
    let unreadable = dir.join("locked.json");
    std::fs::write(&unreadable, ev("locked")).unwrap();
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    let target = if is_root {
        "/proc/self/mem".to_string()
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&unreadable, std::fs::Permissions::from_mode(0o000)).unwrap();
        }
        unreadable.to_string_lossy().into_owned()
    };
    let o = run(&["stats", "--json", &target, &dir.join("a/b/x.json").to_string_lossy()]);
    assert_eq!(o.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["events"], 1);
    assert!(v["problems"].as_array().unwrap().iter().any(|p| p["path"] == target.as_str()), "{v}");
    // Only the unreadable input: nothing was read.
    assert_eq!(run(&["stats", &target]).status.code(), Some(1));
}
