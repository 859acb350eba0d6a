//! `trailscope incidents`: the findings grouped by who is behind them,
//! ranked, as a table, JSON, or a report in Markdown.

use super::args::{IncidentsArgs, IncidentsFormat};
use super::load::matching_with_rules;
use super::trace_cmd::chain_json;
use crate::detect::Results;
use crate::engine::chains::chain_text;
use crate::format::thousands;
use crate::identity::{Chain, Graph};
use crate::incident::touched::{self, Touched};
use crate::incident::{Incident, strip, values};
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::query::{Target, Term};
use crate::sanitize::{fit, markdown_cell as md, visible};
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use serde_json::{Value, json};
use std::io::{self, BufWriter, Write};

/// Chains shown per incident, at most (one per credential its findings used).
const MOST_CHAINS: usize = 5;

/// The chains behind an incident's findings: one per credential they used
/// (the first [`MOST_CHAINS`]), or the first finding's own identity.
fn chains(inc: &Incident, graph: &Graph, store: &Store) -> Vec<Chain> {
    let mut creds = Vec::new();
    for &e in &inc.flagged {
        if let Some(c) = graph.cred_of(e).filter(|c| !creds.contains(c)) {
            creds.push(c);
        }
    }
    if creds.is_empty() {
        return vec![Chain::of_event(graph, store, inc.flagged[0])];
    }
    creds.into_iter().take(MOST_CHAINS).map(|c| Chain::of_cred(graph, store, c)).collect()
}

fn ids(store: &Store, events: &[EventId], cache: &mut ChunkCache) -> Vec<String> {
    events.iter().map(|&e| store.event_id(e, cache)).collect()
}

fn to_json(inc: &Incident, store: &Store, found: &Results, graph: &Graph, cache: &mut ChunkCache) -> Value {
    let (resources, partial) = touched::resources(inc, store, cache);
    json!({
        "id": inc.id,
        "score": inc.score.total,
        "level": inc.score.level.map(|l| l.name()),
        "why": inc.score.reasons.iter().map(|(p, r)| json!({"points": p, "reason": r})).collect::<Vec<_>>(),
        "groupedBy": inc.by.name(),
        "origin": inc.origin,
        "identities": values(store, &inc.events, &[Field::Actor]),
        "keys": values(store, &inc.events, &[Field::AccessKey]),
        "chains": chains(inc, graph, store).iter().map(|c| chain_json(c, store, cache)).collect::<Vec<_>>(),
        "first": format_utc(inc.first),
        "last": format_utc(inc.last),
        "accounts": inc.accounts,
        "regions": values(store, &inc.events, &[Field::Region]),
        "sourceIPAddresses": values(store, &inc.events, &[Field::Ip]),
        "userAgents": values(store, &inc.events, &[Field::Agent]),
        "tactics": inc.tactics,
        "rules": inc.rules.iter().map(|&(r, n)| {
            let m = &found.rules.rules[r].meta;
            json!({"rule": m.key(), "title": m.title, "level": m.level.name(), "count": n})
        }).collect::<Vec<_>>(),
        "resources": resources.iter().map(|t| json!({"type": t.kind, "name": t.name, "calls": t.calls})).collect::<Vec<_>>(),
        "resourcesPartial": partial,
        "firstUses": inc.new_uses,
        "flagged": ids(store, &inc.flagged, cache),
        "events": ids(store, &inc.events, cache),
    })
}

fn table(list: &[&Incident], found: &Results) -> String {
    let head = ["#", "SCORE", "LEVEL", "ORIGIN", "FIRST", "SPAN", "TACTICS", "RULES", "EVENTS"];
    let cells: Vec<[String; 9]> = list
        .iter()
        .map(|i| {
            let level = i.score.level.map_or(String::new(), |l| format!("{} {}", l.glyph(), l.name()));
            let top = &found.rules.rules[i.rules[0].0].meta.title;
            let rules = match i.rules.len() {
                1 => top.clone(),
                n => format!("{top} +{}", n - 1),
            };
            [
                i.id.to_string(),
                i.score.total.to_string(),
                level,
                i.origin.clone(),
                format_utc(i.first),
                i.span(),
                strip(&i.tactics),
                rules,
                format!("{}/{}", thousands(i.flagged.len() as u64), thousands(i.events.len() as u64)),
            ]
        })
        .collect();
    let caps = [6, 6, 16, 40, 20, 5, 44, 60, 20];
    let widths: Vec<usize> = (0..9)
        .map(|c| {
            let widest = cells.iter().map(|r| unicode_width::UnicodeWidthStr::width(visible(&r[c]).as_ref())).max();
            widest.unwrap_or(0).max(head[c].len()).min(caps[c])
        })
        .collect();
    let line = |row: &[&str]| {
        let cols: Vec<String> = row.iter().zip(&widths).map(|(c, &w)| fit(c, w)).collect();
        cols.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(&head);
    for r in &cells {
        out += &line(&r.iter().map(String::as_str).collect::<Vec<_>>());
    }
    // The tactics' letters, for those shown.
    let shown: Vec<String> = crate::incident::KILL_CHAIN
        .iter()
        .filter(|(t, _)| list.iter().any(|i| i.tactics.contains(t)))
        .map(|(t, c)| format!("{c} {t}"))
        .collect();
    out +=
        &format!("{} incidents · EVENTS: flagged/all done with their credentials · {}\n", list.len(), shown.join(", "));
    out
}

fn markdown(inc: &Incident, store: &Store, found: &Results, graph: &Graph, cache: &mut ChunkCache) -> String {
    let level = inc.score.level.map_or("", |l| l.name());
    let mut out = format!("## Incident {}: {} ({level}, score {})\n\n", inc.id, md(&inc.origin), inc.score.total);
    out += &format!(
        "- **When**: {} to {} ({})\n- **Behind it** ({}): `{}`\n- **Identities**: {}\n- **Keys**: {}\n- **Accounts**: {}\n- **Regions**: {}\n- **Source addresses**: {}\n- **Tactics**: {}\n- **Events**: {} flagged, {} done with its credentials in that time\n\n",
        format_utc(inc.first),
        format_utc(inc.last),
        inc.span(),
        inc.by.name(),
        md(&inc.origin),
        md(&values(store, &inc.events, &[Field::Actor]).join(", ")),
        md(&values(store, &inc.events, &[Field::AccessKey]).join(", ")),
        md(&inc.accounts.join(", ")),
        md(&values(store, &inc.events, &[Field::Region]).join(", ")),
        md(&values(store, &inc.events, &[Field::Ip]).join(", ")),
        inc.tactics.join(" → "),
        thousands(inc.flagged.len() as u64),
        thousands(inc.events.len() as u64),
    );
    out += "### Why it ranks here\n\n";
    for (p, r) in &inc.score.reasons {
        out += &format!("- {} {}\n", if *p < 0 { "×".to_string() } else { format!("+{p}") }, md(r));
    }
    out += "\n### Credential chain\n\n```\n";
    for c in chains(inc, graph, store) {
        // The chain's text shows the data's values escaped already.
        out += &chain_text(&c, store, cache).replace("```", "'''");
    }
    out += "```\n\n### Timeline of the findings\n\n| time | event | actor | source IP | rules |\n| --- | --- | --- | --- | --- |\n";
    // Findings in a row that say the same (call, actor, address, rules) are one line with a count.
    let mut rows: Vec<(EventId, EventId, usize, [String; 4])> = Vec::new();
    for &e in &inc.flagged {
        let rules: Vec<String> = found
            .rules_of(e)
            .into_iter()
            .map(|r| {
                let m = &found.rules.rules[r].meta;
                format!("{} {}", m.level.name(), m.title)
            })
            .collect();
        let says = [
            md(store.value(e, Field::Name)),
            md(store.value(e, Field::Actor)),
            md(store.value(e, Field::Ip)),
            md(&rules.join("; ")),
        ];
        match rows.last_mut() {
            Some((_, last, n, same)) if *same == says => (*last, *n) = (e, *n + 1),
            _ => rows.push((e, e, 1, says)),
        }
    }
    for (first, last, n, [call, actor, ip, rules]) in rows {
        let when = match n {
            1 => format_utc(store.time(first)),
            _ => format!("{} – {}", format_utc(store.time(first)), format_utc(store.time(last))),
        };
        let call = if n > 1 { format!("{call} ×{n}") } else { call };
        out += &format!("| {when} | {call} | {actor} | {ip} | {rules} |\n");
    }
    out += "\n### The rules, and why they matter\n\n";
    for &(r, n) in &inc.rules {
        let m = &found.rules.rules[r].meta;
        let events = if n == 1 { "1 event".to_string() } else { format!("{n} events") };
        out += &format!(
            "- **{}** ({}, {events}, `rule:{}`): {}\n",
            md(&m.title),
            m.level.name(),
            md(m.key()),
            md(&m.description)
        );
    }
    let (resources, partial) = touched::resources(inc, store, cache);
    out += "\n### What it touched\n\n";
    if resources.is_empty() {
        out += "No resource named by its write calls.\n";
    } else {
        out += "| resource | name | calls |\n| --- | --- | --- |\n";
        for Touched { kind, name, calls } in &resources {
            out += &format!("| {kind} | {} | {} |\n", md(name), md(&calls.join(", ")));
        }
        if partial {
            out += &format!("\n(from its first {} write calls)\n", thousands(touched::MOST_WRITES as u64));
        }
    }
    out += &format!(
        "\n### Queries that reproduce it\n\n- every event: `incident:{}`\n- its findings: `incident:{} level:low`\n- its {} over the whole data: `{}`\n",
        inc.id,
        inc.id,
        inc.by.name(),
        md(&Term::matching(Target::field(inc.by.field()), &inc.origin, false).to_string())
    );
    out + "\n"
}

pub fn main(args: &IncidentsArgs) -> u8 {
    let (loaded, matching) = match matching_with_rules(args.query.as_deref(), &args.inputs, &args.rules) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let (store, found, graph) = (loaded.data.read(), loaded.data.found(), loaded.data.graph());
    let incidents = loaded.data.incidents.read().unwrap_or_else(|e| e.into_inner());
    let among: Option<Vec<bool>> = args.query.as_ref().map(|_| {
        let mut set = vec![false; store.len()];
        for &id in &matching {
            set[id as usize] = true;
        }
        set
    });
    let list: Vec<&Incident> = incidents
        .list
        .iter()
        .filter(|i| args.min_level.is_none_or(|l| i.score.level.is_some_and(|x| x >= l)))
        .filter(|i| among.as_ref().is_none_or(|s| i.flagged.iter().any(|&e| s[e as usize])))
        .collect();
    let mut cache = ChunkCache::new(8);
    let mut out = BufWriter::new(io::stdout().lock());
    let format = if args.json { IncidentsFormat::Json } else { args.format };
    let written = match format {
        IncidentsFormat::Json => {
            let v: Vec<Value> = list.iter().map(|i| to_json(i, &store, &found, &graph, &mut cache)).collect();
            writeln!(out, "{}", visible(&Value::Array(v).to_string()))
        }
        IncidentsFormat::Table => out.write_all(table(&list, &found).as_bytes()),
        IncidentsFormat::Markdown => {
            let n = list.len();
            let mut text =
                format!("# Incidents\n\n{n} incident{}, the highest score first.\n\n", if n == 1 { "" } else { "s" });
            for i in &list {
                text += &markdown(i, &store, &found, &graph, &mut cache);
            }
            out.write_all(text.as_bytes())
        }
    };
    let _ = written.and_then(|_| out.flush());
    loaded.exit_status()
}
