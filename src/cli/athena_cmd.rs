//! `trailscope athena`: the CloudTrail table for a trail bucket (`ddl`), a
//! query as Athena SQL over it (`sql`), and running it to explore what it
//! selects (`run`).

use super::args::{
    AthenaCommand, AthenaDdlArgs, AthenaRunArgs, AthenaSqlArgs, EXIT_NOTHING_READ, EXIT_OK, EXIT_USAGE, ExploreArgs,
    ExploreInputs, SourceArgs, parse_query,
};
use crate::athena::ddl::{self, Trail};
use crate::athena::run::{self, Status, Target};
use crate::athena::sql::{self, Range, Shape};
use crate::format::{events, human_bytes};
use crate::model::time::format_utc;
use crate::sanitize::visible;
use std::path::PathBuf;

pub fn main(cmd: &AthenaCommand) -> u8 {
    match cmd {
        AthenaCommand::Ddl(a) => ddl_main(a),
        AthenaCommand::Sql(a) => sql_main(a),
        AthenaCommand::Run(a) => run_main(a),
    }
}

fn ddl_main(a: &AthenaDdlArgs) -> u8 {
    let trail = Trail {
        bucket: a.bucket.clone(),
        prefix: a.prefix.clone(),
        org: a.org.clone(),
        accounts: a.account.clone(),
        regions: a.region.clone(),
        table: a.table.clone(),
        since: format_utc(a.since)[..10].replace('-', "/"),
    };
    match ddl::create_table(&trail) {
        Ok(text) => {
            print!("{text}");
            EXIT_OK
        }
        Err(why) => {
            eprintln!("trailscope: {}", visible(&why));
            EXIT_USAGE
        }
    }
}

/// The statement for `a`, or the exit status after saying why there is none.
fn statement(a: &AthenaSqlArgs, shape: Shape) -> Result<(String, String), u8> {
    let q = parse_query(a.query.as_deref())?;
    if let Err(why) = ddl::check_table(&a.table) {
        eprintln!("trailscope: {}", visible(&why));
        return Err(EXIT_USAGE);
    }
    match sql::statement(&q, &a.table, Range { since: a.since, until: a.until }, shape) {
        Ok(text) => Ok((q.to_string(), text)),
        Err(refused) => {
            eprintln!("trailscope: Athena cannot answer {}", visible(&refused.to_string()));
            Err(EXIT_USAGE)
        }
    }
}

fn sql_main(a: &AthenaSqlArgs) -> u8 {
    match statement(a, Shape::Records) {
        Ok((_, text)) => {
            println!("{text};");
            EXIT_OK
        }
        Err(code) => code,
    }
}

fn run_main(a: &AthenaRunArgs) -> u8 {
    let (query, text) = match statement(&a.sql, Shape::Locations) {
        Ok(both) => both,
        Err(code) => return code,
    };
    let target = Target {
        workgroup: a.workgroup.clone(),
        database: a.database.clone(),
        output: a.output.clone(),
        profile: a.profile.clone(),
    };
    let mut last = String::new();
    let mut progress = |s: &Status| {
        let line = format!(
            "athena: {} {}, {} scanned",
            s.execution,
            s.state.to_lowercase(),
            human_bytes(s.scanned_bytes as usize)
        );
        if line != last {
            eprintln!("{} ({:.0} s)", visible(&line), s.elapsed.as_secs_f64());
            last = line;
        }
    };
    let selection = match run::run(&text, &query, &target, &mut progress) {
        Ok(sel) => sel,
        Err(why) => {
            eprintln!("trailscope: {}", visible(&why));
            return EXIT_NOTHING_READ;
        }
    };
    let file = a.save.clone().unwrap_or_else(|| PathBuf::from(format!("athena-{}.json", safe(&selection.execution))));
    let json = serde_json::to_string_pretty(&selection).unwrap_or_default();
    if let Err(e) = crate::case::file::write_atomic(&file, json.as_bytes()) {
        eprintln!("trailscope: cannot save the result to {}: {e}", visible(&file.to_string_lossy()));
        return EXIT_NOTHING_READ;
    }
    eprintln!(
        "athena: {} in {} objects, {} scanned; saved to {}",
        events(selection.events()),
        selection.objects.len(),
        human_bytes(selection.scanned_bytes as usize),
        visible(&file.to_string_lossy())
    );
    if a.no_explore {
        return EXIT_OK;
    }
    let source = SourceArgs { cache: a.cache.clone(), profile: a.profile.clone(), ..SourceArgs::default() };
    let explore = ExploreArgs { inputs: ExploreInputs { paths: vec![file], source }, ..ExploreArgs::default() };
    super::explore::main(&explore)
}

/// An execution ID as a file name.
fn safe(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(80).collect()
}
