//! Trail buckets read in place, against a real S3 API: moto's server on
//! 127.0.0.1 (installed by tests/s3/setup.sh), behind a layer that logs every
//! request and injects throttling and denials. What is fetched is counted
//! from the server's own log.

use crate::common;
use common::s3::{self, ACCOUNTS, REGIONS, SECRET, Server};
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::process::Output;

fn stats(out: &Output) -> Value {
    assert!(!stdout(out).contains(SECRET) && !stderr(out).contains(SECRET), "the secret key was printed");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(out), stderr(out)))
}

fn events(v: &Value) -> u64 {
    v["events"].as_u64().unwrap_or_else(|| panic!("no event count in {v}"))
}

/// A trail folder and a server holding it as bucket `trail`, with the
/// faults `faults` makes of the trail's keys.
fn setup_with(
    test: &str,
    faults: impl FnOnce(&[String]) -> String,
) -> Option<(std::path::PathBuf, Vec<String>, Server)> {
    let python = s3::python(test)?;
    let dir = tempdir(test);
    let trail = dir.join("trail");
    let keys = s3::write_trail(&trail);
    let server = Server::start(&python, &dir.join("requests.log"), &[("trail", &trail)], &faults(&keys));
    Some((dir, keys, server))
}

fn setup(test: &str) -> Option<(std::path::PathBuf, Vec<String>, Server)> {
    setup_with(test, |_| "[]".into())
}

#[test]
fn a_bucket_reads_like_its_folder_and_a_cut_fetches_only_its_files() {
    let Some((dir, keys, server)) = setup("s3-cut") else { return };
    let trail = dir.join("trail");
    let whole = stats(&server.bin().args(["stats", "--json", "s3://trail"]).output().unwrap());
    let local = stats_json(&[trail.to_str().unwrap()]);
    assert_eq!(events(&whole), keys.len() as u64 * 3);
    assert_eq!(whole["events"], local["events"]);
    assert_eq!(whole["facets"], local["facets"]);
    let fetched = s3::fetched_keys(&server.take_log(), "trail");
    assert_eq!(fetched.iter().collect::<BTreeSet<_>>(), keys.iter().collect::<BTreeSet<_>>(), "every object once");
    assert_eq!(fetched.len(), keys.len());

    // One account, one region, a day from 02:00: the files delivered that day
    // (the 02:05 one holds events of 01:55, read and left out) and in the
    // hour of slack after it, nothing else.
    let cut =
        ["--account", ACCOUNTS[0], "--region", REGIONS[1], "--since", "2024-03-02T02:00", "--until", "2024-03-03"];
    let out = server.bin().args(["stats", "--json"]).args(cut).arg("s3://trail").output().unwrap();
    let got = stats(&out);
    let fetched: BTreeSet<String> = s3::fetched_keys(&server.take_log(), "trail").into_iter().collect();
    let expected: BTreeSet<String> = keys
        .iter()
        .filter(|k| k.contains(&format!("{}/CloudTrail/{}/2024/03/02/", ACCOUNTS[0], REGIONS[1])))
        .cloned()
        .collect();
    assert_eq!(fetched, expected, "exactly the objects of the cut are fetched");
    // The events are those the query finds in the whole folder.
    let q =
        format!("recipientaccountid:{} region:{} after:2024-03-02T02:00 before:2024-03-03", ACCOUNTS[0], REGIONS[1]);
    let reference = stats_json(&["-q", &q, trail.to_str().unwrap()]);
    assert_eq!(got["events"], reference["events"], "{got}");
    assert_eq!(got["events"].as_u64(), Some((expected.len() as u64 - 1) * 3));
    assert_eq!(got["outside_cut"], 3, "the early file's events are read and left out");

    // The query's own terms prune the same way.
    let out = server.bin().args(["stats", "--json", "--no-builtin", "-q", &q, "s3://trail"]).output().unwrap();
    assert_eq!(stats(&out)["events"], reference["events"]);
    let fetched: BTreeSet<String> = s3::fetched_keys(&server.take_log(), "trail").into_iter().collect();
    assert_eq!(fetched, expected);

    // The same flags prune a local folder in the layout.
    let local_cut =
        stats_json(&[cut[0], cut[1], cut[2], cut[3], cut[4], cut[5], cut[6], cut[7], trail.to_str().unwrap()]);
    assert_eq!((&local_cut["files"], &local_cut["events"]), (&got["files"], &got["events"]), "{local_cut}");
}

#[test]
fn throttling_is_retried_and_denials_are_problems_with_their_keys() {
    let denied_prefix = format!("AWSLogs%2F{}%2FCloudTrail%2F{}", ACCOUNTS[1], REGIONS[1]);
    let first_in = |keys: &[String], account: &str, region: &str| {
        keys.iter().find(|k| k.contains(&format!("{account}/CloudTrail/{region}/"))).unwrap().clone()
    };
    let denied = |keys: &[String]| first_in(keys, ACCOUNTS[0], REGIONS[0]);
    let expired = |keys: &[String]| first_in(keys, ACCOUNTS[1], REGIONS[0]);
    let faults = |keys: &[String]| {
        serde_json::json!([
            {"method": "GET", "contains": "CloudTrail/eu-west-1", "status": 503, "code": "SlowDown", "times": 2},
            {"method": "GET", "contains": denied(keys), "status": 403, "code": "AccessDenied", "times": -1},
            {"method": "GET", "contains": denied_prefix, "status": 403, "code": "AccessDenied", "times": -1},
            {"method": "GET", "contains": expired(keys), "status": 400, "code": "ExpiredToken", "times": -1},
        ])
        .to_string()
    };
    let Some((_dir, keys, server)) = setup_with("s3-faults", faults) else { return };
    let denied_object = denied(&keys);
    let out = server.bin().args(["stats", "--json", "s3://trail"]).output().unwrap();
    let v = stats(&out);
    let in_denied_prefix =
        keys.iter().filter(|k| k.contains(&format!("{}/CloudTrail/{}/", ACCOUNTS[1], REGIONS[1]))).count();
    assert_eq!(events(&v), (keys.len() - in_denied_prefix - 2) as u64 * 3, "{v}");
    let problems = v["problems"].as_array().expect("problems listed");
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 3, "{text:?}");
    assert!(text.iter().any(|p| p.contains(&expired(&keys)) && p.contains("credentials have expired")), "{text:?}");
    assert!(text.iter().any(|p| p.contains(&denied_object) && p.contains("access denied")), "{text:?}");
    assert!(
        text.iter()
            .any(|p| p.contains(&format!("{}/CloudTrail/{}", ACCOUNTS[1], REGIONS[1])) && p.contains("access denied")),
        "{text:?}"
    );
    let log = server.take_log();
    // Two throttled answers for each object of eu-west-1 read (one account's
    // folder is denied), then each was fetched.
    let throttled = log.iter().filter(|(_, _, s)| s == "503").count();
    let read_in_eu = keys.iter().filter(|k| k.contains(&format!("{}/CloudTrail/{}/", ACCOUNTS[0], REGIONS[1]))).count();
    assert_eq!(throttled, 2 * read_in_eu, "each throttled object was retried");
    let fetched: BTreeSet<String> = s3::fetched_keys(&log, "trail").into_iter().collect();
    assert!(keys.iter().filter(|k| k.contains("/eu-west-1/") && k.contains(ACCOUNTS[0])).all(|k| fetched.contains(k)));
}

#[test]
fn the_cache_makes_a_second_run_fetch_nothing() {
    let Some((dir, keys, server)) = setup("s3-cache") else { return };
    let cache = dir.join("cache");
    let first = stats(
        &server.bin().args(["stats", "--json", "--cache", cache.to_str().unwrap(), "s3://trail"]).output().unwrap(),
    );
    assert_eq!(s3::fetched_keys(&server.take_log(), "trail").len(), keys.len());
    let second = stats(
        &server.bin().args(["stats", "--json", "--cache", cache.to_str().unwrap(), "s3://trail"]).output().unwrap(),
    );
    let log = server.take_log();
    assert_eq!(s3::fetched_keys(&log, "trail"), Vec::<String>::new(), "nothing fetched again");
    assert!(!log.is_empty(), "the bucket was still listed");
    assert_eq!(first["events"], second["events"]);
    assert_eq!(first["facets"], second["facets"]);
    // Offline, the cache is a folder in the same layout.
    let offline = stats_json(&[cache.join("trail").to_str().unwrap()]);
    assert_eq!(offline["events"], first["events"]);
    // A changed object is fetched again.
    let one = &keys[0];
    std::fs::write(cache.join("trail").join(one), b"not the object").unwrap();
    stats(&server.bin().args(["stats", "--json", "--cache", cache.to_str().unwrap(), "s3://trail"]).output().unwrap());
    assert_eq!(s3::fetched_keys(&server.take_log(), "trail"), vec![one.clone()]);
}

#[test]
fn a_missing_bucket_and_refused_credentials_are_plain_problems() {
    let Some((_dir, _keys, server)) = setup("s3-errors") else { return };
    let out = server.bin().args(["stats", "--json", "s3://no-such-bucket"]).output().unwrap();
    let v = stats(&out);
    assert_eq!(out.status.code(), Some(1), "nothing read");
    assert!(v["problems"].to_string().contains("no such bucket"), "{v}");
    // Credentials from a profile's credential_process: the standard chain.
    let dir = tempdir("s3-profile");
    let config = dir.join("config");
    std::fs::write(
        &config,
        format!(
            "[profile investigator]\ncredential_process = printf '{{\"Version\":1,\"AccessKeyId\":\"AKIAPROFILE000000000\",\"SecretAccessKey\":\"{SECRET}\"}}'\nregion = us-east-1\n"
        ),
    )
    .unwrap();
    let out = server
        .bin()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", &config)
        .args(["stats", "--json", "--profile", "investigator", "s3://trail"])
        .output()
        .unwrap();
    assert!(events(&stats(&out)) > 0);
    let log = server.take_log();
    assert!(!log.is_empty());
    // No credentials anywhere: a problem that says so, without a secret.
    let out = server
        .bin()
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .args(["stats", "--json", "s3://trail"])
        .output()
        .unwrap();
    let v = stats(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(v["problems"].to_string().to_lowercase().contains("credential"), "{v}");
}

#[test]
fn verify_reads_signatures_from_the_bucket_and_from_its_cache() {
    let Some(python) = s3::python("s3-verify") else { return };
    let dir = tempdir("s3-verify");
    let mut trail = common::digests::Trail::new(&dir);
    trail.sidecars = true;
    let built = trail.build();
    let bucket = common::digests::BUCKET;
    let server = Server::start(&python, &dir.join("requests.log"), &[(bucket, &built.root)], "[]");
    let keys = built.keys.to_str().unwrap();
    let cache = dir.join("cache");
    let url = format!("s3://{bucket}/AWSLogs/");
    let verify = |args: &[&str]| {
        let out = server.bin().args(["verify", "--json", "--public-keys", keys]).args(args).output().unwrap();
        assert!(!stdout(&out).contains(SECRET) && !stderr(&out).contains(SECRET));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        (out.status.code(), v)
    };
    // From the bucket: every signature is in the objects' metadata.
    let (code, v) = verify(&["--cache", cache.to_str().unwrap(), &url]);
    assert_eq!(code, Some(0), "{v:#}");
    assert_eq!(v["signatures"]["verified"].as_u64(), Some(built.digests.len() as u64), "{v:#}");
    assert_eq!(v["signatures"]["unverifiable"], 0);
    assert_eq!(v["summary"]["logs"]["verified"].as_u64(), Some(built.logs.len() as u64));
    assert!(!s3::fetched_keys(&server.take_log(), bucket).is_empty());
    // Offline, from the cache: the same, with nothing fetched.
    let (code, offline) = verify(&[cache.join(bucket).to_str().unwrap()]);
    assert_eq!(code, Some(0), "{offline:#}");
    assert_eq!(offline["signatures"], v["signatures"]);
    assert_eq!(offline["summary"], v["summary"]);
    assert!(server.take_log().is_empty(), "the cache needs no server");
    // A log file changed in the bucket (a new ETag) is fetched again and found modified.
    let changed = &built.logs[2];
    std::fs::write(&changed.path, common::digests::gzip(b"{\"Records\":[]}")).unwrap();
    drop(server);
    let server = Server::start(&python, &dir.join("requests2.log"), &[(bucket, &built.root)], "[]");
    let out = server
        .bin()
        .args(["verify", "--json", "--public-keys", keys, "--cache", cache.to_str().unwrap(), &url])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let failures: Vec<&Value> = v["findings"].as_array().unwrap().iter().filter(|f| f["failure"] == true).collect();
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert_eq!(failures[0]["kind"], "log-modified");
    assert!(failures[0]["file"].as_str().unwrap().ends_with(&changed.key), "{failures:#?}");
    assert_eq!(s3::fetched_keys(&server.take_log(), bucket), vec![changed.key.clone()], "only the changed object");
}
