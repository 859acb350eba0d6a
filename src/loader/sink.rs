//! Where the splitter's records go: validated, unwrapped when they are an
//! envelope, their fields extracted, and added to the loader thread's batch.

use super::envelope::{self, Envelope, Shape};
use super::split::Sink;
use crate::json::canon;
use crate::json::scan::{MemberSpan, canon_record};
use crate::model::fields::Field;
use crate::model::record::EventFields;
use crate::model::record::{Rejection, extract};
use crate::source::layout::Cut;
use crate::source::{Kind, Place, Problem};
use crate::store::batch::BatchBuilder;
use std::collections::BTreeSet;

pub struct FileSink<'a> {
    pub builder: &'a mut BatchBuilder,
    pub path: &'a str,
    /// Events outside it are read but not kept.
    pub cut: Option<&'a Cut>,
    /// When set, only the events with these eventIDs are kept (an Athena result).
    pub keep: Option<&'a BTreeSet<String>>,
    pub problems: Vec<Problem>,
    pub events: u64,
    /// Events left out by the cut.
    pub outside: u64,
    pub digests: u64,
    /// Events by the shape they were held in.
    pub shapes: [u64; Shape::ALL.len()],
    repaired: Vec<MemberSpan>,
}

/// Whether an event is in the cut, by its time, account and region columns.
fn in_cut(cut: &Cut, f: &EventFields<'_>) -> bool {
    let value = |field: Field| field.column().and_then(|c| f.values[c].as_deref());
    cut.admits(f.time, value(Field::Account), value(Field::Region))
}

/// Whether the event's eventID is one of `keep`.
fn kept(keep: &BTreeSet<String>, rec: &[u8]) -> bool {
    canon::get(rec, "eventID").and_then(canon::scalar_text).is_some_and(|id| keep.contains(id.as_ref()))
}

impl<'a> FileSink<'a> {
    pub fn new(builder: &'a mut BatchBuilder, path: &'a str) -> Self {
        FileSink {
            builder,
            path,
            cut: None,
            keep: None,
            problems: Vec::new(),
            events: 0,
            outside: 0,
            digests: 0,
            shapes: [0; Shape::ALL.len()],
            repaired: Vec::new(),
        }
    }

    fn add_problem(&mut self, place: Option<Place>, kind: Kind, message: String) {
        self.problems.push(Problem { path: self.path.to_string(), place, kind, message });
    }

    /// Adds the event written at `raw[start..]` with members `spans`.
    fn event(&mut self, start: usize, spans: &[MemberSpan], place: Place, shape: Shape) {
        let b = &mut *self.builder;
        let end = b.raw.len();
        match extract(&b.raw[start..end], spans) {
            Ok(fields)
                if self.cut.is_some_and(|c| !in_cut(c, &fields))
                    || self.keep.is_some_and(|k| !kept(k, &b.raw[start..end])) =>
            {
                b.raw.truncate(start);
                self.outside += 1;
            }
            Ok(fields) => {
                b.batch.add(start, &b.raw[start..end], &fields);
                b.added(start, end, spans);
                self.events += 1;
                self.shapes[shape as usize] += 1;
            }
            Err(why) => {
                b.raw.truncate(start);
                self.add_problem(Some(place), Kind::NotAnEvent, why.to_string());
            }
        }
    }

    /// When the record at `raw[start..]` is an envelope, reads the events
    /// it holds in its place and returns true.
    fn unwrap(&mut self, start: usize, spans: &[MemberSpan], place: Place) -> bool {
        let held: Option<Vec<(Place, Shape, Vec<u8>)>> =
            envelope::open(&self.builder.raw[start..], spans).map(|found| match found {
                Envelope::Nothing => vec![],
                Envelope::Object { shape, event } => vec![(place, shape, event.to_vec())],
                Envelope::Text { shape, list, events } => events
                    .into_iter()
                    .map(|(i, token)| {
                        let at = list.map_or(place, |l| place.inside(l, i));
                        (at, shape, canon::unescape(token).into_owned().into_bytes())
                    })
                    .collect(),
            });
        let Some(held) = held else { return false };
        self.builder.raw.truncate(start);
        for (at, shape, text) in held {
            self.inner(&text, at, shape);
        }
        true
    }

    /// An event, or an envelope of events.
    fn accept(&mut self, start: usize, spans: &[MemberSpan], place: Place, shape: Shape) {
        if !self.unwrap(start, spans, place) {
            self.event(start, spans, place, shape);
        }
    }

    /// Scans one event held by an envelope and adds it.
    fn inner(&mut self, text: &[u8], place: Place, shape: Shape) {
        let start = self.builder.raw.len();
        let padded = [text, b" "].concat();
        let mut spans = std::mem::take(&mut self.repaired);
        match canon_record(&padded, crate::json::scan::skip_ws(&padded, 0), &mut self.builder.raw, &mut spans) {
            Ok((_, true)) => self.event(start, &spans, place, shape),
            Ok((_, false)) => {
                self.builder.raw.truncate(start);
                self.add_problem(Some(place), Kind::NotAnEvent, "the wrapped event is not a JSON object".into());
            }
            Err(_) => {
                self.builder.raw.truncate(start);
                self.add_problem(Some(place), Kind::Syntax, "the wrapped event is not valid JSON".into());
            }
        }
        self.repaired = spans;
    }
}

impl Sink for FileSink<'_> {
    fn out(&mut self) -> &mut Vec<u8> {
        &mut self.builder.raw
    }

    fn record(&mut self, start: usize, spans: &[MemberSpan], is_object: bool, place: Place, shape: Shape) {
        if !is_object {
            self.add_problem(Some(place), Kind::NotAnEvent, Rejection::NotAnObject.to_string());
            return;
        }
        if std::str::from_utf8(&self.builder.raw[start..]).is_ok() {
            self.accept(start, spans, place, shape);
            return;
        }
        // Keep the event: its text with invalid bytes shown as U+FFFD.
        let fixed = String::from_utf8_lossy(&self.builder.raw[start..]).into_owned() + " ";
        self.builder.raw.truncate(start);
        let mut fixed_spans = std::mem::take(&mut self.repaired);
        if canon_record(fixed.as_bytes(), 0, &mut self.builder.raw, &mut fixed_spans).is_err() {
            self.builder.raw.truncate(start);
            self.add_problem(Some(place), Kind::Syntax, "record is not valid UTF-8 and could not be repaired".into());
        } else {
            self.add_problem(
                Some(place),
                Kind::Repaired,
                "invalid UTF-8 in the record, shown as \u{fffd}; the event is loaded".into(),
            );
            self.accept(start, &fixed_spans, place, shape);
        }
        self.repaired = fixed_spans;
    }

    fn problem(&mut self, place: Option<Place>, kind: Kind, message: String) {
        self.add_problem(place, kind, message);
    }

    fn digest(&mut self) {
        self.digests += 1;
    }
}
