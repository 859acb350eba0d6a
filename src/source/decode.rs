//! Decoding an item: read it, sniff gzip by its magic bytes (never by its
//! name), and decompress. Files of ordinary size are read and inflated whole
//! with libdeflate (several times faster than streaming zlib); huge files,
//! standard input and damaged gzip data stream through flate2 instead.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Plain files up to this size are read whole. With the limits below, a
/// loader thread holds at most about 128 MB of one file at a time (CloudTrail
/// delivers files of a few MB; larger ones stream in 4 MB reads).
const WHOLE_PLAIN: u64 = 64 << 20;
/// Gzip files up to this size are inflated whole...
const WHOLE_GZIP: u64 = 16 << 20;
/// ...when they inflate to no more than this.
const WHOLE_INFLATED: usize = 128 << 20;
/// The first read of a streamed input.
pub const HEAD: usize = 1 << 20;

/// Decoded bytes: `head` first, then whatever `rest` yields.
pub struct Opened {
    pub head: Vec<u8>,
    pub rest: Option<Box<dyn Read + Send>>,
    /// Bytes on disk (0 for standard input).
    pub disk_bytes: u64,
}

fn read_up_to(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let mut v = Vec::with_capacity(n.min(HEAD * 4));
    r.take(n as u64).read_to_end(&mut v)?;
    Ok(v)
}

fn is_gzip(b: &[u8]) -> bool {
    b.starts_with(&GZIP_MAGIC)
}

pub fn open_path(path: &Path) -> io::Result<Opened> {
    let mut f = File::open(path)?;
    let size = f.metadata()?.len();
    if f.metadata()?.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    let whole = size <= WHOLE_PLAIN;
    let head = read_up_to(&mut f, if whole { size as usize + 1 } else { HEAD })?;
    let mut opened = if head.len() as u64 >= size {
        decode(head)
    } else if is_gzip(&head) {
        let rest: Box<dyn Read + Send> = Box::new(Cursor::new(head).chain(f));
        Opened { head: Vec::new(), rest: Some(Box::new(flate2::read::MultiGzDecoder::new(rest))), disk_bytes: 0 }
    } else {
        Opened { head, rest: Some(Box::new(f)), disk_bytes: 0 }
    };
    opened.disk_bytes = size;
    Ok(opened)
}

/// Decodes an input held whole in memory: inflated at once when it is gzip of
/// ordinary size, streamed when it is large or damaged (to keep what inflates
/// before the damage), as it is otherwise.
pub fn decode(bytes: Vec<u8>) -> Opened {
    if !is_gzip(&bytes) {
        return Opened { head: bytes, rest: None, disk_bytes: 0 };
    }
    if bytes.len() as u64 <= WHOLE_GZIP
        && let Some(plain) = gunzip_whole(&bytes, WHOLE_INFLATED)
    {
        return Opened { head: plain, rest: None, disk_bytes: 0 };
    }
    Opened {
        head: Vec::new(),
        rest: Some(Box::new(flate2::read::MultiGzDecoder::new(Cursor::new(bytes)))),
        disk_bytes: 0,
    }
}

pub fn open_stdin() -> io::Result<Opened> {
    let mut stdin = io::stdin();
    let head = read_up_to(&mut stdin, HEAD)?;
    if is_gzip(&head) {
        let r: Box<dyn Read + Send> = Box::new(flate2::read::MultiGzDecoder::new(Cursor::new(head).chain(stdin)));
        Ok(Opened { head: Vec::new(), rest: Some(r), disk_bytes: 0 })
    } else {
        Ok(Opened { head, rest: Some(Box::new(stdin)), disk_bytes: 0 })
    }
}

/// Inflates every gzip member of `data` (as `cat a.gz b.gz` makes). None when
/// the data is damaged, ends early, or would inflate to more than `limit`.
#[allow(non_upper_case_globals)] // libdeflate-sys names its result constants in C style
pub fn gunzip_whole(data: &[u8], limit: usize) -> Option<Vec<u8>> {
    use libdeflate_sys::*;
    struct Handle(*mut libdeflate_decompressor);
    impl Drop for Handle {
        fn drop(&mut self) {
            // SAFETY: allocated by libdeflate_alloc_decompressor and freed once.
            unsafe { libdeflate_free_decompressor(self.0) }
        }
    }
    // SAFETY: no arguments; a null result is checked.
    let handle = Handle(unsafe { libdeflate_alloc_decompressor() });
    if handle.0.is_null() {
        return None;
    }
    let mut out: Vec<u8> = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let member = &data[pos..];
        if !is_gzip(member) {
            // Zero padding after the last member is common and harmless.
            return member.iter().all(|&b| b == 0).then_some(out);
        }
        // The trailer of the last member gives its size; start from that. Data
        // too short to hold a trailer is damaged: the streaming path reports it.
        let trailer = u32::from_le_bytes(data.get(data.len().checked_sub(4)?..)?.try_into().ok()?) as usize;
        let mut room = trailer.max(member.len() * 4).max(4096);
        loop {
            if out.len() + room > limit {
                return None;
            }
            out.reserve(room);
            let (mut used_in, mut used_out) = (0usize, 0usize);
            let spare = out.spare_capacity_mut();
            // SAFETY: `member` is a live slice; `spare` is writable memory of
            // `spare.len()` bytes; libdeflate writes at most that many and
            // reports how many in `used_out`.
            let ret = unsafe {
                libdeflate_gzip_decompress_ex(
                    handle.0,
                    member.as_ptr().cast(),
                    member.len(),
                    spare.as_mut_ptr().cast(),
                    spare.len(),
                    &mut used_in,
                    &mut used_out,
                )
            };
            match ret {
                libdeflate_result_LIBDEFLATE_SUCCESS => {
                    // SAFETY: libdeflate initialised `used_out` bytes of the spare capacity.
                    unsafe { out.set_len(out.len() + used_out) };
                    pos += used_in.max(1);
                    break;
                }
                libdeflate_result_LIBDEFLATE_INSUFFICIENT_SPACE => room = room.saturating_mul(2),
                _ => return None,
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn inflates_single_and_multi_member() {
        let a = b"hello ".repeat(10_000);
        assert_eq!(gunzip_whole(&gz(&a), 1 << 30).unwrap(), a);
        let mut both = gz(b"first,");
        both.extend(gz(b"second"));
        assert_eq!(gunzip_whole(&both, 1 << 30).unwrap(), b"first,second");
        let mut padded = gz(b"x");
        padded.extend([0u8; 16]);
        assert_eq!(gunzip_whole(&padded, 1 << 30).unwrap(), b"x");
    }

    #[test]
    fn refuses_damage_and_excess() {
        let g = gz(&b"abc".repeat(100_000));
        assert!(gunzip_whole(&g[..g.len() - 10], 1 << 30).is_none());
        assert!(gunzip_whole(&g, 1000).is_none());
        let mut garbage = gz(b"x");
        garbage.extend(b"junk");
        assert!(gunzip_whole(&garbage, 1 << 30).is_none());
        // Found by the loader fuzz target: the magic and nothing more.
        for short in [&[0x1f, 0x8b][..], &[0x1f, 0x8b, 0x0b], &[0x1f, 0x8b, 8, 0]] {
            assert!(gunzip_whole(short, 1 << 30).is_none());
        }
    }
}
