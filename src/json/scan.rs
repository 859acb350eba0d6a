//! Single-pass JSON validator that writes a canonical form of what it reads.
//!
//! The canonical form is the same JSON value, minified, with every escape that
//! is not needed decoded (`\u00e9` becomes `é`, `\/` becomes `/`). It keeps the
//! original number tokens and key order, so it is semantically identical to the
//! input and a search for a plain string can run on it without parsing.
//! Escapes that stay: `\"`, `\\`, `\b \f \n \r \t`, other control characters as
//! `\u00XX`, and lone surrogates as `\udXXX`.
//!
//! The scanner is iterative (nesting costs one byte of stack per level) and
//! never panics: any input is either a value or a positioned error.

/// Why a value could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// The input ended inside the value: more bytes may complete it.
    Eof,
    /// The bytes are not JSON at `pos` (an absolute offset into the input).
    Syntax { pos: usize, msg: &'static str },
}

pub type ScanResult<T> = Result<T, ScanError>;

fn syntax<T>(pos: usize, msg: &'static str) -> ScanResult<T> {
    Err(ScanError::Syntax { pos, msg })
}

/// Bytes that end a fast run inside a string: the quote, the backslash and controls.
static STRING_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

#[inline]
pub fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Position of the first non-whitespace byte at or after `pos`.
#[inline]
pub fn skip_ws(input: &[u8], mut pos: usize) -> usize {
    while pos < input.len() && is_ws(input[pos]) {
        pos += 1;
    }
    pos
}

/// Reads the string whose opening quote is at `pos - 1`; appends its canonical
/// form (quotes included) to `out`. Returns the position after the closing quote.
pub fn canon_string(input: &[u8], mut pos: usize, out: &mut Vec<u8>) -> ScanResult<usize> {
    out.push(b'"');
    loop {
        let start = pos;
        while pos < input.len() && !STRING_SPECIAL[input[pos] as usize] {
            pos += 1;
        }
        out.extend_from_slice(&input[start..pos]);
        let Some(&b) = input.get(pos) else {
            return Err(ScanError::Eof);
        };
        match b {
            b'"' => {
                out.push(b'"');
                return Ok(pos + 1);
            }
            b'\\' => pos = canon_escape(input, pos, out)?,
            _ => return syntax(pos, "control character inside a string"),
        }
    }
}

fn hex4(input: &[u8], pos: usize) -> ScanResult<u32> {
    if input.len() < pos + 4 {
        return Err(ScanError::Eof);
    }
    let mut v = 0u32;
    for (i, &b) in input[pos..pos + 4].iter().enumerate() {
        let d = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return syntax(pos + i, "invalid \\u escape"),
        };
        v = v * 16 + d as u32;
    }
    Ok(v)
}

fn push_u_escape(out: &mut Vec<u8>, v: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u");
    for shift in [12, 8, 4, 0] {
        out.push(HEX[((v >> shift) & 0xf) as usize]);
    }
}

/// Handles the escape whose backslash is at `pos`; returns the position after it.
fn canon_escape(input: &[u8], pos: usize, out: &mut Vec<u8>) -> ScanResult<usize> {
    let Some(&e) = input.get(pos + 1) else {
        return Err(ScanError::Eof);
    };
    match e {
        b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => {
            out.extend_from_slice(&[b'\\', e]);
            Ok(pos + 2)
        }
        b'/' => {
            out.push(b'/');
            Ok(pos + 2)
        }
        b'u' => {
            let v = hex4(input, pos + 2)?;
            let next = pos + 6;
            match v {
                0x22 => out.extend_from_slice(b"\\\""),
                0x5c => out.extend_from_slice(b"\\\\"),
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                0x0a => out.extend_from_slice(b"\\n"),
                0x0d => out.extend_from_slice(b"\\r"),
                0x09 => out.extend_from_slice(b"\\t"),
                0..=0x1f => push_u_escape(out, v),
                0xd800..=0xdbff => {
                    // A high surrogate: decode the pair when a low one follows.
                    if input.len() < next + 2 {
                        return Err(ScanError::Eof);
                    }
                    if input[next] == b'\\' && input[next + 1] == b'u' {
                        let lo = hex4(input, next + 2)?;
                        if (0xdc00..=0xdfff).contains(&lo) {
                            let c = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
                            push_char(out, c);
                            return Ok(next + 6);
                        }
                    }
                    push_u_escape(out, v);
                }
                0xdc00..=0xdfff => push_u_escape(out, v),
                _ => push_char(out, v),
            }
            Ok(next)
        }
        _ => syntax(pos + 1, "invalid escape in a string"),
    }
}

fn push_char(out: &mut Vec<u8>, c: u32) {
    let ch = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
    let mut buf = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
}

fn canon_number(input: &[u8], start: usize, out: &mut Vec<u8>) -> ScanResult<usize> {
    let mut pos = start;
    let at = |p: usize| input.get(p).copied();
    if at(pos) == Some(b'-') {
        pos += 1;
    }
    match at(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            while matches!(at(pos), Some(b'0'..=b'9')) {
                pos += 1;
            }
        }
        None => return Err(ScanError::Eof),
        _ => return syntax(pos, "invalid number"),
    }
    if at(pos) == Some(b'.') {
        pos += 1;
        let digits = pos;
        while matches!(at(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
        if pos == digits {
            return if pos == input.len() { Err(ScanError::Eof) } else { syntax(pos, "invalid number") };
        }
    }
    if matches!(at(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(at(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        let digits = pos;
        while matches!(at(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
        if pos == digits {
            return if pos == input.len() { Err(ScanError::Eof) } else { syntax(pos, "invalid number") };
        }
    }
    // A number that touches the end of the input may continue in the next read.
    if pos == input.len() {
        return Err(ScanError::Eof);
    }
    out.extend_from_slice(&input[start..pos]);
    Ok(pos)
}

fn canon_literal(input: &[u8], pos: usize, word: &'static [u8], out: &mut Vec<u8>) -> ScanResult<usize> {
    let avail = &input[pos..input.len().min(pos + word.len())];
    if !word.starts_with(avail) {
        let bad = avail.iter().zip(word).position(|(a, b)| a != b).unwrap_or(0);
        return syntax(pos + bad, "invalid literal");
    }
    if avail.len() < word.len() {
        return Err(ScanError::Eof);
    }
    out.extend_from_slice(word);
    Ok(pos + word.len())
}

/// Reads one scalar or the opening of a container at `pos` (not whitespace).
/// Returns the position after what was read and, for a container, its opener.
#[inline]
fn canon_token(input: &[u8], pos: usize, out: &mut Vec<u8>) -> ScanResult<(usize, Option<u8>)> {
    let Some(&b) = input.get(pos) else {
        return Err(ScanError::Eof);
    };
    let end = match b {
        b'"' => canon_string(input, pos + 1, out)?,
        b'{' | b'[' => {
            out.push(b);
            return Ok((pos + 1, Some(b)));
        }
        b't' => canon_literal(input, pos, b"true", out)?,
        b'f' => canon_literal(input, pos, b"false", out)?,
        b'n' => canon_literal(input, pos, b"null", out)?,
        b'-' | b'0'..=b'9' => canon_number(input, pos, out)?,
        _ => return syntax(pos, "expected a JSON value"),
    };
    Ok((end, None))
}

/// Reads the JSON value starting at `pos` (after any whitespace), appending its
/// canonical form to `out`. Returns the position after the value. On error
/// `out` may hold a partial value: the caller truncates it.
pub fn canon_value(input: &[u8], pos: usize, out: &mut Vec<u8>) -> ScanResult<usize> {
    let mut pos = skip_ws(input, pos);
    let (next, open) = canon_token(input, pos, out)?;
    pos = next;
    let Some(open) = open else { return Ok(pos) };
    // Each open container: its closer. `fresh` is true right after an opener.
    let mut stack: Vec<u8> = vec![if open == b'{' { b'}' } else { b']' }];
    let mut fresh = true;
    loop {
        pos = skip_ws(input, pos);
        let Some(&b) = input.get(pos) else {
            return Err(ScanError::Eof);
        };
        let closer = *stack.last().expect("stack is never empty inside the loop");
        if b == closer {
            out.push(b);
            pos += 1;
            stack.pop();
            if stack.is_empty() {
                return Ok(pos);
            }
            fresh = false;
            continue;
        }
        if !fresh {
            if b != b',' {
                return syntax(pos, if closer == b'}' { "expected ',' or '}'" } else { "expected ',' or ']'" });
            }
            out.push(b',');
            pos = skip_ws(input, pos + 1);
        }
        if closer == b'}' {
            match input.get(pos) {
                Some(b'"') => pos = canon_string(input, pos + 1, out)?,
                Some(_) => return syntax(pos, "expected a string key"),
                None => return Err(ScanError::Eof),
            }
            pos = skip_ws(input, pos);
            match input.get(pos) {
                Some(b':') => out.push(b':'),
                Some(_) => return syntax(pos, "expected ':' after a key"),
                None => return Err(ScanError::Eof),
            }
            pos = skip_ws(input, pos + 1);
        } else if input.get(pos) == Some(&b']') {
            return syntax(pos, "trailing comma before ']'");
        }
        let (next, open) = canon_token(input, pos, out)?;
        pos = next;
        fresh = match open {
            Some(b'{') => {
                stack.push(b'}');
                true
            }
            Some(_) => {
                stack.push(b']');
                true
            }
            None => false,
        };
    }
}

/// Where one top-level member of a record sits in the canonical output,
/// relative to the record's first byte: the raw key (quotes included) and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberSpan {
    pub key: (u32, u32),
    pub value: (u32, u32),
}

/// Reads one record (any JSON value) at `pos`, appending its canonical form to
/// `out`. When it is an object, the spans of its top-level members are pushed to
/// `spans` (cleared first), so fields can be picked without a second pass.
/// Returns the position after the value and whether it was an object.
pub fn canon_record(
    input: &[u8],
    pos: usize,
    out: &mut Vec<u8>,
    spans: &mut Vec<MemberSpan>,
) -> ScanResult<(usize, bool)> {
    spans.clear();
    let mut pos = skip_ws(input, pos);
    match input.get(pos) {
        None => return Err(ScanError::Eof),
        Some(b'{') => {}
        Some(_) => return canon_value(input, pos, out).map(|end| (end, false)),
    }
    let base = out.len();
    let rel = |out: &Vec<u8>| (out.len() - base) as u32;
    out.push(b'{');
    pos = skip_ws(input, pos + 1);
    if input.get(pos) == Some(&b'}') {
        out.push(b'}');
        return Ok((pos + 1, true));
    }
    loop {
        let k0 = rel(out);
        match input.get(pos) {
            Some(b'"') => pos = canon_string(input, pos + 1, out)?,
            Some(_) => return syntax(pos, "expected a string key"),
            None => return Err(ScanError::Eof),
        }
        let k1 = rel(out);
        pos = skip_ws(input, pos);
        match input.get(pos) {
            Some(b':') => out.push(b':'),
            Some(_) => return syntax(pos, "expected ':' after a key"),
            None => return Err(ScanError::Eof),
        }
        let v0 = rel(out);
        pos = canon_value(input, pos + 1, out)?;
        spans.push(MemberSpan { key: (k0, k1), value: (v0, rel(out)) });
        pos = skip_ws(input, pos);
        match input.get(pos) {
            Some(b',') => {
                out.push(b',');
                pos = skip_ws(input, pos + 1);
            }
            Some(b'}') => {
                out.push(b'}');
                return Ok((pos + 1, true));
            }
            Some(_) => return syntax(pos, "expected ',' or '}'"),
            None => return Err(ScanError::Eof),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> ScanResult<String> {
        let mut out = Vec::new();
        // A trailing space marks the end, so numbers at the end are complete.
        let input = format!("{s} ");
        let end = canon_value(input.as_bytes(), 0, &mut out)?;
        assert!(end <= input.len());
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn minifies_and_keeps_tokens() {
        assert_eq!(
            canon(" { \"a\" : [ 1 , 2.50, -0e+3 ] ,\n\"b\":null }").unwrap(),
            r#"{"a":[1,2.50,-0e+3],"b":null}"#
        );
        assert_eq!(canon("[]").unwrap(), "[]");
        assert_eq!(canon("{}").unwrap(), "{}");
        assert_eq!(canon("[[],{}]").unwrap(), "[[],{}]");
    }

    #[test]
    fn decodes_needless_escapes_only() {
        assert_eq!(canon(r#""\u00e9\/x\"\\\n\u001B\u0041""#).unwrap(), "\"é/x\\\"\\\\\\n\\u001bA\"");
        assert_eq!(canon(r#""\ud83d\ude80""#).unwrap(), "\"🚀\"");
        assert_eq!(canon(r#""\ud83dx""#).unwrap(), r#""\ud83dx""#);
        assert_eq!(canon(r#""\u0022\u005c""#).unwrap(), r#""\"\\""#);
    }

    #[test]
    fn reports_errors_with_positions() {
        assert_eq!(canon("[1,]"), Err(ScanError::Syntax { pos: 3, msg: "trailing comma before ']'" }));
        assert!(matches!(canon("{\"a\" 1}"), Err(ScanError::Syntax { pos: 5, .. })));
        assert!(matches!(canon("nul!"), Err(ScanError::Syntax { pos: 3, .. })));
        assert!(matches!(canon("[01]"), Err(ScanError::Syntax { pos: 2, .. })));
        assert!(matches!(canon("\"a\u{1}\""), Err(ScanError::Syntax { pos: 2, .. })));
        assert!(matches!(canon("{\"a\":1 \"b\":2}"), Err(ScanError::Syntax { pos: 7, .. })));
    }

    #[test]
    fn incomplete_input_is_eof() {
        for s in ["{", "{\"a\"", "{\"a\":", "[1", "\"abc", "tru", "\"\\u00", "12"] {
            let mut out = Vec::new();
            assert_eq!(canon_value(s.as_bytes(), 0, &mut out), Err(ScanError::Eof), "{s}");
        }
    }

    #[test]
    fn record_spans_point_into_output() {
        let input = br#" { "a" : 1 , "bb":{"x":[2]} } "#;
        let mut out = b"prefix".to_vec();
        let mut spans = Vec::new();
        let (end, obj) = canon_record(input, 0, &mut out, &mut spans).unwrap();
        assert!(obj);
        assert_eq!(end, input.len() - 1);
        let rec = &out[6..];
        assert_eq!(rec, br#"{"a":1,"bb":{"x":[2]}}"#);
        let s = spans[1];
        assert_eq!(&rec[s.key.0 as usize..s.key.1 as usize], b"\"bb\"");
        assert_eq!(&rec[s.value.0 as usize..s.value.1 as usize], br#"{"x":[2]}"#);
        let (_, obj) = canon_record(b"[1] ", 0, &mut Vec::new(), &mut spans).unwrap();
        assert!(!obj);
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let s = "[".repeat(100_000) + &"]".repeat(100_000);
        assert_eq!(canon(&s).unwrap().len(), 200_000);
    }
}
