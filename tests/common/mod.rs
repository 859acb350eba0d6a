//! Helpers shared by the integration tests: the binary, ../shared, and a
//! plain reference reader of CloudTrail files (serde_json, no tricks) to
//! check the fast loader against.
#![allow(dead_code)]

pub mod digests;
pub mod generated;
pub mod s3;
pub mod tui;

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary, with its case folder in a scratch place: tests never touch
/// the cases kept in the home folder.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trailscope"));
    c.env("XDG_DATA_HOME", scratch_data()).env("XDG_CONFIG_HOME", scratch_data().join("config"));
    c
}

/// A data folder ($XDG_DATA_HOME) of this test process's own.
pub fn scratch_data() -> PathBuf {
    sweep_dead_scratch();
    std::env::temp_dir().join(format!("{SCRATCH}{}-data", std::process::id()))
}

/// Every scratch folder a test process makes is named `SCRATCH{pid}-…`.
const SCRATCH: &str = "trailscope-test-";

/// Removes the scratch folders of test processes that have ended. Folders
/// kept for a whole process (generated trails behind a `OnceLock`) are never
/// dropped, so without this every run would leave gigabytes in /tmp.
fn sweep_dead_scratch() {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(SCRATCH)) else { continue };
            let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
            if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    });
}

/// The query language's test corpus, for queries over the bundled sample:
/// every kind of term, negated and not (`query_engine.rs` checks the engine
/// against a plain reading with it, `athena.rs` the Athena SQL).
pub const QUERY_CORPUS: &[&str] = &[
    "",
    "name:GetObject",
    "name:get*",
    "-name:GetObject",
    "source:s3",
    "source:s3.amazonaws.com",
    "source:kinesis*",
    "error:*",
    "-error:*",
    "error:* -error:AccessDenied",
    "actor:bob",
    "actor:Admin/*",
    "actor:root",
    "type:AssumedRole",
    "type:AWSService -actor:lambda*",
    "account:012345678910",
    "region:us-east-1 readonly:true",
    "key:AKIAQ3EGRJ4VBOBKEY77",
    "agent:*kali*",
    "after:2024-05-15T04 before:2024-05-15T05",
    "-after:2024-05-15",
    "before:2024-05-14T09:30",
    "\"prod-db-backups\"",
    "-\"prod-db-backups\"",
    "\"ORDERS-00\"",
    "requestParameters.bucketName:prod-*",
    "resources.ARN:*orders-00*",
    "requestParameters.userName:*",
    "requestParameters.instances.instanceCount:1",
    "bob",
    "getobj",
    "assumerole",
    "198.51",
    "2024-05-15",
    "05-15",
    "04:2",
    "alice -name:Decrypt",
    "eventtype:AwsCloudTrailInsight",
    "category:Data",
    "id:*",
    "arn:*assumed-role/ci-deploy/*",
    "principal:AROA*:github-actions",
    "-principal:*",
    "vpce:*",
    "-vpce:*",
    "message:*not*authorized*",
    "zzzz-nothing",
];

pub fn run(args: &[&str]) -> Output {
    bin().args(args).stdin(Stdio::null()).output().expect("run trailscope")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample() -> PathBuf {
    repo().join("assets/sample")
}

/// `../shared` beside the repository, or None (with a note) when it is
/// absent. With TRAILSCOPE_REQUIRE_SHARED=1 (as in CI) absence is a failure.
pub fn shared(test: &str) -> Option<PathBuf> {
    let dir = repo().join("../shared");
    if dir.join("tools/gen_cloudtrail.py").exists() {
        return Some(dir.canonicalize().unwrap_or(dir));
    }
    if std::env::var("TRAILSCOPE_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("{test}: ../shared is required (TRAILSCOPE_REQUIRE_SHARED=1) but {} is missing", dir.display());
    }
    eprintln!("SKIPPED {test}: ../shared not found beside the repository");
    None
}

/// Runs the generator in `../shared/tools` with `args`.
pub fn generate(shared: &Path, args: &[&str]) {
    let st = Command::new("python3")
        .arg(shared.join("tools/gen_cloudtrail.py"))
        .args(args)
        .stderr(Stdio::null())
        .status()
        .expect("python3 runs");
    assert!(st.success(), "generator failed: {args:?}");
}

/// The Python of a test tools' virtual environment, made by `setup` (a
/// script of the repository) in `dir` (under it) once per test process:
/// the tests of a binary run at once, and two pip installs into one folder
/// would break it. None, with a note, when it cannot be set up; a failure
/// when TRAILSCOPE_REQUIRE_SHARED=1, as in CI.
pub fn venv_python(
    test: &str,
    ready: &std::sync::OnceLock<bool>,
    setup: &str,
    dir: &str,
    what: &str,
) -> Option<PathBuf> {
    let venv = repo().join(dir);
    let ok = *ready.get_or_init(|| {
        let st = Command::new("bash").arg(repo().join(setup)).arg(&venv).status();
        st.is_ok_and(|s| s.success())
    });
    if ok {
        return Some(venv.join("bin/python"));
    }
    if std::env::var("TRAILSCOPE_REQUIRE_SHARED").as_deref() == Ok("1") {
        panic!("{test}: {what} could not be set up ({setup})");
    }
    eprintln!("SKIPPED {test}: {what} could not be set up ({setup})");
    None
}

pub fn tempdir(name: &str) -> PathBuf {
    sweep_dead_scratch();
    let d = std::env::temp_dir().join(format!("{SCRATCH}{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Every regular file under `dir`, sorted.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { stack.push(p) } else { out.push(p) }
        }
    }
    out.sort();
    out
}

/// The decoded bytes of a file (gunzipped when it starts with the gzip magic).
pub fn read_decoded(p: &Path) -> Vec<u8> {
    let raw = std::fs::read(p).unwrap();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out).unwrap();
        out
    } else {
        raw
    }
}

/// The records of a well-formed file of any shape, read the plain way.
pub fn reference_records(p: &Path) -> Vec<Value> {
    let bytes = read_decoded(p);
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_slice(&bytes).into_iter::<Value>() {
        let Ok(v) = v else { break };
        match v {
            Value::Object(ref m) if m.contains_key("Records") => {
                out.extend(m["Records"].as_array().cloned().unwrap_or_default())
            }
            Value::Object(ref m) if m.contains_key("digestStartTime") => {}
            Value::Array(a) => out.extend(a),
            other => out.push(other),
        }
    }
    out
}

/// A JSON value that keeps its members in the order written (serde_json's
/// `Value` sorts them): two records are the same content when these agree.
#[derive(Debug, Clone, PartialEq)]
pub enum Ordered {
    Scalar(Value),
    Array(Vec<Ordered>),
    Object(Vec<(String, Ordered)>),
}

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, b: bool) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(b.into()))
            }
            fn visit_i64<E>(self, n: i64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(n.into()))
            }
            fn visit_u64<E>(self, n: u64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(n.into()))
            }
            fn visit_f64<E>(self, n: f64) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(n.into()))
            }
            fn visit_str<E>(self, s: &str) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(s.into()))
            }
            fn visit_unit<E>(self) -> Result<Ordered, E> {
                Ok(Ordered::Scalar(Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(x) = a.next_element()? {
                    v.push(x);
                }
                Ok(Ordered::Array(v))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Ordered, A::Error> {
                let mut v = Vec::new();
                while let Some(kv) = a.next_entry()? {
                    v.push(kv);
                }
                Ok(Ordered::Object(v))
            }
        }
        d.deserialize_any(V)
    }
}

/// The records of a well-formed file, members in the order written (see [`reference_records`]).
pub fn ordered_records(p: &Path) -> Vec<Ordered> {
    let bytes = read_decoded(p);
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_slice(&bytes).into_iter::<Ordered>() {
        let Ok(v) = v else { break };
        match v {
            Ordered::Object(m) if m.iter().any(|(k, _)| k == "Records") => {
                if let Some((_, Ordered::Array(a))) = m.into_iter().find(|(k, _)| k == "Records") {
                    out.extend(a)
                }
            }
            Ordered::Object(ref m) if m.iter().any(|(k, _)| k == "digestStartTime") => {}
            Ordered::Array(a) => out.extend(a),
            other => out.push(other),
        }
    }
    out
}

/// The records of every log file under `dir` (as the loader picks them).
pub fn reference_tree(dir: &Path) -> Vec<Value> {
    files(dir)
        .iter()
        .filter(|p| trailscope::source::layout::is_log_name(&p.file_name().unwrap().to_string_lossy()))
        .filter(|p| !p.components().any(|c| c.as_os_str() == "CloudTrail-Digest"))
        .flat_map(|p| reference_records(p))
        .collect()
}

/// `stats --json` of `paths`.
pub fn stats_json(args: &[&str]) -> Value {
    let mut all = vec!["stats", "--json"];
    all.extend_from_slice(args);
    let o = run(&all);
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("stats --json output is JSON ({e}): {}\n{}", stdout(&o), stderr(&o)))
}

/// A CSV reader (RFC 4180: quoted cells, doubled quotes, newlines and commas
/// in quotes; a row ends at LF or CRLF); a quote left open fails.
pub fn read_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    assert!(!quoted, "the CSV ends inside a quoted cell");
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    rows
}
