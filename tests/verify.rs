//! `trailscope verify` on trails with real signed digest chains
//! (tests/common/digests.rs): each kind of damage is reported exactly, and
//! nothing else is.

use crate::common;

use common::digests::{self, Built, Trail};
use serde_json::Value;
use std::fs;
use std::path::Path;
use trailscope::source::layout::{Cut, HOUR};
use trailscope::verify::{self, Keys, Progress};

/// The library's report on `root`, as its JSON.
fn check(root: &Path, keys: Option<&Path>) -> Value {
    let keys = keys.map_or_else(Keys::none, |k| Keys::read(&fs::read(k).unwrap()).unwrap());
    let (sources, problems) =
        trailscope::source::resolve(&[root.to_path_buf()], &trailscope::source::Options::default());
    assert!(problems.is_empty());
    let report = verify::check(&sources, &keys, &Cut::default(), &Progress::default());
    serde_json::from_str(&report.json()).expect("the report is JSON")
}

/// The binary's exit status and `--json` report.
fn run_json(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["verify", "--json"];
    all.extend_from_slice(args);
    let o = common::run(&all);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("--json is JSON ({e}): {}\n{}", common::stdout(&o), common::stderr(&o)));
    (o.status.code().unwrap_or(-1), v)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The findings as (kind, file with the trail's folder taken off).
fn findings(r: &Value, root: &Path) -> Vec<(String, String)> {
    let root = format!("{}/", root.display());
    let mut out: Vec<(String, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let file = f["file"].as_str().unwrap_or("-");
            (f["kind"].as_str().unwrap().to_string(), file.strip_prefix(&root).unwrap_or(file).to_string())
        })
        .collect();
    out.sort();
    out
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
    out.sort();
    out
}

/// The one finding of `kind`.
fn finding<'a>(r: &'a Value, kind: &str) -> &'a Value {
    let all: Vec<&Value> = r["findings"].as_array().unwrap().iter().filter(|f| f["kind"] == kind).collect();
    assert_eq!(all.len(), 1, "one {kind}: {r:#}");
    all[0]
}

fn with_sidecars(name: &str) -> Built {
    Trail { sidecars: true, ..Trail::new(&common::tempdir(name)) }.build()
}

fn time(t: i64) -> String {
    trailscope::model::time::format_utc(t)
}

#[test]
fn valid_chains_with_sidecars_verify_everything() {
    let b = with_sidecars("verify-valid");
    let (code, r) = run_json(&["--public-keys", s(&b.keys), s(&b.root)]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(findings(&r, &b.root), vec![]);
    assert_eq!(r["intact"], true);
    assert_eq!(r["signatures"]["verified"], 12);
    assert_eq!(r["signatures"]["unverifiable"], 0);
    assert_eq!(r["summary"]["digests"]["verified"], 12);
    assert_eq!(r["summary"]["logs"]["verified"], 24);
    assert_eq!(r["summary"]["logs"]["listed"], 24);
    let regions = r["regions"].as_array().unwrap();
    assert_eq!(regions.len(), 2);
    for reg in regions {
        assert_eq!(reg["hours"], 6);
        assert_eq!(reg["first"], "2024-03-01T10:00:37Z");
        assert_eq!(reg["last"], "2024-03-01T16:00:37Z");
        assert_eq!(reg["digests"]["found"], 6);
    }
    assert!(r["failed_logs"].as_array().unwrap().is_empty());
}

#[test]
fn without_metadata_the_newest_digest_of_each_chain_is_unverifiable() {
    let dir = common::tempdir("verify-no-sidecars");
    let b = Trail {
        accounts: vec!["111122223333".into(), "444455556666".into()],
        regions: vec!["us-east-1".into()],
        ..Trail::new(&dir)
    }
    .build();
    let o = common::run(&["verify", "--public-keys", s(&b.keys), s(&b.root)]);
    let text = common::stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("Signatures: 10 verified, 2 NOT CHECKED."), "{text}");
    assert!(text.contains("2 digest signatures were NOT checked"), "{text}");
    let r = check(&b.root, Some(&b.keys));
    let newest: Vec<&str> = b.digests.iter().filter(|d| d.end == b.digests[5].end).map(|d| d.key.as_str()).collect();
    assert_eq!(newest.len(), 2);
    assert_eq!(
        findings(&r, &b.root),
        pairs(&[("signatures-unverifiable", newest[0]), ("signatures-unverifiable", newest[1])])
    );
    assert!(finding_text(&r, "signatures-unverifiable").contains("a copy without S3 metadata"));
    for reg in r["regions"].as_array().unwrap() {
        assert_eq!(reg["digests"]["verified"], 5, "{reg}");
        assert_eq!(reg["digests"]["unverifiable"], 1);
        assert_eq!(reg["logs"]["verified"], 12);
    }
    assert_eq!(r["intact"], true);
}

/// The reasons of every finding of `kind`, together.
fn finding_text(r: &Value, kind: &str) -> String {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == kind)
        .map(|f| f["reason"].as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_modified_log_file() {
    let b = with_sidecars("verify-modified");
    let log = &b.logs[5];
    let mut content = digests::gunzip(&fs::read(&log.path).unwrap());
    let at = content.iter().position(|&c| c == b'G').unwrap();
    content[at] = b'P'; // GetObject -> PetObject
    fs::write(&log.path, digests::gzip(&content)).unwrap();
    let (code, r) = run_json(&["--public-keys", s(&b.keys), s(&b.root)]);
    assert_eq!(code, 1);
    assert_eq!(findings(&r, &b.root), pairs(&[("log-modified", &log.key)]));
    let f = finding(&r, "log-modified");
    assert!(f["reason"].as_str().unwrap().contains("does not match the hash in digest"), "{f}");
    assert_eq!(f["failure"], true);
    let hour = b.digests.iter().find(|d| d.region == log.region && d.start <= log.start && log.start < d.end).unwrap();
    assert_eq!((f["from"].as_str().unwrap(), f["to"].as_str().unwrap()), (&*time(hour.start), &*time(hour.end)));
    assert_eq!(r["failed_logs"], serde_json::json!([log.path.to_str().unwrap()]));
    assert_eq!(r["summary"]["logs"]["modified"], 1);
    assert_eq!(r["summary"]["logs"]["verified"], 23);
}

#[test]
fn a_deleted_log_file() {
    let b = with_sidecars("verify-deleted-log");
    let log = &b.logs[7];
    fs::remove_file(&log.path).unwrap();
    fs::remove_file(digests::sidecar_of(&log.path)).unwrap();
    let r = check(&b.root, Some(&b.keys));
    assert_eq!(findings(&r, &b.root), pairs(&[("log-missing", &log.key)]));
    assert!(finding_text(&r, "log-missing").contains("not among the inputs"));
    assert_eq!(r["summary"]["logs"]["missing"], 1);
    assert_eq!(r["failed_logs"], serde_json::json!([]), "nothing present failed");
}

#[test]
fn a_deleted_digest_is_a_gap_with_its_hours() {
    let b = with_sidecars("verify-deleted-digest");
    let gone = &b.digests[2];
    fs::remove_file(&gone.path).unwrap();
    fs::remove_file(digests::sidecar_of(&gone.path)).unwrap();
    let (code, r) = run_json(&["--public-keys", s(&b.keys), s(&b.root)]);
    assert_eq!(code, 1);
    assert_eq!(findings(&r, &b.root), pairs(&[("digest-missing", &gone.key), ("logs-not-covered", "-")]));
    let f = finding(&r, "digest-missing");
    assert_eq!((f["from"].as_str().unwrap(), f["to"].as_str().unwrap()), (&*time(gone.start), &*time(gone.end)));
    assert_eq!(f["count"], 1);
    assert_eq!(f["region"], gone.region);
    // Its two log files are listed nowhere now, but they were delivered in
    // the gap: not covered, not "unlisted".
    let n = finding(&r, "logs-not-covered");
    assert_eq!((n["count"].as_u64(), n["failure"].as_bool()), (Some(2), Some(false)), "{n}");
    assert!(n["reason"].as_str().unwrap().contains("in hours without a digest"));
    assert_eq!(r["summary"]["digests"]["missing"], 1);
    assert_eq!(r["summary"]["logs"]["unlisted"], 0);
}

#[test]
fn a_digest_with_a_wrong_signature() {
    let b = with_sidecars("verify-signature");
    // A digest in the middle: its successor recorded the true signature.
    let d = &b.digests[3];
    let side = digests::sidecar_of(&d.path);
    let true_sig = d.signature.as_deref().unwrap();
    let forged = format!("{}{}", if true_sig.starts_with('0') { "1" } else { "0" }, &true_sig[1..]);
    fs::write(&side, fs::read_to_string(&side).unwrap().replace(true_sig, &forged)).unwrap();
    let r = check(&b.root, Some(&b.keys));
    assert_eq!(findings(&r, &b.root), pairs(&[("digest-modified", &d.key)]));
    let why = finding_text(&r, "digest-modified");
    assert!(why.contains("differs from the one the next digest recorded"), "{why}");
    assert!(why.contains("does not verify with CloudTrail's public key"), "{why}");
    assert_eq!((r["signatures"]["failed"].as_u64(), r["signatures"]["verified"].as_u64()), (Some(1), Some(11)));
    // The newest digest: only its own signature says anything.
    let newest = &b.digests[5];
    let side = digests::sidecar_of(&newest.path);
    let sig = newest.signature.as_deref().unwrap();
    fs::write(&side, fs::read_to_string(&side).unwrap().replace(sig, &sig.chars().rev().collect::<String>())).unwrap();
    let r = check(&b.root, Some(&b.keys));
    assert_eq!(findings(&r, &b.root), pairs(&[("digest-modified", &d.key), ("digest-modified", &newest.key)]));
}

#[test]
fn a_copied_digest_in_the_wrong_place() {
    let b = with_sidecars("verify-copied");
    let d = &b.digests[5];
    // The same bytes where the next hour's digest would be.
    let key = digests::digest_key(&d.account, &d.region, d.end + HOUR);
    digests::put(&b.root, digests::BUCKET, &key, &fs::read(&d.path).unwrap(), None);
    let (code, r) = run_json(&["--public-keys", s(&b.keys), s(&b.root)]);
    assert_eq!(code, 1);
    assert_eq!(findings(&r, &b.root), pairs(&[("digest-wrong-location", &key)]));
    assert!(finding_text(&r, "digest-wrong-location").contains(&format!("s3://{}/{}", digests::BUCKET, d.key)));
    assert_eq!(r["summary"]["digests"]["wrong_location"], 1);
    assert_eq!(r["summary"]["digests"]["verified"], 12, "the original is fine");
}

#[test]
fn a_log_file_no_digest_lists() {
    let b = with_sidecars("verify-unlisted");
    let (acct, region) = (b.logs[0].account.as_str(), b.logs[0].region.as_str());
    let first = b.digests.iter().find(|d| d.region == region).unwrap();
    // Within hour 2, and one after the newest digest.
    let inside = first.start + 2 * HOUR + 30 * 60_000_000;
    let (key, ..) = digests::write_log(&b.root, true, (acct, region), inside, 900);
    let last = b.digests.iter().filter(|d| d.region == region).map(|d| d.end).max().unwrap();
    let (late, ..) = digests::write_log(&b.root, true, (acct, region), last + 10 * 60_000_000, 901);
    let (code, r) = run_json(&["--public-keys", s(&b.keys), s(&b.root)]);
    assert_eq!(code, 1);
    assert_eq!(findings(&r, &b.root), pairs(&[("log-unlisted", &key), ("logs-not-covered", "-")]));
    let n = finding(&r, "logs-not-covered");
    assert!(n["reason"].as_str().unwrap().contains("after the newest digest ends"), "{n}");
    assert_eq!(n["count"], 1);
    assert_eq!(n["failure"], false);
    assert_eq!(r["summary"]["logs"]["unlisted"], 1);
    assert_eq!(r["summary"]["logs"]["uncovered"], 1);
    let failed: Vec<&str> = r["failed_logs"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert_eq!(failed.len(), 1);
    assert!(failed[0].ends_with(&key) && !failed[0].ends_with(&late));
}

#[test]
fn an_empty_digest_is_reported_as_such_not_as_an_error() {
    let dir = common::tempdir("verify-empty");
    let b = Trail { sidecars: true, empty_hours: vec![2], ..Trail::new(&dir) }.build();
    let (code, r) = run_json(&["--public-keys", s(&b.keys), s(&b.root)]);
    assert_eq!(code, 0, "{r:#}");
    let empty: Vec<&str> = b.digests.iter().filter(|d| d.start == b.digests[2].start).map(|d| d.key.as_str()).collect();
    assert_eq!(findings(&r, &b.root), pairs(&[("empty-digest", empty[0]), ("empty-digest", empty[1])]));
    let f = &r["findings"][0];
    assert_eq!(f["failure"], false);
    assert_eq!(f["from"].as_str().unwrap(), time(b.digests[2].start));
    assert!(f["reason"].as_str().unwrap().contains("no log files were delivered"));
    assert_eq!(r["summary"]["digests"]["empty"], 2);
    assert_eq!(r["summary"]["digests"]["verified"], 12);
    assert_eq!(r["summary"]["logs"]["verified"], 20);
}

#[test]
fn bytes_after_the_gzip_member_make_a_log_file_invalid() {
    let b = with_sidecars("verify-trailing");
    let log = &b.logs[2];
    let mut bytes = fs::read(&log.path).unwrap();
    bytes.extend(digests::gzip(b"{\"Records\":[{\"eventName\":\"Injected\"}]}"));
    fs::write(&log.path, bytes).unwrap();
    let r = check(&b.root, Some(&b.keys));
    assert_eq!(findings(&r, &b.root), pairs(&[("log-modified", &log.key)]));
    assert!(finding_text(&r, "log-modified").contains("bytes after the end of the compressed data"));
}

#[test]
fn a_keys_file_with_a_wrong_fingerprint_is_refused() {
    let b = with_sidecars("verify-bad-keys");
    let bad = b.root.with_extension("bad-keys.json");
    let good = digests::fingerprint();
    fs::write(&bad, fs::read_to_string(&b.keys).unwrap().replace(&good, &"0".repeat(32))).unwrap();
    let o = common::run(&["verify", "--public-keys", s(&b.keys), "--public-keys", s(&bad), s(&b.root)]);
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(err.contains("is not the MD5 of its Value") && err.contains("refused"), "{err}");
    assert!(common::stdout(&o).is_empty(), "no report on a keys file that cannot be trusted");
}

#[test]
fn without_keys_signatures_are_unverifiable_and_the_report_says_so() {
    let b = with_sidecars("verify-no-keys");
    let (code, r) = run_json(&[s(&b.root)]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["signatures"]["verified"], 0);
    assert_eq!(r["signatures"]["unverifiable"], 12);
    let note = r["signatures"]["note"].as_str().unwrap();
    assert!(note.contains("no public keys: pass --public-keys FILE from `aws cloudtrail list-public-keys`"), "{note}");
    assert_eq!(findings(&r, &b.root), pairs(&[("signatures-unverifiable", "-"), ("signatures-unverifiable", "-")]));
    assert_eq!(r["findings"][0]["count"], 6);
    assert_eq!(r["summary"]["logs"]["verified"], 24, "hashes are checked all the same");
    let text = common::stdout(&common::run(&["verify", s(&b.root)]));
    assert!(text.contains("12 NOT CHECKED") && text.contains("no public keys"), "{text}");
}

#[test]
fn a_key_given_as_subject_public_key_info_verifies_too() {
    // Digests name the MD5 of the key as list-public-keys gives it, here
    // the SubjectPublicKeyInfo bytes.
    let dir = common::tempdir("verify-spki");
    let b = Trail { sidecars: true, public_key: digests::public_spki(), ..Trail::new(&dir) }.build();
    let r = check(&b.root, Some(&b.keys));
    assert_eq!(r["signatures"]["verified"], 12, "{r:#}");
    assert_eq!(findings(&r, &b.root), vec![]);
    // Keys that do not include the one a digest names: not checked, and why.
    fs::write(&b.keys, digests::keys_json(&[digests::public_pkcs1()])).unwrap();
    let r = check(&b.root, Some(&b.keys));
    assert_eq!(r["signatures"]["unverifiable"], 12);
    let why = finding_text(&r, "signatures-unverifiable");
    assert!(
        why.contains(&format!("no public key with fingerprint {}", digests::md5_hex(&digests::public_spki()))),
        "{why}"
    );
}

#[test]
fn a_digest_rewritten_without_a_log_is_caught_by_the_chain() {
    // No sidecars: the middle digest's signature comes from its successor.
    let dir = common::tempdir("verify-rewritten");
    let b = Trail::new(&dir).build();
    let d = &b.digests[1];
    let mut v: Value = serde_json::from_slice(&digests::gunzip(&fs::read(&d.path).unwrap())).unwrap();
    let dropped = v["logFiles"].as_array_mut().unwrap().remove(0);
    fs::write(&d.path, digests::gzip(&serde_json::to_vec(&v).unwrap())).unwrap();
    let r = check(&b.root, Some(&b.keys));
    let dropped = dropped["s3Object"].as_str().unwrap();
    let newest: Vec<&str> = b.digests.iter().filter(|x| x.end == b.digests[5].end).map(|x| x.key.as_str()).collect();
    assert_eq!(
        findings(&r, &b.root),
        pairs(&[
            ("digest-modified", &d.key),
            ("log-unlisted", dropped),
            ("signatures-unverifiable", newest[0]),
            ("signatures-unverifiable", newest[1]),
        ])
    );
    let why = finding_text(&r, "digest-modified");
    assert!(why.contains("does not match the hash the next digest recorded"), "{why}");
    assert!(why.contains("does not verify"), "{why}");
}

#[test]
fn logs_without_digests_verify_nothing() {
    let dir = common::tempdir("verify-nothing");
    let b = Trail::new(&dir).build();
    for d in &b.digests {
        fs::remove_file(&d.path).unwrap();
    }
    let o = common::run(&["verify", s(&b.root)]);
    assert_eq!(o.status.code(), Some(3), "{}", common::stdout(&o));
    assert!(common::stdout(&o).contains("no digest file for this account and region"), "{}", common::stdout(&o));
}

#[test]
fn a_bucket_is_verified_with_the_signatures_in_its_metadata() {
    let Some(python) = common::s3::python("verify-s3") else { return };
    let dir = common::tempdir("verify-s3");
    let b = Trail { sidecars: true, ..Trail::new(&dir) }.build();
    let log = &b.logs[3];
    let mut bytes = fs::read(&log.path).unwrap();
    bytes.push(0);
    fs::write(&log.path, bytes).unwrap();
    // The seeder puts each sidecar's metadata on its object, as CloudTrail does.
    let server = common::s3::Server::start(&python, &dir.join("requests.log"), &[(digests::BUCKET, &b.root)], "[]");
    let url = format!("s3://{}", digests::BUCKET);
    let out = server.bin().args(["verify", "--json", "--public-keys", s(&b.keys), &url]).output().unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    assert_eq!(out.status.code(), Some(1), "{r:#}");
    let name = format!("{url}/{}", log.key);
    assert_eq!(findings(&r, &b.root), pairs(&[("log-modified", &name)]));
    assert_eq!(r["signatures"]["verified"], 12, "the newest digests too: S3 keeps their signatures");
    assert_eq!(r["summary"]["logs"]["verified"], 23);
    assert_eq!(r["failed_logs"], serde_json::json!([name]));
}

#[test]
fn a_digest_from_another_bucket_is_in_the_wrong_place() {
    // A cached copy knows its bucket: the same key in another bucket is not
    // where CloudTrail wrote the digest.
    let b = with_sidecars("verify-other-bucket");
    let d = &b.digests[4];
    let side = digests::sidecar_of(&d.path);
    let text = fs::read_to_string(&side).unwrap().replace(digests::BUCKET, "another-bucket");
    fs::write(&side, text).unwrap();
    let r = check(&b.root, Some(&b.keys));
    assert_eq!(findings(&r, &b.root), pairs(&[("digest-wrong-location", &d.key)]));
    assert_eq!(r["summary"]["digests"]["wrong_location"], 1);
    assert_eq!(r["summary"]["digests"]["verified"], 11);
}

#[test]
fn a_restarted_chain_is_a_notice_with_the_hours_it_skipped() {
    let dir = common::tempdir("verify-restart");
    let b = Trail { sidecars: true, regions: vec!["us-east-1".into()], ..Trail::new(&dir) }.build();
    // Logging stopped for hour 3: two chains, the second starting afresh.
    let logs: Vec<digests::Log> = b
        .logs
        .iter()
        .map(|l| digests::Log {
            key: l.key.clone(),
            sha256: digests::sha256_hex(&digests::gunzip(&fs::read(&l.path).unwrap())),
        })
        .collect();
    for d in &b.digests {
        fs::remove_file(&d.path).unwrap();
        fs::remove_file(digests::sidecar_of(&d.path)).unwrap();
    }
    let fp = digests::fingerprint();
    let region = ("111122223333", "us-east-1");
    let first =
        digests::write_chain(&b.root, digests::BUCKET, "AWSLogs/", region, b.digests[0].start, 3, &logs, true, &fp);
    let restart = b.digests[4].start;
    let second = digests::write_chain(&b.root, digests::BUCKET, "AWSLogs/", region, restart, 2, &logs, true, &fp);
    let (code, r) = run_json(&["--public-keys", s(&b.keys), s(&b.root)]);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(findings(&r, &b.root), pairs(&[("logging-restarted", &second[0].key), ("logs-not-covered", "-")]));
    let f = finding(&r, "logging-restarted");
    assert_eq!((f["from"].as_str().unwrap(), f["to"].as_str().unwrap()), (&*time(first[2].end), &*time(restart)));
    assert_eq!(f["failure"], false);
    assert_eq!(finding(&r, "logs-not-covered")["count"], 2, "the files of the hour without a digest");
    assert_eq!(r["summary"]["digests"]["verified"], 5);
    assert_eq!(r["summary"]["digests"]["missing"], 0);
}
