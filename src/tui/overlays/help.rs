//! The help: every key of the key table, by scope.

use super::{Overlay, TextScroll, show};
use crate::tui::action::{Action, Command};
use crate::tui::keymap::{self, Scope};
use crate::tui::panes::Cx;
use crate::tui::text::fitted;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::text::Line;

#[derive(Default)]
pub struct Help {
    pub scroll: TextScroll,
}

impl Overlay for Help {
    fn scope(&self) -> Scope {
        Scope::Help
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        self.scroll.update(action, keymap::help_lines(), cx.rows)
    }

    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme) {
        let w = super::frame_area(f.area()).width.saturating_sub(2) as usize;
        let mut lines = Vec::new();
        for (scope, rows) in keymap::help() {
            lines.push(fitted(scope, w, theme.title_focused));
            for (keys, what) in rows {
                let mut l = fitted(&format!("  {keys:<22}"), 24.min(w), theme.key);
                l.spans.extend(fitted(what, w.saturating_sub(24), ratatui::style::Style::new()).spans);
                lines.push(l);
            }
            lines.push(Line::default());
        }
        lines.extend(keymap::HELP_FOOTER.iter().map(|l| fitted(l, w, theme.dim)));
        debug_assert_eq!(lines.len(), keymap::help_lines());
        let _ = cx;
        show(f, theme, " help · Esc closes ", lines.into_iter().skip(self.scroll.top).collect());
    }
}
