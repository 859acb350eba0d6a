//! Detection rules bound to the store and run over its events.
//!
//! Each field test of every rule becomes an atom, shared by the rules that
//! test the same thing. An atom on a field the field table interns (as
//! exactly the record's member) is answered from the column: a bitset over
//! the column's distinct values, extended as new values arrive, so a value
//! is matched once however many events hold it. Any other atom walks the
//! record with the query engine's path walker. Rules are indexed by the
//! event names they require, so an event is tested only against the rules
//! that can match it. Events are evaluated in id order (the order records
//! lie in chunks, so each chunk is decompressed once), slices in parallel.

use super::condition::Cond;
use super::pattern::{Modifiers, Pattern};
use super::rule::{Body, FieldTest, Rule, Selection, Test};
use crate::json::canon;
use crate::model::fields::{COLUMN_FIELDS, Field, Get};
use crate::query::path::{self, Step};
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::RwLock;

/// Events per slice of work (and per read lock).
const SLICE: usize = 16 * 1024;
/// Nested arrays at the end of a path are opened this deep, no deeper.
const LEAF_DEPTH: usize = 8;

/// Where an atom reads its field.
#[derive(Debug, Clone, PartialEq)]
enum Source {
    /// An interned column holding exactly the record's member at `path`.
    Column(Field),
    Path,
    /// The whole record (keywords).
    Whole,
}

#[derive(Debug)]
struct Atom {
    source: Source,
    path: Vec<Step>,
    test: Test,
}

/// The column values an atom holds for, as bits over value ids.
#[derive(Debug, Default)]
struct Bits {
    bits: Vec<u64>,
    upto: u32,
}

impl Bits {
    fn get(&self, id: u32) -> Option<bool> {
        (id < self.upto).then(|| self.bits[id as usize / 64] >> (id % 64) & 1 == 1)
    }

    fn set(&mut self, id: u32, on: bool) {
        let i = id as usize / 64;
        if self.bits.len() <= i {
            self.bits.resize(i + 1, 0);
        }
        if on {
            self.bits[i] |= 1 << (id % 64);
        }
    }
}

/// A detection rule ready to run: its searches as alternatives of
/// conjunctions of atoms, and its condition over the searches.
#[derive(Debug)]
struct Compiled {
    /// Index of the rule in the rule set.
    rule: usize,
    searches: Vec<Vec<Vec<usize>>>,
    cond: Cond,
    /// Atoms on the event name of which one must hold, for the index.
    keys: Option<Vec<usize>>,
}

/// The record path of each field the table interns as a member, for
/// binding Sigma field names to columns.
static COLUMN_PATHS: std::sync::LazyLock<HashMap<String, Field>> = std::sync::LazyLock::new(|| {
    COLUMN_FIELDS
        .iter()
        .filter_map(|&f| match f.def().get {
            Get::Top { key, .. } => Some((key.to_string(), f)),
            Get::Identity(key) => Some((format!("userIdentity.{key}"), f)),
            _ => None,
        })
        .collect()
});

/// Dotted Sigma field names are paths; a key holding dots is not expected in
/// CloudTrail.
fn steps(field: &str) -> Vec<Step> {
    field.split('.').map(|k| Step::Key(k.to_string())).collect()
}

/// A rule's match on an event, with the values (first of each) of the
/// fields in the rule's capture list, read while the record was at hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub id: EventId,
    pub rule: u32,
    pub captured: Vec<Option<String>>,
}

pub struct Engine {
    /// Per rule: fields whose values are read when it matches (those
    /// correlations need that only the record holds).
    capture: Vec<Vec<FieldPath>>,
    atoms: Vec<Atom>,
    bits: Vec<Option<Bits>>,
    compiled: Vec<Compiled>,
    /// Compiled rules with a name key, and those without.
    keyed: Vec<usize>,
    unkeyed: Vec<usize>,
    /// Name value id → compiled rules keyed on it.
    by_name: Vec<Vec<u32>>,
}

/// A worker thread's scratch: atom answers for the event at hand, stamped
/// with the event's turn so that nothing is cleared between events.
struct Scratch {
    cache: ChunkCache,
    turn: u32,
    stamps: Vec<u32>,
    answers: Vec<bool>,
    /// The record of the event at hand, once read (the buffer is reused).
    record: Vec<u8>,
}

impl Scratch {
    fn new(atoms: usize) -> Scratch {
        Scratch {
            cache: ChunkCache::new(2),
            turn: 0,
            stamps: vec![0; atoms],
            answers: vec![false; atoms],
            record: Vec::new(),
        }
    }
}

/// What an event's evaluation keeps between atoms: answers, and its record.
struct EventCx<'s> {
    store: &'s Store,
    id: EventId,
    exact: bool,
    scratch: &'s mut Scratch,
    has_record: bool,
}

impl EventCx<'_> {
    fn record(&mut self) -> &[u8] {
        if !self.has_record {
            let rec = self.store.record(self.id, &mut self.scratch.cache);
            self.scratch.record.clear();
            self.scratch.record.extend_from_slice(rec);
            self.has_record = true;
        }
        &self.scratch.record
    }
}

/// Calls `f` with every leaf value at `steps` in `rec`: arrays met at the
/// end of the path are opened (a few levels deep), nulls are absent.
fn leaves(rec: &[u8], steps: &[Step], f: &mut impl FnMut(&[u8]) -> bool) -> bool {
    path::any_value(rec, steps, &mut |v| each_leaf(v, LEAF_DEPTH, f))
}

fn each_leaf(v: &[u8], depth: usize, f: &mut impl FnMut(&[u8]) -> bool) -> bool {
    match v.first() {
        Some(b'[') if depth > 0 => canon::items(v).any(|item| each_leaf(item, depth - 1, f)),
        Some(b'n') if v == b"null" => false,
        Some(_) => f(v),
        None => false,
    }
}

/// A leaf's text as Sigma compares it: strings unescaped, other scalars as
/// written, objects as their compact JSON.
fn text(v: &[u8]) -> Cow<'_, str> {
    match v.first() {
        Some(b'"') => canon::unescape(v),
        _ => String::from_utf8_lossy(v),
    }
}

/// Whether `test` holds for a field whose values are `values` (none: absent).
fn test_values<'a>(test: &Test, values: impl Iterator<Item = Cow<'a, str>>) -> bool {
    let values: Vec<Cow<'a, str>> = values.collect();
    match test {
        Test::Exists(b) => values.is_empty() != *b,
        Test::Values { patterns, all, or_null } => {
            if values.is_empty() {
                return *or_null;
            }
            let hit = |p: &Pattern| values.iter().any(|v| p.matches(v));
            if *all { patterns.iter().all(hit) } else { patterns.iter().any(hit) }
        }
        Test::FieldRef { .. } => false,
    }
}

impl Engine {
    /// Binds the detection rules of `rules` to the store's columns;
    /// `capture[r]` names the fields read when rule `r` matches.
    pub fn new(rules: &[Rule], capture: &[Vec<String>]) -> Engine {
        let columns = &*COLUMN_PATHS;
        let mut atoms: Vec<Atom> = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        let mut atom_of = |t: &FieldTest| -> usize {
            let key = format!("{}\u{0}{:?}", t.field, t.test);
            *ids.entry(key).or_insert_with(|| {
                let source = match (t.field.as_str(), columns.get(&t.field)) {
                    ("", _) => Source::Whole,
                    (_, Some(&f)) if !matches!(t.test, Test::FieldRef { .. }) => Source::Column(f),
                    _ => Source::Path,
                };
                atoms.push(Atom { source, path: steps(&t.field), test: t.test.clone() });
                atoms.len() - 1
            })
        };
        let mut compiled = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let Body::Detection(d) = &r.body else { continue };
            let searches: Vec<Vec<Vec<usize>>> = d
                .selections
                .iter()
                .map(|(_, sel)| match sel {
                    Selection::All(tests) => vec![tests.iter().map(&mut atom_of).collect()],
                    Selection::Any(alts) => alts.iter().map(|tests| tests.iter().map(&mut atom_of).collect()).collect(),
                })
                .collect();
            compiled.push(Compiled { rule: i, searches, cond: d.condition.clone(), keys: None });
        }
        for c in &mut compiled {
            // A search needs, in each alternative, a test of the name that an absent name fails.
            let name_atom = |a: &usize| {
                atoms[*a].source == Source::Column(Field::Name)
                    && matches!(&atoms[*a].test, Test::Values { or_null: false, .. })
            };
            let searches = &c.searches;
            c.keys = c.cond.needs(&|s| searches[s].iter().map(|alt| alt.iter().copied().find(name_atom)).collect());
        }
        let (keyed, unkeyed): (Vec<usize>, Vec<usize>) = (0..compiled.len()).partition(|&c| compiled[c].keys.is_some());
        let bits = atoms.iter().map(|a| matches!(a.source, Source::Column(_)).then(Bits::default)).collect();
        let capture = (0..rules.len())
            .map(|r| capture.get(r).map_or_else(Vec::new, |fs| fs.iter().map(|f| FieldPath::new(f)).collect()))
            .collect();
        Engine { capture, atoms, bits, compiled, keyed, unkeyed, by_name: Vec::new() }
    }

    /// Per rule, the fields read when it matches (see [`Hit`]).
    pub fn capture(&self) -> &[Vec<FieldPath>] {
        &self.capture
    }

    /// How many atoms the rules share (for reports).
    pub fn atoms(&self) -> usize {
        self.atoms.len()
    }

    /// Matches the column atoms against values the store interned since
    /// the last call, and extends the name index.
    fn extend(&mut self, store: &Store) {
        for (a, bits) in self.atoms.iter().zip(&mut self.bits) {
            let (Source::Column(f), Some(bits)) = (&a.source, bits) else { continue };
            let dict = store.dict(*f);
            let top = dict.len() as u32 + 1;
            for id in bits.upto.max(1)..top {
                let v = dict.get(id);
                bits.set(id, test_values(&a.test, std::iter::once(Cow::Borrowed(v))));
            }
            bits.upto = top;
        }
        let names = store.dict(Field::Name).len() + 1;
        let start = self.by_name.len().max(1);
        self.by_name.resize(names, Vec::new());
        for id in start..names {
            for &c in &self.keyed {
                let keys = self.compiled[c].keys.as_deref().unwrap_or_default();
                if keys.iter().any(|&k| self.bits[k].as_ref().and_then(|b| b.get(id as u32)).unwrap_or(false)) {
                    self.by_name[id].push(c as u32);
                }
            }
        }
    }

    /// Whether atom `a` holds for the event.
    fn atom(&self, a: usize, cx: &mut EventCx) -> bool {
        if cx.scratch.stamps[a] == cx.scratch.turn {
            return cx.scratch.answers[a];
        }
        let atom = &self.atoms[a];
        let answer = match (&atom.source, &self.bits[a]) {
            (Source::Column(f), Some(bits)) if cx.exact => {
                let id = cx.store.value_id(cx.id, *f);
                match (id, &atom.test) {
                    (0, Test::Exists(b)) => !*b,
                    (0, Test::Values { or_null, .. }) => *or_null,
                    (_, Test::Exists(b)) => *b,
                    (id, _) => bits.get(id).unwrap_or(false),
                }
            }
            (Source::Whole, _) => {
                let rec = cx.record();
                test_values(&atom.test, std::iter::once(String::from_utf8_lossy(rec)))
            }
            _ => self.record_atom(atom, cx),
        };
        cx.scratch.stamps[a] = cx.scratch.turn;
        cx.scratch.answers[a] = answer;
        answer
    }

    /// An atom answered from the record.
    fn record_atom(&self, atom: &Atom, cx: &mut EventCx) -> bool {
        let rec = cx.record();
        if let Test::FieldRef { other, how } = &atom.test {
            let mut mine: Vec<String> = Vec::new();
            leaves(rec, &atom.path, &mut |v| {
                mine.push(text(v).into_owned());
                false
            });
            return other.iter().any(|o| {
                let mut found = false;
                leaves(rec, &steps(o), &mut |v| {
                    let theirs = text(v);
                    found = mine.iter().any(|m| field_ref_matches(m, &theirs, how));
                    found
                });
                found
            });
        }
        let mut values: Vec<Cow<'_, str>> = Vec::new();
        leaves(rec, &atom.path, &mut |v| {
            values.push(Cow::Owned(text(v).into_owned()));
            false
        });
        test_values(&atom.test, values.into_iter())
    }

    fn search(&self, c: &Compiled, s: usize, cx: &mut EventCx) -> bool {
        c.searches[s].iter().any(|alt| alt.iter().all(|&a| self.atom(a, cx)))
    }

    fn try_rule(&self, c: usize, cx: &mut EventCx, out: &mut Vec<Hit>) {
        let comp = &self.compiled[c];
        if comp.cond.eval(&mut |s| self.search(comp, s, cx)) {
            let fields = &self.capture[comp.rule];
            let captured = if fields.is_empty() {
                Vec::new()
            } else {
                let rec = cx.record();
                fields.iter().map(|f| f.first_in(rec)).collect()
            };
            out.push(Hit { id: cx.id, rule: comp.rule as u32, captured });
        }
    }

    /// Adds (event, rule) to `out` for every rule event `id` matches.
    fn event(&self, store: &Store, id: EventId, scratch: &mut Scratch, out: &mut Vec<Hit>) {
        scratch.turn = scratch.turn.wrapping_add(1);
        if scratch.turn == 0 {
            // After 4 billion events the stamps start over.
            scratch.stamps.fill(u32::MAX);
            scratch.turn = 1;
        }
        let exact = store.is_exact(id);
        let mut cx = EventCx { store, id, exact, scratch, has_record: false };
        if exact {
            let name = store.value_id(id, Field::Name) as usize;
            for &c in self.by_name.get(name).map_or(&[][..], |v| v.as_slice()) {
                self.try_rule(c as usize, &mut cx, out);
            }
        } else {
            // Without exact columns the index cannot be trusted: every rule is tried.
            for &c in &self.keyed {
                self.try_rule(c, &mut cx, out);
            }
        }
        for &c in &self.unkeyed {
            self.try_rule(c, &mut cx, out);
        }
    }

    /// Evaluates events `from..to` (appended, published or not); returns
    /// (event, rule) for every match, in event order.
    pub fn run(&mut self, store: &RwLock<Store>, from: usize, to: usize) -> Vec<Hit> {
        self.extend(&store.read().unwrap_or_else(|e| e.into_inner()));
        let this = &*self;
        let slices: Vec<(usize, usize)> = (from..to).step_by(SLICE).map(|a| (a, (a + SLICE).min(to))).collect();
        let found: Vec<Vec<Hit>> = slices
            .par_iter()
            .map_init(
                || Scratch::new(this.atoms.len()),
                |scratch, &(a, b)| {
                    let s = store.read().unwrap_or_else(|e| e.into_inner());
                    let mut out = Vec::new();
                    for id in a..b {
                        this.event(&s, id as EventId, scratch, &mut out);
                    }
                    out
                },
            )
            .collect();
        found.concat()
    }
}

/// `|fieldref` under the field's other modifiers: equality by default.
fn field_ref_matches(mine: &str, theirs: &str, how: &Modifiers) -> bool {
    let (a, b) =
        if how.cased { (mine.to_string(), theirs.to_string()) } else { (mine.to_lowercase(), theirs.to_lowercase()) };
    if how.contains {
        a.contains(&b)
    } else if how.startswith {
        a.starts_with(&b)
    } else if how.endswith {
        a.ends_with(&b)
    } else {
        a == b
    }
}

/// An event's record, read from the store the first time it is needed.
pub struct RecordOnce<'s> {
    pub store: &'s Store,
    pub id: EventId,
    pub cache: &'s mut ChunkCache,
    record: Option<Vec<u8>>,
    /// Values already read (a [`Hit`]'s capture), by field.
    known: (&'s [FieldPath], &'s [Option<String>]),
}

impl<'s> RecordOnce<'s> {
    pub fn new(store: &'s Store, id: EventId, cache: &'s mut ChunkCache) -> Self {
        RecordOnce { store, id, cache, record: None, known: (&[], &[]) }
    }

    /// An event whose values of `fields` are known already.
    pub fn knowing(mut self, fields: &'s [FieldPath], values: &'s [Option<String>]) -> Self {
        self.known = (fields, values);
        self
    }

    pub fn get(&mut self) -> &[u8] {
        if self.record.is_none() {
            self.record = Some(self.store.record(self.id, self.cache).to_vec());
        }
        self.record.as_deref().unwrap_or_default()
    }
}

/// A dotted field name bound once: its column, if the field table interns
/// it as the record's member, and its path.
pub struct FieldPath {
    pub name: String,
    pub column: Option<Field>,
    steps: Vec<Step>,
}

impl FieldPath {
    pub fn new(field: &str) -> FieldPath {
        FieldPath { name: field.to_string(), column: COLUMN_PATHS.get(field).copied(), steps: steps(field) }
    }

    /// The field's first value in a record.
    pub fn first_in(&self, rec: &[u8]) -> Option<String> {
        let mut out = None;
        leaves(rec, &self.steps, &mut |v| {
            out = Some(text(v).into_owned());
            true
        });
        out
    }

    /// The event's column value id for this field, when the column answers
    /// for it (Some(0): absent).
    pub fn value_id(&self, rec: &RecordOnce) -> Option<u32> {
        let f = self.column.filter(|_| rec.store.is_exact(rec.id))?;
        Some(rec.store.value_id(rec.id, f))
    }

    /// The field's first value in the event, from the column or the record.
    pub fn first(&self, rec: &mut RecordOnce) -> Option<String> {
        if let Some(v) = self.value_id(rec) {
            return (v != 0).then(|| rec.store.value(rec.id, self.column.expect("a column")).to_string());
        }
        let (fields, values) = rec.known;
        if let Some(i) = fields.iter().position(|f| f.name == self.name) {
            return values.get(i).cloned().flatten();
        }
        self.first_in(rec.get())
    }
}
