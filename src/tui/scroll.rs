//! A scrollable position: the cursor and the first row shown.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scroll {
    pub cursor: usize,
    pub offset: usize,
}

impl Scroll {
    /// Moves the cursor by `delta` within `len` items and keeps it in a
    /// window of `rows`.
    pub fn moved(self, delta: isize, len: usize, rows: usize) -> Scroll {
        let cursor = if len == 0 { 0 } else { (self.cursor as isize + delta).clamp(0, len as isize - 1) as usize };
        Scroll { cursor, offset: self.offset }.visible(len, rows)
    }

    /// Keeps the cursor in range and on screen.
    pub fn visible(mut self, len: usize, rows: usize) -> Scroll {
        self.cursor = self.cursor.min(len.saturating_sub(1));
        let rows = rows.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + rows {
            self.offset = self.cursor + 1 - rows;
        }
        self.offset = self.offset.min(len.saturating_sub(rows));
        self
    }

    /// The cursor moved for a movement action with a page of `rows`; None
    /// for other actions.
    pub fn step(self, action: &super::action::Action, len: usize, rows: usize) -> Option<Scroll> {
        use super::action::Action::*;
        let page = rows.max(1) as isize;
        let delta = match action {
            Up => -1,
            Down => 1,
            PageUp => -page,
            PageDown => page,
            Top => isize::MIN / 2,
            Bottom => isize::MAX / 2,
            _ => return None,
        };
        Some(self.moved(delta, len, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_keeps_the_cursor_on_screen() {
        let s = Scroll::default().moved(15, 100, 10);
        assert_eq!((s.cursor, s.offset), (15, 6));
        let s = s.moved(-12, 100, 10);
        assert_eq!((s.cursor, s.offset), (3, 3));
        let s = s.moved(isize::MAX / 2, 100, 10);
        assert_eq!((s.cursor, s.offset), (99, 90));
        let s = s.visible(5, 10);
        assert_eq!((s.cursor, s.offset), (4, 0));
        assert_eq!(Scroll::default().moved(5, 0, 10), Scroll::default());
    }
}
