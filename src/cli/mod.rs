//! The command line: the explorer by default, and the `stats`, `query`,
//! `detect`, `rules`, `trace`, `actors`, `incidents`, `export`, `mark`, `verify`, `athena` and `bench` commands on the same engine. `args` holds the arguments; each
//! command is a module of its own.

pub mod actors_cmd;
pub mod args;
pub mod athena_cmd;
pub mod bench;
pub mod case_open;
pub mod config;
pub mod detect_cmd;
pub mod docs;
pub mod explore;
pub mod export;
pub mod incidents_cmd;
pub mod load;
pub mod mark_cmd;
pub mod query_cmd;
pub mod rules_cmd;
pub mod stats;
pub mod trace_cmd;
pub mod verify_cmd;

pub use args::{Cli, Command, EXIT_NOTHING_READ, EXIT_OK, EXIT_USAGE};

/// Runs the command the arguments name; returns the exit status.
pub fn main(cli: &Cli) -> u8 {
    match &cli.command {
        Some(Command::Stats(a)) => stats::main(a),
        Some(Command::Query(a)) => query_cmd::main(a),
        Some(Command::Bench(a)) => bench::main(a),
        Some(Command::Detect(a)) => detect_cmd::main(a),
        Some(Command::Rules(a)) => rules_cmd::main(a),
        Some(Command::Trace(a)) => trace_cmd::main(a),
        Some(Command::Actors(a)) => actors_cmd::main(a),
        Some(Command::Incidents(a)) => incidents_cmd::main(a),
        Some(Command::Export(a)) => export::main(a),
        Some(Command::Mark(a)) => mark_cmd::main(a),
        Some(Command::Verify(a)) => verify_cmd::main(a),
        Some(Command::Athena(a)) => athena_cmd::main(a),
        Some(Command::Completions { shell }) => docs::completions(*shell),
        Some(Command::Man) => docs::man(),
        None => explore::main(&cli.explore),
    }
}
