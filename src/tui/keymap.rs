//! The key table: input handling, the help screen and the footer's hints all
//! read it, so none of them can drift from what the keys do.

use super::action::Action;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where a binding applies. Each pane and overlay has its own scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Searched before every other scope, whatever has the focus.
    Always,
    /// Searched after the focused pane's scope.
    Global,
    List,
    Detail,
    Facets,
    Detections,
    Prompt,
    /// Searched after the open overlay's own scope.
    Overlay,
    Help,
    Problems,
    Chain,
    Actors,
    Incidents,
    Case,
    Pager,
}

impl Scope {
    /// Every scope, in the order the help lists them.
    pub const ALL: [Scope; 15] = [
        Scope::Always,
        Scope::Global,
        Scope::List,
        Scope::Detail,
        Scope::Facets,
        Scope::Detections,
        Scope::Prompt,
        Scope::Overlay,
        Scope::Help,
        Scope::Problems,
        Scope::Chain,
        Scope::Actors,
        Scope::Incidents,
        Scope::Case,
        Scope::Pager,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Scope::Always => "Always",
            Scope::Global => "Everywhere",
            Scope::List => "Event list",
            Scope::Detail => "Detail tree",
            Scope::Facets => "Facets",
            Scope::Detections => "Detections",
            Scope::Prompt => "Query prompt",
            Scope::Overlay => "Any overlay",
            Scope::Help => "Help",
            Scope::Problems => "Problems",
            Scope::Chain => "Credential chain",
            Scope::Actors => "Identities",
            Scope::Incidents => "Incidents",
            Scope::Case => "Case",
            Scope::Pager => "Full text",
        }
    }
}

/// A key with the modifiers it needs. Shift is part of the character (`G`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn k(c: char) -> Key {
    Key { code: KeyCode::Char(c), ctrl: false }
}
const fn ctrl(c: char) -> Key {
    Key { code: KeyCode::Char(c), ctrl: true }
}
const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

pub struct Binding {
    pub scope: Scope,
    pub keys: &'static [Key],
    pub action: Action,
    pub help: &'static str,
    /// A word or two for the footer, when the binding is worth showing there.
    pub hint: Option<&'static str>,
}

macro_rules! bind {
    ($scope:ident, [$($key:expr),+], $action:expr, $help:literal) => {
        Binding { scope: Scope::$scope, keys: const { &[$($key),+] }, action: $action, help: $help, hint: None }
    };
    ($scope:ident, [$($key:expr),+], $action:expr, $help:literal, $hint:literal) => {
        Binding { scope: Scope::$scope, keys: const { &[$($key),+] }, action: $action, help: $help, hint: Some($hint) }
    };
}

use KeyCode::*;

/// Key bindings the user's config sets, applied once, before the table is first read.
static OVERRIDES: std::sync::OnceLock<Vec<(String, Vec<Key>)>> = std::sync::OnceLock::new();

/// The name of a binding's action in the config (`copy_event` for CopyEvent).
pub fn action_name(action: &Action) -> String {
    let debug = format!("{action:?}");
    let mut out = String::new();
    for (i, c) in debug.chars().take_while(|c| c.is_alphanumeric()).enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Reads a key as the help writes it: `x`, `Ctrl-x`, `Enter`, `Esc`, `Tab`,
/// `Shift-Tab`, `Space`, `Backspace`, `Del`, `Home`, `End`, `PgUp`, `PgDn`,
/// `Up`/`↑`, `Down`/`↓`, `Left`/`←`, `Right`/`→`, `F1`…`F12`.
pub fn parse_key(text: &str) -> Option<Key> {
    let (ctrl, rest) = match text.strip_prefix("Ctrl-").or_else(|| text.strip_prefix("ctrl-")) {
        Some(r) => (true, r),
        None => (false, text),
    };
    let code = match rest {
        "Enter" => Enter,
        "Esc" => Esc,
        "Tab" => Tab,
        "Shift-Tab" => BackTab,
        "Space" => Char(' '),
        "Backspace" => Backspace,
        "Del" | "Delete" => Delete,
        "Home" => Home,
        "End" => End,
        "PgUp" => PageUp,
        "PgDn" => PageDown,
        "Up" | "↑" => Up,
        "Down" | "↓" => Down,
        "Left" | "←" => Left,
        "Right" | "→" => Right,
        f if f.len() > 1 && f.starts_with('F') => F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?),
        c if c.chars().count() == 1 => Char(c.chars().next()?),
        _ => return None,
    };
    Some(Key { code, ctrl })
}

/// Sets the user's key bindings: (action name, keys). Fails, changing
/// nothing, on an unknown action or key, or a key that would be bound twice
/// in a scope. Only the first call counts (the table is built once).
pub fn configure(overrides: &[(String, Vec<String>)]) -> Result<(), String> {
    let parsed = checked(overrides)?;
    let _ = OVERRIDES.set(parsed);
    Ok(())
}

/// The overrides read and checked against the default table.
fn checked(overrides: &[(String, Vec<String>)]) -> Result<Vec<(String, Vec<Key>)>, String> {
    let mut parsed = Vec::new();
    for (name, keys) in overrides {
        if !defaults().iter().any(|b| action_name(&b.action) == *name) {
            return Err(format!("keys: {name} is not an action (the help lists them, e.g. mark, tag, search)"));
        }
        let keys: Vec<Key> = keys
            .iter()
            .map(|k| parse_key(k).ok_or_else(|| format!("keys: {name}: {k:?} is not a key (x, Ctrl-x, Enter, F2...)")))
            .collect::<Result<_, _>>()?;
        if keys.is_empty() {
            return Err(format!("keys: {name}: no key given"));
        }
        parsed.push((name.clone(), keys));
    }
    let table = with_overrides(defaults(), &parsed);
    for scope in Scope::ALL {
        let mut seen: Vec<(Key, String)> = Vec::new();
        for b in table.iter().filter(|b| b.scope == scope) {
            for k in b.keys {
                if let Some((_, other)) = seen.iter().find(|(s, _)| s == k) {
                    return Err(format!(
                        "keys: {} would do both {other} and {} in {}",
                        key_name(k),
                        action_name(&b.action),
                        scope.title()
                    ));
                }
                seen.push((*k, action_name(&b.action)));
            }
        }
    }
    Ok(parsed)
}

/// The table with each named action's keys replaced.
fn with_overrides(mut table: Vec<Binding>, overrides: &[(String, Vec<Key>)]) -> Vec<Binding> {
    for (name, keys) in overrides {
        let keys: &'static [Key] = Box::leak(keys.clone().into_boxed_slice());
        for b in table.iter_mut().filter(|b| action_name(&b.action) == *name) {
            b.keys = keys;
        }
    }
    table
}

/// The key table: the defaults with the user's bindings applied.
pub fn bindings() -> &'static [Binding] {
    static TABLE: std::sync::OnceLock<Vec<Binding>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| with_overrides(defaults(), OVERRIDES.get().map_or(&[], |o| o.as_slice())))
}

/// trailscope's own bindings.
fn defaults() -> Vec<Binding> {
    {
        vec![
            bind!(Always, [ctrl('c')], Action::Quit, "quit, from anywhere"),
            bind!(Prompt, [code(Enter)], Action::Submit, "keep the query, back to the list", "keep"),
            bind!(Prompt, [code(Esc)], Action::Cancel, "cancel the edit", "cancel"),
            bind!(Prompt, [code(Backspace)], Action::DeleteBack, "delete before the cursor"),
            bind!(Prompt, [code(Delete)], Action::DeleteForward, "delete at the cursor"),
            bind!(Prompt, [code(Left)], Action::CursorLeft, "move the cursor"),
            bind!(Prompt, [code(Right)], Action::CursorRight, "move the cursor"),
            bind!(Prompt, [code(Home), ctrl('a')], Action::CursorHome, "start of the line"),
            bind!(Prompt, [code(End), ctrl('e')], Action::CursorEnd, "end of the line"),
            bind!(Prompt, [ctrl('w')], Action::DeleteWord, "delete the word before the cursor"),
            bind!(Prompt, [ctrl('u')], Action::ClearLine, "clear the line", "clear"),
            bind!(Prompt, [code(Up)], Action::RecallOlder, "an older query from the history"),
            bind!(Prompt, [code(Down)], Action::RecallNewer, "a newer query from the history"),
            bind!(Prompt, [code(Tab)], Action::Complete, "complete the tag from the tags used"),
            bind!(Overlay, [code(Esc), k('q')], Action::Back, "close", "close"),
            bind!(Overlay, [k('Y')], Action::CopyValue, "copy the selected line (the whole text in a full text)"),
            bind!(Overlay, [code(Down), k('j')], Action::Down, "scroll", "scroll"),
            bind!(Overlay, [code(Up), k('k')], Action::Up, "scroll"),
            bind!(Overlay, [code(PageDown), k(' ')], Action::PageDown, "page down"),
            bind!(Overlay, [code(PageUp)], Action::PageUp, "page up"),
            bind!(Overlay, [k('g'), code(Home)], Action::Top, "first"),
            bind!(Overlay, [k('G'), code(End)], Action::Bottom, "last"),
            bind!(Help, [k('?')], Action::Back, "close the help"),
            bind!(Problems, [k('!')], Action::Back, "close the problems"),
            bind!(Chain, [code(Enter)], Action::Include, "show this hop's events (session:KEY)", "its events"),
            bind!(Chain, [k('f')], Action::Pivot, "add session:KEY to the query", "add"),
            bind!(Actors, [code(Enter)], Action::Include, "show this identity's events", "its events"),
            bind!(Actors, [k('o')], Action::ToggleOrder, "sort by events, denied, failed, first or last seen", "sort"),
            bind!(Actors, [k('b')], Action::GroupBy, "by actor / by origin", "by"),
            bind!(Incidents, [code(Enter)], Action::Include, "show this incident's events (incident:N)", "its events"),
            bind!(Incidents, [k('f')], Action::Pivot, "add incident:N to the query", "add"),
            bind!(Incidents, [k('x')], Action::Exclude, "add -incident:N to the query", "exclude"),
            bind!(Case, [code(Enter)], Action::Include, "search this saved query, tag or history entry", "search"),
            bind!(Case, [k('C')], Action::Note, "add a note to the case", "note"),
            bind!(Case, [k('E')], Action::Export, "export the marked events (asks for a file)", "export marks"),
            bind!(Global, [k('/')], Action::Search, "search (the query language, live as you type)", "search"),
            bind!(Global, [code(Down), k('j')], Action::Down, "move down"),
            bind!(Global, [code(Up), k('k')], Action::Up, "move up"),
            bind!(Global, [code(PageDown), ctrl('d')], Action::PageDown, "page down"),
            bind!(Global, [code(PageUp), ctrl('u')], Action::PageUp, "page up"),
            bind!(Global, [k('g'), code(Home)], Action::Top, "first"),
            bind!(Global, [k('G'), code(End)], Action::Bottom, "last"),
            bind!(Global, [code(Tab)], Action::FocusNext, "next pane"),
            bind!(Global, [code(BackTab)], Action::FocusPrev, "previous pane"),
            bind!(Global, [k('n')], Action::NextFlagged, "next event that set off a rule"),
            bind!(Global, [k('N')], Action::PrevFlagged, "previous event that set off a rule"),
            bind!(Global, [k('s')], Action::Chain, "who is behind the event: its credential chain", "chain"),
            bind!(Global, [k('a')], Action::Actors, "identities among the matches: what each did"),
            bind!(Global, [k('i')], Action::Incidents, "incidents: the findings by who is behind them, ranked"),
            bind!(Global, [k('m')], Action::Mark, "mark / unmark the event (or the range)", "mark"),
            bind!(Global, [k('v')], Action::Select, "start / drop a range of events (then m, T)"),
            bind!(
                Global,
                [k('T')],
                Action::Tag,
                "tag the event or range (Tab completes; a tag it has comes off)",
                "tag"
            ),
            bind!(Global, [k('C')], Action::Note, "add a note to the event"),
            bind!(Global, [k('S')], Action::SaveQuery, "save the query with a name"),
            bind!(Global, [k('E')], Action::Export, "export the matches: .csv, .jsonl, .md or *timesketch*"),
            bind!(Global, [k('K')], Action::Case, "the case: marks, tags, notes, saved queries, history", "case"),
            bind!(Global, [k('y')], Action::CopyEvent, "copy the event's JSON", "copy"),
            bind!(Global, [k('Y')], Action::CopyValue, "copy what is selected: the row, the facet's term, the rule"),
            bind!(Global, [k('t')], Action::ToggleTime, "UTC / local time", "UTC/local"),
            bind!(Global, [k('o')], Action::ToggleOrder, "oldest / newest first"),
            bind!(Global, [k('F')], Action::ToggleFacets, "show / hide the facets and detections panels", "panels"),
            bind!(Global, [k('!')], Action::Problems, "problems found while loading"),
            bind!(Global, [k('?')], Action::Help, "this help", "help"),
            bind!(Global, [k('q')], Action::Quit, "quit", "quit"),
            bind!(List, [code(Enter), k('l'), code(Right)], Action::OpenDetail, "open the event's detail", "detail"),
            bind!(Detail, [code(Esc)], Action::Back, "back to the list", "back"),
            bind!(Detail, [code(Left), k('h')], Action::Collapse, "collapse (or go to the parent)"),
            bind!(Detail, [code(Right), k('l')], Action::Expand, "expand"),
            bind!(Detail, [k(' '), code(Enter)], Action::ToggleNode, "collapse / expand", "fold"),
            bind!(Detail, [k('e')], Action::ExpandAll, "expand all"),
            bind!(Detail, [k('c')], Action::CollapseAll, "collapse all"),
            bind!(Detail, [k('f')], Action::Pivot, "pivot: add path:value of this node to the query", "pivot"),
            bind!(Detail, [k('Y')], Action::CopyValue, "copy this value", "value"),
            bind!(Detail, [k('p')], Action::CopyPath, "copy this path", "path"),
            bind!(Detail, [k('w')], Action::ShowFull, "the value (or the finding) in full, wrapped", "full"),
            bind!(Detail, [k('+')], Action::ToggleColumn, "show / hide this path as a list column", "column"),
            bind!(Facets, [code(Enter)], Action::Include, "add field:value to the query", "add field:value"),
            bind!(Facets, [k('x')], Action::Exclude, "add -field:value to the query", "exclude"),
            bind!(Facets, [code(Esc)], Action::Back, "back to the list", "back"),
            bind!(Detections, [code(Enter)], Action::Include, "add rule:ID or level:LEVEL to the query", "add"),
            bind!(Detections, [k('x')], Action::Exclude, "exclude the rule or level", "exclude"),
            bind!(Detections, [code(Esc)], Action::Back, "back to the list", "back"),
            bind!(Detections, [k('w')], Action::ShowFull, "the rule in full: title, description, source"),
        ]
    }
}

fn matches(key: &Key, ev: &KeyEvent) -> bool {
    // Shift is not compared for characters (they arrive upper case, with or
    // without SHIFT set) nor for BackTab (Shift-Tab itself); every other
    // modifier must be exactly as bound, so Alt-q is not q.
    let shift_free =
        matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) || !ev.modifiers.contains(KeyModifiers::SHIFT);
    key.code == ev.code
        && key.ctrl == ev.modifiers.contains(KeyModifiers::CONTROL)
        && !ev.modifiers.intersects(KeyModifiers::ALT | KeyModifiers::SUPER | KeyModifiers::META | KeyModifiers::HYPER)
        && shift_free
}

/// The action of a key in the given scopes (searched in order, after
/// [`Scope::Always`]), if any.
pub fn lookup(ev: &KeyEvent, scopes: &[Scope]) -> Option<Action> {
    for scope in std::iter::once(&Scope::Always).chain(scopes) {
        for b in bindings().iter().filter(|b| b.scope == *scope) {
            if b.keys.iter().any(|k| matches(k, ev)) {
                return Some(b.action.clone());
            }
        }
    }
    if scopes.first() == Some(&Scope::Prompt)
        && let KeyCode::Char(c) = ev.code
        && !ev.modifiers.intersects(!KeyModifiers::SHIFT)
    {
        return Some(Action::Insert(c));
    }
    None
}

/// How a key is written in the help and the footer.
pub fn key_name(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Enter => "Enter".into(),
        KeyCode::Esc => "Esc".into(),
        KeyCode::Backspace => "Backspace".into(),
        KeyCode::Delete => "Del".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Home => "Home".into(),
        KeyCode::End => "End".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        KeyCode::Tab => "Tab".into(),
        KeyCode::BackTab => "Shift-Tab".into(),
        KeyCode::F(n) => format!("F{n}"),
        other => format!("{other:?}"),
    };
    if key.ctrl { format!("Ctrl-{base}") } else { base }
}

/// The footer's hints for `scopes` (most specific first): (key, word) of
/// each binding that has a hint, a key shown once.
pub fn hints(scopes: &[Scope]) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for scope in scopes {
        for b in bindings().iter().filter(|b| b.scope == *scope) {
            let (Some(hint), Some(key)) = (b.hint, b.keys.first()) else { continue };
            let name = key_name(key);
            if !out.iter().any(|(k, _)| *k == name) {
                out.push((name, hint));
            }
        }
    }
    out
}

/// The lines under the key table in the help: a reminder of the query language.
pub const HELP_FOOTER: [&str; 3] = [
    "Query language: name:Delete*  -error:*  actor:Admin/*  ip:203.0.113.9",
    "  requestParameters.bucketName:logs-*  after:2024-03-02  \"quoted text\"  fuzzy",
    "  the case: mark:*  tag:exfil  note:*  note:\"text\"",
];

/// The help text, by scope: (scope title, [(keys, what they do)]).
pub fn help() -> Vec<(&'static str, Vec<(String, &'static str)>)> {
    Scope::ALL
        .iter()
        .map(|&s| {
            let rows = bindings()
                .iter()
                .filter(|b| b.scope == s)
                .map(|b| (b.keys.iter().map(key_name).collect::<Vec<_>>().join(" "), b.help))
                .collect();
            (s.title(), rows)
        })
        .collect()
}

/// Lines of the help screen: per scope a title, its keys and a blank line, then the footer.
pub fn help_lines() -> usize {
    help().iter().map(|(_, rows)| rows.len() + 2).sum::<usize>() + HELP_FOOTER.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn scopes_are_searched_in_order() {
        let enter = key(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(lookup(&enter, &[Scope::List, Scope::Global]), Some(Action::OpenDetail));
        assert_eq!(lookup(&enter, &[Scope::Facets, Scope::Global]), Some(Action::Include));
        assert_eq!(lookup(&enter, &[Scope::Detail, Scope::Global]), Some(Action::ToggleNode));
        let q = key(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(lookup(&q, &[Scope::Prompt]), Some(Action::Insert('q')));
        assert_eq!(lookup(&q, &[Scope::List, Scope::Global]), Some(Action::Quit));
        let cc = key(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(lookup(&cc, &[Scope::Detail, Scope::Global]), Some(Action::Quit));
        let big_g = key(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&big_g, &[Scope::List, Scope::Global]), Some(Action::Bottom));
        assert_eq!(lookup(&key(KeyCode::Char('x'), KeyModifiers::NONE), &[Scope::List, Scope::Global]), None);
        let bang = key(KeyCode::Char('!'), KeyModifiers::SHIFT);
        assert_eq!(lookup(&bang, &[Scope::Problems, Scope::Overlay]), Some(Action::Back));
        assert_eq!(lookup(&bang, &[Scope::Help, Scope::Overlay]), None, "! does not close the help");
    }

    #[test]
    fn modified_keys_are_not_taken_as_plain_ones() {
        for m in
            [KeyModifiers::ALT, KeyModifiers::CONTROL, KeyModifiers::SUPER, KeyModifiers::ALT | KeyModifiers::SHIFT]
        {
            let q = key(KeyCode::Char('q'), m);
            assert_eq!(lookup(&q, &[Scope::List, Scope::Global]), None, "{m:?}-q");
            assert_eq!(lookup(&q, &[Scope::Prompt]), None, "{m:?}-q types nothing");
        }
        assert_eq!(lookup(&key(KeyCode::Down, KeyModifiers::SHIFT), &[Scope::List, Scope::Global]), None);
        assert_eq!(
            lookup(&key(KeyCode::BackTab, KeyModifiers::SHIFT), &[Scope::List, Scope::Global]),
            Some(Action::FocusPrev)
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_a_scope() {
        for scope in Scope::ALL {
            let mut seen: Vec<Key> = Vec::new();
            for b in bindings().iter().filter(|b| b.scope == scope) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{} is bound twice in {scope:?}", key_name(k));
                    seen.push(*k);
                }
            }
        }
    }

    #[test]
    fn the_config_rebinds_actions_and_refuses_clashes() {
        let set = |pairs: &[(&str, &[&str])]| {
            checked(
                &pairs
                    .iter()
                    .map(|(a, k)| (a.to_string(), k.iter().map(|s| s.to_string()).collect()))
                    .collect::<Vec<_>>(),
            )
        };
        let table = with_overrides(defaults(), &set(&[("mark", &["M", "Ctrl-k"]), ("help", &["F1"])]).unwrap());
        let mark = table.iter().find(|b| b.action == Action::Mark).unwrap();
        assert_eq!(mark.keys.iter().map(key_name).collect::<Vec<_>>(), ["M", "Ctrl-k"]);
        assert!(table.iter().any(|b| b.action == Action::Help && b.keys == [code(F(1))]));
        assert!(set(&[("mark", &["q"])]).unwrap_err().contains("q would do both"), "q quits already");
        assert!(set(&[("frobnicate", &["z"])]).unwrap_err().contains("not an action"));
        assert!(set(&[("mark", &["Hyper-z"])]).unwrap_err().contains("not a key"));
        assert!(set(&[("quit", &["Q"]), ("mark", &["q"])]).is_ok(), "a key freed by another binding can be taken");
        assert_eq!(action_name(&Action::CopyEvent), "copy_event");
        for b in defaults() {
            for k in b.keys {
                assert_eq!(parse_key(&key_name(k)), Some(*k), "the help's names read back");
            }
        }
    }

    #[test]
    fn help_and_hints_come_from_the_table() {
        let h = help();
        let n: usize = h.iter().map(|(_, rows)| rows.len()).sum();
        assert_eq!(n, bindings().len());
        assert!(h.iter().any(|(_, rows)| rows.iter().any(|(k, what)| k == "q" && *what == "quit")));
        let cc = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for scopes in [&[Scope::Prompt][..], &[Scope::Help, Scope::Overlay], &[Scope::Detail, Scope::Global]] {
            assert_eq!(lookup(&cc, scopes), Some(Action::Quit), "Ctrl-C quits in {scopes:?}");
        }
        let list = hints(&[Scope::List, Scope::Global]);
        assert_eq!(list.first(), Some(&("Enter".to_string(), "detail")));
        assert!(list.contains(&("/".to_string(), "search")) && list.contains(&("q".to_string(), "quit")));
        let detail = hints(&[Scope::Detail, Scope::Global]);
        assert!(detail.contains(&("f".to_string(), "pivot")));
    }
}
