//! Where each pane goes: a pure function of the terminal size and the state,
//! used by drawing and by the mouse and paging logic alike.

use super::app::{App, Focus};
use ratatui::layout::Rect;

/// Terminals at least this wide show the detail beside the list.
pub const WIDE: u16 = 110;
/// Terminals at least this wide show the facets panel unless hidden.
pub const FACETS_WIDE: u16 = 150;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    pub query: Rect,
    pub histogram: Option<Rect>,
    pub facets: Option<Rect>,
    pub list: Option<Rect>,
    pub detail: Option<Rect>,
    pub footer: Rect,
}

fn rows(area: Rect, y: u16, h: u16) -> Rect {
    Rect { x: area.x, y, width: area.width, height: h }
}

pub fn layout(area: Rect, app: &App) -> Areas {
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
    let hist_h = if h >= 20 {
        3
    } else if h >= 14 {
        1
    } else {
        0
    };
    if hist_h > 0 {
        a.histogram = Some(rows(area, top, hist_h));
    }
    let main_y = top + hist_h;
    let main = Rect { x: area.x, y: main_y, width: w, height: bottom.saturating_sub(main_y) };
    if main.height == 0 {
        return a;
    }
    let facets_on = app.facets_visible(w);
    if w < WIDE {
        // One pane at a time.
        match app.focus {
            Focus::Detail => a.detail = Some(main),
            Focus::Facets if facets_on => a.facets = Some(main),
            _ => a.list = Some(main),
        }
        return a;
    }
    let mut rest = main;
    if facets_on {
        let fw = (w / 5).clamp(26, 40);
        a.facets = Some(Rect { width: fw, ..main });
        rest = Rect { x: main.x + fw, width: main.width - fw, ..main };
    }
    let list_w = (rest.width * 11 / 20).max(40.min(rest.width));
    a.list = Some(Rect { width: list_w, ..rest });
    if rest.width > list_w {
        a.detail = Some(Rect { x: rest.x + list_w, width: rest.width - list_w, ..rest });
    }
    a
}

/// Rows of a pane available to items, under its one-line title.
pub fn body_rows(pane: Option<Rect>) -> usize {
    pane.map_or(0, |r| r.height.saturating_sub(1) as usize)
}

pub fn contains(r: Option<Rect>, x: u16, y: u16) -> bool {
    r.is_some_and(|r| x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height)
}
