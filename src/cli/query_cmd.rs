//! `trailscope query`: the matching events in time order.

use super::args::{Format, QueryArgs};
use super::load::matching;
use crate::model::fields::{Field, list_fields};
use crate::model::time::format_utc;
use crate::query::labels::Labels;
use crate::sanitize::fit;
use crate::sanitize::json_for_terminal;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use std::io::{self, BufWriter, Write};

pub fn main(args: &QueryArgs) -> u8 {
    let (loaded, ids) = match matching(args.query.as_deref(), &args.inputs, &args.rules, &args.case) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let ids = &ids[..args.limit.unwrap_or(usize::MAX).min(ids.len())];
    let store = loaded.data.read();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = match args.format {
        Format::Jsonl => {
            let mut cache = ChunkCache::new(64);
            ids.iter().try_for_each(|&id| writeln!(out, "{}", json_for_terminal(store.record(id, &mut cache))))
        }
        Format::Table => write_table(&mut out, &loaded.data, &store, ids),
    };
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = written.and_then(|_| out.flush());
    loaded.exit_status()
}

/// The list's columns (from the field table) at their widest.
/// The case's columns show only when it keeps something.
fn columns(case: &crate::case::Book) -> Vec<(Field, usize)> {
    let kept = !case.case.events.is_empty();
    list_fields()
        .iter()
        .filter(|&&f| kept || !matches!(f, Field::Mark | Field::Tag))
        .filter_map(|&f| f.def().column.filter(|_| f != Field::Time).map(|c| (f, c.max as usize)))
        .collect()
}

fn write_table(out: &mut impl Write, data: &crate::engine::Dataset, store: &Store, ids: &[EventId]) -> io::Result<()> {
    let labels = Labels::new(store);
    let (found, graph) = (data.found(), data.graph());
    let case = data.case.read().unwrap_or_else(|e| e.into_inner());
    let columns = columns(&case);
    write!(out, "{:<20}  ", "TIME")?;
    for &(f, w) in &columns {
        write!(out, "{} ", fit(&f.label().to_uppercase(), w))?;
    }
    writeln!(out)?;
    for &id in ids {
        write!(out, "{:<20}  ", format_utc(store.time(id)))?;
        for &(f, w) in &columns {
            write!(out, "{} ", fit(&crate::engine::cells::cell(&labels, &found, &graph, &case, id, f), w))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
