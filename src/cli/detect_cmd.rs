//! `trailscope detect`: the rules' matches as a timeline, as a table, JSON
//! lines or CSV (safe to open in a spreadsheet).

use super::args::{DetectArgs, DetectFormat};
use super::load::matching_with_rules;
use crate::detect::Level;
use crate::detect::fold::{self, Row};
use crate::format::thousands;
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::query::labels::Labels;
use crate::sanitize::csv_cell;
use crate::sanitize::{fit, visible};
use crate::store::Store;
use serde_json::{Value, json};
use std::io::{self, BufWriter, Write};

/// A row as one JSON object: the first event's fields, the row's count,
/// its last time, and its eventID (one event) or eventIDs.
pub fn to_json(row: &Row, store: &Store, labels: &Labels, cache: &mut crate::store::blobs::ChunkCache) -> Value {
    let m = &row.rule.meta;
    let first = row.events[0];
    let field = |field: Field| labels.label(field, store.value_id(first, field)).to_string();
    let mut v = json!({
        "rule": m.id,
        "title": m.title,
        "level": m.level.name(),
        "tags": m.tags,
        "eventTime": format_utc(row.first),
        "last": format_utc(row.last),
        "count": row.matches,
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
    // One event matched once: as `--each` writes it; anything folded or correlated lists them all.
    if let ([one], None) = (&row.events[..], row.group) {
        v["eventID"] = json!(store.event_id(*one, cache));
    } else {
        v["eventIDs"] = json!(row.events.iter().map(|&e| store.event_id(e, cache)).collect::<Vec<_>>());
    }
    if let Some(group) = row.group {
        let g: serde_json::Map<String, Value> = group.iter().map(|(k, val)| (k.clone(), json!(val))).collect();
        v["group"] = Value::Object(g);
    }
    v
}

const CSV_COLUMNS: [&str; 14] = [
    "time",
    "last",
    "count",
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
            s("last"),
            v["count"].to_string(),
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

/// Columns of the table: heading, and at most this many cells (wider values are cut).
const TABLE: [(&str, usize); 7] =
    [("TIME", 20), ("LEVEL", 14), ("RULE", 64), ("COUNT", 9), ("EVENT", 40), ("ACTOR", 48), ("SOURCE IP", 39)];

fn write_table(out: &mut impl Write, all: &[Value]) -> io::Result<()> {
    let cells: Vec<[String; 7]> = all
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let level = Level::parse(&s("level")).map_or("", |l| l.glyph());
            let event = match (v.get("group"), v.get("eventIDs").and_then(Value::as_array)) {
                (Some(_), Some(ids)) => format!("{} events", ids.len()),
                _ => s("eventName"),
            };
            let actor = match v.get("group").and_then(Value::as_object) {
                Some(g) => g.values().filter_map(Value::as_str).collect::<Vec<_>>().join(" "),
                None => s("actor"),
            };
            let count = v["count"].as_u64().unwrap_or(1);
            [
                s("eventTime"),
                format!("{level} {}", s("level")),
                s("title"),
                thousands(count),
                event,
                actor,
                s("sourceIPAddress"),
            ]
        })
        .collect();
    // Each column as wide as its widest cell, up to its cap: nothing that fits is cut.
    let widths: Vec<usize> = TABLE
        .iter()
        .enumerate()
        .map(|(i, &(head, cap))| {
            let widest = cells.iter().map(|c| unicode_width::UnicodeWidthStr::width(visible(&c[i]).as_ref())).max();
            widest.unwrap_or(0).max(head.len()).min(cap)
        })
        .collect();
    let line = |cells: [&str; 7]| {
        let mut l: Vec<String> = cells.iter().zip(&widths).map(|(c, &w)| fit(c, w)).collect();
        // The count reads best aligned right.
        l[3] = format!("{:>w$}", cells[3], w = widths[3]);
        l.join("  ").trim_end().to_string()
    };
    writeln!(out, "{}", line(TABLE.map(|(h, _)| h)))?;
    for c in &cells {
        writeln!(out, "{}", line(c.each_ref().map(String::as_str)))?;
    }
    let matches: u64 = all.iter().map(|v| v["count"].as_u64().unwrap_or(1)).sum();
    writeln!(out, "{} matches in {} rows", thousands(matches), thousands(all.len() as u64))?;
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
    let (loaded, ids) = match matching_with_rules(args.query.as_deref(), &args.inputs, &args.rules) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let store = loaded.data.read();
    let found = loaded.data.found();
    let labels = Labels::new(&store);
    let among = args.query.as_ref().map(|_| ids.as_slice());
    let mut cache = crate::store::blobs::ChunkCache::new(8);
    let all: Vec<Value> = fold::rows(&found, &store, among, args.min_level, args.each)
        .iter()
        .map(|row| to_json(row, &store, &labels, &mut cache))
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
