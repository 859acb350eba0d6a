//! What identifies an event across loads: its eventID, time, source and
//! name, and its content fingerprint for when those are not enough (a
//! placeholder eventID reused by many records, or none at all).

use crate::model::fields::Field;
use crate::model::time::{Micros, format_utc, parse_event_time};
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventKey {
    #[serde(rename = "eventID", default)]
    pub event_id: String,
    /// RFC 3339, with the fraction of a second when there is one.
    #[serde(rename = "eventTime")]
    pub time: String,
    #[serde(rename = "eventSource", default)]
    pub source: String,
    #[serde(rename = "eventName", default)]
    pub name: String,
    /// `xxh3:` and the record's content fingerprint in hex.
    #[serde(default)]
    pub content: String,
}

/// A time as keys write it: CloudTrail's form, with microseconds when not whole.
pub fn key_time(t: Micros) -> String {
    let whole = format_utc(t);
    match t.rem_euclid(1_000_000) {
        0 => whole,
        us => format!("{}.{us:06}Z", whole.trim_end_matches('Z')),
    }
}

impl EventKey {
    /// The key of event `id`.
    pub fn of(store: &Store, id: EventId, cache: &mut ChunkCache) -> EventKey {
        EventKey {
            event_id: store.event_id(id, cache),
            time: key_time(store.time(id)),
            source: store.value(id, Field::Source).to_string(),
            name: store.value(id, Field::Name).to_string(),
            content: content_of(store, id),
        }
    }

    /// The time the key names (None when the file was edited into nonsense).
    pub fn micros(&self) -> Option<Micros> {
        parse_event_time(&self.time)
    }

    /// Whether event `id` has this key's eventID, time, source and name
    /// (its content may differ: see [`EventKey::same_content`]).
    pub fn names(&self, store: &Store, id: EventId, cache: &mut ChunkCache) -> bool {
        self.micros() == Some(store.time(id))
            && store.value(id, Field::Source) == self.source
            && store.value(id, Field::Name) == self.name
            && store.event_id(id, cache) == self.event_id
    }

    pub fn same_content(&self, store: &Store, id: EventId) -> bool {
        self.content == content_of(store, id)
    }
}

fn content_of(store: &Store, id: EventId) -> String {
    format!("xxh3:{:016x}", store.fingerprint(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_keep_their_fraction() {
        let t = parse_event_time("2024-03-01T10:00:05.25Z").unwrap();
        assert_eq!(key_time(t), "2024-03-01T10:00:05.250000Z");
        assert_eq!(parse_event_time(&key_time(t)), Some(t));
        assert_eq!(key_time(t - 250_000), "2024-03-01T10:00:05Z");
    }
}
