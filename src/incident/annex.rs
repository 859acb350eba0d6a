//! The query term `incident:N` (`incident:*`: any incident): the events of
//! an incident, findings and the events between them alike.

use super::Incidents;
use crate::model::fields::Field;
use crate::query::facets::FacetCounts;
use crate::query::glob::Glob;
use crate::store::{EventId, Store};
use std::sync::{Arc, RwLock};

pub struct Annex(pub Arc<RwLock<Incidents>>);

impl crate::query::eval::Annex for Annex {
    fn select(&self, _: &Store, field: Field, value: &Glob, events: usize) -> Option<Vec<bool>> {
        if field != Field::Incident {
            return None;
        }
        let inc = self.0.read().unwrap_or_else(|e| e.into_inner());
        let wanted: Vec<bool> =
            std::iter::once(false).chain(inc.list.iter().map(|i| value.matches(&i.id.to_string()))).collect();
        Some((0..events).map(|id| wanted[inc.of(id as EventId).map_or(0, |i| i.id as usize)]).collect())
    }

    fn count(&self, _: &Store, _: Field, _: &[EventId], _: usize) -> Option<FacetCounts> {
        None
    }
}
