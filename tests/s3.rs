//! Trail buckets read in place, against a real S3 API: moto's server on
//! 127.0.0.1 (installed by tests/s3/setup.sh), behind a layer that logs every
//! request and injects throttling and denials. What is fetched is counted
//! from the server's own log.

mod common;
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

    // One account, one region, one day: the folder's files delivered that day
    // and in the hour of slack after it, nothing else.
    let cut = ["--account", ACCOUNTS[0], "--region", REGIONS[1], "--since", "2024-03-02", "--until", "2024-03-03"];
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
    let q = format!("recipientaccountid:{} region:{} after:2024-03-02 before:2024-03-03", ACCOUNTS[0], REGIONS[1]);
    let reference = stats_json(&["-q", &q, trail.to_str().unwrap()]);
    assert_eq!(got["events"], reference["events"], "{got}");
    assert_eq!(got["events"].as_u64(), Some(expected.len() as u64 * 3));

    // The query's own terms prune the same way.
    let out = server.bin().args(["stats", "--json", "-q", &q, "s3://trail"]).output().unwrap();
    assert_eq!(stats(&out)["events"], reference["events"]);
    let fetched: BTreeSet<String> = s3::fetched_keys(&server.take_log(), "trail").into_iter().collect();
    assert_eq!(fetched, expected);

    // The same flags prune a local folder in the layout.
    let local_cut =
        stats_json(&[cut[0], cut[1], cut[2], cut[3], cut[4], cut[5], cut[6], cut[7], trail.to_str().unwrap()]);
    assert_eq!(local_cut["files"], got["files"], "{local_cut}");
}

#[test]
fn throttling_is_retried_and_denials_are_problems_with_their_keys() {
    let denied_prefix = format!("AWSLogs%2F{}%2FCloudTrail%2F{}", ACCOUNTS[1], REGIONS[1]);
    let denied = |keys: &[String]| {
        keys.iter().find(|k| k.contains(&format!("{}/CloudTrail/{}/", ACCOUNTS[0], REGIONS[0]))).unwrap().clone()
    };
    let faults = |keys: &[String]| {
        serde_json::json!([
            {"method": "GET", "contains": "CloudTrail/eu-west-1", "status": 503, "code": "SlowDown", "times": 2},
            {"method": "GET", "contains": denied(keys), "status": 403, "code": "AccessDenied", "times": -1},
            {"method": "GET", "contains": denied_prefix, "status": 403, "code": "AccessDenied", "times": -1},
        ])
        .to_string()
    };
    let Some((_dir, keys, server)) = setup_with("s3-faults", faults) else { return };
    let denied_object = denied(&keys);
    let out = server.bin().args(["stats", "--json", "s3://trail"]).output().unwrap();
    let v = stats(&out);
    let in_denied_prefix =
        keys.iter().filter(|k| k.contains(&format!("{}/CloudTrail/{}/", ACCOUNTS[1], REGIONS[1]))).count();
    assert_eq!(events(&v), (keys.len() - in_denied_prefix - 1) as u64 * 3, "{v}");
    let problems = v["problems"].as_array().expect("problems listed");
    let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 2, "{text:?}");
    assert!(text.iter().any(|p| p.contains(&denied_object) && p.contains("access denied")), "{text:?}");
    assert!(
        text.iter()
            .any(|p| p.contains(&format!("{}/CloudTrail/{}", ACCOUNTS[1], REGIONS[1])) && p.contains("access denied")),
        "{text:?}"
    );
    let log = server.take_log();
    let throttled = log.iter().filter(|(_, _, s)| s == "503").count();
    assert!(throttled >= 2 * 2 * 3 * 6 / 2, "the throttled objects were retried: {throttled} 503s");
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
