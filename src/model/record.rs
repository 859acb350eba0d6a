//! Picks the indexed fields out of one canonical record, as the field table
//! ([`super::fields`]) says: one pass over the top-level members, one over
//! `userIdentity`.

use super::actor::actor;
use super::credentials;
use super::fields::{COLUMN_FIELDS, COLUMNS, Field, Get};
use super::time::{Micros, parse_event_time};
use crate::json::canon::{self, scalar_text};
use crate::json::scan::MemberSpan;
use std::borrow::Cow;
use std::sync::LazyLock;

/// The fields of one event that the store indexes.
#[derive(Debug)]
pub struct EventFields<'a> {
    pub time: Micros,
    /// One per interned column (see [`COLUMN_FIELDS`]).
    pub values: [Option<Cow<'a, str>>; COLUMNS],
    /// Every column holds exactly the record's own member at the field's
    /// path (no key in another case, no Insights fallback, no object or
    /// array): a test of the field may read the column instead of the record.
    pub exact: bool,
}

/// Why a record is not an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    NotAnObject,
    NoEventTime,
    BadEventTime(String),
}

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejection::NotAnObject => write!(f, "record is not a JSON object"),
            Rejection::NoEventTime => write!(f, "record has no eventTime"),
            Rejection::BadEventTime(t) => write!(f, "eventTime {t} is not a time"),
        }
    }
}

/// Slots the extraction needs besides the fields' own top-level keys.
const TIME: usize = 0;
const IDENTITY: usize = 1;
const EXTRA: usize = 2;
const INSIGHT: usize = 3;
const RESPONSE: usize = 4;
const REQUEST: usize = 5;
const FIXED: [&str; 6] =
    ["eventTime", "userIdentity", "additionalEventData", "insightDetails", "responseElements", "requestParameters"];

/// Keys longer than this are never slots (and are not lowercased to check).
const MAX_KEY: usize = 24;
/// At most this many top-level members are read.
const MAX_SLOTS: usize = 32;

/// The top-level members the extraction reads, derived from the table.
struct Slots {
    keys: Vec<&'static str>,
    /// Each key's first 8 bytes as one number (zero padded): a lookup
    /// compares this before the whole key, as it runs for every member of
    /// every record loaded.
    prefix: Vec<u64>,
    /// Slots by key length, for the exact and the case-folded lookup.
    by_len: Vec<Vec<usize>>,
    lower: Vec<String>,
    lower_prefix: Vec<u64>,
    /// Each column's slot, for fields read from a top-level member.
    top: [Option<usize>; COLUMNS],
    /// Columns read from userIdentity: (member key with its quotes as a
    /// record spells it, its prefix, column).
    identity: Vec<(String, u64, usize)>,
}

static SLOTS: LazyLock<Slots> = LazyLock::new(|| {
    let mut keys: Vec<&'static str> = FIXED.to_vec();
    let mut top = [None; COLUMNS];
    let mut identity = Vec::new();
    for (c, field) in COLUMN_FIELDS.iter().enumerate() {
        match field.def().get {
            Get::Top { key, .. } => {
                let slot = keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                    keys.push(key);
                    keys.len() - 1
                });
                top[c] = Some(slot);
            }
            Get::Identity(key) => {
                let quoted = format!("\"{key}\"");
                let p = prefix_of(quoted.as_bytes());
                identity.push((quoted, p, c))
            }
            Get::Time | Get::Actor | Get::Issued | Get::IssuedTo | Get::Derived => {}
        }
    }
    let mut by_len = vec![Vec::new(); MAX_KEY + 1];
    for (slot, k) in keys.iter().enumerate() {
        assert!(k.len() <= MAX_KEY, "a top-level key longer than {MAX_KEY}: {k}");
        by_len[k.len()].push(slot);
    }
    assert!(keys.len() <= MAX_SLOTS, "more than {MAX_SLOTS} top-level keys to read");
    let lower = keys.iter().map(|k| k.to_ascii_lowercase()).collect();
    let prefix = keys.iter().map(|k| prefix_of(k.as_bytes())).collect();
    let lower_prefix = keys.iter().map(|k| prefix_of(k.to_ascii_lowercase().as_bytes())).collect();
    Slots { keys, prefix, by_len, lower, lower_prefix, top, identity }
});

/// The first 8 bytes of a key as a number, zero padded.
#[inline]
fn prefix_of(key: &[u8]) -> u64 {
    let mut b = [0u8; 8];
    let n = key.len().min(8);
    b[..n].copy_from_slice(&key[..n]);
    u64::from_le_bytes(b)
}

impl Slots {
    fn exact(&self, key: &[u8]) -> Option<usize> {
        let candidates = self.by_len.get(key.len())?;
        if candidates.is_empty() {
            return None;
        }
        let p = prefix_of(key);
        candidates.iter().copied().find(|&s| self.prefix[s] == p && self.keys[s].as_bytes() == key)
    }

    /// Real exports spell some keys in another case (`eventId`): they count
    /// when the exact spelling is absent.
    fn folded(&self, key: &[u8]) -> Option<usize> {
        let candidates = self.by_len.get(key.len())?;
        if candidates.is_empty() {
            return None;
        }
        let mut buf = [0u8; MAX_KEY];
        let lower = &mut buf[..key.len()];
        lower.copy_from_slice(key);
        lower.make_ascii_lowercase();
        let p = prefix_of(lower);
        candidates.iter().copied().find(|&s| self.lower_prefix[s] == p && self.lower[s].as_bytes() == &*lower)
    }
}

/// A value as the store keeps it: scalars as text, objects and arrays as
/// their JSON text; null is absent.
fn value_text(v: &[u8]) -> Option<Cow<'_, str>> {
    match v.first() {
        Some(b'{' | b'[') => Some(String::from_utf8_lossy(v)),
        Some(_) => scalar_text(v),
        None => None,
    }
}

/// Reads the indexed fields of a canonical record. `spans` are its top-level
/// members as [`crate::json::scan::canon_record`] found them.
pub fn extract<'a>(rec: &'a [u8], spans: &[MemberSpan]) -> Result<EventFields<'a>, Rejection> {
    if rec.first() != Some(&b'{') {
        return Err(Rejection::NotAnObject);
    }
    let slots = &*SLOTS;
    // On the stack: this runs for every record loaded.
    let mut exact: [Option<&[u8]>; MAX_SLOTS] = [None; MAX_SLOTS];
    let mut folded: [Option<&[u8]>; MAX_SLOTS] = [None; MAX_SLOTS];
    for s in spans {
        let key = &rec[s.key.0 as usize + 1..s.key.1 as usize - 1];
        let value = &rec[s.value.0 as usize..s.value.1 as usize];
        if let Some(slot) = slots.exact(key) {
            exact[slot] = Some(value);
        } else if let Some(slot) = slots.folded(key) {
            folded[slot].get_or_insert(value);
        }
    }
    let get = |slot: usize| exact[slot].or(folded[slot]);
    let mut exactly = true;

    let time_raw = get(TIME).filter(|v| *v != b"null").ok_or(Rejection::NoEventTime)?;
    let time = match time_raw.first() {
        Some(b'"') => parse_event_time(&canon::unescape(time_raw)),
        _ => None,
    }
    .ok_or_else(|| {
        Rejection::BadEventTime(String::from_utf8_lossy(&time_raw[..time_raw.len().min(60)]).into_owned())
    })?;

    let mut values: [Option<Cow<'a, str>>; COLUMNS] = Default::default();
    let insight = get(INSIGHT);
    let plain = |v: &[u8]| !matches!(v.first(), Some(b'{' | b'['));
    for (c, field) in COLUMN_FIELDS.iter().enumerate() {
        if let (Some(slot), Get::Top { key, insight: from_insight }) = (slots.top[c], field.def().get) {
            exactly &= exact[slot].map_or(folded[slot].is_none(), plain);
            values[c] = get(slot).and_then(value_text).or_else(|| {
                let fallback = insight.filter(|_| from_insight).and_then(|i| canon::get(i, key));
                exactly &= fallback.is_none();
                fallback.and_then(value_text)
            });
        }
    }
    if let Some(uid) = get(IDENTITY).filter(|u| u.first() == Some(&b'{')) {
        exactly &= exact[IDENTITY].is_some();
        for (k, v) in canon::members(uid) {
            let p = prefix_of(k);
            if let Some(&(_, _, c)) = slots.identity.iter().find(|(key, kp, _)| *kp == p && key.as_bytes() == k) {
                exactly &= plain(v);
                values[c] = value_text(v);
            }
        }
        if let Some(c) = Field::Actor.column() {
            values[c] = actor(uid, get(EXTRA));
        }
    }
    // Only the calls that hand out credentials are looked into (a response may be 100 KB).
    let name = Field::Name.column().and_then(|c| values[c].as_deref()).unwrap_or("");
    if let Some(call) = credentials::call_named(name) {
        let value = |f: Field| f.column().and_then(|c| values[c].clone()).filter(|v| !v.is_empty());
        // The account that logged the call holds the user; the caller's ARN gives the partition.
        let account = value(Field::Account).or_else(|| value(Field::IdentityAccount));
        let caller = value(Field::Arn);
        let to = credentials::issued_to(call, get(REQUEST), get(RESPONSE), account.as_deref(), caller.as_deref());
        if let Some(c) = Field::IssuedTo.column() {
            values[c] = to;
        }
        if let Some(c) = Field::IssuedKey.column().filter(|_| call.grant != credentials::Grant::Password) {
            values[c] = get(RESPONSE).and_then(credentials::issued_key);
        }
    }
    Ok(EventFields { time, values, exact: exactly })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::scan::canon_record;

    type Picked = (Vec<Option<String>>, Micros);

    fn fields(json: &str) -> Result<Picked, Rejection> {
        let mut out = Vec::new();
        let mut spans = Vec::new();
        canon_record(format!("{json} ").as_bytes(), 0, &mut out, &mut spans).unwrap();
        let f = extract(&out, &spans)?;
        Ok((f.values.iter().map(|v| v.as_ref().map(|c| c.to_string())).collect(), f.time))
    }

    #[test]
    fn picks_fields() {
        let (v, t) = fields(
            r#"{"eventTime":"2024-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",
            "sourceIPAddress":"1.2.3.4","userAgent":"aws-cli","errorCode":"AccessDenied","recipientAccountId":"123","readOnly":true,
            "eventType":"AwsApiCall","eventCategory":"Data","eventID":"e-1",
            "userIdentity":{"type":"IAMUser","userName":"alice","accountId":"456","accessKeyId":"AKIA1"}}"#,
        )
        .unwrap();
        let g = |f: Field| v[f.column().unwrap()].as_deref();
        assert_eq!(g(Field::Source), Some("s3.amazonaws.com"));
        assert_eq!(g(Field::Name), Some("GetObject"));
        assert_eq!(g(Field::Actor), Some("alice"));
        assert_eq!(g(Field::IdentityType), Some("IAMUser"));
        assert_eq!(g(Field::ReadOnly), Some("true"));
        assert_eq!(g(Field::IdentityAccount), Some("456"));
        assert_eq!(g(Field::AccessKey), Some("AKIA1"));
        assert_eq!(g(Field::Error), Some("AccessDenied"));
        assert_eq!(t, parse_event_time("2024-03-01T10:00:00Z").unwrap());
    }

    #[test]
    fn insight_names_and_other_case_keys() {
        let (v, _) = fields(
            r#"{"eventTime":"2022-04-12T16:10:00Z","eventType":"AwsCloudTrailInsight","EventType":"x","insightDetails":{"eventSource":"autoscaling.amazonaws.com","eventName":"CompleteLifecycleAction"}}"#,
        )
        .unwrap();
        assert_eq!(v[Field::Source.column().unwrap()].as_deref(), Some("autoscaling.amazonaws.com"));
        assert_eq!(v[Field::Name.column().unwrap()].as_deref(), Some("CompleteLifecycleAction"));
        assert_eq!(v[Field::Actor.column().unwrap()], None);
        assert_eq!(
            v[Field::EventType.column().unwrap()].as_deref(),
            Some("AwsCloudTrailInsight"),
            "the exact spelling wins"
        );
    }

    #[test]
    fn rejects_records_without_a_time() {
        assert_eq!(fields(r#"{"eventName":"OnlyName"}"#).unwrap_err(), Rejection::NoEventTime);
        assert_eq!(fields(r#"{"eventTime":null}"#).unwrap_err(), Rejection::NoEventTime);
        assert!(matches!(fields(r#"{"eventTime":12345}"#), Err(Rejection::BadEventTime(_))));
        assert!(matches!(fields(r#"{"eventTime":"..."}"#), Err(Rejection::BadEventTime(_))));
        assert_eq!(fields("[1]").unwrap_err(), Rejection::NotAnObject);
        // Wrong types elsewhere do not reject a record with a good time.
        let (v, _) =
            fields(r#"{"eventTime":"2024-03-01T10:00:00Z","eventName":["a"],"userIdentity":"str","awsRegion":null}"#)
                .unwrap();
        assert_eq!(v[Field::Name.column().unwrap()].as_deref(), Some(r#"["a"]"#));
        assert_eq!(v[Field::Region.column().unwrap()], None);
        assert_eq!(v[Field::Actor.column().unwrap()], None);
    }
}
