//! Shell completions and the manual page, both from the argument
//! definitions (so they cannot drift from what the commands take).

use super::args::{Cli, EXIT_OK};
use clap::CommandFactory;
use std::io::Write;

pub fn completions(shell: clap_complete::Shell) -> u8 {
    clap_complete::generate(shell, &mut Cli::command(), "trailscope", &mut std::io::stdout());
    EXIT_OK
}

pub fn man() -> u8 {
    let mut out = Vec::new();
    let page = clap_mangen::Man::new(Cli::command());
    // The page, then one section per command, as `git help` pages read.
    let written = page.render(&mut out).and_then(|_| {
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name().to_string();
            writeln!(out, ".SH \"TRAILSCOPE {}\"", name.to_uppercase())?;
            let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
            writeln!(out, "{}", about.replace('\\', "\\\\"))?;
            for arg in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                let flag = match (arg.get_short(), arg.get_long()) {
                    (Some(s), Some(l)) => format!("-{s}, --{l}"),
                    (None, Some(l)) => format!("--{l}"),
                    (Some(s), None) => format!("-{s}"),
                    (None, None) => arg.get_id().to_string().to_uppercase(),
                };
                let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
                writeln!(out, ".TP\n\\fB{}\\fR\n{}", flag.replace('-', "\\-"), help.replace('\\', "\\\\"))?;
            }
        }
        Ok(())
    });
    match written.and_then(|_| std::io::stdout().write_all(&out)) {
        Ok(()) => EXIT_OK,
        Err(_) => super::args::EXIT_NOTHING_READ,
    }
}
