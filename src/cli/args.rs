//! The command line's arguments (clap), exit statuses, and `-q` parsing,
//! shared by every command.

pub use crate::tui::clipboard::ClipboardMode;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  trailscope ./AWSLogs                        explore a synced trail bucket
  trailscope -q 'error:* -error:ThrottlingException' logs/
  trailscope stats --json trail.json.gz       counts per service, event, actor...
  trailscope query -q 'name:Delete* after:2024-03-02' --format jsonl AWSLogs/ > deletes.jsonl
  zcat export.jsonl.gz | trailscope stats -   read standard input

Inputs: CloudTrail log files {\"Records\":[...]}, JSON arrays of events, single
events and newline-delimited events, each plain or gzip (by content, not name).
Folders are walked; in them .json, .jsonl, .ndjson (optionally .gz) and .gz
files are read. CloudTrail digest files are skipped.

Query language (all terms must hold):
  name:GetObject          field match, case-insensitive, whole value
  name:Delete*            * matches any run of characters; field:* = present
  -error:Throttling*      a leading - negates any term
  source:s3 region:us-east-1 actor:Admin/alice type:AssumedRole ip:203.0.113.9
  account:123456789012 error:* key:AKIA... agent:*terraform* id:EVENT-ID
  request:REQUEST-ID readonly:false eventtype:AwsConsoleSignIn category:Data
  requestParameters.bucketName:logs-*   any dotted path into the record
  after:2024-03-02 before:2024-03-02T12:30   time range (UTC unless an offset is given)
  \"i-0abc123\"             the event's JSON contains this text
  alice                   fuzzy match on time, service, name, actor, IP, region, error";

#[derive(Parser, Debug)]
#[command(
    name = "trailscope",
    version,
    about = "Explore AWS CloudTrail logs in the terminal: search, facets, JSON trees, pivots.",
    long_about = "trailscope loads CloudTrail logs (a synced trail bucket, a zip's contents, a CloudTrail Lake or Athena export) into memory and opens an interactive explorer. With no PATH it opens the bundled sample trail.",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub explore: ExploreArgs,
}

#[derive(Args, Debug, Clone, Default)]
pub struct ExploreArgs {
    /// Start with this search (see the query language below)
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Show times in the local time zone (UTC is the default)
    #[arg(long)]
    pub local: bool,
    /// Do not capture the mouse (keeps the terminal's own selection)
    #[arg(long)]
    pub no_mouse: bool,
    /// Start on the event list, not on the incidents (`i` opens them)
    #[arg(long)]
    pub list_first: bool,
    /// How `y` copies: the system clipboard, OSC 52 through the terminal, or not at all [default: auto]
    #[arg(long, value_enum)]
    pub clipboard: Option<ClipboardMode>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub case: CaseArgs,
    /// Check the logs against their digest files once loaded (as `trailscope verify`): failures are
    /// problems, and the events of modified or unlisted files are tagged integrity-modified or
    /// integrity-unlisted in the case
    #[arg(long)]
    pub verify: bool,
    /// With --verify: the output of `aws cloudtrail list-public-keys`, to check signatures (repeatable)
    #[arg(long = "public-keys", value_name = "FILE", requires = "verify")]
    pub public_keys: Vec<PathBuf>,
    /// Which logs, and where from. No path: the bundled sample
    #[command(flatten)]
    pub inputs: ExploreInputs,
}

/// The case kept beside the events: marks, tags, notes, queries.
#[derive(Args, Debug, Clone, Default)]
pub struct CaseArgs {
    /// The case file to keep marks, tags and notes in (default: one per set
    /// of inputs in $XDG_DATA_HOME/trailscope/cases)
    #[arg(long, value_name = "FILE")]
    pub case: Option<PathBuf>,
    /// Keep no case: marks, tags and notes last until the explorer quits
    #[arg(long, conflicts_with = "case")]
    pub no_case: bool,
}

/// The detection rules to run: trailscope's catalogue and the user's.
#[derive(Args, Debug, Clone)]
pub struct RuleArgs {
    /// Add Sigma rules: a .yml file or a folder of them (repeatable)
    #[arg(long = "rules", value_name = "PATH")]
    pub rules: Vec<PathBuf>,
    /// Leave trailscope's own catalogue of detection rules out
    #[arg(long)]
    pub no_builtin: bool,
    /// Hours of an identity's activity before what it does for the first time counts as new
    #[arg(long, value_name = "HOURS", default_value_t = LEARNING_HOURS, value_parser = parse_hours)]
    pub learning: f64,
    /// Hours between one origin's findings that start a new incident
    #[arg(long, value_name = "HOURS", default_value_t = GAP_HOURS, value_parser = parse_hours)]
    pub gap: f64,
}

/// The default gap between incidents of one origin, in hours.
const GAP_HOURS: f64 = 2.0;

/// The default learning window of first-seen analytics, in hours.
const LEARNING_HOURS: f64 = 24.0;

fn parse_hours(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(h) if h.is_finite() && (0.0..=100_000.0).contains(&h) => Ok(h),
        _ => Err("a number of hours, 0 or more".to_string()),
    }
}

/// As the command line leaves them (the catalogue, the default windows).
impl Default for RuleArgs {
    fn default() -> RuleArgs {
        RuleArgs { rules: vec![], no_builtin: false, learning: LEARNING_HOURS, gap: GAP_HOURS }
    }
}

impl RuleArgs {
    /// No rules and the default learning window.
    pub fn none() -> RuleArgs {
        RuleArgs { rules: vec![], no_builtin: true, learning: LEARNING_HOURS, gap: GAP_HOURS }
    }

    /// Whether any rule runs.
    pub fn runs_rules(&self) -> bool {
        !self.no_builtin || !self.rules.is_empty() || !super::config::current().config.rules.is_empty()
    }

    /// These arguments without the rules (what commands load when they need no detections).
    pub fn without_rules(&self) -> RuleArgs {
        RuleArgs { rules: vec![], no_builtin: true, ..*self }
    }

    /// The learning window of first-seen analytics.
    pub fn learning(&self) -> crate::model::time::Micros {
        (self.learning * 3_600_000_000.0) as crate::model::time::Micros
    }

    /// The dataset's options for these rules, learning window and gap.
    pub fn options(&self, load: crate::loader::LoadOptions) -> crate::engine::dataset::Options {
        crate::engine::dataset::Options {
            load,
            rules: self.load(),
            learning: Some(self.learning()),
            gap: Some((self.gap * 3_600_000_000.0) as crate::model::time::Micros),
            case: Default::default(),
            index: false,
        }
    }

    /// Loads the rules (and the config's rule folders); says on standard
    /// error how many could not be used.
    pub fn load(&self) -> std::sync::Arc<crate::detect::RuleSet> {
        let mut paths = super::config::current().config.rules.clone();
        paths.extend(self.rules.iter().cloned());
        let set = crate::detect::RuleSet::load(!self.no_builtin, &paths);
        if !set.unsupported.is_empty() {
            eprintln!(
                "warning: {} rules or rule files could not be used (`trailscope rules` says why)",
                set.unsupported.len()
            );
        }
        std::sync::Arc::new(set)
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Counts: events, time range, files, problems, duplicates, values per facet
    #[command(
        after_help = "Examples:\n  trailscope stats AWSLogs/\n  trailscope stats -q 'type:Root' --json AWSLogs/ | jq .facets.eventName"
    )]
    Stats(StatsArgs),
    /// Print the matching events in time order, as a table or as JSON lines
    #[command(
        after_help = "Examples:\n  trailscope query -q 'actor:Admin/alice' AWSLogs/\n  trailscope query -q '\"i-0abc123\"' --format jsonl --limit 10 AWSLogs/\n\nSee `trailscope --help` for the query language."
    )]
    Query(QueryArgs),
    /// Measure loading, searching, facet counts and detail trees on your data
    #[command(
        after_help = "Examples:\n  trailscope bench AWSLogs/\n  trailscope bench --json --queries my-queries.txt AWSLogs/ > figures.json\n\nThe query file has one query per line (# starts a comment); each is typed one keystroke at a time\nthrough the explorer's own search worker, and every keystroke is timed."
    )]
    Bench(BenchArgs),
    /// The detection rules' matches as a timeline (trailscope's catalogue and your Sigma rules)
    #[command(
        after_help = "Examples:\n  trailscope detect AWSLogs/\n  trailscope detect --min-level high --format jsonl AWSLogs/ > findings.jsonl\n  trailscope detect --rules my-rules/ --no-builtin -q 'account:123456789012' AWSLogs/\n\nLevels: informational, low, medium, high, critical. In CSV, cells that a spreadsheet would\nread as a formula (starting with = + - @, a tab or a carriage return) are prefixed with '."
    )]
    Detect(DetectArgs),
    /// List the detection rules loaded, and those that could not be used with the reason
    #[command(
        after_help = "Examples:\n  trailscope rules\n  trailscope rules --rules sigma/rules/cloud/aws --json | jq '.unsupported'"
    )]
    Rules(RulesArgs),
    /// Who is behind an access key, an event or an identity: the credential chain, origin first
    #[command(
        after_help = "Examples:\n  trailscope trace ASIAQ3EGRJ4VXKP2M7TB AWSLogs/\n  trailscope trace 'Deploy/ci-run-42' AWSLogs/\n  trailscope trace --json 5d1c0a8e-1f0e-4c1e-9a51-0d3a8f0c2b11 AWSLogs/ | jq '.hops[0]'\n\nWHAT is an access key id, an identity (an ARN, or an actor as the list shows it) or an eventID.\nEach hop is an identity and the key it used; the event that issued the key links it to the hop above.\nA key links events only where they agree on who holds it; redacted and placeholder keys link nothing."
    )]
    Trace(TraceArgs),
    /// Per identity (by actor, or by the origin of its credentials): when, how much, which calls, denials, where from
    #[command(
        after_help = "Examples:\n  trailscope actors AWSLogs/\n  trailscope actors --by origin --sort denied AWSLogs/\n  trailscope actors --json -q 'error:*' AWSLogs/ | jq '.[0]'"
    )]
    Actors(ActorsArgs),
    /// The findings grouped into incidents by who is behind them, ranked: what each did and touched
    #[command(
        after_help = "Examples:\n  trailscope incidents AWSLogs/\n  trailscope incidents --min-level high --json AWSLogs/ | jq '.[0].why'\n  trailscope incidents --format markdown -q 'account:123456789012' AWSLogs/ > report.md\n\nAn incident is one origin's findings (low or above), none further than --gap hours from the\nnext, with every event done with its credentials in between. Its id is its rank, as `incident:N`\nselects it in a query. The score adds points for the most serious finding, distinct rules and\ntactics, how far along the kill chain it got, identities or keys made, other accounts, weakened\ndefences and first uses; one or two rules repeated over a day or more keep 40%."
    )]
    Incidents(IncidentsArgs),
    /// The matching events as a file: CSV, JSON lines, Timesketch's import format or a Markdown timeline
    #[command(
        after_help = "Examples:\n  trailscope export -q 'incident:1' --format timesketch -o case.jsonl AWSLogs/\n  trailscope export -q 'level:high' --format csv -o findings.csv AWSLogs/\n  trailscope export -q 'actor:alice after:2024-03-02' --format markdown AWSLogs/ > timeline.md\n  trailscope export --marked --format markdown -o report.md AWSLogs/\n\nCSV cells a spreadsheet would read as a formula are prefixed with '. JSON lines are the full\nrecords with a `trailscope` object (actor, origin, level, rules, incident, marked, tags, notes).\nTimesketch lines carry message, datetime and timestamp_desc, the fields, the case's tags and the\nrules as tags, and the notes as comments. Markdown is a report: the case's notes, the timeline,\nthe incidents and credential chains of its events, and the queries. With -o the file is\nwritten beside its name and renamed into place."
    )]
    Export(ExportArgs),
    /// Mark, tag or note the matching events in the case, from a script
    #[command(
        after_help = "Examples:\n  trailscope mark -q 'incident:1' AWSLogs/\n  trailscope mark -q 'name:StopLogging' --tag defense-evasion --note 'trail stopped' AWSLogs/\n  trailscope mark --unmark -q 'actor:scanner' AWSLogs/\n\nWithout --tag or --note the events are marked. The case is the explorer's: the same file,\nthe same locking (refused while an explorer has it open)."
    )]
    Mark(MarkArgs),
    /// Check log files against CloudTrail's digest files: hashes, the digest chain, gaps and signatures
    #[command(
        after_help = "Examples:\n  trailscope verify --public-keys keys.json AWSLogs/\n  trailscope verify --cache ./trail-cache --public-keys keys.json s3://my-trail/AWSLogs/\n  trailscope verify --json --account 111122223333 --since 2024-03-01 AWSLogs/ | jq .summary\n\nkeys.json is the output of `aws cloudtrail list-public-keys --start-time ... --end-time ...` for the\nregions of the trail, fetched by you from AWS: it is what the signatures are trusted against.\nSignatures are S3 metadata: they are read from the bucket and from a --cache folder; in a copy made\nwithout metadata only the digests followed by another one can be checked, and the report says so.\nExit status: 0 when nothing failed and something was verified, 1 when anything is modified, missing\nor wrong, 2 for an unusable keys file, 3 when nothing could be checked (no digest files)."
    )]
    Verify(VerifyArgs),
    /// Hand the cut to Amazon Athena: the CloudTrail table, the query as Athena SQL
    #[command(subcommand)]
    Athena(AthenaCommand),
    /// Shell completions (bash, zsh, fish, elvish, powershell) on standard output
    #[command(
        after_help = "Examples:\n  trailscope completions bash > ~/.local/share/bash-completion/completions/trailscope\n  trailscope completions zsh > ~/.zfunc/_trailscope\n  trailscope completions fish > ~/.config/fish/completions/trailscope.fish"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// The manual page (roff) on standard output
    #[command(after_help = "Example:\n  trailscope man | man -l -")]
    Man,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// The list's columns and what trailscope worked out; safe to open in a spreadsheet
    Csv,
    /// Full records with a `trailscope` object
    Jsonl,
    /// Timesketch's JSONL import format
    Timesketch,
    /// A timeline table
    Markdown,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Only the events matching this query
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Only the events marked in the case
    #[arg(long)]
    pub marked: bool,
    #[command(flatten)]
    pub case: CaseArgs,
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// Write to this file instead of standard output
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub inputs: Inputs,
}

#[derive(Args, Debug)]
pub struct MarkArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// The events to mark (required: marking every event is rarely meant)
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true, required = true)]
    pub query: String,
    /// Tag them with this word instead (repeatable)
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Add this note to each of them instead
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Remove their marks (and the --tag tags) instead
    #[arg(long)]
    pub unmark: bool,
    #[command(flatten)]
    pub case: CaseArgs,
    #[command(flatten)]
    pub inputs: Inputs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentsFormat {
    /// One line per incident: rank, score, level, origin, span, tactics, rules, events
    Table,
    /// A JSON array of incidents, with chains, rules, resources and eventIDs
    Json,
    /// A report to paste into a ticket: summary, chain, timeline, resources, queries
    Markdown,
}

#[derive(Args, Debug)]
pub struct IncidentsArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Only incidents of this level or above (by their score)
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub min_level: Option<crate::detect::Level>,
    /// Only incidents with a finding among the events matching this query
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    #[arg(long, value_enum, default_value_t = IncidentsFormat::Table)]
    pub format: IncidentsFormat,
    /// Same as --format json
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub inputs: Inputs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorsBy {
    /// The actor as the list shows it
    Actor,
    /// The identity at the end of the credential chain
    Origin,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorsSort {
    Events,
    First,
    Last,
    Calls,
    Failed,
    Denied,
}

#[derive(Args, Debug)]
pub struct ActorsArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub case: CaseArgs,
    /// Only the events matching this query
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Group by actor or by origin
    #[arg(long, value_enum, default_value_t = ActorsBy::Actor)]
    pub by: ActorsBy,
    /// Most first (earliest first for `first`)
    #[arg(long, value_enum, default_value_t = ActorsSort::Events)]
    pub sort: ActorsSort,
    /// Print a JSON array instead of a table
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub inputs: Inputs,
}

#[derive(Args, Debug)]
pub struct TraceArgs {
    /// Print one JSON object: {"hops": [...], "end", "origin", "events": [...], "ownEvents", "issuedEvents"};
    /// for a redacted or placeholder key {"trust", "holders", "events"}; for an eventID that several
    /// records carry {"ambiguous": true, "candidates": [...]} (exit status 2)
    #[arg(long)]
    pub json: bool,
    /// An access key id (used or only issued), an ARN, an actor or an eventID
    #[arg(value_name = "WHAT", allow_hyphen_values = true)]
    pub what: String,
    #[command(flatten)]
    pub inputs: Inputs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectFormat {
    /// Aligned columns: time, level, rule, event, actor, source IP, account, region
    Table,
    /// One JSON object per match
    Jsonl,
    /// Comma-separated values, safe to open in a spreadsheet
    Csv,
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Only matches of this level or above
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub min_level: Option<crate::detect::Level>,
    /// Only matches among the events matching this query
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    #[arg(long, value_enum, default_value_t = DetectFormat::Table)]
    pub format: DetectFormat,
    /// One row per match; by default a rule's matches by one identity (or one correlation group)
    /// within an hour of the first are one row, with a count and every eventID
    #[arg(long)]
    pub each: bool,
    #[command(flatten)]
    pub inputs: Inputs,
}

fn parse_level(s: &str) -> Result<crate::detect::Level, String> {
    crate::detect::Level::parse(s).ok_or_else(|| "one of informational, low, medium, high, critical".to_string())
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Print one JSON object instead of a table
    #[arg(long)]
    pub json: bool,
    /// Queries to replay, one per line (default: a built-in investigation set)
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// A query to replay instead of the built-in set (repeatable)
    #[arg(short, long = "query", value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Vec<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub inputs: Inputs,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Count only the events matching this query
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// Print one JSON object instead of a summary
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub inputs: Inputs,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns: time, service, event, actor, source IP, region, error
    Table,
    /// Each full original record on its own line
    Jsonl,
}

#[derive(Args, Debug)]
pub struct QueryArgs {
    /// Print only the events matching this query
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print at most N events (the oldest first)
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub rules: RuleArgs,
    #[command(flatten)]
    pub case: CaseArgs,
    #[command(flatten)]
    pub inputs: Inputs,
}

/// Exit status: some input was read.
pub const EXIT_OK: u8 = 0;
/// Exit status: nothing could be read.
pub const EXIT_NOTHING_READ: u8 = 1;
/// Exit status: bad usage or a malformed query.
pub const EXIT_USAGE: u8 = 2;

/// Parses `-q`, printing a pointed message on error.
pub fn parse_query(text: Option<&str>) -> Result<crate::query::Query, u8> {
    let text = text.unwrap_or("");
    crate::query::parse(text).map_err(|e| {
        eprintln!("trailscope: malformed query:\n{}", e.pointed(text));
        EXIT_USAGE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_explorers_defaults_are_the_command_lines() {
        let parsed = Cli::try_parse_from(["trailscope"]).unwrap().explore;
        assert_eq!(format!("{parsed:?}"), format!("{:?}", ExploreArgs::default()));
    }

    #[test]
    fn the_explorer_takes_a_query_that_starts_with_a_dash() {
        for args in [&["trailscope", "-q", "-error:*", "logs"][..], &["trailscope", "--query=-error:*", "logs"]] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert!(cli.command.is_none());
            assert_eq!(cli.explore.query.as_deref(), Some("-error:*"));
            assert_eq!(cli.explore.inputs.paths, vec![PathBuf::from("logs")]);
        }
    }
}

/// What to load: paths (files, folders, zip archives, `s3://` buckets) and
/// which part of them.
#[derive(Args, Debug, Clone, Default)]
pub struct Inputs {
    /// Files, folders, zip archives or s3://BUCKET[/PREFIX]; `-` reads standard input
    #[arg(value_name = "PATH", required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// [`Inputs`] for the explorer, where no path means the bundled sample.
#[derive(Args, Debug, Clone, Default)]
pub struct ExploreInputs {
    /// Files, folders, zip archives or s3://BUCKET[/PREFIX]; `-` reads standard input. None: the bundled sample
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Which part of a trail to read, and how to reach a bucket. In the trail's
/// folder layout (in S3, a cache or a local copy) files outside the cut are
/// never listed further or opened.
#[derive(Args, Debug, Clone, Default)]
pub struct SourceArgs {
    /// Only this account: its folders, and events with this recipientAccountId (repeatable, `*` globs)
    #[arg(long, value_name = "ID", help_heading = "Which logs")]
    pub account: Vec<String>,
    /// Only this region: its folders, and events with this awsRegion (repeatable, `*` globs)
    #[arg(long, value_name = "REGION", help_heading = "Which logs")]
    pub region: Vec<String>,
    /// Only events at or after this time (as `after:`; files are chosen by delivery time with slack)
    #[arg(long, value_name = "TIME", value_parser = parse_time, help_heading = "Which logs")]
    pub since: Option<crate::model::time::Micros>,
    /// Only events before this time (as `before:`)
    #[arg(long, value_name = "TIME", value_parser = parse_time, help_heading = "Which logs")]
    pub until: Option<crate::model::time::Micros>,
    /// Keep fetched S3 objects here (BUCKET/KEY, with their metadata); later runs fetch only what is missing
    #[arg(long, value_name = "DIR", help_heading = "Which logs")]
    pub cache: Option<PathBuf>,
    /// The AWS profile for s3:// paths (else the standard chain: AWS_PROFILE, environment, SSO, instance role…)
    #[arg(long, value_name = "NAME", help_heading = "Which logs")]
    pub profile: Option<String>,
    /// Stop loading when trailscope holds this much memory (12G, 800M; 0: no limit). Default: what it holds plus 3/4 of what the system has available at start
    #[arg(long, value_name = "SIZE", value_parser = crate::loader::memory::parse_size, help_heading = "Which logs")]
    pub memory_limit: Option<u64>,
}

fn parse_time(s: &str) -> Result<crate::model::time::Micros, String> {
    crate::model::time::parse_bound(s)
        .ok_or_else(|| "a time such as 2024-03-02, 2024-03-02T10:30 or 2024-03-02T10:30:00Z".into())
}

impl SourceArgs {
    /// Resident bytes at which loading stops (see `--memory-limit`).
    pub fn memory_limit(&self) -> Option<u64> {
        match self.memory_limit {
            Some(0) => None,
            Some(limit) => Some(limit),
            None => crate::loader::memory::default_limit(),
        }
    }

    /// The source options for these flags, narrowed by what the query asks
    /// for: `after:`/`before:`, `region:` and `recipientaccountid:` terms
    /// (`account:` also matches the caller's account, which lives in other
    /// accounts' folders, so it does not prune).
    pub fn options(&self, query: Option<&crate::query::Query>) -> crate::source::Options {
        use crate::model::fields::Field;
        use crate::model::glob::Glob;
        use crate::query::ast::{Target, TermKind};
        let mut cut = crate::source::layout::Cut {
            accounts: self.account.iter().map(|a| Glob::new(a)).collect(),
            regions: self.region.iter().map(|r| Glob::new(r)).collect(),
            since: self.since,
            until: self.until,
            late: None,
        };
        if let Some(q) = query {
            (cut.since, cut.until) = q.within(cut.since, cut.until);
        }
        for term in query.map_or(&[][..], |q| &q.terms[..]).iter().filter(|t| !t.negated) {
            match &term.kind {
                // The events are filtered exactly by the query afterwards: the first
                // term of a kind is enough to cut by, and a flag already cuts.
                TermKind::Match { target: Target::Fields { fields, .. }, value }
                    if fields[..] == [Field::Region] && cut.regions.is_empty() =>
                {
                    cut.regions.push(value.clone())
                }
                TermKind::Match { target: Target::Fields { fields, .. }, value }
                    if fields[..] == [Field::Account] && cut.accounts.is_empty() =>
                {
                    cut.accounts.push(value.clone())
                }
                _ => {}
            }
        }
        crate::source::Options { cut, cache: self.cache.clone(), profile: self.profile.clone() }
    }
}

#[derive(Subcommand, Debug)]
pub enum AthenaCommand {
    /// Print the CREATE TABLE for a trail bucket (AWS's CloudTrail schema, partition projection)
    #[command(
        after_help = "Examples:\n  trailscope athena ddl --bucket my-trail --account 111122223333\n  trailscope athena ddl --bucket org-trail --org o-abc123 --account 111122223333 --account 444455556666 --table org_trail\n\nPartitions are projected by account, region and delivery day (AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD),\nso no partition is ever added by hand; queries from `athena sql` give predicates on all three."
    )]
    Ddl(AthenaDdlArgs),
    /// Translate a query to Athena SQL (Trino) over that table, with its partition predicates
    #[command(
        after_help = "Examples:\n  trailscope athena sql -q 'name:StopLogging' --since 2024-03-01\n  trailscope athena sql -q 'recipientaccountid:111122223333 region:eu-west-1 error:AccessDenied* after:2024-03-02'\n\nThe SQL selects exactly the events trailscope's query selects. Days come from the time range (a day\nof slack at the end: folders are named by delivery), accounts from recipientaccountid: and regions\nfrom region:. Terms only trailscope answers (fuzzy words, rule:, origin:, session:, new:, incident:,\nissued:) are refused by name: load the cut, then apply them in trailscope."
    )]
    Sql(AthenaSqlArgs),
    /// Run the query in Athena, save which events matched, then explore them
    #[command(
        after_help = "Examples:\n  trailscope athena run -q 'name:StopLogging' --since 2024-03-01 --workgroup primary\n  trailscope athena run -q 'actor:Admin/*' --workgroup ir --database trails --save cut.json --no-explore\n  trailscope incidents cut.json\n\nAthena returns the eventID and the S3 object (\"$path\") of each match; trailscope then fetches\nthose objects (with --cache, once) and keeps only the matches, so the events are CloudTrail's own,\ncomplete, and can be verified against their digests. The saved result is a source like any other:\nevery command and the explorer read it. AWS credentials come from the standard chain (or --profile)."
    )]
    Run(AthenaRunArgs),
}

#[derive(Args, Debug)]
pub struct AthenaRunArgs {
    #[command(flatten)]
    pub sql: AthenaSqlArgs,
    /// The Athena workgroup to run in
    #[arg(long)]
    pub workgroup: String,
    /// The database (Glue catalog) holding the table
    #[arg(long, default_value = "default")]
    pub database: String,
    /// Where Athena writes its result files (s3://…), when the workgroup does not set it
    #[arg(long, value_name = "S3_URL")]
    pub output: Option<String>,
    /// Save which events matched here (default: athena-EXECUTION.json in the current folder)
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Only save the result; do not open the explorer
    #[arg(long)]
    pub no_explore: bool,
    /// Keep fetched S3 objects here (BUCKET/KEY, with their metadata); later runs fetch only what is missing
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// The AWS profile (else the standard chain: AWS_PROFILE, environment, SSO, instance role…)
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
}

#[derive(Args, Debug)]
pub struct AthenaDdlArgs {
    /// The trail's bucket
    #[arg(long)]
    pub bucket: String,
    /// The trail's key prefix, before AWSLogs/
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// The organization ID of an organization trail (o-…)
    #[arg(long, value_name = "ORGID")]
    pub org: Option<String>,
    /// An account whose logs the trail holds (repeatable)
    #[arg(long, value_name = "ID", required = true)]
    pub account: Vec<String>,
    /// A region to project (repeatable; default: every region)
    #[arg(long)]
    pub region: Vec<String>,
    /// The table's name
    #[arg(long, default_value = "cloudtrail_logs")]
    pub table: String,
    /// The first day of the projection
    #[arg(long, value_name = "DATE", value_parser = parse_time, default_value = "2013-11-01")]
    pub since: crate::model::time::Micros,
}

#[derive(Args, Debug)]
pub struct AthenaSqlArgs {
    /// The query (see `trailscope --help` for the language)
    #[arg(short, long, value_name = "QUERY", allow_hyphen_values = true)]
    pub query: Option<String>,
    /// The table's name
    #[arg(long, default_value = "cloudtrail_logs")]
    pub table: String,
    /// Only events at or after this time
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<crate::model::time::Micros>,
    /// Only events before this time
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<crate::model::time::Micros>,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The output of `aws cloudtrail list-public-keys` (repeatable: one file per region is fine)
    #[arg(long = "public-keys", value_name = "FILE")]
    pub public_keys: Vec<PathBuf>,
    /// The report as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub inputs: Inputs,
}
