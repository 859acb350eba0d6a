//! `trailscope detect`: the rules' matches as a timeline, as a table, JSON
//! lines or CSV (safe to open in a spreadsheet).

use super::args::{DetectArgs, DetectFormat};
use super::load::matching_with_rules;
use crate::detect::{Level, Results, Rule};
use crate::format::thousands;
use crate::model::fields::Field;
use crate::model::time::{Micros, format_utc};
use crate::query::labels::Labels;
use crate::sanitize::fit;
use crate::store::{EventId, Store};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::{self, BufWriter, Write};

/// One line of the timeline: a rule's match on one event, or a correlation match.
pub struct Finding<'a> {
    pub rule: &'a Rule,
    pub time: Micros,
    /// The event (the first, for a correlation).
    pub event: EventId,
    /// Every event of a correlation match; None for a single event.
    pub events: Option<&'a [EventId]>,
    pub group: Option<&'a [(String, String)]>,
}

/// The findings among `among` (all events when None), oldest first.
pub fn findings<'a>(
    found: &'a Results,
    store: &Store,
    among: Option<&[EventId]>,
    min: Option<Level>,
) -> Vec<Finding<'a>> {
    let keep: Option<HashSet<EventId>> = among.map(|a| a.iter().copied().collect());
    let kept = |id: &EventId| keep.as_ref().is_none_or(|k| k.contains(id));
    let rules = &found.rules;
    let level_ok = |r: &Rule| min.is_none_or(|m| r.meta.level >= m);
    let mut out = Vec::new();
    for (r, hits) in found.hits.iter().enumerate() {
        let rule = &rules.rules[r];
        if !rules.reports[r] || !level_ok(rule) {
            continue;
        }
        for &id in hits.iter().filter(|id| kept(id)) {
            out.push(Finding { rule, time: store.time(id), event: id, events: None, group: None });
        }
    }
    for m in &found.correlations {
        let rule = &rules.rules[m.rule];
        if level_ok(rule) && m.events.iter().any(kept) {
            out.push(Finding {
                rule,
                time: m.first,
                event: m.events[0],
                events: Some(&m.events),
                group: Some(&m.group),
            });
        }
    }
    out.sort_by(|a, b| (a.time, a.event, &a.rule.meta.id).cmp(&(b.time, b.event, &b.rule.meta.id)));
    out
}

/// A finding as one JSON object.
pub fn to_json(f: &Finding, store: &Store, labels: &Labels, cache: &mut crate::store::blobs::ChunkCache) -> Value {
    let m = &f.rule.meta;
    let field = |field: Field| labels.label(field, store.value_id(f.event, field)).to_string();
    let mut v = json!({
        "rule": m.id,
        "title": m.title,
        "level": m.level.name(),
        "tags": m.tags,
        "eventTime": format_utc(f.time),
        "eventName": field(Field::Name),
        "actor": field(Field::Actor),
        "sourceIPAddress": field(Field::Ip),
        "recipientAccountId": field(Field::Account),
        "awsRegion": field(Field::Region),
    });
    if let Some(name) = &m.name {
        v["name"] = json!(name);
    }
    for (key, value) in [("author", &m.author), ("license", &m.license)] {
        if let Some(x) = value {
            v[key] = json!(x);
        }
    }
    match (f.events, f.group) {
        (Some(events), group) => {
            v["eventIDs"] = json!(events.iter().map(|&e| store.event_id(e, cache)).collect::<Vec<_>>());
            v["last"] = json!(format_utc(store.time(*events.last().unwrap_or(&f.event))));
            let g: serde_json::Map<String, Value> =
                group.unwrap_or_default().iter().map(|(k, val)| (k.clone(), json!(val))).collect();
            v["group"] = Value::Object(g);
        }
        (None, _) => v["eventID"] = json!(store.event_id(f.event, cache)),
    }
    v
}

/// A CSV cell: quoted when needed, and neutralised when a spreadsheet would
/// take it for a formula.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

const CSV_COLUMNS: [&str; 12] = [
    "time",
    "level",
    "rule",
    "title",
    "event_ids",
    "event_name",
    "actor",
    "source_ip",
    "account",
    "region",
    "author",
    "license",
];

fn write_csv(out: &mut impl Write, all: &[Value]) -> io::Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    for v in all {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let ids = match v.get("eventIDs") {
            Some(ids) => ids
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
            None => s("eventID"),
        };
        let row = [
            s("eventTime"),
            s("level"),
            v.get("name").and_then(Value::as_str).map_or_else(|| s("rule"), String::from),
            s("title"),
            ids,
            s("eventName"),
            s("actor"),
            s("sourceIPAddress"),
            s("recipientAccountId"),
            s("awsRegion"),
            s("author"),
            s("license"),
        ];
        writeln!(out, "{}", row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","))?;
    }
    Ok(())
}

fn write_table(out: &mut impl Write, all: &[Value]) -> io::Result<()> {
    writeln!(
        out,
        "{:<20}  {:<13} {} {} {} SOURCE IP",
        "TIME",
        "LEVEL",
        fit("RULE", 40),
        fit("EVENT", 26),
        fit("ACTOR", 24)
    )?;
    for v in all {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        let level = Level::parse(&s("level")).map_or("", |l| l.glyph());
        let event = match v.get("eventIDs").and_then(Value::as_array) {
            Some(ids) => format!("{} events", ids.len()),
            None => s("eventName"),
        };
        let actor = match v.get("group").and_then(Value::as_object) {
            Some(g) => g.values().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
            None => s("actor"),
        };
        writeln!(
            out,
            "{:<20}  {} {:<11} {} {} {} {}",
            s("eventTime"),
            level,
            s("level"),
            fit(&s("title"), 40),
            fit(&event, 26),
            fit(&actor, 24),
            fit(&s("sourceIPAddress"), 39).trim_end()
        )?;
    }
    writeln!(out, "{} matches", thousands(all.len() as u64))?;
    // The rules' authors and licences, as the rules ask to be credited.
    let mut credits: Vec<String> = all
        .iter()
        .filter_map(|v| {
            let author = v.get("author").and_then(Value::as_str)?;
            Some(match v.get("license").and_then(Value::as_str) {
                Some(l) => format!("{author} ({l})"),
                None => author.to_string(),
            })
        })
        .collect();
    credits.sort_unstable();
    credits.dedup();
    if !credits.is_empty() {
        writeln!(out, "rules by: {}", crate::sanitize::visible(&credits.join("; ")))?;
    }
    Ok(())
}

pub fn main(args: &DetectArgs) -> u8 {
    let (loaded, ids) = match matching_with_rules(args.query.as_deref(), &args.paths, &args.rules) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let store = loaded.data.read();
    let found = loaded.data.found();
    let labels = Labels::new(&store);
    let among = args.query.as_ref().map(|_| ids.as_slice());
    let mut cache = crate::store::blobs::ChunkCache::new(8);
    let all: Vec<Value> = findings(&found, &store, among, args.min_level)
        .iter()
        .map(|f| to_json(f, &store, &labels, &mut cache))
        .collect();
    let mut out = BufWriter::new(io::stdout().lock());
    let written = match args.format {
        DetectFormat::Jsonl => {
            all.iter().try_for_each(|v| writeln!(out, "{}", crate::sanitize::visible(&v.to_string())))
        }
        DetectFormat::Csv => write_csv(&mut out, &all),
        DetectFormat::Table => write_table(&mut out, &all),
    };
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = written.and_then(|_| out.flush());
    loaded.exit_status()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
