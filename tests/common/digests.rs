//! Trails with real digest chains, signed with the test key in
//! tests/fixtures/verify (never a real one): log files in the S3 layout,
//! hourly digests listing them, linked and signed as CloudTrail does, a
//! keys file as `aws cloudtrail list-public-keys` prints it, and optionally
//! `.s3meta` sidecars (as a `--cache` folder keeps them) holding each
//! digest's signature. Used by tests/verify.rs and, through `#[path]`, by
//! examples/sign_digests.rs, so it needs nothing else from tests/common.
#![allow(dead_code)]

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use trailscope::model::time::{Micros, civil_from_days, format_utc, parse_event_time};
use trailscope::source::cache::Sidecar;
use trailscope::source::layout::{self, Family, HOUR};

pub const BUCKET: &str = "trailscope-test-trail";
pub const TRAIL: &str = "test-trail";
const MINUTE: Micros = 60_000_000;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/verify")
}

fn fixture(name: &str) -> Vec<u8> {
    let p = fixtures().join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The test key's public half as PKCS#1 `RSAPublicKey` DER.
pub fn public_pkcs1() -> Vec<u8> {
    fixture("test-key-NOT-SECRET.pub.pkcs1.der")
}

/// The same key as X.509 SubjectPublicKeyInfo DER.
pub fn public_spki() -> Vec<u8> {
    fixture("test-key-NOT-SECRET.pub.spki.der")
}

/// SHA256withRSA signature (hex) of `message` with the test key.
pub fn sign(message: &[u8]) -> String {
    let pair = RsaKeyPair::from_pkcs8(&fixture("test-key-NOT-SECRET.pk8.der")).expect("the test key reads");
    let mut sig = vec![0u8; pair.public().modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), message, &mut sig).expect("signing works");
    hex(&sig)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | ((b as u32) << (16 - 8 * i)));
        for i in 0..4 {
            out.push(if i <= chunk.len() { A[((n >> (18 - 6 * i)) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::Digest;
    hex(&md5::Md5::digest(bytes))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// The first gzip member's content.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).expect("gzip");
    out
}

/// A keys file (list-public-keys JSON) holding these DER values, each with
/// its true fingerprint.
pub fn keys_json(values: &[Vec<u8>]) -> String {
    let list: Vec<serde_json::Value> = values
        .iter()
        .map(|v| {
            serde_json::json!({
                "Value": base64(v),
                "ValidityStartTime": 1_700_000_000.0,
                "ValidityEndTime": 1_800_000_000.0,
                "Fingerprint": md5_hex(v),
            })
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "PublicKeyList": list })).unwrap()
}

/// The test key's fingerprint as digests name it: the MD5 of the key as
/// list-public-keys gives it (PKCS#1 here).
pub fn fingerprint() -> String {
    md5_hex(&public_pkcs1())
}

fn date_folder(t: Micros) -> (String, String) {
    let secs = t.div_euclid(1_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    (format!("{y:04}/{m:02}/{d:02}"), format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}", s / 3600, s % 3600 / 60, s % 60))
}

/// The key of a log file delivered at `t` (to the minute).
pub fn log_key(account: &str, region: &str, t: Micros, unique: &str) -> String {
    let (day, stamp) = date_folder(t);
    format!(
        "AWSLogs/{account}/CloudTrail/{region}/{day}/{account}_CloudTrail_{region}_{}Z_{unique}.json.gz",
        &stamp[..13]
    )
}

/// The key of the digest ending at `end`, under `AWSLogs/`.
pub fn digest_key(account: &str, region: &str, end: Micros) -> String {
    digest_key_under("AWSLogs/", account, region, end)
}

/// The key of the digest ending at `end`, under `base` (`[PREFIX/]AWSLogs/[o-ORG/]`).
pub fn digest_key_under(base: &str, account: &str, region: &str, end: Micros) -> String {
    let (day, stamp) = date_folder(end);
    format!(
        "{base}{account}/CloudTrail-Digest/{region}/{day}/{account}_CloudTrail-Digest_{region}_{TRAIL}_us-east-1_{stamp}Z.json.gz"
    )
}

/// Writes `bytes` at `root/key`, with a sidecar holding `metadata` when asked.
pub fn put(root: &Path, bucket: &str, key: &str, bytes: &[u8], sidecar: Option<&[(&str, &str)]>) -> PathBuf {
    let p = root.join(key);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    if let Some(meta) = sidecar {
        let side = Sidecar {
            origin: trailscope::source::Origin { bucket: bucket.into(), key: key.into() },
            size: bytes.len() as u64,
            etag: None,
            metadata: meta.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        };
        std::fs::write(sidecar_of(&p), serde_json::to_vec_pretty(&side).unwrap()).unwrap();
    }
    p
}

pub fn sidecar_of(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".s3meta");
    PathBuf::from(s)
}

/// A file written, and where it sits in the trail.
#[derive(Debug, Clone)]
pub struct Written {
    pub account: String,
    pub region: String,
    pub key: String,
    pub path: PathBuf,
    /// A log: delivery, twice. A digest: the hour it covers.
    pub start: Micros,
    pub end: Micros,
    /// A digest's signature.
    pub signature: Option<String>,
}

/// A log file to list: its key and the SHA-256 of its content.
pub struct Log {
    pub key: String,
    pub sha256: String,
}

/// Writes the hourly digests of one account and region under `base`
/// (`[PREFIX/]AWSLogs/[o-ORG/]`): `hours` digests from `start`, each listing
/// the logs delivered in its hour, linked and signed. Returns them oldest
/// first.
#[allow(clippy::too_many_arguments)]
pub fn write_chain(
    root: &Path,
    bucket: &str,
    base: &str,
    (account, region): (&str, &str),
    start: Micros,
    hours: usize,
    logs: &[Log],
    sidecars: bool,
    fingerprint: &str,
) -> Vec<Written> {
    let mut out: Vec<Written> = Vec::new();
    let mut previous: Option<(String, String, String)> = None; // key, content hash, signature
    for h in 0..hours {
        let (from, to) = (start + h as Micros * HOUR, start + (h as Micros + 1) * HOUR);
        let listed: Vec<serde_json::Value> = logs
            .iter()
            .filter(|l| layout::parse(&l.key).is_some_and(|k| (from..to).contains(&k.name.time())))
            .map(|l| {
                serde_json::json!({
                    "s3Bucket": bucket, "s3Object": l.key, "hashValue": l.sha256, "hashAlgorithm": "SHA-256",
                    "newestEventTime": format_utc(to - 10 * MINUTE), "oldestEventTime": format_utc(from),
                })
            })
            .collect();
        let key = digest_key_under(base, account, region, to);
        let (end_text, any) = (format_utc(to), !listed.is_empty());
        let content = serde_json::to_vec(&serde_json::json!({
            "awsAccountId": account,
            "digestStartTime": format_utc(from),
            "digestEndTime": end_text,
            "digestS3Bucket": bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": fingerprint,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": if any { serde_json::json!(format_utc(to - 10 * MINUTE)) } else { serde_json::Value::Null },
            "oldestEventTime": if any { serde_json::json!(format_utc(from)) } else { serde_json::Value::Null },
            "previousDigestS3Bucket": previous.as_ref().map(|_| bucket),
            "previousDigestS3Object": previous.as_ref().map(|p| &p.0),
            "previousDigestHashValue": previous.as_ref().map(|p| &p.1),
            "previousDigestHashAlgorithm": previous.as_ref().map(|_| "SHA-256"),
            "previousDigestSignature": previous.as_ref().map(|p| &p.2),
            "logFiles": listed,
        }))
        .unwrap();
        let hash = sha256_hex(&content);
        let prev_sig = previous.as_ref().map_or("null", |p| p.2.as_str());
        let signature = sign(format!("{end_text}\n{bucket}/{key}\n{hash}\n{prev_sig}").as_bytes());
        let meta = [("signature", signature.as_str()), ("signature-algorithm", "SHA256withRSA")];
        let path = put(root, bucket, &key, &gzip(&content), sidecars.then_some(&meta[..]));
        out.push(Written {
            account: account.into(),
            region: region.into(),
            key: key.clone(),
            path,
            start: from,
            end: to,
            signature: Some(signature.clone()),
        });
        previous = Some((key, hash, signature));
    }
    out
}

/// A trail to build: accounts × regions, each with `hours` hourly digests
/// and `files_per_hour` log files in every hour but the `empty_hours`.
#[derive(Debug, Clone)]
pub struct Trail {
    pub root: PathBuf,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub hours: usize,
    pub files_per_hour: usize,
    pub empty_hours: Vec<usize>,
    pub sidecars: bool,
    /// The first digest's start (odd seconds, as CloudTrail's are).
    pub start: Micros,
    /// The test key's public half as the keys file gives it (its MD5 is the
    /// fingerprint the digests name).
    pub public_key: Vec<u8>,
}

/// What [`Trail::build`] wrote.
#[derive(Debug, Clone)]
pub struct Built {
    pub root: PathBuf,
    pub keys: PathBuf,
    pub logs: Vec<Written>,
    /// Oldest first within each account and region.
    pub digests: Vec<Written>,
}

impl Trail {
    /// One account, two regions, 6 hours, 2 files an hour, no sidecars,
    /// written under `dir/BUCKET` (the layout of a cache).
    pub fn new(dir: &Path) -> Trail {
        Trail {
            root: dir.join(BUCKET),
            accounts: vec!["111122223333".into()],
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            hours: 6,
            files_per_hour: 2,
            empty_hours: vec![],
            sidecars: false,
            start: parse_event_time("2024-03-01T10:00:37Z").unwrap(),
            public_key: public_pkcs1(),
        }
    }

    pub fn build(&self) -> Built {
        let mut built = Built {
            root: self.root.clone(),
            keys: self.root.with_extension("keys.json"),
            logs: vec![],
            digests: vec![],
        };
        std::fs::create_dir_all(&self.root).unwrap();
        std::fs::write(&built.keys, keys_json(std::slice::from_ref(&self.public_key))).unwrap();
        let fingerprint = md5_hex(&self.public_key);
        let mut n = 0;
        for account in &self.accounts {
            for region in &self.regions {
                let mut logs = Vec::new();
                for h in (0..self.hours).filter(|h| !self.empty_hours.contains(h)) {
                    for f in 0..self.files_per_hour {
                        n += 1;
                        let t = self.start + h as Micros * HOUR + (5 + 20 * f as Micros) * MINUTE;
                        let (key, path, sha256) = write_log(&self.root, self.sidecars, (account, region), t, n);
                        let t = layout::parse(&key).map(|k| k.name.time()).unwrap();
                        built.logs.push(Written {
                            account: account.clone(),
                            region: region.clone(),
                            key: key.clone(),
                            path,
                            start: t,
                            end: t,
                            signature: None,
                        });
                        logs.push(Log { key, sha256 });
                    }
                }
                built.digests.extend(write_chain(
                    &self.root,
                    BUCKET,
                    "AWSLogs/",
                    (account, region),
                    self.start,
                    self.hours,
                    &logs,
                    self.sidecars,
                    &fingerprint,
                ));
            }
        }
        built
    }
}

/// Writes a small log file delivered at `t`; returns its key, path and
/// content hash.
pub fn write_log(
    root: &Path,
    sidecar: bool,
    (account, region): (&str, &str),
    t: Micros,
    n: usize,
) -> (String, PathBuf, String) {
    let key = log_key(account, region, t, &format!("T{n:015x}"));
    let records = serde_json::json!({"Records": [{
        "eventVersion": "1.08",
        "eventTime": format_utc(t - 3 * MINUTE),
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "awsRegion": region,
        "recipientAccountId": account,
        "eventID": format!("00000000-0000-4000-8000-{n:012}"),
    }]});
    let content = serde_json::to_vec(&records).unwrap();
    let path = put(root, BUCKET, &key, &gzip(&content), sidecar.then_some(&[][..]));
    (key, path, sha256_hex(&content))
}

/// Every log file under `root` in the trail layout: its key (relative to
/// `root`) and path, in key order.
pub fn logs_under(root: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(rel) = p.strip_prefix(root) {
                let key = rel.to_string_lossy().replace('\\', "/");
                if layout::parse(&key).is_some_and(|k| k.family == Family::Log) {
                    out.push((key, p));
                }
            }
        }
    }
    out.sort();
    out
}
