//! Each Stratus Red Team detonation in the real corpus sets off at least one
//! built-in rule of its technique's tactic, and the README's table lists
//! exactly which ones (so the table cannot drift from what the rules do),
//! with the resources its write calls name (read with the resource table).

use crate::common;
use common::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use trailscope::detect::RuleSet;
use trailscope::engine::{Dataset, Options};

const BEGIN: &str = "<!-- stratus table: written from tests/stratus.rs -->";
const END: &str = "<!-- end of stratus table -->";

#[test]
fn every_stratus_detonation_fires_a_rule_of_its_tactic_and_the_readme_says_which() {
    let Some(shared) = shared("stratus") else { return };
    let dir = shared.join("corpus/real/stratus-red-team");
    // One technique may be captured in several files (plain and gzip).
    let mut techniques: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for p in files(&dir) {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".json.gz").or_else(|| name.strip_suffix(".json")) {
            techniques.entry(stem.to_string()).or_default().push(p);
        }
    }
    assert!(techniques.len() >= 30, "{} techniques", techniques.len());
    let rules = Arc::new(RuleSet::load(true, &[]));
    let mut table = vec![
        BEGIN.to_string(),
        "| Stratus technique | Tactic | Built-in rules of that tactic that fire | Resources it touched |".to_string(),
        "|---|---|---|---|".to_string(),
    ];
    let mut untouched = Vec::new();
    let mut missed = Vec::new();
    for (technique, paths) in &techniques {
        let tactic = technique.split('.').nth(1).expect("aws.TACTIC.name").to_string();
        let data = Dataset::load(paths, Options { rules: Arc::clone(&rules), ..Options::default() });
        let found = data.found();
        assert!(!data.read().is_empty(), "{technique}: no events loaded");
        let mut fired: Vec<&str> = found
            .counts(None)
            .into_iter()
            .map(|c| &rules.rules[c.rule].meta)
            .filter(|m| m.tactics().any(|t| t.replace('_', "-") == tactic))
            .map(|m| m.key())
            .collect();
        fired.sort_unstable();
        if fired.is_empty() {
            missed.push(technique.clone());
        }
        let touched = resources(&data);
        if touched.is_empty() && tactic != "discovery" {
            untouched.push(technique.clone());
        }
        table.push(format!(
            "| `{technique}` | {tactic} | {} | {} |",
            fired.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "),
            touched
                .iter()
                .map(|(k, n)| if *n > 1 { format!("{k} ×{n}") } else { k.clone() })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    table.push(END.to_string());
    let want = table.join("\n");
    assert!(missed.is_empty(), "no rule of the technique's tactic fires for {missed:?}\n{want}");
    // Detonations that change something name what they changed (a few only read, or fail).
    assert!(untouched.len() * 10 <= techniques.len(), "no resource named for {untouched:?}\n{want}");
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let have = readme
        .find(BEGIN)
        .and_then(|a| readme[a..].find(END).map(|b| &readme[a..a + b + END.len()]))
        .unwrap_or("(no table)");
    assert_eq!(have, want, "the README's Stratus table differs from what the rules do; it should read:\n{want}");
}

/// The kinds of resource the write calls of a detonation name, with how many of each.
fn resources(data: &Dataset) -> Vec<(String, usize)> {
    use trailscope::model::fields::Field;
    let store = data.read();
    let mut cache = trailscope::store::blobs::ChunkCache::new(4);
    let mut named: Vec<(&'static str, String)> = Vec::new();
    for id in 0..store.len() as trailscope::store::EventId {
        if !trailscope::model::resources::touches(
            store.value(id, Field::Name),
            store.value(id, Field::ReadOnly) == "true",
        ) {
            continue;
        }
        let record: serde_json::Value = serde_json::from_slice(store.record(id, &mut cache)).unwrap();
        for r in trailscope::model::resources::named(&record) {
            if !named.contains(&r) {
                named.push(r);
            }
        }
    }
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for (kind, _) in named {
        *kinds.entry(kind.to_string()).or_default() += 1;
    }
    kinds.into_iter().collect()
}
