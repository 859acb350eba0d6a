//! `trailscope actors`: what each identity did (see [`crate::identity::actors`]).

use super::args::{ActorsArgs, ActorsBy, ActorsSort};
use super::load::matching;
use crate::format::thousands;
use crate::identity::actors::{By, SortBy, Summary, USED, sort, summarize};
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::sanitize::{fit, visible};
use crate::store::Store;
use serde_json::{Value, json};
use std::io::{self, BufWriter, Write};

/// Values listed per field in JSON (the count of distinct values is always given).
const LISTED: usize = 100;

fn to_json(s: &Summary, store: &Store) -> Value {
    let names = store.dict(Field::Name);
    let mut calls: Vec<(&str, (usize, usize))> = s.calls.iter().map(|(&n, &c)| (names.get(n), c)).collect();
    calls.sort_by(|a, b| (b.1.0 + b.1.1).cmp(&(a.1.0 + a.1.1)).then(a.0.cmp(b.0)));
    let mut v = json!({
        "identity": s.identity,
        "first": format_utc(s.first),
        "last": format_utc(s.last),
        "events": s.events,
        "calls": calls.iter().map(|(n, (ok, failed))| json!({"name": n, "succeeded": ok, "failed": failed})).collect::<Vec<_>>(),
        "failed": s.failed(),
        "denied": s.denied,
    });
    for f in USED {
        let used = s.used(f);
        v[f.name()] = json!({"distinct": used.len(), "values": used.values(store, f).into_iter().take(LISTED).collect::<Vec<_>>()});
    }
    v["conflictingKeys"] = json!(s.conflicting.values(store, Field::AccessKey));
    v["untrustedKeys"] = json!(s.untrusted.values(store, Field::AccessKey));
    v
}

fn table(all: &[Summary]) -> String {
    let mut out = format!(
        "{} {:>9}  {:<20}  {:<20} {:>6} {:>7} {:>7} {:>4} {:>5} {:>4} {:>4}\n",
        fit("IDENTITY", 32),
        "EVENTS",
        "FIRST",
        "LAST",
        "CALLS",
        "FAILED",
        "DENIED",
        "RGNS",
        "IPS",
        "KEYS",
        "ACCTS"
    );
    for s in all {
        out += &format!(
            "{} {:>9}  {:<20}  {:<20} {:>6} {:>7} {:>7} {:>4} {:>5} {:>4} {:>4}\n",
            fit(&s.identity, 32),
            thousands(s.events as u64),
            format_utc(s.first),
            format_utc(s.last),
            s.calls.len(),
            thousands(s.failed() as u64),
            thousands(s.denied as u64),
            s.regions.len(),
            s.ips.len(),
            s.keys_cell(),
            s.accounts.len()
        );
    }
    out += &format!("{} identities\n", thousands(all.len() as u64));
    if all.iter().any(|s| !s.conflicting.is_empty()) {
        out += "KEYS ending in ! include a key other principals were also seen with: a conflict, not linked\n";
    }
    out
}

pub fn main(args: &ActorsArgs) -> u8 {
    let (loaded, ids) = match matching(args.query.as_deref(), &args.inputs, &args.rules, &args.case) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let store = loaded.data.read();
    let by = if args.by == ActorsBy::Origin { By::Origin } else { By::Actor };
    let mut all = summarize(&store, &loaded.data.graph(), &ids, by);
    let by_key = match args.sort {
        ActorsSort::Events => SortBy::Events,
        ActorsSort::First => SortBy::First,
        ActorsSort::Last => SortBy::Last,
        ActorsSort::Calls => SortBy::Calls,
        ActorsSort::Failed => SortBy::Failed,
        ActorsSort::Denied => SortBy::Denied,
    };
    sort(&mut all, by_key);
    let mut out = BufWriter::new(io::stdout().lock());
    let written = if args.json {
        let v: Vec<Value> = all.iter().map(|s| to_json(s, &store)).collect();
        writeln!(out, "{}", visible(&Value::Array(v).to_string()))
    } else {
        out.write_all(table(&all).as_bytes())
    };
    let _ = written.and_then(|_| out.flush());
    loaded.exit_status()
}
