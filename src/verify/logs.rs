//! Log files against the digests: each listed file found among the inputs
//! and hashed (on several threads), listed files that are missing, and
//! files present that no digest lists.
//!
//! The unlisted rule: a log file present but listed in no digest is
//! `log-unlisted` (a failure) only when its delivery minute, from its name,
//! lies wholly within the hours the digests read for its account and region
//! cover. Files delivered after the newest digest ends are "not yet
//! covered", before the oldest starts or in a gap "not covered": counted and
//! summed up in `logs-not-covered` notices, not failures.

use super::chain::{ListedIn, Walked};
use super::inflate;
use super::progress::Progress;
use super::report::{Draft, Finding, Kind};
use crate::model::time::{Micros, format_utc};
use crate::source::layout::{self, Cut, Family};
use crate::source::{Item, Source, describe};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering::Relaxed;

const MINUTE: Micros = 60_000_000;

enum Hashed {
    Sha256(String),
    Invalid(String),
    Unreadable(String),
}

/// Where log files delivered outside the digests' hours fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Outside {
    NoDigests,
    Before,
    Gap,
    After,
}

/// The last segment of a place.
fn file_name(place: &str) -> &str {
    place.rsplit('/').next().unwrap_or(place)
}

/// Checks the log files: fills the report's log counts and findings.
pub fn check(
    sources: &[Box<dyn Source>],
    items: &[(usize, Item)],
    walked: &Walked,
    cut: &Cut,
    workers: usize,
    progress: &Progress,
    draft: &mut Draft,
) {
    // Items by where they came from, or by file name where that is unknown.
    let places: Vec<String> = items.iter().map(|(_, item)| item.place()).collect();
    let mut by_origin: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, item)) in items.iter().enumerate() {
        match &item.origin {
            Some(o) => by_origin.entry((&o.bucket, &o.key)).or_default().push(i),
            None => by_name.entry(file_name(&places[i])).or_default().push(i),
        }
    }
    let find = |e: &ListedIn| -> Vec<usize> {
        let mut found = by_origin.get(&(e.entry.bucket.as_str(), e.entry.key.as_str())).cloned().unwrap_or_default();
        for &i in by_name.get(file_name(&e.entry.key)).into_iter().flatten() {
            if super::chain::is_at(&items[i].1, &e.entry.bucket, &e.entry.key) {
                found.push(i);
            }
        }
        found
    };

    // Which entries each item answers; entries with none are missing.
    let mut entries_of: BTreeMap<usize, Vec<&ListedIn>> = BTreeMap::new();
    let mut missing: HashSet<&str> = HashSet::new();
    for e in &walked.listed {
        // A file outside the cut was not listed from the source: not asked about.
        if !cut.wants_file(&e.entry.key) {
            continue;
        }
        draft.region((&e.account, &e.region)).logs.listed += 1;
        let found = find(e);
        if found.is_empty() {
            if missing.insert(&e.entry.key) {
                draft.region((&e.account, &e.region)).logs.missing += 1;
                draft.findings.push(
                    Finding::new(
                        Kind::LogMissing,
                        (&e.account, &e.region),
                        format!("listed in digest {} but not among the inputs", e.digest),
                    )
                    .file(&e.entry.key)
                    .span(e.start, e.end),
                );
            }
            continue;
        }
        for i in found {
            entries_of.entry(i).or_default().push(e);
        }
    }

    let jobs: Vec<usize> = entries_of.keys().copied().collect();
    progress.logs_total.store(jobs.len() as u64, Relaxed);
    let hashed = super::work::map(&jobs, workers, |&i| {
        let (s, item) = &items[i];
        let out = match sources[*s].fetch(item) {
            Err(e) => Hashed::Unreadable(describe(&e)),
            Ok(f) => {
                progress.bytes.fetch_add(f.bytes.len() as u64, Relaxed);
                match inflate::content_sha256(&f.bytes) {
                    Ok(h) => Hashed::Sha256(h),
                    Err(why) => Hashed::Invalid(why),
                }
            }
        };
        progress.logs_done.fetch_add(1, Relaxed);
        out
    });

    for ((&i, entries), hashed) in entries_of.iter().zip(&hashed) {
        let item = &items[i].1;
        let Some(&e) = entries.first() else { continue };
        let region = (e.account.as_str(), e.region.as_str());
        let failure = match hashed {
            Hashed::Unreadable(why) => Some((Kind::LogUnreadable, format!("could not be read: {why}"), e)),
            Hashed::Invalid(why) => Some((Kind::LogModified, why.clone(), e)),
            Hashed::Sha256(h) => entries.iter().find(|e| e.entry.sha256.as_ref() != Some(h)).map(|e| {
                let why = match &e.entry.sha256 {
                    Some(_) => format!("its content does not match the hash in digest {}", e.digest),
                    None => format!(
                        "digest {} gives no SHA-256 hash for it (hash algorithm {})",
                        e.digest, e.entry.algorithm
                    ),
                };
                (Kind::LogModified, why, *e)
            }),
        };
        let counts = &mut draft.region(region).logs;
        match failure {
            None => counts.verified += 1,
            Some((kind, why, e)) => {
                if kind == Kind::LogUnreadable {
                    counts.unreadable += 1;
                } else {
                    counts.modified += 1;
                }
                draft.failed_logs.push(item.name.clone());
                draft.findings.push(Finding::new(kind, region, why).file(&item.name).span(e.start, e.end));
            }
        }
    }

    // Files no digest lists.
    let mut outside: BTreeMap<(String, String, Outside), (u64, Micros, Micros)> = BTreeMap::new();
    for (i, (_, item)) in items.iter().enumerate() {
        if entries_of.contains_key(&i) {
            continue;
        }
        let Some(k) = layout::parse(&places[i]).filter(|k| k.family == Family::Log) else {
            draft.other_files += 1;
            continue;
        };
        let t = k.name.time();
        let spans = walked.coverage.get(&(k.account.clone(), k.region.clone())).map_or(&[][..], Vec::as_slice);
        // The name gives the minute; delivery was somewhere within it.
        if spans.iter().any(|&(a, b)| a <= t && t + MINUTE <= b) {
            let region = (k.account.as_str(), k.region.as_str());
            draft.region(region).logs.unlisted += 1;
            draft.failed_logs.push(item.name.clone());
            draft.findings.push(
                Finding::new(
                    Kind::LogUnlisted,
                    region,
                    format!("delivered at {} within hours the digests cover, but no digest lists it", format_utc(t)),
                )
                .file(&item.name)
                .span(t, t + MINUTE),
            );
            continue;
        }
        let place = match (spans.first(), spans.last()) {
            (_, Some(last)) if t + MINUTE > last.1 => Outside::After,
            (Some(first), _) if t < first.0 => Outside::Before,
            (Some(_), _) => Outside::Gap,
            _ => Outside::NoDigests,
        };
        draft.region((&k.account, &k.region)).logs.uncovered += 1;
        let e = outside.entry((k.account, k.region, place)).or_insert((0, t, t));
        *e = (e.0 + 1, e.1.min(t), e.2.max(t));
    }
    for ((account, region, place), (n, first, last)) in outside {
        let spans = walked.coverage.get(&(account.clone(), region.clone())).map_or(&[][..], Vec::as_slice);
        let files = if n == 1 { "1 log file".to_string() } else { format!("{n} log files") };
        let why = match place {
            Outside::After => format!(
                "{files} delivered after the newest digest ends ({}): not yet covered by a digest, not checked",
                spans.last().map_or(String::new(), |s| format_utc(s.1))
            ),
            Outside::Before => format!(
                "{files} delivered before the oldest digest starts ({}): no digest read covers them, not checked",
                spans.first().map_or(String::new(), |s| format_utc(s.0))
            ),
            Outside::Gap => format!("{files} delivered in hours without a digest: not checked"),
            Outside::NoDigests => {
                format!("{files} but no digest file for this account and region: they cannot be checked")
            }
        };
        draft
            .findings
            .push(Finding::new(Kind::LogsNotCovered, (&account, &region), why).span(first, last + MINUTE).count(n));
    }
}
