//! Matching events over time, rescaled to the matching range, so that
//! bursts stand out.

use crate::engine::Histogram;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use crate::tui::timefmt;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The bins merged into `width` columns.
pub fn columns(h: &Histogram, width: usize) -> Vec<u32> {
    if width == 0 || h.bins.is_empty() {
        return vec![0; width];
    }
    let n = h.bins.len();
    (0..width)
        .map(|c| h.bins[c * n / width..((c + 1) * n / width).max(c * n / width + 1).min(n)].iter().sum())
        .collect()
}

/// `rows` lines of bars (top line first) for column counts.
pub fn bars(cols: &[u32], rows: usize) -> Vec<String> {
    let max = cols.iter().copied().max().unwrap_or(0).max(1) as u64;
    let steps = rows as u64 * 8;
    let heights: Vec<u64> =
        cols.iter().map(|&c| if c == 0 { 0 } else { (c as u64 * steps).div_ceil(max).max(1) }).collect();
    (0..rows)
        .map(|line| {
            let floor = (rows - 1 - line) as u64 * 8;
            heights.iter().map(|&h| LEVELS[h.saturating_sub(floor).min(8) as usize]).collect()
        })
        .collect()
}

/// The span in its largest unit, rounded to the nearest (2 days 20 hours
/// reads "3 days", not "2 days").
fn span_text(micros: i64) -> String {
    let s = micros / 1_000_000;
    let round = |unit: i64| (s + unit / 2) / unit;
    match s {
        s if s >= 2 * 86_400 => format!("{} days", round(86_400)),
        s if s >= 2 * 3600 => format!("{} hours", round(3600)),
        s if s >= 120 => format!("{} minutes", round(60)),
        s => format!("{s} s"),
    }
}

pub fn draw(f: &mut Frame, app: &App, theme: &Theme, r: Rect) {
    let h = &app.results().histogram;
    let width = r.width as usize;
    let bar_rows = if r.height >= 3 { 2 } else { r.height as usize };
    let cols = columns(h, width);
    let mut lines: Vec<Line> =
        bars(&cols, bar_rows).into_iter().map(|s| Line::from(Span::styled(s, theme.bar))).collect();
    if r.height >= 3 {
        let axis = if h.bins.is_empty() {
            String::new()
        } else {
            let (a, b) = (timefmt::show(h.start, app.config.time), timefmt::show(h.end, app.config.time));
            let peak = cols.iter().max().copied().unwrap_or(0);
            let mid = format!(" {} · peak {} per column ", span_text(h.end - h.start), peak);
            let fill = width.saturating_sub(a.len() + b.len() + mid.chars().count());
            format!("{a}{}{mid}{}{b}", "─".repeat(fill / 2), "─".repeat(fill - fill / 2))
        };
        lines.push(Line::from(Span::styled(axis, theme.dim)));
    }
    f.render_widget(Paragraph::new(lines), r);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_bins_and_scales_bars() {
        let h = Histogram { start: 0, end: 10, bins: vec![1, 0, 0, 0, 4, 4, 0, 8] };
        assert_eq!(columns(&h, 4), vec![1, 0, 8, 8]);
        assert_eq!(columns(&h, 16).iter().sum::<u32>(), 34, "each bin lands somewhere");
        let b = bars(&[0, 1, 8, 16], 2);
        assert_eq!(b, vec!["   █", " ▁██"], "half the peak fills the lower row");
        assert_eq!(bars(&[0, 1, 4, 16], 2), vec!["   █", " ▁▄█"]);
        assert_eq!(bars(&[], 2), vec!["", ""]);
    }

    #[test]
    fn a_span_reads_in_its_nearest_whole_unit() {
        let h = 3_600_000_000i64;
        assert_eq!(span_text(68 * h), "3 days");
        assert_eq!(span_text(59 * h), "2 days");
        assert_eq!(span_text(35 * h + 40 * 60_000_000), "36 hours");
        assert_eq!(span_text(90 * 1_000_000), "90 s");
    }
}
