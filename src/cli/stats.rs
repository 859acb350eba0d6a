//! `trailscope stats`: what was loaded, how the matching events divide
//! among the values of each facet, and what the rules found among them.

use super::args::StatsArgs;
use super::load::matching_with_rules;
use crate::detect::{Level, Results, RuleCount};
use crate::format::thousands;
use crate::loader::Progress;
use crate::loader::envelope::Shape;
use crate::model::fields::stats_fields;
use crate::model::time::format_utc;
use crate::query::facets::{FacetCounts, count};
use crate::query::labels::Labels;
use crate::sanitize::fit;
use crate::store::{EventId, Store};
use std::io::{self, BufWriter, Write};
use std::sync::atomic::Ordering::Relaxed;

/// Values listed per facet in the readable summary.
const TOP: usize = 10;

pub fn main(args: &StatsArgs) -> u8 {
    let (loaded, matches) = match matching_with_rules(args.query.as_deref(), &args.inputs, &args.rules) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let store = loaded.data.read();
    let limit = if args.json { None } else { Some(TOP) };
    let counts = count(&store, &matches, stats_fields(), limit);
    let found = loaded.data.found();
    let flagged = Flagged::of(&found, &matches);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = if args.json {
        write_json(&mut out, &store, &loaded.data.progress, &matches, &counts)
            .and_then(|_| flagged.write_json(&mut out, &found))
            .and_then(|_| out.write_all(b"}\n"))
    } else {
        let mut text = report_text(&store, &loaded.data.progress, &matches, &counts, args.query.is_some());
        text += &flagged.text(&found);
        out.write_all(text.as_bytes())
    };
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = written.and_then(|_| out.flush());
    loaded.exit_status()
}

/// Events read by the shape they were held in (those seen).
fn shapes(progress: &Progress) -> Vec<(Shape, u64)> {
    Shape::ALL.iter().zip(&progress.shapes).map(|(s, n)| (*s, n.load(Relaxed))).filter(|(_, n)| *n > 0).collect()
}

fn time_range(store: &Store, ids: &[EventId]) -> (Option<String>, Option<String>) {
    let t = |id: Option<&EventId>| id.map(|&i| format_utc(store.time(i)));
    (t(ids.first()), t(ids.last()))
}

/// A JSON string (or null), escaped by serde_json.
fn json_str(out: &mut impl Write, s: Option<&str>) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &s).map_err(io::Error::other)
}

/// The `--json` report, written as it is produced (a million distinct
/// addresses would take hundreds of MB as a JSON tree), without the closing
/// brace. Facet values come most frequent first.
pub fn write_json(
    out: &mut impl Write,
    store: &Store,
    progress: &Progress,
    ids: &[EventId],
    counts: &[FacetCounts],
) -> io::Result<()> {
    let (first, last) = time_range(store, ids);
    write!(out, "{{\"events\":{},\"first\":", ids.len())?;
    json_str(out, first.as_deref())?;
    out.write_all(b",\"last\":")?;
    json_str(out, last.as_deref())?;
    write!(
        out,
        ",\"files\":{},\"skipped_files\":{},\"digest_files\":{},\"duplicates\":{},\"outside_cut\":{},\"problems\":[",
        progress.files_read(),
        progress.skipped_files.load(Relaxed),
        progress.digest_files.load(Relaxed),
        store.duplicates(),
        progress.outside_cut.load(Relaxed)
    )?;
    for (i, p) in progress.problems().iter().enumerate() {
        out.write_all(if i == 0 { b"{\"path\":" } else { b",{\"path\":" })?;
        json_str(out, Some(&p.path))?;
        out.write_all(b",\"where\":")?;
        json_str(out, p.place.map(|w| w.to_string()).as_deref())?;
        out.write_all(b",\"kind\":")?;
        json_str(out, Some(p.kind.name()))?;
        out.write_all(b",\"message\":")?;
        json_str(out, Some(&p.message))?;
        out.write_all(b"}")?;
    }
    out.write_all(b"],\"shapes\":{")?;
    for (i, (shape, n)) in shapes(progress).iter().enumerate() {
        write!(out, "{}\"{}\":{n}", if i == 0 { "" } else { "," }, shape.name())?;
    }
    out.write_all(b"},\"facets\":{")?;
    let labels = Labels::new(store);
    for (i, c) in counts.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        json_str(out, Some(c.field.name()))?;
        out.write_all(b":{")?;
        for (j, &(v, n)) in c.values.iter().enumerate() {
            if j > 0 {
                out.write_all(b",")?;
            }
            json_str(out, Some(labels.label(c.field, v)))?;
            write!(out, ":{n}")?;
        }
        out.write_all(b"}")?;
    }
    out.write_all(b"}")
}

/// What the rules found among the matching events: events by the highest
/// level they set off, and events per reporting rule (most serious first).
struct Flagged {
    levels: [usize; Level::COUNT],
    rules: Vec<RuleCount>,
}

/// Rules listed in the readable summary.
const TOP_RULES: usize = 25;

impl Flagged {
    fn of(found: &Results, ids: &[EventId]) -> Flagged {
        let mut rules = found.counts(Some(ids));
        rules.sort_by_key(|c| {
            (std::cmp::Reverse(found.rules.rules[c.rule].meta.level), std::cmp::Reverse(c.events), c.rule)
        });
        Flagged { levels: found.level_counts(ids.iter().copied()), rules }
    }

    fn write_json(&self, out: &mut impl Write, found: &Results) -> io::Result<()> {
        write!(
            out,
            ",\"detections\":{{\"rules\":{},\"flagged\":{},\"levels\":{{",
            found.rules.rules.len(),
            self.levels.iter().sum::<usize>()
        )?;
        for (i, l) in Level::ALL.iter().rev().enumerate() {
            write!(out, "{}\"{}\":{}", if i == 0 { "" } else { "," }, l.name(), self.levels[*l as usize - 1])?;
        }
        out.write_all(b"},\"matches\":[")?;
        for (i, c) in self.rules.iter().enumerate() {
            let m = &found.rules.rules[c.rule].meta;
            out.write_all(if i == 0 { b"{\"rule\":" } else { b",{\"rule\":" })?;
            json_str(out, Some(m.key()))?;
            out.write_all(b",\"title\":")?;
            json_str(out, Some(&m.title))?;
            write!(out, ",\"level\":\"{}\",\"events\":{},\"rows\":{}}}", m.level.name(), c.events, c.rows)?;
        }
        out.write_all(b"]}")
    }

    fn text(&self, found: &Results) -> String {
        if found.rules.rules.is_empty() {
            return String::new();
        }
        let flagged: usize = self.levels.iter().sum();
        let mut out = format!(
            "\nDetections   {} events flagged by {} of {} rules\n",
            thousands(flagged as u64),
            thousands(self.rules.len() as u64),
            thousands(found.rules.rules.len() as u64)
        );
        for l in Level::ALL.iter().rev() {
            let n = self.levels[*l as usize - 1];
            if n > 0 {
                out += &format!("  {:>11}  {} {}\n", thousands(n as u64), l.glyph(), l.name());
            }
        }
        if !self.rules.is_empty() {
            out += &format!("\nrule ({} matched)\n", thousands(self.rules.len() as u64));
        }
        for c in self.rules.iter().take(TOP_RULES) {
            let m = &found.rules.rules[c.rule].meta;
            // The rows `detect` prints when they are fewer than the events.
            let rows = if c.rows > 0 && c.rows < c.events {
                format!(", {} rows", thousands(c.rows as u64))
            } else {
                String::new()
            };
            let label = format!("{} {} ({}{rows})", m.level.glyph(), m.title, m.key());
            out += &format!("  {:>11}  {}\n", thousands(c.events as u64), fit(&label, 90).trim_end());
        }
        if self.rules.len() > TOP_RULES {
            out += &format!("  {:>11}  … {} more (--json lists all)\n", "", self.rules.len() - TOP_RULES);
        }
        out
    }
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
    let outside = progress.outside_cut.load(Relaxed);
    if outside > 0 {
        out += &format!("Outside cut  {} events read in the files of the cut, left out\n", thousands(outside));
    }
    let held: Vec<String> =
        shapes(progress).iter().map(|(shape, n)| format!("{} {}", thousands(*n), shape.label())).collect();
    if !held.is_empty() {
        out += &format!("Read         {}\n", held.join(", "));
    }
    out += &format!("Problems     {}\n", thousands(progress.problem_count.load(Relaxed)));
    let labels = Labels::new(store);
    for c in counts.iter().filter(|c| !c.values.is_empty()) {
        out += &format!("\n{} ({} distinct)\n", c.field.label(), thousands(c.distinct as u64));
        for &(v, n) in &c.values {
            out += &format!("  {:>11}  {}\n", thousands(n as u64), fit(labels.label(c.field, v), 70).trim_end());
        }
    }
    out
}
