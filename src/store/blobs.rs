//! The original records, kept compactly: canonical JSON (see
//! [`crate::json::scan`]) packed into chunks of about 256 KB and compressed
//! with zstd. One record is read by decompressing its chunk.

use std::num::NonZeroUsize;

/// Raw bytes gathered before a chunk is compressed.
pub const CHUNK_TARGET: usize = 256 * 1024;
const ZSTD_LEVEL: i32 = 1;

/// A compressed chunk of records.
pub struct Chunk {
    data: Box<[u8]>,
    raw_len: u32,
}

impl Chunk {
    pub fn compressed_len(&self) -> usize {
        self.data.len()
    }
    pub fn raw_len(&self) -> usize {
        self.raw_len as usize
    }
}

/// Where a record sits: its chunk and its byte range inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BlobLoc {
    pub chunk: u32,
    pub start: u32,
    pub len: u32,
}

/// Compresses chunks; one per loader thread (it keeps zstd's context).
pub struct Packer {
    zstd: zstd::bulk::Compressor<'static>,
}

impl Default for Packer {
    fn default() -> Self {
        Self::new()
    }
}

impl Packer {
    pub fn new() -> Self {
        Self { zstd: zstd::bulk::Compressor::new(ZSTD_LEVEL).expect("zstd context") }
    }

    pub fn pack(&mut self, raw: &[u8]) -> Chunk {
        // Compression into memory cannot fail for lack of space; if zstd ever
        // refuses, the chunk is kept uncompressed rather than lost.
        match self.zstd.compress(raw) {
            Ok(data) if data.len() < raw.len() => Chunk { data: data.into_boxed_slice(), raw_len: raw.len() as u32 },
            _ => Chunk { data: raw.into(), raw_len: u32::MAX },
        }
    }
}

/// Decompresses chunks; keeps zstd's context between calls.
pub struct Unpacker {
    zstd: Option<zstd::bulk::Decompressor<'static>>,
}

impl Default for Unpacker {
    fn default() -> Self {
        Self { zstd: zstd::bulk::Decompressor::new().ok() }
    }
}

impl Unpacker {
    /// Decompresses `chunk` into `out`, replacing its contents. A chunk that
    /// cannot be read (it never happens to chunks this process wrote) is empty.
    pub fn unpack(&mut self, chunk: &Chunk, out: &mut Vec<u8>) {
        out.clear();
        if chunk.raw_len == u32::MAX {
            out.extend_from_slice(&chunk.data);
            return;
        }
        out.reserve(chunk.raw_len as usize);
        let ok = self.zstd.as_mut().is_some_and(|d| d.decompress_to_buffer(&chunk.data, out).is_ok());
        if !ok {
            out.clear();
        }
    }
}

/// Recently decompressed chunks, for readers that visit records one by one.
pub struct ChunkCache {
    slots: Vec<(u32, Vec<u8>)>,
    cap: NonZeroUsize,
    tick: Vec<u64>,
    clock: u64,
    unpacker: Unpacker,
}

impl ChunkCache {
    pub fn new(cap: usize) -> Self {
        Self {
            slots: Vec::new(),
            cap: NonZeroUsize::new(cap.max(1)).expect("nonzero"),
            tick: Vec::new(),
            clock: 0,
            unpacker: Unpacker::default(),
        }
    }

    /// The bytes of chunk `id`, decompressing it if it is not cached.
    pub fn get<'a>(&'a mut self, id: u32, chunks: &[Chunk]) -> &'a [u8] {
        self.clock += 1;
        if let Some(i) = self.slots.iter().position(|(c, _)| *c == id) {
            self.tick[i] = self.clock;
            return &self.slots[i].1;
        }
        let i = if self.slots.len() < self.cap.get() {
            self.slots.push((id, Vec::new()));
            self.tick.push(0);
            self.slots.len() - 1
        } else {
            (0..self.slots.len()).min_by_key(|&i| self.tick[i]).unwrap_or(0)
        };
        self.tick[i] = self.clock;
        let (slot_id, buf) = &mut self.slots[i];
        *slot_id = id;
        match chunks.get(id as usize) {
            Some(chunk) => self.unpacker.unpack(chunk, buf),
            None => buf.clear(),
        }
        buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_cache() {
        let mut p = Packer::new();
        let a: Vec<u8> = br#"{"eventName":"GetObject"}"#.repeat(1000);
        let b: Vec<u8> = (0..=255u8).collect();
        let chunks = vec![p.pack(&a), p.pack(&b)];
        assert!(chunks[0].compressed_len() < a.len() / 10);
        let mut cache = ChunkCache::new(1);
        assert_eq!(cache.get(0, &chunks), &a[..]);
        assert_eq!(cache.get(1, &chunks), &b[..]);
        assert_eq!(cache.get(0, &chunks), &a[..]);
        assert_eq!(cache.get(7, &chunks), b"");
    }
}
