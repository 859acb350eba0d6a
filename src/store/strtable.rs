//! An interner of strings: each distinct string gets a small integer id.
//! Strings live in one arena, the hash table holds only ids, so a million
//! distinct addresses cost about 30 bytes each.

use hashbrown::HashTable;
use std::hash::BuildHasher;

/// Id 0 means "absent"; real strings get 1, 2, 3...
#[derive(Clone, Default)]
pub struct StrTable {
    /// A `String`, not bytes: a string is read back by slicing, with no
    /// UTF-8 check (facets and fuzzy search read hundreds of thousands).
    arena: String,
    /// Start of each string in `arena`; string `id` spans `ends[id-1]..ends[id]`.
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: foldhash::quality::RandomState,
}

impl StrTable {
    pub fn new() -> Self {
        Self { ends: vec![0], ..Default::default() }
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn bytes(&self, id: u32) -> &[u8] {
        span(&self.arena, &self.ends, id).as_bytes()
    }

    /// The string of `id`; "" for 0 or an unknown id.
    pub fn get(&self, id: u32) -> &str {
        if id == 0 || id as usize >= self.ends.len() {
            return "";
        }
        span(&self.arena, &self.ends, id)
    }

    pub fn lookup(&self, s: &str) -> Option<u32> {
        let h = self.hasher.hash_one(s.as_bytes());
        self.table.find(h, |&id| self.bytes(id) == s.as_bytes()).copied()
    }

    pub fn intern(&mut self, s: &str) -> u32 {
        let h = self.hasher.hash_one(s.as_bytes());
        let Self { arena, ends, table, hasher } = self;
        let found = table.find(h, |&id| span(arena, ends, id) == s);
        if let Some(&id) = found {
            return id;
        }
        arena.push_str(s);
        ends.push(arena.len());
        let id = (ends.len() - 1) as u32;
        table.insert_unique(h, id, |&id| hasher.hash_one(span(arena, ends, id).as_bytes()));
        id
    }

    /// Forgets every string but keeps the allocations.
    pub fn clear(&mut self) {
        self.arena.clear();
        self.ends.truncate(1);
        self.table.clear();
    }

    /// Ids and strings, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &str)> {
        (1..self.ends.len() as u32).map(|id| (id, self.get(id)))
    }

    pub fn heap_bytes(&self) -> usize {
        self.arena.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 5
    }
}

/// String `id` (1 or more) of an arena and its ends.
fn span<'a>(arena: &'a str, ends: &[usize], id: u32) -> &'a str {
    let i = id as usize;
    &arena[ends[i - 1]..ends[i]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_looks_up() {
        let mut t = StrTable::new();
        assert_eq!(t.intern("a"), 1);
        assert_eq!(t.intern("bb"), 2);
        assert_eq!(t.intern("a"), 1);
        assert_eq!(t.intern(""), 3);
        assert_eq!(t.get(2), "bb");
        assert_eq!(t.get(3), "");
        assert_eq!(t.get(0), "");
        assert_eq!(t.get(99), "");
        assert_eq!(t.lookup("bb"), Some(2));
        assert_eq!(t.lookup("c"), None);
        assert_eq!(t.len(), 3);
        for i in 0..10_000 {
            t.intern(&i.to_string());
        }
        assert_eq!(t.lookup("9999"), Some(10_003));
        t.clear();
        assert!(t.is_empty());
        assert_eq!(t.intern("z"), 1);
    }
}
