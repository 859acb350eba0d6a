//! Overlays drawn over the screen (help, problems, the credential chain, the
//! identities, the incidents). Each owns its state,
//! updates and drawing, and has its own key scope, searched before the
//! keys every overlay shares. A new overlay is a file here, a scope in the
//! key table, and the action that opens it.

pub mod actors;
pub mod case;
pub mod chain;
pub mod help;
pub mod incidents;
pub mod pager;
pub mod problems;

use super::action::{Action, Command};
use super::keymap::Scope;
use super::panes::Cx;
use super::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub trait Overlay {
    fn scope(&self) -> Scope;
    /// Changes the overlay; [`Command::CloseOverlay`] closes it.
    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command>;
    /// `cx.rows` is the number of rows inside the frame.
    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme);
}

/// The overlay's frame on a screen of `area`.
pub fn frame_area(area: Rect) -> Rect {
    frame_area_upto(area, 100)
}

/// The frame of an overlay at most `most` columns wide.
pub fn frame_area_upto(area: Rect, most: u16) -> Rect {
    let w = area.width.saturating_sub(4).min(most);
    let h = area.height.saturating_sub(2);
    Rect { x: area.x + (area.width - w) / 2, y: area.y + (area.height - h) / 2, width: w, height: h }
}

/// Rows inside the frame on a screen of `area`.
pub fn inner_rows(area: Rect) -> usize {
    frame_area(area).height.saturating_sub(2) as usize
}

/// Moves a list overlay's cursor over `len` rows, `page` at a time; false
/// when the action is not a movement.
pub fn step_cursor(cursor: &mut usize, action: &Action, len: usize, page: usize) -> bool {
    let last = len.saturating_sub(1);
    *cursor = match action {
        Action::Down => (*cursor + 1).min(last),
        Action::Up => cursor.saturating_sub(1),
        Action::PageDown => (*cursor + page.max(1)).min(last),
        Action::PageUp => cursor.saturating_sub(page.max(1)),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return false,
    };
    true
}

/// A scroll position over `lines` lines shown `rows` at a time; movement
/// keys move it, Back closes the overlay.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TextScroll {
    pub top: usize,
}

impl TextScroll {
    pub fn update(&mut self, action: &Action, lines: usize, rows: usize) -> Vec<Command> {
        let max = lines.saturating_sub(rows);
        let page = rows.max(1);
        self.top = match action {
            Action::Back => return vec![Command::CloseOverlay],
            Action::Down => self.top + 1,
            Action::Up => self.top.saturating_sub(1),
            Action::PageDown => self.top + page,
            Action::PageUp => self.top.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => max,
            _ => self.top,
        }
        .min(max);
        vec![]
    }
}

/// Draws `lines` (the ones from the top already skipped) in the frame.
pub fn show(f: &mut Frame, theme: &Theme, title: &str, lines: Vec<Line<'static>>) {
    show_upto(f, theme, title, lines, 100);
}

/// [`show`] in a frame at most `most` columns wide.
pub fn show_upto(f: &mut Frame, theme: &Theme, title: &str, lines: Vec<Line<'static>>, most: u16) {
    let r = frame_area_upto(f.area(), most);
    if r.width < 4 || r.height < 3 {
        return;
    }
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.title)
        .title(title.to_string())
        .title_style(theme.title_focused);
    let inner = block.inner(r);
    f.render_widget(block, r);
    f.render_widget(Paragraph::new(lines.into_iter().take(inner.height as usize).collect::<Vec<_>>()), inner);
}
