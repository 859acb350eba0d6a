//! First-seen analytics: what an identity does for the first time after a
//! day of its activity (its learning window), as the `new:` terms, the
//! facet and the detail give it; the same whatever order the events arrive in.

use serde_json::{Value, json};
use std::sync::{Arc, RwLock};
use trailscope::engine::Dataset;
use trailscope::identity::firsts::Kind;
use trailscope::identity::{Graph, Tracker};
use trailscope::loader::Progress;
use trailscope::store::{EventId, Store};

const HOUR: u32 = 3_600;

/// An event of `who` (an IAM user with `key`), `secs` after the start.
fn ev(id: &str, secs: u32, who: &str, key: &str, ip: &str, region: &str, name: &str) -> Value {
    let t = trailscope::model::time::format_utc(1_715_680_800_000_000 + secs as i64 * 1_000_000);
    json!({"eventTime": t, "eventSource": "iam.amazonaws.com", "eventName": name, "awsRegion": region,
        "sourceIPAddress": ip, "userAgent": "aws-cli/2.15.40 md/awscrt#0.19.19", "eventID": id, "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "userName": who, "arn": format!("arn:aws:iam::111122223333:user/{who}"),
            "accountId": "111122223333", "accessKeyId": key}})
}

/// alice works a day from her office; then from a new address, a new region,
/// a new call and a new client; bob, active as long, uses her new address
/// (new to him too); carol appears late, and all she does is learning.
fn story() -> Vec<Value> {
    let k = "AKIAALICEALICE000001";
    let mut v = vec![
        ev("a-start", 0, "alice", k, "198.51.100.7", "us-east-1", "ListUsers"),
        ev("a-early", 2 * HOUR, "alice", k, "198.51.100.99", "us-east-1", "ListUsers"),
        ev("a-day", 23 * HOUR, "alice", k, "198.51.100.7", "us-east-1", "GetUser"),
        ev("b-start", 0, "bob", "AKIABOBBOBBOB0000001", "192.0.2.10", "us-east-1", "ListRoles"),
        ev("c-late", 40 * HOUR, "carol", "AKIACAROLCAROL000001", "203.0.113.50", "ap-south-1", "DeleteTrail"),
    ];
    // A day and more later: alice from a new address in a new network, in a new region, a new call.
    v.push(ev("a-new-ip", 30 * HOUR, "alice", k, "203.0.113.50", "us-east-1", "ListUsers"));
    v.push(ev("a-new-region", 31 * HOUR, "alice", k, "198.51.100.7", "eu-west-1", "ListUsers"));
    v.push(ev("a-new-call", 32 * HOUR, "alice", k, "198.51.100.7", "us-east-1", "DeleteTrail"));
    let mut client = ev("a-new-client", 33 * HOUR, "alice", k, "198.51.100.7", "us-east-1", "ListUsers");
    client["userAgent"] = "Boto3/1.34.0 md/Botocore#1.34.0".into();
    v.push(client);
    // Again: not new any more.
    v.push(ev("a-again", 34 * HOUR, "alice", k, "203.0.113.50", "eu-west-1", "DeleteTrail"));
    v.push(ev("b-new-ip", 35 * HOUR, "bob", "AKIABOBBOBBOB0000001", "203.0.113.50", "us-east-1", "ListRoles"));
    // alice's new long-term key: its first day is learning for the key, and her usual address is not new for her.
    v.push(ev("k2-first", 36 * HOUR, "alice", "AKIAALICENEWKEY00002", "198.51.100.7", "us-east-1", "ListUsers"));
    v
}

fn load(events: &[Value]) -> Dataset {
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    Dataset::from_bytes(vec![("story.jsonl".into(), text.into_bytes())])
}

fn ids(data: &Dataset, q: &str) -> Vec<String> {
    let store = data.read();
    let mut cache = trailscope::store::blobs::ChunkCache::new(2);
    let mut v: Vec<String> =
        data.matching(&trailscope::query::parse(q).unwrap()).iter().map(|&id| store.event_id(id, &mut cache)).collect();
    v.sort();
    v
}

#[test]
fn first_uses_after_the_learning_window() {
    let data = load(&story());
    assert_eq!(ids(&data, "new:ip"), ["a-new-ip", "b-new-ip"]);
    assert_eq!(
        ids(&data, "new:net"),
        ["a-new-ip", "b-new-ip"],
        "198.51.100.99 shares the office's network, and is early"
    );
    assert_eq!(ids(&data, "new:region"), ["a-new-region"]);
    assert_eq!(ids(&data, "new:call"), ["a-new-call"]);
    assert_eq!(ids(&data, "new:agent"), ["a-new-client"]);
    assert!(ids(&data, "new:*").iter().all(|e| !e.starts_with("c-") && !e.starts_with("k2") && e != "a-again"));
    // The terms combine with everything else.
    assert_eq!(ids(&data, "new:ip actor:bob"), ["b-new-ip"]);
    assert_eq!(ids(&data, "-new:* actor:alice").len(), 5);
    // The facet counts per kind what the terms select.
    let store = data.read();
    let all: Vec<EventId> = store.order().to_vec();
    let g = data.graph();
    let counts = g.firsts.count(&store, &all);
    assert_eq!(counts[Kind::Ip as usize], 2);
    assert_eq!(counts[Kind::Call as usize], 1);
}

#[test]
fn a_new_key_used_from_a_new_address() {
    let mut story = story();
    story.push(ev("k2-away", 70 * HOUR, "alice", "AKIAALICENEWKEY00002", "192.0.2.200", "us-east-1", "ListUsers"));
    let data = load(&story);
    // The new key from an address neither alice nor the key had used, a day after the key was first seen.
    assert!(ids(&data, "new:ip").contains(&"k2-away".to_string()));
}

/// Loads `events` in batches cut at `cuts`, the tracker stepping after each.
fn stepped(events: &[Value], cuts: &[usize]) -> Vec<(String, Vec<&'static str>)> {
    let store = RwLock::new(Store::new());
    let graph = Arc::new(RwLock::new(Graph::default()));
    let mut tracker = Tracker::new(Arc::clone(&graph));
    let mut from = 0;
    for &cut in cuts.iter().chain([&events.len()]) {
        let text: String = events[from..cut.max(from)].iter().map(|e| format!("{e}\n")).collect();
        trailscope::loader::load_bytes(
            vec![("part.jsonl".into(), text.into_bytes())],
            &store,
            &Progress::default(),
            None,
        );
        tracker.step(&store);
        from = cut.max(from);
    }
    let read = || {
        let (s, g) = (store.read().unwrap(), graph.read().unwrap());
        let mut cache = trailscope::store::blobs::ChunkCache::new(2);
        let mut out: Vec<(String, Vec<&'static str>)> = (0..s.len() as EventId)
            .map(|id| (s.event_id(id, &mut cache), g.firsts.new_kinds(&s, id).iter().map(|k| k.name()).collect()))
            .collect();
        out.sort();
        (out, g.firsts.count(&s, &(0..s.len() as EventId).collect::<Vec<_>>()))
    };
    // Settled once every event is in, the first uses read the same as worked out per event.
    let worked_out = read();
    tracker.finish(&store);
    assert_eq!(read(), worked_out, "settled first uses differ from those worked out");
    worked_out.0
}

#[test]
fn the_answer_does_not_depend_on_the_order_events_arrive_in() {
    let story = story();
    let want = stepped(&story, &[]);
    assert!(want.iter().any(|(_, k)| !k.is_empty()));
    let mut reversed = story.clone();
    reversed.reverse();
    for (events, cuts) in [(&reversed, vec![3, 7]), (&story, vec![1, 2, 5, 9]), (&reversed, vec![1, 2, 3, 4, 5, 6])] {
        assert_eq!(stepped(events, &cuts), want);
    }
}

#[test]
fn an_identity_past_the_cap_is_no_longer_followed_in_any_order() {
    // dave works a day from one address, then from 70 different ones: past 64, addresses say nothing about him.
    let k = "AKIADAVEDAVEDAVE0001";
    let mut v = vec![ev("d-start", 0, "dave", k, "198.51.100.7", "us-east-1", "ListUsers")];
    for i in 0..70u32 {
        v.push(ev(&format!("d-{i}"), 30 * HOUR + i * 60, "dave", k, &format!("203.0.{i}.9"), "us-east-1", "ListUsers"));
    }
    // erin, with a handful, keeps hers.
    v.push(ev("e-start", 0, "erin", "AKIAERINERINERIN0001", "198.51.100.8", "us-east-1", "ListUsers"));
    v.push(ev("e-new", 30 * HOUR, "erin", "AKIAERINERINERIN0001", "192.0.2.77", "us-east-1", "ListUsers"));
    let want = stepped(&v, &[]);
    let new_ip: Vec<&str> = want.iter().filter(|(_, k)| k.contains(&"ip")).map(|(id, _)| id.as_str()).collect();
    assert_eq!(new_ip, ["e-new"], "dave's addresses are past the cap, erin's are not");
    let mut reversed = v.clone();
    reversed.reverse();
    assert_eq!(stepped(&reversed, &[5, 40, 66]), want);
}

#[test]
fn the_same_name_in_two_accounts_is_two_identities() {
    // admin works in account A for days; an "admin" first appears in account B: learning, not new.
    let mut v = vec![
        ev("a1", 0, "admin", "AKIAADMINAAAAAAA0001", "198.51.100.7", "us-east-1", "ListUsers"),
        ev("a2", 30 * HOUR, "admin", "AKIAADMINAAAAAAA0001", "198.51.100.7", "us-east-1", "ListUsers"),
    ];
    let mut b = ev("b1", 31 * HOUR, "admin", "AKIAADMINBBBBBBB0001", "192.0.2.5", "eu-west-1", "DeleteTrail");
    b["userIdentity"]["accountId"] = "444455556666".into();
    b["userIdentity"]["arn"] = "arn:aws:iam::444455556666:user/admin".into();
    v.push(b);
    let data = load(&v);
    assert!(ids(&data, "new:*").is_empty(), "{:?}", ids(&data, "new:*"));
}

/// A rule file of the user's that tests first-seen fields.
const RULES: &str = r#"
title: New network then a change
id: 11111111-2222-4333-8444-555555555555
name: user_new_fresh
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: [DeleteTrail, ListUsers, ListRoles]
  fresh:
    trailscope.fresh: [net, key_net]
  condition: selection and fresh
level: high
---
title: First use of a network, anything
id: 11111111-2222-4333-8444-555555555556
name: user_new_first
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: iam.amazonaws.com
  first:
    trailscope.new: net
  condition: selection and first
level: low
---
title: A call made from no new place
id: 11111111-2222-4333-8444-555555555557
name: user_not_new
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: DeleteTrail
  first:
    trailscope.fresh|exists: true
  condition: selection and not first
level: low
"#;

fn with_rules(events: &[Value]) -> Dataset {
    let text: String = events.iter().map(|e| format!("{e}\n")).collect();
    let rules = trailscope::detect::RuleSet::from_texts(&[("user.yml".into(), RULES.into(), false)]);
    assert!(rules.unsupported.is_empty(), "{:?}", rules.unsupported);
    Dataset::from_bytes_with(vec![("story.jsonl".into(), text.into_bytes())], Arc::new(rules))
}

#[test]
fn rules_test_first_seen_fields_once_every_event_is_in() {
    let mut events = story();
    let data = with_rules(&events);
    // Fresh: the first use of 203.0.113.50's network (a-new-ip at 30 h) and
    // what follows from there within the hour; a-again (34 h) is too late.
    assert_eq!(ids(&data, "rule:user_new_fresh"), ["a-new-ip", "b-new-ip"]);
    let mut at_31 =
        ev("a-fresh", 30 * HOUR + 1_800, "alice", "AKIAALICEALICE000001", "203.0.113.51", "us-east-1", "DeleteTrail");
    at_31["eventSource"] = "cloudtrail.amazonaws.com".into();
    events.push(at_31);
    let data = with_rules(&events);
    assert_eq!(ids(&data, "rule:user_new_fresh"), ["a-fresh", "a-new-ip", "b-new-ip"]);
    assert_eq!(ids(&data, "rule:user_new_first"), ["a-new-ip", "b-new-ip"], "only the first use is new");
    // A negated test: DeleteTrail with nothing fresh (a-again is past the
    // hour); carol's key, first seen on the data's second day, is a new key.
    assert_eq!(ids(&data, "rule:user_not_new"), ["a-again", "a-new-call"]);
    // Whatever order the events come in, and whichever comes first in a file.
    for seed in 0..8u64 {
        let mut shuffled = events.clone();
        let n = shuffled.len();
        for i in 0..n {
            shuffled.swap(i, (seed as usize * 7 + i * 13) % n);
        }
        let again = with_rules(&shuffled);
        for q in ["rule:user_new_fresh", "rule:user_new_first", "rule:user_not_new", "level:*"] {
            assert_eq!(ids(&again, q), ids(&data, q), "{q}, order {seed}");
        }
    }
}

#[test]
fn a_first_seen_test_must_stand_in_a_selection_of_its_own() {
    let mixed = r#"
title: Mixed
id: 11111111-2222-4333-8444-555555555558
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventName: DeleteTrail
    trailscope.new: net
  condition: selection
level: low
---
title: Unknown
id: 11111111-2222-4333-8444-555555555559
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    trailscope.newest: net
  condition: selection
level: low
"#;
    let rules = trailscope::detect::RuleSet::from_texts(&[("user.yml".into(), mixed.into(), false)]);
    assert!(rules.rules.is_empty());
    let why: Vec<&str> = rules.unsupported.iter().map(|u| u.why.as_str()).collect();
    assert!(why[0].contains("selection of their own"), "{why:?}");
    assert!(why[1].contains("trailscope.newest"), "{why:?}");
}
