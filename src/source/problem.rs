//! What could not be loaded, where, and what kind of trouble it was.

use std::fmt;

/// Where in an item a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Index of an entry in a `Records` array or a top-level array (from 0,
    /// as in `.Records[3]`).
    Record(u64),
    /// Line of newline-delimited input (from 1, as editors count).
    Line(u64),
    /// Byte offset in the (decompressed) item.
    Byte(u64),
    /// An entry of a wrapper's list (`logEvents[2]`) inside the record or
    /// line `outer`.
    Inside { outer: Outer, list: &'static str, index: u64 },
}

/// The record or line holding a wrapper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outer {
    Record(u64),
    Line(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Record(n) => write!(f, "record {n}"),
            Place::Line(n) => write!(f, "line {n}"),
            Place::Byte(n) => write!(f, "byte {n}"),
            Place::Inside { outer: Outer::Record(n), list, index } => write!(f, "record {n}, {list}[{index}]"),
            Place::Inside { outer: Outer::Line(n), list, index } => write!(f, "line {n}, {list}[{index}]"),
        }
    }
}

impl Place {
    /// The place of entry `index` of a wrapper's `list` found at `self`.
    pub fn inside(self, list: &'static str, index: u64) -> Place {
        let outer = match self {
            Place::Line(n) | Place::Inside { outer: Outer::Line(n), .. } => Outer::Line(n),
            Place::Record(n) | Place::Byte(n) | Place::Inside { outer: Outer::Record(n), .. } => Outer::Record(n),
        };
        Place::Inside { outer, list, index }
    }
}

/// What kind of trouble a problem is, for people who filter them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// The item could not be opened or read (missing, permission, I/O).
    Unreadable,
    /// Nothing in it.
    Empty,
    /// Not JSON where JSON was expected.
    Syntax,
    /// It ends in the middle of something.
    Truncated,
    /// A value larger than the loader takes.
    TooLarge,
    /// JSON, but not a CloudTrail event (not an object, no or a bad eventTime).
    NotAnEvent,
    /// Kept, with invalid text repaired.
    Repaired,
    /// A bug, caught: the item's events are left out.
    Internal,
    /// Read, but its digest says it is not what CloudTrail delivered.
    Integrity,
    /// Not read: memory would have run short.
    Memory,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Unreadable => "unreadable",
            Kind::Empty => "empty",
            Kind::Syntax => "syntax",
            Kind::Truncated => "truncated",
            Kind::TooLarge => "too-large",
            Kind::NotAnEvent => "not-an-event",
            Kind::Repaired => "repaired",
            Kind::Internal => "internal",
            Kind::Integrity => "integrity",
            Kind::Memory => "memory",
        }
    }
}

/// An item, or a record in it, that could not be used (or was used with a repair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub place: Option<Place>,
    pub kind: Kind,
    pub message: String,
}

impl Problem {
    /// A problem with a whole item.
    pub fn item(path: impl Into<String>, kind: Kind, message: impl Into<String>) -> Problem {
        Problem { path: path.into(), place: None, kind, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Some(p) => write!(f, "{}: {}: {}", self.path, p, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}
