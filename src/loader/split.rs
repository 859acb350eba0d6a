//! Finds the records in a decoded input, whatever its shape, while it streams:
//! `{"Records":[...]}` (several such objects one after another too), a bare
//! array of events, one event object, or newline-delimited events.
//!
//! Each record is scanned once: validated and written in canonical form
//! straight into the sink's buffer. What cannot be read becomes a problem
//! with its place, and everything readable around it is kept.

use super::envelope::Shape;
use crate::json::canon;
use crate::json::scan::{MemberSpan, ScanError, canon_record, canon_string, canon_value, skip_ws};
use crate::source::{Kind, Place};
use std::io::Read;

/// A single record (or top-level value) may not grow the buffer past this:
/// real CloudTrail records are at most a few hundred KB, and this bounds the
/// memory a hostile file can take (the buffer, and the record's copy).
pub const MAX_UNIT: usize = 64 << 20;
const READ_SIZE: usize = 4 << 20;

/// Receives what the splitter finds.
pub trait Sink {
    /// The buffer records are written to.
    fn out(&mut self) -> &mut Vec<u8>;
    /// A record was written to `out()[start..]`; `spans` are its members
    /// (empty when it is not an object).
    fn record(&mut self, start: usize, spans: &[MemberSpan], is_object: bool, place: Place, shape: Shape);
    fn problem(&mut self, place: Option<Place>, kind: Kind, message: String);
    /// A CloudTrail digest object was skipped.
    fn digest(&mut self);
}

/// Decoded bytes being read: a window of the stream, refilled on demand.
pub struct Feed {
    buf: Vec<u8>,
    /// Bytes before this index are consumed.
    pos: usize,
    reader: Option<Box<dyn Read + Send>>,
    /// Offset of `buf[0]` in the stream.
    base: u64,
    /// Newlines counted in the stream before `buf[line_at]`.
    lines: u64,
    line_at: usize,
    /// Why reading stopped early, if it did.
    pub read_error: Option<(Kind, String)>,
}

impl Feed {
    pub fn new(head: Vec<u8>, reader: Option<Box<dyn Read + Send>>) -> Self {
        Self { buf: head, pos: 0, reader, base: 0, lines: 0, line_at: 0, read_error: None }
    }

    /// Total bytes taken from the stream so far.
    pub fn bytes_seen(&self) -> u64 {
        self.base + self.buf.len() as u64
    }

    /// The 1-based line of buffer index `at` (not before the consumed point).
    fn line_of(&mut self, at: usize) -> u64 {
        if at > self.line_at {
            self.lines += memchr::memchr_iter(b'\n', &self.buf[self.line_at..at]).count() as u64;
            self.line_at = at;
        }
        self.lines + 1
    }

    /// Reads more of the stream, keeping the unconsumed bytes. False when the
    /// stream has ended (or failed, or the pending value is too large).
    fn more(&mut self) -> bool {
        if self.reader.is_none() {
            return false;
        }
        if self.buf.len() - self.pos >= MAX_UNIT {
            self.read_error = Some((
                Kind::TooLarge,
                format!("a single value is larger than {} MB; the rest of the file is not read", MAX_UNIT >> 20),
            ));
            self.reader = None;
            return false;
        }
        if self.pos > 0 {
            self.line_of(self.pos);
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.line_at -= self.pos;
            self.pos = 0;
        }
        let want = READ_SIZE.max(self.buf.len());
        let old = self.buf.len();
        self.buf.resize(old + want, 0);
        let mut filled = old;
        let Some(reader) = self.reader.as_mut() else {
            return false;
        };
        let result = loop {
            match reader.read(&mut self.buf[filled..]) {
                Ok(0) => break Ok(false),
                Ok(n) => {
                    filled += n;
                    if filled == self.buf.len() {
                        break Ok(true);
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.buf.truncate(filled);
        match result {
            Ok(true) => true,
            Ok(false) => {
                self.reader = None;
                filled > old
            }
            Err(e) => {
                self.read_error =
                    Some((Kind::Unreadable, format!("reading stopped after {} bytes: {e}", self.base + filled as u64)));
                self.reader = None;
                filled > old
            }
        }
    }
}

enum Mode {
    /// Between top-level values.
    Top,
    /// Inside `{"Records": ...}`, after the array: other members until `}`.
    Wrapper,
    /// Inside an array of records.
    Records { index: u64, first: bool, in_wrapper: bool },
}

/// Whether an object (by its members) is a CloudTrail digest.
fn is_digest(rec: &[u8], spans: &[MemberSpan]) -> bool {
    let key = |s: &MemberSpan| &rec[s.key.0 as usize..s.key.1 as usize];
    spans.iter().any(|s| matches!(key(s), b"\"digestStartTime\"" | b"\"logFiles\""))
        && !spans.iter().any(|s| matches!(key(s), b"\"eventTime\"" | b"\"Records\""))
}

/// What the splitter does after a step.
enum Step {
    Go,
    Stop,
}

/// The splitter's state over one input.
struct Splitter<'a, S: Sink> {
    feed: &'a mut Feed,
    sink: &'a mut S,
    spans: Vec<MemberSpan>,
    scratch: Vec<u8>,
    mode: Mode,
    /// After a syntax error at top level, lines are skipped quietly until one reads.
    resyncing: bool,
}

/// Reads every record of `feed` into `sink`.
pub fn split(feed: &mut Feed, sink: &mut impl Sink) {
    if feed.buf.is_empty() && feed.reader.is_some() {
        feed.more();
    }
    if feed.buf.starts_with(b"\xef\xbb\xbf") {
        feed.pos = 3;
    }
    let mut s = Splitter { feed, sink, spans: Vec::new(), scratch: Vec::new(), mode: Mode::Top, resyncing: false };
    // Each step reads one unit; when the buffer ends inside it and more can
    // be read, the unit is read again from its start.
    loop {
        let p = skip_ws(&s.feed.buf, s.feed.pos);
        let step = if p == s.feed.buf.len() {
            s.at_end(p)
        } else {
            match s.mode {
                Mode::Top => s.top(p),
                Mode::Wrapper => s.wrapper(p),
                Mode::Records { index, first, in_wrapper } => s.record(p, index, first, in_wrapper),
            }
        };
        if let Step::Stop = step {
            return;
        }
    }
}

impl<S: Sink> Splitter<'_, S> {
    /// The buffer is used up at `p`: read more, or end (saying what was left open).
    fn at_end(&mut self, p: usize) -> Step {
        self.feed.pos = p;
        if self.feed.more() {
            return Step::Go;
        }
        match self.mode {
            Mode::Top => {}
            Mode::Wrapper => self.sink.problem(
                Some(Place::Byte(self.feed.base + p as u64)),
                Kind::Truncated,
                "file ends inside the object holding Records (truncated?)".into(),
            ),
            Mode::Records { index, .. } => self.sink.problem(
                Some(Place::Record(index)),
                Kind::Truncated,
                format!("file ends after {index} records of the array (truncated?)"),
            ),
        }
        Step::Stop
    }

    /// A top-level value at `p`: an array of records, a Records wrapper, or a record.
    fn top(&mut self, p: usize) -> Step {
        let b = self.feed.buf[p];
        if b == b'[' {
            self.feed.pos = p + 1;
            self.mode = Mode::Records { index: 0, first: true, in_wrapper: false };
            return Step::Go;
        }
        if b == b'{' {
            match records_first(&self.feed.buf, p, &mut self.scratch) {
                Ok(Some(after)) => {
                    self.feed.pos = after;
                    self.mode = Mode::Records { index: 0, first: true, in_wrapper: true };
                    self.resyncing = false;
                    return Step::Go;
                }
                Err(ScanError::Eof) if self.feed.more() => return Step::Go,
                _ => {}
            }
        }
        self.top_value(p)
    }

    /// A top-level value read whole: an event (or envelope), a wrapper whose
    /// Records is not its first key, a digest, or something else.
    fn top_value(&mut self, p: usize) -> Step {
        let line = self.feed.line_of(p);
        let out = self.sink.out();
        let start = out.len();
        match canon_record(&self.feed.buf, p, out, &mut self.spans) {
            Ok((end, is_object)) => {
                self.feed.pos = end;
                self.resyncing = false;
                let rec = &out[start..];
                // (Spans belong to this record only when it is an object.)
                let records = is_object
                    .then(|| {
                        self.spans.iter().find(|s| canon::key_is(&rec[s.key.0 as usize..s.key.1 as usize], "Records"))
                    })
                    .flatten();
                if let Some(records) = records {
                    // A wrapper whose Records is not its first key: read it from the copy.
                    let value = rec[records.value.0 as usize..records.value.1 as usize].to_vec();
                    out.truncate(start);
                    records_from_canonical(&value, self.sink, &mut self.spans);
                } else if is_object && is_digest(rec, &self.spans) {
                    out.truncate(start);
                    self.sink.digest();
                } else {
                    if !is_object {
                        out.truncate(start);
                    }
                    self.sink.record(start, &self.spans, is_object, Place::Line(line), Shape::Lines);
                }
                Step::Go
            }
            Err(ScanError::Eof) => {
                out.truncate(start);
                if self.feed.more() {
                    return Step::Go;
                }
                let msg = "file ends inside the value that starts here (truncated?)";
                self.sink.problem(Some(Place::Line(line)), Kind::Truncated, msg.into());
                Step::Stop
            }
            Err(ScanError::Syntax { pos, msg }) => {
                out.truncate(start);
                let buf = &self.feed.buf;
                if !self.resyncing {
                    let col = pos - buf[..pos].iter().rposition(|&c| c == b'\n').map_or(0, |n| n + 1) + 1;
                    let line = self.feed.line_of(pos);
                    let message = format!("not valid JSON at column {col}: {msg}");
                    self.sink.problem(Some(Place::Line(line)), Kind::Syntax, message);
                }
                self.resyncing = true;
                // Go on at the next line: newline-delimited input recovers there.
                let buf = &self.feed.buf;
                self.feed.pos = memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |n| pos + n + 1);
                Step::Go
            }
        }
    }

    /// Inside `{"Records": [...] ...}` after the array: the other members.
    fn wrapper(&mut self, p: usize) -> Step {
        if self.feed.buf[p] == b'}' {
            self.feed.pos = p + 1;
            self.mode = Mode::Top;
            return Step::Go;
        }
        self.scratch.clear();
        match skip_member(&self.feed.buf, p, &mut self.scratch) {
            Ok(end) => self.feed.pos = end,
            Err(ScanError::Eof) if self.feed.more() => {}
            Err(e) => {
                let place = Place::Byte(self.feed.base + p as u64);
                report_stop(self.sink, self.feed, place, e, "in the object holding Records");
                return Step::Stop;
            }
        }
        Step::Go
    }

    /// The record `index` of an array (in a Records wrapper or not), at `p`.
    fn record(&mut self, p: usize, index: u64, first: bool, in_wrapper: bool) -> Step {
        let buf_len = self.feed.buf.len();
        if self.feed.buf[p] == b']' {
            self.feed.pos = p + 1;
            self.mode = if in_wrapper { Mode::Wrapper } else { Mode::Top };
            return Step::Go;
        }
        let mut q = p;
        if !first {
            if self.feed.buf[p] != b',' {
                let e = ScanError::Syntax { pos: p, msg: "expected ',' or ']' between records" };
                report_stop(self.sink, self.feed, Place::Record(index), e, "");
                return Step::Stop;
            }
            q = skip_ws(&self.feed.buf, p + 1);
            if q < buf_len && self.feed.buf[q] == b']' {
                let e = ScanError::Syntax { pos: q, msg: "trailing comma before ']'" };
                report_stop(self.sink, self.feed, Place::Record(index), e, "");
                return Step::Stop;
            }
        }
        let out = self.sink.out();
        let start = out.len();
        match canon_record(&self.feed.buf, q, out, &mut self.spans) {
            Ok((end, is_object)) => {
                self.feed.pos = end;
                if !is_object {
                    out.truncate(start);
                }
                let shape = if in_wrapper { Shape::Records } else { Shape::Array };
                self.sink.record(start, &self.spans, is_object, Place::Record(index), shape);
                self.mode = Mode::Records { index: index + 1, first: false, in_wrapper };
                Step::Go
            }
            Err(ScanError::Eof) => {
                out.truncate(start);
                if self.feed.more() {
                    return Step::Go;
                }
                let msg = format!("file ends inside record {index} (truncated?)");
                self.sink.problem(Some(Place::Record(index)), Kind::Truncated, msg);
                Step::Stop
            }
            Err(e) => {
                out.truncate(start);
                report_stop(self.sink, self.feed, Place::Record(index), e, "");
                Step::Stop
            }
        }
    }
}

fn report_stop<S: Sink>(sink: &mut S, feed: &Feed, place: Place, e: ScanError, context: &str) {
    let (kind, msg) = match e {
        ScanError::Syntax { pos, msg } => (
            Kind::Syntax,
            format!(
                "not valid JSON at byte {}{}{context}: {msg}; the rest of the file is not read",
                feed.base + pos as u64,
                if context.is_empty() { "" } else { " " }
            ),
        ),
        ScanError::Eof => (
            Kind::Truncated,
            format!("file ends early{}{context} (truncated?)", if context.is_empty() { "" } else { " " }),
        ),
    };
    sink.problem(Some(place), kind, msg);
}

/// When the object at `p` starts with a `"Records": [` member, the position
/// after the `[`. Ok(None) when it starts any other way.
fn records_first(buf: &[u8], p: usize, scratch: &mut Vec<u8>) -> Result<Option<usize>, ScanError> {
    let q = skip_ws(buf, p + 1);
    match buf.get(q) {
        None => return Err(ScanError::Eof),
        Some(b'"') => {}
        Some(_) => return Ok(None),
    }
    scratch.clear();
    let after_key = canon_string(buf, q + 1, scratch)?;
    if scratch != b"\"Records\"" {
        return Ok(None);
    }
    let colon = skip_ws(buf, after_key);
    match buf.get(colon) {
        None => return Err(ScanError::Eof),
        Some(b':') => {}
        Some(_) => return Ok(None),
    }
    let v = skip_ws(buf, colon + 1);
    match buf.get(v) {
        None => Err(ScanError::Eof),
        Some(b'[') => Ok(Some(v + 1)),
        Some(_) => Ok(None),
    }
}

/// Skips `,"key":value` (or `"key":value` first) of an object; returns the
/// position after the value.
fn skip_member(buf: &[u8], mut p: usize, scratch: &mut Vec<u8>) -> Result<usize, ScanError> {
    if buf[p] == b',' {
        p = skip_ws(buf, p + 1);
    }
    match buf.get(p) {
        None => return Err(ScanError::Eof),
        Some(b'"') => {}
        Some(_) => {
            return Err(ScanError::Syntax { pos: p, msg: "expected a string key" });
        }
    }
    let after_key = canon_string(buf, p + 1, scratch)?;
    let colon = skip_ws(buf, after_key);
    match buf.get(colon) {
        None => return Err(ScanError::Eof),
        Some(b':') => {}
        Some(_) => {
            return Err(ScanError::Syntax { pos: colon, msg: "expected ':' after a key" });
        }
    }
    canon_value(buf, colon + 1, scratch)
}

/// The records of a canonical `Records` value already in memory.
fn records_from_canonical<S: Sink>(value: &[u8], sink: &mut S, spans: &mut Vec<MemberSpan>) {
    if value.first() != Some(&b'[') {
        sink.problem(None, Kind::NotAnEvent, "Records is not an array".into());
        return;
    }
    for (index, item) in canon::items(value).enumerate() {
        let out = sink.out();
        let start = out.len();
        // Canonical input is valid JSON; the scan only finds its members again.
        let mut padded = item.to_vec();
        padded.push(b' ');
        match canon_record(&padded, 0, out, spans) {
            Ok((_, is_object)) => {
                if !is_object {
                    out.truncate(start);
                }
                sink.record(start, spans, is_object, Place::Record(index as u64), Shape::Records);
            }
            Err(_) => out.truncate(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect {
        out: Vec<u8>,
        records: Vec<(String, Place)>,
        not_objects: Vec<Place>,
        problems: Vec<(Option<Place>, String)>,
        digests: usize,
    }

    impl Sink for Collect {
        fn out(&mut self) -> &mut Vec<u8> {
            &mut self.out
        }
        fn record(&mut self, start: usize, _: &[MemberSpan], is_object: bool, place: Place, _: Shape) {
            if is_object {
                self.records.push((String::from_utf8_lossy(&self.out[start..]).into_owned(), place));
            } else {
                self.not_objects.push(place);
            }
        }
        fn problem(&mut self, place: Option<Place>, _: Kind, message: String) {
            self.problems.push((place, message));
        }
        fn digest(&mut self) {
            self.digests += 1;
        }
    }

    /// Splits `input`, also fed through a reader in pieces of `step` bytes.
    fn run(input: &[u8]) -> Collect {
        let mut whole = Collect::default();
        split(&mut Feed::new(input.to_vec(), None), &mut whole);
        for step in [1usize, 3, 7] {
            struct Trickle(Vec<u8>, usize, usize);
            impl Read for Trickle {
                fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
                    let n = self.1.min(self.0.len() - self.2).min(b.len());
                    b[..n].copy_from_slice(&self.0[self.2..self.2 + n]);
                    self.2 += n;
                    Ok(n)
                }
            }
            let mut streamed = Collect::default();
            split(&mut Feed::new(Vec::new(), Some(Box::new(Trickle(input.to_vec(), step, 0)))), &mut streamed);
            assert_eq!(streamed.records, whole.records, "step {step}");
            assert_eq!(streamed.problems.len(), whole.problems.len(), "step {step}: {:?}", streamed.problems);
            assert_eq!(streamed.digests, whole.digests);
        }
        whole
    }

    #[test]
    fn records_wrapper() {
        let c = run(br#"{"Records":[{"a":1}, {"b":2}]}"#);
        assert_eq!(c.records, vec![(r#"{"a":1}"#.into(), Place::Record(0)), (r#"{"b":2}"#.into(), Place::Record(1))]);
        assert!(c.problems.is_empty());
        let c = run(b"{ \"Records\" : [ ] , \"x\" : {\"y\":[1]} }\n");
        assert!(c.records.is_empty() && c.problems.is_empty());
    }

    #[test]
    fn records_not_first_and_concatenated() {
        let c = run(br#"{"other":1,"Records":[{"a":1}]}{"Records":[{"b":2}]}"#);
        assert_eq!(c.records.len(), 2);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn arrays_objects_and_lines() {
        assert_eq!(run(br#"[{"a":1},{"a":2}]"#).records.len(), 2);
        let c = run(b"\xef\xbb\xbf{\"a\":1}");
        assert_eq!(c.records, vec![(r#"{"a":1}"#.into(), Place::Line(1))]);
        let c = run(b"{\"a\":1}\r\n{\"a\":2}\r\n\r\n{\"a\":3}\n");
        assert_eq!(
            c.records.iter().map(|r| r.1).collect::<Vec<_>>(),
            vec![Place::Line(1), Place::Line(2), Place::Line(4)]
        );
    }

    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let c = run(b"{\"a\":1}\nnot json at all\n{\"a\":2}\n");
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].0, Some(Place::Line(2)));
        let c = run(b"{\"a\":1}\n{\"a\":\n");
        assert_eq!(c.records.len(), 1);
        assert_eq!(c.problems[0].0, Some(Place::Line(2)));
        assert!(c.problems[0].1.contains("truncated"));
    }

    #[test]
    fn truncation_keeps_what_came_before() {
        let c = run(br#"{"Records":[{"a":1},{"a":2},{"a":"#);
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.problems, vec![(Some(Place::Record(2)), "file ends inside record 2 (truncated?)".into())]);
        let c = run(br#"{"Records":[{"a":1},{"a":2},]}"#);
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.problems.len(), 1);
        assert!(c.problems[0].1.contains("trailing comma"), "{:?}", c.problems);
    }

    #[test]
    fn non_objects_and_digests() {
        let c = run(br#"{"Records":[1,"two",null,{"a":1}]}"#);
        assert_eq!(c.records.len(), 1);
        assert_eq!(c.not_objects, vec![Place::Record(0), Place::Record(1), Place::Record(2)]);
        let c = run(br#"{"awsAccountId":"1","digestStartTime":"x","logFiles":[]}"#);
        assert_eq!((c.records.len(), c.digests, c.problems.len()), (0, 1, 0));
        let c = run(br#"{"Records":{"eventName":"x"}}"#);
        assert_eq!(c.records.len(), 0);
        assert_eq!(c.problems.len(), 1);
    }

    #[test]
    fn garbage_is_one_problem() {
        let c = run(&(0..=255u8).cycle().take(4096).collect::<Vec<_>>());
        assert!(c.records.is_empty());
        assert!(!c.problems.is_empty() && c.problems.len() <= 2, "{:?}", c.problems);
    }
}
