//! Making data safe to show on a terminal. Every string from a log goes
//! through [`visible`] before it is drawn or printed as text: control
//! characters and bidirectional overrides become visible escapes, so nothing
//! in a log can move the cursor, change the title, write the clipboard or
//! reorder what is shown.

use std::borrow::Cow;
use unicode_width::UnicodeWidthChar;

/// Whether `c` must not reach a terminal as itself.
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        // Bidi embeddings, overrides, isolates and marks.
        | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}'
        // Line and paragraph separators break lines in some terminals.
        | '\u{2028}' | '\u{2029}'
    )
}

/// `s` with every unsafe character shown as `\u{..}`-style text (`\u001b`).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Canonical JSON with the unsafe characters that JSON allows raw (DEL, C1,
/// bidi controls) written as `\uXXXX` escapes: the same JSON value, safe to
/// print or paste into a terminal. (Canonical JSON holds no raw C0 controls,
/// and the others only inside strings, where the escape means the same.)
pub fn json_for_terminal(json: &[u8]) -> Cow<'_, str> {
    match String::from_utf8_lossy(json) {
        Cow::Borrowed(s) => visible(s),
        Cow::Owned(s) => Cow::Owned(visible(&s).into_owned()),
    }
}

/// How much of `s` fits in `width` cells: the characters kept, the cells
/// they take, and whether `s` was cut (a cut string leaves one cell for `…`).
/// The one rule every column of text is cut by.
pub fn fit_prefix(s: &str, width: usize) -> (usize, usize, bool) {
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    let cut = total > width;
    let (mut kept, mut used) = (0, 0);
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + usize::from(cut) > width {
            break;
        }
        kept += 1;
        used += w;
    }
    (kept, used, cut)
}

/// `s` (made visible) cut to `width` cells with `…`, padded to exactly `width`.
pub fn fit(s: &str, width: usize) -> String {
    let s = visible(s);
    let (kept, mut used, cut) = fit_prefix(&s, width);
    let mut out: String = s.chars().take(kept).collect();
    if cut && width > 0 {
        out.push('…');
        used += 1;
    }
    out + &" ".repeat(width.saturating_sub(used))
}

/// Text from the data in a Markdown table cell or line: shown, never
/// interpreted (no column break, no code span, no new line).
pub fn markdown_cell(s: &str) -> String {
    visible(s).replace('|', "\\|").replace('`', "'").replace(['\n', '\r'], " ")
}

/// A CSV cell: quoted when needed, and neutralised when a spreadsheet would
/// take it for a formula.
pub fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
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

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(visible("plain ünïcödé 🚀"), "plain ünïcödé 🚀");
        assert_eq!(visible("\u{1b}]52;c;ZWNobw==\u{7}"), "\\u001b]52;c;ZWNobw==\\u0007");
        assert_eq!(visible("a\rb\u{8}\u{0}\u{7f}\u{9b}"), "a\\u000db\\u0008\\u0000\\u007f\\u009b");
        assert_eq!(visible("evil\u{202e}txt.exe\u{2066}"), "evil\\u202etxt.exe\\u2066");
        assert_eq!(json_for_terminal("{\"a\":\"x\u{9b}y\u{202e}\"}".as_bytes()), "{\"a\":\"x\\u009by\\u202e\"}");
    }

    #[test]
    fn csv_cells_cannot_be_formulas() {
        assert_eq!(csv_cell("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a,\"b\""), "\"a,\"\"b\"\"\"");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
