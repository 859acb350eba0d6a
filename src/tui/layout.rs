//! Where everything goes: a pure function of the terminal size, the panes
//! shown (with their slots) and the focus, used by drawing and by the mouse
//! and paging logic alike.

use super::panes::{PaneId, Slot};
use ratatui::layout::Rect;

/// Terminals at least this wide show panes side by side.
pub const WIDE: u16 = 110;
/// Terminals at least this wide show the left panes unless hidden.
pub const LEFT_WIDE: u16 = 150;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    pub query: Rect,
    pub histogram: Option<Rect>,
    /// The panes on screen and their areas.
    pub panes: Vec<(PaneId, Rect)>,
    pub footer: Rect,
}

impl Areas {
    pub fn of(&self, id: PaneId) -> Option<Rect> {
        self.panes.iter().find(|(p, _)| *p == id).map(|(_, r)| *r)
    }

    /// The pane under a point.
    pub fn at(&self, x: u16, y: u16) -> Option<(PaneId, Rect)> {
        self.panes.iter().copied().find(|(_, r)| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)
    }
}

fn rows(area: Rect, y: u16, h: u16) -> Rect {
    Rect { x: area.x, y, width: area.width, height: h }
}

/// `panes` are those that may show, with their slots, left to right.
pub fn layout(area: Rect, panes: &[(PaneId, Slot)], focus: PaneId) -> Areas {
    let (w, h) = (area.width, area.height);
    let mut a = Areas::default();
    if h == 0 || w == 0 {
        return a;
    }
    a.header = rows(area, area.y, 1);
    a.query = rows(area, area.y + 1.min(h - 1), (h > 1) as u16);
    a.footer = rows(area, area.y + h - 1, (h > 2) as u16);
    let top = area.y + 2.min(h);
    let bottom = area.y + h - a.footer.height;
    let hist_h = match h {
        20.. => 3,
        14.. => 1,
        _ => 0,
    };
    if hist_h > 0 {
        a.histogram = Some(rows(area, top, hist_h));
    }
    let main_y = top + hist_h;
    let main = Rect { x: area.x, y: main_y, width: w, height: bottom.saturating_sub(main_y) };
    if main.height == 0 {
        return a;
    }
    if w < WIDE {
        // One pane at a time: the focused one, else the main one.
        let shown = panes.iter().find(|(p, _)| *p == focus).or_else(|| panes.iter().find(|(_, s)| *s == Slot::Main));
        a.panes.extend(shown.map(|(p, _)| (*p, main)));
        return a;
    }
    let in_slot = |slot: Slot| panes.iter().filter(move |(_, s)| *s == slot).map(|(p, _)| *p);
    let mut rest = main;
    let left: Vec<PaneId> = in_slot(Slot::Left).collect();
    if !left.is_empty() {
        let lw = (w / 5).clamp(26, 40);
        // Left panes share the height, stacked.
        let n = left.len() as u16;
        for (i, p) in left.iter().enumerate() {
            let i = i as u16;
            let y = main.y + main.height * i / n;
            let next = main.y + main.height * (i + 1) / n;
            a.panes.push((*p, Rect { x: main.x, y, width: lw, height: next - y }));
        }
        rest = Rect { x: main.x + lw, width: main.width - lw, ..main };
    }
    let main_w = (rest.width * 11 / 20).max(40.min(rest.width));
    a.panes.extend(in_slot(Slot::Main).map(|p| (p, Rect { width: main_w, ..rest })));
    if rest.width > main_w {
        let right = Rect { x: rest.x + main_w, width: rest.width - main_w, ..rest };
        a.panes.extend(in_slot(Slot::Right).map(|p| (p, right)));
    }
    a
}

/// Rows of a pane's body, under its one-line title (or column headings).
pub fn body_rows(pane: Option<Rect>) -> usize {
    pane.map_or(0, |r| r.height.saturating_sub(1) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [(PaneId, Slot); 3] =
        [(PaneId::Facets, Slot::Left), (PaneId::List, Slot::Main), (PaneId::Detail, Slot::Right)];

    #[test]
    fn wide_screens_show_every_slot_narrow_ones_the_focus() {
        let a = layout(Rect::new(0, 0, 160, 48), &ALL, PaneId::List);
        let f = a.of(PaneId::Facets).unwrap();
        let l = a.of(PaneId::List).unwrap();
        let d = a.of(PaneId::Detail).unwrap();
        assert_eq!((f.x, f.x + f.width, l.x + l.width, d.x + d.width), (0, 32, l.x + l.width, 160));
        assert_eq!(l.x, 32);
        assert_eq!(a.at(100, 20).map(|p| p.0), Some(PaneId::Detail).filter(|_| d.x <= 100).or(Some(PaneId::List)));
        let a = layout(Rect::new(0, 0, 80, 24), &ALL, PaneId::Detail);
        assert_eq!(a.panes.len(), 1);
        assert_eq!(a.panes[0].0, PaneId::Detail);
        let a = layout(Rect::new(0, 0, 80, 24), &ALL[1..], PaneId::Facets);
        assert_eq!(a.panes[0].0, PaneId::List, "a pane not shown falls back to the main one");
        assert_eq!(layout(Rect::new(0, 0, 0, 0), &ALL, PaneId::List), Areas::default());
    }
}
