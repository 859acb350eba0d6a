//! Events written out for other tools and for the report: CSV for a
//! spreadsheet (never a formula), JSON lines with what trailscope worked
//! out, Timesketch's import format, and a Markdown timeline with the case's
//! notes, the incidents and chains the events belong to, and the queries.
//! The explorer's export key and `trailscope export` both write through here.

use super::chains::chain_text;
use super::dataset::Dataset;
use crate::case::Book;
use crate::case::model::Entry;
use crate::detect::Results;
use crate::identity::{Chain, Graph};
use crate::incident::Incidents;
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::sanitize::{csv_cell, json_for_terminal, markdown_cell as md};
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use serde_json::{Value, json};
use std::io::{self, Write};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Jsonl,
    Timesketch,
    Markdown,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Jsonl => "JSON lines",
            Format::Timesketch => "Timesketch JSONL",
            Format::Markdown => "Markdown",
        }
    }

    /// The format a file name asks for (`.csv`, `.md`, `…timesketch…`, else JSON lines).
    pub fn of_path(path: &Path) -> Format {
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        if name.contains("timesketch") {
            Format::Timesketch
        } else if name.ends_with(".csv") {
            Format::Csv
        } else if name.ends_with(".md") || name.ends_with(".markdown") {
            Format::Markdown
        } else {
            Format::Jsonl
        }
    }
}

/// What an export is of, for its report's heading.
pub struct Scope<'a> {
    /// The query the events matched ("" for all).
    pub query: &'a str,
    /// Only the case's marked events.
    pub marked: bool,
}

/// What trailscope worked out about an event, beside its record.
struct Derived {
    level: String,
    rules: Vec<String>,
    origin: String,
    incident: Option<u32>,
    tags: Vec<String>,
    notes: Vec<String>,
}

/// What the rules, the credential graph, the incidents and the case say, read once for an export.
struct Known<'a> {
    found: &'a Results,
    graph: &'a Graph,
    incidents: &'a Incidents,
    case: &'a Book,
}

fn derived(k: &Known, store: &Store, id: EventId) -> Derived {
    let entry: Option<&Entry> = k.case.entry(id);
    Derived {
        level: k.found.level(id).map_or(String::new(), |l| l.name().to_string()),
        rules: k.found.rules_of(id).into_iter().map(|r| k.found.rules.rules[r].meta.key().to_string()).collect(),
        origin: k.graph.origin(store, id).to_string(),
        incident: k.incidents.of(id).map(|i| i.id),
        tags: entry.map(|e| e.tags.iter().map(|t| t.name.clone()).collect()).unwrap_or_default(),
        notes: entry.map(|e| e.notes.iter().map(|n| n.text.clone()).collect()).unwrap_or_default(),
    }
}

/// The CSV's columns: the list's, then what trailscope worked out and the case kept.
pub const CSV_COLUMNS: [&str; 16] = [
    "time",
    "level",
    "event",
    "service",
    "actor",
    "origin",
    "source_ip",
    "account",
    "region",
    "error",
    "user_agent",
    "event_id",
    "rules",
    "incident",
    "tags",
    "notes",
];

/// One event as its text fields, in [`CSV_COLUMNS`] order.
fn cells(store: &Store, id: EventId, d: &Derived, event_id: String) -> [String; 16] {
    let v = |f: Field| store.value(id, f).to_string();
    [
        format_utc(store.time(id)),
        d.level.clone(),
        v(Field::Name),
        v(Field::Source),
        v(Field::Actor),
        d.origin.clone(),
        v(Field::Ip),
        v(Field::Account),
        v(Field::Region),
        v(Field::Error),
        v(Field::Agent),
        event_id,
        d.rules.join(" "),
        d.incident.map_or(String::new(), |n| n.to_string()),
        d.tags.join(" "),
        d.notes.join("\n"),
    ]
}

/// Writes events `ids` (in time order) of `data` as `format`.
pub fn write(out: &mut dyn Write, data: &Dataset, ids: &[EventId], format: Format, scope: &Scope) -> io::Result<()> {
    let store = data.read();
    let (found, graph) = (data.found(), data.graph());
    let incidents = data.incidents.read().unwrap_or_else(|e| e.into_inner());
    let mut book = data.case.write().unwrap_or_else(|e| e.into_inner());
    book.sync(&store);
    let known = Known { found: &found, graph: &graph, incidents: &incidents, case: &book };
    let mut cache = ChunkCache::new(64);
    match format {
        Format::Csv => writeln!(out, "{}", CSV_COLUMNS.join(","))?,
        Format::Markdown => write!(out, "{}", report_head(&known, ids, scope))?,
        _ => {}
    }
    for &id in ids {
        let d = derived(&known, &store, id);
        match format {
            Format::Csv => {
                let row = cells(&store, id, &d, store.event_id(id, &mut cache));
                writeln!(out, "{}", row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","))?;
            }
            Format::Jsonl => {
                let mut record: Value = serde_json::from_slice(store.record(id, &mut cache)).unwrap_or(Value::Null);
                record["trailscope"] = json!({
                    "actor": store.value(id, Field::Actor),
                    "origin": d.origin,
                    "level": d.level,
                    "rules": d.rules,
                    "incident": d.incident,
                    "marked": book.is_marked(id),
                    "tags": d.tags,
                    "notes": d.notes,
                });
                writeln!(out, "{}", json_for_terminal(record.to_string().as_bytes()))?;
            }
            Format::Timesketch => {
                let [time, level, name, source, actor, origin, ip, account, region, error, agent, event_id, ..] =
                    cells(&store, id, &d, store.event_id(id, &mut cache));
                // Timesketch needs message, datetime and timestamp_desc; the rest are its fields.
                let message = format!(
                    "{name} by {actor} from {ip} in {account}/{region}{}",
                    if error.is_empty() { String::new() } else { format!(" ({error})") }
                );
                // Its tags: the case's, then the rules that fired.
                let tags: Vec<&String> = d.tags.iter().chain(&d.rules).collect();
                let line = json!({
                    "message": message,
                    "datetime": time,
                    "timestamp_desc": "Event Time",
                    "event_name": name, "event_source": source, "actor": actor, "origin": origin,
                    "source_ip": ip, "account": account, "region": region, "error_code": error,
                    "user_agent": agent, "event_id": event_id, "level": level, "rules": d.rules,
                    "incident": d.incident, "data_type": "aws:cloudtrail:event",
                    "tag": tags, "comment": d.notes,
                });
                writeln!(out, "{}", json_for_terminal(line.to_string().as_bytes()))?;
            }
            Format::Markdown => {
                let [time, level, name, _, actor, origin, ip, ..] = cells(&store, id, &d, String::new());
                writeln!(
                    out,
                    "| {time} | {level} | {} | {} | {} | {} | {} | {} | {} |",
                    md(&name),
                    md(&actor),
                    md(&origin),
                    md(&ip),
                    md(&d.rules.join(", ")),
                    md(&d.tags.join(" ")),
                    md(&d.notes.join(" / ")),
                )?;
            }
        }
    }
    if format == Format::Markdown {
        write!(out, "{}", report_tail(&known, &store, ids, scope, &mut cache))?;
    }
    Ok(())
}

/// A Markdown report's opening: what it is of, the case's notes, and the
/// timeline table's head.
fn report_head(k: &Known, ids: &[EventId], scope: &Scope) -> String {
    let events = crate::format::events(ids.len());
    let what = match (scope.marked, scope.query.is_empty()) {
        (true, true) => format!("{events} marked in the case"),
        (true, false) => format!("{events} marked in the case and matching `{}`", md(scope.query)),
        (false, true) => format!("{events}: every event loaded"),
        (false, false) => format!("{events} matching `{}`", md(scope.query)),
    };
    let mut out = format!("# Timeline\n\n{what}, oldest first.\n\n");
    if !k.case.case.notes.is_empty() {
        out += "## Case notes\n\n";
        for n in &k.case.case.notes {
            out += &format!("- {} ({})\n", md(&n.text), md(&n.at));
        }
        out += "\n";
    }
    out += "## Events\n\n| time | level | event | actor | origin | source IP | rules | tags | notes |\n";
    out += "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n";
    out
}

/// Chains shown at most in a report (one per credential).
const REPORT_CHAINS: usize = 20;

/// A Markdown report's close: the incidents and credential chains the
/// events belong to, and the queries behind the case.
fn report_tail(k: &Known, store: &Store, ids: &[EventId], scope: &Scope, cache: &mut ChunkCache) -> String {
    let mut out = String::new();
    let mut incidents: Vec<(u32, usize)> = Vec::new();
    for i in ids.iter().filter_map(|&id| k.incidents.of(id)) {
        match incidents.iter_mut().find(|(n, _)| *n == i.id) {
            Some((_, c)) => *c += 1,
            None => incidents.push((i.id, 1)),
        }
    }
    incidents.sort();
    if !incidents.is_empty() {
        out += "\n## Incidents\n\n| incident | level | score | origin | span | these events |\n| --- | --- | --- | --- | --- | --- |\n";
        for (n, c) in &incidents {
            let Some(i) = k.incidents.list.iter().find(|i| i.id == *n) else { continue };
            out += &format!(
                "| {n} | {} | {} | {} | {} | {c} |\n",
                i.score.level.map_or("", |l| l.name()),
                i.score.total,
                md(&i.origin),
                i.span()
            );
        }
    }
    // One chain per credential the events used (or per event that used none that links).
    let mut seen = std::collections::HashSet::new();
    let mut chains: Vec<Chain> = Vec::new();
    let mut more = 0;
    for &id in ids {
        let key = k.graph.cred_of(id).map_or(u64::MAX - id as u64, |c| c as u64);
        if !seen.insert(key) {
            continue;
        }
        let c = Chain::of_event(k.graph, store, id);
        // A chain of one hop says no more than the timeline's actor column.
        if c.hops.len() < 2 {
            continue;
        }
        if chains.len() == REPORT_CHAINS {
            more += 1;
        } else {
            chains.push(c);
        }
    }
    if !chains.is_empty() {
        out +=
            "\n## Credential chains\n\nWho is behind the sessions these events were made with, origin last.\n\n```\n";
        for c in &chains {
            out += &chain_text(c, store, cache).replace("```", "'''");
            out += "\n";
        }
        out += "```\n";
        if more > 0 {
            out += &format!("\n{more} more chains are left out.\n");
        }
    }
    let saved = &k.case.case.queries;
    if !scope.query.is_empty() || !saved.is_empty() {
        out += "\n## Queries\n\n";
        if !scope.query.is_empty() {
            out += &format!("- this export: `{}`\n", md(scope.query));
        }
        for q in saved {
            out += &format!("- {}: `{}`\n", md(&q.name), md(&q.query));
        }
    }
    out
}

/// Writes the export to `path` whole: beside it first, then renamed into
/// place, so a reader never sees half a file.
pub fn write_file(path: &Path, data: &Dataset, ids: &[EventId], format: Format, scope: &Scope) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".part");
    let tmp = std::path::PathBuf::from(tmp);
    let done = std::fs::File::create(&tmp).and_then(|f| {
        let mut out = io::BufWriter::new(f);
        write(&mut out, data, ids, format, scope)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    });
    let done = done.and_then(|_| std::fs::rename(&tmp, path));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}
