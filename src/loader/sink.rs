//! Where the splitter's records go: validated, their fields extracted, and
//! added to the loader thread's batch.

use super::problem::{Place, Problem};
use super::split::Sink;
use crate::json::scan::{MemberSpan, canon_record};
use crate::model::record::{Rejection, extract};
use crate::store::batch::BatchBuilder;

pub struct FileSink<'a> {
    pub builder: &'a mut BatchBuilder,
    pub path: &'a str,
    pub problems: Vec<Problem>,
    pub events: u64,
    pub digests: u64,
    repaired: Vec<MemberSpan>,
}

impl<'a> FileSink<'a> {
    pub fn new(builder: &'a mut BatchBuilder, path: &'a str) -> Self {
        Self { builder, path, problems: Vec::new(), events: 0, digests: 0, repaired: Vec::new() }
    }

    fn add_problem(&mut self, place: Option<Place>, message: String) {
        self.problems.push(Problem { path: self.path.to_string(), place, message });
    }
}

impl Sink for FileSink<'_> {
    fn out(&mut self) -> &mut Vec<u8> {
        &mut self.builder.raw
    }

    fn record(&mut self, start: usize, spans: &[MemberSpan], is_object: bool, place: Place) {
        if !is_object {
            self.add_problem(Some(place), Rejection::NotAnObject.to_string());
            return;
        }
        let mut spans = spans;
        if std::str::from_utf8(&self.builder.raw[start..]).is_err() {
            // Keep the event: its text with invalid bytes shown as U+FFFD.
            let fixed = String::from_utf8_lossy(&self.builder.raw[start..]).into_owned() + " ";
            self.builder.raw.truncate(start);
            if canon_record(fixed.as_bytes(), 0, &mut self.builder.raw, &mut self.repaired).is_err() {
                self.builder.raw.truncate(start);
                self.add_problem(Some(place), "record is not valid UTF-8 and could not be repaired".into());
                return;
            }
            self.add_problem(Some(place), "invalid UTF-8 in the record, shown as \u{fffd}; the event is loaded".into());
            spans = &self.repaired;
        }
        let b = &mut *self.builder;
        let end = b.raw.len();
        match extract(&b.raw[start..end], spans) {
            Ok(fields) => {
                b.batch.add(start, end, &fields);
                b.maybe_seal();
                self.events += 1;
            }
            Err(why) => {
                b.raw.truncate(start);
                self.add_problem(Some(place), why.to_string());
            }
        }
    }

    fn problem(&mut self, place: Option<Place>, message: String) {
        self.add_problem(place, message);
    }

    fn digest(&mut self) {
        self.digests += 1;
    }
}
