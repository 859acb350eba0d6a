//! A text in full: a long value of the tree, a rule's whole description,
//! wrapped to the screen and scrolled. `Y` copies it.

use super::{Overlay, TextScroll, show};
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::panes::Cx;
use crate::tui::text::fitted;
use crate::tui::theme::Theme;
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

/// Lines wrapped at most (a 20 MB value is shown up to here).
const MOST_LINES: usize = 20_000;

pub struct Pager {
    pub title: String,
    pub text: String,
    pub scroll: TextScroll,
    /// The width it was last drawn at (scrolling counts wrapped lines).
    width: std::cell::Cell<usize>,
}

/// `text` broken into lines of at most `width` cells (between words where it can).
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    for line in text.lines() {
        let shown = crate::sanitize::visible(line);
        let (mut cur, mut used, mut last_space) = (String::new(), 0, None::<usize>);
        for c in shown.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width {
                // Break at the last space when there is one on the line, else mid-word.
                match last_space {
                    Some(at) if at > 0 => {
                        let rest = cur.split_off(at + 1);
                        out.push(cur.trim_end().to_string());
                        used = rest.chars().map(|c| c.width().unwrap_or(0)).sum();
                        cur = rest;
                    }
                    _ => {
                        out.push(std::mem::take(&mut cur));
                        used = 0;
                    }
                }
                last_space = None;
            }
            if c == ' ' {
                last_space = Some(cur.len());
            }
            cur.push(c);
            used += w;
            if out.len() >= MOST_LINES {
                return out;
            }
        }
        out.push(cur);
    }
    out
}

impl Pager {
    pub fn new(title: String, text: String) -> Pager {
        Pager { title, text, scroll: TextScroll::default(), width: std::cell::Cell::new(76) }
    }

    fn width(area: ratatui::layout::Rect) -> usize {
        super::frame_area(area).width.saturating_sub(2) as usize
    }
}

impl Overlay for Pager {
    fn scope(&self) -> Scope {
        Scope::Pager
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        if *action == Action::CopyValue {
            return vec![Command::Copy { payload: self.text.clone(), what: self.title.clone() }];
        }
        let lines = wrap(&self.text, self.width.get()).len();
        self.scroll.update(action, lines, cx.rows)
    }

    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme) {
        let w = Pager::width(f.area());
        self.width.set(w);
        let lines = wrap(&self.text, w);
        let total = lines.len();
        let top = self.scroll.top.min(total.saturating_sub(cx.rows));
        let shown =
            lines.into_iter().skip(top).take(cx.rows).map(|l| fitted(&l, w, ratatui::style::Style::new())).collect();
        let title = format!(" {} · {} lines · Y copy · Esc close ", crate::sanitize::visible(&self.title), total);
        show(f, theme, &title, shown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_between_words_and_keeps_every_character() {
        let text = "one two three four five six seven eight nine ten";
        let lines = wrap(text, 12);
        assert!(lines.iter().all(|l| l.chars().count() <= 12), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        let long = "x".repeat(30);
        assert_eq!(wrap(&long, 10), ["x".repeat(10), "x".repeat(10), "x".repeat(10)]);
        assert_eq!(wrap("a\u{1b}b", 40), ["a\\u001bb"], "escaped, never raw");
    }
}
