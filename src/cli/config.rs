//! The user's config file, `$XDG_CONFIG_HOME/trailscope/config.toml`
//! (`~/.config/trailscope/config.toml` by default): the time zone, the
//! clipboard, the colour theme, rule folders loaded on every run, extra list
//! columns and key bindings. The command line wins over it. A config with
//! mistakes is reported (file and line) and the rest of it still applies.

use crate::tui::clipboard::ClipboardMode;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `utc` or `local`.
    pub time: Option<String>,
    /// `auto`, `osc52`, `system` or `off`.
    pub clipboard: Option<String>,
    /// `dark`, `light` or `plain`.
    pub theme: Option<String>,
    /// Sigma rule files or folders added to every run.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Record paths shown as list columns (`errorMessage`, `requestParameters.secretId`).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Action name to a key or a list of keys (`mark = "M"`).
    #[serde(default)]
    pub keys: BTreeMap<String, Keys>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum Keys {
    One(String),
    Many(Vec<String>),
}

/// The config as read, and what was wrong with it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub config: Config,
    pub problems: Vec<String>,
}

/// Where the config is read from.
pub fn path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("trailscope").join("config.toml"))
}

/// Reads the config at `path` (none there is no problem).
pub fn load(path: &Path) -> Loaded {
    let shown = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::default(),
        Err(e) => return Loaded { problems: vec![format!("config {shown}: {e}")], ..Loaded::default() },
    };
    let mut out = match toml::from_str::<Config>(&text) {
        Ok(config) => Loaded { config, problems: vec![] },
        Err(e) => {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map_or(String::new(), |l| format!(" line {l}"));
            let msg = e.message().to_string();
            return Loaded {
                problems: vec![format!("config {shown}{at}: {msg}; the config is not used")],
                ..Loaded::default()
            };
        }
    };
    let c = &mut out.config;
    // `~/` in a rule path is the home folder, as in a shell.
    if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        for r in &mut c.rules {
            if let Ok(rest) = r.strip_prefix("~") {
                *r = PathBuf::from(&home).join(rest);
            }
        }
    }
    let mut wrong = |what: &str| out.problems.push(format!("config {shown}: {what}"));
    if c.time.as_deref().is_some_and(|t| !matches!(t, "utc" | "local")) {
        wrong(&format!("time = {:?}: utc or local", c.time.take().unwrap_or_default()));
    }
    if c.theme.as_deref().is_some_and(|t| crate::tui::theme::Theme::named(t).is_none()) {
        wrong(&format!("theme = {:?}: dark, light or plain", c.theme.take().unwrap_or_default()));
    }
    if c.clipboard.as_deref().is_some_and(|m| clipboard_mode(m).is_none()) {
        wrong(&format!("clipboard = {:?}: auto, osc52, system or off", c.clipboard.take().unwrap_or_default()));
    }
    for col in std::mem::take(&mut c.columns) {
        match crate::query::parse(&format!("{col}:*")) {
            Ok(_) if !col.is_empty() && !col.contains(char::is_whitespace) => c.columns.push(col),
            _ => wrong(&format!("columns: {col:?} is not a field or a record path")),
        }
    }
    out
}

pub fn clipboard_mode(name: &str) -> Option<ClipboardMode> {
    clap::ValueEnum::from_str(name, true).ok()
}

impl Config {
    /// The key bindings as (action, keys), for the key table.
    pub fn key_overrides(&self) -> Vec<(String, Vec<String>)> {
        (self.keys.iter())
            .map(|(a, k)| {
                let keys = match k {
                    Keys::One(k) => vec![k.clone()],
                    Keys::Many(ks) => ks.clone(),
                };
                (a.clone(), keys)
            })
            .collect()
    }
}

/// The config of this run (read once).
pub fn current() -> &'static Loaded {
    static LOADED: std::sync::OnceLock<Loaded> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| path().map(|p| load(&p)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Loaded {
        let dir = std::env::temp_dir().join(format!("trailscope-config-{}-{}", std::process::id(), text.len()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("config.toml");
        std::fs::write(&p, text).unwrap();
        let l = load(&p);
        let _ = std::fs::remove_dir_all(&dir);
        l
    }

    #[test]
    fn reads_every_setting() {
        let l = read(
            "time = \"local\"\nclipboard = \"osc52\"\ntheme = \"light\"\nrules = [\"/r\"]\ncolumns = [\"errorMessage\", \"requestParameters.secretId\"]\n[keys]\nmark = \"M\"\ntag = [\"T\", \"Ctrl-t\"]\n",
        );
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        let c = &l.config;
        assert_eq!(
            (c.time.as_deref(), c.clipboard.as_deref(), c.theme.as_deref()),
            (Some("local"), Some("osc52"), Some("light"))
        );
        assert_eq!(c.columns, ["errorMessage", "requestParameters.secretId"]);
        assert_eq!(
            c.key_overrides(),
            [
                ("mark".to_string(), vec!["M".to_string()]),
                ("tag".to_string(), vec!["T".to_string(), "Ctrl-t".to_string()])
            ]
        );
    }

    #[test]
    fn mistakes_are_named_and_the_rest_applies() {
        let l = read("time = \"mars\"\ntheme = \"light\"\ncolumns = [\"a b\", \"errorCode\"]\n");
        assert_eq!(l.problems.len(), 2, "{:?}", l.problems);
        assert!(l.problems[0].contains("config.toml") && l.problems[0].contains("utc or local"));
        assert_eq!((l.config.time, l.config.theme.as_deref()), (None, Some("light")));
        assert_eq!(l.config.columns, ["errorCode"]);
        let l = read("time = \"utc\"\n\ncolour = \"red\"\n");
        assert!(l.problems[0].contains("line 3") && l.problems[0].contains("not used"), "{:?}", l.problems);
        assert_eq!(l.config, Config::default());
    }
}
