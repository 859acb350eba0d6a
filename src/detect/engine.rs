//! Detection rules compiled for the loader to run on each event while its
//! record is at hand (see [`crate::store::batch::Watch`]).
//!
//! Each field test of every rule becomes an atom, shared by the rules that
//! test the same thing. An atom on a field the field table interns (as
//! exactly the record's member) is answered from the batch's column value:
//! each distinct value of a batch is tested once, however many events hold
//! it. Any other atom walks the record with the query engine's path walker,
//! from the top-level member its path starts with (the loader knows where
//! each lies).
//! Rules are indexed by a column their condition needs a value of (the
//! event name when it can): an event is tested only against the rules that
//! can match it.

use super::condition::Cond;
use super::pattern::{self, Modifiers};
use super::rule::{Body, DERIVED, FieldTest, Rule, Selection, Test};
use crate::json::canon;
use crate::json::scan::MemberSpan;
use crate::model::fields::{COLUMN_FIELDS, Field, Get};
use crate::query::path::{self, Step};
use crate::store::batch::Batch;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use std::borrow::Cow;
use std::collections::HashMap;

/// Nested arrays at the end of a path are opened this deep, no deeper.
const LEAF_DEPTH: usize = 8;

/// Where an atom reads its field.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source {
    /// An interned column (its index) holding exactly the record's member at `path`.
    Column(usize),
    Path,
    /// The whole record (keywords).
    Whole,
    /// A field trailscope works out (its index in [`DERIVED`]), known once loading ends.
    Derived(usize),
}

#[derive(Debug)]
struct Atom {
    source: Source,
    path: Vec<Step>,
    test: Test,
}

impl Atom {
    /// The answer for an absent column value.
    fn absent(&self) -> bool {
        match &self.test {
            Test::Exists(b) => !*b,
            Test::Values { or_null, .. } => *or_null,
            Test::FieldRef { .. } => false,
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
    /// The searches on derived fields (answered once loading ends).
    deferred: Vec<usize>,
}

/// A column that rules are indexed by: the atoms on it of which one holds
/// whenever such a rule matches, each with the rules it keys.
#[derive(Debug)]
struct Key {
    column: usize,
    atoms: Vec<(usize, Vec<u32>)>,
}

/// Columns tried last as a rule's key: few distinct values, so a key on them
/// selects many events.
const BROAD: [Field; 6] =
    [Field::IdentityType, Field::Source, Field::Region, Field::ReadOnly, Field::EventType, Field::Category];

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
    /// The event: its index in its batch until the store gives it an id.
    pub id: EventId,
    pub rule: u32,
    pub captured: Vec<Option<String>>,
    /// For a rule that tests derived fields: which of its other searches
    /// held (bit per search); the match is settled once loading ends.
    pub pending: Option<u32>,
}

/// The detection rules of a rule set, compiled.
pub struct Engine {
    /// Per rule: fields whose values are read when it matches (those
    /// correlations need that only the record holds).
    capture: Vec<Vec<FieldPath>>,
    atoms: Vec<Atom>,
    compiled: Vec<Compiled>,
    keys: Vec<Key>,
    /// Compiled rules with a key, and those without.
    keyed: Vec<u32>,
    unkeyed: Vec<u32>,
    /// Per rule: its compiled index, for detection rules.
    by_rule: Vec<Option<u32>>,
}

/// What evaluating a batch's events keeps: column atoms' answers per value
/// of the batch, the rules each key value selects, and per event the atoms
/// answered (stamped with the event's turn so nothing is cleared between
/// events). One per loader thread, made by [`Engine::local`].
pub struct Local {
    /// Per atom, by batch value id: 0 not yet known, 1 false, 2 true.
    answers: Vec<Vec<u8>>,
    /// Per key, by batch value id: the rules to try (None: not yet known).
    selected: Vec<Vec<Option<Box<[u32]>>>>,
    turn: u32,
    stamps: Vec<u32>,
    event: Vec<bool>,
}

impl Local {
    /// Forgets the batch's values (a new batch has its own ids).
    pub fn clear(&mut self) {
        self.answers.iter_mut().for_each(Vec::clear);
        self.selected.iter_mut().for_each(Vec::clear);
    }
}

/// A canonical record with the spans of its top-level members.
pub type Record<'a> = (&'a [u8], &'a [MemberSpan]);

/// The event being evaluated.
struct EventCx<'a> {
    batch: &'a Batch,
    i: usize,
    record: Record<'a>,
}

/// Calls `f` with every leaf value at `steps` in `rec`: arrays met at the
/// end of the path are opened (a few levels deep), nulls are absent.
fn leaves(rec: &[u8], steps: &[Step], f: &mut impl FnMut(&[u8]) -> bool) -> bool {
    path::any_value(rec, steps, &mut |v| each_leaf(v, LEAF_DEPTH, f))
}

/// [`leaves`], going straight to the top-level members the path starts
/// with instead of scanning the record for them.
fn leaves_in((rec, spans): Record, steps: &[Step], f: &mut impl FnMut(&[u8]) -> bool) -> bool {
    let (Some(Step::Key(first)), false) = (steps.first(), spans.is_empty()) else { return leaves(rec, steps, f) };
    let at = |(a, b): (u32, u32)| rec.get(a as usize..b as usize).unwrap_or_default();
    spans.iter().filter(|s| canon::key_is(at(s.key), first)).any(|s| match &steps[1..] {
        [] => each_leaf(at(s.value), LEAF_DEPTH, f),
        rest => leaves(at(s.value), rest, f),
    })
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

/// A test taking a field's values one by one (none: the field is absent),
/// without keeping them.
struct Tally<'t> {
    test: &'t Test,
    seen: bool,
    hit: bool,
    /// With `|all`: which patterns some value matched.
    each: Vec<bool>,
}

impl<'t> Tally<'t> {
    fn new(test: &'t Test) -> Tally<'t> {
        Tally { test, seen: false, hit: false, each: Vec::new() }
    }

    /// Takes a value; returns true once the answer cannot change.
    fn offer(&mut self, v: &str) -> bool {
        self.seen = true;
        match self.test {
            Test::Values { patterns, all: false, .. } => {
                // An address is read once for all the CIDR ranges of a list.
                let mut address = None;
                self.hit = patterns.iter().any(|p| match p.is_cidr() {
                    true => p.matches_address(*address.get_or_insert_with(|| pattern::address(v))),
                    false => p.matches(v),
                });
                self.hit
            }
            Test::Values { patterns, all: true, .. } => {
                self.each.resize(patterns.len(), false);
                for (done, p) in self.each.iter_mut().zip(patterns) {
                    *done = *done || p.matches(v);
                }
                self.hit = self.each.iter().all(|d| *d);
                self.hit
            }
            _ => true,
        }
    }

    fn answer(&self) -> bool {
        match self.test {
            Test::Exists(b) => self.seen == *b,
            Test::Values { or_null, .. } if !self.seen => *or_null,
            Test::Values { .. } => self.hit,
            Test::FieldRef { .. } => false,
        }
    }
}

/// Whether `test` holds for a field with the one value `v`.
fn test_one(test: &Test, v: &str) -> bool {
    let mut t = Tally::new(test);
    t.offer(v);
    t.answer()
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
                let derived = DERIVED.iter().position(|d| *d == t.field);
                let source = match (t.field.as_str(), columns.get(&t.field).and_then(|f| f.column())) {
                    _ if derived.is_some() => Source::Derived(derived.unwrap_or_default()),
                    ("", _) => Source::Whole,
                    (_, Some(c)) if !matches!(t.test, Test::FieldRef { .. }) => Source::Column(c),
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
            compiled.push(Compiled { rule: i, searches, cond: d.condition.clone(), deferred: d.deferred() });
        }
        let mut by_rule = vec![None; rules.len()];
        for (ci, c) in compiled.iter().enumerate() {
            by_rule[c.rule] = Some(ci as u32);
        }
        let (keys, keyed, unkeyed) = index(&atoms, &compiled);
        let capture = (0..rules.len())
            .map(|r| capture.get(r).map_or_else(Vec::new, |fs| fs.iter().map(|f| FieldPath::new(f)).collect()))
            .collect();
        Engine { capture, atoms, compiled, keys, keyed, unkeyed, by_rule }
    }

    /// A loader thread's scratch for evaluating events.
    pub fn local(&self) -> Local {
        let atoms = self.atoms.len();
        Local {
            answers: vec![Vec::new(); atoms],
            selected: vec![Vec::new(); self.keys.len()],
            turn: 0,
            stamps: vec![0; atoms],
            event: vec![false; atoms],
        }
    }

    /// Per rule, the fields read when it matches (see [`Hit`]).
    pub fn capture(&self) -> &[Vec<FieldPath>] {
        &self.capture
    }

    /// Atom `a` on column `c` for the batch's value `id`.
    fn column_atom(&self, local: &mut Local, a: usize, c: usize, id: u32, batch: &Batch) -> bool {
        if id == 0 {
            return self.atoms[a].absent();
        }
        let known = &mut local.answers[a];
        if known.len() <= id as usize {
            known.resize(batch.dicts[c].len() + 1, 0);
        }
        match known[id as usize] {
            0 => {
                let yes = test_one(&self.atoms[a].test, batch.dicts[c].get(id));
                known[id as usize] = 1 + yes as u8;
                yes
            }
            k => k == 2,
        }
    }

    /// Whether atom `a` holds for the event.
    fn atom(&self, local: &mut Local, a: usize, cx: &EventCx) -> bool {
        if local.stamps[a] == local.turn {
            return local.event[a];
        }
        let atom = &self.atoms[a];
        let answer = match atom.source {
            Source::Column(c) if cx.batch.exact[cx.i] => {
                self.column_atom(local, a, c, cx.batch.values[cx.i][c], cx.batch)
            }
            Source::Whole => test_one(&atom.test, &String::from_utf8_lossy(cx.record.0)),
            // Never asked while loading (see `try_rule`).
            Source::Derived(_) => false,
            _ => record_atom(atom, cx.record),
        };
        local.stamps[a] = local.turn;
        local.event[a] = answer;
        answer
    }

    fn search(&self, local: &mut Local, c: &Compiled, s: usize, cx: &EventCx) -> bool {
        c.searches[s].iter().any(|alt| alt.iter().all(|&a| self.atom(local, a, cx)))
    }

    fn try_rule(&self, local: &mut Local, c: u32, cx: &EventCx, out: &mut Vec<Hit>) {
        let comp = &self.compiled[c as usize];
        let (id, rule) = (cx.i as EventId, comp.rule as u32);
        if comp.deferred.is_empty() {
            if comp.cond.eval(&mut |s| self.search(local, comp, s, cx)) {
                let captured = self.capture[comp.rule].iter().map(|f| f.first_in(cx.record)).collect();
                out.push(Hit { id, rule, captured, pending: None });
            }
            return;
        }
        // The record's searches now; the match stands if some answers of the
        // derived ones could make it (they are known once loading ends).
        let held = (0..comp.searches.len())
            .filter(|s| !comp.deferred.contains(s) && self.search(local, comp, *s, cx))
            .fold(0u32, |m, s| m | 1 << s);
        let possible =
            (0..1u32 << comp.deferred.len()).any(|derived| comp.cond.eval(&mut |s| answer(comp, held, derived, s)));
        if possible {
            out.push(Hit { id, rule, captured: Vec::new(), pending: Some(held) });
        }
    }

    /// Whether a pending hit (see [`Hit::pending`]) stands, given the values
    /// of each derived field (by its index in [`DERIVED`]) for its event.
    pub fn settle(&self, rule: u32, held: u32, values: &mut dyn FnMut(usize) -> Vec<&'static str>) -> bool {
        let Some(Some(c)) = self.by_rule.get(rule as usize) else { return false };
        let comp = &self.compiled[*c as usize];
        let mut known: Vec<Option<Vec<&'static str>>> = vec![None; DERIVED.len()];
        let mut derived = 0u32;
        for (j, &s) in comp.deferred.iter().enumerate() {
            let holds = comp.searches[s].iter().any(|alt| {
                alt.iter().all(|&a| {
                    let atom = &self.atoms[a];
                    let Source::Derived(f) = atom.source else { return false };
                    let vs = known[f].get_or_insert_with(|| values(f));
                    let mut tally = Tally::new(&atom.test);
                    for v in vs.iter() {
                        if tally.offer(v) {
                            break;
                        }
                    }
                    tally.answer()
                })
            });
            derived |= (holds as u32) << j;
        }
        comp.cond.eval(&mut |s| answer(comp, held, derived, s))
    }

    /// The rules key `k` selects for the batch's value `id` of its column.
    fn selected(&self, local: &mut Local, k: usize, id: u32, batch: &Batch) -> Box<[u32]> {
        let key = &self.keys[k];
        let mut rules: Vec<u32> = Vec::new();
        for (a, keyed) in &key.atoms {
            if self.column_atom(local, *a, key.column, id, batch) {
                rules.extend(keyed);
            }
        }
        rules.sort_unstable();
        rules.dedup();
        rules.into_boxed_slice()
    }

    /// Adds a [`Hit`] (its id: `i`, the event's index in the batch) for
    /// every rule that event `i` of `batch`, whose record is `record`, matches.
    pub fn event(&self, local: &mut Local, batch: &Batch, i: usize, record: Record, out: &mut Vec<Hit>) {
        local.turn = local.turn.wrapping_add(1);
        if local.turn == 0 {
            // After 4 billion events the stamps start over.
            local.stamps.fill(u32::MAX);
            local.turn = 1;
        }
        let cx = EventCx { batch, i, record };
        if batch.exact[i] {
            for k in 0..self.keys.len() {
                let id = batch.values[i][self.keys[k].column];
                let known = &mut local.selected[k];
                if known.len() <= id as usize {
                    known.resize(batch.dicts[self.keys[k].column].len() + 1, None);
                }
                let rules = match local.selected[k][id as usize].take() {
                    Some(r) => r,
                    None => self.selected(local, k, id, batch),
                };
                for &c in rules.iter() {
                    self.try_rule(local, c, &cx, out);
                }
                local.selected[k][id as usize] = Some(rules);
            }
        } else {
            // Without exact columns the index cannot be trusted: every rule is tried.
            for &c in &self.keyed {
                self.try_rule(local, c, &cx, out);
            }
        }
        for &c in &self.unkeyed {
            self.try_rule(local, c, &cx, out);
        }
    }
}

/// Search `s` of a rule testing derived fields, given the bits of its record
/// searches that held and of its derived searches (in `deferred` order).
fn answer(comp: &Compiled, held: u32, derived: u32, s: usize) -> bool {
    match comp.deferred.iter().position(|&d| d == s) {
        Some(j) => derived >> j & 1 == 1,
        None => held >> s & 1 == 1,
    }
}

/// Indexes the rules: each by the first column (the event name first, the
/// broad ones last) on which every way the rule can match needs an atom
/// that an absent value fails, preferring tests of values to `|exists`
/// (most events have most fields). Returns the keys, and the rules keyed and
/// not.
fn index(atoms: &[Atom], compiled: &[Compiled]) -> (Vec<Key>, Vec<u32>, Vec<u32>) {
    let name = Field::Name.column();
    let broad: Vec<Option<usize>> = BROAD.iter().map(|f| f.column()).collect();
    let mut order: Vec<usize> =
        (0..COLUMN_FIELDS.len()).filter(|&c| Some(c) != name && !broad.contains(&Some(c))).collect();
    order.splice(0..0, name);
    order.extend(broad.into_iter().flatten());
    let mut keys: Vec<Key> = Vec::new();
    let (mut keyed, mut unkeyed) = (Vec::new(), Vec::new());
    for (ci, c) in compiled.iter().enumerate() {
        let needs = |col: usize, exists: bool| {
            let on = |a: &usize| {
                let atom = &atoms[*a];
                atom.source == Source::Column(col)
                    && match atom.test {
                        Test::Values { or_null, .. } => !or_null,
                        Test::Exists(b) => b && exists,
                        Test::FieldRef { .. } => false,
                    }
            };
            let searches = &c.searches;
            c.cond.needs(&|s| searches[s].iter().map(|alt| alt.iter().copied().find(on)).collect()).map(|n| (col, n))
        };
        let found = [false, true].into_iter().find_map(|exists| order.iter().find_map(|&col| needs(col, exists)));
        let Some((column, mut needs)) = found else {
            unkeyed.push(ci as u32);
            continue;
        };
        needs.sort_unstable();
        needs.dedup();
        let k = match keys.iter().position(|k| k.column == column) {
            Some(k) => k,
            None => {
                keys.push(Key { column, atoms: Vec::new() });
                keys.len() - 1
            }
        };
        for a in needs {
            match keys[k].atoms.iter_mut().find(|(x, _)| *x == a) {
                Some((_, rules)) => rules.push(ci as u32),
                None => keys[k].atoms.push((a, vec![ci as u32])),
            }
        }
        keyed.push(ci as u32);
    }
    (keys, keyed, unkeyed)
}

/// An atom answered from the record.
fn record_atom(atom: &Atom, rec: Record) -> bool {
    if let Test::FieldRef { other, how } = &atom.test {
        let mut mine: Vec<String> = Vec::new();
        leaves_in(rec, &atom.path, &mut |v| {
            mine.push(text(v).into_owned());
            false
        });
        return other.iter().any(|o| {
            let mut found = false;
            leaves_in(rec, &steps(o), &mut |v| {
                let theirs = text(v);
                found = mine.iter().any(|m| field_ref_matches(m, &theirs, how));
                found
            });
            found
        });
    }
    let mut tally = Tally::new(&atom.test);
    leaves_in(rec, &atom.path, &mut |v| tally.offer(&text(v)));
    tally.answer()
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

    /// The field's first value in a record (with its members' spans, if known).
    pub fn first_in(&self, rec: Record) -> Option<String> {
        let mut out = None;
        leaves_in(rec, &self.steps, &mut |v| {
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
        self.first_in((rec.get(), &[]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::RuleSet;

    fn engine(detections: &[&str]) -> Engine {
        let texts: Vec<(String, String, bool)> = detections
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let doc = format!("title: r{i}\nlogsource: {{product: aws, service: cloudtrail}}\ndetection:\n{d}\n");
                (format!("r{i}.yml"), doc, false)
            })
            .collect();
        let set = RuleSet::from_texts(&texts);
        assert!(set.unsupported.is_empty(), "{:?}", set.unsupported);
        Engine::new(&set.rules, &[])
    }

    /// The column each rule is keyed by (None: tried on every event).
    fn keyed_by(e: &Engine) -> Vec<Option<Field>> {
        (0..e.compiled.len())
            .map(|c| {
                let key = e.keys.iter().find(|k| k.atoms.iter().any(|(_, rules)| rules.contains(&(c as u32))))?;
                Some(COLUMN_FIELDS[key.column])
            })
            .collect()
    }

    #[test]
    fn rules_are_keyed_by_the_most_telling_column_their_condition_needs() {
        let e = engine(&[
            // The event name wins over any other column.
            "  sel: {eventName: GetObject, userAgent|contains: kali}\n  condition: sel",
            // A tested value wins over `|exists` (most events have a key).
            "  sel: {userIdentity.accessKeyId|exists: true, userIdentity.principalId|re: ':i-'}\n  condition: sel",
            // A column with few values (the identity type) comes last.
            "  sel: {userIdentity.type: Root, errorCode: AccessDenied}\n  condition: sel",
            "  sel: {userIdentity.type: Root}\n  condition: sel",
            // Each alternative needs an error code: keyed by it.
            "  a: {errorCode: AccessDenied}\n  b: {errorCode: UnauthorizedOperation, eventSource: ec2.amazonaws.com}\n  condition: a or b",
            // Only under `not`, a null or absent value, or a record path: no key.
            "  sel: {eventName: ConsoleLogin}\n  condition: not sel",
            "  sel: {errorCode: null}\n  condition: sel",
            "  sel: {requestParameters.bucketName: x}\n  condition: sel",
            // One alternative without a name: the name cannot key it.
            "  a: {eventName: GetObject}\n  b: {userAgent|contains: kali}\n  condition: a or b",
            // Only `|exists` is needed: keyed by it all the same.
            "  sel: {errorCode|exists: true}\n  condition: sel",
        ]);
        use Field::*;
        assert_eq!(
            keyed_by(&e),
            vec![
                Some(Name),
                Some(Principal),
                Some(Error),
                Some(IdentityType),
                Some(Error),
                None,
                None,
                None,
                None,
                Some(Error)
            ]
        );
        assert_eq!(e.unkeyed.len(), 4);
    }

    #[test]
    fn starting_from_the_members_finds_what_a_scan_finds() {
        let records = [
            r#"{"a":{"b":"x","c":[1,{"b":"y"}]},"d":[{"b":"z"},{"b":["u","v"]}],"a":{"b":"dup"},"e":null,"f":"s"}"#,
            r#"{"requestParameters":{"bucketName":"logs"},"resources":[{"accountId":"1"},{"accountId":"2"}]}"#,
            r#"{"k\u0041":1,"k":[[["deep"]]],"esc\"aped":{"b":2}}"#,
        ];
        let paths = [
            "a.b",
            "a.c.b",
            "d.b",
            "e",
            "f",
            "f.g",
            "requestParameters.bucketName",
            "resources.accountId",
            "k",
            "kA",
            "missing.b",
        ];
        for json in records {
            let (mut rec, mut spans) = (Vec::new(), Vec::new());
            crate::json::scan::canon_record(format!("{json} ").as_bytes(), 0, &mut rec, &mut spans).unwrap();
            for p in paths {
                let collect = |with_spans: bool| {
                    let mut got = Vec::new();
                    let spans: &[MemberSpan] = if with_spans { &spans } else { &[] };
                    leaves_in((&rec, spans), &steps(p), &mut |v| {
                        got.push(String::from_utf8_lossy(v).into_owned());
                        false
                    });
                    got
                };
                assert_eq!(collect(true), collect(false), "{p} in {json}");
            }
        }
        let (mut rec, mut spans) = (Vec::new(), Vec::new());
        crate::json::scan::canon_record(format!("{} ", records[0]).as_bytes(), 0, &mut rec, &mut spans).unwrap();
        let mut got = Vec::new();
        leaves_in((&rec, &spans), &steps("a.b"), &mut |v| {
            got.push(String::from_utf8_lossy(v).into_owned());
            false
        });
        assert_eq!(got, [r#""x""#, r#""dup""#], "both members of a key written twice");
    }
}
