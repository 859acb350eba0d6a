//! The content a hash covers: a stored file inflated as exactly one gzip
//! member. Bytes after the end of that member are refused, as aws-cli has
//! done since 2026: a reader that goes on to further members would load
//! records the digest never vouched for.

use ring::digest::{Context, SHA256};
use std::io::Read;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The largest digest file read (they hold a few KB to a few MB).
const MAX_DIGEST: usize = 256 << 20;

/// Hands the content of `stored` to `each` in pieces. Data that is not gzip
/// is its own content (a copy someone decompressed still has the listed
/// hash when it is intact).
fn content(stored: &[u8], mut each: impl FnMut(&[u8]) -> Result<(), String>) -> Result<(), String> {
    if !stored.starts_with(&GZIP_MAGIC) {
        return each(stored);
    }
    // `bufread` over a slice consumes exactly what the member takes, so
    // what is left afterwards is what follows it.
    let mut member = flate2::bufread::GzDecoder::new(stored);
    let mut buf = vec![0u8; 256 << 10];
    loop {
        match member.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => each(&buf[..n])?,
            Err(e) => return Err(format!("not valid gzip data: {e}")),
        }
    }
    match member.get_ref().len() {
        0 => Ok(()),
        1 => Err("1 byte after the end of the compressed data, which no hash covers".into()),
        n => Err(format!("{n} bytes after the end of the compressed data, which no hash covers")),
    }
}

/// The hex SHA-256 of a stored file's content, or why it has none.
pub fn content_sha256(stored: &[u8]) -> Result<String, String> {
    let mut ctx = Context::new(&SHA256);
    content(stored, |piece| {
        ctx.update(piece);
        Ok(())
    })?;
    Ok(super::encoding::hex(ctx.finish().as_ref()))
}

/// A digest file's content, whole (it is parsed and hashed).
pub fn digest_content(stored: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    content(stored, |piece| {
        if out.len() + piece.len() > MAX_DIGEST {
            return Err(format!("inflates to more than {} MB: not a digest file", MAX_DIGEST >> 20));
        }
        out.extend_from_slice(piece);
        Ok(())
    })?;
    Ok(out)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    super::encoding::hex(ring::digest::digest(&SHA256, bytes).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn one_member_exactly() {
        let data = b"{\"Records\":[]}".repeat(1000);
        let want = sha256_hex(&data);
        assert_eq!(content_sha256(&gz(&data)).as_deref(), Ok(want.as_str()));
        assert_eq!(content_sha256(&data).as_deref(), Ok(want.as_str()), "stored plain");
        let mut two = gz(&data);
        two.extend(gz(b"{\"Records\":[{}]}"));
        let e = content_sha256(&two).unwrap_err();
        assert!(e.contains("bytes after the end"), "{e}");
        let mut junk = gz(&data);
        junk.push(b'\n');
        assert_eq!(
            content_sha256(&junk).unwrap_err(),
            "1 byte after the end of the compressed data, which no hash covers"
        );
        let cut = gz(&data);
        assert!(content_sha256(&cut[..cut.len() - 4]).unwrap_err().starts_with("not valid gzip"));
        assert_eq!(digest_content(&gz(b"{}")).as_deref(), Ok(&b"{}"[..]));
    }
}
