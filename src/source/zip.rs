//! Zip archives read in place, their members walked like a folder. Nothing
//! is ever extracted: member names are only matched and shown, and members
//! are inflated into memory one at a time. An archive is hostile input: the
//! limits below bound what any zip can cost, and whatever is refused becomes
//! a problem naming the archive and the member while the rest still loads.

use super::item::{Item, Listing, Locator, describe};
use super::layout::{Cut, is_digest_path, is_log_name};
use super::problem::{Kind, Problem};
use ::zip::read::ZipFileEntry;
use ::zip::{CompressionMethod, ZipArchive};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Members one archive may hold. A year of a busy account's trail is about
/// 100,000 files; a directory can claim any count, and the reader keeps
/// state for every member, so a larger claim is refused before it is read.
pub const MAX_MEMBERS: u64 = 1_000_000;
/// The most one member may inflate to: `open` hands a member over whole in
/// memory, and a loader thread holds one at a time (CloudTrail files are a
/// few MB).
pub const MAX_MEMBER: u64 = 1 << 30;
/// The most all members read from one archive may inflate to, so that a pile
/// of members each under the limits still cannot make a reading endless.
pub const MAX_TOTAL: u64 = 64 << 30;
/// Deflate shrinks nothing much beyond 1032:1, and logs only about 20:1: a
/// member that claims more than this ratio is made of nothing but
/// repetition, which is what a zip bomb is.
pub const BOMB_RATIO: u64 = 1000;
/// ...once it inflates to more than this (below it, repetition is harmless).
pub const BOMB_FLOOR: u64 = 16 << 20;
/// Problems listed one by one per archive; a hostile archive can hold a
/// million bad members, and the rest are counted in one more problem.
const MAX_PROBLEMS: usize = 100;
/// Parsed directories kept for `open` (loader threads read an archive's
/// members one after another: the directory is read once, not per member).
const CACHED: usize = 4;
/// Member names are shown cut to this many characters.
const SHOWN_NAME: usize = 300;

/// Lists the log members of `archive` that can hold events of `cut`.
pub fn list(archive: &Path, cut: &Cut, listing: &mut Listing) {
    list_within(archive, cut, listing, MAX_TOTAL)
}

/// [`list`], reading at most `max_total` inflated bytes of the archive.
fn list_within(archive: &Path, cut: &Cut, listing: &mut Listing, max_total: u64) {
    let shown = archive.to_string_lossy();
    let zip = match parsed(archive) {
        Ok(z) => z,
        Err(r) => return listing.problems.push(Problem::item(shown, r.kind, r.message)),
    };
    let mut report = Report::new(&shown);
    if zip.has_duplicate_names() {
        let why =
            "holds several members of the same name: only the last of each is read (a sign of a tampered archive)";
        listing.problems.push(Problem::item(shown.as_ref(), Kind::Unreadable, why));
    }
    let mut total: u64 = 0;
    let mut left_out = 0u64;
    for index in 0..zip.len() {
        let Ok(entry) = zip.by_index_data(index) else { continue };
        let name = member_name(&entry);
        match classify(&entry, &name, cut) {
            Verdict::Ignore => {}
            Verdict::Skip => listing.skipped += 1,
            Verdict::Refuse(r) => report.refuse(&name, r, listing),
            Verdict::Read { digest } => {
                total = total.saturating_add(entry.size());
                if total > max_total {
                    left_out += 1;
                    continue;
                }
                let item = Item::new(format!("{shown}!{name}"), Some(entry.size()), locator(archive, index));
                if digest { listing.digests.push(item) } else { listing.items.push(item) }
            }
        }
    }
    report.finish(listing);
    if left_out > 0 {
        let why = format!(
            "inflates to more than {} in all: {left_out} of its members left out; unpack it and read it in parts",
            human(max_total)
        );
        listing.problems.push(Problem::item(shown, Kind::TooLarge, why));
    }
}

/// Member `index` of `archive`, as stored in it once inflated (a `.json.gz`
/// member stays gzip).
pub fn open(archive: &Path, index: usize) -> io::Result<Vec<u8>> {
    let mut zip = parsed(archive).map_err(Refusal::into_io)?;
    let entry = zip.by_index_data(index).map_err(io::Error::from)?;
    let name = member_name(&entry);
    let declared = entry.size();
    match classify(&entry, &name, &Cut::default()) {
        Verdict::Read { .. } => {}
        Verdict::Refuse(r) => return Err(r.into_io()),
        Verdict::Ignore | Verdict::Skip => return Err(io::Error::other("not a log file of the archive")),
    }
    let member = zip.by_index(index).map_err(io::Error::from)?;
    // The reader stops at the declared size; `take` holds even if it did not.
    let mut out = Vec::with_capacity(declared.min(16 << 20) as usize);
    member.take(MAX_MEMBER + 1).read_to_end(&mut out).map_err(damaged_member)?;
    if out.len() as u64 > MAX_MEMBER {
        let why = format!("member inflates to more than the {} trailscope reads from one member", human(MAX_MEMBER));
        return Err(io::Error::other(why));
    }
    Ok(out)
}

/// A failure to inflate a member, in plain words.
fn damaged_member(e: io::Error) -> io::Error {
    let text = e.to_string();
    // The reader stops a member at the size the directory declares for it.
    let why = if text.contains("declared uncompressed size") {
        "member inflates to more than the size the archive declares for it, as zip bombs do: refused".to_string()
    } else {
        format!("damaged member: {}", text.to_lowercase())
    };
    io::Error::new(e.kind(), why)
}

fn locator(archive: &Path, index: usize) -> Locator {
    Locator::Member { archive: archive.to_path_buf(), index }
}

/// Why something was refused, and what kind of problem it is.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Refusal {
    kind: Kind,
    message: String,
}

impl Refusal {
    fn new(kind: Kind, message: impl Into<String>) -> Refusal {
        Refusal { kind, message: message.into() }
    }

    fn into_io(self) -> io::Error {
        io::Error::other(self.message)
    }
}

/// What becomes of one member.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Left out silently: a folder, or outside the cut.
    Ignore,
    /// Not a log: counted as skipped.
    Skip,
    Refuse(Refusal),
    Read {
        digest: bool,
    },
}

/// A member's name as decoded by the archive (UTF-8, else code page 437).
fn member_name(entry: &ZipFileEntry<'_>) -> String {
    match entry.name() {
        Ok(n) => n.into_owned(),
        Err(_) => String::from_utf8_lossy(entry.name_raw()).into_owned(),
    }
}

/// Decides what to do with one member: its name first (a hostile name is
/// refused wherever it is), then whether it is a log the cut wants, then
/// whether it can be read within the limits.
fn classify(entry: &ZipFileEntry<'_>, name: &str, cut: &Cut) -> Verdict {
    if let Some(why) = name_fault(name) {
        return Verdict::Refuse(Refusal::new(Kind::Unreadable, format!("member name refused: {why}")));
    }
    if entry.is_dir() {
        return Verdict::Ignore;
    }
    let file = name.rsplit('/').next().unwrap_or(name);
    if file.to_ascii_lowercase().ends_with(".zip") {
        let why = "an archive inside the archive is not read: unpack the outer archive";
        return Verdict::Refuse(Refusal::new(Kind::Unreadable, why));
    }
    // Finder's resource forks (`__MACOSX/._x.json`) look like logs and are not.
    if !is_log_name(file) || entry.is_symlink() || name.split('/').any(|s| s == "__MACOSX") {
        return Verdict::Skip;
    }
    if !cut.wants_file(name) {
        return Verdict::Ignore;
    }
    if let Some(r) = content_fault(entry.encrypted(), entry.compression(), entry.size(), entry.compressed_size()) {
        return Verdict::Refuse(r);
    }
    Verdict::Read { digest: is_digest_path(name) }
}

/// Why a member name marks a hostile archive, if it does. Nothing is ever
/// extracted, but a name that is absolute, climbs out with `..`, uses
/// backslashes or holds control characters is how archives attack unpackers
/// and terminals, so it is not passed on.
fn name_fault(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if name.is_empty() {
        Some("it is empty")
    } else if name.chars().any(is_unsafe_char) {
        Some("it holds control characters")
    } else if name.contains('\\') {
        Some("it holds a backslash")
    } else if name.starts_with('/') || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':') {
        Some("it is an absolute path")
    } else if name.split('/').any(|s| s == "..") {
        Some("it climbs out of the archive with `..`")
    } else {
        None
    }
}

/// Characters that must not reach a terminal as themselves: controls,
/// bidirectional overrides, line separators.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
        || matches!(c, '\u{2028}' | '\u{2029}')
}

/// A member name fit to show: unsafe characters escaped, cut to a length.
fn shown_name(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if i == SHOWN_NAME {
            out.push('…');
            break;
        }
        if is_unsafe_char(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Why a member's content cannot be read, if it cannot: encrypted, compressed
/// with a method trailscope lacks, too large, or a bomb.
fn content_fault(encrypted: bool, method: CompressionMethod, size: u64, compressed: u64) -> Option<Refusal> {
    if encrypted {
        let why = "member is encrypted, which trailscope does not read: unpack the archive with its password";
        return Some(Refusal::new(Kind::Unreadable, why));
    }
    if method != CompressionMethod::Stored && method != CompressionMethod::Deflated {
        let why = format!(
            "member compressed with {}, which trailscope does not read: unpack the archive",
            method_name(method)
        );
        return Some(Refusal::new(Kind::Unreadable, why));
    }
    if size > MAX_MEMBER {
        return Some(too_large(size));
    }
    if size > BOMB_FLOOR && size > compressed.saturating_mul(BOMB_RATIO) {
        let why = format!(
            "member would inflate from {} to {}, more than {BOMB_RATIO}:1, which looks like a zip bomb: refused",
            size_exact(compressed),
            human(size)
        );
        return Some(Refusal::new(Kind::TooLarge, why));
    }
    None
}

fn too_large(size: u64) -> Refusal {
    let why = format!(
        "member inflates to {}, more than the {} trailscope reads from one member: unpack the archive",
        human(size),
        human(MAX_MEMBER)
    );
    Refusal::new(Kind::TooLarge, why)
}

#[allow(deprecated)] // the crate's name for methods it does not know
fn method_name(method: CompressionMethod) -> String {
    match method {
        CompressionMethod::Unsupported(n) => match CompressionMethod::name_from_u16(n) {
            "Unknown" => format!("method {n}"),
            known => known.to_ascii_lowercase(),
        },
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// A size in the largest binary unit that keeps it at 1 or more.
fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return size_exact(n);
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

fn size_exact(n: u64) -> String {
    if n == 1 { "1 byte".into() } else { format!("{n} bytes") }
}

/// Refusals of members, listed up to [`MAX_PROBLEMS`], then counted.
struct Report<'a> {
    archive: &'a str,
    listed: usize,
    more: u64,
}

impl<'a> Report<'a> {
    fn new(archive: &'a str) -> Report<'a> {
        Report { archive, listed: 0, more: 0 }
    }

    fn refuse(&mut self, member: &str, r: Refusal, listing: &mut Listing) {
        if self.listed == MAX_PROBLEMS {
            self.more += 1;
            return;
        }
        self.listed += 1;
        listing.problems.push(Problem::item(format!("{}!{}", self.archive, shown_name(member)), r.kind, r.message));
    }

    fn finish(self, listing: &mut Listing) {
        if self.more > 0 {
            let why = format!("{} more members refused, not listed one by one", self.more);
            listing.problems.push(Problem::item(self.archive, Kind::Unreadable, why));
        }
    }
}

/// The archive's directory, parsed once and kept for the next calls while
/// the file is unchanged. Every check on the whole archive is made here, so
/// `list` and `open` refuse alike.
fn parsed(path: &Path) -> Result<ZipArchive<Shared>, Refusal> {
    let unreadable = |e: io::Error| Refusal::new(Kind::Unreadable, describe(&e));
    let meta = fs::metadata(path).map_err(unreadable)?;
    // Not a device or a pipe: opening one could wait forever.
    if !meta.is_file() {
        return Err(Refusal::new(Kind::Unreadable, "not a regular file"));
    }
    let stamp = Stamp::of(&meta);
    // Parsed under the lock: threads that want the same archive wait for
    // one parse instead of each making its own.
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(at) = cache.iter().position(|c| c.path == path && c.stamp == stamp) {
        let hit = cache.remove(at);
        let zip = hit.zip.clone();
        cache.push(hit);
        return Ok(zip);
    }
    let file = File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    let zip = read_directory(Shared::new(file, meta.len()))?;
    if cache.len() == CACHED {
        cache.remove(0);
    }
    cache.push(Cached { path: path.to_path_buf(), stamp: Stamp::of(&meta), zip: zip.clone() });
    Ok(zip)
}

/// Reads the central directory, refusing archives that claim too many
/// members or more inflated bytes than their size allows.
fn read_directory(mut file: Shared) -> Result<ZipArchive<Shared>, Refusal> {
    let len = file.len;
    let claimed = claimed_members(&mut file).map_err(|e| Refusal::new(Kind::Unreadable, describe(&e)))?;
    if claimed > MAX_MEMBERS {
        return Err(too_many(claimed));
    }
    // The reader is meant never to panic; if hostile bytes find a way, the
    // archive is a problem and the listing goes on.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| ZipArchive::new(file.clone())));
    let zip = read
        .map_err(|_| Refusal::new(Kind::Internal, "the zip reader failed on this archive: unpack it"))?
        .map_err(|e| unreadable_archive(&mut file, &e))?;
    if zip.len() as u64 > MAX_MEMBERS {
        return Err(too_many(zip.len() as u64));
    }
    let total = (0..zip.len()).filter_map(|i| zip.by_index_data(i).ok()).fold(0u64, |t, e| t.saturating_add(e.size()));
    // Members that do not overlap cannot inflate beyond the ratio of the
    // whole file; members that share their data can (42.zip and its kind).
    if total > BOMB_FLOOR && total > len.saturating_mul(BOMB_RATIO) {
        let why = format!(
            "members claim to inflate to {} from an archive of {}, more than {BOMB_RATIO}:1, which looks like a zip bomb: refused",
            human(total),
            size_exact(len)
        );
        return Err(Refusal::new(Kind::TooLarge, why));
    }
    Ok(zip)
}

/// Why the zip reader could not read the directory, in plain words: a file
/// that does not start like a zip is not one (whatever its name says).
fn unreadable_archive(file: &mut Shared, e: &::zip::result::ZipError) -> Refusal {
    let mut head = [0u8; 2];
    let looks_like_zip =
        file.seek(SeekFrom::Start(0)).and_then(|_| file.read_exact(&mut head)).is_ok() && head == *b"PK";
    let why = if looks_like_zip {
        format!("a damaged or truncated zip archive: {e}")
    } else {
        "not a zip archive (it does not start like one)".to_string()
    };
    Refusal::new(Kind::Unreadable, why)
}

fn too_many(n: u64) -> Refusal {
    let why = format!(
        "the archive claims {n} members, more than the {MAX_MEMBERS} trailscope reads from one archive: unpack it and read it in parts"
    );
    Refusal::new(Kind::TooLarge, why)
}

const EOCD: [u8; 4] = *b"PK\x05\x06";
const EOCD64_LOCATOR: [u8; 4] = *b"PK\x06\x07";
const EOCD64: [u8; 4] = *b"PK\x06\x06";
/// An end record is 22 bytes and ends with a comment of up to 64 KiB; a zip64
/// locator of 20 bytes comes just before it.
const TAIL: u64 = 22 + 0xffff + 20;

/// The largest member count any end record in the archive's tail claims (and
/// any zip64 end record such a record points to). The zip reader sizes its
/// tables by these counts, bounded only by the file's size, so they are
/// checked before it reads them. A count in a stray record (say, in a
/// comment) is counted too: a legitimate archive claims no million members.
fn claimed_members(file: &mut Shared) -> io::Result<u64> {
    let tail_len = file.len.min(TAIL);
    let tail_start = file.len - tail_len;
    let mut tail = vec![0; tail_len as usize];
    file.seek(SeekFrom::Start(tail_start))?;
    file.read_exact(&mut tail)?;
    let mut most = 0u64;
    for at in memchr::memmem::find_iter(&tail, &EOCD) {
        let Some(record) = tail.get(at..at + 22) else { continue };
        most = most.max(u16_at(record, 8).max(u16_at(record, 10)) as u64);
        let locator = at.checked_sub(20).and_then(|l| tail.get(l..at)).filter(|l| l.starts_with(&EOCD64_LOCATOR));
        if let Some(locator) = locator {
            most = most.max(zip64_claim(file, u64_at(locator, 8))?);
        }
    }
    Ok(most)
}

/// The member count of the zip64 end record at `offset`, or 0 when there is
/// none there.
fn zip64_claim(file: &mut Shared, offset: u64) -> io::Result<u64> {
    if offset.checked_add(40).is_none_or(|end| end > file.len) {
        return Ok(0);
    }
    let mut record = [0u8; 40];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut record)?;
    Ok(if record.starts_with(&EOCD64) { u64_at(&record, 24).max(u64_at(&record, 32)) } else { 0 })
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2).and_then(|s| s.try_into().ok()).map_or(0, u16::from_le_bytes)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).and_then(|s| s.try_into().ok()).map_or(0, u64::from_le_bytes)
}

/// What tells that a file on disk is still the one parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    id: (u64, u64),
}

impl Stamp {
    fn of(meta: &fs::Metadata) -> Stamp {
        Stamp { len: meta.len(), modified: meta.modified().ok(), id: file_id(meta) }
    }
}

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(_: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

struct Cached {
    path: PathBuf,
    stamp: Stamp,
    zip: ZipArchive<Shared>,
}

/// Parsed archives, the most recently used last.
static CACHE: Mutex<Vec<Cached>> = Mutex::new(Vec::new());

/// An open archive read at positions of its own: clones share the file and
/// the parsed directory, so loader threads read members of one archive at
/// once without reopening or reparsing it.
struct Shared {
    file: Arc<File>,
    len: u64,
    pos: u64,
    /// Read ahead (directory entries and headers come in small reads):
    /// `buf[..buf_len]` holds the bytes from `buf_at`.
    buf: Vec<u8>,
    buf_len: usize,
    buf_at: u64,
}

/// Reads ahead by this much: a directory is read in few calls, and opening
/// a small member reads little more than the member.
const READ_AHEAD: usize = 8 << 10;

impl Shared {
    fn new(file: File, len: u64) -> Shared {
        Shared { file: Arc::new(file), len, pos: 0, buf: Vec::new(), buf_len: 0, buf_at: 0 }
    }
}

impl Clone for Shared {
    fn clone(&self) -> Shared {
        Shared { file: Arc::clone(&self.file), len: self.len, pos: self.pos, buf: Vec::new(), buf_len: 0, buf_at: 0 }
    }
}

impl Read for Shared {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let in_buf = self.pos.checked_sub(self.buf_at).filter(|&o| o < self.buf_len as u64);
        let n = match in_buf {
            Some(o) => {
                let from = &self.buf[o as usize..self.buf_len];
                let n = from.len().min(out.len());
                out[..n].copy_from_slice(&from[..n]);
                n
            }
            None if out.len() >= READ_AHEAD => read_at(&self.file, out, self.pos)?,
            None => {
                if self.buf.is_empty() {
                    self.buf = vec![0; READ_AHEAD];
                }
                self.buf_len = read_at(&self.file, &mut self.buf, self.pos)?;
                self.buf_at = self.pos;
                let n = self.buf_len.min(out.len());
                out[..n].copy_from_slice(&self.buf[..n]);
                n
            }
        };
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for Shared {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let pos = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = pos.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek outside the archive"))?;
        Ok(self.pos)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, at)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, at)
}

#[cfg(not(any(unix, windows)))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> io::Result<usize> {
    Err(io::Error::other("zip archives are not read on this platform: unpack the archive"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::glob::Glob;
    use crate::model::time::parse_event_time;
    use ::zip::write::SimpleFileOptions;
    use std::io::{Cursor, Write};
    use std::time::{Duration, Instant};

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("trailscope-zip-unit-{}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        d.join(name)
    }

    /// A zip written by the zip crate: (name, content, deflated?); a name
    /// ending in `/` is a folder.
    fn zip_of(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut w = ::zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, deflate) in members {
            if name.ends_with('/') {
                w.add_directory(*name, SimpleFileOptions::default()).unwrap();
                continue;
            }
            let method = if *deflate { CompressionMethod::Deflated } else { CompressionMethod::Stored };
            w.start_file(*name, SimpleFileOptions::default().compression_method(method)).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    /// One member of a zip written byte by byte, to say what the crate's
    /// writer will not.
    struct Raw<'a> {
        name: &'a [u8],
        method: u16,
        flags: u16,
        data: &'a [u8],
        crc: u32,
        size: u32,
    }

    fn stored<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
        Raw { name: name.as_bytes(), method: 0, flags: 0, data, crc: crc(data), size: data.len() as u32 }
    }

    fn crc(data: &[u8]) -> u32 {
        let mut h = flate2::Crc::new();
        h.update(data);
        h.sum()
    }

    fn deflate(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Local headers and data, then the central directory pointing at them
    /// (at `shared_data`'s offset for every member, when given: overlapping
    /// members), then the end record.
    fn raw_zip(members: &[Raw<'_>], shared_data: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut offsets = Vec::new();
        for (i, m) in members.iter().enumerate() {
            if shared_data && i > 0 {
                offsets.push(0u32);
                continue;
            }
            offsets.push(out.len() as u32);
            out.extend(b"PK\x03\x04");
            out.extend(20u16.to_le_bytes());
            out.extend(m.flags.to_le_bytes());
            out.extend(m.method.to_le_bytes());
            out.extend([0u8; 4]);
            out.extend(m.crc.to_le_bytes());
            out.extend((m.data.len() as u32).to_le_bytes());
            out.extend(m.size.to_le_bytes());
            out.extend((m.name.len() as u16).to_le_bytes());
            out.extend(0u16.to_le_bytes());
            out.extend(m.name);
            out.extend(m.data);
        }
        let cd_start = out.len() as u32;
        for (m, off) in members.iter().zip(&offsets) {
            out.extend(b"PK\x01\x02");
            out.extend(20u16.to_le_bytes());
            out.extend(20u16.to_le_bytes());
            out.extend(m.flags.to_le_bytes());
            out.extend(m.method.to_le_bytes());
            out.extend([0u8; 4]);
            out.extend(m.crc.to_le_bytes());
            out.extend((m.data.len() as u32).to_le_bytes());
            out.extend(m.size.to_le_bytes());
            out.extend((m.name.len() as u16).to_le_bytes());
            out.extend([0u8; 12]);
            out.extend(off.to_le_bytes());
            out.extend(m.name);
        }
        let cd_size = out.len() as u32 - cd_start;
        out.extend(b"PK\x05\x06");
        out.extend([0u8; 4]);
        out.extend((members.len() as u16).to_le_bytes());
        out.extend((members.len() as u16).to_le_bytes());
        out.extend(cd_size.to_le_bytes());
        out.extend(cd_start.to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out
    }

    fn listed(name: &str, bytes: &[u8], cut: &Cut) -> (PathBuf, Listing) {
        let path = scratch(name);
        fs::write(&path, bytes).unwrap();
        let mut l = Listing::default();
        list(&path, cut, &mut l);
        (path, l)
    }

    fn key(account: &str, region: &str, when: &str) -> String {
        let (y, m, d) = (&when[..4], &when[4..6], &when[6..8]);
        format!(
            "AWSLogs/{account}/CloudTrail/{region}/{y}/{m}/{d}/{account}_CloudTrail_{region}_{when}_abcDEF0123456789.json.gz"
        )
    }

    #[test]
    fn hostile_names_are_refused_and_shown_safely() {
        for (name, why) in [
            ("", "empty"),
            ("../../etc/cron.d/x.json", "`..`"),
            ("logs/../../x.json", "`..`"),
            ("/etc/passwd.json", "absolute"),
            ("C:/Windows/x.json", "absolute"),
            ("logs\\x.json", "backslash"),
            ("a\0b.json", "control"),
            ("\x1b]0;owned\x07.json", "control"),
            ("evil\u{202e}nosj.gz", "control"),
        ] {
            assert!(name_fault(name).is_some_and(|w| w.contains(why)), "{name:?}: {:?}", name_fault(name));
        }
        for ok in ["AWSLogs/1/x.json.gz", "a..b/c.json", "./x.json", "déjà vu/ü.json", "..x/y.json"] {
            assert_eq!(name_fault(ok), None, "{ok}");
        }
        assert_eq!(shown_name("a\x1b[2Jb\u{202e}"), "a\\u001b[2Jb\\u202e");
        let long = shown_name(&"x".repeat(5000));
        assert_eq!((long.chars().count(), long.ends_with('…')), (SHOWN_NAME + 1, true));
    }

    #[test]
    fn content_limits() {
        let (st, de) = (CompressionMethod::Stored, CompressionMethod::Deflated);
        assert_eq!(content_fault(false, de, 50 << 20, 2 << 20), None, "25:1, ordinary");
        assert_eq!(content_fault(false, de, 10 << 20, 1), None, "under the bomb floor");
        assert_eq!(content_fault(false, st, MAX_MEMBER, MAX_MEMBER), None);
        let bomb = content_fault(false, de, 300 << 20, 300 << 10).unwrap();
        assert_eq!(bomb.kind, Kind::TooLarge);
        assert!(bomb.message.contains("zip bomb") && bomb.message.contains("300.0 MiB"), "{}", bomb.message);
        let big = content_fault(false, st, MAX_MEMBER + 1, MAX_MEMBER + 1).unwrap();
        assert!(big.kind == Kind::TooLarge && big.message.contains("unpack"), "{}", big.message);
        let enc = content_fault(true, de, 10, 10).unwrap();
        assert!(enc.kind == Kind::Unreadable && enc.message.contains("encrypted"), "{}", enc.message);
        let bz = content_fault(false, CompressionMethod::BZIP2, 10, 10).unwrap();
        assert_eq!(bz.message, "member compressed with bzip2, which trailscope does not read: unpack the archive");
        #[allow(deprecated)] // how the crate names a method it does not know
        let odd = content_fault(false, CompressionMethod::Unsupported(77), 10, 10).unwrap();
        assert!(odd.message.contains("method 77"), "{}", odd.message);
        assert_eq!(
            (human(1023), human(1536), human(3 << 30)),
            ("1023 bytes".into(), "1.5 KiB".into(), "3.0 GiB".into())
        );
    }

    #[test]
    fn members_are_items_digests_or_skipped() {
        let log = key("111122223333", "us-east-1", "20240301T1005Z");
        let digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240301T110512Z.json.gz";
        let bytes = zip_of(&[
            (log.as_str(), b"{\"Records\":[]}", true),
            (digest, b"{}", false),
            ("notes/README.md", b"hi", true),
            ("__MACOSX/AWSLogs/._x.json.gz", b"\0\x05\x16\x07", false),
            ("export/events.jsonl", b"{}\n", true),
            ("AWSLogs/", b"", false),
        ]);
        let (path, l) = listed("kinds.zip", &bytes, &Cut::default());
        assert!(l.problems.is_empty(), "{:?}", l.problems);
        let names: Vec<&str> = l.items.iter().map(|i| i.name.as_str()).collect();
        let shown = path.to_string_lossy();
        assert_eq!(names, [format!("{shown}!{log}"), format!("{shown}!export/events.jsonl")]);
        assert_eq!(l.items[0].locator, Locator::Member { archive: path.clone(), index: 0 });
        assert_eq!((l.items[0].size, l.items[0].origin.as_ref()), (Some(14), None));
        assert_eq!(l.digests.len(), 1);
        assert_eq!(l.digests[0].name, format!("{shown}!{digest}"));
        assert_eq!(l.skipped, 2, "the readme and the resource fork");
        assert_eq!(open(&path, 0).unwrap(), b"{\"Records\":[]}");
        assert_eq!(open(&path, 4).unwrap(), b"{}\n");
        assert!(open(&path, 2).is_err(), "not a log");
        assert!(open(&path, 99).is_err());
    }

    #[test]
    fn members_outside_the_cut_are_left_out() {
        let keys = [
            key("111122223333", "us-east-1", "20240301T1005Z"),
            key("111122223333", "us-east-1", "20240301T1405Z"),
            key("111122223333", "eu-west-1", "20240301T1405Z"),
            key("444455556666", "us-east-1", "20240301T1405Z"),
            key("111122223333", "us-east-1", "20240303T1405Z"),
        ];
        let mut members: Vec<(&str, &[u8], bool)> = keys.iter().map(|k| (k.as_str(), &b"{}"[..], true)).collect();
        members.push(("loose/file.json", b"{}", true));
        let cut = Cut {
            accounts: vec![Glob::new("1111*")],
            regions: vec![Glob::new("us-*")],
            since: parse_event_time("2024-03-01T12:00:00Z"),
            until: parse_event_time("2024-03-02T00:00:00Z"),
            late: None,
        };
        let (path, l) = listed("cut.zip", &zip_of(&members), &cut);
        let indexes: Vec<usize> = l
            .items
            .iter()
            .map(|i| match i.locator {
                Locator::Member { index, .. } => index,
                _ => usize::MAX,
            })
            .collect();
        assert_eq!(indexes, [1, 5], "the one in the cut, and the file outside the layout");
        assert!(l.problems.is_empty() && l.skipped == 0, "{l:?}");
        let (_, all) = listed("cut.zip", &fs::read(&path).unwrap(), &Cut::default());
        assert_eq!(all.items.len(), 6);
        // Outside the cut, a member is not even looked at: no word of its
        // encryption.
        let encrypted = Raw { flags: 1, ..stored(&keys[2], b"{}") };
        let (_, l) = listed("cut-enc.zip", &raw_zip(&[encrypted], false), &cut);
        assert!(l.items.is_empty() && l.problems.is_empty(), "{l:?}");
        let (_, l) = listed("cut-enc.zip", &raw_zip(&[Raw { flags: 1, ..stored(&keys[1], b"{}") }], false), &cut);
        assert!(l.problems[0].message.contains("encrypted"), "{l:?}");
    }

    #[test]
    fn hostile_members_become_problems_and_the_rest_is_listed() {
        let bomb = deflate(&vec![0u8; 20 << 20]);
        let bytes = raw_zip(
            &[
                stored("good.json", b"{}"),
                stored("../../escape.json", b"{}"),
                stored("/abs.json", b"{}"),
                stored("tty\x1b[2J.json", b"{}"),
                Raw { name: b"enc.json", method: 8, flags: 1, data: b"xxxx", crc: 0, size: 4 },
                Raw { name: b"bz.json", method: 12, flags: 0, data: b"BZh9", crc: 0, size: 4 },
                Raw { name: b"bomb.json", method: 8, flags: 0, data: &bomb, crc: 0, size: 20 << 20 },
                stored("inner/other.zip", b"PK"),
            ],
            false,
        );
        let (path, l) = listed("hostile.zip", &bytes, &Cut::default());
        let shown = path.to_string_lossy();
        assert_eq!(l.items.len(), 1, "{l:?}");
        assert_eq!(l.items[0].name, format!("{shown}!good.json"));
        let got: Vec<(String, Kind)> =
            l.problems.iter().map(|p| (p.path.trim_start_matches(shown.as_ref()).to_string(), p.kind)).collect();
        let want = [
            ("!../../escape.json", Kind::Unreadable),
            ("!/abs.json", Kind::Unreadable),
            ("!tty\\u001b[2J.json", Kind::Unreadable),
            ("!enc.json", Kind::Unreadable),
            ("!bz.json", Kind::Unreadable),
            ("!bomb.json", Kind::TooLarge),
            ("!inner/other.zip", Kind::Unreadable),
        ];
        assert_eq!(got, want.map(|(p, k)| (p.to_string(), k)));
        assert!(l.problems.iter().all(|p| !p.path.chars().chain(p.message.chars()).any(is_unsafe_char)));
        assert!(l.problems[5].message.contains("zip bomb"), "{}", l.problems[5].message);
        assert!(l.problems[6].message.contains("unpack"), "{}", l.problems[6].message);
        // Opening a refused member by its index is refused too.
        assert!(open(&path, 6).unwrap_err().to_string().contains("zip bomb"));
        assert!(open(&path, 1).unwrap_err().to_string().contains("refused"));
    }

    #[test]
    fn a_lying_size_is_caught_while_inflating() {
        // Declares 100 bytes, inflates to 10 MB.
        let data = deflate(&vec![b'a'; 10 << 20]);
        let bytes = raw_zip(&[Raw { name: b"liar.json", method: 8, flags: 0, data: &data, crc: 0, size: 100 }], false);
        let (path, l) = listed("liar.zip", &bytes, &Cut::default());
        assert_eq!((l.items.len(), l.problems.len()), (1, 0));
        let e = open(&path, 0).unwrap_err();
        assert!(e.to_string().contains("more than the size the archive declares"), "{e}");
        // A damaged member: the checksum does not match.
        let bytes = raw_zip(&[Raw { crc: 1, ..stored("bad.json", b"{}") }], false);
        let (path, _) = listed("badcrc.zip", &bytes, &Cut::default());
        assert!(open(&path, 0).is_err());
    }

    #[test]
    fn overlapping_members_are_a_bomb() {
        // 42.zip's trick: 2,000 members of 10 MiB share one small deflate stream.
        let data = deflate(&vec![0u8; 10 << 20]);
        let names: Vec<String> = (0..2000).map(|i| format!("f{i}.json")).collect();
        let members: Vec<Raw<'_>> = names
            .iter()
            .map(|n| Raw { name: n.as_bytes(), method: 8, flags: 0, data: &data, crc: 0, size: 10 << 20 })
            .collect();
        let (_, l) = listed("overlap.zip", &raw_zip(&members, true), &Cut::default());
        assert!(l.items.is_empty());
        assert_eq!(l.problems.len(), 1);
        assert_eq!(l.problems[0].kind, Kind::TooLarge);
        assert!(l.problems[0].message.contains("zip bomb"), "{}", l.problems[0].message);
    }

    #[test]
    fn problems_are_capped_per_archive() {
        let names: Vec<String> = (0..150).map(|i| format!("../x{i}.json")).collect();
        let members: Vec<Raw<'_>> = names.iter().map(|n| stored(n, b"{}")).collect();
        let (path, l) = listed("many-bad.zip", &raw_zip(&members, false), &Cut::default());
        assert_eq!(l.problems.len(), MAX_PROBLEMS + 1);
        assert_eq!(l.problems[MAX_PROBLEMS].path, path.to_string_lossy());
        assert!(l.problems[MAX_PROBLEMS].message.starts_with("50 more members refused"));
    }

    #[test]
    fn the_total_is_capped() {
        let bytes = zip_of(&[("a.json", &[b' '; 600][..], false), ("b.json", &[b' '; 600][..], false)]);
        let path = scratch("total.zip");
        fs::write(&path, bytes).unwrap();
        let mut l = Listing::default();
        list_within(&path, &Cut::default(), &mut l, 1000);
        assert_eq!(l.items.len(), 1);
        assert_eq!(l.problems.len(), 1);
        assert!(l.problems[0].message.contains("1 of its members left out"), "{}", l.problems[0].message);
    }

    /// A valid zip whose end record claims `count` members through a zip64
    /// end record (as a forger would write it).
    fn forged_zip64(count: u64) -> Vec<u8> {
        let mut z = raw_zip(&[stored("a.json", b"{}")], false);
        let eocd = z.len() - 22;
        let cd_size = u32::from_le_bytes(z[eocd + 12..eocd + 16].try_into().unwrap()) as u64;
        let cd_start = eocd as u64 - cd_size;
        z.truncate(eocd);
        let eocd64_at = z.len() as u64;
        z.extend(EOCD64);
        z.extend(44u64.to_le_bytes());
        z.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend(count.to_le_bytes());
        z.extend(count.to_le_bytes());
        z.extend(cd_size.to_le_bytes());
        z.extend(cd_start.to_le_bytes());
        z.extend(EOCD64_LOCATOR);
        z.extend(0u32.to_le_bytes());
        z.extend(eocd64_at.to_le_bytes());
        z.extend(1u32.to_le_bytes());
        z.extend(EOCD);
        z.extend([0xff; 16]);
        z.extend(0u16.to_le_bytes());
        z
    }

    #[test]
    fn a_forged_member_count_is_refused_quickly() {
        for count in [MAX_MEMBERS + 1, 1 << 40, u64::MAX] {
            let started = Instant::now();
            let (_, l) = listed("forged64.zip", &forged_zip64(count), &Cut::default());
            assert!(started.elapsed() < Duration::from_secs(1));
            assert_eq!(l.problems.len(), 1, "{count}");
            assert_eq!(l.problems[0].kind, Kind::TooLarge);
            assert!(l.problems[0].message.contains(&format!("claims {count} members")), "{}", l.problems[0].message);
        }
        // The zip reader alone, shown the same lie, fails fast without
        // allocating for it (it bounds the count by the file's size).
        let started = Instant::now();
        assert!(ZipArchive::new(Cursor::new(forged_zip64(1 << 40))).is_err());
        assert!(started.elapsed() < Duration::from_secs(1));
        // A zip32 record can claim at most 65,535: the reader finds the
        // directory shorter and refuses the archive as damaged.
        let mut z = raw_zip(&[stored("a.json", b"{}")], false);
        let eocd = z.len() - 22;
        z[eocd + 8..eocd + 12].copy_from_slice(&[0xff, 0xff, 0xff, 0xff]);
        let started = Instant::now();
        let (_, l) = listed("forged32.zip", &z, &Cut::default());
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(l.problems.len(), 1);
        assert!(l.problems[0].message.contains("damaged"), "{}", l.problems[0].message);
    }

    #[test]
    fn damaged_archives_and_non_zips() {
        let good = zip_of(&[("a.json", b"{}", true), ("b.json", b"{}", true)]);
        for (name, bytes, says) in [
            ("truncated.zip", good[..good.len() / 2].to_vec(), "damaged"),
            ("text.zip", b"just some text".to_vec(), "not a zip archive"),
            ("empty.zip", Vec::new(), "not a zip archive"),
        ] {
            let (_, l) = listed(name, &bytes, &Cut::default());
            assert!(l.items.is_empty(), "{name}");
            assert_eq!(l.problems.len(), 1, "{name}");
            assert!(l.problems[0].message.contains(says), "{name}: {}", l.problems[0].message);
        }
        let mut l = Listing::default();
        list(&scratch("missing.zip"), &Cut::default(), &mut l);
        assert_eq!(l.problems[0].message, "no such file or folder");
        // An empty archive is no problem.
        let (_, l) = listed("nothing.zip", &zip_of(&[]), &Cut::default());
        assert!(l.problems.is_empty() && l.items.is_empty());
    }

    #[test]
    fn duplicate_names_are_a_problem() {
        let bytes = raw_zip(&[stored("a.json", b"[1]"), stored("a.json", b"[2]")], false);
        let (path, l) = listed("dup.zip", &bytes, &Cut::default());
        assert_eq!(l.items.len(), 1);
        assert_eq!(open(&path, 0).unwrap(), b"[2]", "the last of the name");
        assert_eq!(l.problems.len(), 1);
        assert!(l.problems[0].message.contains("same name"), "{}", l.problems[0].message);
    }

    #[test]
    fn a_changed_archive_is_read_again() {
        let path = scratch("changing.zip");
        fs::write(&path, zip_of(&[("a.json", b"first", true)])).unwrap();
        assert_eq!(open(&path, 0).unwrap(), b"first");
        fs::write(&path, zip_of(&[("a.json", b"second, longer", true)])).unwrap();
        assert_eq!(open(&path, 0).unwrap(), b"second, longer");
    }

    #[test]
    fn threads_read_one_archive_at_once() {
        let names: Vec<String> = (0..64).map(|i| format!("f{i}.json")).collect();
        let datas: Vec<Vec<u8>> = (0..64).map(|i| format!("{{\"n\":{i}}}").repeat(1000).into_bytes()).collect();
        let members: Vec<(&str, &[u8], bool)> =
            names.iter().zip(&datas).map(|(n, d)| (n.as_str(), d.as_slice(), true)).collect();
        let path = scratch("threads.zip");
        fs::write(&path, zip_of(&members)).unwrap();
        std::thread::scope(|s| {
            for t in 0..8 {
                let (path, datas) = (&path, &datas);
                s.spawn(move || {
                    for i in (0..64).map(|i| (i + t * 8) % 64) {
                        assert_eq!(&open(path, i).unwrap(), &datas[i]);
                    }
                });
            }
        });
    }

    #[test]
    fn the_shared_reader_reads_and_seeks() {
        let path = scratch("shared.bin");
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &data).unwrap();
        let mut r = Shared::new(File::open(&path).unwrap(), data.len() as u64);
        let mut got = Vec::new();
        r.clone().read_to_end(&mut got).unwrap();
        assert_eq!(got, data);
        let mut four = [0u8; 4];
        r.seek(SeekFrom::End(-4)).unwrap();
        r.read_exact(&mut four).unwrap();
        assert_eq!(four, data[data.len() - 4..]);
        r.seek(SeekFrom::Start(70_000)).unwrap();
        r.seek(SeekFrom::Current(-3)).unwrap();
        r.read_exact(&mut four).unwrap();
        assert_eq!(four, data[69_997..70_001]);
        assert!(r.seek(SeekFrom::Current(-1_000_000)).is_err());
        assert_eq!(r.read(&mut four).unwrap(), 4, "a failed seek leaves the place");
    }
}
