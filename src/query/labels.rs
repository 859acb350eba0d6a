//! How stored values are shown, and so how queries match them: the field
//! table's display rules applied to what the store holds.

use crate::model::fields::{DisplayCtx, Field, SUMMARY_FIELDS};
use crate::store::{EventId, Store};

/// What display depends on in the store: whether several accounts are loaded.
pub fn display_ctx(store: &Store) -> DisplayCtx {
    DisplayCtx {
        several_accounts: store.dict(Field::Account).len() > 1 || store.dict(Field::IdentityAccount).len() > 1,
    }
}

/// The store's values as people see them.
#[derive(Clone, Copy)]
pub struct Labels<'s> {
    pub store: &'s Store,
    pub ctx: DisplayCtx,
}

impl<'s> Labels<'s> {
    pub fn new(store: &'s Store) -> Self {
        Labels { store, ctx: display_ctx(store) }
    }

    /// A value of `field` (by its interned id) as shown in full.
    pub fn label(&self, field: Field, value: u32) -> &'s str {
        field.display(self.store.dict(field).get(value), self.ctx)
    }

    /// A value of `field` where room is short.
    pub fn compact(&self, field: Field, value: u32) -> &'s str {
        field.compact(self.store.dict(field).get(value), self.ctx)
    }

    /// Event `id`'s value of `field`, shown compactly ("" when absent).
    pub fn compact_of(&self, id: EventId, field: Field) -> &'s str {
        self.compact(field, self.store.value_id(id, field))
    }

    /// The summary line of a combination: its fields, compact, by spaces.
    pub fn summary(&self, combo: u32) -> String {
        let mut s = String::new();
        for (f, id) in SUMMARY_FIELDS.iter().zip(self.store.combo_values(combo)) {
            if id == 0 {
                continue;
            }
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(self.compact(*f, id));
        }
        s
    }
}
