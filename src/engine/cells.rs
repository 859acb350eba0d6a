//! How an event's field reads in a list of events, the explorer's and the
//! `query` table alike: stored fields as the field table shows them where
//! room is short, computed ones from what computes them. The text is the
//! data's: each view escapes it for its terminal.

use crate::case::Book;
use crate::detect::Results;
use crate::identity::Graph;
use crate::model::fields::Field;
use crate::query::labels::Labels;
use crate::store::EventId;

/// The text of event `id`'s `field` in a list (the time is each list's own).
pub fn cell(labels: &Labels, found: &Results, graph: &Graph, case: &Book, id: EventId, field: Field) -> String {
    let store = labels.store;
    match field {
        Field::Mark => if case.is_marked(id) { "*" } else { "" }.to_string(),
        Field::Tag => case
            .entry(id)
            .map(|e| e.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
        Field::Level => found.level(id).map_or("", |l| l.glyph()).to_string(),
        Field::New => graph.firsts.new_kinds(store, id).iter().map(|k| k.name()).collect::<Vec<_>>().join(" "),
        // Only when it says more than the actor does.
        Field::Origin => match graph.origin(store, id) {
            o if o == store.value(id, Field::Actor) => String::new(),
            o => o.to_string(),
        },
        f => labels.compact_of(id, f).to_string(),
    }
}
