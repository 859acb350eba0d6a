//! Attribution is a function of the records alone: the same records give the
//! same credential graph, origins, chains, `trace --json` and actors
//! summary whatever the order of the files, how they are split into
//! batches, how many loader threads read them, and when the tracker takes
//! in what has arrived. Checked on a story of the shapes real data has
//! (always) and on a generated trail with every key's chain (with
//! ../shared).

use crate::common;
use common::*;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use trailscope::engine::{Dataset, Options};
use trailscope::identity::actors::{By, summarize};
use trailscope::identity::{Chain, Graph, Tracker};
use trailscope::loader::{LoadOptions, Progress};
use trailscope::model::fields::Field;
use trailscope::store::{EventId, Store};

const A: &str = "111111111111";
const B: &str = "222222222222";

fn ev(sec: u32, account: &str, name: &str, uid: Value, response: Value) -> Value {
    json!({
        "eventVersion": "1.09", "userIdentity": uid, "eventTime": format!("2024-05-14T10:00:{sec:02}Z"),
        "eventSource": "sts.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15.0", "requestParameters": null,
        "responseElements": response, "eventID": format!("{account}-{sec}-{name}"), "recipientAccountId": account
    })
}

fn user(account: &str, name: &str, key: &str) -> Value {
    json!({"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/{name}"), "accountId": account, "accessKeyId": key, "userName": name})
}

fn session(account: &str, role: &str, name: &str, key: &str) -> Value {
    json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"), "accountId": account,
        "accessKeyId": key, "sessionContext": {"sessionIssuer": {"userName": role}}})
}

fn issued(key: &str, arn: &str) -> Value {
    json!({"credentials": {"accessKeyId": key}, "assumedRoleUser": {"arn": arn}})
}

/// A story in which the same second holds many events and ties must be
/// broken by content: cross-account copies (in the same second), the same
/// call logged twice with different content, a session whose events
/// disagree on its account in one second, a key two principals used,
/// placeholders, a key made for another user.
fn story() -> Vec<Value> {
    let mut v = Vec::new();
    for i in 0..6u32 {
        let (k1, k2) = (format!("ASIAFIRST{i:03}QWERTYZ"), format!("ASIASECOND{i:03}QWERTY"));
        let (u, k0) = (format!("user{i}"), format!("AKIAUSER{i:03}ASDFGHJK"));
        v.push(ev(
            1,
            A,
            "AssumeRole",
            user(A, &u, &k0),
            issued(&k1, &format!("arn:aws:sts::{A}:assumed-role/Ops/{u}")),
        ));
        let arn = format!("arn:aws:sts::{B}:assumed-role/Audit/{u}");
        v.push(ev(2, A, "AssumeRole", session(A, "Ops", &u, &k1), issued(&k2, &arn)));
        let account = json!({"type": "AWSAccount", "principalId": format!("AROAX:{u}"), "accountId": A});
        v.push(ev(2, B, "AssumeRole", account, issued(&k2, &arn)));
        for n in 0..3 {
            let mut e = ev(3, B, "ListBuckets", session(B, "Audit", &u, &k2), Value::Null);
            e["requestID"] = format!("r{n}").into();
            v.push(e);
        }
        // The same key logged for another principal, in the same second.
        v.push(ev(3, B, "DeleteBucket", session(B, "Other", &u, &k2), Value::Null));
        v.push(ev(3, A, "ListUsers", user(A, &u, "AKIAIOSFODNN7EXAMPLE"), Value::Null));
        // A second record of the first call, differing only in its request ID: which one issued k1 is
        // decided by content.
        let mut again = v[v.len() - 8].clone();
        again["requestID"] = "again".into();
        again["sourceIPAddress"] = "203.0.113.9".into();
        v.push(again);
        // k1's events in one second name two accounts: its hop names the one that sorts first by content.
        for acct in ["123123123123", "123451234516"] {
            let mut s = session(A, "Ops", &u, &k1);
            s["accountId"] = acct.into();
            v.push(ev(9, A, "GetCallerIdentity", s, Value::Null));
        }
    }
    let made = json!({"accessKey": {"userName": "svc", "accessKeyId": "AKIASVCSVCSVC0000001"}});
    v.push(ev(4, A, "CreateAccessKey", user(A, "user0", "AKIAUSER000ASDFGHJK"), made));
    v.push(ev(5, A, "ListBuckets", user(A, "svc", "AKIASVCSVCSVC0000001"), Value::Null));
    v
}

/// Everything attribution answers, with events named by content (their
/// fingerprint), so loads in different orders compare.
fn snapshot(store: &Store, graph: &Graph) -> String {
    let fp = |id: EventId| format!("{:016x}", store.fingerprint(id));
    let mut lines: Vec<String> = (0..store.len() as EventId)
        .map(|id| format!("{} {} new {:?}", fp(id), graph.origin(store, id), graph.firsts.new_kinds(store, id)))
        .collect();
    lines.sort();
    let mut keys: Vec<&str> = store.dict(Field::AccessKey).iter().map(|(_, k)| k).collect();
    keys.extend(store.dict(Field::IssuedKey).iter().map(|(_, k)| k));
    keys.sort();
    keys.dedup();
    for k in keys {
        let c = Chain::of(graph, store, k);
        lines.push(format!("{k} {:?}", c.end));
        for h in &c.hops {
            lines.push(format!(
                "  {:?} {} {} {} by {:?} {:?} confirmed {:?} at {:?} from {:?} events {} conflicts {:?}",
                h.key,
                h.actor,
                h.arn,
                h.account,
                h.issued_by.map(fp),
                h.link,
                h.confirmed_by.iter().map(|&e| fp(e)).collect::<Vec<_>>(),
                h.issued_at,
                h.source_ip,
                h.events,
                h.conflicts
            ));
        }
    }
    let all: Vec<EventId> = store.order().to_vec();
    for by in [By::Actor, By::Origin] {
        for s in summarize(store, graph, &all, by) {
            lines.push(format!("{} {} {} {}", s.identity, s.events, s.keys_cell(), s.untrusted.len()));
        }
    }
    let (counts, distinct) = graph.count_origins(store, &all, usize::MAX);
    lines.push(format!("{counts:?} {distinct}"));
    lines.join("\n")
}

/// Loads `files` one by one into one store, the tracker taking in what has
/// arrived after the files `steps` says (and at the end).
fn load_stepping(files: &[(String, Vec<u8>)], steps: &[bool]) -> String {
    let store = RwLock::new(Store::new());
    let graph = Arc::new(RwLock::new(Graph::default()));
    let mut tracker = Tracker::new(Arc::clone(&graph));
    for (i, f) in files.iter().enumerate() {
        trailscope::loader::load_bytes(vec![f.clone()], &store, &Progress::default(), None);
        if steps.get(i).copied().unwrap_or(false) {
            tracker.step(&store);
        }
    }
    tracker.step(&store);
    let (s, g) = (store.read().unwrap(), graph.read().unwrap());
    snapshot(&s, &g)
}

/// `lines` cut into files at `cuts` (positions), each file named by its index.
fn split(lines: &[String], cuts: &[usize]) -> Vec<(String, Vec<u8>)> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (lines.len() + 1)).collect();
    at.extend([0, lines.len()]);
    at.sort();
    at.dedup();
    at.windows(2).enumerate().map(|(i, w)| (format!("f{i}.jsonl"), lines[w[0]..w[1]].concat().into_bytes())).collect()
}

fn lines_of(events: &[Value]) -> Vec<String> {
    events.iter().map(|e| format!("{e}\n")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Any order of the records, any cut into files (batches), any moments
    /// of taking them in: the same answers.
    #[test]
    fn the_same_records_give_the_same_answers(
        order in Just((0..story().len()).collect::<Vec<usize>>()).prop_shuffle(),
        cuts in prop::collection::vec(0usize..64, 0..8),
        steps in prop::collection::vec(any::<bool>(), 0..9),
    ) {
        let story = story();
        let want = load_stepping(&split(&lines_of(&story), &[]), &[]);
        let shuffled: Vec<Value> = order.iter().map(|&i| story[i].clone()).collect();
        prop_assert_eq!(load_stepping(&split(&lines_of(&shuffled), &cuts), &steps), want);
    }
}

#[test]
fn the_story_exercises_ties_conflicts_and_copies() {
    let s = load_stepping(&split(&lines_of(&story()), &[]), &[]);
    assert!(s.contains("confirmed [\"") && s.contains("conflicts [(\""), "{s}");
    assert!(s.contains(" user0\n") || s.contains(" user0"), "{s}");
}

fn write_files(dir: &Path, files: &[(String, Vec<u8>)]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|(name, bytes)| {
            let p = dir.join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect()
}

/// The explorer's own path (`Dataset::open`, loader threads, the tracker
/// stepping beside them), 20 times with 1, 2 and 8 threads; and `trace
/// --json` of every key with the files named in two orders.
fn explorer_loads_agree(lines: &[String], keys: &[String], test: &str) {
    let dir = tempdir(test);
    let files = write_files(&dir, &split(lines, &[lines.len() / 3, lines.len() / 2, 2 * lines.len() / 3]));
    let mut want: Option<String> = None;
    for round in 0..20 {
        let threads = [1, 2, 8][round % 3];
        let mut paths = files.clone();
        paths.rotate_left(round % files.len());
        let load = LoadOptions { threads, ..LoadOptions::default() };
        let data = Dataset::load(&paths, Options { load, ..Options::default() });
        let got = snapshot(&data.read(), &data.graph());
        match &want {
            None => want = Some(got),
            Some(w) => assert!(*w == got, "round {round} ({threads} threads) differs"),
        }
    }
    let mut reversed: Vec<String> = files.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let forward = reversed.clone();
    reversed.reverse();
    for k in keys {
        let trace = |paths: &[String]| {
            let mut args = vec!["trace", "--json", k.as_str()];
            args.extend(paths.iter().map(String::as_str));
            stdout(&run(&args))
        };
        let t = trace(&forward);
        assert!(t.starts_with('{'), "{k}: {t}");
        assert_eq!(t, trace(&reversed), "trace --json {k}");
    }
}

#[test]
fn the_explorers_loading_path_agrees_with_itself() {
    let story = story();
    let keys: Vec<String> =
        ["ASIASECOND003QWERTY", "AKIASVCSVCSVC0000001", "AKIAIOSFODNN7EXAMPLE"].map(String::from).to_vec();
    explorer_loads_agree(&lines_of(&story), &keys, "determinism-story");
}

#[test]
fn a_generated_trail_with_chains_agrees_with_itself() {
    let Some(shared) = shared("determinism on a generated trail") else { return };
    let dir = tempdir("determinism-gen");
    let (trail, truth) = (dir.join("trail.jsonl"), dir.join("truth.json"));
    let args = ["--events", "6000", "--seed", "31", "--chains", "--format", "ndjson", "--out"];
    let mut args: Vec<&str> = args.to_vec();
    args.extend([trail.to_str().unwrap(), "--truth", truth.to_str().unwrap()]);
    generate(&shared, &args);
    let text = std::fs::read_to_string(&trail).unwrap();
    let lines: Vec<String> = text.lines().map(|l| format!("{l}\n")).collect();
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    let keys: Vec<String> = truth["chains"].as_object().unwrap().keys().take(12).cloned().collect();
    assert!(keys.len() >= 10);
    // Shuffled and cut differently, stepped at different moments.
    let want = load_stepping(&split(&lines, &[]), &[]);
    let mut rng = 0x9e3779b97f4a7c15u64;
    for round in 0..4 {
        let mut shuffled = lines.clone();
        for i in (1..shuffled.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            shuffled.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        let cuts: Vec<usize> = (0..round * 3).map(|i| (i * 977 + round * 131) % lines.len()).collect();
        let steps: Vec<bool> = (0..cuts.len() + 1).map(|i| (i + round) % 2 == 0).collect();
        assert!(load_stepping(&split(&shuffled, &cuts), &steps) == want, "round {round}");
    }
    explorer_loads_agree(&lines, &keys, "determinism-gen-explorer");
}
