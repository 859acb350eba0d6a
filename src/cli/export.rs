//! `trailscope export`: the matching events, in time order, as a file for
//! a spreadsheet (CSV), for tools (JSON lines with what trailscope worked
//! out), for Timesketch's importer, or as a Markdown timeline.

use super::args::{ExportArgs, ExportFormat};
use super::detect_cmd::csv_cell;
use super::load::matching_with_rules;
use crate::detect::Results;
use crate::engine::Dataset;
use crate::identity::Graph;
use crate::incident::Incidents;
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::sanitize::{json_for_terminal, markdown_cell as md, visible};
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use serde_json::{Value, json};
use std::io::{self, Write};

/// What trailscope worked out about an event, beside its record.
struct Derived {
    level: String,
    rules: Vec<String>,
    origin: String,
    incident: Option<u32>,
}

/// What the rules, the credential graph and the incidents say, read once for an export.
struct Known<'a> {
    found: &'a Results,
    graph: &'a Graph,
    incidents: &'a Incidents,
}

fn derived(k: &Known, store: &Store, id: EventId) -> Derived {
    Derived {
        level: k.found.level(id).map_or(String::new(), |l| l.name().to_string()),
        rules: k.found.rules_of(id).into_iter().map(|r| k.found.rules.rules[r].meta.key().to_string()).collect(),
        origin: k.graph.origin(store, id).to_string(),
        incident: k.incidents.of(id).map(|i| i.id),
    }
}

/// The CSV's columns: the list's, then what trailscope worked out.
const CSV_COLUMNS: [&str; 14] = [
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
];

/// One event as its text fields, in [`CSV_COLUMNS`] order.
fn cells(store: &Store, id: EventId, d: &Derived, event_id: String) -> [String; 14] {
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
    ]
}

fn write(out: &mut dyn Write, data: &Dataset, ids: &[EventId], format: ExportFormat, query: &str) -> io::Result<()> {
    let store = data.read();
    let (found, graph) = (data.found(), data.graph());
    let incidents = data.incidents.read().unwrap_or_else(|e| e.into_inner());
    let known = Known { found: &found, graph: &graph, incidents: &incidents };
    let mut cache = ChunkCache::new(64);
    match format {
        ExportFormat::Csv => writeln!(out, "{}", CSV_COLUMNS.join(","))?,
        ExportFormat::Markdown => {
            let q = if query.is_empty() { "all events".to_string() } else { format!("`{}`", md(query)) };
            write!(
                out,
                "# Timeline\n\n{} events matching {q}, oldest first.\n\n| time | level | event | actor | origin | source IP | rules |\n| --- | --- | --- | --- | --- | --- | --- |\n",
                ids.len()
            )?;
        }
        _ => {}
    }
    for &id in ids {
        let d = derived(&known, &store, id);
        match format {
            ExportFormat::Csv => {
                let row = cells(&store, id, &d, store.event_id(id, &mut cache));
                writeln!(out, "{}", row.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","))?;
            }
            ExportFormat::Jsonl => {
                let mut record: Value = serde_json::from_slice(store.record(id, &mut cache)).unwrap_or(Value::Null);
                record["trailscope"] = json!({
                    "actor": store.value(id, Field::Actor),
                    "origin": d.origin,
                    "level": d.level,
                    "rules": d.rules,
                    "incident": d.incident,
                });
                writeln!(out, "{}", json_for_terminal(record.to_string().as_bytes()))?;
            }
            ExportFormat::Timesketch => {
                let [time, level, name, source, actor, origin, ip, account, region, error, agent, event_id, _, _] =
                    cells(&store, id, &d, store.event_id(id, &mut cache));
                // Timesketch needs message, datetime and timestamp_desc; the rest are its fields.
                let message = format!(
                    "{name} by {actor} from {ip} in {account}/{region}{}",
                    if error.is_empty() { String::new() } else { format!(" ({error})") }
                );
                let line = json!({
                    "message": message,
                    "datetime": time,
                    "timestamp_desc": "Event Time",
                    "event_name": name, "event_source": source, "actor": actor, "origin": origin,
                    "source_ip": ip, "account": account, "region": region, "error_code": error,
                    "user_agent": agent, "event_id": event_id, "level": level, "rules": d.rules,
                    "incident": d.incident, "data_type": "aws:cloudtrail:event",
                    "tag": d.rules,
                });
                writeln!(out, "{}", json_for_terminal(line.to_string().as_bytes()))?;
            }
            ExportFormat::Markdown => {
                let [time, level, name, _, actor, origin, ip, ..] = cells(&store, id, &d, String::new());
                writeln!(
                    out,
                    "| {time} | {level} | {} | {} | {} | {} | {} |",
                    md(&name),
                    md(&actor),
                    md(&origin),
                    md(&ip),
                    md(&d.rules.join(", "))
                )?;
            }
        }
    }
    Ok(())
}

pub fn main(args: &ExportArgs) -> u8 {
    let (loaded, ids) = match matching_with_rules(args.query.as_deref(), &args.paths, &args.rules) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let query = args.query.as_deref().unwrap_or("");
    let written = match &args.output {
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            write(&mut out, &loaded.data, &ids, args.format, query).and_then(|_| out.flush())
        }
        // Written beside the target and renamed into place: a reader never sees half a file.
        Some(path) => {
            let tmp =
                path.with_extension(format!("{}.part", path.extension().map_or("", |e| e.to_str().unwrap_or(""))));
            let done = std::fs::File::create(&tmp).and_then(|f| {
                let mut out = io::BufWriter::new(f);
                write(&mut out, &loaded.data, &ids, args.format, query)?;
                out.into_inner().map_err(|e| e.into_error())?.sync_all()
            });
            let done = done.and_then(|_| std::fs::rename(&tmp, path));
            if done.is_err() {
                let _ = std::fs::remove_file(&tmp);
            } else {
                let n = ids.len();
                let events = if n == 1 {
                    "1 event".to_string()
                } else {
                    format!("{} events", crate::format::thousands(n as u64))
                };
                eprintln!("trailscope: wrote {events} to {}", visible(&path.display().to_string()));
            }
            done
        }
    };
    match written {
        Ok(()) => loaded.exit_status(),
        // A closed pipe (`| head`) is not an error worth reporting.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => loaded.exit_status(),
        Err(e) => {
            eprintln!("trailscope: could not write the export: {e}");
            super::args::EXIT_NOTHING_READ
        }
    }
}
