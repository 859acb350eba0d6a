//! What `verify` found: counts per account and region, and the findings,
//! each with its kind, file, time range and a plain reason; rendered as
//! aligned text or as JSON.
//!
//! The JSON (`trailscope verify --json`) is one object:
//!
//! - `intact`: true when no finding is a failure.
//! - `verified_something`: true when at least one digest signature or log
//!   file was verified (a report can be intact having checked nothing).
//! - `signatures`: `verified`, `failed` and `unverifiable` digest signatures,
//!   `keys` (public keys given) and `note` (why some were not checked, or null).
//! - `summary` and `regions[]`: `account`, `region` (absent in `summary`),
//!   `first` and `last` (the span the digests cover, `YYYY-MM-DDTHH:MM:SSZ`),
//!   `hours` (hours covered by digests present), `digests` {`found`,
//!   `verified`, `unverifiable`, `modified`, `wrong_location`, `unreadable`,
//!   `missing` (hours without the digest the chain expects), `empty` (digests
//!   that list no file)} and `logs` {`listed` (entries in the digests read),
//!   `verified`, `modified`, `missing`, `unlisted`, `unreadable`, `uncovered`
//!   (present, listed nowhere, but delivered outside the hours the digests
//!   cover: not counted as unlisted)}.
//! - `findings[]`: `kind` (below), `failure` (bool), `account`, `region`,
//!   `file` (the item's name, or the key of what is missing; null for a
//!   summary), `from` and `to` (the time range, or null), `count` (files or
//!   digests it stands for), `reason` (plain words).
//! - `failed_logs[]`: names of log files present that failed (modified,
//!   unlisted, unreadable), for marking their events.
//! - `other_files`: files read that are not CloudTrail log files by name
//!   (nothing can list them; not checked).
//! - `problems[]`: inputs that could not be listed.
//!
//! Failures: `log-modified`, `log-missing`, `log-unlisted`, `log-unreadable`,
//! `digest-modified`, `digest-missing`, `digest-unreadable`,
//! `digest-wrong-location`, `chain-break`. Notices: `empty-digest`,
//! `logging-restarted`, `chain-continues-earlier`, `signatures-unverifiable`,
//! `logs-not-covered`.

use crate::model::time::{Micros, format_utc};
use crate::sanitize::visible;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A log file whose content is not what its digest lists (or that is
    /// not valid gzip, or has bytes after its gzip member).
    LogModified,
    /// A log file a digest lists that is not among the inputs.
    LogMissing,
    /// A log file delivered within hours the digests cover that no digest lists.
    LogUnlisted,
    LogUnreadable,
    /// A digest whose content or signature is not what CloudTrail wrote.
    DigestModified,
    /// Hours of a chain without their digest: the next digest points to one
    /// that is not there.
    DigestMissing,
    DigestUnreadable,
    /// A digest found elsewhere than where it says it was written.
    DigestWrongLocation,
    /// Two linked digests whose hours do not meet.
    ChainBreak,
    /// Digests that list no file: nothing was delivered in those hours.
    EmptyDigest,
    /// A digest that starts a new chain after an older one: logging was
    /// stopped (or validation turned off) in between.
    LoggingRestarted,
    /// The oldest digest read points to one before it that was not among
    /// the inputs (a copy or a cut that starts later).
    ChainContinuesEarlier,
    SignaturesUnverifiable,
    /// Log files listed nowhere and delivered outside the hours the digests
    /// cover (after the newest, before the oldest, in a gap).
    LogsNotCovered,
}

impl Kind {
    pub fn is_failure(self) -> bool {
        self < Kind::EmptyDigest
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::LogModified => "log-modified",
            Kind::LogMissing => "log-missing",
            Kind::LogUnlisted => "log-unlisted",
            Kind::LogUnreadable => "log-unreadable",
            Kind::DigestModified => "digest-modified",
            Kind::DigestMissing => "digest-missing",
            Kind::DigestUnreadable => "digest-unreadable",
            Kind::DigestWrongLocation => "digest-wrong-location",
            Kind::ChainBreak => "chain-break",
            Kind::EmptyDigest => "empty-digest",
            Kind::LoggingRestarted => "logging-restarted",
            Kind::ChainContinuesEarlier => "chain-continues-earlier",
            Kind::SignaturesUnverifiable => "signatures-unverifiable",
            Kind::LogsNotCovered => "logs-not-covered",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub failure: bool,
    pub account: String,
    pub region: String,
    pub file: Option<String>,
    #[serde(serialize_with = "time_text")]
    pub from: Option<Micros>,
    #[serde(serialize_with = "time_text")]
    pub to: Option<Micros>,
    pub count: Option<u64>,
    pub reason: String,
}

fn time_text<S: serde::Serializer>(t: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_utc(*t)),
        None => s.serialize_none(),
    }
}

impl Finding {
    pub fn new(kind: Kind, (account, region): (&str, &str), reason: impl Into<String>) -> Finding {
        Finding {
            kind,
            failure: kind.is_failure(),
            account: account.into(),
            region: region.into(),
            file: None,
            from: None,
            to: None,
            count: None,
            reason: reason.into(),
        }
    }

    pub fn file(mut self, file: impl Into<String>) -> Finding {
        self.file = Some(file.into());
        self
    }

    pub fn span(mut self, from: Micros, to: Micros) -> Finding {
        (self.from, self.to) = (Some(from), Some(to));
        self
    }

    pub fn count(mut self, n: u64) -> Finding {
        self.count = Some(n);
        self
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DigestCounts {
    pub found: u64,
    pub verified: u64,
    pub unverifiable: u64,
    pub modified: u64,
    pub wrong_location: u64,
    pub unreadable: u64,
    pub missing: u64,
    pub empty: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LogCounts {
    pub listed: u64,
    pub verified: u64,
    pub modified: u64,
    pub missing: u64,
    pub unlisted: u64,
    pub unreadable: u64,
    pub uncovered: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Region {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub account: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub region: String,
    #[serde(serialize_with = "time_text")]
    pub first: Option<Micros>,
    #[serde(serialize_with = "time_text")]
    pub last: Option<Micros>,
    pub hours: u64,
    pub digests: DigestCounts,
    pub logs: LogCounts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Signatures {
    pub verified: u64,
    pub failed: u64,
    pub unverifiable: u64,
    pub keys: usize,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub intact: bool,
    pub verified_something: bool,
    pub signatures: Signatures,
    pub summary: Region,
    pub regions: Vec<Region>,
    pub findings: Vec<Finding>,
    pub failed_logs: Vec<String>,
    pub other_files: u64,
    pub problems: Vec<String>,
}

/// A report being put together: regions by account and region.
#[derive(Debug, Default)]
pub struct Draft {
    pub regions: BTreeMap<(String, String), Region>,
    pub findings: Vec<Finding>,
    pub failed_logs: Vec<String>,
    pub other_files: u64,
    pub problems: Vec<String>,
    pub signatures: Signatures,
}

impl Draft {
    pub fn region(&mut self, (account, region): (&str, &str)) -> &mut Region {
        self.regions.entry((account.to_string(), region.to_string())).or_insert_with(|| Region {
            account: account.into(),
            region: region.into(),
            ..Region::default()
        })
    }

    pub fn finish(mut self) -> Report {
        self.findings.sort_by(|a, b| {
            (&a.account, &a.region, a.from, a.kind, &a.file).cmp(&(&b.account, &b.region, b.from, b.kind, &b.file))
        });
        self.failed_logs.sort();
        self.failed_logs.dedup();
        let regions: Vec<Region> = self.regions.into_values().collect();
        let mut totals = Region::default();
        for r in &regions {
            let (d, t) = (&r.digests, &mut totals.digests);
            t.found += d.found;
            t.verified += d.verified;
            t.unverifiable += d.unverifiable;
            t.modified += d.modified;
            t.wrong_location += d.wrong_location;
            t.unreadable += d.unreadable;
            t.missing += d.missing;
            t.empty += d.empty;
            let (l, t) = (&r.logs, &mut totals.logs);
            t.listed += l.listed;
            t.verified += l.verified;
            t.modified += l.modified;
            t.missing += l.missing;
            t.unlisted += l.unlisted;
            t.unreadable += l.unreadable;
            t.uncovered += l.uncovered;
            totals.hours += r.hours;
            totals.first = match (totals.first, r.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            totals.last = totals.last.max(r.last);
        }
        Report {
            intact: !self.findings.iter().any(|f| f.failure),
            verified_something: self.signatures.verified > 0 || totals.logs.verified > 0,
            signatures: self.signatures,
            summary: totals,
            regions,
            findings: self.findings,
            failed_logs: self.failed_logs,
            other_files: self.other_files,
            problems: self.problems,
        }
    }
}

/// Notices of one kind the text shows.
const NOTICES_SHOWN: usize = 5;

fn distinct<'a>(values: impl Iterator<Item = &'a String>) -> u64 {
    values.collect::<std::collections::BTreeSet<_>>().len() as u64
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", crate::format::thousands(n), if n == 1 { one } else { many })
}

/// `5 verified, 1 modified`: the counts that are not zero.
fn cells(parts: &[(u64, &str)]) -> String {
    let s: Vec<String> =
        parts.iter().filter(|(n, _)| *n > 0).map(|(n, w)| format!("{} {w}", crate::format::thousands(*n))).collect();
    if s.is_empty() { "none".into() } else { s.join(", ") }
}

fn digest_cell(d: &DigestCounts) -> String {
    cells(&[
        (d.verified, "verified"),
        (d.unverifiable, "unverifiable"),
        (d.modified, "modified"),
        (d.wrong_location, "moved"),
        (d.unreadable, "unreadable"),
        (d.missing, "missing"),
    ])
}

fn log_cell(l: &LogCounts) -> String {
    cells(&[
        (l.verified, "verified"),
        (l.modified, "modified"),
        (l.missing, "missing"),
        (l.unlisted, "unlisted"),
        (l.unreadable, "unreadable"),
        (l.uncovered, "not covered"),
    ])
}

/// A span as `2024-03-01T10:00:37Z – 11:00:37Z` (the date once when it is the same).
fn span(from: Option<Micros>, to: Option<Micros>) -> String {
    match (from, to) {
        (Some(a), Some(b)) => {
            let (a, b) = (format_utc(a), format_utc(b));
            if a[..10] == b[..10] { format!("{a} – {}", &b[11..]) } else { format!("{a} – {b}") }
        }
        (Some(a), None) => format_utc(a),
        _ => String::new(),
    }
}

impl Report {
    /// The report as text for a terminal: a table per account and region,
    /// the findings, how signatures were checked, and the verdict. Every
    /// name and reason from the data is made visible (no control character
    /// reaches the terminal).
    pub fn text(&self) -> String {
        let mut out = String::new();
        let t = &self.summary;
        out += &format!(
            "Checked {} and {} of {}, {}.\n",
            plural(t.digests.found, "digest file", "digest files"),
            plural(t.logs.verified + t.logs.modified + t.logs.unlisted + t.logs.unreadable, "log file", "log files"),
            plural(distinct(self.regions.iter().map(|r| &r.account)), "account", "accounts"),
            plural(distinct(self.regions.iter().map(|r| &r.region)), "region", "regions"),
        );
        if !self.regions.is_empty() {
            let rows: Vec<[String; 5]> = self
                .regions
                .iter()
                .map(|r| {
                    [
                        visible(&r.account).into_owned(),
                        visible(&r.region).into_owned(),
                        r.hours.to_string(),
                        digest_cell(&r.digests),
                        log_cell(&r.logs),
                    ]
                })
                .collect();
            let head = ["ACCOUNT", "REGION", "HOURS", "DIGESTS", "LOG FILES"].map(String::from);
            let width = |i: usize| rows.iter().chain([&head]).map(|r| r[i].chars().count()).max().unwrap_or(0);
            let w: Vec<usize> = (0..5).map(width).collect();
            out.push('\n');
            for r in [&head].into_iter().chain(&rows) {
                let line = format!(
                    "{:<a$}  {:<b$}  {:>c$}  {:<d$}  {}",
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    a = w[0],
                    b = w[1],
                    c = w[2],
                    d = w[3]
                );
                out += line.trim_end();
                out.push('\n');
            }
        }
        if !self.findings.is_empty() {
            let failures = self.findings.iter().filter(|f| f.failure).count();
            let notices = self.findings.len() - failures;
            out += &match (failures, notices) {
                (0, n) => format!("\nNotices ({n}):\n"),
                (f, 0) => format!("\nFailures ({f}):\n"),
                (f, n) => format!("\nFailures ({f}, marked !) and notices ({n}):\n"),
            };
            let kw = self.findings.iter().map(|f| f.kind.name().len()).max().unwrap_or(0);
            // Every failure is shown; notices (a quiet region has an empty
            // digest every hour) only the first few of each kind.
            let mut shown: BTreeMap<Kind, usize> = BTreeMap::new();
            for f in &self.findings {
                let n = shown.entry(f.kind).or_default();
                *n += 1;
                if !f.failure && *n > NOTICES_SHOWN {
                    continue;
                }
                let mark = if f.failure { "!" } else { " " };
                let mut first = format!("{mark} {:<kw$}", f.kind.name());
                let when = span(f.from, f.to);
                if !when.is_empty() {
                    first += &format!("  {when}");
                }
                if let Some(file) = &f.file {
                    first += &format!("  {}", visible(file));
                } else if !f.account.is_empty() {
                    first += &format!("  {} {}", visible(&f.account), visible(&f.region));
                }
                out += &format!("{first}\n  {:kw$}  {}\n", "", visible(&f.reason));
            }
            for (kind, n) in shown.iter().filter(|(k, n)| !k.is_failure() && **n > NOTICES_SHOWN) {
                out += &format!("  … {} more {} notices (--json lists them all)\n", n - NOTICES_SHOWN, kind.name());
            }
        }
        if !self.problems.is_empty() {
            out += "\nNot read:\n";
            for p in &self.problems {
                out += &format!("  {}\n", visible(p));
            }
        }
        if self.other_files > 0 {
            out += &format!(
                "\n{} not named like CloudTrail log files: not checked.\n",
                plural(self.other_files, "file was", "files were")
            );
        }
        let s = &self.signatures;
        out += &format!("\nSignatures: {} verified", crate::format::thousands(s.verified));
        if s.failed > 0 {
            out += &format!(", {} FAILED", crate::format::thousands(s.failed));
        }
        if s.unverifiable > 0 {
            out += &format!(", {} NOT CHECKED", crate::format::thousands(s.unverifiable));
        }
        out += ".\n";
        if let Some(note) = &s.note {
            out += &format!("  {}\n", visible(note));
        }
        out += &format!("\n{}\n", self.verdict());
        out
    }

    /// One line: intact or not, and what the failures are.
    pub fn verdict(&self) -> String {
        if !self.intact {
            let mut by_kind: BTreeMap<Kind, u64> = BTreeMap::new();
            for f in self.findings.iter().filter(|f| f.failure) {
                *by_kind.entry(f.kind).or_default() += f.count.unwrap_or(1);
            }
            let what: Vec<String> = by_kind.iter().map(|(k, n)| format!("{} {n}", k.name())).collect();
            return format!("INTEGRITY PROBLEMS FOUND: {}.", what.join(", "));
        }
        if self.summary.digests.found == 0 {
            return "No digest files among the inputs: nothing could be verified \
                    (is log file validation on for the trail?)."
                .into();
        }
        if !self.verified_something {
            return "Nothing could be verified.".into();
        }
        if self.signatures.unverifiable > 0 {
            return format!(
                "Intact as far as checked: no file was modified, missing or unlisted; {} NOT checked (see above).",
                plural(self.signatures.unverifiable, "digest signature was", "digest signatures were")
            );
        }
        "Intact: every digest and log file checked is as CloudTrail wrote it.".into()
    }

    /// The report as JSON, indented, safe to print on a terminal: the only
    /// raw new lines are the indentation's (strings have theirs escaped),
    /// and each line gets the escapes of [`crate::sanitize::json_for_terminal`].
    pub fn json(&self) -> String {
        let json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.lines()
            .map(|l| crate::sanitize::json_for_terminal(l.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_come_before_notices() {
        assert!(Kind::ChainBreak.is_failure());
        assert!(!Kind::EmptyDigest.is_failure());
        assert!(!Kind::LogsNotCovered.is_failure());
    }

    #[test]
    fn text_makes_data_visible_and_says_the_verdict() {
        let mut d = Draft::default();
        d.region(("111122223333", "us-east-1")).logs.verified = 3;
        d.findings.push(
            Finding::new(Kind::LogModified, ("111122223333", "us-east-1"), "bad\u{1b}[31m")
                .file("x\u{1b}]0;t\u{7}\u{202e}.json.gz")
                .span(0, 3_600_000_000),
        );
        let r = d.finish();
        assert!(!r.intact);
        let t = r.text();
        assert!(!t.contains('\u{1b}') && !t.contains('\u{7}'), "{t}");
        assert!(t.contains("x\\u001b]0;t\\u0007\\u202e.json.gz"), "{t}");
        assert!(t.contains("1970-01-01T00:00:00Z – 01:00:00Z"), "{t}");
        assert!(t.ends_with("INTEGRITY PROBLEMS FOUND: log-modified 1.\n"), "{t}");
        assert!(!r.json().contains('\u{202e}'), "{}", r.json());
        let j: serde_json::Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(j["findings"][0]["file"], "x\u{1b}]0;t\u{7}\u{202e}.json.gz", "the same value");
        assert_eq!(j["findings"][0]["kind"], "log-modified");
        assert_eq!(j["findings"][0]["from"], "1970-01-01T00:00:00Z");
        assert_eq!(j["summary"]["logs"]["verified"], 3);
    }
}
