//! Who is behind the selected event: its credential chain, origin first.
//! Each hop shows the identity, its key, account and events, and the call
//! that issued the key (time, source address, user agent, event). Enter
//! shows a hop's events (`session:KEY`), `f` adds that term to the query.

use super::{Overlay, show_upto};
use crate::identity::{Chain, End, Graph, Link};
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::query::{Target, Term};
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::panes::Cx;
use crate::tui::text::fitted;
use crate::tui::theme::Theme;
use ratatui::Frame;

/// The overlay's widest frame: ARNs and user agents are long.
const WIDEST: u16 = 160;

/// One hop as shown: its lines, and the term that selects its events.
#[derive(Debug, Clone, PartialEq)]
pub struct HopView {
    pub lines: Vec<String>,
    pub term: Term,
}

pub struct ChainView {
    pub end: End,
    pub hops: Vec<HopView>,
    pub cursor: usize,
}

impl ChainView {
    /// The chain behind event `id`.
    pub fn open(graph: &Graph, store: &Store, id: EventId) -> ChainView {
        let chain = Chain::of_event(graph, store, id);
        let hops = chain
            .hops
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let role = if i == 0 { chain.end.says() } else { "session" };
                let or_q = |s: &str| if s.is_empty() { "?".to_string() } else { s.to_string() };
                // The identity on a line of its own: a long role session name
                // must not push the key and the account off the screen.
                let mut lines = vec![format!("{role:<8} {}", or_q(&h.actor))];
                lines.push(format!(
                    "   key {} · account {} · {}",
                    h.key.as_deref().unwrap_or("none"),
                    or_q(&h.account),
                    match h.cred {
                        Some(_) => format!(
                            "{} event{}",
                            crate::format::thousands(h.events as u64),
                            if h.events == 1 { "" } else { "s" }
                        ),
                        None if h.key.is_some() => "key not followed (redacted or placeholder)".to_string(),
                        None => String::new(),
                    }
                ));
                if let Some(e) = h.issued_by {
                    let how = match h.link {
                        Some(Link::Inferred) => " (inferred)",
                        Some(Link::Password) => " (set the password)",
                        _ => "",
                    };
                    lines.push(format!(
                        "   issued by {}{how} at {} from {}",
                        store.value(e, Field::Name),
                        format_utc(store.time(e)),
                        h.source_ip.as_deref().unwrap_or("?"),
                    ));
                    lines.push(format!("   with {}", store.value(e, Field::Agent)));
                    let mut cache = ChunkCache::new(1);
                    lines.push(format!("   issuing event {}", store.event_id(e, &mut cache)));
                    for &c in &h.confirmed_by {
                        lines.push(format!(
                            "   also logged in account {} · event {}",
                            store.value(c, Field::Account),
                            store.event_id(c, &mut cache)
                        ));
                    }
                }
                for (arn, n) in &h.conflicts {
                    lines.push(format!("   ! key also used by {arn} ({n} events): a conflict, not linked"));
                }
                let term = match (&h.key, h.cred) {
                    (Some(k), Some(_)) => Term::matching(Target::field(Field::Session), k, false),
                    (Some(k), None) => Term::matching(Target::field(Field::AccessKey), k, false),
                    (None, _) => Term::matching(Target::field(Field::Actor), &h.actor, false),
                };
                HopView { lines, term }
            })
            .collect();
        ChainView { end: chain.end, hops, cursor: 0 }
    }

    fn selected(&self) -> Option<&HopView> {
        self.hops.get(self.cursor)
    }
}

impl Overlay for ChainView {
    fn scope(&self) -> Scope {
        Scope::Chain
    }

    fn update(&mut self, action: &Action, _cx: &Cx) -> Vec<Command> {
        let last = self.hops.len().saturating_sub(1);
        match action {
            Action::Down => self.cursor = (self.cursor + 1).min(last),
            Action::Up => self.cursor = self.cursor.saturating_sub(1),
            Action::Top => self.cursor = 0,
            Action::Bottom => self.cursor = last,
            Action::Back => return vec![Command::CloseOverlay],
            Action::Include => {
                let Some(h) = self.selected() else { return vec![] };
                return vec![Command::Filter(vec![h.term.clone()]), Command::CloseOverlay];
            }
            Action::Pivot => {
                let Some(h) = self.selected() else { return vec![] };
                return vec![Command::AddTerm(h.term.clone()), Command::CloseOverlay];
            }
            _ => {}
        }
        vec![]
    }

    fn draw(&self, f: &mut Frame, cx: &Cx, theme: &Theme) {
        let w = super::frame_area_upto(f.area(), WIDEST).width.saturating_sub(2) as usize;
        let mut lines = Vec::new();
        for (i, h) in self.hops.iter().enumerate() {
            if i > 0 {
                lines.push(fitted("   ↓", w, theme.dim));
            }
            let style = theme.row(i == self.cursor, true);
            for (j, l) in h.lines.iter().enumerate() {
                let s = if j == 0 { style.patch(theme.key) } else { style.patch(theme.dim) };
                lines.push(fitted(l, w, s));
            }
        }
        // Keep the selected hop on screen.
        let at: usize = self.hops.iter().take(self.cursor).map(|h| h.lines.len() + 1).sum();
        let skip = (at + 3).saturating_sub(cx.rows);
        show_upto(
            f,
            theme,
            " credential chain, origin first · Enter its events · f add to query · Esc closes ",
            lines.into_iter().skip(skip).collect(),
            WIDEST,
        );
    }
}
