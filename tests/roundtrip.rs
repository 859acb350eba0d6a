//! What is shown can be typed back: every value the facets panel, `stats`,
//! `actors` (by actor and by origin) and the detections panel show with a
//! count, written as a query term and parsed back from text, selects
//! exactly the events counted next to it. On the bundled sample, on a
//! story of the identities real data has, on the real corpus and on a
//! generated trail (the last two with ../shared).

use crate::common;
use common::*;
use serde_json::json;
use std::sync::Arc;
use trailscope::detect::RuleSet;
use trailscope::engine::{Dataset, Options};
use trailscope::identity::actors::{By, summarize};
use trailscope::model::fields::{Field, panel_fields, stats_fields};
use trailscope::query::labels::Labels;
use trailscope::query::{Target, Term};
use trailscope::store::EventId;

/// Types `term` back (its printed form, parsed again) and counts what it selects.
fn typed_back(data: &Dataset, term: &Term) -> usize {
    let text = term.to_string();
    let q = trailscope::query::parse(&text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    data.matching(&q).len()
}

/// Every shown value whose query does not select its count: (what, shown, selected).
fn mismatches(data: &Dataset) -> (usize, Vec<String>) {
    let store = data.read();
    let all: Vec<EventId> = store.order().to_vec();
    let mut shown: Vec<(Term, usize, String)> = Vec::new();
    // Facets, as the panel and stats count them: every value.
    let mut fields: Vec<Field> = panel_fields().to_vec();
    fields.extend(stats_fields().iter().filter(|f| !panel_fields().contains(f)));
    let labels = Labels::new(&store);
    let annex = data.annex();
    for f in &fields {
        let counts = match f.column() {
            Some(_) => trailscope::query::facets::count(&store, &all, &[*f], None).remove(0),
            None => annex.count(&store, *f, &all, usize::MAX).expect("a computed facet is counted by its annex"),
        };
        for &(v, n) in &counts.values {
            let label = counts.label(&labels, v).to_string();
            shown.push((Term::matching(Target::field(*f), &label, false), n as usize, format!("facet {}", f.label())));
        }
    }
    // Identities, by actor and by origin, as `actors` and the overlay list them.
    for (by, field) in [(By::Actor, Field::Actor), (By::Origin, Field::Origin)] {
        for s in summarize(&store, &data.graph(), &all, by) {
            shown.push((Term::matching(Target::field(field), &s.identity, false), s.events, format!("{by:?} list")));
        }
    }
    // Rules, as the detections panel lists them: by the key it adds, and by the title it shows.
    let found = data.found();
    for trailscope::detect::RuleCount { rule: r, events: n, .. } in found.counts(Some(&all)) {
        let meta = &found.rules.rules[r].meta;
        for name in [meta.key(), meta.title.as_str()] {
            shown.push((Term::matching(Target::field(Field::Rule), name, false), n, "rule".into()));
        }
    }
    drop((store, found));
    let total = shown.len();
    let wrong = shown
        .into_iter()
        .filter_map(|(term, n, what)| {
            let got = typed_back(data, &term);
            (got != n).then(|| format!("{what}: {term} shows {n}, selects {got}"))
        })
        .collect();
    (total, wrong)
}

fn assert_round_trip(data: &Dataset, name: &str) {
    let (total, wrong) = mismatches(data);
    assert!(total > 20, "{name}: only {total} values shown");
    assert!(
        wrong.is_empty(),
        "{name}: {} of {total} shown values do not type back:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    eprintln!("{name}: {total} shown values type back to their counts");
}

fn with_catalogue() -> Options {
    Options { rules: Arc::new(RuleSet::load(true, &[])), ..Options::default() }
}

#[test]
fn the_sample_types_back() {
    assert_round_trip(&Dataset::load(&[sample()], with_catalogue()), "sample");
}

#[test]
fn identities_of_every_form_type_back() {
    // One account: root is shown as `root`, and its `root@ACCOUNT` form (as `actors` lists it) works too.
    let ev = |n: u32, uid: serde_json::Value| {
        json!({"eventTime": format!("2024-05-14T10:00:{n:02}Z"), "eventSource": "iam.amazonaws.com", "eventName": "ListUsers",
            "awsRegion": "us-east-1", "eventID": format!("e{n}"), "recipientAccountId": "015043439996", "userIdentity": uid})
    };
    let evs = [
        ev(
            1,
            json!({"type": "Root", "arn": "arn:aws:iam::015043439996:root", "accountId": "015043439996", "accessKeyId": "AKIAROOTROOTROOT0001"}),
        ),
        ev(
            2,
            json!({"type": "IAMUser", "userName": "Alice", "arn": "arn:aws:iam::015043439996:user/Alice", "accountId": "015043439996"}),
        ),
        ev(
            3,
            json!({"type": "IAMUser", "userName": "alice", "arn": "arn:aws:iam::015043439996:user/alice", "accountId": "015043439996"}),
        ),
        ev(4, json!({"type": "AWSService", "invokedBy": "ec2.amazonaws.com"})),
        ev(5, json!(null)),
        ev(
            6,
            json!({"type": "AssumedRole", "arn": "arn:aws:sts::015043439996:assumed-role/Admin/x*y", "accountId": "015043439996",
            "sessionContext": {"sessionIssuer": {"userName": "Admin"}}}),
        ),
        ev(7, json!({"type": "AWSAccount", "accountId": "015043439996", "principalId": "AIDAX:sess \"quoted\""})),
    ];
    let text: String = evs.iter().map(|e| format!("{e}\n")).collect();
    let data = Dataset::from_bytes(vec![("ids.jsonl".into(), text.into_bytes())]);
    assert_round_trip(&data, "identities");
    let count = |q: &str| data.matching(&trailscope::query::parse(q).unwrap()).len();
    assert_eq!(count("actor:root@015043439996"), 1, "the form actors lists");
    assert_eq!(count("actor:root"), 1, "the form the list shows");
    assert_eq!(count("actor:\"(no identity)\""), 1);
    assert_eq!(count("origin:\"(no identity)\""), 1);
    assert_eq!(count("actor:*"), 6, "`*` is any identity, not the lack of one");
    assert_eq!(count("actor:alice"), 2, "case aside, as everywhere");
}

#[test]
fn the_real_corpus_types_back() {
    let Some(shared) = shared("round trip on the real corpus") else { return };
    let data = Dataset::load(&[shared.join("corpus/real")], with_catalogue());
    assert_round_trip(&data, "real corpus");
}

#[test]
fn a_generated_trail_types_back() {
    let Some(shared) = shared("round trip on a generated trail") else { return };
    let dir = tempdir("roundtrip-gen");
    let trail = dir.join("trail.jsonl");
    generate(
        &shared,
        &["--events", "8000", "--seed", "23", "--chains", "--format", "ndjson", "--out", trail.to_str().unwrap()],
    );
    let data = Dataset::load(&[trail], with_catalogue());
    assert_round_trip(&data, "generated trail");
}
