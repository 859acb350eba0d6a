use clap::Parser;
use std::process::ExitCode;
use trailscope::cli::{Cli, Command, bench, query_cmd, stats};

fn main() -> ExitCode {
    trailscope::STARTED.get_or_init(std::time::Instant::now);
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { trailscope::cli::EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match &cli.command {
        Some(Command::Stats(a)) => stats::main(a),
        Some(Command::Query(a)) => query_cmd::main(a),
        Some(Command::Bench(a)) => bench::main(a),
        None => trailscope::tui::main(&cli.explore),
    };
    ExitCode::from(code)
}
