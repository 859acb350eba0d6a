//! Picks the indexed fields out of one canonical record.

use super::actor::actor;
use super::facet::{FACET_COUNT, Facet};
use super::time::{Micros, parse_event_time};
use crate::json::canon::{self, scalar_text};
use crate::json::scan::MemberSpan;
use std::borrow::Cow;

/// The fields of one event that the store indexes.
#[derive(Debug)]
pub struct EventFields<'a> {
    pub time: Micros,
    pub values: [Option<Cow<'a, str>>; FACET_COUNT],
    /// eventID (or eventId), for deduplication.
    pub event_id: Option<Cow<'a, str>>,
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

/// Top-level members the extraction looks at.
#[derive(Clone, Copy)]
enum Slot {
    Time,
    Source,
    Name,
    Region,
    Ip,
    Agent,
    Error,
    Account,
    ReadOnly,
    EventType,
    Category,
    EventId,
    Identity,
    Extra,
    Insight,
}
const SLOTS: usize = 15;

fn slot_exact(key: &[u8]) -> Option<Slot> {
    Some(match key {
        b"eventTime" => Slot::Time,
        b"eventSource" => Slot::Source,
        b"eventName" => Slot::Name,
        b"awsRegion" => Slot::Region,
        b"sourceIPAddress" => Slot::Ip,
        b"userAgent" => Slot::Agent,
        b"errorCode" => Slot::Error,
        b"recipientAccountId" => Slot::Account,
        b"readOnly" => Slot::ReadOnly,
        b"eventType" => Slot::EventType,
        b"eventCategory" => Slot::Category,
        b"eventID" => Slot::EventId,
        b"userIdentity" => Slot::Identity,
        b"additionalEventData" => Slot::Extra,
        b"insightDetails" => Slot::Insight,
        _ => return None,
    })
}

/// Keys that are known and not wanted: they skip the case-folded lookup.
fn known_other(key: &[u8]) -> bool {
    matches!(
        key,
        b"eventVersion"
            | b"requestParameters"
            | b"responseElements"
            | b"requestID"
            | b"resources"
            | b"managementEvent"
            | b"tlsDetails"
            | b"errorMessage"
            | b"sharedEventID"
            | b"vpcEndpointId"
            | b"serviceEventDetails"
            | b"sessionCredentialFromConsole"
            | b"apiVersion"
            | b"addendum"
            | b"edgeDeviceDetails"
            | b"vpcEndpointAccountId"
    )
}

/// Real exports spell some keys in another case (`eventId`): they count when
/// the exact spelling is absent.
fn slot_folded(key: &[u8]) -> Option<Slot> {
    if key.len() > 24 || known_other(key) {
        return None;
    }
    let mut buf = [0u8; 24];
    let lower = &mut buf[..key.len()];
    lower.copy_from_slice(key);
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"eventtime" => Slot::Time,
        b"eventsource" => Slot::Source,
        b"eventname" => Slot::Name,
        b"awsregion" => Slot::Region,
        b"sourceipaddress" => Slot::Ip,
        b"useragent" => Slot::Agent,
        b"errorcode" => Slot::Error,
        b"recipientaccountid" => Slot::Account,
        b"readonly" => Slot::ReadOnly,
        b"eventtype" => Slot::EventType,
        b"eventcategory" => Slot::Category,
        b"eventid" => Slot::EventId,
        b"useridentity" => Slot::Identity,
        b"additionaleventdata" => Slot::Extra,
        b"insightdetails" => Slot::Insight,
        _ => return None,
    })
}

/// A facet value: scalars as text, objects and arrays as their JSON text;
/// null is absent.
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
    let mut exact: [Option<&[u8]>; SLOTS] = [None; SLOTS];
    let mut folded: [Option<&[u8]>; SLOTS] = [None; SLOTS];
    for s in spans {
        let key = &rec[s.key.0 as usize + 1..s.key.1 as usize - 1];
        let value = &rec[s.value.0 as usize..s.value.1 as usize];
        if let Some(slot) = slot_exact(key) {
            exact[slot as usize] = Some(value);
        } else if let Some(slot) = slot_folded(key) {
            folded[slot as usize].get_or_insert(value);
        }
    }
    let get = |slot: Slot| exact[slot as usize].or(folded[slot as usize]);

    let time_raw = get(Slot::Time).filter(|v| *v != b"null").ok_or(Rejection::NoEventTime)?;
    let time = match time_raw.first() {
        Some(b'"') => parse_event_time(&canon::unescape(time_raw)),
        _ => None,
    }
    .ok_or_else(|| {
        Rejection::BadEventTime(String::from_utf8_lossy(&time_raw[..time_raw.len().min(60)]).into_owned())
    })?;

    let mut values: [Option<Cow<'a, str>>; FACET_COUNT] = Default::default();
    let mut set = |f: Facet, v: Option<Cow<'a, str>>| values[f.index()] = v;
    let insight = get(Slot::Insight);
    let from_insight = |key: &str| insight.and_then(|i| canon::get(i, key)).and_then(value_text);
    set(Facet::Source, get(Slot::Source).and_then(value_text).or_else(|| from_insight("eventSource")));
    set(Facet::Name, get(Slot::Name).and_then(value_text).or_else(|| from_insight("eventName")));
    set(Facet::Region, get(Slot::Region).and_then(value_text));
    set(Facet::Ip, get(Slot::Ip).and_then(value_text));
    set(Facet::Agent, get(Slot::Agent).and_then(value_text));
    set(Facet::Error, get(Slot::Error).and_then(value_text));
    set(Facet::Account, get(Slot::Account).and_then(value_text));
    set(Facet::ReadOnly, get(Slot::ReadOnly).and_then(value_text));
    set(Facet::EventType, get(Slot::EventType).and_then(value_text));
    set(Facet::Category, get(Slot::Category).and_then(value_text));
    if let Some(uid) = get(Slot::Identity).filter(|u| u.first() == Some(&b'{')) {
        let field = |k: &str| canon::get(uid, k).and_then(value_text);
        set(Facet::IdentityType, field("type"));
        set(Facet::IdentityAccount, field("accountId"));
        set(Facet::AccessKey, field("accessKeyId"));
        set(Facet::Actor, actor(uid, get(Slot::Extra)));
    }
    let event_id = get(Slot::EventId).and_then(value_text);
    Ok(EventFields { time, values, event_id })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::scan::canon_record;

    type Picked = (Vec<Option<String>>, Option<String>, Micros);

    fn fields(json: &str) -> Result<Picked, Rejection> {
        let mut out = Vec::new();
        let mut spans = Vec::new();
        canon_record(format!("{json} ").as_bytes(), 0, &mut out, &mut spans).unwrap();
        let f = extract(&out, &spans)?;
        Ok((
            f.values.iter().map(|v| v.as_ref().map(|c| c.to_string())).collect(),
            f.event_id.map(|c| c.into_owned()),
            f.time,
        ))
    }

    #[test]
    fn picks_fields() {
        let (v, id, t) = fields(
            r#"{"eventTime":"2024-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",
            "sourceIPAddress":"1.2.3.4","userAgent":"aws-cli","errorCode":"AccessDenied","recipientAccountId":"123","readOnly":true,
            "eventType":"AwsApiCall","eventCategory":"Data","eventID":"e-1",
            "userIdentity":{"type":"IAMUser","userName":"alice","accountId":"456","accessKeyId":"AKIA1"}}"#,
        )
        .unwrap();
        let g = |f: Facet| v[f.index()].as_deref();
        assert_eq!(g(Facet::Source), Some("s3.amazonaws.com"));
        assert_eq!(g(Facet::Name), Some("GetObject"));
        assert_eq!(g(Facet::Actor), Some("alice"));
        assert_eq!(g(Facet::IdentityType), Some("IAMUser"));
        assert_eq!(g(Facet::ReadOnly), Some("true"));
        assert_eq!(g(Facet::IdentityAccount), Some("456"));
        assert_eq!(g(Facet::AccessKey), Some("AKIA1"));
        assert_eq!(g(Facet::Error), Some("AccessDenied"));
        assert_eq!(id.as_deref(), Some("e-1"));
        assert_eq!(t, parse_event_time("2024-03-01T10:00:00Z").unwrap());
    }

    #[test]
    fn insight_names_and_other_case_keys() {
        let (v, id, _) = fields(
            r#"{"eventTime":"2022-04-12T16:10:00Z","eventType":"AwsCloudTrailInsight","eventId":"x","insightDetails":{"eventSource":"autoscaling.amazonaws.com","eventName":"CompleteLifecycleAction"}}"#,
        )
        .unwrap();
        assert_eq!(v[Facet::Source.index()].as_deref(), Some("autoscaling.amazonaws.com"));
        assert_eq!(v[Facet::Name.index()].as_deref(), Some("CompleteLifecycleAction"));
        assert_eq!(v[Facet::Actor.index()], None);
        assert_eq!(id.as_deref(), Some("x"));
    }

    #[test]
    fn rejects_records_without_a_time() {
        assert_eq!(fields(r#"{"eventName":"OnlyName"}"#).unwrap_err(), Rejection::NoEventTime);
        assert_eq!(fields(r#"{"eventTime":null}"#).unwrap_err(), Rejection::NoEventTime);
        assert!(matches!(fields(r#"{"eventTime":12345}"#), Err(Rejection::BadEventTime(_))));
        assert!(matches!(fields(r#"{"eventTime":"..."}"#), Err(Rejection::BadEventTime(_))));
        assert_eq!(fields("[1]").unwrap_err(), Rejection::NotAnObject);
        // Wrong types elsewhere do not reject a record with a good time.
        let (v, _, _) =
            fields(r#"{"eventTime":"2024-03-01T10:00:00Z","eventName":["a"],"userIdentity":"str","awsRegion":null}"#)
                .unwrap();
        assert_eq!(v[Facet::Name.index()].as_deref(), Some(r#"["a"]"#));
        assert_eq!(v[Facet::Region.index()], None);
        assert_eq!(v[Facet::Actor.index()], None);
    }
}
