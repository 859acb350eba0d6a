//! Copying: the system clipboard where there is a display, otherwise an
//! OSC 52 sequence written to the terminal itself, which carries it over SSH
//! and through tmux (with `set -g set-clipboard on`) to the person's own
//! clipboard. The payload is the only place raw data text may go.

use crate::format::human_bytes;
use std::io::Write;

/// Terminals commonly refuse OSC 52 payloads past about this many bytes
/// (xterm and several others cap the sequence near 100 KB).
pub const OSC52_COMMON_LIMIT: usize = 100_000;

/// How `y` copies.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClipboardMode {
    /// The system clipboard when a display is available, else OSC 52
    Auto,
    /// Write an OSC 52 sequence to the terminal (works over SSH and in tmux)
    Osc52,
    /// The system clipboard (X11 or Wayland)
    System,
    /// Never copy
    Off,
}

pub enum Clip {
    System(Box<arboard::Clipboard>),
    Osc52,
    Off,
    /// Forced to the system clipboard, which could not be opened.
    Unavailable(String),
}

/// Whether `auto` copies through the terminal (OSC 52) rather than the
/// system clipboard: over SSH, inside tmux or screen (whose own clipboard
/// handling forwards it), or with no display at all. `env` reads a variable.
pub fn prefers_osc52(env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |v: &str| env(v).is_some_and(|s| !s.is_empty());
    let display = set("DISPLAY") || set("WAYLAND_DISPLAY");
    !display || ["SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT", "TMUX", "STY"].iter().any(|v| set(v))
}

impl Clip {
    pub fn choose(mode: ClipboardMode) -> Clip {
        match mode {
            ClipboardMode::Off => Clip::Off,
            ClipboardMode::Osc52 => Clip::Osc52,
            ClipboardMode::System => match arboard::Clipboard::new() {
                Ok(c) => Clip::System(Box::new(c)),
                Err(e) => Clip::Unavailable(e.to_string()),
            },
            ClipboardMode::Auto if prefers_osc52(|v| std::env::var(v).ok()) => Clip::Osc52,
            ClipboardMode::Auto => arboard::Clipboard::new().map_or(Clip::Osc52, |c| Clip::System(Box::new(c))),
        }
    }

    /// Copies `payload`; returns what the status line should say.
    pub fn copy(&mut self, payload: &str, what: &str, terminal: &mut impl Write) -> String {
        let size = human_bytes(payload.len());
        match self {
            Clip::Off => "copying is off (--clipboard off)".into(),
            Clip::Unavailable(why) => format!("system clipboard unavailable: {why}"),
            Clip::System(c) => match c.set_text(payload.to_string()) {
                Ok(()) => format!("copied {what} ({size}) to the system clipboard"),
                Err(e) => format!("copy failed: {e}"),
            },
            Clip::Osc52 => {
                let seq = osc52(payload);
                if let Err(e) = terminal.write_all(seq.as_bytes()).and_then(|_| terminal.flush()) {
                    return format!("copy failed: {e}");
                }
                if seq.len() > OSC52_COMMON_LIMIT {
                    format!(
                        "sent {what} ({size}) via OSC 52, more than many terminals accept ({}); if it did not arrive use `trailscope query --format jsonl`",
                        human_bytes(OSC52_COMMON_LIMIT)
                    )
                } else {
                    format!("copied {what} ({size}) via OSC 52")
                }
            }
        }
    }
}

/// The OSC 52 sequence that sets the clipboard to `text`.
pub fn osc52(text: &str) -> String {
    format!("\x1b]52;c;{}\x07", base64(text.as_bytes()))
}

pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard() {
        for (plain, enc) in
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foobar", "Zm9vYmFy"), ("zoë", "em/Dqw==")]
        {
            assert_eq!(base64(plain.as_bytes()), enc);
        }
    }

    #[test]
    fn auto_chooses_by_where_it_runs() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
        };
        assert!(!prefers_osc52(env(&[("DISPLAY", ":0")])), "a desktop session");
        assert!(!prefers_osc52(env(&[("WAYLAND_DISPLAY", "wayland-0")])));
        assert!(prefers_osc52(env(&[])), "no display");
        assert!(prefers_osc52(env(&[("DISPLAY", "")])));
        assert!(
            prefers_osc52(env(&[("DISPLAY", "localhost:10.0"), ("SSH_CONNECTION", "1.2.3.4 5 6.7.8.9 22")])),
            "X forwarding over SSH"
        );
        assert!(prefers_osc52(env(&[("DISPLAY", ":0"), ("TMUX", "/tmp/tmux-0/default,1,0")])), "inside tmux");
        assert!(prefers_osc52(env(&[("DISPLAY", ":0"), ("STY", "1234.pts-0")])), "inside screen");
    }

    #[test]
    fn osc52_goes_to_the_terminal_plain() {
        let mut term = Vec::new();
        let msg = Clip::Osc52.copy("{\"a\":1}", "event JSON", &mut term);
        assert_eq!(term, b"\x1b]52;c;eyJhIjoxfQ==\x07");
        assert_eq!(msg, "copied event JSON (7 bytes) via OSC 52");
        let big = "x".repeat(200_000);
        let msg = Clip::Osc52.copy(&big, "event JSON", &mut Vec::new());
        assert!(msg.contains("more than many terminals accept"), "{msg}");
        assert!(Clip::Off.copy("x", "y", &mut term).contains("off"));
    }
}
