//! `trailscope stats`: what was loaded and how the matching events divide
//! among the values of each facet.

use super::StatsArgs;
use super::load::matching;
use crate::format::thousands;
use crate::loader::Progress;
use crate::model::facet::Facet;
use crate::model::time::format_utc;
use crate::query::facets::{FacetCounts, count};
use crate::sanitize::fit;
use crate::store::{EventId, Store};
use serde_json::{Map, Value, json};
use std::sync::atomic::Ordering::Relaxed;

/// The facets `stats` reports, with their names in the JSON output.
pub const STATS_FACETS: [Facet; 8] = [
    Facet::Source,
    Facet::Name,
    Facet::Region,
    Facet::Error,
    Facet::IdentityType,
    Facet::Account,
    Facet::Actor,
    Facet::Ip,
];

/// Values listed per facet in the readable summary.
const TOP: usize = 10;

pub fn main(args: &StatsArgs) -> u8 {
    let (loaded, matches) = match matching(args.query.as_deref(), &args.paths) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let store = loaded.store.read().unwrap_or_else(|e| e.into_inner());
    let limit = if args.json { None } else { Some(TOP) };
    let counts = count(&store, &matches, &STATS_FACETS, limit);
    if args.json {
        println!("{}", report_json(&store, &loaded.progress, &matches, &counts));
    } else {
        print!("{}", report_text(&store, &loaded.progress, &matches, &counts, args.query.is_some()));
    }
    loaded.exit_status()
}

fn time_range(store: &Store, ids: &[EventId]) -> (Option<String>, Option<String>) {
    let t = |id: Option<&EventId>| id.map(|&i| format_utc(store.time(i)));
    (t(ids.first()), t(ids.last()))
}

/// The `--json` report: exactly one object.
pub fn report_json(store: &Store, progress: &Progress, ids: &[EventId], counts: &[FacetCounts]) -> Value {
    let (first, last) = time_range(store, ids);
    let problems: Vec<Value> = progress
        .problems()
        .iter()
        .map(|p| json!({"path": p.path, "where": p.place.map(|w| w.to_string()), "message": p.message}))
        .collect();
    let mut facets = Map::new();
    for c in counts {
        let Some(f) = c.facet else { continue };
        let values: Map<String, Value> =
            c.values.iter().map(|&(v, n)| (store.label(f, v).to_string(), json!(n))).collect();
        facets.insert(f.field_name().to_string(), Value::Object(values));
    }
    json!({
        "events": ids.len(),
        "first": first,
        "last": last,
        "files": progress.files_read(),
        "skipped_files": progress.skipped_files.load(Relaxed),
        "digest_files": progress.digest_files.load(Relaxed),
        "duplicates": store.duplicates(),
        "problems": problems,
        "facets": facets,
    })
}

pub fn report_text(
    store: &Store,
    progress: &Progress,
    ids: &[EventId],
    counts: &[FacetCounts],
    filtered: bool,
) -> String {
    let mut out = String::new();
    let total = store.order().len();
    let (first, last) = time_range(store, ids);
    if filtered {
        out += &format!("Matching     {} of {} events\n", thousands(ids.len() as u64), thousands(total as u64));
    } else {
        out += &format!("Events       {}\n", thousands(ids.len() as u64));
    }
    if let (Some(a), Some(b)) = (first, last) {
        out += &format!("Time range   {a} .. {b}\n");
    }
    out += &format!(
        "Files        {} read, {} digest files skipped, {} other files skipped\n",
        thousands(progress.files_read()),
        thousands(progress.digest_files.load(Relaxed)),
        thousands(progress.skipped_files.load(Relaxed))
    );
    out += &format!("Duplicates   {} dropped\n", thousands(store.duplicates()));
    out += &format!("Problems     {}\n", thousands(progress.problem_count.load(Relaxed)));
    for c in counts {
        let Some(f) = c.facet else { continue };
        if c.values.is_empty() {
            continue;
        }
        out += &format!("\n{} ({} distinct)\n", f.label(), thousands(c.distinct as u64));
        for &(v, n) in &c.values {
            out += &format!("  {:>11}  {}\n", thousands(n as u64), fit(store.label(f, v), 70).trim_end());
        }
    }
    out
}
