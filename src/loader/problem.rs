//! What could not be loaded, and where.

use std::fmt;

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Index of an entry in a `Records` array or a top-level array (from 0,
    /// as in `.Records[3]`).
    Record(u64),
    /// Line of newline-delimited input (from 1, as editors count).
    Line(u64),
    /// Byte offset in the (decompressed) file.
    Byte(u64),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Record(n) => write!(f, "record {n}"),
            Place::Line(n) => write!(f, "line {n}"),
            Place::Byte(n) => write!(f, "byte {n}"),
        }
    }
}

/// A file, or a record in it, that could not be used (or was used with a repair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub place: Option<Place>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.place {
            Some(p) => write!(f, "{}: {}: {}", self.path, p, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}
