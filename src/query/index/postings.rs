//! Sets of event ids, compactly: a sparse set as varint gaps, a dense one
//! as a bitmap (whichever is smaller), and [`Bits`] to gather answers in.

/// A set of event ids as a bitmap.
#[derive(Clone, Default, Debug, PartialEq, Eq)]
pub struct Bits(Vec<u64>);

impl Bits {
    pub fn new(len: usize) -> Self {
        Bits(vec![0; len.div_ceil(64)])
    }
    pub fn set(&mut self, i: u32) {
        if let Some(w) = self.0.get_mut(i as usize / 64) {
            *w |= 1 << (i % 64);
        }
    }
    pub fn get(&self, i: u32) -> bool {
        self.0.get(i as usize / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }
    pub fn union(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }
    fn heap_bytes(&self) -> usize {
        self.0.capacity() * 8
    }
}

/// A set of event ids, built in increasing order.
#[derive(Debug)]
pub enum Postings {
    /// Gaps between successive ids (the first from -1), as LEB128 varints.
    Gaps {
        bytes: Vec<u8>,
        last: Option<u32>,
    },
    Dense(Bits),
}

impl Default for Postings {
    fn default() -> Self {
        Postings::Gaps { bytes: Vec::new(), last: None }
    }
}

impl Postings {
    /// Adds `id`, which is at least every id added before; adding the last
    /// one again changes nothing. `universe` bounds the ids: once the gaps
    /// take more room than a bitmap of it would, the set becomes one.
    pub fn push(&mut self, id: u32, universe: usize) {
        match self {
            Postings::Dense(bits) => bits.set(id),
            Postings::Gaps { bytes, last } => {
                if *last == Some(id) {
                    return;
                }
                let gap = id - last.map_or(0, |l| l + 1);
                *last = Some(id);
                let mut g = gap;
                loop {
                    let b = (g & 0x7f) as u8;
                    g >>= 7;
                    if g == 0 {
                        bytes.push(b);
                        break;
                    }
                    bytes.push(b | 0x80);
                }
                if bytes.len() > universe / 8 {
                    let mut bits = Bits::new(universe);
                    self.for_each(|i| bits.set(i));
                    *self = Postings::Dense(bits);
                }
            }
        }
    }

    /// Calls `f` with each id, ascending.
    pub fn for_each(&self, mut f: impl FnMut(u32)) {
        match self {
            Postings::Dense(bits) => {
                for (w, &word) in bits.0.iter().enumerate() {
                    let mut word = word;
                    while word != 0 {
                        f(w as u32 * 64 + word.trailing_zeros());
                        word &= word - 1;
                    }
                }
            }
            Postings::Gaps { bytes, .. } => {
                let (mut next, mut shift, mut gap) = (0u32, 0, 0u32);
                for &b in bytes {
                    gap |= ((b & 0x7f) as u32) << shift;
                    if b & 0x80 == 0 {
                        next += gap;
                        f(next);
                        next += 1;
                        (gap, shift) = (0, 0);
                    } else {
                        shift += 7;
                    }
                }
            }
        }
    }

    /// Adds every id of the set to `into`.
    pub fn add_to(&self, into: &mut Bits) {
        match self {
            Postings::Dense(bits) => into.union(bits),
            Postings::Gaps { .. } => self.for_each(|i| into.set(i)),
        }
    }

    pub fn shrink(&mut self) {
        if let Postings::Gaps { bytes, .. } = self {
            bytes.shrink_to_fit();
        }
    }

    pub fn heap_bytes(&self) -> usize {
        match self {
            Postings::Dense(bits) => bits.heap_bytes(),
            Postings::Gaps { bytes, .. } => bytes.capacity(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(p: &Postings) -> Vec<u32> {
        let mut v = Vec::new();
        p.for_each(|i| v.push(i));
        v
    }

    #[test]
    fn sparse_sets_stay_gaps_and_dense_ones_become_bitmaps() {
        let universe = 10_000;
        let mut sparse = Postings::default();
        let want: Vec<u32> = vec![0, 1, 127, 128, 129, 5000, 9999];
        for &i in &want {
            sparse.push(i, universe);
            sparse.push(i, universe);
        }
        assert!(matches!(sparse, Postings::Gaps { .. }));
        assert_eq!(ids(&sparse), want);
        let mut dense = Postings::default();
        let every_third: Vec<u32> = (0..universe as u32).step_by(3).collect();
        for &i in &every_third {
            dense.push(i, universe);
        }
        assert!(matches!(dense, Postings::Dense(_)), "3,334 one-byte gaps take more than 1,250 bytes");
        assert_eq!(ids(&dense), every_third);
        let mut bits = Bits::new(universe);
        sparse.add_to(&mut bits);
        dense.add_to(&mut bits);
        assert!(bits.get(5000) && bits.get(3) && bits.get(9999) && !bits.get(4) && !bits.get(20_000));
    }
}
