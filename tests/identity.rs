//! Credential chains: every temporary key of a generated trail (users
//! assuming roles, role chaining within and across accounts, EC2 instance
//! roles, federation tokens) traced to the origin the generator wrote down,
//! by the library, the query terms and the `trace` command.

mod common;
use common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use trailscope::engine::{Dataset, Options};
use trailscope::identity::{Chain, End};
use trailscope::model::fields::Field;

#[test]
fn every_key_of_a_generated_trail_traces_to_its_origin() {
    let Some(shared) = shared("identity") else { return };
    let dir = tempdir("chains");
    let trail = dir.join("trail.jsonl");
    let truth = dir.join("truth.json");
    generate(
        &shared,
        &[
            "--events",
            "20000",
            "--seed",
            "11",
            "--chains",
            "--format",
            "ndjson",
            "--out",
            trail.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ],
    );
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
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
    let Some(shared) = shared("trace") else { return };
    let dir = tempdir("trace");
    let trail = dir.join("trail.jsonl");
    let truth = dir.join("truth.json");
    generate(
        &shared,
        &[
            "--events",
            "5000",
            "--seed",
            "5",
            "--chains",
            "--format",
            "ndjson",
            "--out",
            trail.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ],
    );
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(&truth).unwrap()).unwrap();
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
    // The readable form names the origin first; an unknown WHAT is a usage error.
    let text = stdout(&run(&["trace", key, trail.to_str().unwrap()]));
    assert!(text.starts_with(&format!("origin    {}", want["origin"].as_str().unwrap())), "{text}");
    let o = run(&["trace", "AKIANOTHEREATALL0000", trail.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}
