//! The explorer, from the command line: resolve the arguments (the bundled
//! sample when no path is named), start loading, and hand both to the
//! explorer.

use super::args::{self, EXIT_NOTHING_READ, EXIT_OK, ExploreArgs};
use crate::engine::Dataset;
use crate::loader::LoadOptions;
use crate::tui::app::Config;
use crate::tui::timefmt::TimeMode;
use std::path::PathBuf;

/// Where the bundled sample lives (the explorer opens it without a PATH).
pub fn sample_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets").join("sample")
}

pub fn main(args: &ExploreArgs) -> u8 {
    let query = args.query.clone().unwrap_or_default();
    if let Err(code) = args::parse_query(Some(&query)) {
        return code;
    }
    let paths = if args.inputs.paths.is_empty() {
        let sample = sample_path();
        if !sample.exists() {
            eprintln!(
                "trailscope: no PATH given and the bundled sample is not at {}; name the logs to open",
                sample.display()
            );
            return EXIT_NOTHING_READ;
        }
        vec![sample]
    } else {
        args.inputs.paths.clone()
    };
    let case = match super::case_open::open(&args.case, &paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    // The command line wins over the config file; the config's first problem shows at the start.
    let file = super::config::current();
    for p in &file.problems {
        eprintln!("trailscope: {}", crate::sanitize::visible(p));
    }
    let mut notice = file.problems.first().cloned();
    if let Err(e) = crate::tui::keymap::configure(&file.config.key_overrides()) {
        notice = notice.or_else(|| Some(format!("config: {e}; the default keys apply")));
    }
    let config = Config {
        notice: case.notice.or(notice),
        query,
        time: if args.local || file.config.time.as_deref() == Some("local") { TimeMode::Local } else { TimeMode::Utc },
        mouse: !args.no_mouse,
        clipboard: (args.clipboard)
            .or_else(|| file.config.clipboard.as_deref().and_then(super::config::clipboard_mode))
            .unwrap_or(crate::tui::clipboard::ClipboardMode::Auto),
        incidents_first: !args.list_first,
        theme: file.config.theme.clone(),
        columns: file.config.columns.clone(),
    };
    // The query is the user's to change here: only the flags cut what is loaded.
    let load = LoadOptions {
        sources: args.inputs.source.options(None),
        memory_limit: args.inputs.source.memory_limit(),
        ..LoadOptions::default()
    };
    let options = crate::engine::Options { case: case.book, index: true, ..args.rules.options(load) };
    let keys = match args.verify.then(|| super::verify_cmd::read_keys(&args.public_keys)).transpose() {
        Ok(k) => k,
        Err(why) => {
            eprintln!("trailscope: {why}");
            return super::args::EXIT_USAGE;
        }
    };
    let data = Dataset::open(&paths, options);
    if let Some(keys) = keys {
        crate::engine::integrity::verify_beside(&data, paths.clone(), args.inputs.source.options(None), keys);
    }
    match crate::tui::run(data, config) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("trailscope: terminal error: {e}");
            EXIT_NOTHING_READ
        }
    }
}
