//! An index of the records' text, so that quoted text and record paths are
//! answered without reading every record. Built once loading is done.
//!
//! Every record is walked as a tree of paths (keys, and `[]` for the
//! elements of an array). Each scalar at a path is a *pair*:
//! - a pair seen often (at least [`build::FREQUENT`] times) gets the exact
//!   set of events holding it;
//! - a rare pair (an eventID, a request ID, a timestamp) is only noted: its
//!   event joins its path's set of events with a rare value (with the value
//!   itself while the path's rare values fit a budget), and the 5-grams of its text join a small bitmap of its block (a run of
//!   [`BLOCK`] events).
//!
//! Each path also keeps the events where it is present and where it holds
//! a non-empty object or array. A term is answered as a [`Narrow`]: the
//! events it surely matches, and those (few, where it works) whose records
//! must still be read. The answer is exact: the index only decides what it
//! knows, and the records decide the rest.

pub mod build;
pub mod postings;

use super::glob::Glob;
use super::path::Step;
use crate::json::canon;
use hashbrown::HashTable;
use memchr::memmem::Finder;
use postings::{Bits, Postings};

/// Bytes of a gram noted for rare text.
pub const GRAM: usize = 5;
/// Events per block: rare text is noted per block of events in id order.
pub const BLOCK: u32 = 256;
/// Bits of a block's gram bitmap per gram put in it: about a third of the
/// bits are set, so each gram of a search rules out two blocks in three.
const BITS_PER_GRAM: usize = 5;
const BITS_PER_GRAM_DIV: usize = 2;
const ROOT: u32 = 0;

/// Bytes that structure JSON: text holding one may span tokens, which the
/// index does not join, so such text is read in the records. A colon is
/// safe but first: between a key and its value it follows a quote.
const STRUCTURAL: &[u8] = b"\"{}[],";

/// A path in the records: a key under its parent, or the elements of an array.
struct Node {
    parent: u32,
    /// The key as written in canonical JSON, without quotes; None: array elements.
    key: Option<Box<[u8]>>,
    /// Events where it is present (for a key) ...
    present: Postings,
    /// ... where it holds a non-empty object or array ...
    container: Postings,
    /// ... and where it holds a value too rare to have a pair.
    rare: Postings,
    /// Those rare values themselves, while they fit the budget.
    rare_values: Option<RareValues>,
    /// Its frequent pairs.
    pairs: Vec<u32>,
    /// The node of its array elements, if any.
    elements: u32,
}

/// The rare values at a path, with the event of each.
#[derive(Default)]
struct RareValues {
    events: Vec<u32>,
    ends: Vec<u32>,
    text: Vec<u8>,
}

impl RareValues {
    fn each(&self) -> impl Iterator<Item = (u32, &[u8])> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        self.events.iter().zip(starts.zip(&self.ends)).map(|(&e, (a, &b))| (e, &self.text[a as usize..b as usize]))
    }

    fn heap_bytes(&self) -> usize {
        self.events.capacity() * 4 + self.ends.capacity() * 4 + self.text.capacity()
    }

    /// What its values count for against the budget: their text and 8 bytes each.
    fn budget(&self) -> usize {
        self.text.len() + self.events.len() * 8
    }
}

/// A frequent scalar at a path: `token` is its canonical JSON text.
struct Pair {
    node: u32,
    token: u32,
    events: Postings,
}

pub struct TextIndex {
    /// Events covered: ids from 0 to this; later ones are not indexed.
    events: u32,
    nodes: Vec<Node>,
    /// Node ids by (parent, key).
    children: HashTable<u32>,
    pairs: Vec<Pair>,
    /// Distinct tokens of the pairs, one after another, with where each starts.
    tokens: Vec<u8>,
    token_starts: Vec<u32>,
    /// The tokens' text, and the pairs of each token.
    tokens_lower: Haystack,
    token_pairs: Vec<Vec<u32>>,
    /// The keys, and the node of each.
    keys_lower: Haystack,
    key_nodes: Vec<u32>,
    /// The gram bitmaps of the blocks, one after another ...
    filters: Vec<u64>,
    /// ... where each block's ends.
    filter_ends: Vec<u32>,
    /// Events the walk could not index (nested too deep): always read.
    unindexed: Vec<u32>,
    /// How long it took to build.
    pub took: std::time::Duration,
}

/// Texts ASCII-lowercased one after another, each ended by a NUL (which
/// canonical text never holds unescaped), searched in one pass.
#[derive(Default)]
struct Haystack {
    text: Vec<u8>,
    starts: Vec<u32>,
}

impl Haystack {
    fn push(&mut self, item: &[u8]) {
        self.starts.push(self.text.len() as u32);
        self.text.extend(item.iter().map(u8::to_ascii_lowercase));
        self.text.push(0);
    }

    /// Marks in `found` (one flag per text) the texts holding what `finder` looks for.
    fn mark(&self, finder: &Finder, found: &mut [bool]) {
        for at in finder.find_iter(&self.text) {
            // The text holding `at` is the last to start at or before it.
            found[self.starts.partition_point(|&st| st as usize <= at) - 1] = true;
        }
    }

    fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.starts.capacity() * 4
    }
}

/// What the index says of a term.
#[derive(Debug, Clone)]
pub struct Narrow {
    /// Events the term surely matches.
    pub sure: Bits,
    /// Events whose records must be read to know.
    pub check: Bits,
    /// Blocks whose every event's record must be read to know.
    pub check_blocks: Vec<bool>,
    /// Events whose records must be read if they lie in one of `maybe_blocks`.
    pub maybe: Bits,
    pub maybe_blocks: Vec<bool>,
    /// Events covered: the records of later ones must be read.
    pub events: u32,
}

impl Narrow {
    /// Whether event `id` matches: None when its record must be read.
    pub fn decide(&self, id: u32) -> Option<bool> {
        let block = (id / BLOCK) as usize;
        if id >= self.events {
            None
        } else if self.sure.get(id) {
            Some(true)
        } else if self.check.get(id) || self.check_blocks[block] || (self.maybe.get(id) && self.maybe_blocks[block]) {
            None
        } else {
            Some(false)
        }
    }

    /// Whether every covered event is decided without reading a record.
    pub fn is_exact(&self) -> bool {
        self.check.is_empty()
            && !self.check_blocks.contains(&true)
            && (self.maybe.is_empty() || !self.maybe_blocks.contains(&true))
    }
}

fn node_hash(parent: u32, key: Option<&[u8]>) -> u64 {
    match key {
        Some(k) => xxhash_rust::xxh3::xxh3_64_with_seed(k, parent as u64),
        None => xxhash_rust::xxh3::xxh3_64_with_seed(b"[]", (parent as u64) | 1 << 40),
    }
}

fn gram_hash(g: &[u8]) -> u32 {
    let v = u64::from_le_bytes([g[0], g[1], g[2], g[3], g[4], 0, 0, 0]);
    // Multiply-xorshift: the high bits pick the bit, so mix them well.
    let h = v.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    ((h ^ (h >> 29)) >> 32) as u32
}

/// The bit of gram hash `h` in a bitmap of `words` words.
fn gram_bit(h: u32, words: usize) -> usize {
    ((h as u64 * (words as u64 * 64)) >> 32) as usize
}

/// Whether gram hash `h` may be in `filter`.
fn has(filter: &[u64], h: u32) -> bool {
    let b = gram_bit(h, filter.len());
    filter[b / 64] >> (b % 64) & 1 == 1
}

/// The text of a token that text search looks in: a string's body, or a
/// number or literal as written.
fn body(token: &[u8]) -> &[u8] {
    match token {
        [b'"', inner @ .., b'"'] => inner,
        other => other,
    }
}

impl TextIndex {
    pub fn events(&self) -> u32 {
        self.events
    }

    fn token(&self, t: u32) -> &[u8] {
        &self.tokens[self.token_starts[t as usize] as usize..self.token_starts[t as usize + 1] as usize]
    }

    fn child(&self, parent: u32, key: &[u8]) -> Option<u32> {
        let h = node_hash(parent, Some(key));
        self.children
            .find(h, |&n| {
                let node = &self.nodes[n as usize];
                node.parent == parent && node.key.as_deref() == Some(key)
            })
            .copied()
    }

    /// The nodes a path reaches, arrays met by a key looked through as the
    /// record walk does; and whether they are exactly its values (an index
    /// step is only followed into the elements, whichever they are).
    fn resolve(&self, steps: &[Step]) -> (Vec<u32>, bool) {
        let mut frontier = vec![ROOT];
        let mut exact = true;
        for step in steps {
            let mut next = Vec::new();
            match step {
                Step::Key(k) => {
                    let mut open = std::mem::take(&mut frontier);
                    while let Some(n) = open.pop() {
                        let e = self.nodes[n as usize].elements;
                        if e != 0 {
                            open.push(e);
                        }
                        next.extend(self.child(n, k.as_bytes()));
                    }
                }
                Step::Index(_) => {
                    exact = false;
                    next.extend(frontier.iter().map(|&n| self.nodes[n as usize].elements).filter(|&e| e != 0));
                }
            }
            frontier = next;
        }
        (frontier, exact)
    }

    fn answer(&self) -> Narrow {
        let mut check = Bits::new(self.events as usize);
        for &id in &self.unindexed {
            check.set(id);
        }
        Narrow {
            sure: Bits::new(self.events as usize),
            check,
            check_blocks: vec![false; self.filter_ends.len()],
            maybe: Bits::new(self.events as usize),
            maybe_blocks: vec![false; self.filter_ends.len()],
            events: self.events,
        }
    }

    /// The events whose value at `steps` matches `glob`, as the record walk
    /// of [`super::path::any_value`] finds them.
    pub fn path(&self, steps: &[Step], glob: &Glob) -> Narrow {
        let mut out = self.answer();
        let (nodes, exact) = self.resolve(steps);
        // A whole object or array is matched as its JSON text: only a pattern
        // that can start with `{` or `[` can match one.
        let first = glob.parts().first().map_or("", String::as_str);
        let containers = first.is_empty() || first.starts_with(['{', '[']);
        for n in nodes {
            let node = &self.nodes[n as usize];
            for &p in &node.pairs {
                let pair = &self.pairs[p as usize];
                if canon::scalar_text(self.token(pair.token)).is_some_and(|t| glob.matches(&t)) {
                    pair.events.add_to(if exact { &mut out.sure } else { &mut out.check });
                }
            }
            match &node.rare_values {
                Some(values) => {
                    for (event, token) in values.each() {
                        if canon::scalar_text(token).is_some_and(|t| glob.matches(&t)) {
                            (if exact { &mut out.sure } else { &mut out.check }).set(event);
                        }
                    }
                }
                None => node.rare.add_to(&mut out.maybe),
            }
            if containers {
                node.container.add_to(&mut out.check);
            }
        }
        // A rare value matching the pattern holds its literal pieces, so its
        // block's grams hold theirs: ASCII pieces the canonical form writes
        // as they are.
        let pieces: Vec<Vec<u32>> = glob
            .parts()
            .iter()
            .filter(|p| p.len() >= GRAM && p.is_ascii() && canon::escape_like_canonical(p) == **p)
            .map(|p| p.as_bytes().windows(GRAM).map(gram_hash).collect())
            .collect();
        self.blocks_with(&mut out.maybe_blocks, |filter| pieces.iter().all(|g| g.iter().all(|&b| has(filter, b))));
        out
    }

    /// Marks the blocks whose gram bitmap passes `test`.
    fn blocks_with(&self, marks: &mut [bool], test: impl Fn(&[u64]) -> bool) {
        let mut at = 0;
        for (mark, &end) in marks.iter_mut().zip(&self.filter_ends) {
            *mark = test(&self.filters[at..end as usize]);
            at = end as usize;
        }
    }

    /// The events whose canonical record holds one of `spellings` (ASCII
    /// lowercase, as [`super::eval`] searches), ignoring ASCII case. None
    /// when the index cannot narrow it: text with JSON's structure in it, or
    /// shorter than a gram.
    pub fn text(&self, spellings: &[Vec<u8>]) -> Option<Narrow> {
        if spellings.iter().any(|s| s.len() < GRAM || s[0] == b':' || s.iter().any(|b| STRUCTURAL.contains(b))) {
            return None;
        }
        let mut out = self.answer();
        let mut tokens = vec![false; self.token_pairs.len()];
        let mut keys = vec![false; self.key_nodes.len()];
        for s in spellings {
            let finder = Finder::new(s);
            self.tokens_lower.mark(&finder, &mut tokens);
            self.keys_lower.mark(&finder, &mut keys);
        }
        let pairs = tokens.iter().zip(&self.token_pairs).filter(|(f, _)| **f).flat_map(|(_, p)| p);
        for &p in pairs {
            self.pairs[p as usize].events.add_to(&mut out.sure);
        }
        for (_, &n) in keys.iter().zip(&self.key_nodes).filter(|(f, _)| **f) {
            self.nodes[n as usize].present.add_to(&mut out.sure);
        }
        let grams: Vec<Vec<u32>> = spellings.iter().map(|s| s.windows(GRAM).map(gram_hash).collect()).collect();
        self.blocks_with(&mut out.check_blocks, |filter| grams.iter().any(|g| g.iter().all(|&b| has(filter, b))));
        Some(out)
    }

    /// Heap bytes held, and how many paths and pairs.
    pub fn memory(&self) -> IndexSize {
        let postings: usize = self.pairs.iter().map(|p| p.events.heap_bytes()).sum::<usize>()
            + self
                .nodes
                .iter()
                .map(|n| n.present.heap_bytes() + n.container.heap_bytes() + n.rare.heap_bytes())
                .sum::<usize>();
        let rare_values = self.nodes.iter().filter_map(|n| n.rare_values.as_ref()).map(RareValues::heap_bytes).sum();
        let other = self.nodes.len() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(|n| n.key.as_ref().map_or(0, |k| k.len()) + n.pairs.capacity() * 4).sum::<usize>()
            + self.children.capacity() * 5
            + self.pairs.len() * std::mem::size_of::<Pair>()
            + self.tokens.capacity()
            + self.token_starts.capacity() * 4
            + self.tokens_lower.heap_bytes()
            + self.token_pairs.iter().map(|t| 24 + t.capacity() * 4).sum::<usize>()
            + self.keys_lower.heap_bytes()
            + self.key_nodes.capacity() * 4
            + self.unindexed.capacity() * 4;
        IndexSize {
            postings,
            rare_values,
            filters: self.filters.capacity() * 8 + self.filter_ends.capacity() * 4,
            other,
            paths: self.nodes.len(),
            pairs: self.pairs.len(),
        }
    }
}

/// The size of an index.
#[derive(Debug, Clone, Copy, Default)]
pub struct IndexSize {
    pub postings: usize,
    pub rare_values: usize,
    pub filters: usize,
    pub other: usize,
    pub paths: usize,
    pub pairs: usize,
}

impl IndexSize {
    pub fn total(&self) -> usize {
        self.postings + self.rare_values + self.filters + self.other
    }
}
