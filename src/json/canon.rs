//! Reading canonical JSON text (as written by [`super::scan`]): it is known to be
//! valid and minified, so walking it needs no error handling and no whitespace.

use std::borrow::Cow;

/// Position after the canonical value that starts at `pos`.
pub fn skip_value(c: &[u8], pos: usize) -> usize {
    match c.get(pos) {
        Some(b'"') => skip_string(c, pos),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut i = pos;
            while i < c.len() {
                match c[i] {
                    b'"' => {
                        i = skip_string(c, i);
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            c.len()
        }
        Some(_) => {
            let mut i = pos;
            while i < c.len() && !matches!(c[i], b',' | b'}' | b']' | b':') {
                i += 1;
            }
            i
        }
        None => pos,
    }
}

/// Position after the string whose opening quote is at `pos`.
pub fn skip_string(c: &[u8], pos: usize) -> usize {
    let mut i = pos + 1;
    while let Some(off) = c.get(i..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
        i += off;
        if c[i] == b'\\' {
            i += 2;
        } else {
            return i + 1;
        }
    }
    c.len()
}

/// The members of a canonical object, as (raw key with quotes, raw value).
/// Anything that is not an object has no members.
pub fn members(c: &[u8]) -> Members<'_> {
    let ok = c.first() == Some(&b'{');
    Members { c, pos: if ok { 1 } else { c.len() } }
}

pub struct Members<'a> {
    c: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a [u8], &'a [u8]);
    fn next(&mut self) -> Option<Self::Item> {
        let c = self.c;
        if self.pos >= c.len() || c[self.pos] != b'"' {
            return None;
        }
        let kend = skip_string(c, self.pos);
        let vstart = kend + 1;
        let vend = skip_value(c, vstart);
        let key = &c[self.pos..kend];
        self.pos = vend + 1; // past ',' or '}'
        Some((key, c.get(vstart..vend).unwrap_or_default()))
    }
}

/// The items of a canonical array.
pub fn items(c: &[u8]) -> Items<'_> {
    let ok = c.first() == Some(&b'[') && c.get(1) != Some(&b']');
    Items { c, pos: if ok { 1 } else { c.len() } }
}

pub struct Items<'a> {
    c: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Items<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.c.len() {
            return None;
        }
        let end = skip_value(self.c, self.pos);
        let item = &self.c[self.pos..end];
        self.pos = end + 1;
        Some(item)
    }
}

/// The value of `key` in a canonical object (keys compared as written, exactly).
pub fn get<'a>(obj: &'a [u8], key: &str) -> Option<&'a [u8]> {
    members(obj).find(|(k, _)| key_is(k, key)).map(|(_, v)| v)
}

/// Whether a raw key (with quotes) is `name`.
#[inline]
pub fn key_is(raw: &[u8], name: &str) -> bool {
    raw.len() == name.len() + 2 && &raw[1..raw.len() - 1] == name.as_bytes()
}

/// The text of a scalar: a string unescaped, anything else as written.
/// `null` has no text.
pub fn scalar_text(v: &[u8]) -> Option<Cow<'_, str>> {
    match v.first()? {
        b'"' => Some(unescape(v)),
        b'n' if v == b"null" => None,
        _ => Some(String::from_utf8_lossy(v)),
    }
}

/// The text of a canonical string token (quotes included).
pub fn unescape(raw: &[u8]) -> Cow<'_, str> {
    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or_default();
    if memchr::memchr(b'\\', inner).is_none() {
        // Stored records are valid UTF-8: the strict check is the fast one.
        return match std::str::from_utf8(inner) {
            Ok(s) => Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(inner),
        };
    }
    let mut s = String::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let Some(off) = memchr::memchr(b'\\', &inner[i..]) else {
            s.push_str(&String::from_utf8_lossy(&inner[i..]));
            break;
        };
        s.push_str(&String::from_utf8_lossy(&inner[i..i + off]));
        i += off;
        let e = inner.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        match e {
            b'n' => s.push('\n'),
            b'r' => s.push('\r'),
            b't' => s.push('\t'),
            b'b' => s.push('\u{8}'),
            b'f' => s.push('\u{c}'),
            b'u' => {
                let hex = inner.get(i..i + 4).and_then(|h| std::str::from_utf8(h).ok());
                let v = hex.and_then(|h| u32::from_str_radix(h, 16).ok()).unwrap_or(0xfffd);
                s.push(char::from_u32(v).unwrap_or(char::REPLACEMENT_CHARACTER));
                i += 4;
            }
            other => s.push(other as char),
        }
    }
    Cow::Owned(s)
}

/// Writes `s` as a JSON string body the way the canonical form spells it, so a
/// plain-text search can look for it in canonical text.
pub fn escape_like_canonical(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_members_and_items() {
        let c = br#"{"a":{"x":[1,"]"]},"b\"":"v","c":null,"d":[]}"#;
        let m: Vec<_> = members(c).collect();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0], (&b"\"a\""[..], &br#"{"x":[1,"]"]}"#[..]));
        assert_eq!(m[1].0, br#""b\"""#);
        assert_eq!(get(c, "c"), Some(&b"null"[..]));
        assert_eq!(items(br#"[1,{"a":2},"x"]"#).count(), 3);
        assert_eq!(items(b"[]").count(), 0);
        assert_eq!(members(b"{}").count(), 0);
        assert_eq!(members(b"[1]").count(), 0);
    }

    #[test]
    fn unescapes() {
        assert_eq!(unescape(br#""a\"b\\c\n\u001b""#), "a\"b\\c\n\u{1b}");
        assert_eq!(scalar_text(b"true").as_deref(), Some("true"));
        assert_eq!(scalar_text(b"null"), None);
        assert_eq!(escape_like_canonical("a\"\u{1b}"), "a\\\"\\u001b");
    }
}
