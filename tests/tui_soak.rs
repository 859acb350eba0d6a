//! Many thousands of random actions (keys, resizes from 1x1 to 300x100, the
//! mouse, queries, stale results, loads finishing mid-action), with the
//! state's invariants checked after each.

use crate::common;
use common::tui::Harness;
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use std::path::PathBuf;
use trailscope::tui::action::Action;
use trailscope::tui::app::App;
use trailscope::tui::panes::{PaneId, facets};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, so a failure replays.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const KEYS: &[KeyCode] = &[
    KeyCode::Char('j'),
    KeyCode::Char('k'),
    KeyCode::Down,
    KeyCode::Up,
    KeyCode::PageDown,
    KeyCode::PageUp,
    KeyCode::Char('g'),
    KeyCode::Char('G'),
    KeyCode::Home,
    KeyCode::End,
    KeyCode::Enter,
    KeyCode::Esc,
    KeyCode::Tab,
    KeyCode::BackTab,
    KeyCode::Char('h'),
    KeyCode::Char('l'),
    KeyCode::Left,
    KeyCode::Right,
    KeyCode::Char(' '),
    KeyCode::Char('e'),
    KeyCode::Char('c'),
    KeyCode::Char('f'),
    KeyCode::Char('x'),
    KeyCode::Char('o'),
    KeyCode::Char('t'),
    KeyCode::Char('F'),
    KeyCode::Char('?'),
    KeyCode::Char('!'),
    KeyCode::Char('/'),
    KeyCode::Char('y'),
    KeyCode::Char('Y'),
    KeyCode::Char('p'),
    KeyCode::Backspace,
    KeyCode::Delete,
    KeyCode::Char('a'),
    KeyCode::Char(':'),
    KeyCode::Char('"'),
    KeyCode::Char('*'),
    KeyCode::Char('-'),
    KeyCode::Char('1'),
];

fn check(app: &App, step: usize) {
    let n = app.len();
    let ctx = |what: &str| format!("step {step}: {what} (size {:?}, focus {:?})", app.size, app.focus);
    let list = &app.panes.list.scroll;
    assert!(list.cursor < n.max(1), "{}", ctx("list cursor out of range"));
    assert!(list.offset <= list.cursor, "{}", ctx("list offset past the cursor"));
    let facet_rows = facets::rows(app.results()).len();
    assert!(app.panes.facets.scroll.cursor < facet_rows.max(1), "{}", ctx("facet cursor out of range"));
    if app.focus == PaneId::Detail {
        assert!(app.selected().is_some(), "{}", ctx("detail focused without an event"));
    }
    if let Some(d) = &app.panes.detail.shown {
        let lines = app.panes.detail.head.len() + d.tree.visible().len();
        assert!(d.scroll.cursor < lines.max(1), "{}", ctx("detail cursor out of range"));
        if app.areas().of(PaneId::Detail).is_some() || app.focus == PaneId::Detail {
            assert_eq!(Some(d.event), app.selected(), "{}", ctx("the tree is not the selected event's"));
            let s = app.data.read();
            let mut cache = trailscope::store::blobs::ChunkCache::new(1);
            assert_eq!(d.tree.json, s.record(d.event, &mut cache), "{}", ctx("the tree's JSON is not the record's"));
        }
    }
}

fn soak(seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let mut groups: Vec<Vec<PathBuf>> = vec![vec![]; 4];
    for (i, f) in files(&sample()).into_iter().filter(|p| !p.to_string_lossy().contains("Digest")).enumerate() {
        groups[i % 4].push(f);
    }
    // Hostile strings and a large event join the later loads.
    let extra = tempdir(&format!("soak-{seed}"));
    std::fs::write(extra.join("h.json"), serde_json::json!({"Records": [{"eventTime": "2024-05-14T12:00:00Z", "eventName": "X\u{1b}]52;c;QQ==\u{7}", "userAgent": "\u{1b}[2J\r\u{202e}", "eventID": "h"}]}).to_string()).unwrap();
    groups[3].push(extra.join("h.json"));
    let mut h = Harness::new(&groups[0], (80, 24), "");
    let mut next_group = 1;
    let mut stale: Vec<trailscope::engine::Request> = vec![];
    for step in 0..steps {
        let copies = h.copies.len();
        let mut copy_key = false;
        match rng.below(20) {
            0 => {
                let (w, hh) = (1 + rng.below(300) as u16, 1 + rng.below(100) as u16);
                h.act(Action::Resize(w, hh));
            }
            1 => {
                let (x, y) = (rng.below(h.app.size.0 as u64) as u16, rng.below(h.app.size.1 as u64) as u16);
                h.act(if rng.below(2) == 0 {
                    Action::ClickAt { x, y }
                } else {
                    Action::ScrollAt { x, y, down: rng.below(2) == 0 }
                });
            }
            2 if next_group < groups.len() => {
                let g = groups[next_group].clone();
                next_group += 1;
                h.load_more(&g);
            }
            3 => {
                // A search's answer arriving after a newer one was asked for.
                if let Some(req) = stale.pop() {
                    let mut late = Vec::new();
                    trailscope::engine::search::execute(
                        &h.app.data,
                        &req,
                        &trailscope::query::Cancel::new(),
                        &mut |r| late.push(r),
                    );
                    for r in late {
                        h.act(Action::SearchDone(Box::new(r)));
                    }
                }
                for e in h.app.search() {
                    if let trailscope::tui::action::Effect::Search(req) = e {
                        stale.push(req);
                    }
                }
            }
            4 => {
                h.key_mod(KeyCode::Char(['w', 'u', 'd'][rng.below(3) as usize]), KeyModifiers::CONTROL);
            }
            _ => {
                let k = KEYS[rng.below(KEYS.len() as u64) as usize];
                copy_key =
                    matches!(k, KeyCode::Char('y' | 'Y' | 'p')) && h.app.prompt.is_none() && h.app.overlay.is_none();
                h.key(k);
            }
        }
        assert!(h.copies.len() == copies || copy_key, "step {step}: something other than y/Y/p copied");
        assert!(!h.app.quit);
        check(&h.app, step);
        if step % 25 == 0 {
            let screen = h.screen();
            assert!(
                !screen.chars().any(|c| trailscope::sanitize::is_unsafe(c) && c != '\n'),
                "step {step}: unsafe character on screen"
            );
        }
    }
    assert!(next_group > 1, "loads happened during the run");
}

#[test]
fn random_actions_keep_the_state_sound() {
    for seed in [1, 2, 3, 0x5eed] {
        soak(seed, 3000);
    }
}
