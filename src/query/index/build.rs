//! Building the [`TextIndex`]: one walk over every record, in id order.

use super::RareValues;
use super::postings::Postings;
use super::{
    BITS_PER_GRAM, BITS_PER_GRAM_DIV, BLOCK, GRAM, Node, Pair, ROOT, TextIndex, body, gram_bit, gram_hash, node_hash,
};
use crate::json::canon;
use crate::store::Store;
use crate::store::blobs::ChunkCache;
use hashbrown::HashTable;
use std::sync::RwLock;

/// Occurrences after which a pair gets its own set of events. Earlier
/// occurrences stay noted as rare, which the answers allow for.
pub const FREQUENT: u8 = 8;
/// Longer tokens are always rare: the frequent ones are kept whole.
const MAX_TOKEN: usize = 256;
/// Deeper values are not walked; their events are read at every search.
const MAX_DEPTH: usize = 64;
/// Beyond this many paths or pairs the index gives up (searches read records, as before).
const MAX_NODES: usize = 1 << 20;
const MAX_PAIRS: usize = 1 << 22;
/// Counters of how often a pair was seen, per row of the two-row count-min
/// sketch and per event indexed (most pairs are rare: a few per event), so
/// that rare pairs seldom share a counter; within bounds.
const SKETCH_PER_EVENT: usize = 4;
const SKETCH_ROW: std::ops::RangeInclusive<u32> = 16..=27;
/// Bytes of rare values kept, per event indexed: for one path, and in all.
const RARE_PER_PATH: usize = 4;
const RARE_IN_ALL: usize = 48;
/// Events read under one read lock.
const SLICE: u32 = 32 * 1024;

fn pair_hash(node: u32, token: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(token, (node as u64) | 1 << 41)
}

struct Builder {
    ix: TextIndex,
    /// Token ids by text.
    token_ids: HashTable<u32>,
    /// Pair ids by (node, token).
    pair_ids: HashTable<u32>,
    sketch: Vec<u8>,
    /// Bits of a row's index.
    sketch_bits: u32,
    /// The event being walked.
    id: u32,
    /// Bytes of rare values kept.
    rare_bytes: usize,
    lower: Vec<u8>,
    /// The gram hashes of the block's rare values so far: its bitmap is
    /// sized once they are all in.
    grams: Vec<u32>,
}

/// Indexes the events of `store` present now. None when the records hold
/// more distinct paths or frequent values than the index keeps.
pub fn build(store: &RwLock<Store>) -> Option<TextIndex> {
    let started = std::time::Instant::now();
    let read = || store.read().unwrap_or_else(|e| e.into_inner());
    let events = read().len() as u32;
    let mut b = Builder::new(events);
    let mut cache = ChunkCache::new(2);
    for start in (0..events).step_by(SLICE as usize) {
        let s = read();
        for id in start..(start + SLICE).min(events) {
            b.event(id, s.record(id, &mut cache));
        }
        if b.ix.nodes.len() > MAX_NODES || b.ix.pairs.len() > MAX_PAIRS {
            return None;
        }
    }
    let mut ix = b.finish();
    ix.took = started.elapsed();
    Some(ix)
}

impl Node {
    fn new(parent: u32, key: Option<&[u8]>) -> Self {
        Node {
            parent,
            key: key.map(Box::from),
            present: Postings::default(),
            container: Postings::default(),
            rare: Postings::default(),
            rare_values: Some(RareValues::default()),
            pairs: Vec::new(),
            elements: 0,
        }
    }
}

impl Builder {
    fn new(events: u32) -> Self {
        let wanted = (events as usize * SKETCH_PER_EVENT).next_power_of_two().trailing_zeros();
        let sketch_bits = wanted.clamp(*SKETCH_ROW.start(), *SKETCH_ROW.end());
        let root = Node::new(ROOT, None);
        Builder {
            ix: TextIndex {
                events,
                nodes: vec![root],
                children: HashTable::new(),
                pairs: Vec::new(),
                tokens: Vec::new(),
                token_starts: vec![0],
                tokens_lower: Default::default(),
                token_pairs: Vec::new(),
                keys_lower: Default::default(),
                key_nodes: Vec::new(),
                filters: Vec::new(),
                filter_ends: Vec::new(),
                unindexed: Vec::new(),
                took: Default::default(),
            },
            token_ids: HashTable::new(),
            pair_ids: HashTable::new(),
            sketch: vec![0; 2 << sketch_bits],
            sketch_bits,
            id: 0,
            rare_bytes: 0,
            lower: Vec::new(),
            grams: Vec::new(),
        }
    }

    fn event(&mut self, id: u32, record: &[u8]) {
        if id > 0 && id.is_multiple_of(BLOCK) {
            self.seal();
        }
        self.id = id;
        if !self.value(record, ROOT, 0) {
            self.ix.unindexed.push(id);
        }
    }

    /// Walks the value `v` at `node`; false when it was not walked whole.
    fn value(&mut self, v: &[u8], node: u32, depth: usize) -> bool {
        let universe = self.ix.events as usize;
        match v {
            [b'{', _, ..] if v != b"{}" => {
                if depth >= MAX_DEPTH {
                    return false;
                }
                if node != ROOT {
                    self.ix.nodes[node as usize].container.push(self.id, universe);
                }
                for (k, val) in canon::members(v) {
                    let child = self.child(node, Some(&k[1..k.len() - 1]));
                    self.ix.nodes[child as usize].present.push(self.id, universe);
                    if !self.value(val, child, depth + 1) {
                        return false;
                    }
                }
                true
            }
            [b'[', _, ..] if v != b"[]" => {
                if depth >= MAX_DEPTH {
                    return false;
                }
                self.ix.nodes[node as usize].container.push(self.id, universe);
                let child = self.child(node, None);
                canon::items(v).all(|item| self.value(item, child, depth + 1))
            }
            _ => {
                self.scalar(node, v);
                true
            }
        }
    }

    /// The node of `key` (None: array elements) under `parent`, made if new.
    fn child(&mut self, parent: u32, key: Option<&[u8]>) -> u32 {
        let nodes = &self.ix.nodes;
        if key.is_none() && nodes[parent as usize].elements != 0 {
            return nodes[parent as usize].elements;
        }
        let h = node_hash(parent, key);
        let eq = |&n: &u32| nodes[n as usize].parent == parent && nodes[n as usize].key.as_deref() == key;
        if let Some(&n) = self.ix.children.find(h, eq) {
            return n;
        }
        let n = nodes.len() as u32;
        self.ix.nodes.push(Node::new(parent, key));
        if key.is_none() {
            self.ix.nodes[parent as usize].elements = n;
        } else {
            let nodes = &self.ix.nodes;
            self.ix
                .children
                .insert_unique(h, n, |&m| node_hash(nodes[m as usize].parent, nodes[m as usize].key.as_deref()));
        }
        n
    }

    fn scalar(&mut self, node: u32, token: &[u8]) {
        let universe = self.ix.events as usize;
        if token.len() <= MAX_TOKEN
            && let Some(p) = self.pair(node, token)
        {
            self.ix.pairs[p as usize].events.push(self.id, universe);
            return;
        }
        let n = &mut self.ix.nodes[node as usize];
        n.rare.push(self.id, universe);
        if let Some(values) = &mut n.rare_values {
            let size = token.len() + 8;
            if values.text.len() + size > universe * RARE_PER_PATH {
                // Over budget: this path's rare values are found through the grams.
                self.rare_bytes -= values.budget();
                n.rare_values = None;
            } else {
                values.events.push(self.id);
                values.text.extend_from_slice(token);
                values.ends.push(values.text.len() as u32);
                self.rare_bytes += size;
            }
        }
        // Over the budget in all, the path with the most gives its values up.
        while self.rare_bytes > universe * RARE_IN_ALL {
            let size = |n: &Node| n.rare_values.as_ref().map_or(0, RareValues::budget);
            let Some(largest) = self.ix.nodes.iter_mut().max_by_key(|n| size(n)) else { break };
            self.rare_bytes -= size(largest);
            largest.rare_values = None;
        }
        self.lower.clear();
        self.lower.extend(body(token).iter().map(u8::to_ascii_lowercase));
        self.grams.extend(self.lower.windows(GRAM).map(gram_hash));
        // Patterns lowercase values beyond ASCII as Unicode does (where `K`,
        // the Kelvin sign, becomes `k`): their grams are noted that way too.
        if !body(token).is_ascii() {
            let unicode = String::from_utf8_lossy(body(token)).to_lowercase();
            self.grams.extend(unicode.as_bytes().windows(GRAM).map(gram_hash));
        }
    }

    /// Writes the bitmap of the block being walked.
    fn seal(&mut self) {
        let words = (self.grams.len() * BITS_PER_GRAM / BITS_PER_GRAM_DIV).div_ceil(64).max(1);
        let at = self.ix.filters.len();
        self.ix.filters.resize(at + words, 0);
        let filter = &mut self.ix.filters[at..];
        for &h in &self.grams {
            let b = gram_bit(h, words);
            filter[b / 64] |= 1 << (b % 64);
        }
        self.ix.filter_ends.push(self.ix.filters.len() as u32);
        self.grams.clear();
    }

    /// The pair of `token` at `node`, made once it has been seen often enough.
    fn pair(&mut self, node: u32, token: &[u8]) -> Option<u32> {
        let h = pair_hash(node, token);
        {
            let ix = &self.ix;
            let eq = |&p: &u32| ix.pairs[p as usize].node == node && ix.token(ix.pairs[p as usize].token) == token;
            if let Some(&p) = self.pair_ids.find(h, eq) {
                return Some(p);
            }
        }
        // Two rows of counters: the lesser is the count, never below the truth.
        let mask = (1usize << self.sketch_bits) - 1;
        let (a, b) = (h as usize & mask, (1 << self.sketch_bits) + ((h >> 32) as usize & mask));
        for i in [a, b] {
            self.sketch[i] = self.sketch[i].saturating_add(1);
        }
        if self.sketch[a].min(self.sketch[b]) < FREQUENT {
            return None;
        }
        let th = xxhash_rust::xxh3::xxh3_64(token);
        let known = self.token_ids.find(th, |&t| self.ix.token(t) == token).copied();
        let t = known.unwrap_or_else(|| {
            let t = self.ix.token_starts.len() as u32 - 1;
            self.ix.tokens.extend_from_slice(token);
            self.ix.token_starts.push(self.ix.tokens.len() as u32);
            let ix = &self.ix;
            self.token_ids.insert_unique(th, t, |&u| xxhash_rust::xxh3::xxh3_64(ix.token(u)));
            t
        });
        let p = self.ix.pairs.len() as u32;
        self.ix.pairs.push(Pair { node, token: t, events: Postings::default() });
        self.ix.nodes[node as usize].pairs.push(p);
        let ix = &self.ix;
        self.pair_ids
            .insert_unique(h, p, |&q| pair_hash(ix.pairs[q as usize].node, ix.token(ix.pairs[q as usize].token)));
        Some(p)
    }

    fn finish(mut self) -> TextIndex {
        if self.ix.events > 0 {
            self.seal();
        }
        self.ix.filters.shrink_to_fit();
        let ix = &mut self.ix;
        let tokens = ix.token_starts.len() - 1;
        ix.token_pairs = vec![Vec::new(); tokens];
        for (p, pair) in ix.pairs.iter_mut().enumerate() {
            ix.token_pairs[pair.token as usize].push(p as u32);
            pair.events.shrink();
        }
        for t in 0..tokens {
            let raw = &ix.tokens[ix.token_starts[t] as usize..ix.token_starts[t + 1] as usize];
            ix.tokens_lower.push(body(raw));
        }
        for (n, node) in ix.nodes.iter_mut().enumerate() {
            for p in [&mut node.present, &mut node.container, &mut node.rare] {
                p.shrink();
            }
            node.pairs.shrink_to_fit();
            if let Some(v) = &mut node.rare_values {
                v.events.shrink_to_fit();
                v.ends.shrink_to_fit();
                v.text.shrink_to_fit();
            }
            if let Some(k) = &node.key {
                ix.key_nodes.push(n as u32);
                ix.keys_lower.push(k);
            }
        }
        ix.unindexed.shrink_to_fit();
        self.ix
    }
}
