//! Sigma rules as data: what a rule says (its metadata, its detection or
//! correlation), read from a YAML document. Anything outside the subset
//! trailscope evaluates is an error naming the construct, for that rule only.

use super::condition::{self, Cond};
use super::pattern::{Modifiers, Pattern};
use super::yaml::Node;
use crate::model::time::Micros;

/// How serious a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational = 1,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    pub const COUNT: usize = 5;
    pub const ALL: [Level; Level::COUNT] =
        [Level::Informational, Level::Low, Level::Medium, Level::High, Level::Critical];

    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        }
    }

    /// A mark that reads without colour: one cell.
    pub fn glyph(self) -> &'static str {
        match self {
            Level::Informational => "·",
            Level::Low => "○",
            Level::Medium => "◆",
            Level::High => "▲",
            Level::Critical => "‼",
        }
    }

    pub fn from_u8(n: u8) -> Option<Level> {
        Level::ALL.iter().copied().find(|l| *l as u8 == n)
    }
}

/// What a rule says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub id: String,
    pub name: Option<String>,
    pub title: String,
    pub status: Option<String>,
    /// Why it matters.
    pub description: String,
    pub references: Vec<String>,
    pub author: Option<String>,
    pub license: Option<String>,
    pub tags: Vec<String>,
    pub level: Level,
    pub falsepositives: Vec<String>,
    /// The file it came from (for built-in rules, its path in the catalogue).
    pub file: String,
    pub builtin: bool,
}

impl Meta {
    /// The ATT&CK tactics among the tags (`attack.persistence` → `persistence`;
    /// techniques, groups and software, `attack.t1098`, are left out).
    pub fn tactics(&self) -> impl Iterator<Item = &str> {
        self.tags.iter().filter_map(|t| t.strip_prefix("attack.")).filter(|t| {
            let b = t.as_bytes();
            !(b.len() > 1 && matches!(b[0] | 0x20, b't' | b'g' | b's') && b[1].is_ascii_digit())
        })
    }

    /// How a rule is named in short: its name, else its id.
    pub fn key(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// One test of a field: `field|modifiers: values`.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldTest {
    /// A dotted path into the record; empty for a keyword (the whole record).
    pub field: String,
    pub test: Test,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// `|exists: true/false`: the field is there (not absent, not null).
    Exists(bool),
    /// Any (or, with `|all`, every) pattern matches some value of the
    /// field; `or_null` also takes an absent or null field (`null` in the list).
    Values { patterns: Vec<Pattern>, all: bool, or_null: bool },
    /// `|fieldref`: some value equals (or contains, starts, ends with) some
    /// value of the other field.
    FieldRef { other: Vec<String>, how: Modifiers },
}

/// A named search: what the condition refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// A map: every test holds.
    All(Vec<FieldTest>),
    /// A list of maps: one of them holds.
    Any(Vec<Vec<FieldTest>>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub selections: Vec<(String, Selection)>,
    pub condition: Cond,
}

/// Fields trailscope works out beside the records, which rules may test:
/// first-seen analytics (see `identity::firsts`). `trailscope.new` lists what
/// the event is the first use of, `trailscope.fresh` what it uses that was
/// first used within the hour. They are known only once every event is in,
/// so a rule testing them is answered when loading ends.
pub const DERIVED: [&str; 2] = ["trailscope.new", "trailscope.fresh"];

/// A rule may test this many derived searches (each answer is tried both ways while loading).
const DERIVED_SEARCHES: usize = 4;

impl Selection {
    fn tests(&self) -> Vec<&FieldTest> {
        match self {
            Selection::All(t) => t.iter().collect(),
            Selection::Any(alts) => alts.iter().flatten().collect(),
        }
    }
}

impl Detection {
    /// The searches that test derived fields (each tests nothing else).
    pub fn deferred(&self) -> Vec<usize> {
        (0..self.selections.len())
            .filter(|&i| self.selections[i].1.tests().iter().any(|t| t.field.starts_with("trailscope.")))
            .collect()
    }

    /// Why the rule's tests of derived fields cannot be answered, if so.
    fn check_derived(&self) -> Res<()> {
        let mut deferred = 0;
        for (name, sel) in &self.selections {
            let tests = sel.tests();
            let derived = tests.iter().filter(|t| t.field.starts_with("trailscope.")).count();
            if let Some(t) = tests.iter().find(|t| t.field.starts_with("trailscope.") && !DERIVED.contains(&&*t.field))
            {
                return Err(format!("{name} tests {}, which trailscope does not work out", t.field));
            }
            if derived > 0 && derived < tests.len() {
                return Err(format!(
                    "{name} tests trailscope fields beside the record's: give them a selection of their own"
                ));
            }
            if derived > 0 && tests.iter().any(|t| matches!(t.test, Test::FieldRef { .. })) {
                return Err(format!("{name}: trailscope fields cannot be compared with |fieldref"));
            }
            deferred += (derived > 0) as usize;
        }
        if deferred > DERIVED_SEARCHES || (deferred > 0 && self.selections.len() > 32) {
            return Err(format!("at most {DERIVED_SEARCHES} selections on trailscope fields, and 32 in all"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrKind {
    EventCount,
    ValueCount,
    Temporal,
    TemporalOrdered,
}

/// A correlation's count condition: every bound given holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Range {
    pub gt: Option<u64>,
    pub gte: Option<u64>,
    pub lt: Option<u64>,
    pub lte: Option<u64>,
    pub eq: Option<u64>,
}

impl Range {
    pub fn holds(&self, n: u64) -> bool {
        self.gt.is_none_or(|b| n > b)
            && self.gte.is_none_or(|b| n >= b)
            && self.lt.is_none_or(|b| n < b)
            && self.lte.is_none_or(|b| n <= b)
            && self.eq.is_none_or(|b| n == b)
    }

    /// The least count the bounds allow.
    pub fn floor(&self) -> u64 {
        [self.gt.map(|b| b.saturating_add(1)), self.gte, self.eq].into_iter().flatten().max().unwrap_or(0)
    }

    fn is_empty(&self) -> bool {
        *self == Range::default()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Correlation {
    pub kind: CorrKind,
    /// The rules it counts, as written (ids, names, or titles).
    pub rules: Vec<String>,
    pub group_by: Vec<String>,
    pub timespan: Micros,
    pub condition: Range,
    /// For value_count: the field whose distinct values are counted.
    pub field: Option<String>,
    /// Whether the rules it counts also report their own matches.
    pub generate: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    Detection(Detection),
    Correlation(Correlation),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub meta: Meta,
    pub body: Body,
}

type Res<T> = Result<T, String>;

fn text_of(doc: &Node, key: &str) -> Option<String> {
    doc.get(key).and_then(Node::text).map(String::from)
}

fn meta(doc: &Node, file: &str, builtin: bool) -> Res<Meta> {
    let title = text_of(doc, "title").ok_or("no title")?;
    let level = match doc.get("level").and_then(Node::text) {
        Some(l) => Level::parse(l).ok_or_else(|| format!("unknown level {l:?}"))?,
        None => Level::Medium,
    };
    Ok(Meta {
        id: text_of(doc, "id").unwrap_or_else(|| title.clone()),
        name: text_of(doc, "name"),
        title,
        status: text_of(doc, "status"),
        description: text_of(doc, "description").unwrap_or_default().trim().to_string(),
        references: doc.get("references").map(Node::texts).unwrap_or_default(),
        author: text_of(doc, "author"),
        license: text_of(doc, "license"),
        tags: doc.get("tags").map(Node::texts).unwrap_or_default(),
        level,
        falsepositives: doc.get("falsepositives").map(Node::texts).unwrap_or_default(),
        file: file.to_string(),
        builtin,
    })
}

/// The tests of `field|modifiers: value`.
fn field_test(key: &str, value: &Node) -> Res<FieldTest> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or("").to_string();
    let mods = Modifiers::parse(parts)?;
    if mods.exists {
        let Node::Bool(b) = value else { return Err(format!("{key}: exists takes true or false")) };
        return Ok(FieldTest { field, test: Test::Exists(*b) });
    }
    let values: Vec<&Node> = match value {
        Node::Seq(items) => items.iter().collect(),
        one => vec![one],
    };
    if mods.fieldref {
        let other: Vec<String> = values.iter().filter_map(|v| v.text().map(String::from)).collect();
        return Ok(FieldTest { field, test: Test::FieldRef { other, how: mods } });
    }
    let or_null = values.iter().any(|v| **v == Node::Null);
    let mut patterns = Vec::new();
    for v in values.iter().filter(|v| ***v != Node::Null) {
        let text = v.text().ok_or_else(|| format!("{key}: a value that is a list or a map"))?;
        patterns.push(Pattern::compile(text, &mods)?);
    }
    if mods.all && patterns.len() < 2 {
        return Err(format!("{key}: all needs a list of values"));
    }
    Ok(FieldTest { field, test: Test::Values { patterns, all: mods.all, or_null } })
}

fn map_tests(entries: &[(String, Node)]) -> Res<Vec<FieldTest>> {
    entries.iter().map(|(k, v)| field_test(k, v)).collect()
}

fn selection(name: &str, node: &Node) -> Res<Selection> {
    match node {
        Node::Map(entries) => Ok(Selection::All(map_tests(entries)?)),
        Node::Seq(items) if items.iter().all(|i| matches!(i, Node::Map(_))) => {
            let alts = items.iter().map(|i| if let Node::Map(m) = i { map_tests(m) } else { unreachable!() });
            Ok(Selection::Any(alts.collect::<Res<_>>()?))
        }
        // A list of plain values (or one): keywords searched in the whole event.
        Node::Seq(_) | Node::Str(_) => {
            let texts = node.texts();
            let patterns = texts.iter().map(|t| Pattern::compile(t, &Modifiers::contains())).collect::<Res<_>>()?;
            Ok(Selection::All(vec![FieldTest {
                field: String::new(),
                test: Test::Values { patterns, all: false, or_null: false },
            }]))
        }
        _ => Err(format!("search {name} is neither a map, a list of maps nor keywords")),
    }
}

fn detection(node: &Node) -> Res<Detection> {
    let Node::Map(entries) = node else { return Err("detection is not a map".into()) };
    let mut selections = Vec::new();
    let mut cond_text = None;
    for (k, v) in entries {
        match k.as_str() {
            "condition" => cond_text = Some(v),
            "timeframe" => return Err("timeframe (Sigma 1 aggregations) is not supported".into()),
            name => selections.push((name.to_string(), selection(name, v)?)),
        }
    }
    let cond_node = cond_text.ok_or("no condition")?;
    let conditions = match cond_node {
        Node::Seq(items) => items.iter().map(|i| i.text().map(String::from)).collect::<Option<Vec<_>>>(),
        other => other.text().map(|t| vec![t.to_string()]),
    }
    .filter(|c| !c.is_empty())
    .ok_or("an empty condition")?;
    let names: Vec<&str> = selections.iter().map(|(n, _)| n.as_str()).collect();
    // A list of conditions: any of them.
    let parsed = conditions.iter().map(|c| condition::parse(c, &names)).collect::<Res<Vec<_>>>()?;
    let condition = if parsed.len() == 1 { parsed.into_iter().next().expect("one") } else { Cond::Or(parsed) };
    let d = Detection { selections, condition };
    d.check_derived()?;
    Ok(d)
}

/// `10m` → microseconds.
pub fn timespan(s: &str) -> Res<Micros> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().map_err(|_| format!("timespan {s:?} is not a number and a unit"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("timespan {s:?}: the unit is s, m, h, d or w")),
    };
    n.checked_mul(secs * 1_000_000).filter(|t| *t > 0).ok_or_else(|| format!("timespan {s:?} out of range"))
}

fn range(node: Option<&Node>) -> Res<(Range, Option<String>)> {
    let mut r = Range::default();
    let mut field = None;
    let Some(Node::Map(entries)) = node else {
        return if node.is_none_or(|n| *n == Node::Null) {
            Ok((r, None))
        } else {
            Err("condition is not a map".into())
        };
    };
    for (k, v) in entries {
        let n = || v.text().and_then(|t| t.parse::<u64>().ok()).ok_or_else(|| format!("condition {k} is not a count"));
        match k.as_str() {
            "gt" => r.gt = Some(n()?),
            "gte" => r.gte = Some(n()?),
            "lt" => r.lt = Some(n()?),
            "lte" => r.lte = Some(n()?),
            "eq" => r.eq = Some(n()?),
            "field" => field = v.texts().into_iter().next(),
            other => return Err(format!("condition key {other} is not supported")),
        }
    }
    Ok((r, field))
}

fn correlation(node: &Node, doc: &Node) -> Res<Correlation> {
    let kind = match node.get("type").and_then(Node::text) {
        Some("event_count") => CorrKind::EventCount,
        Some("value_count") => CorrKind::ValueCount,
        Some("temporal") => CorrKind::Temporal,
        Some("temporal_ordered") => CorrKind::TemporalOrdered,
        Some(other) => return Err(format!("correlation type {other} is not supported")),
        None => return Err("correlation without a type".into()),
    };
    if node.get("aliases").is_some_and(|a| *a != Node::Null) {
        return Err("correlation aliases are not supported".into());
    }
    let rules = node.get("rules").map(Node::texts).unwrap_or_default();
    if rules.is_empty() {
        return Err("correlation without rules".into());
    }
    let span = node.get("timespan").or_else(|| node.get("timeframe")).and_then(Node::text).ok_or("no timespan")?;
    let (condition, field) = range(node.get("condition"))?;
    match kind {
        CorrKind::EventCount | CorrKind::ValueCount if condition.is_empty() => {
            return Err("event_count and value_count need a condition".into());
        }
        CorrKind::ValueCount if field.is_none() => return Err("value_count needs a field in its condition".into()),
        _ => {}
    }
    // `generate` is read inside `correlation:` (where rules write it) or at the top.
    let generate = node.get("generate").or_else(|| doc.get("generate")) == Some(&Node::Bool(true));
    Ok(Correlation {
        kind,
        rules,
        group_by: node.get("group-by").map(Node::texts).unwrap_or_default(),
        timespan: timespan(span)?,
        condition,
        field,
        generate,
    })
}

/// A rule from one YAML document. `file` names where it came from.
pub fn read(doc: &Node, file: &str, builtin: bool) -> Result<Rule, (Option<String>, String)> {
    let who = text_of(doc, "title").or_else(|| text_of(doc, "id"));
    let fail = |why: String| (who.clone(), why);
    let meta = meta(doc, file, builtin).map_err(fail)?;
    if let Some(ls) = doc.get("logsource") {
        let product = ls.get("product").and_then(Node::text);
        let service = ls.get("service").and_then(Node::text);
        if product.is_some_and(|p| !p.eq_ignore_ascii_case("aws"))
            || service.is_some_and(|s| !s.eq_ignore_ascii_case("cloudtrail"))
        {
            return Err(fail(format!(
                "logsource {}/{} is not aws/cloudtrail",
                product.unwrap_or("-"),
                service.unwrap_or("-")
            )));
        }
    }
    let body = match (doc.get("detection"), doc.get("correlation")) {
        (Some(d), None) => Body::Detection(detection(d).map_err(fail)?),
        (None, Some(c)) => Body::Correlation(correlation(c, doc).map_err(fail)?),
        (Some(_), Some(_)) => return Err(fail("both a detection and a correlation".into())),
        (None, None) => return Err(fail("neither a detection nor a correlation".into())),
    };
    Ok(Rule { meta, body })
}

#[cfg(test)]
mod tests {
    use super::Range;

    #[test]
    fn a_range_floor_is_the_least_count_it_holds_for() {
        let r = |gt, gte, lt, eq| Range { gt, gte, lt, lte: None, eq };
        for (range, floor) in [
            (r(None, None, None, None), 0),
            (r(Some(3), None, None, None), 4),
            (r(None, Some(5), Some(9), None), 5),
            (r(Some(2), Some(1), None, Some(7)), 7),
            (r(None, None, Some(4), None), 0),
            (r(Some(u64::MAX), None, None, None), u64::MAX),
        ] {
            assert_eq!(range.floor(), floor, "{range:?}");
            assert!(floor == 0 || floor == u64::MAX || !range.holds(floor - 1), "{range:?} holds below its floor");
        }
    }
}
