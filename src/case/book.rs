//! A case at work: its content, the file it is saved to, and which loaded
//! event each kept entry stands for. Every change is saved at once.

use super::file::CaseFile;
use super::key::EventKey;
use super::model::{Case, Entry, MAX_HISTORY, Note, Past, SavedQuery, Tag, clean_tag, clean_text};
use crate::model::time::Micros;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use std::collections::HashMap;

pub struct Book {
    pub case: Case,
    /// None: kept in memory only (tests, or no place to keep it).
    pub file: Option<CaseFile>,
    /// Why changes are not saved, when they are not (read-only, a failed write).
    pub unsaved: Option<String>,
    /// The loaded event each entry stands for, entry by entry.
    bound: Vec<Option<EventId>>,
    by_event: HashMap<EventId, usize>,
    /// Events of the store already looked at.
    seen: usize,
    /// Bumped by every change (the explorer refreshes its results).
    pub generation: u64,
    /// When a change happens (the system clock; fixed in tests).
    pub clock: fn() -> String,
}

impl Default for Book {
    fn default() -> Self {
        Book::new(Case::new(vec![], &now()), None)
    }
}

/// The time of a change, RFC 3339 in UTC.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Book {
    pub fn new(case: Case, file: Option<CaseFile>) -> Book {
        let unsaved =
            file.as_ref().filter(|f| !f.writable()).map(|f| format!("case {} is read-only here", f.path.display()));
        Book {
            bound: vec![None; case.events.len()],
            case,
            file,
            unsaved,
            by_event: HashMap::new(),
            seen: 0,
            generation: 0,
            clock: now,
        }
    }

    /// The same book, its changes timed by `clock` (tests: a fixed time).
    pub fn with_clock(self, clock: fn() -> String) -> Book {
        Book { clock, ..self }
    }

    /// Finds the entries' events among those the store took in since the last call.
    pub fn sync(&mut self, store: &Store) {
        if self.seen >= store.len() {
            return;
        }
        let mut at: HashMap<Micros, Vec<usize>> = HashMap::new();
        for (i, e) in self.case.events.iter().enumerate() {
            // An entry bound to its very record is settled; one bound by its names alone may find it later.
            let settled = self.bound[i].is_some_and(|id| e.event.same_content(store, id));
            if let (false, Some(t)) = (settled, e.event.micros()) {
                at.entry(t).or_default().push(i);
            }
        }
        // Every new event with an entry's names, and whether it is the entry's very record.
        let mut cache = ChunkCache::new(2);
        let mut pairs: Vec<(usize, EventId, bool)> = Vec::new();
        for (id, t) in store.times().iter().enumerate().skip(self.seen) {
            let Some(entries) = at.get(t) else { continue };
            let id = id as EventId;
            for &i in entries {
                let key = &self.case.events[i].event;
                if key.names(store, id, &mut cache) {
                    pairs.push((i, id, key.same_content(store, id)));
                }
            }
        }
        // The same names on several records (a placeholder eventID, none at all): each
        // entry takes its very record first, then, failing that, a record no entry took.
        let mut freed = Vec::new();
        for &(i, id, _) in pairs.iter().filter(|p| p.2) {
            if let Some(j) = self.by_event.remove(&id) {
                self.bound[j] = None;
            }
            if let Some(old) = self.bound[i].replace(id) {
                self.by_event.remove(&old);
                freed.push((i, old));
            }
            self.by_event.insert(id, i);
        }
        let mut loose: Vec<(usize, EventId)> = pairs.iter().map(|&(i, id, _)| (i, id)).collect();
        // A record an entry let go of may carry another entry's names.
        for (_, old) in freed {
            for &j in at.values().flatten() {
                if self.case.events[j].event.names(store, old, &mut cache) {
                    loose.push((j, old));
                }
            }
        }
        for (i, id) in loose {
            if self.bound[i].is_none() && !self.by_event.contains_key(&id) {
                self.bound[i] = Some(id);
                self.by_event.insert(id, i);
            }
        }
        self.seen = store.len();
    }

    pub fn entry(&self, id: EventId) -> Option<&Entry> {
        self.by_event.get(&id).map(|&i| &self.case.events[i])
    }

    pub fn is_marked(&self, id: EventId) -> bool {
        self.entry(id).is_some_and(|e| e.marked.is_some())
    }

    /// The loaded events with an entry, and the entries whose event is not loaded.
    pub fn bound_events(&self) -> impl Iterator<Item = (EventId, &Entry)> {
        self.by_event.iter().map(|(&id, &i)| (id, &self.case.events[i]))
    }

    pub fn unbound(&self) -> usize {
        self.bound.iter().filter(|b| b.is_none()).count()
    }

    pub fn marked(&self) -> usize {
        self.case.events.iter().filter(|e| e.marked.is_some()).count()
    }

    fn entry_mut(&mut self, store: &Store, id: EventId, cache: &mut ChunkCache) -> &mut Entry {
        let i = match self.by_event.get(&id) {
            Some(&i) => i,
            None => {
                self.case.events.push(Entry::new(EventKey::of(store, id, cache)));
                self.bound.push(Some(id));
                let i = self.case.events.len() - 1;
                self.by_event.insert(id, i);
                i
            }
        };
        &mut self.case.events[i]
    }

    /// Drops entries that keep nothing.
    fn prune(&mut self) {
        if self.case.events.iter().all(|e| !e.is_empty()) {
            return;
        }
        let keep: Vec<bool> = self.case.events.iter().map(|e| !e.is_empty()).collect();
        let mut k = keep.iter();
        self.case.events.retain(|_| *k.next().expect("same length"));
        let mut k = keep.iter();
        self.bound.retain(|_| *k.next().expect("same length"));
        self.by_event = self.bound.iter().enumerate().filter_map(|(i, b)| b.map(|id| (id, i))).collect();
    }

    /// Marks `ids`, or unmarks them when every one is marked already.
    /// Returns whether they are marked now.
    pub fn toggle_marks(&mut self, store: &Store, ids: &[EventId]) -> bool {
        let mark = !ids.iter().all(|&id| self.is_marked(id));
        let (at, mut cache) = ((self.clock)(), ChunkCache::new(2));
        for &id in ids {
            let e = self.entry_mut(store, id, &mut cache);
            match (mark, e.marked.is_some()) {
                (true, false) => e.marked = Some(at.clone()),
                (false, true) => e.marked = None,
                _ => {}
            }
        }
        self.prune();
        self.changed();
        mark
    }

    /// Tags `ids` with `tag` (removes it when every one has it). Returns
    /// the tag as kept and whether it is on them now; None for an empty tag.
    pub fn toggle_tag(&mut self, store: &Store, ids: &[EventId], tag: &str) -> Option<(String, bool)> {
        let tag = clean_tag(tag)?;
        // The spelling used before wins, so `tag:` and completion see one tag.
        let tag = self.case.tags_used().into_iter().map(|t| t.0).find(|t| t.eq_ignore_ascii_case(&tag)).unwrap_or(tag);
        let add = !ids.iter().all(|&id| self.entry(id).is_some_and(|e| e.has_tag(&tag)));
        let (at, mut cache) = ((self.clock)(), ChunkCache::new(2));
        for &id in ids {
            let e = self.entry_mut(store, id, &mut cache);
            if add && !e.has_tag(&tag) {
                e.tags.push(Tag { name: tag.clone(), at: at.clone() });
            } else if !add {
                e.tags.retain(|t| !t.name.eq_ignore_ascii_case(&tag));
            }
        }
        self.prune();
        self.changed();
        Some((tag, add))
    }

    /// Adds a note to event `id` (to the case when None). False for an empty note.
    pub fn add_note(&mut self, store: &Store, id: Option<EventId>, text: &str) -> bool {
        match id {
            Some(id) => self.add_notes(store, &[id], text),
            None => {
                let Some(text) = clean_text(text) else { return false };
                self.case.notes.push(Note { text, at: (self.clock)() });
                self.changed();
                true
            }
        }
    }

    /// Adds the same note to every one of `ids`, saved once. False for an empty note.
    pub fn add_notes(&mut self, store: &Store, ids: &[EventId], text: &str) -> bool {
        let Some(text) = clean_text(text) else { return false };
        let (at, mut cache) = ((self.clock)(), ChunkCache::new(2));
        for &id in ids {
            self.entry_mut(store, id, &mut cache).notes.push(Note { text: text.clone(), at: at.clone() });
        }
        self.changed();
        true
    }

    /// Removes event `id`'s newest note. False when it has none.
    pub fn drop_note(&mut self, id: EventId) -> bool {
        let Some(&i) = self.by_event.get(&id) else { return false };
        if self.case.events[i].notes.pop().is_none() {
            return false;
        }
        self.prune();
        self.changed();
        true
    }

    /// Saves `query` under `name` (replacing one of that name).
    pub fn save_query(&mut self, name: &str, query: &str) -> bool {
        let Some(name) = clean_text(&name.replace('\n', " ")) else { return false };
        self.case.queries.retain(|q| q.name != name);
        self.case.queries.push(SavedQuery { name, query: query.to_string(), at: (self.clock)() });
        self.changed();
        true
    }

    /// Remembers a query searched (not twice in a row; the newest [`MAX_HISTORY`]).
    pub fn remember(&mut self, query: &str) {
        let query = query.trim();
        if query.is_empty() || self.case.history.last().is_some_and(|p| p.query == query) {
            return;
        }
        self.case.history.push(Past { query: query.to_string(), at: (self.clock)() });
        let over = self.case.history.len().saturating_sub(MAX_HISTORY);
        self.case.history.drain(..over);
        self.changed();
    }

    /// Keeps the list's own columns (record paths).
    pub fn set_columns(&mut self, columns: &[String]) {
        if self.case.columns != columns {
            self.case.columns = columns.to_vec();
            self.changed();
        }
    }

    /// Saves the case after a change (kept in memory when it cannot be).
    fn changed(&mut self) {
        self.generation += 1;
        self.case.updated = (self.clock)();
        if let Some(f) = &self.file {
            self.unsaved = f.save(&self.case).err();
        }
    }
}
