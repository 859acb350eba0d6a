//! Attribution on the shapes real data has: keys that are not identities
//! (redacted, placeholders shared by unrelated principals, one key seen
//! with two principals), the two copies of a cross-account call, keys and
//! passwords one identity made for another, sessions issued and never
//! used, and different records that share an eventID. Each test states the
//! answer a responder must get.

use crate::common;
use common::*;
use serde_json::{Value, json};
use trailscope::engine::Dataset;
use trailscope::identity::{Chain, End, Link};
use trailscope::model::fields::Field;
use trailscope::store::EventId;

const A: &str = "111111111111";
const B: &str = "222222222222";

/// An event by `uid` at minute `min` of the hour, logged in `account`.
fn ev(min: u32, account: &str, name: &str, uid: Value) -> Value {
    json!({
        "eventVersion": "1.09", "userIdentity": uid,
        "eventTime": format!("2024-05-14T10:{min:02}:00Z"), "eventSource": "iam.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": format!("198.51.100.{min}"), "userAgent": "aws-cli/2.15.0",
        "requestParameters": null, "responseElements": null,
        "eventID": format!("{account}-{min}-{name}"), "eventType": "AwsApiCall", "recipientAccountId": account
    })
}

fn user(account: &str, name: &str, key: &str) -> Value {
    let mut u = json!({"type": "IAMUser", "principalId": "AIDAQQQQQQQQ", "arn": format!("arn:aws:iam::{account}:user/{name}"),
        "accountId": account, "userName": name});
    if !key.is_empty() {
        u["accessKeyId"] = key.into();
    }
    u
}

fn session(account: &str, role: &str, name: &str, key: &str) -> Value {
    json!({"type": "AssumedRole", "principalId": format!("AROAQQQQQQQQ:{name}"),
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"), "accountId": account, "accessKeyId": key,
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": role, "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account}}})
}

/// `by` (logged in `account`) assumes `role` of `target` as `name`; the response issues `key`.
fn assume(min: u32, account: &str, by: Value, target: &str, role: &str, name: &str, key: &str) -> Value {
    let mut e = ev(min, account, "AssumeRole", by);
    e["eventSource"] = "sts.amazonaws.com".into();
    e["requestParameters"] = json!({"roleArn": format!("arn:aws:iam::{target}:role/{role}"), "roleSessionName": name});
    e["responseElements"] = json!({"credentials": {"accessKeyId": key, "sessionToken": "x"},
        "assumedRoleUser": {"assumedRoleId": format!("AROAQQQQQQQQ:{name}"), "arn": format!("arn:aws:sts::{target}:assumed-role/{role}/{name}")}});
    e["sharedEventID"] = format!("shared-{min}-{key}").into();
    e
}

/// Loads `files` (each a list of events) as files in that order.
fn load(files: &[&[Value]]) -> Dataset {
    let inputs = files
        .iter()
        .enumerate()
        .map(|(i, evs)| (format!("f{i}.jsonl"), evs.iter().map(|e| format!("{e}\n")).collect::<String>().into_bytes()))
        .collect();
    Dataset::from_bytes(inputs)
}

/// The actors of `key`'s chain, origin first, and how it ends.
fn chain(data: &Dataset, key: &str) -> (Vec<String>, End) {
    let c = Chain::of(&data.graph(), &data.read(), key);
    (c.hops.iter().map(|h| h.actor.clone()).collect(), c.end)
}

/// The events `q` selects, by eventID, sorted.
fn ids(data: &Dataset, q: &str) -> Vec<String> {
    let store = data.read();
    let mut cache = trailscope::store::blobs::ChunkCache::new(4);
    let mut v: Vec<String> =
        data.matching(&trailscope::query::parse(q).unwrap()).iter().map(|&id| store.event_id(id, &mut cache)).collect();
    v.sort();
    v
}

/// Every event's origin, by eventID.
fn origins(data: &Dataset) -> Vec<(String, String)> {
    let (store, graph) = (data.read(), data.graph());
    let mut cache = trailscope::store::blobs::ChunkCache::new(4);
    let mut v: Vec<(String, String)> = (0..store.len() as EventId)
        .map(|id| (store.event_id(id, &mut cache), graph.origin(&store, id).to_string()))
        .collect();
    v.sort();
    v
}

fn write(dir: &std::path::Path, name: &str, evs: &[Value]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, evs.iter().map(|e| format!("{e}\n")).collect::<String>()).unwrap();
    p.to_string_lossy().into_owned()
}

#[test]
fn placeholder_and_redacted_keys_link_nobody() {
    // Documentation's placeholder key on unrelated users of unrelated accounts, and keys exports masked.
    let evs = vec![
        ev(1, A, "ListUsers", user(A, "alice", "AKIAIOSFODNN7EXAMPLE")),
        ev(2, B, "DeleteTrail", user(B, "bob", "AKIAIOSFODNN7EXAMPLE")),
        ev(
            3,
            "333333333333",
            "GetAccountSummary",
            json!({"type": "Root", "principalId": "333333333333",
            "arn": "arn:aws:iam::333333333333:root", "accountId": "333333333333", "accessKeyId": "AKIAIOSFODNN7EXAMPLE"}),
        ),
        ev(4, A, "ListRoles", session(A, "Ops", "carol", "ASIA****************")),
        ev(5, B, "ListRoles", session(B, "Audit", "dan", "ASIA****************")),
        // The placeholder user assumes a role: the session is issued by alice, whatever her key says.
        assume(6, A, user(A, "alice", "AKIAIOSFODNN7EXAMPLE"), A, "Deploy", "alice", "ASIAREALSESSION00001"),
        ev(7, A, "PutRolePolicy", session(A, "Deploy", "alice", "ASIAREALSESSION00001")),
    ];
    let data = load(&[&evs]);
    // Each event is its own identity's: nobody's events are merged through the placeholder.
    let want: Vec<(String, String)> = [
        ("111111111111-1-ListUsers", "alice"),
        ("111111111111-4-ListRoles", "Ops/carol"),
        ("111111111111-6-AssumeRole", "alice"),
        ("111111111111-7-PutRolePolicy", "alice"),
        ("222222222222-2-DeleteTrail", "bob"),
        ("222222222222-5-ListRoles", "Audit/dan"),
        ("333333333333-3-GetAccountSummary", "root@333333333333"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(origins(&data), want);
    assert_eq!(
        ids(&data, "origin:alice"),
        ["111111111111-1-ListUsers", "111111111111-6-AssumeRole", "111111111111-7-PutRolePolicy"]
    );
    // The real key's chain goes up to alice and stops there: her key is not evidence of anything more.
    assert_eq!(chain(&data, "ASIAREALSESSION00001"), (vec!["alice".into(), "Deploy/alice".into()], End::Origin));
    assert_eq!(chain(&data, "AKIAIOSFODNN7EXAMPLE").1, End::Unlinked);
    // A role session with a masked key cannot be followed.
    let store = data.read();
    let carol = (0..store.len() as EventId).find(|&id| store.value(id, Field::Actor) == "Ops/carol").unwrap();
    assert_eq!(Chain::of_event(&data.graph(), &store, carol).end, End::Unlinked);
    // session: on a placeholder selects the events that carry it, and nothing issued from it.
    assert_eq!(ids(&data, "session:AKIAIOSFODNN7EXAMPLE").len(), 4);

    // trace says what the key is and who was seen with it.
    let dir = tempdir("attr-placeholder");
    let file = write(&dir, "e.jsonl", &evs);
    let o = run(&["trace", "--json", "AKIAIOSFODNN7EXAMPLE", &file]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["trust"], "a placeholder key");
    let holders: Vec<&str> = v["holders"].as_array().unwrap().iter().map(|h| h["actor"].as_str().unwrap()).collect();
    assert_eq!(holders, ["alice", "bob", "root@333333333333"]);
    let text = stdout(&run(&["trace", "ASIA****************", &file]));
    assert!(text.starts_with("ASIA**************** is a redacted key") && text.contains("2 identities"), "{text}");
}

#[test]
fn a_key_seen_with_two_principals_is_a_conflict_not_a_merge() {
    let key = "ASIA3JHVJH35KB7LJHV2";
    let evs = vec![
        assume(1, A, user(A, "erin", "AKIAERINERINERIN0001"), A, "DevAdmin", "erin", key),
        ev(2, A, "ListUsers", session(A, "DevAdmin", "erin", key)),
        ev(3, A, "ListUsers", session(A, "DevAdmin", "erin", key)),
        // The same key, logged for another role's session: not erin's.
        ev(4, A, "DeleteUser", session(A, "TestUser", "test_1", key)),
    ];
    let data = load(&[&evs]);
    assert_eq!(chain(&data, key), (vec!["erin".into(), "DevAdmin/erin".into()], End::Origin));
    let c = Chain::of(&data.graph(), &data.read(), key);
    assert_eq!(c.hops[1].events, 2);
    assert_eq!(c.hops[1].conflicts, [("arn:aws:sts::111111111111:assumed-role/TestUser/test_1".to_string(), 1)]);
    // The other principal's event is not erin's.
    assert_eq!(
        ids(&data, "origin:erin"),
        ["111111111111-1-AssumeRole", "111111111111-2-ListUsers", "111111111111-3-ListUsers"]
    );
    let store = data.read();
    let other = (0..store.len() as EventId).find(|&id| store.value(id, Field::Name) == "DeleteUser").unwrap();
    let of_other = Chain::of_event(&data.graph(), &store, other);
    assert_eq!((of_other.origin(), of_other.end), ("TestUser/test_1", End::Missing));
    drop(store);
    // trace shows the conflict; actors marks the key.
    let dir = tempdir("attr-conflict");
    let file = write(&dir, "e.jsonl", &evs);
    let text = stdout(&run(&["trace", key, &file]));
    assert!(
        text.contains("also used by arn:aws:sts::111111111111:assumed-role/TestUser/test_1 (1 events): a conflict"),
        "{text}"
    );
    let v: Value = serde_json::from_str(&stdout(&run(&["trace", "--json", key, &file]))).unwrap();
    assert_eq!(v["hops"][1]["conflicts"][0]["events"], 1);
    let actors: Vec<Value> = serde_json::from_str(&stdout(&run(&["actors", "--json", &file]))).unwrap();
    let erin = actors.iter().find(|a| a["identity"] == "DevAdmin/erin").unwrap();
    assert_eq!(erin["conflictingKeys"], json!([key]), "{erin}");
}

/// A user in A assumes Ops; the Ops session assumes Audit in B. The call is
/// logged in both accounts: A's copy carries the caller's key, B's names
/// account A as an AWSAccount principal.
fn cross_account() -> (Vec<Value>, Vec<Value>) {
    let a = vec![
        ev(1, A, "GetCallerIdentity", user(A, "alice", "AKIAALICEALICE000001")),
        assume(2, A, user(A, "alice", "AKIAALICEALICE000001"), A, "Ops", "alice", "ASIAOPSOPSOPS0000001"),
        assume(3, A, session(A, "Ops", "alice", "ASIAOPSOPSOPS0000001"), B, "Audit", "alice", "ASIAAUDITAUDIT000001"),
    ];
    let mut target = assume(
        3,
        B,
        json!({"type": "AWSAccount", "principalId": "AROAQQQQQQQQ:alice", "accountId": A}),
        B,
        "Audit",
        "alice",
        "ASIAAUDITAUDIT000001",
    );
    target["eventID"] = "target-copy".into();
    let b = vec![target, ev(4, B, "DeleteBucket", session(B, "Audit", "alice", "ASIAAUDITAUDIT000001"))];
    (a, b)
}

#[test]
fn a_cross_account_call_gives_one_chain_in_any_order() {
    let (a, b) = cross_account();
    let want = (vec!["alice".to_string(), "Ops/alice".into(), "Audit/alice".into()], End::Origin);
    for files in [vec![&a[..], &b[..]], vec![&b[..], &a[..]]] {
        let data = load(&files);
        assert_eq!(chain(&data, "ASIAAUDITAUDIT000001"), want);
        let c = Chain::of(&data.graph(), &data.read(), "ASIAAUDITAUDIT000001");
        let store = data.read();
        // A's copy issued it; B's copy confirms it.
        let by = c.hops[2].issued_by.unwrap();
        assert_eq!(store.value(by, Field::Account), A);
        assert_eq!(c.hops[2].confirmed_by.len(), 1);
        assert_eq!(store.value(c.hops[2].confirmed_by[0], Field::Account), B);
        drop(store);
        assert_eq!(
            ids(&data, "origin:alice").len(),
            4,
            "every event of both accounts but the target's copy of the call"
        );
    }
    // Only the target account's trail: the caller is known by its account, and the rest is in A's trail.
    let data = load(&[&b]);
    let (hops, end) = chain(&data, "ASIAAUDITAUDIT000001");
    assert_eq!((hops, end), (vec!["111111111111/alice".to_string(), "Audit/alice".into()], End::Missing));
}

#[test]
fn keys_and_passwords_made_for_someone_else_lead_back_to_their_maker() {
    // mallory makes a key for a new user, who assumes a role in another account (logged in both).
    let backdoor_key = "AKIABACKDOORBACKDOOR";
    let mut make = ev(1, A, "CreateAccessKey", user(A, "mallory", "AKIAMALLORYMALLORY01"));
    make["requestParameters"] = json!({"userName": "svc-backup"});
    make["responseElements"] =
        json!({"accessKey": {"userName": "svc-backup", "accessKeyId": backdoor_key, "status": "Active"}});
    // ...and sets a console password for victor, who signs in and works in the console.
    let mut password = ev(2, A, "CreateLoginProfile", user(A, "mallory", "AKIAMALLORYMALLORY01"));
    password["requestParameters"] = json!({"userName": "victor", "passwordResetRequired": false});
    let mut login = ev(10, A, "ConsoleLogin", user(A, "victor", ""));
    login["eventSource"] = "signin.amazonaws.com".into();
    login["responseElements"] = json!({"ConsoleLogin": "Success"});
    let mut failed = login.clone();
    failed["eventTime"] = "2024-05-14T10:09:00Z".into();
    failed["eventID"] = "failed-login".into();
    failed["responseElements"] = json!({"ConsoleLogin": "Failure"});
    failed["errorMessage"] = "Failed authentication".into();
    let mut console = ev(11, A, "CreateUser", user(A, "victor", "ASIAVICTORCONSOLE001"));
    console["sessionCredentialFromConsole"] = "true".into();
    // alice makes her own key: it ends at her.
    let mut own = ev(12, A, "CreateAccessKey", user(A, "alice", "AKIAALICEALICE000001"));
    own["responseElements"] = json!({"accessKey": {"userName": "alice", "accessKeyId": "AKIAALICENEWKEY00002"}});
    let evs = vec![
        make,
        password,
        ev(3, A, "ListBuckets", user(A, "svc-backup", backdoor_key)),
        assume(4, A, user(A, "svc-backup", backdoor_key), B, "Admin", "backup", "ASIABACKDOORSESSION1"),
        assume(
            4,
            B,
            json!({"type": "AWSAccount", "principalId": "AIDAQQQQQQQQ", "accountId": A}),
            B,
            "Admin",
            "backup",
            "ASIABACKDOORSESSION1",
        ),
        ev(5, B, "StopLogging", session(B, "Admin", "backup", "ASIABACKDOORSESSION1")),
        failed,
        login,
        console,
        own,
        ev(13, A, "ListUsers", user(A, "alice", "AKIAALICENEWKEY00002")),
    ];
    let data = load(&[&evs]);
    assert_eq!(
        chain(&data, "ASIABACKDOORSESSION1"),
        (vec!["mallory".into(), "svc-backup".into(), "Admin/backup".into()], End::Origin)
    );
    // origin:mallory covers everything done with the backdoor credentials and the sessions they opened.
    let mut want = vec![
        "111111111111-1-CreateAccessKey",
        "111111111111-10-ConsoleLogin",
        "111111111111-11-CreateUser",
        "111111111111-2-CreateLoginProfile",
        "111111111111-3-ListBuckets",
        "111111111111-4-AssumeRole",
        "222222222222-5-StopLogging",
    ];
    want.sort();
    assert_eq!(ids(&data, "origin:mallory"), want, "the target copy of the call names only account A");
    // The console session after the password mallory set: linked by the password.
    let c = Chain::of(&data.graph(), &data.read(), "ASIAVICTORCONSOLE001");
    assert_eq!((c.origin(), c.end, c.hops[1].link), ("mallory", End::Origin, Some(Link::Password)));
    // A failed sign-in is victor's own.
    assert_eq!(ids(&data, "origin:victor"), ["failed-login"]);
    // A user's own new key, made with the user's own key, ends at the user.
    assert_eq!(chain(&data, "AKIAALICENEWKEY00002"), (vec!["alice".into(), "alice".into()], End::Origin));
    // The backdoor cannot be laundered: victor's password changed in the session mallory's password opened,
    // and a key the backdoor user made for itself, still lead to mallory.
    let mut change = ev(20, A, "ChangePassword", user(A, "victor", "ASIAVICTORCONSOLE001"));
    change["sessionCredentialFromConsole"] = "true".into();
    let mut later = ev(30, A, "ListUsers", user(A, "victor", "ASIAVICTORCONSOLE002"));
    later["sessionCredentialFromConsole"] = "true".into();
    let mut own = ev(31, A, "CreateAccessKey", user(A, "svc-backup", backdoor_key));
    own["responseElements"] = json!({"accessKey": {"userName": "svc-backup", "accessKeyId": "AKIABACKDOORSECOND02"}});
    let mut all = evs.clone();
    all.extend([change, later, own, ev(32, A, "DeleteAccessKey", user(A, "svc-backup", "AKIABACKDOORSECOND02"))]);
    let data = load(&[&all]);
    assert_eq!(
        chain(&data, "ASIAVICTORCONSOLE002"),
        (vec!["mallory".into(), "victor".into(), "victor".into()], End::Origin)
    );
    assert_eq!(chain(&data, "AKIABACKDOORSECOND02").0, ["mallory", "svc-backup", "svc-backup"]);
    // Had victor changed it from a sign-in of his own (a session nothing links to mallory), it would be his.
    let mut clean = all.clone();
    clean.retain(|e| e["eventName"] != "CreateLoginProfile");
    let data = load(&[&clean]);
    assert_eq!(chain(&data, "ASIAVICTORCONSOLE002").0, ["victor", "victor"]);
}

#[test]
fn an_empty_access_key_is_no_key() {
    // Documentation and real console sign-ins write `"accessKeyId": ""`.
    let mut password = ev(1, A, "CreateLoginProfile", user(A, "mallory", "AKIAMALLORYMALLORY01"));
    password["requestParameters"] = json!({"userName": "victor"});
    let mut login = ev(2, A, "ConsoleLogin", user(A, "victor", ""));
    login["userIdentity"]["accessKeyId"] = "".into();
    login["responseElements"] = json!({"ConsoleLogin": "Success"});
    let data = load(&[&[password, login]]);
    let (store, graph) = (data.read(), data.graph());
    let id = (0..store.len() as EventId).find(|&id| store.value(id, Field::Name) == "ConsoleLogin").unwrap();
    assert_eq!(graph.origin(&store, id), "mallory", "a sign-in with the password mallory set");
    let summary =
        trailscope::identity::actors::summarize(&store, &graph, &[id], trailscope::identity::actors::By::Actor);
    assert!(summary[0].keys.is_empty() && summary[0].untrusted.is_empty(), "no key, and nothing untrusted");
}

#[test]
fn issued_but_unused_sessions_are_named_by_the_call_that_issued_them() {
    let mut by_service = assume(
        1,
        A,
        json!({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"}),
        A,
        "web",
        "i-0abc",
        "ASIAINSTANCEINSTANCE",
    );
    by_service["sourceIPAddress"] = "ec2.amazonaws.com".into();
    let evs = vec![
        assume(2, A, user(A, "alice", "AKIAALICEALICE000001"), B, "Audit", "alice", "ASIANEVERUSEDNEVER01"),
        by_service,
        ev(3, A, "GetObject", session(A, "web", "i-0abc", "ASIAINSTANCEINSTANCE")),
    ];
    let data = load(&[&evs]);
    let c = Chain::of(&data.graph(), &data.read(), "ASIANEVERUSEDNEVER01");
    assert_eq!(c.end, End::Origin);
    let hop = &c.hops[1];
    assert_eq!(
        (hop.actor.as_str(), hop.account.as_str(), hop.arn.as_str(), hop.events),
        ("Audit/alice", B, "arn:aws:sts::222222222222:assumed-role/Audit/alice", 0)
    );
    assert_eq!(c.hops[0].actor, "alice");
    // A service origin names the account it acted in.
    let c = Chain::of(&data.graph(), &data.read(), "ASIAINSTANCEINSTANCE");
    assert_eq!((c.hops[0].actor.as_str(), c.hops[0].account.as_str()), ("ec2.amazonaws.com", A));
    let dir = tempdir("attr-unused");
    let file = write(&dir, "e.jsonl", &evs);
    let text = stdout(&run(&["trace", "ASIANEVERUSEDNEVER01", &file]));
    assert!(!text.contains('?'), "every hop is named: {text}");
    assert!(text.contains("session   Audit/alice  ASIANEVERUSEDNEVER01  account 222222222222  0 events"), "{text}");
}

#[test]
fn records_sharing_an_event_id_are_different_events() {
    // The same change logged once for an IAM user and once for an Identity Center user.
    let first = ev(1, A, "UpdateUser", user(A, "frank", "AKIAFRANKFRANK000001"));
    let mut second = first.clone();
    second["userIdentity"] =
        json!({"type": "IdentityCenterUser", "accountId": A, "onBehalfOf": {"userId": "frank-sso"}});
    let dir = tempdir("attr-shared-id");
    // An exact copy (delivered twice) is one event.
    let file = write(&dir, "e.jsonl", &[first.clone(), second, first]);
    let v = stats_json(&[&file]);
    assert_eq!((v["events"].as_u64(), v["duplicates"].as_u64()), (Some(2), Some(1)));
    // trace does not pick one of them.
    let o = run(&["trace", "111111111111-1-UpdateUser", &file]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).starts_with("2 different records carry the eventID"), "{}", stdout(&o));
    let o = run(&["trace", "--json", "111111111111-1-UpdateUser", &file]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["ambiguous"], true);
    let actors: Vec<&str> = v["candidates"].as_array().unwrap().iter().map(|c| c["actor"].as_str().unwrap()).collect();
    assert_eq!(actors.len(), 2);
    assert!(actors.contains(&"frank") && actors.contains(&"frank-sso"));
}

#[test]
fn trace_counts_add_up_and_list_each_record_once() {
    let (a, b) = cross_account();
    let dir = tempdir("attr-counts");
    let files = [write(&dir, "a.jsonl", &a), write(&dir, "b.jsonl", &b)];
    let o = run(&["trace", "--json", "ASIAOPSOPSOPS0000001", &files[0], &files[1]]);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let events = v["events"].as_array().unwrap();
    // Ops/alice made one call; the session it issued made one in B.
    assert_eq!((v["ownEvents"].as_u64(), v["issuedEvents"].as_u64()), (Some(1), Some(1)));
    assert_eq!(events.len(), 2);
    assert_eq!(v["hops"].as_array().unwrap().last().unwrap()["events"], 1);
    let listed: std::collections::HashSet<String> = events.iter().map(|e| e.to_string()).collect();
    assert_eq!(listed.len(), events.len(), "no record twice");
    let text = stdout(&run(&["trace", "ASIAOPSOPSOPS0000001", &files[0], &files[1]]));
    assert!(text.ends_with("2 events: 1 with this credential, 1 with credentials issued from it\n"), "{text}");
}

/// On the real corpus no origin gathers principals without a recorded link:
/// every event whose origin is not its own identity reaches it through
/// issuing events the data holds, and no credential mixes principals.
#[test]
fn the_real_corpus_mixes_no_principals_without_a_link() {
    let Some(shared) = shared("attribution on the real corpus") else { return };
    let data = Dataset::load(&[shared.join("corpus/real")], trailscope::engine::Options::default());
    let (store, graph) = (data.read(), data.graph());
    let principal = |id: EventId| trailscope::identity::principal::principal_of_arn(store.value(id, Field::Arn));
    let (mut linked, mut own, mut keyed, mut untrusted) = (0, 0, 0, 0);
    let mut links = std::collections::BTreeMap::new();
    for id in 0..store.len() as EventId {
        let key = store.value(id, Field::AccessKey);
        match graph.cred_of(id) {
            Some(c) => {
                keyed += 1;
                // A credential is one principal's: its events agree with its first.
                let first = graph.cred_info(c).first();
                if !store.value(first, Field::Arn).is_empty() {
                    assert_eq!(principal(id), principal(first), "{key}: one credential, two principals");
                }
            }
            None if !key.is_empty() => untrusted += 1,
            None => {}
        }
        let chain = Chain::of_event(&graph, &store, id);
        if graph.origin(&store, id) == store.value(id, Field::Actor) {
            own += 1;
            continue;
        }
        // Attributed to someone else: every hop below the origin was issued by a loaded event, but
        // for a person the session itself names (an Identity Center role's session name, sourceIdentity).
        linked += 1;
        assert_eq!(chain.origin(), graph.origin(&store, id));
        let named = chain.hops[0].key.is_none() && chain.hops[0].arn.is_empty();
        for (i, h) in chain.hops.iter().enumerate().skip(1) {
            let link = match h.link {
                Some(link) => format!("{link:?}"),
                None if i == 1 && named => "NamedBySession".into(),
                None => panic!("{key}: hop {} has no recorded link: {chain:?}", h.actor),
            };
            *links.entry(link).or_insert(0) += 1;
        }
    }
    let conflicted = (1..=graph.cred_count() as u32).filter(|&c| !graph.conflicts(&store, c).is_empty()).count();
    eprintln!(
        "real corpus: {} events; {own} their own identity's, {linked} attributed through links {links:?}; \
         {keyed} with a trusted key ({} credentials, {conflicted} in conflict), {untrusted} with a redacted or placeholder key",
        store.len(),
        graph.cred_count()
    );
    assert!(
        linked >= 30 && untrusted >= 100 && conflicted >= 2,
        "the corpus exercises links, placeholders and conflicts"
    );
}
