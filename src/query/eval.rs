//! Running a query against the store: the matching event ids in time order.
//!
//! Cheap terms (facets, time, fuzzy words) run first over the interned
//! columns; terms that need the record itself (quoted text, paths) run last,
//! only on the survivors, one decompressed chunk at a time. Work is split
//! across cores in slices, the store is read-locked a slice at a time (so
//! loading goes on), and a cancelled run stops at the next slice.

use super::fuzzy::FuzzyWord;
use super::glob::Glob;
use super::parse::{Field, Query, TermKind};
use super::path::{self, Step};
use crate::json::canon::{self, escape_like_canonical};
use crate::model::facet::{Facet, short_service};
use crate::model::time::{Micros, format_utc};
use crate::store::blobs::Unpacker;
use crate::store::{EventId, Store};
use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Events per slice of work (and per read lock).
const SLICE: usize = 32 * 1024;

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
    Facet(Vec<(Facet, Vec<bool>)>),
    Time {
        after: Option<Micros>,
        before: Option<Micros>,
    },
    Fuzzy {
        combo: Vec<bool>,
        ip: Option<Vec<bool>>,
        time: Option<Box<FuzzyWord>>,
    },
}

enum Slow {
    Text(AhoCorasick),
    Path { steps: Vec<Step>, value: Glob },
}

struct Compiled {
    fast: Vec<(bool, Fast)>,
    slow: Vec<(bool, Slow)>,
    /// Bounds from un-negated after:/before:, used to narrow by binary search.
    after: Option<Micros>,
    before: Option<Micros>,
}

/// Characters a time (as the list shows it) or an address may hold.
const TIME_CHARS: &str = "0123456789-:tz. ";
const IP_CHARS: &str = "0123456789abcdef.:";

/// Whether the facet value `id` matches `glob`, as people see the value.
fn facet_value_matches(store: &Store, facet: Facet, id: u32, glob: &Glob) -> bool {
    let label = store.label(facet, id);
    glob.matches(label)
        || (facet == Facet::Source && glob.matches(short_service(label)))
        || (facet == Facet::Actor
            && store.dict(facet).get(id).starts_with(crate::model::actor::ROOT_PREFIX)
            && glob.matches("root"))
}

fn compile(store: &Store, q: &Query) -> Compiled {
    let mut c = Compiled { fast: Vec::new(), slow: Vec::new(), after: None, before: None };
    for term in &q.terms {
        let neg = term.negated;
        match &term.kind {
            TermKind::After(t) => {
                if !neg {
                    c.after = Some(c.after.map_or(*t, |a| a.max(*t)));
                }
                c.fast.push((neg, Fast::Time { after: Some(*t), before: None }));
            }
            TermKind::Before(t) => {
                if !neg {
                    c.before = Some(c.before.map_or(*t, |b| b.min(*t)));
                }
                c.fast.push((neg, Fast::Time { after: None, before: Some(*t) }));
            }
            TermKind::Field { field: Field::Facets(facets), value, .. } => {
                let sets = facets
                    .iter()
                    .map(|&f| {
                        let dict = store.dict(f);
                        let mut set = vec![false; dict.len() + 1];
                        for (id, _) in dict.iter() {
                            set[id as usize] = facet_value_matches(store, f, id, value);
                        }
                        (f, set)
                    })
                    .collect();
                c.fast.push((neg, Fast::Facet(sets)));
            }
            TermKind::Field { field: Field::Path(steps), value, .. } => {
                c.slow.push((neg, Slow::Path { steps: steps.clone(), value: value.clone() }))
            }
            TermKind::Text(text) => {
                let needle = escape_like_canonical(text);
                let mut pats = vec![needle.clone()];
                for v in [needle.to_lowercase(), needle.to_uppercase()] {
                    if !pats.contains(&v) {
                        pats.push(v);
                    }
                }
                let ac = AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&pats)
                    .expect("literal patterns always build");
                c.slow.push((neg, Slow::Text(ac)));
            }
            TermKind::Fuzzy(word) => {
                let w = FuzzyWord::new(word);
                let combo: Vec<bool> = (0..store.combo_count() as u32)
                    .into_par_iter()
                    .map(|k| w.score(&store.combo_text(k)).is_some())
                    .collect();
                let ip = w.only_chars_of(IP_CHARS).then(|| {
                    let dict = store.dict(Facet::Ip);
                    let mut set = vec![false; dict.len() + 1];
                    let hits: Vec<u32> =
                        (1..=dict.len() as u32).into_par_iter().filter(|&id| w.score(dict.get(id)).is_some()).collect();
                    for id in hits {
                        set[id as usize] = true;
                    }
                    set
                });
                let time = w.only_chars_of(TIME_CHARS).then(|| Box::new(w));
                c.fast.push((neg, Fast::Fuzzy { combo, ip, time }));
            }
        }
    }
    c
}

impl Fast {
    fn test(&self, store: &Store, id: EventId) -> bool {
        match self {
            // Value ids beyond a set are newer than the query: they did not match then.
            Fast::Facet(sets) => {
                sets.iter().any(|(f, set)| set.get(store.value_id(id, *f) as usize).copied().unwrap_or(false))
            }
            Fast::Time { after, before } => {
                let t = store.time(id);
                after.is_none_or(|a| t >= a) && before.is_none_or(|b| t < b)
            }
            Fast::Fuzzy { combo, ip, time } => {
                combo.get(store.combo(id) as usize).copied().unwrap_or(false)
                    || ip
                        .as_ref()
                        .is_some_and(|s| s.get(store.value_id(id, Facet::Ip) as usize).copied().unwrap_or(false))
                    || time.as_ref().is_some_and(|w| w.score(&format_utc(store.time(id))).is_some())
            }
        }
    }
}

impl Slow {
    fn test(&self, rec: &[u8]) -> bool {
        match self {
            Slow::Text(ac) => ac.is_match(rec),
            Slow::Path { steps, value } => path::any_value(rec, steps, &mut |v| {
                let text = match v.first() {
                    Some(b'{' | b'[') => Some(String::from_utf8_lossy(v)),
                    _ => canon::scalar_text(v),
                };
                text.is_some_and(|t| value.matches(&t))
            }),
        }
    }
}

fn read(store: &RwLock<Store>) -> std::sync::RwLockReadGuard<'_, Store> {
    store.read().unwrap_or_else(|e| e.into_inner())
}

/// Runs `q` over the published events.
pub fn run(store: &RwLock<Store>, q: &Query, cancel: &Cancel) -> Result<Matches, Cancelled> {
    let (order, compiled) = {
        let s = read(store);
        (s.order(), compile(&s, q))
    };
    if cancel.is_cancelled() {
        return Err(Cancelled);
    }
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
        ids = run_slow(store, ids, &compiled.slow, cancel)?;
    }
    Ok(Matches { ids, searched: order.len() })
}

/// Keeps the candidates whose records pass every slow term, one chunk at a time.
fn run_slow(
    store: &RwLock<Store>,
    ids: Vec<EventId>,
    slow: &[(bool, Slow)],
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
            || (Unpacker::default(), Vec::new()),
            |(unpacker, buf), c| {
                if cancel.is_cancelled() {
                    return Err(Cancelled);
                }
                let s = read(store);
                unpacker.unpack(&s.chunks()[c], buf);
                let ranks = &by_chunk[starts[c]..starts[c + 1]];
                Ok(ranks
                    .iter()
                    .copied()
                    .filter(|&r| {
                        let loc = s.loc(ids[r as usize]);
                        let rec = buf.get(loc.start as usize..(loc.start + loc.len) as usize).unwrap_or_default();
                        slow.iter().all(|(neg, t)| t.test(rec) != *neg)
                    })
                    .collect())
            },
        )
        .collect::<Result<_, _>>()?;
    let mut pass = vec![false; ids.len()];
    for r in keep.into_iter().flatten() {
        pass[r as usize] = true;
    }
    Ok(ids.into_iter().zip(pass).filter_map(|(id, p)| p.then_some(id)).collect())
}
