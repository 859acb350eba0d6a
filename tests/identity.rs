//! Credential chains: every temporary key of a generated trail (users
//! assuming roles, role chaining within and across accounts, EC2 instance
//! roles, federation tokens) traced to the origin the generator wrote down,
//! by the library, the query terms and the `trace` command.

use crate::common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use trailscope::engine::{Dataset, Options};
use trailscope::identity::{Chain, End};
use trailscope::model::fields::Field;

/// A generated trail with the events that issued every key (ndjson) and
/// its truth; None (skipped) without ../shared.
fn chains_trail(test: &str, dir: &str, events: u32, seed: u32) -> Option<(std::path::PathBuf, Value)> {
    let shared = shared(test)?;
    let dir = tempdir(dir);
    let (trail, truth) = (dir.join("trail.jsonl"), dir.join("truth.json"));
    let (events, seed) = (events.to_string(), seed.to_string());
    let args = ["--events", &events, "--seed", &seed, "--chains", "--format", "ndjson", "--out"];
    let mut args: Vec<&str> = args.to_vec();
    args.extend([trail.to_str().unwrap(), "--truth", truth.to_str().unwrap()]);
    generate(&shared, &args);
    let truth = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
    Some((trail, truth))
}

#[test]
fn every_key_of_a_generated_trail_traces_to_its_origin() {
    let Some((trail, truth)) = chains_trail("identity", "chains", 20000, 11) else { return };
    let chains = truth["chains"].as_object().expect("the truth holds chains");
    assert!(chains.len() >= 50, "{} chains", chains.len());
    let data = Dataset::load(std::slice::from_ref(&trail), Options::default());
    let store = data.read();
    let graph = data.graph();
    let mut wrong = Vec::new();
    let mut deepest = 0;
    for (key, want) in chains {
        let chain = Chain::of(&graph, &store, key);
        // Ours: origin first, the key's own session last; the truth: from the key's issuer up.
        let mut ours: Vec<&str> = chain.hops[..chain.hops.len() - 1].iter().map(|h| h.actor.as_str()).collect();
        ours.reverse();
        let hops: Vec<&str> = want["hops"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
        deepest = deepest.max(hops.len());
        if ours != hops || chain.origin() != want["origin"] || chain.end != End::Origin {
            wrong.push(format!("{key}: {ours:?} ({:?}) want {hops:?}", chain.end));
        }
        assert_eq!(chain.hops.last().unwrap().key.as_deref(), Some(key.as_str()));
    }
    assert!(wrong.is_empty(), "{} of {} chains wrong:\n{}", wrong.len(), chains.len(), wrong.join("\n"));
    assert!(deepest >= 3, "role chaining is exercised ({deepest} hops)");
    // origin:NAME selects every event done with a key whose chain ends there, and only those events' origins.
    let mut by_origin: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, want) in chains {
        by_origin.entry(want["origin"].as_str().unwrap()).or_default().push(key);
    }
    for (origin, keys) in by_origin.iter().take(8) {
        let q = trailscope::query::parse(&format!("origin:{origin}")).unwrap();
        let got = data.matching(&q);
        assert!(got.iter().all(|&id| graph.origin(&store, id) == *origin));
        for k in keys {
            let used: Vec<u32> =
                (0..store.len() as u32).filter(|&id| store.value(id, Field::AccessKey) == *k).collect();
            assert!(!used.is_empty(), "{k} is used");
            assert!(used.iter().all(|id| got.contains(id)), "origin:{origin} misses events of {k}");
        }
    }
    // session:KEY takes the key's events and those of every key issued from it.
    // A key issued by a role session (the truth's first hop is a role): its parent is that session's key.
    let (parent, child) = chains
        .iter()
        .find_map(|(k, want)| {
            let issuer = want["hops"].as_array()?.first()?.as_str()?;
            let chain = Chain::of(&graph, &store, k);
            let hop = &chain.hops[chain.hops.len().checked_sub(2)?];
            if issuer.contains('/') && hop.actor == issuer { Some((hop.key.clone()?, k.clone())) } else { None }
        })
        .expect("a key issued by a role session");
    let session = data.matching(&trailscope::query::parse(&format!("session:{parent}")).unwrap());
    for k in [&parent, &child] {
        assert!(
            (0..store.len() as u32)
                .filter(|&id| store.value(id, Field::AccessKey) == k.as_str())
                .all(|id| session.contains(&id)),
            "session:{parent} holds the events of {k}"
        );
    }
}

#[test]
fn trace_prints_the_chain_origin_first_and_the_sessions_events() {
    let Some((trail, truth)) = chains_trail("trace", "trace", 5000, 5) else { return };
    let chains = truth["chains"].as_object().unwrap();
    let (key, want) = chains.iter().max_by_key(|(_, v)| v["hops"].as_array().unwrap().len()).unwrap();
    let o = run(&["trace", "--json", key, trail.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let hops = v["hops"].as_array().unwrap();
    assert_eq!(hops[0]["actor"], want["origin"]);
    assert_eq!(hops.len(), want["hops"].as_array().unwrap().len() + 1);
    assert_eq!(hops.last().unwrap()["accessKeyId"], key.as_str());
    for h in &hops[1..] {
        assert!(h["issuedBy"].as_str().is_some_and(|e| !e.is_empty()), "{h}");
        assert!(h["issuedAt"].is_string() && h["identity"].is_string(), "{h}");
    }
    let events = v["events"].as_array().unwrap();
    assert!(!events.is_empty());
    // The same events as the query term.
    let n = stdout(&run(&["query", "-q", &format!("session:{key}"), "--format", "jsonl", trail.to_str().unwrap()]))
        .lines()
        .count();
    assert_eq!(events.len(), n);
    // The same chain from the session's ARN, from its actor, or from one of its events.
    let own = hops.last().unwrap();
    let event = stdout(&run(&[
        "query",
        "-q",
        &format!("key:{key}"),
        "--format",
        "jsonl",
        "--limit",
        "1",
        trail.to_str().unwrap(),
    ]));
    let event: Value = serde_json::from_str(event.lines().next().unwrap()).unwrap();
    for what in [own["identity"].as_str().unwrap(), own["actor"].as_str().unwrap(), event["eventID"].as_str().unwrap()]
    {
        let o = run(&["trace", "--json", what, trail.to_str().unwrap()]);
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{what}: {e} {}", stderr(&o)));
        assert_eq!(v["origin"], want["origin"], "{what}");
    }
    // The readable form names the origin first; an unknown WHAT is a usage error.
    let text = stdout(&run(&["trace", key, trail.to_str().unwrap()]));
    assert!(text.starts_with(&format!("origin    {}", want["origin"].as_str().unwrap())), "{text}");
    let o = run(&["trace", "AKIANOTHEREATALL0000", trail.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

/// An event by `uid` at minute `min`, in `account`.
fn ev(min: u32, account: &str, name: &str, uid: Value, response: Value) -> Value {
    serde_json::json!({
        "eventVersion": "1.09", "userIdentity": uid,
        "eventTime": format!("2024-05-14T10:{min:02}:00Z"), "eventSource": "sts.amazonaws.com", "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": format!("198.51.100.{min}"), "userAgent": "aws-cli/2.15.0",
        "requestParameters": null, "responseElements": response,
        "eventID": format!("{account}-{min}-{name}"), "eventType": "AwsApiCall", "recipientAccountId": account
    })
}

fn user(name: &str, key: &str) -> Value {
    serde_json::json!({"type": "IAMUser", "principalId": "AIDAEXAMPLE", "arn": format!("arn:aws:iam::111111111111:user/{name}"),
        "accountId": "111111111111", "accessKeyId": key, "userName": name})
}

fn session(account: &str, role: &str, name: &str, key: &str) -> Value {
    serde_json::json!({"type": "AssumedRole", "principalId": format!("AROAEXAMPLE:{name}"),
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"), "accountId": account, "accessKeyId": key,
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": role, "arn": format!("arn:aws:iam::{account}:role/{role}"), "accountId": account}}})
}

/// `by` assumes a role; the response issues `key`.
fn assume(min: u32, account: &str, by: Value, key: &str) -> Value {
    ev(min, account, "AssumeRole", by, creds(key))
}

fn creds(key: &str) -> Value {
    serde_json::json!({"credentials": {"accessKeyId": key, "sessionToken": "x", "expiration": "May 14, 2024, 11:00:00 PM"}})
}

/// The chain of `key` in `files` (each a list of events, loaded as files in that order).
fn chain_of(files: &[Vec<Value>], key: &str) -> (Vec<String>, End) {
    let inputs = files
        .iter()
        .enumerate()
        .map(|(i, evs)| (format!("f{i}.jsonl"), evs.iter().map(|e| format!("{e}\n")).collect::<String>().into_bytes()))
        .collect();
    let data = Dataset::from_bytes(inputs);
    let (store, graph) = (data.read(), data.graph());
    let chain = Chain::of(&graph, &store, key);
    (chain.hops.iter().map(|h| h.actor.clone()).collect(), chain.end)
}

#[test]
fn each_kind_of_link_traces_to_the_right_origin() {
    // A user assumes a role, whose session assumes a role in another account (logged in both), which acts.
    let a = vec![
        ev(1, "111111111111", "GetCallerIdentity", user("alice", "AKIAALICE0000000001"), Value::Null),
        assume(2, "111111111111", user("alice", "AKIAALICE0000000001"), "ASIAHOP10000000001"),
        assume(3, "111111111111", session("111111111111", "Ops", "alice", "ASIAHOP10000000001"), "ASIAHOP20000000002"),
    ];
    let b = vec![
        assume(3, "222222222222", session("111111111111", "Ops", "alice", "ASIAHOP10000000001"), "ASIAHOP20000000002"),
        ev(
            4,
            "222222222222",
            "ListBuckets",
            session("222222222222", "Audit", "alice", "ASIAHOP20000000002"),
            Value::Null,
        ),
    ];
    let want = (vec!["alice".to_string(), "Ops/alice".into(), "Audit/alice".into()], End::Origin);
    assert_eq!(chain_of(&[a.clone(), b.clone()], "ASIAHOP20000000002"), want);
    assert_eq!(chain_of(&[b.clone(), a.clone()], "ASIAHOP20000000002"), want, "either account's trail first");

    // SAML and web identity: the federated subject is the origin.
    let saml = serde_json::json!({"type": "SAMLUser", "principalId": "x:alice@corp.example", "userName": "alice@corp.example", "identityProvider": "arn:aws:iam::111111111111:saml-provider/Okta"});
    let web = serde_json::json!({"type": "WebIdentityUser", "principalId": "token.actions.githubusercontent.com:sub", "userName": "repo:org/app:ref:refs/heads/main", "identityProvider": "token.actions.githubusercontent.com"});
    let fed = vec![
        ev(1, "111111111111", "AssumeRoleWithSAML", saml, creds("ASIASAML0000000001")),
        ev(
            2,
            "111111111111",
            "ListUsers",
            session("111111111111", "Okta-Admin", "alice@corp.example", "ASIASAML0000000001"),
            Value::Null,
        ),
        ev(3, "111111111111", "AssumeRoleWithWebIdentity", web, creds("ASIAWEBID000000001")),
        ev(
            4,
            "111111111111",
            "PutObject",
            session("111111111111", "gha-deploy", "GitHubActions", "ASIAWEBID000000001"),
            Value::Null,
        ),
    ];
    assert_eq!(
        chain_of(std::slice::from_ref(&fed), "ASIASAML0000000001").0,
        ["alice@corp.example", "Okta-Admin/alice@corp.example"]
    );
    assert_eq!(
        chain_of(&[fed], "ASIAWEBID000000001").0,
        ["repo:org/app:ref:refs/heads/main", "gha-deploy/GitHubActions"]
    );

    // Identity Center: the person is the session name of an AWSReservedSSO_ role.
    let sso = vec![ev(
        1,
        "111111111111",
        "ListRoles",
        session("111111111111", "AWSReservedSSO_Admin_0a1b2c", "bob@corp.example", "ASIASSO00000000001"),
        Value::Null,
    )];
    assert_eq!(
        chain_of(&[sso], "ASIASSO00000000001"),
        (vec!["bob@corp.example".into(), "AWSReservedSSO_Admin_0a1b2c/bob@corp.example".into()], End::Origin)
    );

    // A console session: a user's own temporary key ends at the user.
    let mut console = ev(1, "111111111111", "DescribeInstances", user("carol", "ASIACONSOLE0000001"), Value::Null);
    console["sessionCredentialFromConsole"] = "true".into();
    assert_eq!(chain_of(&[vec![console]], "ASIACONSOLE0000001"), (vec!["carol".into()], End::Origin));

    // An instance role: issued to EC2, which ends the chain.
    let ec2 = serde_json::json!({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"});
    let inst = vec![
        assume(1, "111111111111", ec2, "ASIAINSTANCE000001"),
        ev(
            2,
            "111111111111",
            "GetObject",
            session("111111111111", "web-role", "i-0abc1234def567890", "ASIAINSTANCE000001"),
            Value::Null,
        ),
    ];
    assert_eq!(chain_of(&[inst], "ASIAINSTANCE000001").0, ["ec2.amazonaws.com", "web-role/i-0abc1234def567890"]);

    // A user whose key another user created: the chain goes on to the creator, who is the origin.
    let made = [
        ev(
            1,
            "111111111111",
            "CreateAccessKey",
            user("bob", "AKIABOB00000000001"),
            serde_json::json!({"accessKey": {"userName": "dave", "accessKeyId": "AKIADAVE0000000001", "status": "Active"}}),
        ),
        ev(2, "111111111111", "ListBuckets", user("dave", "AKIADAVE0000000001"), Value::Null),
    ];
    let inputs =
        vec![("made.jsonl".to_string(), made.iter().map(|e| format!("{e}\n")).collect::<String>().into_bytes())];
    let data = Dataset::from_bytes(inputs);
    let chain = Chain::of(&data.graph(), &data.read(), "AKIADAVE0000000001");
    let actors: Vec<&str> = chain.hops.iter().map(|h| h.actor.as_str()).collect();
    assert_eq!((actors, chain.end), (vec!["bob", "dave"], End::Origin));
    let creator = chain.hops[1].issued_by.expect("the CreateAccessKey is on record");
    assert_eq!(data.read().value(creator, Field::Actor), "bob");

    // GetSessionToken: a user's own temporary key (for MFA) ends at the user.
    let st = vec![
        ev(1, "111111111111", "GetSessionToken", user("erin", "AKIAERIN0000000001"), creds("ASIASTOKEN00000001")),
        ev(2, "111111111111", "ListBuckets", user("erin", "ASIASTOKEN00000001"), Value::Null),
    ];
    assert_eq!(chain_of(&[st], "ASIASTOKEN00000001"), (vec!["erin".into(), "erin".into()], End::Origin));

    // Identity Center's portal: GetRoleCredentials issued the key to the person signed in.
    let portal = serde_json::json!({"type": "Unknown", "principalId": "x", "accountId": "111111111111", "userName": "frank@corp.example"});
    let gr = vec![
        ev(
            1,
            "111111111111",
            "GetRoleCredentials",
            portal,
            serde_json::json!({"roleCredentials": {"accessKeyId": "ASIAPORTAL00000001"}}),
        ),
        ev(
            2,
            "111111111111",
            "ListRoles",
            session("111111111111", "AWSReservedSSO_Read_9f8e", "frank@corp.example", "ASIAPORTAL00000001"),
            Value::Null,
        ),
    ];
    assert_eq!(
        chain_of(&[gr], "ASIAPORTAL00000001").0,
        ["frank@corp.example", "AWSReservedSSO_Read_9f8e/frank@corp.example"]
    );

    // A response that hid the key: the link is inferred from the account, role, session name and time.
    let mut hid = ev(1, "111111111111", "AssumeRole", user("ivan", "AKIAIVAN0000000001"), Value::Null);
    hid["requestParameters"] =
        serde_json::json!({"roleArn": "arn:aws:iam::111111111111:role/ops/Ops", "roleSessionName": "ivan"});
    let used =
        ev(2, "111111111111", "ListRoles", session("111111111111", "Ops", "ivan", "ASIAHIDDEN00000001"), Value::Null);
    let inputs = vec![("hid.jsonl".to_string(), format!("{hid}\n{used}\n").into_bytes())];
    let data = Dataset::from_bytes(inputs);
    let chain = Chain::of(&data.graph(), &data.read(), "ASIAHIDDEN00000001");
    let actors: Vec<&str> = chain.hops.iter().map(|h| h.actor.as_str()).collect();
    assert_eq!((actors, chain.end), (vec!["ivan", "Ops/ivan"], End::Origin));
    assert!(chain.hops[1].inferred() && !chain.hops[0].inferred());
    // A later assumption cannot have issued an earlier session.
    let mut late = hid.clone();
    late["eventTime"] = "2024-05-14T10:30:00Z".into();
    let inputs = vec![("late.jsonl".to_string(), format!("{late}\n{used}\n").into_bytes())];
    let data = Dataset::from_bytes(inputs);
    assert_eq!(Chain::of(&data.graph(), &data.read(), "ASIAHIDDEN00000001").end, End::Missing);

    // A missing link: a role session whose issuer was not loaded.
    let lone = vec![ev(
        1,
        "111111111111",
        "ListRoles",
        session("111111111111", "Admin", "x", "ASIALONE0000000001"),
        Value::Null,
    )];
    assert_eq!(chain_of(&[lone], "ASIALONE0000000001").1, End::Missing);

    // No issuer loaded, but the session names its person: sourceIdentity, or Identity Center's onBehalfOf.
    let mut named = session("111111111111", "Deploy", "ci-42", "ASIANAMED000000001");
    named["sessionContext"]["sourceIdentity"] = "gina@corp.example".into();
    let mut behalf = session("111111111111", "Support", "s-1", "ASIABEHALF00000001");
    behalf["onBehalfOf"] = serde_json::json!({"userId": "hank-1234", "identityStoreArn": "arn:aws:identitystore::111111111111:identitystore/d-1"});
    let both = vec![
        ev(1, "111111111111", "ListRoles", named, Value::Null),
        ev(2, "111111111111", "ListRoles", behalf, Value::Null),
    ];
    assert_eq!(
        chain_of(std::slice::from_ref(&both), "ASIANAMED000000001"),
        (vec!["gina@corp.example".into(), "Deploy/ci-42".into()], End::Named)
    );
    assert_eq!(chain_of(&[both], "ASIABEHALF00000001").0, ["hank-1234", "Support/s-1"]);

    // A cycle: two keys each issued by a call made with the other; the walk ends.
    let cyc = vec![
        assume(1, "111111111111", session("111111111111", "A", "a", "ASIACYCLEA00000001"), "ASIACYCLEB00000001"),
        assume(2, "111111111111", session("111111111111", "B", "b", "ASIACYCLEB00000001"), "ASIACYCLEA00000001"),
    ];
    assert_eq!(chain_of(&[cyc], "ASIACYCLEA00000001").1, End::Cycle);
}

#[test]
fn actors_sum_up_each_identity_as_the_queries_count_it() {
    let sample = sample();
    let sample = sample.to_str().unwrap();
    let o = run(&["actors", "--json", sample]);
    assert!(o.status.success(), "{}", stderr(&o));
    let all: Vec<Value> = serde_json::from_str(&stdout(&o)).unwrap();
    let stats: Value = serde_json::from_str(&stdout(&run(&["stats", "--json", "--no-builtin", sample]))).unwrap();
    let actors = stats["facets"]["actor"].as_object().unwrap();
    let named: Vec<&Value> = all.iter().filter(|a| a["identity"] != "(no identity)").collect();
    assert_eq!(named.len(), actors.len());
    for a in &all {
        let who = a["identity"].as_str().unwrap();
        if who == "(no identity)" {
            continue;
        }
        assert_eq!(a["events"], actors[who], "{who}");
        assert!(a["first"].as_str() <= a["last"].as_str());
        let calls = a["calls"].as_array().unwrap();
        let sum: u64 = calls.iter().map(|c| c["succeeded"].as_u64().unwrap() + c["failed"].as_u64().unwrap()).sum();
        assert_eq!(Some(sum), a["events"].as_u64(), "{who}: every event is a call that succeeded or failed");
        assert!(a["denied"].as_u64() <= a["failed"].as_u64());
    }
    // Sorted as asked; a query narrows.
    let by_denied: Vec<Value> =
        serde_json::from_str(&stdout(&run(&["actors", "--json", "--sort", "denied", sample]))).unwrap();
    assert!(by_denied.windows(2).all(|w| w[0]["denied"].as_u64() >= w[1]["denied"].as_u64()));
    assert!(by_denied[0]["denied"].as_u64().unwrap() > 0);
    let bob: Vec<Value> =
        serde_json::from_str(&stdout(&run(&["actors", "--json", "-q", "actor:bob", sample]))).unwrap();
    assert_eq!(bob.len(), 1);
    let text = stdout(&run(&["actors", sample]));
    assert!(text.starts_with("IDENTITY") && text.contains(&format!("{} identities", all.len())), "{text}");
}

#[test]
fn stratus_detonations_trace_back_to_the_operator() {
    let Some(shared) = shared("identity real corpus") else { return };
    let data = Dataset::load(&[shared.join("corpus/real/stratus-red-team")], Options::default());
    let (store, graph) = (data.read(), data.graph());
    let actors = |key: &str| {
        let c = Chain::of(&graph, &store, key);
        (c.hops.iter().map(|h| (h.actor.clone(), h.events)).collect::<Vec<_>>(), c.end)
    };
    // ec2-get-password-data: the operator's user key assumed the technique's role, whose session did the work.
    let (hops, end) = actors("ASIANQQHHS551LWULIWD");
    assert_eq!(end, End::Origin);
    assert_eq!(hops[0].0, "christophe");
    assert_eq!(hops[1], ("stratus-red-team-ec2-get-password-data-role/aws-go-sdk-1722375070115152000".to_string(), 30));
    // sts-federation-token: a user's GetFederationToken; the federated session acted.
    let (hops, end) = actors("ASIASTJKC5GCM7ZE6LUP");
    assert_eq!(
        (end, hops[0].0.as_str(), hops[1].0.as_str()),
        (End::Origin, "stratus-red-team-user-federation-user", "stratus_red_team")
    );
    // Every event of the role session has the operator as its origin.
    let q = trailscope::query::parse("session:ASIANQQHHS551LWULIWD").unwrap();
    let events = data.matching(&q);
    assert_eq!(events.len(), 30);
    assert!(events.iter().all(|&id| graph.origin(&store, id) == "christophe"));
}

#[test]
fn origins_in_and_around_a_loop_are_those_the_walk_gives() {
    // A -> B -> C -> A issue each other (data that loops), D is issued from inside the loop, E from D.
    let s = |n: &str, k: &str| session("111111111111", n, n, k);
    let evs = [
        assume(1, "111111111111", s("A", "ASIALOOPAAAAAAAAAAA1"), "ASIALOOPBBBBBBBBBBB2"),
        assume(2, "111111111111", s("B", "ASIALOOPBBBBBBBBBBB2"), "ASIALOOPCCCCCCCCCCC3"),
        assume(3, "111111111111", s("C", "ASIALOOPCCCCCCCCCCC3"), "ASIALOOPAAAAAAAAAAA1"),
        assume(4, "111111111111", s("B", "ASIALOOPBBBBBBBBBBB2"), "ASIAOUTDDDDDDDDDDDD4"),
        assume(5, "111111111111", s("D", "ASIAOUTDDDDDDDDDDDD4"), "ASIAOUTEEEEEEEEEEEE5"),
        ev(6, "111111111111", "ListBuckets", s("E", "ASIAOUTEEEEEEEEEEEE5"), Value::Null),
    ];
    // Every order of the files: the origin each event is given is the one its chain's walk ends at.
    for rotate in 0..evs.len() {
        let mut files: Vec<Vec<Value>> = evs.iter().map(|e| vec![e.clone()]).collect();
        files.rotate_left(rotate);
        let inputs = files
            .iter()
            .enumerate()
            .map(|(i, f)| (format!("f{i}.jsonl"), format!("{}\n", f[0]).into_bytes()))
            .collect();
        let data = Dataset::from_bytes(inputs);
        let (store, graph) = (data.read(), data.graph());
        for id in 0..store.len() as u32 {
            let walked = Chain::of_event(&graph, &store, id);
            assert_eq!(graph.origin(&store, id), walked.origin(), "event {id}: {walked:?}");
        }
        let e = Chain::of(&graph, &store, "ASIAOUTEEEEEEEEEEEE5");
        assert_eq!(e.end, End::Cycle);
    }
}

/// The identities overlay (by actor) agrees with one reading of each event:
/// per identity (equal but for case), its events, failed calls, and the
/// regions, addresses, agents, keys and accounts it used. On the sample
/// and on the real corpus (with ../shared).
#[test]
fn identities_by_actor_agree_with_reading_each_event() {
    use std::collections::{BTreeSet, HashMap};
    use trailscope::identity::actors::{By, USED, summarize};
    let mut inputs = vec![sample()];
    inputs.extend(shared("identities_by_actor_agree_with_reading_each_event").map(|s| s.join("corpus/real")));
    for input in inputs {
        let data = Dataset::load(std::slice::from_ref(&input), Options::default());
        let (store, graph) = (data.read(), data.graph());
        let all: Vec<u32> = store.order().to_vec();
        // Every event (put in id order by marking), and a tenth of them out of order (by sorting).
        let tenth: Vec<u32> = all.iter().rev().step_by(10).copied().collect();
        for ids in [all, tenth] {
            type Seen = (usize, usize, Vec<BTreeSet<u32>>);
            let mut want: HashMap<String, Seen> = HashMap::new();
            for &id in &ids {
                let actor = store.value(id, Field::Actor).to_lowercase();
                let w = want.entry(actor).or_insert_with(|| (0, 0, vec![BTreeSet::new(); USED.len()]));
                w.0 += 1;
                w.1 += usize::from(store.value_id(id, Field::Error) != 0);
                for (i, f) in USED.into_iter().enumerate() {
                    if !store.value(id, f).is_empty() {
                        w.2[i].insert(store.value_id(id, f));
                    }
                }
            }
            let got = summarize(&store, &graph, &ids, By::Actor);
            assert_eq!(got.len(), want.len(), "{}", input.display());
            for s in &got {
                let key = if s.identity == trailscope::model::fields::NO_IDENTITY {
                    String::new()
                } else {
                    s.identity.to_lowercase()
                };
                let w = &want[&key];
                assert_eq!((s.events, s.failed()), (w.0, w.1), "{}: {}", input.display(), s.identity);
                for (i, f) in USED.into_iter().enumerate() {
                    assert_eq!(s.used(f).len(), w.2[i].len(), "{}: {} {}", input.display(), s.identity, f.label());
                }
            }
        }
    }
}
