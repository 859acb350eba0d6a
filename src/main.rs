//! The `trailscope` binary: parse the command line and run the command it names.

use clap::Parser;
use std::process::ExitCode;
use trailscope::cli::{Cli, EXIT_USAGE};

fn main() -> ExitCode {
    trailscope::STARTED.get_or_init(std::time::Instant::now);
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(trailscope::cli::main(&cli))
}
