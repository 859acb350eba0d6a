//! The walk over digest files: each read and placed, copies told apart,
//! chains (one per account, region, trail, and apart for backfill digests)
//! linked by their `previousDigest*` fields, gaps found, and signatures
//! checked where a signature and a key are at hand.

use super::digest::{Digest, Listed, Previous};
use super::encoding::unhex;
use super::inflate;
use super::keys::Keys;
use super::report::{Draft, Finding, Kind};
use crate::model::time::{Micros, format_utc};
use crate::source::layout::{self, Name};
use crate::source::{Item, Source, describe};
use std::collections::{BTreeMap, HashMap};

const HOUR: Micros = layout::HOUR;
const UNKNOWN: &str = "unknown";

/// What `verify` says when it was given no keys.
pub const NO_KEYS: &str = "no public keys: pass --public-keys FILE from `aws cloudtrail list-public-keys`";

/// A digest file as read.
pub struct DigestFile {
    pub item: Item,
    pub content: Result<Content, Trouble>,
}

pub struct Content {
    pub digest: Digest,
    /// Hex SHA-256 of the inflated content (what the next digest records
    /// and the signature signs).
    pub sha256: String,
    /// The object's user metadata; None where the copy keeps none.
    pub metadata: Option<BTreeMap<String, String>>,
    /// Whether it was found where it says CloudTrail wrote it.
    pub in_place: bool,
}

pub enum Trouble {
    Unreadable(String),
    Invalid(String),
}

/// Fetches and reads a digest file.
pub fn read(source: &dyn Source, item: Item) -> DigestFile {
    let content = match source.fetch(&item) {
        Err(e) => Err(Trouble::Unreadable(describe(&e))),
        Ok(fetched) => inflate::digest_content(&fetched.bytes)
            .and_then(|text| {
                let digest = Digest::parse(&text)?;
                Ok(Content {
                    sha256: inflate::sha256_hex(&text),
                    in_place: is_at(&item, &digest.bucket, &digest.key),
                    digest,
                    metadata: fetched.metadata,
                })
            })
            .map_err(Trouble::Invalid),
    };
    DigestFile { item, content }
}

/// The last segment of a name: other digests are named by it in reasons.
fn short(name: &str) -> &str {
    name.rsplit(['/', '\\']).next().unwrap_or(name)
}

/// Whether an item is the object `bucket`/`key`: exactly, when the item
/// knows where it came from; else its path must end with the key at a `/`.
pub fn is_at(item: &Item, bucket: &str, key: &str) -> bool {
    match &item.origin {
        Some(o) => o.bucket == bucket && o.key == key,
        None => {
            let place = item.place();
            place == key || place.strip_suffix(key).is_some_and(|p| p.ends_with('/'))
        }
    }
}

/// The account and region of a place in the trail layout.
pub fn region_of(place: &str) -> (String, String) {
    layout::parse(place).map_or((UNKNOWN.into(), UNKNOWN.into()), |k| (k.account, k.region))
}

/// Which chain a digest belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ChainKey {
    account: String,
    region: String,
    trail: String,
    home_region: String,
    backfill: bool,
}

impl ChainKey {
    /// From the key the digest says it was written to (signed), else from
    /// where it was found.
    fn of(c: &Content, item: &Item) -> ChainKey {
        match layout::parse(&c.digest.key).or_else(|| layout::parse(&item.place())) {
            Some(layout::Key { account, region, name: Name::Digest { trail, home_region, backfill, .. }, .. }) => {
                ChainKey { account, region, trail, home_region, backfill }
            }
            _ => ChainKey {
                account: if c.digest.account.is_empty() { UNKNOWN.into() } else { c.digest.account.clone() },
                region: UNKNOWN.into(),
                trail: String::new(),
                home_region: String::new(),
                backfill: false,
            },
        }
    }

    fn region(&self) -> (&str, &str) {
        (&self.account, &self.region)
    }
}

/// A log file a digest lists, with that digest.
pub struct ListedIn {
    pub entry: Listed,
    /// The listing digest's file name.
    pub digest: String,
    pub start: Micros,
    pub end: Micros,
    pub account: String,
    pub region: String,
}

/// What the walk hands to the log file checks.
pub struct Walked {
    pub listed: Vec<ListedIn>,
    /// Per account and region, the spans digests cover, sorted and merged.
    pub coverage: HashMap<(String, String), Vec<(Micros, Micros)>>,
}

/// How a digest's signature fared.
enum Signature {
    Verified,
    Failed,
    Unverifiable(String),
}

/// What the walk learns about one digest (a primary copy).
#[derive(Default)]
struct State {
    /// Why it is not what CloudTrail wrote.
    modified: Vec<String>,
    /// The digest that names it as the one before.
    successor: Option<usize>,
}

/// Walks the digest files: fills the report's digest counts and findings,
/// and returns what the digests list and cover.
pub fn walk(files: Vec<DigestFile>, keys: &Keys, draft: &mut Draft) -> Walked {
    // Files that could not be read or are not digests: reported, and known
    // by place so that a pointer to one is not also called a gap.
    let mut damaged: Vec<&Item> = Vec::new();
    let mut copies: BTreeMap<(&str, &str), Vec<usize>> = BTreeMap::new();
    for (i, f) in files.iter().enumerate() {
        match &f.content {
            Ok(c) => copies.entry((&c.digest.bucket, &c.digest.key)).or_default().push(i),
            Err(trouble) => {
                damaged.push(&f.item);
                let (account, region) = region_of(&f.item.place());
                let counts = &mut draft.region((&account, &region)).digests;
                counts.found += 1;
                let (kind, why) = match trouble {
                    Trouble::Unreadable(why) => {
                        counts.unreadable += 1;
                        (Kind::DigestUnreadable, format!("could not be read: {why}"))
                    }
                    Trouble::Invalid(why) => {
                        counts.modified += 1;
                        (Kind::DigestModified, why.clone())
                    }
                };
                let mut finding = Finding::new(kind, (&account, &region), why).file(&f.item.name);
                if let Some(k) = layout::parse(&f.item.place()) {
                    finding = finding.span(k.name.time() - HOUR, k.name.time());
                }
                draft.findings.push(finding);
            }
        }
    }
    let content = |i: usize| files[i].content.as_ref().ok();

    // One copy of each digest takes part in its chain: the one in its place.
    let mut chains: BTreeMap<ChainKey, Vec<usize>> = BTreeMap::new();
    for group in copies.values() {
        let mut group = group.clone();
        group.sort_by_key(|&i| (!content(i).is_some_and(|c| c.in_place), files[i].item.name.clone()));
        let Some(&primary) = group.first() else { continue };
        let Some(p) = content(primary) else { continue };
        let key = ChainKey::of(p, &files[primary].item);
        for &i in &group {
            let Some(c) = content(i) else { continue };
            if i != primary && c.in_place && c.sha256 == p.sha256 {
                // The same file reached through two inputs.
                continue;
            }
            let counts = &mut draft.region(key.region()).digests;
            counts.found += 1;
            let d = &c.digest;
            if i != primary && c.in_place {
                counts.modified += 1;
                draft.findings.push(
                    Finding::new(
                        Kind::DigestModified,
                        key.region(),
                        format!("another copy of this digest differs from it: {}", files[primary].item.name),
                    )
                    .file(&files[i].item.name)
                    .span(d.start, d.end),
                );
            } else if !c.in_place {
                if i != primary {
                    counts.wrong_location += 1;
                }
                draft.findings.push(
                    Finding::new(
                        Kind::DigestWrongLocation,
                        key.region(),
                        format!(
                            "it says CloudTrail wrote it to s3://{}/{}: a digest found elsewhere proves nothing there",
                            d.bucket, d.key
                        ),
                    )
                    .file(&files[i].item.name)
                    .span(d.start, d.end),
                );
            }
        }
        chains.entry(key).or_default().push(primary);
    }

    // Primaries by the key they were written to, for the previous pointers.
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for &i in chains.values().flatten() {
        if let Some(c) = content(i) {
            by_key.entry(&c.digest.key).or_default().push(i);
        }
    }
    let lookup = |d: &Digest, p: &Previous| -> Option<(usize, &Content)> {
        let bucket = p.bucket.as_deref().unwrap_or(&d.bucket);
        by_key
            .get(p.key.as_str())?
            .iter()
            .find_map(|&i| content(i).filter(|c| c.digest.bucket == bucket).map(|c| (i, c)))
    };

    let mut states: HashMap<usize, State> = HashMap::new();
    let mut listed = Vec::new();
    let mut spans: HashMap<(String, String), Vec<(Micros, Micros)>> = HashMap::new();
    for (key, chain) in chains.iter_mut() {
        chain.sort_by_key(|&i| content(i).map(|c| (c.digest.end, c.digest.start)));
        for (j, &i) in chain.iter().enumerate() {
            let Some(c) = content(i) else { continue };
            let d = &c.digest;
            let name = &files[i].item.name;
            let before = j.checked_sub(1).and_then(|k| content(chain[k]));
            match (&d.previous, before) {
                (None, None) => {}
                (None, Some(b)) => draft.findings.push(
                    Finding::new(
                        Kind::LoggingRestarted,
                        key.region(),
                        format!(
                            "a new chain starts here: no digest covers {} to {} (logging or log file validation was off)",
                            format_utc(b.digest.end),
                            format_utc(d.start)
                        ),
                    )
                    .file(name)
                    .span(b.digest.end, d.start),
                ),
                (Some(p), _) => match lookup(d, p) {
                    Some((t, tc)) => {
                        states.entry(t).or_default().successor.get_or_insert(i);
                        if p.sha256.as_ref().is_some_and(|h| *h != tc.sha256) {
                            states.entry(t).or_default().modified.push(format!(
                                "its content does not match the hash the next digest recorded for it ({})",
                                short(name)
                            ));
                        }
                        if tc.digest.end != d.start {
                            draft.findings.push(
                                Finding::new(
                                    Kind::ChainBreak,
                                    key.region(),
                                    format!(
                                        "it starts at {} but the digest before it ({}) ends at {}",
                                        format_utc(d.start),
                                        short(&files[t].item.name),
                                        format_utc(tc.digest.end)
                                    ),
                                )
                                .file(name)
                                .span(tc.digest.end.min(d.start), d.start.max(tc.digest.end)),
                            );
                        }
                    }
                    None if damaged.iter().any(|item| is_at(item, p.bucket.as_deref().unwrap_or(&d.bucket), &p.key)) => {}
                    None => match before {
                        None => draft.findings.push(
                            Finding::new(
                                Kind::ChainContinuesEarlier,
                                key.region(),
                                format!(
                                    "the digest before the oldest one read is not among the inputs: the chain goes on \
                                     before {}, and nothing before was checked",
                                    format_utc(d.start)
                                ),
                            )
                            .file(&p.key),
                        ),
                        Some(b) => {
                            let from = if b.digest.end <= d.start { b.digest.end } else { d.start - HOUR };
                            let hours = ((d.start - from) as f64 / HOUR as f64).round().max(1.0) as u64;
                            draft.region(key.region()).digests.missing += hours;
                            draft.findings.push(
                                Finding::new(
                                    Kind::DigestMissing,
                                    key.region(),
                                    format!(
                                        "missing: {} names it as the digest before; no digest covers these hours",
                                        short(name)
                                    ),
                                )
                                .file(&p.key)
                                .span(from, d.start)
                                .count(hours),
                            );
                        }
                    },
                },
            }
            spans.entry((key.account.clone(), key.region.clone())).or_default().push((d.start, d.end));
            for entry in &d.logs {
                listed.push(ListedIn {
                    entry: entry.clone(),
                    digest: short(name).to_string(),
                    start: d.start,
                    end: d.end,
                    account: key.account.clone(),
                    region: key.region.clone(),
                });
            }
        }
    }

    // Signatures, and each digest's outcome.
    let mut reasons: Vec<String> = Vec::new();
    for (key, chain) in &chains {
        let mut unverifiable: Vec<(usize, String)> = Vec::new();
        let mut empty: Vec<usize> = Vec::new();
        for &i in chain {
            let Some(c) = content(i) else { continue };
            let state = states.entry(i).or_default();
            let recorded = state.successor.and_then(content).and_then(|s| s.digest.previous_signature.as_deref());
            let signature = signature(c, recorded, keys, &mut state.modified);
            match &signature {
                Signature::Verified => draft.signatures.verified += 1,
                Signature::Failed => draft.signatures.failed += 1,
                Signature::Unverifiable(_) => draft.signatures.unverifiable += 1,
            }
            let d = &c.digest;
            if !state.modified.is_empty() {
                draft.findings.push(
                    Finding::new(Kind::DigestModified, key.region(), state.modified.join("; "))
                        .file(&files[i].item.name)
                        .span(d.start, d.end),
                );
            }
            let counts = &mut draft.region(key.region()).digests;
            if !state.modified.is_empty() {
                counts.modified += 1;
            } else if !c.in_place {
                counts.wrong_location += 1;
            } else if let Signature::Unverifiable(why) = signature {
                counts.unverifiable += 1;
                unverifiable.push((i, why));
            } else {
                counts.verified += 1;
            }
            if d.logs.is_empty() {
                counts.empty += 1;
                empty.push(i);
            }
        }
        // Runs in chain order: one finding for hours of empty digests, one
        // per reason for signatures not checked.
        let runs = |members: &[usize]| -> Vec<(usize, usize)> {
            let pos: HashMap<usize, usize> = chain.iter().enumerate().map(|(p, &i)| (i, p)).collect();
            let mut runs: Vec<(usize, usize)> = Vec::new();
            for &i in members {
                match runs.last_mut() {
                    Some((_, last)) if pos[&*last] + 1 == pos[&i] => *last = i,
                    _ => runs.push((i, i)),
                }
            }
            runs
        };
        let span_of = |first: usize, last: usize| {
            (content(first).map_or(0, |c| c.digest.start), content(last).map_or(0, |c| c.digest.end))
        };
        let count = |first: usize, last: usize| {
            let pos = |x: usize| chain.iter().position(|&i| i == x).unwrap_or(0);
            (pos(last) - pos(first) + 1) as u64
        };
        for (first, last) in runs(&empty) {
            let (from, to) = span_of(first, last);
            let n = count(first, last);
            let mut f = Finding::new(
                Kind::EmptyDigest,
                key.region(),
                if n == 1 {
                    "no log files were delivered in this hour (the digest lists none)".to_string()
                } else {
                    format!("no log files were delivered in these hours ({n} digests list none)")
                },
            )
            .span(from, to)
            .count(n);
            if n == 1 {
                f = f.file(&files[first].item.name);
            }
            draft.findings.push(f);
        }
        let mut here: Vec<&String> = unverifiable.iter().map(|(_, w)| w).collect();
        here.sort();
        here.dedup();
        reasons.extend(here.iter().map(|w| w.to_string()));
        for why in here {
            let members: Vec<usize> = unverifiable.iter().filter(|(_, w)| w == why).map(|(i, _)| *i).collect();
            for (first, last) in runs(&members) {
                let (from, to) = span_of(first, last);
                let n = count(first, last);
                let mut f = Finding::new(Kind::SignaturesUnverifiable, key.region(), format!("not checked: {why}"))
                    .span(from, to)
                    .count(n);
                if n == 1 {
                    f = f.file(&files[first].item.name);
                }
                draft.findings.push(f);
            }
        }
    }
    reasons.sort();
    reasons.dedup();
    draft.signatures.note = match &reasons[..] {
        [] => None,
        _ if keys.is_empty() => Some(format!("{NO_KEYS} (trailscope does not fetch them itself)")),
        [why] => Some(format!("not checked: {why}")),
        _ => Some("why each was not checked is in the signatures-unverifiable findings".into()),
    };

    let mut coverage = HashMap::new();
    for (region, mut s) in spans {
        s.sort();
        let mut merged: Vec<(Micros, Micros)> = Vec::new();
        for (a, b) in s {
            match merged.last_mut() {
                Some((_, end)) if a <= *end => *end = (*end).max(b),
                _ => merged.push((a, b)),
            }
        }
        let r = draft.region((&region.0, &region.1));
        let covered: Micros = merged.iter().map(|(a, b)| b - a).sum();
        r.hours = (covered as f64 / HOUR as f64).round() as u64;
        r.first = merged.first().map(|m| m.0);
        r.last = merged.last().map(|m| m.1);
        coverage.insert(region, merged);
    }
    Walked { listed, coverage }
}

/// Checks a digest's signature: its own (S3 metadata) or, in a copy
/// without metadata, the one its successor recorded. Adds to `modified`
/// when the two disagree or the signature does not verify.
fn signature(c: &Content, recorded: Option<&str>, keys: &Keys, modified: &mut Vec<String>) -> Signature {
    let meta = |name: &str| c.metadata.as_ref().and_then(|m| m.get(name)).map(String::as_str).filter(|s| !s.is_empty());
    let own = meta("signature");
    if let (Some(a), Some(b)) = (own, recorded)
        && unhex(a) != unhex(b)
    {
        modified.push("its signature (S3 metadata) differs from the one the next digest recorded for it".into());
    }
    if let Some(a) = meta("signature-algorithm").or(c.digest.algorithm.as_deref())
        && !a.eq_ignore_ascii_case("SHA256withRSA")
    {
        return Signature::Unverifiable(format!("the signature algorithm is {a}, not SHA256withRSA"));
    }
    let Some(sig) = own.or(recorded) else {
        return Signature::Unverifiable(if c.metadata.is_some() {
            "no signature in the object's metadata, and no later digest records it".into()
        } else {
            "no signature: a copy without S3 metadata keeps none for the newest digest of a chain \
             (read it from S3, or from a --cache folder)"
                .into()
        });
    };
    if keys.is_empty() {
        return Signature::Unverifiable(NO_KEYS.into());
    }
    let Some(key) = keys.get(&c.digest.fingerprint) else {
        return Signature::Unverifiable(format!(
            "no public key with fingerprint {} among those given (list-public-keys in the digest's region, \
             for the time it was written)",
            c.digest.fingerprint
        ));
    };
    match unhex(sig) {
        Some(bytes) if key.verifies(c.digest.string_to_sign(&c.sha256).as_bytes(), &bytes) => Signature::Verified,
        Some(_) => {
            modified.push(
                "its signature does not verify with CloudTrail's public key: its content, the location it records \
                 or its signature was changed"
                    .into(),
            );
            Signature::Failed
        }
        None => {
            modified.push("its signature is not hex".into());
            Signature::Failed
        }
    }
}
