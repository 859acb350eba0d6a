//! A local S3 (moto's server, tests/s3/server.py) for the bucket tests, and a
//! small trail in the bucket layout to put in it.

use super::repo;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// The Python with moto, set up once (None, with a note, when it cannot be;
/// a failure when TRAILSCOPE_REQUIRE_SHARED=1, as in CI).
pub fn python(test: &str) -> Option<PathBuf> {
    static READY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    super::venv_python(test, &READY, "tests/s3/setup.sh", "target/s3-venv", "moto's S3 server")
}

/// A running server; it stops when dropped (its standard input closes).
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
    pub log: PathBuf,
}

impl Server {
    /// Starts a server with `buckets` seeded from folders and `faults`
    /// (JSON, see tests/s3/server.py).
    pub fn start(python: &Path, log: &Path, buckets: &[(&str, &Path)], faults: &str) -> Server {
        let mut cmd = Command::new(python);
        cmd.arg(repo().join("tests/s3/server.py")).arg("--log").arg(log).arg("--faults").arg(faults);
        for (bucket, dir) in buckets {
            cmd.arg("--seed").arg(format!("{bucket}={}", dir.display()));
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start the S3 server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line).expect("the server says its port");
        let port = line.trim().strip_prefix("PORT ").and_then(|p| p.parse().ok()).unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the S3 server did not start: {line:?}")
        });
        let stdin = child.stdin.take();
        Server { child, stdin, port, log: log.to_path_buf() }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The binary, talking to this server with test credentials and nothing
    /// from the machine's own AWS setup.
    pub fn bin(&self) -> Command {
        let mut c = super::bin();
        for v in ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"] {
            c.env_remove(v);
        }
        c.env("AWS_ENDPOINT_URL", self.endpoint())
            .env("AWS_ACCESS_KEY_ID", "AKIATESTTESTTEST0000")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/nonexistent/trailscope-test/config")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/trailscope-test/credentials")
            .stdin(Stdio::null());
        c
    }

    /// The requests served since the last call: (method, path?query, status).
    pub fn take_log(&self) -> Vec<(String, String, String)> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        std::fs::write(&self.log, "").expect("clear the request log");
        text.lines()
            .filter_map(|l| {
                let mut p = l.splitn(3, ' ');
                Some((p.next()?.to_string(), p.next()?.to_string(), p.next()?.to_string()))
            })
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The secret key the tests give; no output may ever hold it.
pub const SECRET: &str = "tEsTsEcReTkEy0123456789SHOULDNEVERSHOW";

/// The object keys a request log says were fetched (GET of an object, not a listing).
pub fn fetched_keys(log: &[(String, String, String)], bucket: &str) -> Vec<String> {
    let head = format!("/{bucket}/");
    log.iter()
        .filter(|(m, t, s)| m == "GET" && s == "200" && t.starts_with(&head))
        .map(|(_, t, _)| t.split_once('?').map_or(t.as_str(), |(path, _)| path)[head.len()..].to_string())
        .filter(|key| !key.is_empty())
        .collect()
}

pub const ACCOUNTS: [&str; 2] = ["111111111111", "222222222222"];
pub const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Writes a small trail in the bucket layout under `dir`: 2 accounts, 2
/// regions, 3 days (2024-03-01 to 03), a file every 4 hours holding 3 events
/// of the 10 minutes before its delivery. Returns the log files written
/// (relative keys).
pub fn write_trail(dir: &Path) -> Vec<String> {
    use flate2::{Compression, write::GzEncoder};
    let mut keys = Vec::new();
    let mut n = 0;
    for account in ACCOUNTS {
        for region in REGIONS {
            for day in 1..=3 {
                for hour in (2..24).step_by(4) {
                    let folder = format!("AWSLogs/{account}/CloudTrail/{region}/2024/03/{day:02}");
                    let name = format!("{account}_CloudTrail_{region}_202403{day:02}T{hour:02}05Z_{:016}.json.gz", n);
                    let records: Vec<String> = (0..3)
                        .map(|i| {
                            n += 1;
                            format!(
                                r#"{{"eventVersion":"1.08","eventTime":"2024-03-{day:02}T{:02}:{:02}:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"{region}","recipientAccountId":"{account}","eventID":"ev-{n}","userIdentity":{{"type":"IAMUser","userName":"u{i}","accountId":"{account}"}}}}"#,
                                hour - 1,
                                55 + i
                            )
                        })
                        .collect();
                    let body = format!(r#"{{"Records":[{}]}}"#, records.join(","));
                    std::fs::create_dir_all(dir.join(&folder)).unwrap();
                    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
                    gz.write_all(body.as_bytes()).unwrap();
                    std::fs::write(dir.join(&folder).join(&name), gz.finish().unwrap()).unwrap();
                    keys.push(format!("{folder}/{name}"));
                }
            }
        }
    }
    keys
}
