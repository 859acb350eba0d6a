//! Case-insensitive wildcard patterns: `*` matches any run of characters;
//! without `*` the whole value must match. `\*` is a literal star and `\\` a
//! literal backslash, so any value can be written as a pattern.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    /// The literal pieces between stars, lowercased.
    parts: Vec<String>,
    /// Whether the pattern had a star at all.
    star: bool,
    text: String,
}

impl Glob {
    /// A pattern as written (with `*` wildcards and `\` escapes).
    pub fn new(pattern: &str) -> Self {
        let mut parts = vec![String::new()];
        let mut star = false;
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if matches!(chars.peek(), Some('*' | '\\')) => {
                    parts.last_mut().expect("never empty").extend(chars.next());
                }
                '*' => {
                    star = true;
                    parts.push(String::new());
                }
                c => parts.last_mut().expect("never empty").push(c),
            }
        }
        let parts = parts.iter().map(|p| p.to_lowercase()).collect();
        Self { parts, star, text: pattern.to_string() }
    }

    /// A pattern that matches exactly `value` (case aside).
    pub fn literal(value: &str) -> Self {
        let mut written = String::with_capacity(value.len());
        for c in value.chars() {
            if matches!(c, '*' | '\\') {
                written.push('\\');
            }
            written.push(c);
        }
        Self::new(&written)
    }

    /// The pattern as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `*` alone: any non-empty value.
    pub fn is_any(&self) -> bool {
        self.star && self.parts.iter().all(|p| p.is_empty())
    }

    pub fn has_star(&self) -> bool {
        self.star
    }

    /// The literal pieces between stars, lowercased (one when there is no star).
    pub fn parts(&self) -> &[String] {
        &self.parts
    }

    /// The longest literal piece (lowercased), for prefilters.
    pub fn longest_literal(&self) -> &str {
        self.parts.iter().max_by_key(|p| p.len()).map_or("", |s| s.as_str())
    }

    pub fn matches(&self, value: &str) -> bool {
        super::meter::charge(value.len() + self.text.len());
        if self.is_any() {
            return !value.is_empty();
        }
        if value.is_ascii() { self.match_lower(value, true) } else { self.match_lower(&value.to_lowercase(), false) }
    }

    /// `value` is lowercase already, or ASCII (compared ignoring ASCII case).
    fn match_lower(&self, value: &str, ascii: bool) -> bool {
        let eq = |a: &str, b: &str| {
            if ascii { a.eq_ignore_ascii_case(b) } else { a == b }
        };
        if !self.star {
            return eq(value, &self.parts[0]);
        }
        let first = &self.parts[0];
        let last = &self.parts[self.parts.len() - 1];
        if value.len() < first.len() + last.len() {
            return false;
        }
        if !value.is_char_boundary(first.len()) || !eq(&value[..first.len()], first) {
            return false;
        }
        let tail_at = value.len() - last.len();
        if !value.is_char_boundary(tail_at) || !eq(&value[tail_at..], last) {
            return false;
        }
        let middle = &self.parts[1..self.parts.len() - 1];
        if middle.is_empty() {
            return true;
        }
        // The pieces in order, each found by memchr's linear-time search, so a
        // huge value costs time in proportion to its size whatever the pattern.
        let rest = &value[first.len()..tail_at];
        let lowered;
        let rest = if ascii {
            lowered = rest.to_ascii_lowercase();
            lowered.as_bytes()
        } else {
            rest.as_bytes()
        };
        let mut at = 0;
        for part in middle {
            match memchr::memmem::find(&rest[at..], part.as_bytes()) {
                Some(i) => at += i + part.len(),
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_value_and_stars() {
        let g = Glob::new("GetObject");
        assert!(g.matches("getobject") && g.matches("GETOBJECT"));
        assert!(!g.matches("GetObjectAcl"));
        let g = Glob::new("Delete*");
        assert!(g.matches("DeleteBucket") && g.matches("delete") && !g.matches("UndeleteX"));
        let g = Glob::new("*bucket*");
        assert!(g.matches("DeleteBucketPolicy") && g.matches("bucket") && !g.matches("buck"));
        let g = Glob::new("a*b*a");
        assert!(g.matches("aba") && g.matches("axxbyya") && !g.matches("ab") && !g.matches("aa"));
        assert!(Glob::new("*").matches("x") && !Glob::new("*").matches(""));
        assert!(Glob::new("zoë").matches("ZOË"));
        assert!(Glob::new("李*").matches("李雷"));
        assert!(!Glob::new("é*").matches("e"));
    }

    #[test]
    fn escapes_make_stars_and_backslashes_literal() {
        let g = Glob::new(r"a\*b");
        assert!(g.matches("A*B") && !g.matches("axxb") && !g.has_star());
        assert!(Glob::new(r"*\**").matches("x*y") && !Glob::new(r"*\**").matches("xy"));
        assert!(Glob::new(r"c:\\x").matches(r"c:\x"));
        assert!(Glob::new(r"a\b").matches(r"a\b"), "a lone backslash is itself");
        for v in ["*", r"\", r"a*b\c", "", "plain", r"\*"] {
            let g = Glob::literal(v);
            assert!(g.matches(v) || v.is_empty(), "{v}");
            assert_eq!(Glob::new(g.text()), g, "{v}");
        }
        assert!(Glob::literal("").matches(""));
        assert!(!Glob::literal("*").matches("x"));
    }
}
