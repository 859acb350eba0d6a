//! The detail pane: what the selected event set off (each rule with why it
//! matters and its author; each correlation match with its group and
//! events), then the event as a collapsible JSON tree (see
//! [`crate::tui::tree`]), with pivots and copies from any node.

use super::pane::{Cx, Meta, Pane, Slot, title_line};
use crate::detect::{Finding, Level, Results, fold};
use crate::identity::Graph;
use crate::identity::firsts::{self, Kind as NewKind};
use crate::incident::Incidents;
use crate::json::canon;
use crate::model::fields::Field;
use crate::model::time::format_utc;
use crate::query::glob::Glob;
use crate::query::{Target, Term, TermKind};
use crate::sanitize::visible;
use crate::store::blobs::ChunkCache;
use crate::store::{EventId, Store};
use crate::tui::action::PaneId;
use crate::tui::action::{Action, Command};
use crate::tui::keymap::Scope;
use crate::tui::scroll::Scroll;
use crate::tui::text::cell;
use crate::tui::theme::Theme;
use crate::tui::tree::{Kind, Tree};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// Values longer than this pivot on their first bytes followed by `*`.
pub const MAX_PIVOT_BYTES: usize = 1024;

/// The event shown and its tree.
pub struct Detail {
    pub event: EventId,
    pub tree: Tree,
    pub scroll: Scroll,
}

pub struct DetailPane {
    pub shown: Option<Detail>,
    /// The lines about the event's findings, above the tree (the cursor
    /// goes over them first).
    pub head: Vec<HeadLine>,
    /// What `head` was worked out for: the event, the generations of the
    /// findings and the graph, and whether the incidents were there (it is
    /// not worked out again on every key).
    head_of: Option<(EventId, u64, u64, bool, u64)>,
    cache: ChunkCache,
}

/// A line above the tree: what it says, how it is drawn, and what Enter on
/// it does.
#[derive(Debug, Clone, PartialEq)]
pub struct HeadLine {
    pub text: String,
    pub level: Option<Level>,
    pub act: Option<Vec<Term>>,
    /// The whole of what the line is part of (a finding's description), for `w`.
    pub more: Option<String>,
}

/// The lines about what event `id` set off: per finding its title, then
/// why it matters (or a correlation's group and extent), then where the
/// rule comes from; a blank line before the tree. A rule the same identity
/// set off again within the hour says so, as `detect` folds it into one row.
/// Then what the event's identity did for the first time.
pub fn head_lines(
    found: &Results,
    graph: &Graph,
    store: &Store,
    incidents: &Incidents,
    case: Option<&crate::case::model::Entry>,
    id: EventId,
) -> Vec<HeadLine> {
    let mut out = Vec::new();
    let line = |text: String, level: Option<Level>, act: &Option<Vec<Term>>| HeadLine {
        text,
        level,
        act: act.clone(),
        more: None,
    };
    if let Some(e) = case {
        // What the case keeps about the event, first: the responder's own words.
        let tags: Vec<&str> = e.tags.iter().map(|t| t.name.as_str()).collect();
        let mut said = Vec::new();
        said.extend(e.marked.as_ref().map(|at| format!("* marked {at}")));
        if !tags.is_empty() {
            said.push(format!("tags: {}", tags.join(" ")));
        }
        let act = tags.first().map(|t| vec![Term::matching(Target::field(Field::Tag), t, false)]);
        if !said.is_empty() {
            out.push(line(said.join(" · "), None, &act));
        }
        for n in &e.notes {
            for (i, text) in n.text.lines().enumerate() {
                let lead = if i == 0 { format!("note {}: ", n.at) } else { "  ".to_string() };
                out.push(line(format!("{lead}{text}"), None, &None));
            }
        }
    }
    if let Some(inc) = incidents.of(id) {
        // The incident the event is in, and who is behind it.
        let act = Some(vec![Term::matching(Target::field(Field::Incident), &inc.id.to_string(), false)]);
        let level = inc.score.level;
        out.push(line(
            format!(
                "{} incident {} · score {} {} · {} · {} (Enter: its events)",
                level.map_or(" ", |l| l.glyph()),
                inc.id,
                inc.score.total,
                level.map_or("", |l| l.name()),
                inc.origin,
                crate::incident::strip(&inc.tactics)
            ),
            level,
            &act,
        ));
        let chain = crate::identity::Chain::of_event(graph, store, id);
        let hops: Vec<String> = chain.hops.iter().map(|h| h.name().to_string()).collect();
        out.push(line(format!("  chain: {}", hops.join(" → ")), None, &act));
    }
    for f in found.findings(id) {
        let (rule, detail, act) = match f {
            Finding::Rule(r) => {
                let meta = &found.rules.rules[r as usize].meta;
                let act = vec![Term::matching(Target::field(Field::Rule), meta.key(), false)];
                let mut detail = meta.description.clone();
                if let Some((n, first, last)) = fold::row_of(found, store, r as usize, id).filter(|row| row.0 > 1) {
                    let repeated =
                        format!("one of {n} matches by this identity, {} – {}", format_utc(first), format_utc(last));
                    detail = format!("{repeated}\n{detail}");
                }
                (r as usize, detail, act)
            }
            Finding::Correlation(m) => {
                let Some(cm) = found.correlations.get(m as usize) else { continue };
                let meta = &found.rules.rules[cm.rule].meta;
                let group: Vec<String> = cm.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let detail = format!(
                    "{} events {} – {}{}{}  (Enter: show them)",
                    cm.events.len(),
                    format_utc(cm.first),
                    format_utc(cm.last),
                    if group.is_empty() { "" } else { " · " },
                    group.join(" · ")
                );
                (cm.rule, detail, members(meta.key(), cm))
            }
        };
        let meta = &found.rules.rules[rule].meta;
        let act = Some(act);
        let first = out.len();
        out.push(line(
            format!("{} {} · {}", meta.level.glyph(), meta.level.name(), meta.title),
            Some(meta.level),
            &act,
        ));
        for text in detail.lines().filter(|l| !l.trim().is_empty()).take(3) {
            out.push(line(format!("  {}", text.trim()), None, &act));
        }
        let mut source = vec![meta.key().to_string()];
        source.extend(meta.author.as_ref().map(|a| format!("by {a}")));
        source.extend(meta.license.as_ref().map(|l| format!("licence {l}")));
        out.push(line(format!("  {}", source.join(" · ")), None, &act));
        // Its lines are cut to three; `w` shows the whole of it.
        let full = format!(
            "{} {} · {}\n\n{}\n\n{}",
            meta.level.glyph(),
            meta.level.name(),
            meta.title,
            detail,
            source.join(" · ")
        );
        for l in &mut out[first..] {
            l.more = Some(full.clone());
        }
    }
    out.extend(first_uses(graph, store, id));
    if !out.is_empty() {
        out.push(line(String::new(), None, &None));
    }
    out
}

/// "First use by …": what event `id`'s identity (its actor, or its
/// long-term key) did for the first time in the loaded data, past its
/// learning window (Enter: the identity's other first uses).
fn first_uses(graph: &Graph, store: &Store, id: EventId) -> Vec<HeadLine> {
    let value = |k: NewKind| match k {
        NewKind::Ip => store.value(id, Field::Ip).to_string(),
        NewKind::Net => firsts::network(store.value(id, Field::Ip)).unwrap_or_default(),
        NewKind::Agent => firsts::agent_family(store.value(id, Field::Agent)),
        NewKind::Region => store.value(id, Field::Region).to_string(),
        NewKind::Call => store.value(id, Field::Name).to_string(),
        NewKind::Account => store.value(id, Field::Account).to_string(),
    };
    let [actor, key] = graph.firsts.new_uses(store, id);
    let mut out = Vec::new();
    for ((kinds, since), field) in [(actor, Field::Actor), (key, Field::AccessKey)] {
        if kinds.is_empty() {
            continue;
        }
        let who = store.value(id, field);
        let by = if field == Field::AccessKey { format!("key {who}") } else { who.to_string() };
        let since = since.map(format_utc).unwrap_or_default();
        let what: Vec<String> = kinds.iter().map(|&k| format!("{} {}", k.noun(), value(k))).collect();
        let act = Some(vec![
            Term::matching(Target::field(field), who, false),
            Term { negated: false, kind: TermKind::Match { target: Target::field(Field::New), value: Glob::new("*") } },
        ]);
        out.push(HeadLine {
            text: format!("✦ new · first use by {by}, active since {since}"),
            level: None,
            act: act.clone(),
            more: None,
        });
        out.push(HeadLine {
            text: format!("  {}  (Enter: its first uses)", what.join(" · ")),
            level: None,
            act,
            more: None,
        });
    }
    out
}

/// The terms that show a correlation match's events: its rule, its group's
/// values, and its time span.
fn members(rule: &str, cm: &crate::detect::CorrMatch) -> Vec<Term> {
    let mut terms = vec![Term::matching(Target::field(Field::Rule), rule, false)];
    for (field, value) in &cm.group {
        if let Some(target) = Target::named(field) {
            terms.push(Term::matching(target, value, false));
        }
    }
    let bound = |at| crate::query::ast::Bound { at, text: format_utc(at) };
    // Times are whole seconds in CloudTrail; the end bound is exclusive.
    let end = cm.last - cm.last.rem_euclid(1_000_000) + 1_000_000;
    terms.push(Term { negated: false, kind: TermKind::After(bound(cm.first - cm.first.rem_euclid(1_000_000))) });
    terms.push(Term { negated: false, kind: TermKind::Before(bound(end)) });
    terms
}

impl DetailPane {
    pub fn new() -> Self {
        DetailPane { shown: None, head: Vec::new(), head_of: None, cache: ChunkCache::new(8) }
    }

    /// Shows `event` (building its tree when it changes); nothing for None.
    pub fn show(&mut self, event: Option<EventId>, store: &Store) {
        if self.shown.as_ref().map(|d| d.event) == event {
            return;
        }
        self.head.clear();
        self.shown = event.map(|event| {
            let json = store.record(event, &mut self.cache).to_vec();
            Detail { event, tree: Tree::new(json), scroll: Scroll::default() }
        });
    }

    /// The selected node's row in the tree (None on a line above it).
    fn row(&self) -> Option<(&Detail, usize)> {
        let d = self.shown.as_ref()?;
        let pos = d.scroll.cursor.checked_sub(self.head.len())?;
        d.tree.visible().get(pos).map(|&row| (d, row))
    }

    /// The cursor's position among the tree's visible rows (None on the head).
    pub fn tree_cursor(&self) -> Option<usize> {
        self.shown.as_ref()?.scroll.cursor.checked_sub(self.head.len())
    }

    /// Puts the cursor on the tree's visible row `pos`.
    pub fn set_tree_cursor(&mut self, pos: usize) {
        let head = self.head.len();
        if let Some(d) = &mut self.shown {
            d.scroll.cursor = head + pos;
        }
    }

    /// Lines the cursor goes over: the head, then the tree's visible rows.
    fn lines(&self) -> usize {
        self.head.len() + self.shown.as_ref().map_or(0, |d| d.tree.visible().len())
    }

    /// The whole event, pretty-printed.
    pub fn pretty(&self, event: EventId) -> Option<String> {
        self.shown.as_ref().filter(|d| d.event == event).map(|d| d.tree.pretty())
    }

    fn tree_action(&mut self, action: &Action) -> Vec<Command> {
        let head = self.head.len();
        let Some(d) = &mut self.shown else { return vec![] };
        let Some(pos) = d.scroll.cursor.checked_sub(head) else {
            // On a finding: Enter shows its events.
            return match (action, &self.head[d.scroll.cursor].act) {
                (Action::ToggleNode, Some(terms)) => vec![Command::Filter(terms.clone())],
                _ => vec![],
            };
        };
        let Some(&row) = d.tree.visible().get(pos) else { return vec![] };
        match action {
            Action::Collapse if d.tree.is_container(row) && !d.tree.is_collapsed(row) => {
                d.tree.set_collapsed(row, true)
            }
            Action::Collapse => {
                // Already folded, or a value: go to the parent.
                if let Some(parent) = d.tree.rows[row].parent.filter(|&p| p != 0) {
                    d.scroll.cursor = head + d.tree.position_of(parent);
                }
                return vec![];
            }
            Action::Expand => d.tree.set_collapsed(row, false),
            Action::ToggleNode => d.tree.set_collapsed(row, !d.tree.is_collapsed(row)),
            Action::ExpandAll => d.tree.set_all(false),
            Action::CollapseAll => d.tree.set_all(true),
            _ => return vec![],
        }
        d.scroll.cursor = head + d.tree.position_of(row);
        vec![]
    }

    /// The term that pivots on the selected value: `path:value` (array
    /// positions dropped, so the value anywhere in the list counts), or the
    /// value as text when the path cannot be spelled.
    /// The node's path without array indices: it names the same place in every event.
    fn general_path(d: &Detail, row: usize) -> String {
        d.tree
            .path(row)
            .split('[')
            .enumerate()
            .map(|(i, part)| if i == 0 { part } else { part.split_once(']').map_or("", |(_, rest)| rest) })
            .collect()
    }

    /// The value (or the finding) at the cursor, in full.
    fn show_full(&self) -> Command {
        let Some(d) = &self.shown else { return Command::Status("no event shown".into()) };
        if let Some(h) = self.head.get(d.scroll.cursor) {
            return Command::Show("finding".into(), h.more.clone().unwrap_or_else(|| h.text.clone()));
        }
        match self.row() {
            Some((d, row)) => Command::Show(d.tree.path(row), d.tree.value_text(row)),
            None => Command::Status("nothing to show".into()),
        }
    }

    fn toggle_column(&self) -> Command {
        match self.row().map(|(d, row)| DetailPane::general_path(d, row)) {
            Some(p) if !p.is_empty() && !p.contains('"') => Command::ToggleColumn(p),
            _ => Command::Status("no path here to show as a column".into()),
        }
    }

    fn pivot(&self) -> Command {
        let Some((d, row)) = self.row() else { return Command::Status("nothing to pivot on".into()) };
        if !matches!(d.tree.rows[row].kind, Kind::Scalar) || d.tree.raw(row) == b"null" {
            return Command::Status("pivot needs a value: move to a string, number or boolean".into());
        }
        let path = DetailPane::general_path(d, row);
        let value = d.tree.value_text(row);
        let Some(target) = Target::named(&path).filter(|_| !path.contains('"')) else {
            return Command::AddTerm(Term::text(&value, false));
        };
        if value.len() <= MAX_PIVOT_BYTES {
            return Command::AddTerm(Term::matching(target, &value, false));
        }
        // Pivot on the start of a huge value: the query stays short and fast.
        let mut cut = MAX_PIVOT_BYTES;
        while !value.is_char_boundary(cut) {
            cut -= 1;
        }
        let prefix = Glob::new(&format!("{}*", Glob::literal(&value[..cut]).text()));
        Command::AddTerm(Term { negated: false, kind: TermKind::Match { target, value: prefix } })
    }

    fn copy(&self, action: &Action) -> Command {
        let Some((d, row)) = self.row() else { return Command::Status("nothing to copy".into()) };
        if *action == Action::CopyPath {
            Command::Copy { payload: d.tree.path(row), what: "path".into() }
        } else {
            Command::Copy { payload: d.tree.value_text(row), what: format!("value of {}", d.tree.path(row)) }
        }
    }
}

impl Default for DetailPane {
    fn default() -> Self {
        Self::new()
    }
}

/// The start of a value as shown in `cells` columns: strings unescaped and
/// quoted, long ones cut (only the part shown is decoded, so a 20 MB string
/// costs no more than a short one).
pub fn preview(raw: &[u8], cells: usize) -> String {
    if raw.first() != Some(&b'"') {
        return String::from_utf8_lossy(&raw[..raw.len().min(cells * 4 + 8)]).into_owned();
    }
    let limit = cells * 4 + 16;
    if raw.len() <= limit {
        return format!("\"{}\"", canon::unescape(raw));
    }
    // Cut before any escape the limit would split, and on a character boundary.
    let mut cut = limit;
    if let Some(back) = raw[cut - 6..cut].iter().rposition(|&b| b == b'\\') {
        cut = cut - 6 + back;
    }
    while cut > 1 && (raw[cut] & 0xc0) == 0x80 {
        cut -= 1;
    }
    let mut head = raw[..cut].to_vec();
    head.push(b'"');
    format!("\"{}…", canon::unescape(&head))
}

fn summary(tree: &Tree, row: usize) -> String {
    match tree.rows[row].kind {
        Kind::Container { array: true, len, .. } => format!("[{len} item{}]", if len == 1 { "" } else { "s" }),
        Kind::Container { array: false, len, .. } => format!("{{{len} key{}}}", if len == 1 { "" } else { "s" }),
        Kind::Scalar => String::new(),
    }
}

/// Levels shown as indentation; deeper rows show their level as a number,
/// so a value 200,000 levels down costs a few cells, not a screen of spaces.
const MAX_INDENT: u32 = 24;

fn indent(depth: u32) -> String {
    let level = depth.saturating_sub(1);
    if level <= MAX_INDENT {
        "  ".repeat(level as usize)
    } else {
        format!("{}⋯{level} ", "  ".repeat(MAX_INDENT as usize - 4))
    }
}

impl Pane for DetailPane {
    fn meta(&self) -> Meta {
        Meta { id: PaneId::Detail, slot: Slot::Right, scope: Scope::Detail }
    }

    fn update(&mut self, action: &Action, cx: &Cx) -> Vec<Command> {
        let lines = self.lines();
        if let Some(d) = &mut self.shown
            && let Some(s) = d.scroll.step(action, lines, cx.rows)
        {
            d.scroll = s;
            return vec![];
        }
        match action {
            Action::Back => vec![Command::Focus(PaneId::List)],
            Action::Pivot => vec![self.pivot()],
            Action::ToggleColumn => vec![self.toggle_column()],
            Action::ShowFull => vec![self.show_full()],
            Action::CopyValue | Action::CopyPath => vec![self.copy(action)],
            other => self.tree_action(other),
        }
    }

    fn click(&mut self, row: usize, _cx: &Cx) -> Vec<Command> {
        let lines = self.lines();
        if let Some(d) = &mut self.shown {
            let target = d.scroll.offset + row;
            if target < lines {
                d.scroll.cursor = target;
            }
        }
        vec![]
    }

    fn settle(&mut self, cx: &Cx) {
        let incidents = cx.incidents.read().unwrap_or_else(|e| e.into_inner());
        let of = self
            .shown
            .as_ref()
            .map(|d| (d.event, cx.found.generation, cx.graph.generation, incidents.ready, cx.case.generation));
        if of != self.head_of || of.is_none() {
            self.head_of = of;
            let head = self.shown.as_ref().map_or_else(Vec::new, |d| {
                head_lines(cx.found, cx.graph, cx.store, &incidents, cx.case.entry(d.event), d.event)
            });
            if head != self.head {
                // Findings arrived (or changed) for the event shown: the cursor keeps its tree row.
                if let Some(d) = &mut self.shown
                    && d.scroll.cursor >= self.head.len()
                {
                    d.scroll.cursor = d.scroll.cursor - self.head.len() + head.len();
                }
                self.head = head;
            }
        }
        let lines = self.lines();
        if let Some(d) = &mut self.shown {
            d.scroll = d.scroll.visible(lines, cx.rows);
        }
    }

    fn footer(&self, _cx: &Cx) -> Option<String> {
        // The node's path first: on a narrow screen it matters more than the hints.
        self.row().map(|(d, row)| d.tree.path(row))
    }

    fn draw(&self, f: &mut Frame, r: Rect, cx: &Cx, theme: &Theme) {
        let block = Block::default().borders(Borders::LEFT).border_style(theme.dim);
        let inner = block.inner(r);
        f.render_widget(block, r);
        let w = inner.width as usize;
        let Some(d) = &self.shown else {
            f.render_widget(Paragraph::new(title_line("DETAIL", w, cx.focused, theme)), inner);
            return;
        };
        let title = format!(
            "DETAIL  {} · {}",
            cx.store.value(d.event, crate::model::fields::Field::Name),
            crate::tui::timefmt::show(cx.store.time(d.event), cx.time)
        );
        let mut lines = vec![title_line(&title, w, cx.focused, theme)];
        let t = &d.tree;
        let rows = (inner.height as usize).saturating_sub(1);
        let head = self.head.len();
        for (pos, h) in self.head.iter().enumerate().skip(d.scroll.offset).take(rows) {
            let base = theme.row(pos == d.scroll.cursor, cx.focused);
            let text = visible(&h.text);
            let style = h.level.map_or(base.patch(theme.dim), |l| base.patch(theme.level(l)));
            lines.push(Line::from(cell(&text, w, &[], style, style)));
        }
        let shown = lines.len() - 1;
        for (pos, &row) in t.visible().iter().enumerate().skip(d.scroll.offset.saturating_sub(head)).take(rows - shown)
        {
            let pos = pos + head;
            let base = theme.row(pos == d.scroll.cursor, cx.focused);
            let r = &t.rows[row];
            let marker = match r.kind {
                Kind::Container { .. } if t.is_collapsed(row) => "▸ ",
                Kind::Container { .. } => "▾ ",
                Kind::Scalar => "  ",
            };
            let key = t.key_text(row).map(|k| visible(&k).into_owned()).unwrap_or_default();
            let mut spans = vec![
                Span::styled(format!("{}{marker}", indent(r.depth)), base.patch(theme.dim)),
                Span::styled(key, base.patch(theme.key)),
                Span::styled(": ", base),
            ];
            let used: usize = spans.iter().map(|s| s.width()).sum();
            let room = w.saturating_sub(used);
            let value = match r.kind {
                Kind::Scalar => visible(&preview(t.raw(row), room)).into_owned(),
                Kind::Container { .. } => summary(t, row),
            };
            let style = match r.kind {
                Kind::Container { .. } => base.patch(theme.dim),
                Kind::Scalar if t.raw(row).first() == Some(&b'"') => base,
                Kind::Scalar => base.patch(theme.bar),
            };
            spans.extend(cell(&value, room, &[], style, style));
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_cut_long_strings_cheaply() {
        assert_eq!(preview(br#""short""#, 40), "\"short\"");
        assert_eq!(preview(b"12.50", 40), "12.50");
        let long = format!("\"{}\"", "A".repeat(20_000_000));
        let p = preview(long.as_bytes(), 10);
        assert!(p.len() < 80 && p.ends_with('…'));
        // An escape at the cut is not split.
        let esc = format!("\"{}\\u001b{}\"", "x".repeat(50), "y".repeat(100));
        assert!(!preview(esc.as_bytes(), 10).contains('\\'));
        let uni = format!("\"{}\"", "é".repeat(100));
        assert!(preview(uni.as_bytes(), 10).starts_with("\"éé"));
    }
}
