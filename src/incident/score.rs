//! How incidents are ranked: points for what makes an intrusion worse,
//! each with the reason, so an incident says why it ranks where it does.
//! Distinct rules and tactics over several events count, not repeated matches: a rule firing
//! all week for one automation role adds nothing by firing again, and an
//! incident that is one or two rules repeated over a day or more is routine
//! and keeps a fraction of its points.

use super::model::{Incident, KILL_CHAIN, Score};
use crate::detect::{Level, Results};
use crate::model::fields::Field;
use crate::store::Store;

/// Points for the highest level among the findings.
fn level_points(l: Level) -> i32 {
    match l {
        Level::Informational => 1,
        Level::Low => 3,
        Level::Medium => 8,
        Level::High => 14,
        Level::Critical => 22,
    }
}

/// Successful calls that make an identity or a key someone can come back with.
const MAKES_ACCESS: [&str; 8] = [
    "CreateUser",
    "CreateAccessKey",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "CreateRole",
    "UpdateAssumeRolePolicy",
    "GetFederationToken",
    "CreateVirtualMFADevice",
];

/// A day: an incident of one or two rules repeated this long is routine.
const ROUTINE_SPAN: i64 = 24 * 3_600 * 1_000_000;

/// The level a score stands for.
pub fn level_of(total: u32) -> Level {
    match total {
        60.. => Level::Critical,
        35.. => Level::High,
        18.. => Level::Medium,
        6.. => Level::Low,
        _ => Level::Informational,
    }
}

/// Scores an incident.
pub fn of(inc: &Incident, store: &Store, found: &Results) -> Score {
    let mut reasons: Vec<(i32, String)> = Vec::new();
    reasons.push((level_points(inc.top), format!("its most serious finding is {}", inc.top.name())));
    let n_rules = inc.rules.len();
    // One call that several rules describe is still one action: breadth needs several events.
    if n_rules > 1 && inc.flagged.len() > 1 {
        reasons.push((((n_rules - 1) * 2).min(12) as i32, format!("{n_rules} different rules")));
        if inc.tactics.len() > 1 {
            reasons.push((5 * (inc.tactics.len() as i32 - 1), format!("{} tactics", inc.tactics.len())));
            let stage = |t: &str| KILL_CHAIN.iter().position(|k| k.0 == t).unwrap_or(0) as i32;
            let (from, to) = (inc.tactics[0], inc.tactics[inc.tactics.len() - 1]);
            reasons.push(((2 * (stage(to) - stage(from))).min(20), format!("got from {from} to {to}")));
        }
    }
    let names = store.dict(Field::Name);
    let makes: Vec<u32> = MAKES_ACCESS.iter().filter_map(|c| names.lookup(c)).collect();
    let made: Vec<&str> = inc
        .events
        .iter()
        .filter(|&&e| makes.contains(&store.value_id(e, Field::Name)) && store.value_id(e, Field::Error) == 0)
        .map(|&e| store.value(e, Field::Name))
        .collect();
    if !made.is_empty() {
        let mut calls = made.clone();
        calls.sort_unstable();
        calls.dedup();
        reasons.push((10, format!("made identities or keys ({} calls: {})", made.len(), calls.join(", "))));
    }
    if inc.accounts.len() > 1 {
        reasons.push((10, format!("acts in {} accounts", inc.accounts.len())));
    }
    let evasion = inc.rules.iter().any(|&(r, _)| {
        let m = &found.rules.rules[r].meta;
        m.level >= Level::Medium && m.tactics().any(|t| t.replace('_', "-") == "defense-evasion")
    });
    if evasion {
        reasons.push((10, "weakened logging or defences".into()));
    }
    if inc.new_uses > 0 {
        reasons.push((6, format!("{} first uses (new address, client, region, call or account)", inc.new_uses)));
    }
    let mut total: i32 = reasons.iter().map(|r| r.0).sum();
    let span = inc.last - inc.first;
    if n_rules <= 2 && span >= ROUTINE_SPAN {
        let days = span as f64 / (24.0 * 3_600.0 * 1_000_000.0);
        total = total * 2 / 5;
        reasons.push((-40, format!("routine: {n_rules} rule(s) repeated over {days:.1} days (40% kept)")));
    }
    let total = total.max(0) as u32;
    Score { total, level: Some(level_of(total)), reasons }
}
