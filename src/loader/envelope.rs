//! How events are held in an input (its shape, counted in `stats`), and the
//! envelopes exports wrap events in: CloudWatch Logs subscription data,
//! `aws cloudtrail lookup-events` output, EventBridge "via CloudTrail"
//! events, and exports carrying the event as JSON text in `_raw` or
//! `message`. An envelope is looked for only in a record without an
//! `eventTime` of its own, so events pay nothing for it; what an envelope
//! holds is read as events, one level deep.

use crate::json::canon;
use crate::json::scan::MemberSpan;

/// How an event was held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Shape {
    /// In a CloudTrail log file's `Records` array.
    Records,
    /// In a top-level JSON array.
    Array,
    /// A top-level object: newline-delimited events, or one event.
    Lines,
    /// In CloudWatch Logs subscription data (`logEvents[].message`).
    CloudWatchLogs,
    /// In `aws cloudtrail lookup-events` output (`Events[].CloudTrailEvent`).
    LookupEvents,
    /// The `detail` of an EventBridge "AWS API Call via CloudTrail" event.
    EventBridge,
    /// JSON text in a `_raw` or `message` field (Splunk, Cribl and the like).
    Embedded,
}

impl Shape {
    pub const ALL: [Shape; 7] = [
        Shape::Records,
        Shape::Array,
        Shape::Lines,
        Shape::CloudWatchLogs,
        Shape::LookupEvents,
        Shape::EventBridge,
        Shape::Embedded,
    ];

    /// The name `stats` uses.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Records => "records",
            Shape::Array => "array",
            Shape::Lines => "lines",
            Shape::CloudWatchLogs => "cloudwatch_logs",
            Shape::LookupEvents => "lookup_events",
            Shape::EventBridge => "eventbridge",
            Shape::Embedded => "embedded_json",
        }
    }

    /// How `stats` describes it to people.
    pub fn label(self) -> &'static str {
        match self {
            Shape::Records => "in CloudTrail log files",
            Shape::Array => "in JSON arrays",
            Shape::Lines => "as JSON lines or single events",
            Shape::CloudWatchLogs => "from CloudWatch Logs subscription data",
            Shape::LookupEvents => "from lookup-events output",
            Shape::EventBridge => "from EventBridge events",
            Shape::Embedded => "as JSON text in _raw or message",
        }
    }
}

/// What an envelope holds.
#[derive(Debug, PartialEq, Eq)]
pub enum Envelope<'a> {
    /// Events as JSON text: canonical string tokens from the entries of
    /// `list` (None for one string field), with each entry's index.
    Text { shape: Shape, list: Option<&'static str>, events: Vec<(u64, &'a [u8])> },
    /// One event as an object (canonical JSON).
    Object { shape: Shape, event: &'a [u8] },
    /// Nothing to load (a CloudWatch Logs control message).
    Nothing,
}

/// The envelope a record (canonical, with its top-level `spans`) is, if it
/// is one.
pub fn open<'a>(rec: &'a [u8], spans: &[MemberSpan]) -> Option<Envelope<'a>> {
    let member = |name: &str| {
        spans
            .iter()
            .find(|s| canon::key_is(&rec[s.key.0 as usize..s.key.1 as usize], name))
            .map(|s| &rec[s.value.0 as usize..s.value.1 as usize])
    };
    if member("eventTime").is_some() {
        return None;
    }
    fn text(v: &[u8]) -> Option<std::borrow::Cow<'_, str>> {
        canon::scalar_text(v).filter(|_| v.first() == Some(&b'"'))
    }
    if let (Some(kind), Some(entries)) = (member("messageType"), member("logEvents")) {
        if text(kind).as_deref() == Some("CONTROL_MESSAGE") {
            return Some(Envelope::Nothing);
        }
        return Some(strings_in(entries, "logEvents", "message", Shape::CloudWatchLogs));
    }
    if let Some(entries) = member("Events").filter(|v| v.first() == Some(&b'[')) {
        return Some(strings_in(entries, "Events", "CloudTrailEvent", Shape::LookupEvents));
    }
    if let (Some(kind), Some(detail)) = (member("detail-type"), member("detail"))
        && text(kind).is_some_and(|k| k.contains("via CloudTrail"))
        && detail.first() == Some(&b'{')
    {
        return Some(Envelope::Object { shape: Shape::EventBridge, event: detail });
    }
    let json_text = |v: &[u8]| text(v).is_some_and(|t| t.trim_start().starts_with('{'));
    ["_raw", "message"].iter().find_map(|k| member(k).filter(|v| json_text(v))).map(|v| Envelope::Text {
        shape: Shape::Embedded,
        list: None,
        events: vec![(0, v)],
    })
}

/// The string `field` of each object in the array `entries`.
fn strings_in<'a>(entries: &'a [u8], list: &'static str, field: &str, shape: Shape) -> Envelope<'a> {
    let events = canon::items(entries)
        .enumerate()
        .filter_map(|(i, e)| canon::get(e, field).filter(|v| v.first() == Some(&b'"')).map(|v| (i as u64, v)))
        .collect();
    Envelope::Text { shape, list: Some(list), events }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::scan::canon_record;

    fn envelope_of(json: &str, check: impl FnOnce(Option<Envelope>)) {
        let (mut out, mut spans) = (Vec::new(), Vec::new());
        canon_record(format!("{json} ").as_bytes(), 0, &mut out, &mut spans).unwrap();
        check(open(&out, &spans));
    }

    #[test]
    fn recognises_each_envelope() {
        envelope_of(r#"{"eventTime":"2024-01-01T00:00:00Z","message":"{}"}"#, |e| assert_eq!(e, None));
        envelope_of(
            r#"{"messageType":"DATA_MESSAGE","logGroup":"g","logEvents":[{"id":"1","message":"{\"a\":1}"},{"id":"2"}]}"#,
            |e| {
                assert!(
                    matches!(e, Some(Envelope::Text { shape: Shape::CloudWatchLogs, events, .. }) if events.len() == 1)
                )
            },
        );
        envelope_of(r#"{"messageType":"CONTROL_MESSAGE","logEvents":[{"message":"CWL CONTROL MESSAGE"}]}"#, |e| {
            assert_eq!(e, Some(Envelope::Nothing))
        });
        envelope_of(
            r#"{"Events":[{"EventId":"x","CloudTrailEvent":"{}"},{"EventId":"y","CloudTrailEvent":"{}"}]}"#,
            |e| {
                assert!(
                    matches!(e, Some(Envelope::Text { shape: Shape::LookupEvents, events, .. }) if events.len() == 2)
                )
            },
        );
        envelope_of(r#"{"detail-type":"AWS API Call via CloudTrail","detail":{"eventTime":"x"}}"#, |e| {
            assert!(matches!(e, Some(Envelope::Object { shape: Shape::EventBridge, .. })))
        });
        envelope_of(r#"{"detail-type":"EC2 Instance State-change Notification","detail":{}}"#, |e| assert_eq!(e, None));
        envelope_of(r#"{"_time":1,"_raw":" {\"eventTime\":1}"}"#, |e| {
            assert!(matches!(e, Some(Envelope::Text { shape: Shape::Embedded, .. })))
        });
        envelope_of(r#"{"message":"plain text"}"#, |e| assert_eq!(e, None));
    }
}
