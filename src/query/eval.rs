//! Running a query against the store: the matching event ids in time order.
//!
//! Cheap terms (facets, time, fuzzy words) run first over the interned
//! columns; terms that need the record itself (quoted text, paths) run last,
//! only on the survivors, one decompressed chunk at a time. Work is split
//! across cores in slices, the store is read-locked a slice at a time (so
//! loading goes on), and a cancelled run stops at the next slice.

use super::ast::{Query, Target, TermKind};
use super::fuzzy::FuzzyWord;
use super::fuzzy::contains_ignore_ascii_case;
use super::glob::Glob;
use super::index::{Narrow, TextIndex};
use super::labels::{Labels, display_ctx};
use super::meter;
use super::path::{self, Step};
use crate::json::canon::{self, escape_like_canonical};
use crate::model::fields::{Field, Get, Kept};
use crate::model::time::{Micros, format_utc};
use crate::store::blobs::Unpacker;
use crate::store::{EventId, Store};
use memchr::memmem::Finder;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Events per slice of work (and per read lock).
const SLICE: usize = 32 * 1024;

/// Fields computed beside the store (detections, identity) answer terms on
/// them with the set of events selected.
pub trait Annex: Sync {
    /// The events of `store` (indexed by id, `events` of them) a
    /// `field:value` term selects; None when this annex does not compute the field.
    fn select(&self, store: &Store, field: Field, value: &Glob, events: usize) -> Option<Vec<bool>>;

    /// The values of a computed field over `ids`, counted as a facet is
    /// (keeping the `keep` most frequent where values are many); None when
    /// this annex does not compute the field.
    fn count(
        &self,
        _store: &Store,
        _field: Field,
        _ids: &[EventId],
        _keep: usize,
    ) -> Option<super::facets::FacetCounts> {
        None
    }

    /// The index of the records' text, once built: text and path terms are
    /// answered from it where it can.
    fn index(&self) -> Option<Arc<TextIndex>> {
        None
    }
}

/// No fields computed beside the store: such terms select nothing.
pub struct NoAnnex;

impl Annex for NoAnnex {
    fn select(&self, _: &Store, _: Field, _: &Glob, _: usize) -> Option<Vec<bool>> {
        None
    }
}

/// Set to abandon a running query (a newer one replaced it).
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The query was cancelled before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cancelled;

/// Matching events, oldest first, among the `searched` published events.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    pub ids: Vec<EventId>,
    pub searched: usize,
}

enum Fast {
    /// For any of the columns, the event's value id is in its set.
    Facet(Vec<(Field, Vec<bool>)>),
    Time {
        after: Option<Micros>,
        before: Option<Micros>,
    },
    /// The event's id is in the set (terms on derived fields).
    Set(Vec<bool>),
    /// The index did not rule the event out (its record decides the rest);
    /// `true`: negated, it did not rule the event in.
    Possible(Arc<Narrow>, bool),
    Fuzzy {
        combo: Vec<bool>,
        ip: Option<Vec<bool>>,
        /// A word that looks like part of a time (`10:15`, `03-02`): matched as text
        /// against the time as the list shows it.
        time: Option<String>,
    },
}

enum Slow {
    /// The text's spellings (ASCII-lowercased) are looked for in ASCII-lowercased
    /// records: case-insensitive, at memchr's SIMD speed. `whole_chunk`: the
    /// text cannot span two records (it has no `}{`), so a chunk is searched in
    /// one pass and the matches are assigned to records.
    Text { finders: Vec<Finder<'static>>, whole_chunk: bool },
    /// `key`: the last key of the path as it is written in canonical JSON
    /// (`"bucketName":`); records without it are not walked.
    Path { steps: Vec<Step>, value: Glob, key: Option<Box<Finder<'static>>> },
}

struct Compiled {
    fast: Vec<(bool, Fast)>,
    /// With what the index says of each, if it could say anything.
    slow: Vec<(bool, Slow, Option<Arc<Narrow>>)>,
    /// Bounds from un-negated after:/before:, used to narrow by binary search.
    after: Option<Micros>,
    before: Option<Micros>,
}

/// Characters a time (as the list shows it) or an address may hold.
const TIME_CHARS: &str = "0123456789-: ";
const IP_CHARS: &str = "0123456789abcdef.:";

/// A time as the list shows it in UTC: `2024-03-01 10:00:05`.
pub fn shown_time(t: Micros) -> String {
    let mut s = format_utc(t);
    s.replace_range(10..11, " ");
    s.pop();
    s
}

/// Whether the value `id` of `field` matches `glob`, written any way people
/// see it (`s3` or `s3.amazonaws.com`, `root` or `root@123`).
fn value_matches(store: &Store, field: Field, id: u32, glob: &Glob) -> bool {
    field.spellings(store.dict(field).get(id), display_ctx(store)).any(|s| glob.matches(&s))
}

/// Whether `glob` names the lack of a value of `field`: the field's word
/// for it (`actor:"(no identity)"`), written out (`*` is any value, never none).
pub fn absent_matches(field: Field, glob: &Glob) -> bool {
    !glob.has_star() && field.def().absent.is_some_and(|a| glob.matches(a))
}

/// The path into the record of a field kept there.
fn record_path(field: Field) -> Vec<Step> {
    match field.def().get {
        Get::Top { key, .. } => vec![Step::Key(key.into())],
        Get::Identity(key) => vec![Step::Key("userIdentity".into()), Step::Key(key.into())],
        Get::Time | Get::Actor | Get::Issued | Get::IssuedTo | Get::Derived => vec![],
    }
}

/// A term that walks the record at `steps`: only records holding the path's
/// last key (as canonical JSON writes it) are walked.
fn slow_path(steps: Vec<Step>, value: &Glob) -> Slow {
    let last_key = steps.iter().rev().find_map(|s| match s {
        Step::Key(k) => Some(k),
        Step::Index(_) => None,
    });
    let key =
        last_key.map(|k| Box::new(Finder::new(format!("\"{}\":", escape_like_canonical(k)).as_bytes()).into_owned()));
    Slow::Path { steps, value: value.clone(), key }
}

/// The sets of column values matching `glob`, one per field.
fn facet_sets(store: &Store, fields: &[Field], glob: &Glob) -> Vec<(Field, Vec<bool>)> {
    fields
        .iter()
        .map(|&f| {
            let dict = store.dict(f);
            let mut set = vec![false; dict.len() + 1];
            set[0] = absent_matches(f, glob);
            for (id, _) in dict.iter() {
                set[id as usize] = value_matches(store, f, id, glob);
            }
            (f, set)
        })
        .collect()
}

/// The term for quoted text, with the spellings it looks for.
fn compile_text(text: &str) -> (Slow, Vec<Vec<u8>>) {
    let needle = escape_like_canonical(text);
    // Beyond ASCII, the text's lower and upper case spellings are looked for too.
    let mut spellings: Vec<String> = Vec::new();
    for v in [&needle, &needle.to_lowercase(), &needle.to_uppercase()] {
        let v = v.to_ascii_lowercase();
        if !spellings.contains(&v) {
            spellings.push(v);
        }
    }
    let finders = spellings.iter().map(|v| Finder::new(v.as_bytes()).into_owned()).collect();
    (
        Slow::Text { finders, whole_chunk: !needle.contains("}{") },
        spellings.into_iter().map(String::into_bytes).collect(),
    )
}

fn compile_fuzzy(store: &Store, word: &str) -> Fast {
    let w = FuzzyWord::new(word);
    let labels = Labels::new(store);
    let combo: Vec<bool> =
        (0..store.combo_count() as u32).into_par_iter().map(|k| w.matches(&labels.summary(k))).collect();
    // Addresses are tried for words that could be part of one: IP characters
    // with at least a digit, a dot or a colon (letters alone are names).
    let ip =
        (w.only_chars_of(IP_CHARS) && word.contains(|c: char| c.is_ascii_digit() || c == '.' || c == ':')).then(|| {
            let dict = store.dict(Field::Ip);
            let mut set = vec![false; dict.len() + 1];
            let hits: Vec<u32> =
                (1..=dict.len() as u32).into_par_iter().filter(|&id| w.matches(dict.get(id))).collect();
            for id in hits {
                set[id as usize] = true;
            }
            set
        });
    let time = (w.only_chars_of(TIME_CHARS) && word.contains(['-', ':'])).then(|| word.to_string());
    Fast::Fuzzy { combo, ip, time }
}

fn compile(store: &Store, annex: &dyn Annex, q: &Query, cancel: &Cancel) -> Result<Compiled, Cancelled> {
    let (after, before) = q.within(None, None);
    let mut c = Compiled { fast: Vec::new(), slow: Vec::new(), after, before };
    let index = annex.index().filter(|ix| ix.events() as usize <= store.len());
    // What the index decides goes with the cheap terms; the records decide
    // the rest. A term it decides for every event is as cheap as a facet.
    let slow = |c: &mut Compiled, neg: bool, term: Slow, narrow: Option<Narrow>| match narrow {
        Some(n) => {
            let whole = n.is_exact() && n.events as usize == store.len();
            let n = Arc::new(n);
            c.fast.push((false, Fast::Possible(Arc::clone(&n), neg)));
            if !whole {
                c.slow.push((neg, term, Some(n)));
            }
        }
        None => c.slow.push((neg, term, None)),
    };
    for term in &q.terms {
        // Each term costs a pass over a dictionary at most: a long query typed
        // into the prompt is abandoned between terms when a newer one arrives.
        if cancel.is_cancelled() {
            return Err(Cancelled);
        }
        let neg = term.negated;
        match &term.kind {
            // Bounds narrow the time-ordered range by binary search; only negated
            // ones need a test per event.
            TermKind::After(_) | TermKind::Before(_) if !neg => {}
            TermKind::After(b) => c.fast.push((neg, Fast::Time { after: Some(b.at), before: None })),
            TermKind::Before(b) => c.fast.push((neg, Fast::Time { after: None, before: Some(b.at) })),
            TermKind::Match { target: Target::Fields { fields, .. }, value }
                if fields.iter().any(|f| f.def().kept == Kept::Derived) =>
            {
                let set = fields.iter().find_map(|&f| annex.select(store, f, value, store.len())).unwrap_or_default();
                c.fast.push((neg, Fast::Set(set)));
            }
            TermKind::Match { target: Target::Fields { fields, .. }, value } => {
                let (columns, records): (Vec<Field>, Vec<Field>) =
                    fields.iter().partition(|f| f.def().kept != Kept::Record);
                if let [field] = records[..] {
                    let steps = record_path(field);
                    let narrow = index.as_ref().map(|ix| ix.path(&steps, value));
                    slow(&mut c, neg, slow_path(steps, value), narrow);
                } else {
                    c.fast.push((neg, Fast::Facet(facet_sets(store, &columns, value))));
                }
            }
            TermKind::Match { target: Target::Path { steps, .. }, value } => {
                let narrow = index.as_ref().map(|ix| ix.path(steps, value));
                slow(&mut c, neg, slow_path(steps.clone(), value), narrow);
            }
            TermKind::Text(text) => {
                let (term, spellings) = compile_text(text);
                let narrow = index.as_ref().and_then(|ix| ix.text(&spellings));
                slow(&mut c, neg, term, narrow);
            }
            TermKind::Fuzzy(word) => c.fast.push((neg, compile_fuzzy(store, word))),
        }
    }
    Ok(c)
}

impl Fast {
    fn test(&self, store: &Store, id: EventId) -> bool {
        match self {
            // Value ids beyond a set are newer than the query: they did not match then.
            Fast::Facet(sets) => {
                sets.iter().any(|(f, set)| set.get(store.value_id(id, *f) as usize).copied().unwrap_or(false))
            }
            Fast::Set(set) => set.get(id as usize).copied().unwrap_or(false),
            Fast::Possible(n, neg) => n.decide(id) != Some(*neg),
            Fast::Time { after, before } => {
                let t = store.time(id);
                after.is_none_or(|a| t >= a) && before.is_none_or(|b| t < b)
            }
            Fast::Fuzzy { combo, ip, time } => {
                combo.get(store.combo(id) as usize).copied().unwrap_or(false)
                    || ip
                        .as_ref()
                        .is_some_and(|s| s.get(store.value_id(id, Field::Ip) as usize).copied().unwrap_or(false))
                    || time.as_ref().is_some_and(|w| contains_ignore_ascii_case(&shown_time(store.time(id)), w))
            }
        }
    }
}

impl Slow {
    fn test(&self, rec: &[u8]) -> bool {
        match self {
            Slow::Text { finders, .. } => {
                meter::charge(rec.len() * (finders.len() + 1));
                let lower = rec.to_ascii_lowercase();
                finders.iter().any(|f| f.find(&lower).is_some())
            }
            Slow::Path { steps, value, .. } => path::any_value(rec, steps, &mut |v| {
                let text = match v.first() {
                    Some(b'{' | b'[') => Some(String::from_utf8_lossy(v)),
                    _ => canon::scalar_text(v),
                };
                text.is_some_and(|t| value.matches(&t))
            }),
        }
    }

    /// Marks in `hits` the records at `spans` (sorted, in `chunk`) that pass.
    /// `lower` is scratch space.
    fn test_chunk(&self, chunk: &[u8], spans: &[(usize, usize)], hits: &mut [bool], lower: &mut Vec<u8>) {
        // The record holding byte `at`, if it is one of `spans`.
        let holder = |at: usize| {
            let i = spans.partition_point(|s| s.0 <= at).checked_sub(1)?;
            (at < spans[i].1).then_some(i)
        };
        match self {
            Slow::Text { finders, whole_chunk: true } => {
                meter::charge(chunk.len() * (finders.len() + 1));
                lower.clear();
                lower.extend(chunk.iter().map(u8::to_ascii_lowercase));
                for f in finders {
                    for at in f.find_iter(lower) {
                        if let Some(i) = holder(at) {
                            hits[i] = true;
                        }
                    }
                }
            }
            Slow::Path { key: Some(key), .. } => {
                meter::charge(chunk.len());
                let mut seen = vec![false; spans.len()];
                for at in key.find_iter(chunk) {
                    if let Some(i) = holder(at) {
                        seen[i] = true;
                    }
                }
                for (i, &(a, b)) in spans.iter().enumerate() {
                    hits[i] = seen[i] && self.test(&chunk[a..b]);
                }
            }
            _ => {
                for (i, &(a, b)) in spans.iter().enumerate() {
                    hits[i] = self.test(&chunk[a..b]);
                }
            }
        }
    }
}

fn read(store: &RwLock<Store>) -> std::sync::RwLockReadGuard<'_, Store> {
    store.read().unwrap_or_else(|e| e.into_inner())
}

/// Runs `q` over the published events (terms on derived fields select nothing).
pub fn run(store: &RwLock<Store>, q: &Query, cancel: &Cancel) -> Result<Matches, Cancelled> {
    run_partial(store, &NoAnnex, q, cancel, &mut |_| {})
}

/// Record terms run over the candidates in time-ordered segments of at least
/// this many, so that a slow search can show what it found so far.
const SEGMENT: usize = 64 * 1024;
/// ... and in at most this many segments.
const SEGMENTS: usize = 8;

/// [`run`], calling `partial` with the matches found so far (oldest first)
/// after each segment of a search that reads records, before the end.
pub fn run_partial(
    store: &RwLock<Store>,
    annex: &dyn Annex,
    q: &Query,
    cancel: &Cancel,
    partial: &mut dyn FnMut(&Matches),
) -> Result<Matches, Cancelled> {
    let (order, compiled) = {
        let s = read(store);
        (s.order(), compile(&s, annex, q, cancel)?)
    };
    // Narrow to the time range first: `order` is sorted by time.
    let (lo, hi) = {
        let s = read(store);
        let lo = compiled.after.map_or(0, |a| order.partition_point(|&i| s.time(i) < a));
        let hi = compiled.before.map_or(order.len(), |b| order.partition_point(|&i| s.time(i) < b));
        (lo, hi.max(lo))
    };
    let range = &order[lo..hi];
    let fast = &compiled.fast;
    let candidates: Vec<Vec<EventId>> = range
        .par_chunks(SLICE)
        .map(|slice| {
            if cancel.is_cancelled() {
                return Err(Cancelled);
            }
            if fast.is_empty() {
                return Ok(slice.to_vec());
            }
            let s = read(store);
            Ok(slice.iter().copied().filter(|&id| fast.iter().all(|(neg, t)| t.test(&s, id) != *neg)).collect())
        })
        .collect::<Result<_, _>>()?;
    let mut ids: Vec<EventId> = candidates.concat();
    if !compiled.slow.is_empty() {
        let segment = SEGMENT.max(ids.len().div_ceil(SEGMENTS));
        let mut kept = Vec::new();
        let segments = ids.len().div_ceil(segment);
        // The cheap terms applied what the index decided: only events some
        // term left undecided have records to read.
        let open =
            |id: EventId| compiled.slow.iter().any(|(_, _, n)| n.as_ref().is_none_or(|n| n.decide(id).is_none()));
        for (i, part) in ids.chunks(segment).enumerate() {
            let opened: Vec<bool> = part.iter().map(|&id| open(id)).collect();
            let undecided: Vec<EventId> = part.iter().zip(&opened).filter(|(_, o)| **o).map(|(&id, _)| id).collect();
            let mut passed = run_slow(store, undecided, &compiled.slow, cancel)?.into_iter().peekable();
            kept.extend(
                part.iter().zip(&opened).filter(|(id, o)| !**o || passed.next_if_eq(*id).is_some()).map(|(&id, _)| id),
            );
            if i + 1 < segments {
                partial(&Matches { ids: kept.clone(), searched: order.len() });
            }
        }
        ids = kept;
    }
    Ok(Matches { ids, searched: order.len() })
}

/// Keeps the candidates whose records pass every slow term, one chunk at a time.
fn run_slow(
    store: &RwLock<Store>,
    ids: Vec<EventId>,
    slow: &[(bool, Slow, Option<Arc<Narrow>>)],
    cancel: &Cancel,
) -> Result<Vec<EventId>, Cancelled> {
    // Group the candidates by chunk (counting sort), remembering their rank.
    let (by_chunk, starts) = {
        let s = read(store);
        let n_chunks = s.chunks().len();
        let mut starts = vec![0usize; n_chunks + 1];
        for &id in &ids {
            starts[s.loc(id).chunk as usize + 1] += 1;
        }
        for i in 0..n_chunks {
            starts[i + 1] += starts[i];
        }
        let mut fill = starts.clone();
        let mut by_chunk = vec![0u32; ids.len()];
        for (rank, &id) in ids.iter().enumerate() {
            let c = s.loc(id).chunk as usize;
            by_chunk[fill[c]] = rank as u32;
            fill[c] += 1;
        }
        (by_chunk, starts)
    };
    let keep: Vec<Vec<u32>> = (0..starts.len() - 1)
        .into_par_iter()
        .filter(|&c| starts[c] < starts[c + 1])
        .map_init(
            || (Unpacker::default(), Vec::new(), Vec::new()),
            |(unpacker, buf, lower), c| {
                if cancel.is_cancelled() {
                    return Err(Cancelled);
                }
                let s = read(store);
                // The candidates of this chunk, in the order their records lie in it.
                let mut items: Vec<(usize, usize, u32)> = by_chunk[starts[c]..starts[c + 1]]
                    .iter()
                    .map(|&r| {
                        let loc = s.loc(ids[r as usize]);
                        (loc.start as usize, loc.start as usize + loc.len as usize, r)
                    })
                    .collect();
                items.sort_unstable();
                let mut pass = vec![true; items.len()];
                let mut unpacked = false;
                for (neg, term, narrow) in slow {
                    // What the index decides, and the records it leaves to read.
                    let mut hits = vec![false; items.len()];
                    let mut read_them = Vec::new();
                    for (i, &(_, _, r)) in items.iter().enumerate() {
                        if !pass[i] {
                            continue;
                        }
                        match narrow.as_ref().and_then(|n| n.decide(ids[r as usize])) {
                            Some(hit) => hits[i] = hit,
                            None => read_them.push(i),
                        }
                    }
                    if !read_them.is_empty() {
                        if !unpacked {
                            unpacker.unpack(&s.chunks()[c], buf);
                            unpacked = true;
                        }
                        let spans: Vec<(usize, usize)> =
                            read_them.iter().map(|&i| (items[i].0.min(buf.len()), items[i].1.min(buf.len()))).collect();
                        let mut read_hits = vec![false; spans.len()];
                        term.test_chunk(buf, &spans, &mut read_hits, lower);
                        for (&i, h) in read_them.iter().zip(read_hits) {
                            hits[i] = h;
                        }
                    }
                    for (p, h) in pass.iter_mut().zip(&hits) {
                        *p &= *h != *neg;
                    }
                }
                Ok(items.iter().zip(pass).filter_map(|(item, p)| p.then_some(item.2)).collect())
            },
        )
        .collect::<Result<_, _>>()?;
    let mut pass = vec![false; ids.len()];
    for r in keep.into_iter().flatten() {
        pass[r as usize] = true;
    }
    Ok(ids.into_iter().zip(pass).filter_map(|(id, p)| p.then_some(id)).collect())
}
