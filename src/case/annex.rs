//! The query terms on the case: `mark:*` (marked events), `tag:NAME` (a
//! glob over their tags) and `note:*` or `note:"text"` (notes that are the
//! text or hold it).

use super::book::Book;
use crate::model::fields::Field;
use crate::query::facets::FacetCounts;
use crate::query::glob::Glob;
use crate::store::{EventId, Store};
use std::sync::{Arc, RwLock};

pub struct Annex(pub Arc<RwLock<Book>>);

/// Whether a note answers `note:VALUE`: the glob matches it whole or, with
/// no star, the note holds the text (notes are sentences, not values).
fn note_matches(value: &Glob, note: &str) -> bool {
    value.matches(note) || (!value.has_star() && note.to_lowercase().contains(&value.text().to_lowercase()))
}

impl crate::query::eval::Annex for Annex {
    fn select(&self, store: &Store, field: Field, value: &Glob, events: usize) -> Option<Vec<bool>> {
        if !matches!(field, Field::Mark | Field::Tag | Field::Note) {
            return None;
        }
        let mut book = self.0.write().unwrap_or_else(|e| e.into_inner());
        book.sync(store);
        let mut set = vec![false; events];
        for (id, e) in book.bound_events() {
            let hit = match field {
                Field::Mark => e.marked.is_some() && value.matches("marked"),
                Field::Tag => e.tags.iter().any(|t| value.matches(&t.name)),
                _ => e.notes.iter().any(|n| note_matches(value, &n.text)),
            };
            if let Some(b) = set.get_mut(id as usize) {
                *b = hit;
            }
        }
        Some(set)
    }

    /// The tags among `ids`, as a facet.
    fn count(&self, store: &Store, field: Field, ids: &[EventId], keep: usize) -> Option<FacetCounts> {
        if field != Field::Tag {
            return None;
        }
        let mut book = self.0.write().unwrap_or_else(|e| e.into_inner());
        book.sync(store);
        let mut counts = super::model::tag_counts(ids.iter().filter_map(|&id| book.entry(id)));
        let distinct = counts.len();
        counts.truncate(keep.max(1));
        let values = (1..=counts.len() as u32).zip(counts.iter().map(|c| c.1 as u32)).collect();
        Some(FacetCounts { field, values, distinct, labels: counts.into_iter().map(|c| c.0).collect(), rows: vec![] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_found_by_what_they_say() {
        assert!(note_matches(&Glob::new("exfil"), "Looks like EXFIL to the attacker bucket"));
        assert!(note_matches(&Glob::new("*"), "anything"));
        assert!(note_matches(&Glob::new("looks*bucket"), "looks like exfil to the bucket"));
        assert!(!note_matches(&Glob::new("looks*"), "it looks odd"));
        assert!(!note_matches(&Glob::new("benign"), "malicious"));
    }
}
