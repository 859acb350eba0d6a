//! The problems met while loading: two lines each, only those on screen
//! fetched (there may be millions).

use super::{Overlay, TextScroll, show};
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::panes::Cx;
use crate::tui::text::fitted;
use crate::tui::theme::Theme;
use ratatui::Frame;
use std::sync::atomic::Ordering::Relaxed;

#[derive(Default)]
pub struct Problems {
    pub scroll: TextScroll,
}

fn total(cx: &Cx) -> usize {
    cx.progress.problem_count.load(Relaxed) as usize
}

impl Overlay for Problems {
    fn scope(&self) -> Scope {
        Scope::Problems
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        self.scroll.update(action, 2 * total(cx), cx.rows)
    }

    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme) {
        let w = super::frame_area(f.area()).width.saturating_sub(2) as usize;
        let total = total(cx);
        let top = self.scroll.top.min((2 * total).saturating_sub(cx.rows));
        let mut lines = Vec::new();
        if total == 0 {
            lines.push(fitted("No problems: every file and record was read.", w, theme.dim));
        }
        for p in cx.progress.problems_page(top / 2, cx.rows / 2 + 1) {
            let place = p.place.map(|pl| format!(" ({pl})")).unwrap_or_default();
            lines.push(fitted(&format!("{}{place}", p.path), w, theme.key));
            lines.push(fitted(&format!("  {}", p.message), w, theme.error));
        }
        show(f, theme, &format!(" {total} problems · Esc closes "), lines.into_iter().skip(top % 2).collect());
    }
}
