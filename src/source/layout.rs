//! The key layout of a trail bucket, and cuts of it by account, region and
//! time:
//!
//! `[PREFIX/]AWSLogs/[o-ORG/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz`
//!
//! and beside it `CloudTrail-Digest/…/ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ[_backfill].json.gz`.
//! The same parse serves S3 keys, cached copies and local folders, so that
//! a cut prunes all of them alike, and `verify` reads digests by it.

use crate::model::glob::Glob;
use crate::model::time::{Micros, days_from_civil};

const MINUTE: Micros = 60_000_000;
pub const HOUR: Micros = 60 * MINUTE;
const DAY: Micros = 24 * HOUR;

/// What a trail writes under an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Log,
    Digest,
    Insight,
}

impl Family {
    pub fn folder(self) -> &'static str {
        match self {
            Family::Log => "CloudTrail",
            Family::Digest => "CloudTrail-Digest",
            Family::Insight => "CloudTrail-Insight",
        }
    }

    fn from_folder(s: &str) -> Option<Family> {
        [Family::Log, Family::Digest, Family::Insight].into_iter().find(|f| f.folder() == s)
    }
}

/// A key (or path) in the trail layout, read from its segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Everything before `AWSLogs/` (with its trailing `/`, or empty).
    pub prefix: String,
    pub org: Option<String>,
    pub account: String,
    pub family: Family,
    pub region: String,
    /// The day folder, as days since 1970-01-01.
    pub day: i64,
    pub name: Name,
}

/// What a file name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Name {
    /// A log (or insight) file delivered at this minute.
    Log { delivered: Micros },
    /// A digest covering the hour that ends at `end`.
    Digest { trail: String, home_region: String, end: Micros, backfill: bool },
}

impl Name {
    /// The time the name carries: delivery of a log, end of a digest.
    pub fn time(&self) -> Micros {
        match self {
            Name::Log { delivered } => *delivered,
            Name::Digest { end, .. } => *end,
        }
    }
}

/// Whether a file name is read as a log: `.json`, `.jsonl`, `.ndjson`, each
/// optionally followed by `.gz`, and plain `.gz`.
pub fn is_log_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n.strip_suffix(".gz").map(|s| (s, true)).unwrap_or((&n, false));
    n.1 || [".json", ".jsonl", ".ndjson"].iter().any(|ext| n.0.ends_with(ext))
}

/// Whether a path or key sits in a digest folder.
pub fn is_digest_path(p: &str) -> bool {
    p.split(['/', '\\']).any(|c| c == Family::Digest.folder())
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_org(s: &str) -> bool {
    s.len() > 2 && s.starts_with("o-") && s[2..].bytes().all(|b| b.is_ascii_alphanumeric())
}

fn is_region(s: &str) -> bool {
    !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn number(s: &str, len: usize) -> Option<u32> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse().ok()).flatten()
}

/// `YYYY/MM/DD` folders as a day number.
fn day_of(y: &str, m: &str, d: &str) -> Option<i64> {
    let (y, m, d) = (number(y, 4)?, number(m, 2)?, number(d, 2)?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then(|| days_from_civil(y as i64, m, d))
}

/// `YYYYMMDDTHHMMZ` (or with seconds) as a time.
fn stamp(s: &str) -> Option<Micros> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once('T')?;
    let day = day_of(date.get(..4)?, date.get(4..6)?, date.get(6..)?)?;
    let (h, m, sec) = match time.len() {
        4 => (number(&time[..2], 2)?, number(&time[2..], 2)?, 0),
        6 => (number(&time[..2], 2)?, number(&time[2..4], 2)?, number(&time[4..], 2)?),
        _ => return None,
    };
    (h < 24 && m < 60 && sec < 61).then(|| day * DAY + (h * 3600 + m * 60 + sec) as Micros * 1_000_000)
}

/// The segments of a path or key after its last `AWSLogs` folder, and what
/// came before (None outside the layout).
pub fn after_awslogs(path: &str) -> Option<(&str, Vec<&str>)> {
    let path = path.trim_start_matches('/');
    let at = if path.starts_with("AWSLogs/") { 0 } else { path.rfind("/AWSLogs/")? + 1 };
    Some((&path[..at], path[at + "AWSLogs/".len()..].split('/').collect()))
}

/// What a folder path (or key prefix) under `AWSLogs/` has told so far.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Partial<'a> {
    pub account: Option<&'a str>,
    pub family: Option<Family>,
    pub region: Option<&'a str>,
    /// Year, month, day as far as given.
    pub date: Vec<u32>,
}

/// Reads the folder segments after `AWSLogs` (without a file name). None when
/// they leave the layout.
pub fn partial<'a>(segments: &[&'a str]) -> Option<Partial<'a>> {
    let mut s = segments.iter().copied().filter(|s| !s.is_empty()).peekable();
    let mut p = Partial::default();
    if s.peek().is_some_and(|x| is_org(x)) {
        s.next();
    }
    let Some(account) = s.next() else { return Some(p) };
    is_account(account).then_some(())?;
    p.account = Some(account);
    let Some(family) = s.next() else { return Some(p) };
    p.family = Some(Family::from_folder(family)?);
    let Some(region) = s.next() else { return Some(p) };
    is_region(region).then_some(())?;
    p.region = Some(region);
    for (i, part) in s.enumerate() {
        let n = number(part, if i == 0 { 4 } else { 2 })?;
        if i >= 3 || (i == 1 && !(1..=12).contains(&n)) || (i == 2 && !(1..=31).contains(&n)) {
            return None;
        }
        p.date.push(n);
    }
    Some(p)
}

/// Parses a full key or path in the layout. None for anything else (a file
/// that merely sits in such a folder, a name that does not fit).
pub fn parse(path: &str) -> Option<Key> {
    let (prefix, segs) = after_awslogs(path)?;
    let (file, folders) = segs.split_last()?;
    let p = partial(folders)?;
    let (account, family, region) = (p.account?, p.family?, p.region?);
    let [y, m, d] = p.date[..] else { return None };
    let day = days_from_civil(y as i64, m, d);
    let org = folders.first().filter(|s| is_org(s)).map(|s| s.to_string());
    let base = file.strip_suffix(".json.gz").or_else(|| file.strip_suffix(".json"))?;
    let name = match family {
        Family::Log | Family::Insight => {
            let rest = base.strip_prefix(account)?.strip_prefix('_')?;
            let rest = rest.strip_prefix(if family == Family::Log { "CloudTrail_" } else { "CloudTrail-Insight_" })?;
            let rest = rest.strip_prefix(region)?.strip_prefix('_')?;
            let (when, unique) = rest.split_once('_')?;
            (!unique.is_empty()).then_some(())?;
            Name::Log { delivered: stamp(when)? }
        }
        Family::Digest => {
            let rest = base.strip_prefix(account)?.strip_prefix("_CloudTrail-Digest_")?;
            let rest = rest.strip_prefix(region)?.strip_prefix('_')?;
            let (rest, backfill) = match rest.strip_suffix("_backfill") {
                Some(r) => (r, true),
                None => (rest, false),
            };
            // The trail name may hold `_`: read from the right.
            let (rest, when) = rest.rsplit_once('_')?;
            let (trail, home_region) = rest.rsplit_once('_')?;
            (!trail.is_empty() && is_region(home_region)).then_some(())?;
            Name::Digest { trail: trail.into(), home_region: home_region.into(), end: stamp(when)?, backfill }
        }
    };
    Some(Key { prefix: prefix.into(), org, account: account.into(), family, region: region.into(), day, name })
}

/// Which part of a trail to read: accounts, regions (globs) and a time range
/// of events. Files are chosen by the delivery time in their names, with
/// slack on both sides; the events are then filtered exactly by the query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cut {
    pub accounts: Vec<Glob>,
    pub regions: Vec<Glob>,
    /// Events at or after this time.
    pub since: Option<Micros>,
    /// Events before this time.
    pub until: Option<Micros>,
    /// How late after its events a file may be delivered (None: [`LATE`]).
    pub late: Option<Micros>,
}

/// CloudTrail delivers a file about every 5 minutes with events of up to
/// about 15 minutes before; an hour of slack covers late deliveries (the same
/// margin as `aws cloudtrail validate-logs`).
pub const LATE: Micros = HOUR;
/// A file's name may be up to a few minutes earlier than its newest event
/// (names are cut to the minute, clocks differ).
const EARLY: Micros = 15 * MINUTE;

impl Cut {
    pub fn is_everything(&self) -> bool {
        self.accounts.is_empty() && self.regions.is_empty() && self.since.is_none() && self.until.is_none()
    }

    pub fn wants_account(&self, account: &str) -> bool {
        self.accounts.is_empty() || self.accounts.iter().any(|g| g.matches(account))
    }

    pub fn wants_region(&self, region: &str) -> bool {
        self.regions.is_empty() || self.regions.iter().any(|g| g.matches(region))
    }

    /// Whether an event is in the cut: its time in [since, until), and its
    /// account (recipientAccountId) and region among those asked for.
    pub fn admits(&self, time: Micros, account: Option<&str>, region: Option<&str>) -> bool {
        self.since.is_none_or(|s| time >= s)
            && self.until.is_none_or(|u| time < u)
            && (self.accounts.is_empty() || account.is_some_and(|a| self.wants_account(a)))
            && (self.regions.is_empty() || region.is_some_and(|r| self.wants_region(r)))
    }

    /// The delivery times a file with events in the cut can have, inclusive.
    pub fn delivery(&self) -> (Option<Micros>, Option<Micros>) {
        (self.since.map(|t| t - EARLY), self.until.map(|t| t + self.late.unwrap_or(LATE)))
    }

    /// Digests cover delivery hours: one ending up to an hour after the last
    /// delivery still lists files of the cut.
    fn digest_window(&self) -> (Option<Micros>, Option<Micros>) {
        let (from, to) = self.delivery();
        (from, to.map(|t| t + HOUR))
    }

    fn window(&self, family: Family) -> (Option<Micros>, Option<Micros>) {
        match family {
            Family::Digest => self.digest_window(),
            _ => self.delivery(),
        }
    }

    /// Whether a time span [lo, hi) can meet the window of `family`.
    fn meets(&self, family: Family, lo: Micros, hi: Micros) -> bool {
        let (from, to) = self.window(family);
        from.is_none_or(|f| hi > f) && to.is_none_or(|t| lo <= t)
    }

    /// Whether a folder (segments after `AWSLogs`) can hold files of the cut.
    /// Folders outside the layout are walked: they may hold anything.
    pub fn wants_folder(&self, segments: &[&str]) -> bool {
        let Some(p) = partial(segments) else { return true };
        if p.account.is_some_and(|a| !self.wants_account(a)) || p.region.is_some_and(|r| !self.wants_region(r)) {
            return false;
        }
        let Some(family) = p.family else { return true };
        match p.date[..] {
            [y] => self.meets(family, days_from_civil(y as i64, 1, 1) * DAY, days_from_civil(y as i64 + 1, 1, 1) * DAY),
            [y, m] => {
                let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                self.meets(
                    family,
                    days_from_civil(y as i64, m, 1) * DAY,
                    days_from_civil(next.0 as i64, next.1, 1) * DAY,
                )
            }
            [y, m, d] => {
                let day = days_from_civil(y as i64, m, d) * DAY;
                self.meets(family, day, day + DAY)
            }
            _ => true,
        }
    }

    /// [`Cut::wants_folder`] for a folder's path or a key prefix (`/`
    /// separated); a folder outside the layout is walked.
    pub fn wants_folder_at(&self, path: &str) -> bool {
        after_awslogs(path).is_none_or(|(_, segs)| self.wants_folder(&segs))
    }

    /// Whether a file can hold events of the cut (a digest: list files of
    /// it). Files outside the layout always can.
    pub fn wants_file(&self, path: &str) -> bool {
        let Some(k) = parse(path) else { return true };
        if !self.wants_account(&k.account) || !self.wants_region(&k.region) {
            return false;
        }
        let t = k.name.time();
        self.meets(k.family, t, t + 1)
    }

    /// The first key of a region's folder that the cut needs, for a listing
    /// that starts after it (keys sort by delivery time within a region).
    pub fn start_after(&self, region_prefix: &str, account: &str, family: Family, region: &str) -> Option<String> {
        let from = self.window(family).0?;
        let secs = from.div_euclid(1_000_000);
        let (y, m, d) = crate::model::time::civil_from_days(secs.div_euclid(86_400));
        let s = secs.rem_euclid(86_400);
        // Sorts just before any file delivered at `from` or later that day.
        Some(format!(
            "{region_prefix}{y:04}/{m:02}/{d:02}/{account}_{}_{region}_{y:04}{m:02}{d:02}T{:02}{:02}",
            family.folder(),
            s / 3600,
            s % 3600 / 60
        ))
    }

    /// Whether a listing of a region's folder (in key order) can stop at
    /// this key: it and every key after it are delivered too late.
    pub fn past_end(&self, key: &str) -> bool {
        match (parse(key), self.window(Family::Log).1) {
            (Some(k), Some(_)) => {
                let to = self.window(k.family).1.unwrap_or(Micros::MAX);
                // The day folder decides the order; a later day than the end is past it.
                (k.day * DAY > to) || k.name.time() > to
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::parse_event_time;

    const LOG: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1005Z_abcDEF0123456789.json.gz";
    const DIGEST: &str = "pre/fix/AWSLogs/o-abc123/111122223333/CloudTrail-Digest/eu-west-1/2024/03/01/111122223333_CloudTrail-Digest_eu-west-1_my_trail_us-east-1_20240301T110512Z_backfill.json.gz";

    fn t(s: &str) -> Micros {
        parse_event_time(s).unwrap()
    }

    #[test]
    fn log_and_digest_names() {
        for n in ["a.json", "a.json.gz", "A.JSONL", "x.ndjson.gz", "y.gz", "z.jsonl.gz", "a.Json.GZ"] {
            assert!(is_log_name(n), "{n}");
        }
        for n in ["EXPECTED.txt", "a.json.bak", "gz", "a.zip", "README.md", "x.json.gz.s3meta"] {
            assert!(!is_log_name(n), "{n}");
        }
        assert!(is_digest_path("AWSLogs/1/CloudTrail-Digest/x.json.gz") && is_digest_path("a\\CloudTrail-Digest\\x"));
        assert!(!is_digest_path("a/CloudTrail-Digests/x.json"));
    }

    #[test]
    fn reads_log_and_digest_keys() {
        let k = parse(LOG).unwrap();
        assert_eq!((k.prefix.as_str(), k.org, k.account.as_str()), ("", None, "111122223333"));
        assert_eq!((k.family, k.region.as_str()), (Family::Log, "us-east-1"));
        assert_eq!(k.name, Name::Log { delivered: t("2024-03-01T10:05:00Z") });
        let k = parse(&format!("/data/case 7/{LOG}")).unwrap();
        assert_eq!(k.prefix, "data/case 7/");
        let k = parse(DIGEST).unwrap();
        assert_eq!((k.prefix.as_str(), k.org.as_deref()), ("pre/fix/", Some("o-abc123")));
        assert_eq!(
            k.name,
            Name::Digest {
                trail: "my_trail".into(),
                home_region: "us-east-1".into(),
                end: t("2024-03-01T11:05:12Z"),
                backfill: true
            }
        );
    }

    #[test]
    fn refuses_what_leaves_the_layout() {
        for bad in [
            "AWSLogs/11112222333/CloudTrail/us-east-1/2024/03/01/x.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/13/01/111122223333_CloudTrail_us-east-1_20240301T1005Z_a.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/222233334444_CloudTrail_us-east-1_20240301T1005Z_a.json.gz",
            "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1005Z_.json.gz",
            "AWSLogs/111122223333/Other/us-east-1/2024/03/01/f.json.gz",
            "logs/111122223333/CloudTrail/us-east-1/2024/03/01/f.json.gz",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_cut_prunes_folders_and_files_with_slack() {
        let cut = Cut {
            accounts: vec![Glob::new("1111*")],
            regions: vec![Glob::new("us-*")],
            since: Some(t("2024-03-01T12:00:00Z")),
            until: Some(t("2024-03-01T23:30:00Z")),
            late: None,
        };
        assert!(cut.wants_folder(&["111122223333"]));
        assert!(!cut.wants_folder(&["222233334444"]));
        assert!(cut.wants_folder(&["o-abc", "111122223333", "CloudTrail", "us-west-2"]));
        assert!(!cut.wants_folder(&["111122223333", "CloudTrail", "eu-west-1"]));
        assert!(!cut.wants_folder(&["111122223333", "CloudTrail", "us-east-1", "2024", "02"]));
        assert!(cut.wants_folder(&["111122223333", "CloudTrail", "us-east-1", "2024", "03", "01"]));
        // Delivered the next day, within the hour of slack after the end.
        assert!(cut.wants_folder(&["111122223333", "CloudTrail", "us-east-1", "2024", "03", "02"]));
        assert!(!cut.wants_folder(&["111122223333", "CloudTrail", "us-east-1", "2024", "03", "03"]));
        assert!(cut.wants_folder(&["unrelated", "folder"]));
        let file = |when: &str| {
            format!(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_{when}_abcDEF0123456789.json.gz"
            )
        };
        assert!(!cut.wants_file(&file("20240301T1140Z")), "delivered well before the start");
        assert!(cut.wants_file(&file("20240301T1150Z")), "within the early slack");
        assert!(cut.wants_file(&file("20240302T0025Z")), "late delivery");
        assert!(!cut.wants_file(&file("20240302T0035Z")));
        assert!(cut.wants_file("notes/anything.json"));
        // Events: exactly in [since, until), in the accounts and regions asked for.
        let (s, u) = (t("2024-03-01T12:00:00Z"), t("2024-03-01T23:30:00Z"));
        assert!(cut.admits(s, Some("111122223333"), Some("us-east-1")));
        assert!(!cut.admits(s - 1, Some("111122223333"), Some("us-east-1")));
        assert!(!cut.admits(u, Some("111122223333"), Some("us-east-1")));
        assert!(!cut.admits(s, Some("222233334444"), Some("us-east-1")));
        assert!(!cut.admits(s, None, Some("us-east-1")), "an account was asked for");
        assert!(Cut::default().admits(s, None, None));
    }

    #[test]
    fn a_listing_starts_after_and_stops_past_the_end() {
        let cut =
            Cut { since: Some(t("2024-03-01T12:20:00Z")), until: Some(t("2024-03-01T13:00:00Z")), ..Cut::default() };
        let start =
            cut.start_after("AWSLogs/111122223333/CloudTrail/us-east-1/", "111122223333", Family::Log, "us-east-1");
        assert_eq!(
            start.as_deref(),
            Some(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/01/111122223333_CloudTrail_us-east-1_20240301T1205"
            )
        );
        assert!(LOG < start.as_deref().unwrap(), "a file delivered at 10:05 sorts before");
        assert!(!cut.past_end(LOG));
        assert!(cut.past_end(&LOG.replace("20240301T1005Z", "20240301T1401Z")));
        assert!(cut.past_end(&LOG.replace("2024/03/01", "2024/03/02").replace("20240301T1005Z", "20240302T0001Z")));
    }
}
