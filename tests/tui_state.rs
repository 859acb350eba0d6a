//! The explorer's state, driven by keys and actions, without a terminal.

use crate::common;
use common::tui::Harness;
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use serde_json::Value;
use trailscope::model::fields::Field as Facet;
use trailscope::query::labels::Labels;
use trailscope::tui::action::Action;
use trailscope::tui::keymap::Scope;
use trailscope::tui::panes::{PaneId, facets};

#[test]
fn navigation_stays_in_range() {
    let mut h = Harness::sample((80, 24));
    let n = h.app.len();
    assert!(n > 300);
    assert_eq!(h.app.panes.list.scroll.cursor, 0);
    h.key(KeyCode::Char('j')).key(KeyCode::Down);
    assert_eq!(h.app.panes.list.scroll.cursor, 2);
    h.key(KeyCode::Char('k')).key(KeyCode::Up).key(KeyCode::Up);
    assert_eq!(h.app.panes.list.scroll.cursor, 0);
    h.key(KeyCode::PageDown);
    let page = h.app.panes.list.scroll.cursor;
    assert!(page > 5 && page < 24, "a page is about a screen: {page}");
    assert!(h.app.panes.list.scroll.offset > 0 && h.app.panes.list.scroll.cursor < h.app.panes.list.scroll.offset + 24);
    h.key(KeyCode::Char('G'));
    assert_eq!(h.app.panes.list.scroll.cursor, n - 1);
    h.key(KeyCode::Down);
    assert_eq!(h.app.panes.list.scroll.cursor, n - 1);
    h.key(KeyCode::Home);
    assert_eq!((h.app.panes.list.scroll.cursor, h.app.panes.list.scroll.offset), (0, 0));
}

#[test]
fn typing_narrows_live_and_enter_keeps_the_query() {
    let mut h = Harness::sample((80, 24));
    let all = h.app.len();
    h.key(KeyCode::Char('/'));
    assert!(h.app.prompt.is_some());
    h.keys("name:Create");
    // Live: the half-typed query already ran.
    assert_eq!(h.app.len(), 0, "name:Create matches no whole name");
    h.keys("*");
    let creates = h.app.len();
    assert!(creates > 0 && creates < all);
    h.key(KeyCode::Enter);
    assert!(h.app.prompt.is_none());
    assert_eq!(h.app.query(), "name:Create*");
    // Esc cancels an edit and restores what was there.
    h.key(KeyCode::Char('/')).keys(" bob");
    assert!(h.app.len() < creates);
    h.key(KeyCode::Esc);
    assert_eq!(h.app.query(), "name:Create*");
    assert_eq!(h.app.len(), creates);
}

#[test]
fn malformed_query_shows_its_message_and_keeps_results() {
    let mut h = Harness::sample((80, 24));
    h.key(KeyCode::Char('/')).keys("actor:bob");
    let bobs = h.app.len();
    h.keys(" \"unclosed");
    let p = h.app.prompt.as_ref().unwrap();
    assert!(p.error.as_ref().unwrap().message.contains("never closed"));
    assert_eq!(h.app.len(), bobs, "previous results stay");
    // Enter does not commit a broken query.
    h.key(KeyCode::Enter);
    assert!(h.app.prompt.is_some());
    h.key_mod(KeyCode::Char('w'), KeyModifiers::CONTROL);
    assert!(h.app.prompt.as_ref().unwrap().error.is_none());
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), "actor:bob");
    assert!(h.screen().contains("actor:bob"));
}

#[test]
fn facets_add_and_exclude_terms() {
    let mut h = Harness::sample((160, 48));
    assert!(h.app.left_visible());
    h.key(KeyCode::BackTab);
    assert_eq!(h.app.focus, PaneId::Facets);
    // The cursor rests on the first value (not on a heading).
    let rows = facets::rows(h.app.results());
    let (facet, value) = rows[h.app.panes.facets.scroll.cursor];
    let (vid, count) = value.expect("a value row");
    let label = Labels::new(&h.store.read().unwrap()).label(facet, vid).to_string();
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), format!("{}:{label}", facet.query_name()));
    assert_eq!(h.app.len() as u32, count);
    // Exclude the top event name within those.
    let pos = facets::rows(h.app.results()).iter().position(|r| r.0 == Facet::Name && r.1.is_some()).unwrap();
    h.app.panes.facets.scroll.cursor = pos;
    let (_, Some((vid, n))) = facets::rows(h.app.results())[pos] else { panic!() };
    let name = Labels::new(&h.store.read().unwrap()).label(Facet::Name, vid).to_string();
    h.key(KeyCode::Char('x'));
    assert!(h.app.query().ends_with(&format!(" -name:{name}")), "{}", h.app.query());
    assert_eq!(h.app.len() as u32, count - n);
}

fn open_detail_at(h: &mut Harness, path: &str) {
    h.key(KeyCode::Enter);
    assert_eq!(h.app.focus, PaneId::Detail);
    let d = h.app.panes.detail.shown.as_ref().unwrap();
    let pos =
        d.tree.visible().iter().position(|&r| d.tree.path(r) == path).unwrap_or_else(|| panic!("{path} is shown"));
    for _ in 0..pos {
        h.key(KeyCode::Char('j'));
    }
}

#[test]
fn tree_folds_and_pivots() {
    let mut h = Harness::new(&[sample()], (80, 24), "name:CreateAccessKey");
    assert_eq!(h.app.len(), 1);
    open_detail_at(&mut h, "userIdentity");
    let shown = h.app.panes.detail.shown.as_ref().unwrap().tree.visible().len();
    h.key(KeyCode::Char('l'));
    assert_eq!(
        h.app.panes.detail.shown.as_ref().unwrap().tree.visible().len(),
        shown + 6,
        "userIdentity opens its 6 keys"
    );
    h.key(KeyCode::Char('h'));
    assert_eq!(h.app.panes.detail.shown.as_ref().unwrap().tree.visible().len(), shown);
    h.key(KeyCode::Char('e'));
    assert!(h.app.panes.detail.shown.as_ref().unwrap().tree.visible().len() > shown + 6);
    // On a value, h goes to its parent (and on a folded one, to the parent's parent).
    let d = h.app.panes.detail.shown.as_ref().unwrap();
    let at = |path: &str| d.tree.visible().iter().position(|&r| d.tree.path(r) == path).unwrap();
    let (user, identity) = (at("userIdentity.userName"), at("userIdentity"));
    h.app.panes.detail.set_tree_cursor(user);
    h.key(KeyCode::Char('h'));
    assert_eq!(h.app.panes.detail.tree_cursor(), Some(identity));
    h.key(KeyCode::Char('c'));
    assert!(h.app.panes.detail.shown.as_ref().unwrap().tree.visible().len() < shown);
    h.key(KeyCode::Char('e'));
    // Pivot on the access key: every event of that key.
    let d = h.app.panes.detail.shown.as_ref().unwrap();
    let pos = d.tree.visible().iter().position(|&r| d.tree.path(r) == "userIdentity.accessKeyId").unwrap();
    h.app.panes.detail.set_tree_cursor(pos);
    h.key(KeyCode::Char('f'));
    assert_eq!(h.app.query(), "name:CreateAccessKey userIdentity.accessKeyId:AKIAQ3EGRJ4VBOBKEY77");
    // Without the first term, the pivot alone finds all of bob's key's events.
    h.key(KeyCode::Esc).key(KeyCode::Char('/')).key(KeyCode::Home);
    for _ in 0.."name:CreateAccessKey ".len() {
        h.key(KeyCode::Delete);
    }
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), "userIdentity.accessKeyId:AKIAQ3EGRJ4VBOBKEY77");
    let s = h.store.read().unwrap();
    let ids = h.app.results().ids.clone();
    assert!(ids.len() > 50);
    assert!(ids.iter().all(|&i| s.value(i, Facet::AccessKey) == "AKIAQ3EGRJ4VBOBKEY77"));
}

#[test]
fn pivot_drops_array_positions() {
    let mut h = Harness::new(&[sample()], (80, 24), "name:GetObject ip:198.51.100.23");
    let first = h.app.len();
    open_detail_at(&mut h, "resources");
    h.key(KeyCode::Char('e'));
    let d = h.app.panes.detail.shown.as_ref().unwrap();
    let pos = d.tree.visible().iter().position(|&r| d.tree.path(r) == "resources[1].ARN").unwrap();
    h.app.panes.detail.set_tree_cursor(pos);
    h.key(KeyCode::Char('f'));
    assert!(h.app.query().ends_with(" resources.ARN:arn:aws:s3:::prod-db-backups"), "{}", h.app.query());
    assert_eq!(h.app.len(), first, "every exfiltrated object names the bucket");
}

#[test]
fn copies_carry_the_real_content() {
    let mut h = Harness::new(&[sample()], (80, 24), "agent:*legit-agent*");
    assert_eq!(h.app.len(), 1);
    h.key(KeyCode::Char('y'));
    let (payload, what) = h.copies.last().unwrap().clone();
    assert_eq!(what, "event JSON");
    let v: Value = serde_json::from_str(&payload).unwrap();
    let original = reference_tree(&sample()).into_iter().find(|r| r["eventID"] == v["eventID"]).unwrap();
    assert_eq!(v, original, "the copy is the record, every field");
    assert!(v["userAgent"].as_str().unwrap().contains('\u{1b}'), "the clipboard gets the raw text");
    assert!(payload.contains("\n  \"eventVersion\""), "pretty-printed");
    // Y and p copy the node's value and path in the detail.
    open_detail_at(&mut h, "requestParameters.instancesSet.items[0].imageId");
    h.key(KeyCode::Char('Y'));
    assert_eq!(h.copies.last().unwrap().0, "ami-0f1e2d3c4b5a69788");
    h.key(KeyCode::Char('p'));
    assert_eq!(h.copies.last().unwrap().0, "requestParameters.instancesSet.items[0].imageId");
    h.key(KeyCode::Char('k')).key(KeyCode::Char('k')).key(KeyCode::Char('Y'));
    let items: Value = serde_json::from_str(&h.copies.last().unwrap().0).unwrap();
    assert_eq!(items[0]["imageId"], "ami-0f1e2d3c4b5a69788");
}

#[test]
fn order_and_time_toggles_keep_the_selection() {
    let mut h = Harness::sample((80, 24));
    for _ in 0..5 {
        h.key(KeyCode::Char('j'));
    }
    let picked = h.app.selected();
    h.key(KeyCode::Char('o'));
    assert!(h.app.panes.list.reversed);
    assert_eq!(h.app.selected(), picked);
    assert_eq!(h.app.panes.list.scroll.cursor, h.app.len() - 6);
    let before = h.screen();
    h.key(KeyCode::Char('t'));
    assert_eq!(h.app.selected(), picked);
    h.key(KeyCode::Char('t'));
    assert_eq!(h.screen(), before);
}

#[test]
fn stale_results_are_dropped() {
    let mut h = Harness::sample((80, 24));
    let old = h.app.search();
    let newer = h.app.search();
    let (trailscope::tui::action::Effect::Search(old), trailscope::tui::action::Effect::Search(new)) =
        (&old[0], &newer[0])
    else {
        panic!()
    };
    let mut q = new.clone();
    q.query = trailscope::query::parse("name:GetObject").unwrap();
    let run = |req: &trailscope::engine::Request| {
        let mut out = None;
        trailscope::engine::search::execute(&h.app.data, req, &trailscope::query::Cancel::new(), &mut |r| {
            out = Some(r)
        });
        out.unwrap()
    };
    let (r_new, r_old) = (run(&q), run(old));
    h.act(Action::SearchDone(Box::new(r_new.clone())));
    h.act(Action::SearchDone(Box::new(r_old)));
    assert_eq!(h.app.results().ids, r_new.ids, "the older search arriving late does not replace the newer");
    assert!(h.app.search.pending.is_none());
}

#[test]
fn overlays_open_scroll_and_close() {
    let mut h = Harness::sample((80, 24));
    let overlay = |h: &Harness| h.app.overlay.as_ref().map(|o| o.scope());
    h.key(KeyCode::Char('?'));
    assert_eq!(overlay(&h), Some(Scope::Help));
    let top = h.screen();
    h.key(KeyCode::Char('j'));
    let second = h.screen();
    assert_ne!(top, second, "j scrolls the help");
    h.key(KeyCode::Char('k'));
    assert_eq!(h.screen(), top);
    for _ in 0..500 {
        h.key(KeyCode::Char('j'));
    }
    let bottom = h.screen();
    h.key(KeyCode::Char('k'));
    assert_ne!(h.screen(), bottom, "the help scrolls back at once after overshooting");
    assert_eq!(h.app.panes.list.scroll.cursor, 0, "keys go to the overlay");
    h.key(KeyCode::Esc);
    assert_eq!(overlay(&h), None);
    h.key(KeyCode::Char('!'));
    assert_eq!(overlay(&h), Some(Scope::Problems));
    assert!(h.screen().contains("No problems"));
    h.key(KeyCode::Char('?'));
    assert_eq!(overlay(&h), Some(Scope::Problems), "? is the help's key, not the problems'");
    h.key(KeyCode::Char('!'));
    assert_eq!(overlay(&h), None);
    h.key(KeyCode::Char('q'));
    assert!(h.app.quit);
}

#[test]
fn mouse_scrolls_and_clicks_the_pane_under_it() {
    let mut h = Harness::sample((160, 48));
    let list = h.app.areas().of(PaneId::List).unwrap();
    // The list's first row holds the column headings.
    h.act(Action::ClickAt { x: list.x + 5, y: list.y + 1 + 4 });
    assert_eq!(h.app.panes.list.scroll.cursor, 4);
    h.act(Action::ScrollAt { x: list.x + 5, y: list.y + 10, down: true });
    assert_eq!(h.app.panes.list.scroll.cursor, 7);
    let detail = h.app.areas().of(PaneId::Detail).unwrap();
    h.act(Action::ClickAt { x: detail.x + 3, y: detail.y + 3 });
    assert_eq!(h.app.focus, PaneId::Detail);
    assert_eq!(h.app.panes.detail.shown.as_ref().unwrap().scroll.cursor, 2);
    h.act(Action::ScrollAt { x: detail.x + 3, y: detail.y + 3, down: true });
    assert_eq!(h.app.panes.detail.shown.as_ref().unwrap().scroll.cursor, 5);
}

#[test]
fn narrow_terminals_show_one_pane_at_a_time() {
    let mut h = Harness::sample((80, 24));
    assert!(h.app.areas().of(PaneId::Detail).is_none() && h.app.areas().of(PaneId::Facets).is_none());
    h.key(KeyCode::Enter);
    let a = h.app.areas();
    assert!(a.of(PaneId::Detail).is_some() && a.of(PaneId::List).is_none());
    h.key(KeyCode::Esc);
    h.key(KeyCode::Char('F'));
    let a = h.app.areas();
    assert_eq!(h.app.focus, PaneId::Facets);
    assert!(a.of(PaneId::Facets).is_some() && a.of(PaneId::List).is_none());
    h.key(KeyCode::Char('F'));
    assert_eq!(h.app.focus, PaneId::List);
    // Every size down to nothing draws without panicking.
    for (w, hh) in [(40, 12), (20, 5), (1, 1), (300, 100), (0, 0), (3, 40)] {
        h.act(Action::Resize(w, hh));
        for k in [KeyCode::Enter, KeyCode::Char('j'), KeyCode::Tab, KeyCode::Char('F'), KeyCode::Char('?')] {
            h.key(k);
            let _ = h.screen();
        }
        h.key(KeyCode::Esc).key(KeyCode::Esc);
    }
}

#[test]
fn a_long_problem_list_scrolls_to_its_end_and_no_further() {
    let dir = tempdir("many-problems");
    for i in 0..60 {
        std::fs::write(dir.join(format!("bad{i:02}.json")), b"not json").unwrap();
    }
    std::fs::write(dir.join("ok.json"), br#"{"eventTime":"2024-01-01T00:00:00Z"}"#).unwrap();
    let mut h = Harness::new(std::slice::from_ref(&dir), (80, 24), "");
    h.key(KeyCode::Char('!'));
    assert!(h.screen().contains("bad00.json") && !h.screen().contains("bad59.json"));
    for _ in 0..500 {
        h.key(KeyCode::Char('j'));
    }
    let end = h.screen();
    assert!(end.contains("bad59.json") && !end.contains("bad00.json"), "{end}");
    assert!(end.contains("60 problems"));
    h.key(KeyCode::Char('k'));
    h.key(KeyCode::Char('k'));
    assert_ne!(h.screen(), end, "scrolling back moves at once, not after the overshoot");
}

/// A record whose `a` holds `depth` nested arrays around `{"b":"x"}`.
fn deep_record(dir: &std::path::Path, depth: usize) -> std::path::PathBuf {
    let p = dir.join("deep.json");
    let rec = format!(
        r#"{{"eventTime":"2024-01-01T00:00:00Z","eventName":"Deep","eventID":"d","a":{}{{"b":"x"}}{}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    std::fs::write(&p, rec).unwrap();
    p
}

#[test]
fn pivot_through_200_000_nested_arrays() {
    let dir = tempdir("tui-deep");
    let mut h = Harness::new(&[deep_record(&dir, 200_000), sample()], (80, 24), "");
    h.key(KeyCode::Char('/')).keys("name:Deep").key(KeyCode::Enter);
    assert_eq!(h.app.len(), 1);
    h.key(KeyCode::Enter).key(KeyCode::Char('e')).key(KeyCode::Char('G'));
    let d = h.app.panes.detail.shown.as_ref().unwrap();
    let leaf = d.tree.visible()[d.scroll.cursor];
    assert_eq!(d.tree.rows[leaf].depth, 200_002, "the leaf keeps its real depth");
    assert!(d.tree.path(leaf).ends_with("[0][0].b"));
    h.key(KeyCode::Char('f'));
    assert_eq!(h.app.query(), "name:Deep a.b:x");
    assert_eq!(h.app.len(), 1, "the pivot finds the event through every level");
    let screen = h.screen();
    let leaf_line =
        screen.lines().find(|l| l.contains("b: \"x\"")).unwrap_or_else(|| panic!("the leaf is shown:\n{screen}"));
    assert!(leaf_line.contains("⋯200001 "), "deep rows show their level, not 200,000 indents:\n{screen}");
}

#[test]
fn a_paste_is_one_edit_and_the_prompt_is_bounded() {
    let mut h = Harness::sample((80, 24));
    h.key(KeyCode::Char('/'));
    let searches_before = h.searches;
    h.act(Action::InsertText("name:Get* ".repeat(4000)));
    assert_eq!(h.searches, searches_before + 1, "one search for the whole paste");
    let p = h.app.prompt.as_ref().unwrap();
    assert_eq!(p.text.len(), trailscope::tui::prompt::MAX_QUERY_BYTES);
    assert_eq!(p.cursor, p.text.len());
    h.key(KeyCode::Char('x'));
    assert_eq!(h.app.prompt.as_ref().unwrap().text.len(), trailscope::tui::prompt::MAX_QUERY_BYTES, "full");
}

/// The events of the current list that set off a rule, with their level.
fn flagged_rows(h: &Harness) -> Vec<usize> {
    let found = h.app.data.found();
    (0..h.app.len())
        .filter(|&row| h.app.panes.list.event_at(h.app.results(), row).is_some_and(|id| found.level(id).is_some()))
        .collect()
}

#[test]
fn n_and_shift_n_move_between_flagged_events() {
    let mut h = Harness::sample((160, 48));
    let flagged = flagged_rows(&h);
    assert!(flagged.len() >= 3, "the sample sets off rules: {flagged:?}");
    h.key(KeyCode::Char('n'));
    assert_eq!(h.app.panes.list.scroll.cursor, flagged[0]);
    h.key(KeyCode::Char('n'));
    assert_eq!(h.app.panes.list.scroll.cursor, flagged[1]);
    h.key(KeyCode::Char('N'));
    assert_eq!(h.app.panes.list.scroll.cursor, flagged[0]);
    h.key(KeyCode::Char('N'));
    assert_eq!(h.app.panes.list.scroll.cursor, flagged[0], "nothing flagged before the first: the cursor stays");
    assert!(h.app.status.as_deref().is_some_and(|s| s.contains("no flagged event")));
    h.key(KeyCode::Char('G'));
    let last = h.app.panes.list.scroll.cursor;
    h.key(KeyCode::Char('N'));
    assert_eq!(h.app.panes.list.scroll.cursor, *flagged.iter().rev().find(|&&r| r < last).unwrap());
}

#[test]
fn the_detections_panel_adds_and_excludes_rules_and_levels() {
    use trailscope::tui::panes::detections::{self, Row};
    let mut h = Harness::sample((160, 48));
    assert!(h.app.areas().of(PaneId::Detections).is_some(), "shown on a wide screen when rules are loaded");
    h.key(KeyCode::BackTab).key(KeyCode::BackTab);
    assert_eq!(h.app.focus, PaneId::Detections);
    let rows = detections::rows(h.app.results(), &h.app.data.found());
    // The cursor rests on the most serious level: Enter keeps the events at that level or above.
    let Row::Level(level, n) = rows[h.app.panes.detections.scroll.cursor] else { panic!("{rows:?}") };
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), format!("level:{}", level.name()));
    assert_eq!(h.app.len() as u32, n);
    {
        let found = h.app.data.found();
        assert!(h.app.results().ids.iter().all(|&id| found.level(id) >= Some(level)));
    }
    // Exclude the rule with the most events among these.
    let rows = detections::rows(h.app.results(), &h.app.data.found());
    let pos = rows.iter().position(|r| matches!(r, Row::Rule(..))).expect("a rule row");
    let Row::Rule(rule, m, _) = rows[pos] else { unreachable!() };
    {
        // Each rule's rows are those `detect` prints for it over these events.
        let (found, store) = (h.app.data.found(), h.app.data.read());
        let folded = trailscope::detect::fold::rows(&found, &store, Some(&h.app.results().ids), None, false);
        let mut checked = 0;
        for row in &rows {
            let &Row::Rule(r, n, shown) = row else { continue };
            let of_rule: Vec<_> = folded.iter().filter(|f| f.index == r).collect();
            assert_eq!(shown as usize, of_rule.len(), "{}", found.rules.rules[r].meta.key());
            assert!(shown <= n);
            checked += (shown < n) as usize;
        }
        assert!(checked > 0, "some rule folds repeats on the sample");
    }
    h.app.panes.detections.scroll.cursor = pos;
    h.key(KeyCode::Char('x'));
    let key = h.app.data.found().rules.rules[rule].meta.key().to_string();
    assert!(h.app.query().ends_with(&format!(" -rule:{key}")), "{}", h.app.query());
    let found = h.app.data.found();
    let of_rule = found.events_of(rule);
    assert!(h.app.results().ids.iter().all(|id| of_rule.binary_search(id).is_err()));
    assert!(h.app.len() as u32 >= n - m);
}

#[test]
fn the_detail_lists_findings_and_enter_on_a_correlation_shows_its_events() {
    let mut h = Harness::sample((160, 48));
    // An event in a correlation match, if the sample has one; else any flagged event.
    let (row, corr) = {
        let found = h.app.data.found();
        let in_corr = found.correlations.first().map(|m| (m.events[0], m.clone()));
        let (id, corr) = match in_corr {
            Some((id, m)) => (id, Some(m)),
            None => (h.app.panes.list.event_at(h.app.results(), flagged_rows(&h)[0]).unwrap(), None),
        };
        ((0..h.app.len()).find(|&r| h.app.panes.list.event_at(h.app.results(), r) == Some(id)).unwrap(), corr)
    };
    h.app.panes.list.scroll.cursor = row;
    h.key(KeyCode::Enter);
    assert_eq!(h.app.focus, PaneId::Detail);
    let head = h.app.panes.detail.head.clone();
    assert!(!head.is_empty(), "findings are listed above the tree");
    let d = h.app.panes.detail.shown.as_ref().unwrap();
    assert_eq!(d.scroll.cursor, head.len(), "the cursor starts on the tree");
    let screen = h.screen();
    let start: String = head[0].text.chars().take(24).collect();
    assert!(screen.contains(&start), "{screen}");
    let Some(corr) = corr else { return };
    // Up to the correlation's lines; Enter filters the list to its events.
    let title = &h.app.data.found().rules.rules[corr.rule].meta.title.clone();
    let pos = head.iter().position(|l| l.text.ends_with(title.as_str())).expect("the correlation is listed");
    for _ in pos..head.len() {
        h.key(KeyCode::Char('k'));
    }
    h.key(KeyCode::Enter);
    let mut want = corr.events.clone();
    want.sort_unstable();
    let mut got = h.app.results().ids.to_vec();
    got.sort_unstable();
    assert_eq!(got, want, "query: {}", h.app.query());
}

#[test]
fn s_opens_the_chain_and_enter_shows_a_hops_events() {
    let dir = tempdir("tui-chain");
    let uid = |kind: &str, name: &str, key: &str| match kind {
        "user" => {
            serde_json::json!({"type": "IAMUser", "arn": format!("arn:aws:iam::111111111111:user/{name}"), "accountId": "111111111111", "accessKeyId": key, "userName": name})
        }
        role => {
            serde_json::json!({"type": "AssumedRole", "arn": format!("arn:aws:sts::111111111111:assumed-role/{role}/{name}"), "accountId": "111111111111", "accessKeyId": key,
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": role}}})
        }
    };
    let ev = |min: u32, name: &str, who: Value, issued: Option<&str>| {
        serde_json::json!({"eventTime": format!("2024-05-14T10:{min:02}:00Z"), "eventSource": "sts.amazonaws.com", "eventName": name,
            "userIdentity": who, "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15.0", "eventID": format!("e{min}"),
            "responseElements": issued.map(|k| serde_json::json!({"credentials": {"accessKeyId": k}}))})
    };
    let lines = [
        ev(1, "AssumeRole", uid("user", "alice", "AKIAALICE0000000001"), Some("ASIAOPS00000000001")),
        ev(2, "AssumeRole", uid("Ops", "alice", "ASIAOPS00000000001"), Some("ASIAAUDIT000000001")),
        ev(3, "ListBuckets", uid("Audit", "alice", "ASIAAUDIT000000001"), None),
        ev(4, "ListUsers", uid("Audit", "alice", "ASIAAUDIT000000001"), None),
        ev(5, "GetCallerIdentity", uid("user", "bob", "AKIABOB00000000001"), None),
    ];
    let path = dir.join("chain.jsonl");
    std::fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).unwrap();
    let mut h = Harness::new(&[path], (120, 40), "name:ListBuckets");
    assert_eq!(h.app.len(), 1);
    h.key(KeyCode::Char('s'));
    assert_eq!(h.app.scopes()[0], Scope::Chain);
    let screen = h.screen();
    assert!(screen.contains("credential chain") && screen.contains("origin") && screen.contains("alice"), "{screen}");
    let (first, hops) = {
        // The hops, origin first: alice, Ops/alice, Audit/alice.
        let s = h.screen();
        let at = |t: &str| s.find(t).unwrap_or_else(|| panic!("{t} on screen:\n{s}"));
        (at("origin"), [at("Ops/alice"), at("Audit/alice")])
    };
    assert!(first < hops[0] && hops[0] < hops[1], "origin first");
    // Down to the last hop (the event's own session): Enter shows every event done with its key.
    h.key(KeyCode::Char('j')).key(KeyCode::Char('j')).key(KeyCode::Enter);
    assert!(h.app.overlay.is_none());
    assert_eq!(h.app.query(), "session:ASIAAUDIT000000001");
    assert_eq!(h.app.len(), 2, "ListBuckets and ListUsers");
    // From the origin, `f` adds the session of alice's own key (every session issued from it) to the query.
    h.key(KeyCode::Char('s')).key(KeyCode::Char('g')).key(KeyCode::Char('f'));
    assert_eq!(h.app.query(), "session:ASIAAUDIT000000001 session:AKIAALICE0000000001");
    assert_eq!(h.app.len(), 2);
    // The origin facet counts every event by the identity behind it; Enter keeps one origin.
    let mut h = Harness::new(&[dir.join("chain.jsonl")], (160, 48), "");
    // The list shows the origin where it differs from the actor.
    let screen = h.screen();
    assert!(screen.contains("ORIGIN"), "{screen}");
    let row = screen.lines().find(|l| l.contains("ListBuckets")).unwrap();
    assert!(row.contains("Audit/alice") && row.split("Audit/alice").nth(1).unwrap().contains("alice"), "{row}");
    let bob = screen.lines().find(|l| l.contains("GetCallerIdentity")).unwrap();
    assert_eq!(bob.matches("bob").count(), 1, "the origin is left blank where it is the actor: {bob}");
    let origins = h.app.results().facets.iter().find(|c| c.field == Facet::Origin).expect("an origin facet").clone();
    let shown: Vec<(String, u32)> =
        origins.values.iter().map(|&(v, n)| (origins.labels[v as usize - 1].clone(), n)).collect();
    assert_eq!(shown, [("alice".to_string(), 4), ("bob".to_string(), 1)]);
    let pos = facets::rows(h.app.results()).iter().position(|r| r.0 == Facet::Origin && r.1.is_some()).unwrap();
    h.key(KeyCode::BackTab);
    h.app.panes.facets.scroll.cursor = pos;
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), "origin:alice");
    assert_eq!(h.app.len(), 4);
}

#[test]
fn a_lists_identities_sorts_them_and_enter_keeps_ones_events() {
    let mut h = Harness::sample((120, 40));
    h.key(KeyCode::Char('a'));
    assert_eq!(h.app.scopes()[0], Scope::Actors);
    let screen = h.screen();
    assert!(screen.contains("sorted by events") && screen.contains("ACTOR"), "{screen}");
    // The busiest identity first; the facet counts agree.
    let top = {
        let actor = h.app.results().facets.iter().find(|c| c.field == Facet::Actor).unwrap().values[0];
        (Labels::new(&h.store.read().unwrap()).label(Facet::Actor, actor.0).to_string(), actor.1)
    };
    let line = screen.lines().find(|l| l.contains(&top.0)).expect("the top actor is listed").to_string();
    assert!(line.contains(&top.1.to_string()), "{line}");
    // o sorts by denied calls: the first row then has the most.
    h.key(KeyCode::Char('o'));
    assert!(h.screen().contains("sorted by denied"));
    h.key(KeyCode::Enter);
    let q = h.app.query().to_string();
    assert!(q.starts_with("actor:"), "{q}");
    assert!(!h.app.is_empty());
    // b groups by origin; Enter then filters by origin.
    h.key(KeyCode::Char('/'))
        .key(KeyCode::Char('u'))
        .key_mod(KeyCode::Char('u'), KeyModifiers::CONTROL)
        .key(KeyCode::Enter);
    h.key(KeyCode::Char('a')).key(KeyCode::Char('b'));
    assert!(h.screen().contains("ORIGIN"));
    h.key(KeyCode::Enter);
    assert!(h.app.query().starts_with("origin:"), "{}", h.app.query());
    assert!(!h.app.is_empty());
}

#[test]
fn the_incidents_open_first_and_keep_filter_or_exclude_one() {
    use trailscope::tui::action::Action;
    // Opened when they are worked out, if nothing was pressed yet and no query was given.
    let mut h = Harness::sample((160, 48));
    h.app.config.incidents_first = true;
    h.act(Action::IncidentsReady);
    assert_eq!(h.app.scopes()[0], trailscope::tui::keymap::Scope::Incidents);
    let mut pressed = Harness::sample((160, 48));
    pressed.app.config.incidents_first = true;
    pressed.key(KeyCode::Char('j'));
    pressed.act(Action::IncidentsReady);
    assert!(pressed.app.overlay.is_none(), "not over what the responder started");
    // Enter keeps the first incident's events, in time order; the detail names it.
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), "incident:1");
    let (first, events) = {
        let inc = h.app.data.incidents.read().unwrap();
        let i = inc.get(1).unwrap();
        (i.origin.clone(), i.events.clone())
    };
    let mut shown = h.app.results().ids.to_vec();
    assert_eq!(shown.len(), events.len());
    shown.sort_unstable();
    let mut want = events.clone();
    want.sort_unstable();
    assert_eq!(shown, want);
    h.key(KeyCode::Enter);
    let head = h.app.panes.detail.head.iter().map(|l| l.text.clone()).collect::<Vec<_>>().join("\n");
    assert!(head.contains("incident 1 · score") && head.contains(&format!("chain: {first}")), "{head}");
    // n moves among the flagged events of the incident only.
    h.key(KeyCode::Esc);
    for _ in 0..3 {
        h.key(KeyCode::Char('n'));
        let id = h.app.selected().unwrap();
        assert!(events.contains(&id));
    }
    // f adds incident:N to the query, x excludes it.
    h.key(KeyCode::Char('i')).key(KeyCode::Down).key(KeyCode::Char('f'));
    assert_eq!(h.app.query(), "incident:1 incident:2");
    assert!(h.app.is_empty(), "an event is in one incident");
    h.key(KeyCode::Char('i')).key(KeyCode::Char('x'));
    assert_eq!(h.app.query(), "incident:1 incident:2 -incident:1");
}

/// Defects of a responder's pass, each fixed and kept so.
#[test]
fn up_leaves_the_first_value_of_a_facet_group_for_the_group_above() {
    let mut h = Harness::sample((160, 48));
    h.key(KeyCode::BackTab);
    assert_eq!(h.app.focus, PaneId::Facets);
    let rows = facets::rows(h.app.results());
    // The first value of the second group; one row above it is that group's heading.
    let second = rows.iter().enumerate().filter(|(_, r)| r.1.is_none()).nth(1).map(|(i, _)| i + 1).unwrap();
    h.app.panes.facets.scroll.cursor = second;
    h.key(KeyCode::Char('k'));
    assert_eq!(h.app.panes.facets.scroll.cursor, second - 2, "on the last value of the group above");
    assert!(rows[second - 2].1.is_some());
    h.key(KeyCode::Down).key(KeyCode::Up);
    assert_eq!(h.app.panes.facets.scroll.cursor, second - 2);
    // At the very top there is nowhere to go.
    h.key(KeyCode::Char('g')).key(KeyCode::Up);
    assert_eq!(h.app.panes.facets.scroll.cursor, 1);
}

#[test]
fn after_a_search_the_list_has_the_focus() {
    let mut h = Harness::sample((160, 48));
    h.key(KeyCode::BackTab);
    assert_eq!(h.app.focus, PaneId::Facets);
    h.key(KeyCode::Char('/')).keys("name:CreateUser").key(KeyCode::Enter);
    assert_eq!(h.app.focus, PaneId::List);
    // So the next Enter opens the event, not a facet term.
    h.key(KeyCode::Enter);
    assert_eq!(h.app.query(), "name:CreateUser");
    assert_eq!(h.app.focus, PaneId::Detail);
}

#[test]
fn a_value_no_event_can_have_is_an_error_and_the_last_results_stay() {
    let mut h = Harness::new(&[sample()], (160, 48), "name:CreateUser");
    let before = h.app.len();
    h.key(KeyCode::Char('/')).key(KeyCode::End).act(trailscope::tui::action::Action::InsertText(" level:hihg".into()));
    let p = h.app.prompt.as_ref().expect("the prompt");
    assert!(p.error.as_ref().is_some_and(|e| e.message.contains("level is one of")), "{:?}", p.error);
    assert_eq!(h.app.len(), before, "the last good results stay");
    assert!(h.screen().contains("DETECTIONS"));
    for bad in ["new:ipp", "incident:first"] {
        h.key_mod(KeyCode::Char('u'), crossterm::event::KeyModifiers::CONTROL).keys(bad);
        assert!(h.app.prompt.as_ref().unwrap().error.is_some(), "{bad}");
    }
}

#[test]
fn newest_first_says_so_and_n_says_which_way_it_went() {
    let mut h = Harness::sample((160, 48));
    h.key(KeyCode::Char('o'));
    assert!(h.screen().contains("TIME ↑ newest first"));
    h.key(KeyCode::Char('G'));
    h.key(KeyCode::Char('n'));
    let status = h.app.status.clone().unwrap_or_default();
    assert_eq!(status, "no flagged event before this one (newest first)");
    h.key(KeyCode::Char('o'));
    assert!(!h.screen().contains("TIME ↑"));
}

#[test]
fn the_identities_overlay_shows_first_and_last_seen_in_full() {
    for (size, both) in [((160u16, 48u16), true), ((80, 24), false)] {
        let mut h = Harness::sample(size);
        h.key(KeyCode::Char('a'));
        let screen = h.screen();
        let times = screen.lines().filter(|l| l.matches("2024-05-1").count() >= if both { 2 } else { 1 }).count();
        assert!(times > 3, "{screen}");
        // Full times: a date, a T and the seconds with a Z.
        assert!(screen.contains("Z│") || screen.contains("Z "), "{screen}");
        assert_eq!(screen.contains("FIRST SEEN"), both, "{screen}");
    }
}

#[test]
fn on_a_small_screen_tab_reaches_every_panel_and_a_rule_shows_its_results() {
    let mut h = Harness::sample((80, 24));
    assert!(!h.app.left_visible());
    let mut seen = Vec::new();
    for _ in 0..6 {
        h.key(KeyCode::Tab);
        seen.push(h.app.focus);
        // The focused pane is on screen.
        assert!(h.app.areas().of(h.app.focus).is_some(), "{:?}", h.app.focus);
    }
    assert!(seen.contains(&PaneId::Detections) && seen.contains(&PaneId::Facets), "{seen:?}");
    // Enter on a rule in the (full-screen) detections panel: the list shows its events.
    while h.app.focus != PaneId::Detections {
        h.key(KeyCode::Tab);
    }
    let rows = trailscope::tui::panes::detections::rows(h.app.results(), &h.app.data.found());
    h.app.panes.detections.scroll.cursor =
        rows.iter().position(|r| matches!(r, trailscope::tui::panes::detections::Row::Rule(..))).unwrap();
    h.key(KeyCode::Enter);
    assert!(h.app.query().starts_with("rule:"), "{}", h.app.query());
    assert_eq!(h.app.focus, PaneId::List);
    assert!(h.app.areas().of(PaneId::List).is_some());
    // The header keeps the way to the help, however much it has to say.
    assert!(h.screen().lines().next().unwrap().ends_with("? help"));
}

#[test]
fn the_columns_stay_put_as_the_list_pages() {
    for size in [(80, 24), (160, 45), (220, 55)] {
        let mut h = Harness::sample(size);
        let heading = |h: &Harness| {
            let screen = h.screen();
            let line = screen.lines().find(|l| l.contains("TIME")).unwrap_or_default().to_string();
            line.split('│').find(|part| part.contains("TIME")).unwrap_or_default().to_string()
        };
        let first = heading(&h);
        let mut pages = 0;
        while h.app.panes.list.scroll.cursor + 1 < h.app.len() {
            h.key(KeyCode::PageDown);
            assert_eq!(heading(&h), first, "{size:?}, page {pages}");
            pages += 1;
        }
        assert!(pages > 5, "{size:?}: the list was paged through");
    }
}

#[test]
fn y_copies_what_is_selected_and_w_shows_a_value_in_full() {
    let mut h = Harness::new(&[sample()], (160, 45), "name:StopLogging");
    h.key(KeyCode::Char('Y'));
    let (row, what) = h.copies.last().cloned().unwrap();
    assert_eq!(what, "row");
    assert!(row.contains("StopLogging") && row.contains('\t'), "{row}");
    // A facet's term.
    h.key(KeyCode::Tab);
    while h.app.focus != trailscope::tui::panes::PaneId::Facets {
        h.key(KeyCode::Tab);
    }
    h.key(KeyCode::Char('Y'));
    let (term, what) = h.copies.last().cloned().unwrap();
    assert_eq!(what, "term");
    assert!(trailscope::query::parse(&term).is_ok() && term.contains(':'), "{term}");
    // The detail: `w` on a finding shows its rule's whole description; on a value, the value.
    h.key(KeyCode::Esc).key(KeyCode::Enter);
    let finding = h.app.panes.detail.head.iter().position(|l| l.more.is_some()).expect("a finding");
    h.key(KeyCode::Char('g'));
    for _ in 0..finding {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Char('w'));
    let screen = h.screen();
    assert!(screen.contains("finding ·") && screen.contains("Y copy"), "{screen}");
    h.key(KeyCode::Char('Y'));
    let (full, _) = h.copies.last().cloned().unwrap();
    let more = h.app.panes.detail.head[finding].more.clone().unwrap();
    assert_eq!(full, more);
    assert!(full.lines().count() >= 3, "title, description, source: {full}");
    h.key(KeyCode::Esc);
    assert!(h.app.overlay.is_none());
}

#[test]
fn the_identities_overlay_shows_long_names_whole_when_the_screen_allows() {
    let dir = tempdir("long-names");
    let session = "AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice.with.a.long.name@example.com";
    let event = serde_json::json!({
        "eventTime": "2024-05-01T10:00:00Z", "eventSource": "s3.amazonaws.com", "eventName": "ListBuckets",
        "eventID": "1", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.1",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice",
            "arn": format!("arn:aws:sts::111122223333:assumed-role/{session}"), "accountId": "111122223333"}
    });
    let file = dir.join("long.jsonl");
    std::fs::write(&file, format!("{event}\n")).unwrap();
    let mut h = Harness::new(&[file], (220, 55), "");
    let actor = h.store.read().unwrap().value(0, Facet::Actor).to_string();
    assert!(actor.chars().count() > 80, "{actor}");
    h.key(KeyCode::Char('a'));
    assert!(h.screen().contains(&actor), "{actor} whole:\n{}", h.screen());
    // At 120 columns it is cut, but the columns after it stay.
    let mut h = Harness::new(&[dir.join("long.jsonl")], (120, 30), "");
    h.key(KeyCode::Char('a'));
    assert!(!h.screen().contains(&actor) && h.screen().contains("LAST SEEN"), "{}", h.screen());
}

#[test]
fn w_on_a_rule_in_the_detections_panel_shows_it_whole() {
    let mut h = Harness::new(&[sample()], (160, 45), "name:StopLogging");
    while h.app.focus != trailscope::tui::panes::PaneId::Detections {
        h.key(KeyCode::Tab);
    }
    // Down past the levels to the first rule.
    for _ in 0..12 {
        h.key(KeyCode::Down);
    }
    h.key(KeyCode::Char('w'));
    let screen = h.screen();
    assert!(screen.contains(" rule · ") && screen.contains("cloudtrail_tampering_attempt_denied"), "{screen}");
}

#[test]
fn the_header_says_when_the_text_index_is_coming_or_gave_up_and_when_memory_stopped_loading() {
    use trailscope::engine::dataset::Indexing;
    let h = Harness::new(&[sample()], (200, 30), "");
    let header = |h: &Harness| h.screen().lines().next().unwrap_or_default().to_string();
    assert!(!header(&h).contains("index"), "nothing to say once it is ready: {}", header(&h));
    *h.app.data.index.write().unwrap() = Indexing::Coming;
    assert!(header(&h).contains("indexing text…"), "{}", header(&h));
    *h.app.data.index.write().unwrap() = Indexing::GaveUp;
    assert!(header(&h).contains("text not indexed: quoted text and paths read every record"), "{}", header(&h));
    // Loading stopped at the memory limit: that is what the header says (the index was not built for it).
    h.app.data.progress.memory_short.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(
        header(&h).contains("loading stopped before memory ran short: not every file was read (!)"),
        "{}",
        header(&h)
    );
    assert!(!header(&h).contains("text not indexed"), "{}", header(&h));
}
