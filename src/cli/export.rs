//! `trailscope export`: the matching (or marked) events, in time order, as
//! a file for a spreadsheet, for tools, for Timesketch's importer, or as a
//! Markdown report. The writing is the engine's, shared with the explorer.

use super::args::{ExportArgs, ExportFormat};
use super::load::matching_in_case;
use crate::engine::export::{self, Format, Scope};
use crate::format::events;
use crate::sanitize::visible;
use std::io::{self, Write};

impl From<ExportFormat> for Format {
    fn from(f: ExportFormat) -> Format {
        match f {
            ExportFormat::Csv => Format::Csv,
            ExportFormat::Jsonl => Format::Jsonl,
            ExportFormat::Timesketch => Format::Timesketch,
            ExportFormat::Markdown => Format::Markdown,
        }
    }
}

pub fn main(args: &ExportArgs) -> u8 {
    let case = match super::case_open::open(&args.case, &args.inputs.paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // `--marked`: the marks, narrowed by the query if there is one.
    let query = match (args.marked, args.query.as_deref().map(str::trim)) {
        (true, Some(q)) if !q.is_empty() => format!("mark:* {q}"),
        (true, _) => "mark:*".to_string(),
        (false, q) => q.unwrap_or("").to_string(),
    };
    let (loaded, ids) = match matching_in_case(Some(&query), &args.inputs, &args.rules, case.book) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let scope = Scope { query: args.query.as_deref().unwrap_or("").trim(), marked: args.marked };
    let format = Format::from(args.format);
    let written = match &args.output {
        None => {
            let mut out = io::BufWriter::new(io::stdout().lock());
            export::write(&mut out, &loaded.data, &ids, format, &scope).and_then(|_| out.flush())
        }
        Some(path) => {
            let done = export::write_file(path, &loaded.data, &ids, format, &scope);
            if done.is_ok() {
                eprintln!("trailscope: wrote {} to {}", events(ids.len()), visible(&path.display().to_string()));
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
