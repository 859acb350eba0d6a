//! What the rules found, kept beside the store: hits per rule, correlation
//! matches, and per event its findings and highest level. The detector
//! updates it as events arrive; the annex answers `rule:` and `level:`.

use super::correlate::{self, CorrMatch};
use super::engine;
use super::rule::{Body, Level};
use super::ruleset::RuleSet;
use crate::model::fields::Field;
use crate::query::glob::Glob;
use crate::store::{EventId, Store};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

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
    /// Per event: the highest level it set off (0: none).
    levels: Vec<u8>,
    /// The findings of each flagged event.
    findings: HashMap<EventId, Vec<Finding>>,
}

impl Results {
    pub fn new(rules: Arc<RuleSet>) -> Results {
        let n = rules.rules.len();
        Results { rules, hits: vec![Vec::new(); n], ..Results::default() }
    }

    /// The highest level event `id` set off.
    pub fn level(&self, id: EventId) -> Option<Level> {
        self.levels.get(id as usize).and_then(|&l| Level::from_u8(l))
    }

    pub fn findings(&self, id: EventId) -> &[Finding] {
        self.findings.get(&id).map_or(&[], |f| f.as_slice())
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

    /// Recomputes levels and findings from hits and correlation matches.
    fn index(&mut self, events: usize) {
        self.levels = vec![0; events];
        self.findings.clear();
        for (r, hits) in self.hits.iter().enumerate() {
            if !self.rules.reports[r] {
                continue;
            }
            let level = self.rules.rules[r].meta.level as u8;
            for &id in hits {
                self.levels[id as usize] = self.levels[id as usize].max(level);
                self.findings.entry(id).or_default().push(Finding::Rule(r as u32));
            }
        }
        for (m, cm) in self.correlations.iter().enumerate() {
            let level = self.rules.rules[cm.rule].meta.level as u8;
            for &id in &cm.events {
                if let Some(l) = self.levels.get_mut(id as usize) {
                    *l = (*l).max(level);
                }
                self.findings.entry(id).or_default().push(Finding::Correlation(m as u32));
            }
        }
    }

    /// Matches per reporting rule: (rule, events) for the rules that found
    /// something, correlations counted by their matches' events.
    pub fn counts(&self, among: Option<&[EventId]>) -> Vec<(usize, usize)> {
        let in_set: Option<std::collections::HashSet<EventId>> = among.map(|a| a.iter().copied().collect());
        (0..self.rules.rules.len())
            .filter(|&r| self.rules.reports[r])
            .map(|r| {
                let evs = self.events_of(r);
                let n = match &in_set {
                    Some(s) => evs.iter().filter(|e| s.contains(e)).count(),
                    None => evs.len(),
                };
                (r, n)
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }
}

/// Runs the rules over new events, keeping the engine between calls.
pub struct Detector {
    engine: engine::Engine,
    results: Arc<RwLock<Results>>,
}

impl Detector {
    /// A detector for the rules of `results`, writing what it finds there.
    pub fn with_results(results: Arc<RwLock<Results>>) -> Detector {
        let rules = Arc::clone(&results.read().unwrap_or_else(|e| e.into_inner()).rules);
        Detector { engine: engine::Engine::new(&rules.rules), results }
    }

    /// What was found, shared with readers.
    pub fn results(&self) -> Arc<RwLock<Results>> {
        Arc::clone(&self.results)
    }

    /// Evaluates the events appended since the last call and updates the
    /// results. Returns whether there were any.
    pub fn step(&mut self, store: &RwLock<Store>) -> bool {
        let (from, to) = {
            let r = self.results.read().unwrap_or_else(|e| e.into_inner());
            (r.evaluated, store.read().unwrap_or_else(|e| e.into_inner()).len())
        };
        if to <= from {
            return false;
        }
        let found = self.engine.run(store, from, to);
        let mut hits: Vec<Vec<EventId>> = {
            let r = self.results.read().unwrap_or_else(|e| e.into_inner());
            r.hits.clone()
        };
        for (id, rule) in found {
            hits[rule as usize].push(id);
        }
        let correlations = {
            let s = store.read().unwrap_or_else(|e| e.into_inner());
            let rules = Arc::clone(&self.results.read().unwrap_or_else(|e| e.into_inner()).rules);
            correlate::correlate(&rules, &hits, &s)
        };
        let mut r = self.results.write().unwrap_or_else(|e| e.into_inner());
        r.hits = hits;
        r.correlations = correlations;
        r.evaluated = to;
        r.index(to);
        true
    }
}

/// Answers `rule:` and `level:` terms from the results.
pub struct Annex(pub Arc<RwLock<Results>>);

impl crate::query::eval::Annex for Annex {
    fn select(&self, field: Field, value: &Glob, events: usize) -> Option<Vec<bool>> {
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
                for (id, &l) in r.levels.iter().enumerate().take(events) {
                    set[id] = l >= floor;
                }
            }
            _ => return None,
        }
        Some(set)
    }
}
