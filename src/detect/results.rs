//! What the rules found, kept beside the store: hits per rule, correlation
//! matches, and per event its findings and highest level. The detector
//! updates it as events arrive; the annex answers `rule:` and `level:`.

use super::correlate::{CorrMatch, Correlator};
use super::engine::{self, Hit};
use super::ingest::{self, Feed};
use super::rule::{Body, Level};
use super::ruleset::RuleSet;
use crate::model::fields::Field;
use crate::query::facets::FacetCounts;
use crate::query::glob::Glob;
use crate::store::batch::NewWatch;
use crate::store::{EventId, Store};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Something an event set off: a rule, or a correlation match it is part of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    Rule(u32),
    Correlation(u32),
}

/// What the rules found so far.
#[derive(Debug, Default)]
pub struct Results {
    pub rules: Arc<RuleSet>,
    /// Events evaluated (the first ones appended).
    pub evaluated: usize,
    /// Per rule, the events it matched (ascending ids); every detection rule,
    /// reporting or not (correlations count on them).
    pub hits: Vec<Vec<EventId>>,
    pub correlations: Vec<CorrMatch>,
    /// Counts the changes, for views that refresh when something was found.
    pub generation: u64,
    /// Per event: the highest level its reporting single-event rules set off (0: none).
    rule_levels: Vec<u8>,
    /// Per event: the highest level of the correlation matches it is in.
    corr_levels: Vec<u8>,
    /// (member event, correlation match index), sorted.
    corr_of: Vec<(EventId, u32)>,
    /// Once every event is in: the row `detect` folds each match into
    /// (as the fold module numbers them), per rule's hit and per correlation match.
    rows: Option<(Vec<Vec<u32>>, Vec<u32>)>,
}

/// What a reporting rule found among some events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: usize,
    pub events: usize,
    /// The rows `detect` folds those matches into (0 until every event is in).
    pub rows: usize,
}

impl Results {
    pub fn new(rules: Arc<RuleSet>) -> Results {
        let n = rules.rules.len();
        Results { rules, hits: vec![Vec::new(); n], ..Results::default() }
    }

    fn level_u8(&self, id: EventId) -> u8 {
        let i = id as usize;
        self.rule_levels.get(i).copied().unwrap_or(0).max(self.corr_levels.get(i).copied().unwrap_or(0))
    }

    /// The highest level event `id` set off.
    pub fn level(&self, id: EventId) -> Option<Level> {
        Level::from_u8(self.level_u8(id))
    }

    /// What event `id` set off: the reporting rules it matched (highest
    /// level first), then the correlation matches it is part of.
    pub fn findings(&self, id: EventId) -> Vec<Finding> {
        let mut rules: Vec<u32> = (0..self.hits.len())
            .filter(|&r| self.rules.reports[r] && self.hits[r].binary_search(&id).is_ok())
            .map(|r| r as u32)
            .collect();
        rules.sort_by_key(|&r| std::cmp::Reverse(self.rules.rules[r as usize].meta.level));
        let mut out: Vec<Finding> = rules.into_iter().map(Finding::Rule).collect();
        let from = self.corr_of.partition_point(|&(e, _)| e < id);
        out.extend(self.corr_of[from..].iter().take_while(|&&(e, _)| e == id).map(|&(_, m)| Finding::Correlation(m)));
        out
    }

    /// The reporting rules event `id` set off, each once, the most serious first.
    pub fn rules_of(&self, id: EventId) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for f in self.findings(id) {
            let r = match f {
                Finding::Rule(r) => r as usize,
                Finding::Correlation(m) => self.correlations[m as usize].rule,
            };
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    /// The events rule `r` reports: its hits, or its correlation matches' events.
    pub fn events_of(&self, r: usize) -> Vec<EventId> {
        match &self.rules.rules[r].body {
            Body::Detection(_) => self.hits[r].clone(),
            Body::Correlation(_) => {
                let mut v: Vec<EventId> =
                    self.correlations.iter().filter(|m| m.rule == r).flat_map(|m| m.events.iter().copied()).collect();
                v.sort_unstable();
                v.dedup();
                v
            }
        }
    }

    /// Sets the rows `detect` folds matches into, once every event is in.
    pub fn set_rows(&mut self, rows: (Vec<Vec<u32>>, Vec<u32>)) {
        self.rows = Some(rows);
    }

    /// Takes in single-event matches of events up to `events` (in event order).
    fn add_hits(&mut self, found: &[Hit], events: usize) {
        self.rule_levels.resize(events, 0);
        for &Hit { id, rule, .. } in found {
            let r = rule as usize;
            self.hits[r].push(id);
            if self.rules.reports[r] {
                let l = &mut self.rule_levels[id as usize];
                *l = (*l).max(self.rules.rules[r].meta.level as u8);
            }
        }
        self.evaluated = events;
        self.generation += 1;
    }

    /// Replaces the correlation matches, and what each member is in.
    fn set_correlations(&mut self, correlations: Vec<CorrMatch>) {
        self.corr_levels = vec![0; self.evaluated];
        self.corr_of.clear();
        for (m, cm) in correlations.iter().enumerate() {
            let level = self.rules.rules[cm.rule].meta.level as u8;
            for &id in &cm.events {
                if let Some(l) = self.corr_levels.get_mut(id as usize) {
                    *l = (*l).max(level);
                }
                self.corr_of.push((id, m as u32));
            }
        }
        // Matches in order: an event's stay in order under a stable sort by event.
        self.corr_of.sort_by_key(|&(id, _)| id);
        self.correlations = correlations;
        self.generation += 1;
    }

    /// Events per level, each counted at its highest level, among `ids`.
    pub fn level_counts(&self, ids: impl Iterator<Item = EventId>) -> [usize; Level::COUNT] {
        let mut out = [0; Level::COUNT];
        for id in ids {
            if let Some(l) = self.level(id) {
                out[l as usize - 1] += 1;
            }
        }
        out
    }

    /// Matches per reporting rule, for the rules that found something among
    /// `among` (all events when None), correlations counted by their
    /// matches' events; and the rows they fold into over all the data.
    pub fn counts(&self, among: Option<&[EventId]>) -> Vec<RuleCount> {
        let set: Option<Vec<bool>> = among.map(|a| {
            let mut s = vec![false; self.evaluated];
            for &id in a {
                if let Some(b) = s.get_mut(id as usize) {
                    *b = true;
                }
            }
            s
        });
        (0..self.rules.rules.len())
            .filter(|&r| self.rules.reports[r])
            .map(|r| {
                let events = match &self.rules.rules[r].body {
                    Body::Detection(_) => std::borrow::Cow::Borrowed(self.hits[r].as_slice()),
                    Body::Correlation(_) => std::borrow::Cow::Owned(self.events_of(r)),
                };
                let kept = |e: EventId| set.as_ref().is_none_or(|s| s.get(e as usize) == Some(&true));
                let n = events.iter().filter(|&&e| kept(e)).count();
                (r, n, if n > 0 { self.rows_among(r, &kept) } else { 0 })
            })
            .filter(|&(_, n, _)| n > 0)
            .map(|(rule, events, rows)| RuleCount { rule, events, rows })
            .collect()
    }

    /// The rows of rule `r` that hold an event `kept` takes (0: not known yet).
    fn rows_among(&self, r: usize, kept: &dyn Fn(EventId) -> bool) -> usize {
        let Some((hits, corr)) = &self.rows else { return 0 };
        let mut rows: Vec<u32> = match &self.rules.rules[r].body {
            Body::Detection(_) => {
                self.hits[r].iter().zip(&hits[r]).filter(|(e, _)| kept(**e)).map(|(_, &row)| row).collect()
            }
            Body::Correlation(_) => (self.correlations.iter().zip(corr))
                .filter(|(m, _)| m.rule == r && m.events.iter().any(|&e| kept(e)))
                .map(|(_, &row)| row)
                .collect(),
        };
        rows.sort_unstable();
        rows.dedup();
        rows.len()
    }
}

/// Takes in what the rules found as the loader read events (see
/// [`Detector::watch`]), and runs the correlations over it.
pub struct Detector {
    engine: Arc<engine::Engine>,
    feed: Arc<Feed>,
    correlator: Correlator,
    results: Arc<RwLock<Results>>,
    /// When correlations were last brought up to date, and what it cost.
    correlated: Option<(Instant, Duration)>,
    /// Matches of rules on derived fields, settled when loading ends (in
    /// event order): the event, the rule, and which of its searches held.
    pending: Vec<(EventId, u32, u32)>,
}

/// While loading goes on, correlations are brought up to date at most this
/// often, and not more often than their cost allows (a tenth of the time:
/// they share the processor with the loader).
const CORRELATE_EVERY: Duration = Duration::from_secs(1);

impl Detector {
    /// A detector for the rules of `results`, writing what it finds there.
    pub fn with_results(results: Arc<RwLock<Results>>) -> Detector {
        let rules = Arc::clone(&results.read().unwrap_or_else(|e| e.into_inner()).rules);
        Detector {
            engine: Arc::new(engine::Engine::new(&rules.rules, &Correlator::capture(&rules))),
            feed: Arc::default(),
            correlator: Correlator::new(&rules),
            results,
            correlated: None,
            pending: Vec::new(),
        }
    }

    /// What the loader's threads run on each event: the rules, feeding this detector.
    pub fn watch(&self) -> NewWatch {
        ingest::watch(&self.engine, &self.feed)
    }

    /// Takes in the matches of the events appended since the last call;
    /// correlations too when `last` (no events will follow) or when they
    /// are due. Returns whether there were new events.
    pub fn step(&mut self, store: &RwLock<Store>, last: bool) -> bool {
        let new = self.take(store);
        let due = self.correlated.is_none_or(|(at, cost)| at.elapsed() >= CORRELATE_EVERY.max(cost * 10));
        if !(last || (new && due)) {
            return new;
        }
        self.correlate();
        new
    }

    /// The last step, once every event is in: the matches of rules on
    /// derived fields are settled with `derived` (the values of derived
    /// field `f`, by its index in [`super::rule::DERIVED`], for an event),
    /// then correlations run.
    pub fn finish(
        &mut self,
        store: &RwLock<Store>,
        derived: &mut dyn FnMut(&Store, EventId, usize) -> Vec<&'static str>,
    ) {
        self.take(store);
        let pending = std::mem::take(&mut self.pending);
        let settled: Vec<Hit> = {
            let s = store.read().unwrap_or_else(|e| e.into_inner());
            let mut cache = crate::store::blobs::ChunkCache::new(8);
            let (engine, s) = (&self.engine, &*s);
            pending
                .into_iter()
                .filter(|&(id, rule, held)| engine.settle(rule, held, &mut |f| derived(s, id, f)))
                .map(|(id, rule, _)| {
                    // What correlations need of the record, read now that the match stands.
                    let mut rec = engine::RecordOnce::new(s, id, &mut cache);
                    let captured = engine.capture()[rule as usize].iter().map(|f| f.first(&mut rec)).collect();
                    Hit { id, rule, captured, pending: None }
                })
                .collect()
        };
        let to = self.results.read().unwrap_or_else(|e| e.into_inner()).evaluated;
        self.add(store, &settled, to);
        self.correlate();
    }

    /// Takes in what the loader's threads found since the last call (matches
    /// of rules on derived fields wait in `pending`). Returns whether there were new events.
    fn take(&mut self, store: &RwLock<Store>) -> bool {
        let (found, to) = self.feed.take();
        let from = self.results.read().unwrap_or_else(|e| e.into_inner()).evaluated;
        if to <= from {
            return false;
        }
        let (pending, found): (Vec<Hit>, Vec<Hit>) = found.into_iter().partition(|h| h.pending.is_some());
        self.pending.extend(pending.into_iter().map(|h| (h.id, h.rule, h.pending.unwrap_or(0))));
        self.add(store, &found, to);
        true
    }

    /// Takes in matches of events up to `to`.
    fn add(&mut self, store: &RwLock<Store>, found: &[Hit], to: usize) {
        let rules = {
            let mut r = self.results.write().unwrap_or_else(|e| e.into_inner());
            r.add_hits(found, to);
            Arc::clone(&r.rules)
        };
        let s = store.read().unwrap_or_else(|e| e.into_inner());
        self.correlator.take(&rules, found, self.engine.capture(), &s);
    }

    /// Brings the correlations up to date.
    fn correlate(&mut self) {
        if self.correlator.is_idle() {
            return;
        }
        let started = Instant::now();
        let rules = Arc::clone(&self.results.read().unwrap_or_else(|e| e.into_inner()).rules);
        if let Some(c) = self.correlator.matches(&rules) {
            self.results.write().unwrap_or_else(|e| e.into_inner()).set_correlations(c);
        }
        self.correlated = Some((Instant::now(), started.elapsed()));
    }
}

/// Answers `rule:` and `level:` terms from the results.
pub struct Annex(pub Arc<RwLock<Results>>);

impl crate::query::eval::Annex for Annex {
    fn select(&self, _: &Store, field: Field, value: &Glob, events: usize) -> Option<Vec<bool>> {
        let r = self.0.read().unwrap_or_else(|e| e.into_inner());
        let mut set = vec![false; events];
        match field {
            Field::Rule => {
                for rule in r.rules.matching(value) {
                    for id in r.events_of(rule) {
                        if let Some(b) = set.get_mut(id as usize) {
                            *b = true;
                        }
                    }
                }
            }
            Field::Level => {
                // `level:high` is high or above; `level:*` any flagged event.
                let floor = if value.is_any() { Some(Level::Informational) } else { Level::parse(value.text()) };
                // A level that does not exist selects nothing.
                let Some(floor) = floor.map(|l| l as u8) else { return Some(set) };
                for (id, b) in set.iter_mut().enumerate().take(r.evaluated) {
                    *b = r.level_u8(id as EventId) >= floor;
                }
            }
            _ => return None,
        }
        Some(set)
    }

    /// Levels: events at each level or above (value: the level's number),
    /// so a count is what `level:NAME` selects. Rules: events per reporting
    /// rule (value: the rule's index), most first; all of them (a panel
    /// lists every rule that found something).
    fn count(&self, _: &Store, field: Field, ids: &[EventId], _: usize) -> Option<FacetCounts> {
        let r = self.0.read().unwrap_or_else(|e| e.into_inner());
        let values: Vec<(u32, u32)> = match field {
            Field::Level => {
                let at = r.level_counts(ids.iter().copied());
                let mut above = 0;
                Level::ALL
                    .iter()
                    .rev()
                    .map(|&l| {
                        above += at[l as usize - 1];
                        (l as u32, above as u32)
                    })
                    .filter(|&(_, n)| n > 0)
                    .collect()
            }
            Field::Rule => {
                let mut v: Vec<(u32, u32, u32)> =
                    r.counts(Some(ids)).into_iter().map(|c| (c.rule as u32, c.events as u32, c.rows as u32)).collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                let rows = v.iter().map(|c| c.2).collect();
                return Some(FacetCounts {
                    field,
                    distinct: v.len(),
                    values: v.into_iter().map(|(r, n, _)| (r, n)).collect(),
                    labels: vec![],
                    rows,
                });
            }
            _ => return None,
        };
        Some(FacetCounts { field, distinct: values.len(), values, labels: vec![], rows: vec![] })
    }
}
