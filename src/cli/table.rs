//! Fixed-width text columns for terminals, measured in display cells.

use crate::sanitize::visible;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `s` (made visible) cut to `width` cells with `…`, padded to exactly `width`.
pub fn fit(s: &str, width: usize) -> String {
    let s = visible(s);
    if s.width() <= width {
        let pad = width - s.width();
        return format!("{s}{}", " ".repeat(pad));
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    used += 1;
    out + &" ".repeat(width.saturating_sub(used))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_by_cells() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("李雷李雷", 5), "李雷…");
        assert_eq!(fit("李雷李雷", 6), "李雷… ");
        assert_eq!(fit("a\u{1b}b", 12), "a\\u001bb    ");
    }
}
