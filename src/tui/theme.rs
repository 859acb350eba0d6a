//! Colours, or none: with NO_COLOR set every distinction is made with bold,
//! underline and reverse video, so the selection stays visible.

use crate::detect::Level;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub header: Style,
    pub title: Style,
    pub title_focused: Style,
    pub selected: Style,
    pub selected_unfocused: Style,
    pub error: Style,
    pub matched: Style,
    pub dim: Style,
    pub key: Style,
    pub bar: Style,
    pub warn: Style,
    /// Per level, informational first.
    pub levels: [Style; Level::COUNT],
}

impl Theme {
    pub fn new(color: bool) -> Self {
        let plain = Style::new();
        if !color {
            return Theme {
                header: plain.add_modifier(Modifier::REVERSED),
                title: plain.add_modifier(Modifier::BOLD),
                title_focused: plain.add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                selected: plain.add_modifier(Modifier::REVERSED | Modifier::BOLD),
                selected_unfocused: plain.add_modifier(Modifier::REVERSED),
                error: plain.add_modifier(Modifier::BOLD),
                matched: plain.add_modifier(Modifier::UNDERLINED | Modifier::BOLD),
                dim: plain,
                key: plain.add_modifier(Modifier::BOLD),
                bar: plain,
                warn: plain.add_modifier(Modifier::BOLD),
                // The glyph tells the level; the serious ones stand out.
                levels: [plain, plain, plain, plain.add_modifier(Modifier::BOLD), plain.add_modifier(Modifier::BOLD)],
            };
        }
        Theme {
            header: plain.fg(Color::Black).bg(Color::Cyan),
            title: plain.fg(Color::Cyan),
            title_focused: plain.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected: plain.fg(Color::Black).bg(Color::Yellow).add_modifier(Modifier::BOLD),
            selected_unfocused: plain.add_modifier(Modifier::REVERSED),
            error: plain.fg(Color::LightRed),
            matched: plain.fg(Color::LightYellow).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            dim: plain.fg(Color::DarkGray),
            key: plain.fg(Color::LightBlue),
            bar: plain.fg(Color::Green),
            warn: plain.fg(Color::LightRed).add_modifier(Modifier::BOLD),
            levels: [
                plain.fg(Color::DarkGray),
                plain.fg(Color::Cyan),
                plain.fg(Color::Yellow),
                plain.fg(Color::LightRed).add_modifier(Modifier::BOLD),
                plain.fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
            ],
        }
    }

    /// How a level's mark is drawn.
    pub fn level(&self, level: Level) -> Style {
        self.levels[level as usize - 1]
    }

    /// A row of a pane: marked when selected, less so when the pane is not focused.
    pub fn row(&self, selected: bool, focused: bool) -> Style {
        match (selected, focused) {
            (true, true) => self.selected,
            (true, false) => self.selected_unfocused,
            _ => Style::new(),
        }
    }

    /// A pane's title, marked when the pane has the focus.
    pub fn pane_title(&self, focused: bool) -> Style {
        if focused { self.title_focused } else { self.title }
    }

    /// Colours that read on a light background: dark text, pale highlights.
    pub fn light() -> Self {
        let plain = Style::new();
        Theme {
            header: plain.fg(Color::White).bg(Color::Blue),
            title: plain.fg(Color::Blue),
            title_focused: plain.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            selected: plain.fg(Color::Black).bg(Color::LightYellow).add_modifier(Modifier::BOLD),
            selected_unfocused: plain.add_modifier(Modifier::REVERSED),
            error: plain.fg(Color::Red),
            matched: plain.fg(Color::Magenta).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            dim: plain.fg(Color::Gray),
            key: plain.fg(Color::Blue).add_modifier(Modifier::BOLD),
            bar: plain.fg(Color::Green),
            warn: plain.fg(Color::Red).add_modifier(Modifier::BOLD),
            levels: [
                plain.fg(Color::Gray),
                plain.fg(Color::Blue),
                plain.fg(Color::Rgb(0x9a, 0x60, 0x00)),
                plain.fg(Color::Red).add_modifier(Modifier::BOLD),
                plain.fg(Color::Magenta).add_modifier(Modifier::BOLD),
            ],
        }
    }

    /// A theme by its name in the config: `dark`, `light` or `plain`.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "dark" => Some(Self::new(true)),
            "light" => Some(Self::light()),
            "plain" => Some(Self::new(false)),
            _ => None,
        }
    }

    /// Colour unless NO_COLOR is set to anything non-empty (no-color.org),
    /// in the theme named (dark when None).
    pub fn from_env(name: Option<&str>) -> Self {
        if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return Self::new(false);
        }
        name.and_then(Self::named).unwrap_or_else(|| Self::new(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn themes_by_name() {
        let (dark, light, plain) =
            (Theme::named("dark").unwrap(), Theme::named("light").unwrap(), Theme::named("plain").unwrap());
        assert_ne!(dark.selected, light.selected);
        // On a light background the text is dark, never white on white.
        assert_ne!(light.title.fg, Some(Color::White));
        assert_eq!(plain.title.fg, None, "plain has no colour");
        assert!(Theme::named("solarized").is_none());
    }
}
