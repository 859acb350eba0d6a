//! What an incident touched: the resources its write calls (and the reads
//! that take secrets) name, read with the table in `model::resources`, each
//! with the calls made on it.

use super::model::Incident;
use crate::model::fields::Field;
use crate::model::resources;
use crate::store::Store;
use crate::store::blobs::ChunkCache;

/// Write calls read for resources, at most: an automation incident can hold
/// hundreds of thousands; the first ones say what it works on.
pub const MOST_WRITES: usize = 5_000;

/// A resource and the calls made on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub kind: &'static str,
    pub name: String,
    /// Call names in the order first made; a refused or failed call reads `Name (ErrorCode)`.
    pub calls: Vec<String>,
}

/// The resources the incident's write calls name, in the order first
/// touched; and whether some writes were left unread (past [`MOST_WRITES`]).
pub fn resources(inc: &Incident, store: &Store, cache: &mut ChunkCache) -> (Vec<Touched>, bool) {
    let writes: Vec<_> = (inc.events.iter().copied())
        .filter(|&e| resources::touches(store.value(e, Field::Name), store.value(e, Field::ReadOnly) == "true"))
        .collect();
    let mut out: Vec<Touched> = Vec::new();
    for &e in writes.iter().take(MOST_WRITES) {
        let Ok(record) = serde_json::from_slice::<serde_json::Value>(store.record(e, cache)) else { continue };
        let error = store.value(e, Field::Error);
        let call = match error {
            "" => store.value(e, Field::Name).to_string(),
            err => format!("{} ({err})", store.value(e, Field::Name)),
        };
        for (kind, name) in resources::named(&record) {
            let at = match out.iter().position(|t| t.kind == kind && t.name == name) {
                Some(i) => i,
                None => {
                    out.push(Touched { kind, name, calls: Vec::new() });
                    out.len() - 1
                }
            };
            if !out[at].calls.contains(&call) {
                out[at].calls.push(call.clone());
            }
        }
    }
    (out, writes.len() > MOST_WRITES)
}
