//! Drawing the whole screen: a pure function of the state. The header, the
//! query line, the histogram and the footer are drawn here; each pane and
//! overlay draws itself. Only what is on screen is built.

mod header;
mod histogram;

use super::app::App;
use super::layout::body_rows;
use super::overlays;
use super::theme::Theme;
use ratatui::Frame;

pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let areas = app.areas_in(f.area());
    let held = app.reading();
    header::header(f, app, &held.store, theme, areas.header);
    header::query_line(f, app, theme, areas.query);
    if let Some(r) = areas.histogram {
        histogram::draw(f, app, theme, r);
    }
    for &(id, r) in &areas.panes {
        app.panes.get(id).draw(f, r, &app.cx(&held, id, body_rows(Some(r))), theme);
    }
    header::footer(f, app, &held, theme, areas.footer);
    if let Some(o) = &app.overlay {
        o.draw(f, &app.cx(&held, app.focus, overlays::inner_rows(f.area())), theme);
    }
}
