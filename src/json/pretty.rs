//! Pretty-printing canonical JSON (two-space indent), keeping every token as
//! it is: numbers are not reformatted, keys keep their order.

use super::canon::skip_string;

pub fn pretty(c: &[u8]) -> String {
    let mut out = Vec::with_capacity(c.len() + c.len() / 4);
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.resize(out.len() + depth * 2, b' ');
    };
    while i < c.len() {
        match c[i] {
            b'"' => {
                let end = skip_string(c, i);
                out.extend_from_slice(&c[i..end]);
                i = end;
                continue;
            }
            open @ (b'{' | b'[') => {
                out.push(open);
                if matches!(c.get(i + 1), Some(b'}' | b']')) {
                    out.push(c[i + 1]);
                    i += 2;
                    continue;
                }
                depth += 1;
                newline(&mut out, depth);
            }
            close @ (b'}' | b']') => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(close);
            }
            b',' => {
                out.push(b',');
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_and_keeps_tokens() {
        let c = br#"{"a":[1,2.50,{}],"b":{"c":"x,{\"y\":[]}"},"d":[]}"#;
        let p = pretty(c);
        assert_eq!(
            p,
            "{\n  \"a\": [\n    1,\n    2.50,\n    {}\n  ],\n  \"b\": {\n    \"c\": \"x,{\\\"y\\\":[]}\"\n  },\n  \"d\": []\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&p).unwrap();
        assert_eq!(back, serde_json::from_slice::<serde_json::Value>(c).unwrap());
        assert_eq!(pretty(b"\"s\""), "\"s\"");
    }
}
