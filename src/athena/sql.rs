//! The query language as Athena SQL (Trino's dialect) over the table of
//! [`super::ddl`], selecting exactly the events trailscope's own evaluator
//! selects (`tests/athena.rs` checks it in DuckDB). Terms only trailscope
//! can answer are refused, naming the term.
//!
//! Every term becomes a condition that is never NULL (`COALESCE(…, FALSE)`),
//! so a negated term selects the events where the value is missing, as
//! trailscope does.

use super::ddl;
use super::schema::{self, Column, Kind};
use crate::json::canon::escape_like_canonical;
use crate::model::actor::ROOT_PREFIX;
use crate::model::fields::{Field, Get};
use crate::model::glob::Glob;
use crate::model::time::{Micros, format_utc};
use crate::query::ast::{Query, Target, Term, TermKind};
use crate::query::eval::absent_matches;
use crate::query::path::Step;
use std::fmt;

/// A term the translation cannot express exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The term as written.
    pub term: String,
    pub why: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.term, self.why)
    }
}

/// What the statement returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Every column, oldest first: to read in the console.
    Records,
    /// The event ID and the S3 object that holds it (`"$path"`): what
    /// `athena run` fetches, so that events load as CloudTrail wrote them.
    Locations,
}

/// The time range besides the query's own terms (`--since`, `--until`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Range {
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

/// Folders are named by delivery day: a file can be delivered this long
/// after its last event...
const LATE: Micros = 24 * 3600 * 1_000_000;
/// ... and is named up to this long before its first one.
const EARLY: Micros = 3600 * 1_000_000;

/// The statement for `q` over `table`.
pub fn statement(q: &Query, table: &str, range: Range, shape: Shape) -> Result<String, Refused> {
    let mut conditions = partitions(q, range);
    let mut t = Translator::default();
    for term in &q.terms {
        let c = t.term(term)?;
        conditions.push(if term.negated { format!("NOT {c}") } else { c });
    }
    for (bound, op) in [(range.since, ">="), (range.until, "<")] {
        if let Some(at) = bound {
            conditions.push(format!("from_iso8601_timestamp(eventtime) {op} {}", timestamp(at)));
        }
    }
    let mut sql = format!("-- trailscope: {}\n", one_line(&q.to_string()));
    sql += match shape {
        Shape::Records => "SELECT *",
        Shape::Locations => "SELECT eventid, \"$path\" AS object",
    };
    sql += &format!("\nFROM {table}");
    if !conditions.is_empty() {
        sql += &format!("\nWHERE {}", conditions.join("\n  AND "));
    }
    if shape == Shape::Records {
        sql += "\nORDER BY eventtime";
    }
    Ok(sql)
}

/// The query on one line, for the comment that heads the statement.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// Predicates on the partition columns, so that Athena reads only the
/// folders that can hold a match: days from the time range (with slack,
/// since folders are named by delivery), accounts from `recipientaccountid:`
/// and regions from `region:` (`account:` names the caller's account too,
/// which may be anyone's, so it cannot prune).
fn partitions(q: &Query, range: Range) -> Vec<String> {
    let (after, before) = q.within(range.since, range.until);
    let mut out = Vec::new();
    for term in q.terms.iter().filter(|t| !t.negated) {
        match &term.kind {
            TermKind::Match { target: Target::Fields { fields, .. }, value } if !value.has_star() => {
                let column = match fields[..] {
                    [Field::Region] => ddl::REGION,
                    [Field::Account] => ddl::ACCOUNT,
                    _ => continue,
                };
                out.push(format!("\"{column}\" = {}", literal(&value.parts()[0])));
            }
            _ => {}
        }
    }
    let day = |t: Micros| format_utc(t)[..10].replace('-', "/");
    if let Some(a) = after {
        out.push(format!("\"{}\" >= '{}'", ddl::DAY, day(a - EARLY)));
    }
    if let Some(b) = before {
        out.push(format!("\"{}\" <= '{}'", ddl::DAY, day(b + LATE)));
    }
    out
}

/// A timestamp literal with microseconds.
fn timestamp(t: Micros) -> String {
    let s = format_utc(t);
    format!("from_iso8601_timestamp('{}.{:06}Z')", &s[..19], t.rem_euclid(1_000_000))
}

/// A string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `value` (SQL text, possibly NULL) matches `glob` as trailscope matches:
/// case aside, whole value, `*` any run; `*` alone needs a non-empty value.
fn matches(value: &str, glob: &Glob) -> String {
    if glob.is_any() {
        return format!("{value} <> ''");
    }
    let parts = glob.parts();
    if !glob.has_star() {
        return format!("lower({value}) = {}", literal(&parts[0]));
    }
    let escaped: Vec<String> = parts
        .iter()
        .map(|p| {
            p.chars().fold(String::new(), |mut s, c| {
                if matches!(c, '%' | '_' | '\\') {
                    s.push('\\');
                }
                s.push(c);
                s
            })
        })
        .collect();
    format!("lower({value}) LIKE {} ESCAPE '\\'", literal(&escaped.join("%")))
}

fn never_null(c: String) -> String {
    format!("COALESCE({c}, FALSE)")
}

/// A value that is NULL when empty (trailscope reads empty identity members as missing).
fn present(v: &str) -> String {
    format!("NULLIF({v}, '')")
}

/// The actor as trailscope derives it from `userIdentity` (`model::actor`).
fn actor() -> String {
    let u = |m: &str| format!("useridentity.{m}");
    let some = |m: &str| format!("{} IS NOT NULL", present(&u(m)));
    let issuer = "useridentity.sessioncontext.sessionissuer.username";
    let extra_name = "json_extract_scalar(TRY(json_parse(additionaleventdata)), '$.UserName')";
    let after = |v: &str, marker: &str| format!("substr({v}, strpos({v}, '{marker}') + {})", marker.len());
    let principal_rest = after(&u("principalid"), ":");
    let generic = format!(
        "COALESCE({}, {}, {}, {})",
        present(&u("username")),
        present(&u("arn")),
        present(&u("principalid")),
        present(&u("type"))
    );
    [
        "CASE".to_string(),
        format!(
            "WHEN {t} IN ('IAMUser', 'SAMLUser', 'WebIdentityUser') AND {} THEN {}",
            some("username"),
            u("username"),
            t = u("type")
        ),
        format!(
            "WHEN {t} IN ('AssumedRole', 'Role') AND {} AND {} IS NOT NULL THEN {issuer} || '/' || element_at(split({arn}, '/'), -1)",
            some("arn"),
            present(issuer),
            t = u("type"),
            arn = u("arn")
        ),
        format!(
            "WHEN {t} IN ('AssumedRole', 'Role') AND strpos({arn}, ':assumed-role/') > 0 THEN {}",
            after(&u("arn"), ":assumed-role/"),
            t = u("type"),
            arn = u("arn")
        ),
        format!(
            "WHEN {t} = 'Root' THEN CASE WHEN {} THEN '{ROOT_PREFIX}' || {acct} ELSE 'root' END",
            some("accountid"),
            t = u("type"),
            acct = u("accountid")
        ),
        format!("WHEN {t} = 'AWSService' AND {} THEN {}", some("invokedby"), u("invokedby"), t = u("type")),
        format!(
            "WHEN {t} = 'FederatedUser' AND strpos({arn}, 'federated-user/') > 0 THEN {}",
            after(&u("arn"), "federated-user/"),
            t = u("type"),
            arn = u("arn")
        ),
        format!(
            "WHEN {t} = 'IdentityCenterUser' AND {} IS NOT NULL THEN {extra_name}",
            present(extra_name),
            t = u("type")
        ),
        format!("WHEN {t} = 'IdentityCenterUser' AND {} THEN {}", some("onbehalfof.userid"), u("onbehalfof.userid"), t = u("type")),
        format!(
            "WHEN {t} = 'AWSAccount' AND {} THEN CASE WHEN strpos({p}, ':') > 0 AND {rest} <> '' THEN {acct} || '/' || {rest} ELSE {acct} END",
            some("accountid"),
            t = u("type"),
            p = u("principalid"),
            rest = principal_rest,
            acct = u("accountid")
        ),
        format!("ELSE {generic}"),
        "END".to_string(),
    ]
    .join(" ")
}

/// The SQL name of a member of the record read through the table, from its
/// CloudTrail keys; None when the table has no such column.
fn column_sql(keys: &[&str]) -> Option<String> {
    let mut col = schema::column(keys[0])?;
    let mut sql = col.name();
    for k in &keys[1..] {
        col = col.member(k)?;
        sql = format!("{sql}.{}", col.name());
    }
    Some(sql)
}

#[derive(Default)]
struct Translator {
    /// Lambda variables made so far (each needs its own name).
    vars: usize,
}

impl Translator {
    fn var(&mut self) -> String {
        self.vars += 1;
        format!("x{}", self.vars)
    }

    /// The term's condition, before negation.
    fn term(&mut self, term: &Term) -> Result<String, Refused> {
        let refuse = |why: String| Refused { term: Term { negated: false, kind: term.kind.clone() }.to_string(), why };
        match &term.kind {
            TermKind::After(b) => Ok(format!("from_iso8601_timestamp(eventtime) >= {}", timestamp(b.at))),
            TermKind::Before(b) => Ok(format!("from_iso8601_timestamp(eventtime) < {}", timestamp(b.at))),
            TermKind::Fuzzy(w) => Err(refuse(format!(
                "a plain word is a fuzzy match on what the list shows, which only trailscope computes; \
                 quote it (\"{w}\") to search the text, or load the cut and type it in the explorer"
            ))),
            TermKind::Text(text) => self.text(text).map(never_null).map_err(refuse),
            TermKind::Match { target: Target::Fields { fields, .. }, value } => {
                self.fields(fields, value).map(never_null).map_err(refuse)
            }
            TermKind::Match { target: Target::Path { steps, .. }, value } => {
                self.path(steps, value).map(never_null).map_err(refuse)
            }
        }
    }

    fn fields(&mut self, fields: &[Field], glob: &Glob) -> Result<String, String> {
        let each: Vec<String> = fields.iter().map(|&f| self.field(f, glob)).collect::<Result<_, _>>()?;
        Ok(if each.len() == 1 { each[0].clone() } else { format!("({})", each.join(" OR ")) })
    }

    fn field(&mut self, field: Field, glob: &Glob) -> Result<String, String> {
        let after_loading = "load the cut, then apply it in trailscope";
        let column = match field.def().get {
            Get::Top { key, .. } => column_sql(&[key]),
            Get::Identity(key) => column_sql(&["userIdentity", key]),
            Get::Time => None,
            Get::Actor => {
                let a = actor();
                let mut alternatives = vec![format!("COALESCE({}, FALSE)", matches(&format!("({a})"), glob))];
                if glob.matches("root") {
                    alternatives.push(format!("{a} LIKE '{ROOT_PREFIX}%'"));
                }
                if absent_matches(field, glob) {
                    alternatives.push(format!("({a}) IS NULL"));
                }
                return Ok(format!("({})", alternatives.join(" OR ")));
            }
            Get::Issued | Get::IssuedTo => {
                return Err(format!(
                    "trailscope works this out from the responses of the calls that hand out credentials; \
                     in Athena ask for the response's own path (responseElements.credentials.accessKeyId:…), \
                     or {after_loading}"
                ));
            }
            Get::Derived => {
                return Err(format!(
                    "only trailscope computes {} (after loading events); {after_loading}",
                    field.label()
                ));
            }
        };
        let column = column.ok_or_else(|| format!("Athena's CloudTrail table has no column for {}", field.name()))?;
        if field == Field::Source {
            let short = format!(
                "CASE WHEN {column} LIKE '%.amazonaws.com' THEN substr({column}, 1, length({column}) - 14) END"
            );
            return Ok(format!("({} OR {})", matches(&column, glob), matches(&short, glob)));
        }
        Ok(matches(&column, glob))
    }

    /// A dotted path: through the table's structs, then into the JSON of
    /// the parameter columns.
    fn path(&mut self, steps: &[Step], glob: &Glob) -> Result<String, String> {
        let Some(Step::Key(root)) = steps.first() else { return Ok("FALSE".into()) };
        let Some(col) = schema::column(root) else {
            return Err(format!(
                "Athena's CloudTrail table has no column {root} (keys are matched as CloudTrail spells them)"
            ));
        };
        self.walk(&col.name(), col, &steps[1..], glob)
    }

    /// Walks `steps` from the value `sql` of `col`.
    fn walk(&mut self, sql: &str, col: &Column, steps: &[Step], glob: &Glob) -> Result<String, String> {
        match (col.kind, steps.split_first()) {
            (Kind::Text, None) | (Kind::Json, None) => Ok(matches(sql, glob)),
            // trailscope looks into strings for nothing.
            (Kind::Text, Some(_)) => Ok("FALSE".into()),
            (Kind::Json, Some(_)) => {
                // Not every value is JSON (real events carry plain text here).
                Ok(self.json(&format!("TRY(json_parse({sql}))"), steps, glob))
            }
            (Kind::Struct(_) | Kind::Structs(_), None) => {
                Err(format!("{} holds several values; name one of its members", col.key))
            }
            (Kind::Map, _) => Err(format!("{} is a map in Athena's table; search it with quoted text", col.key)),
            (Kind::Struct(_), Some((Step::Key(k), rest))) => {
                let m = col.member(k).ok_or_else(|| no_member(col, k))?;
                self.walk(&format!("{sql}.{}", m.name()), m, rest, glob)
            }
            (Kind::Struct(_), Some((Step::Index(_), _))) => Ok("FALSE".into()),
            (Kind::Structs(_), Some((Step::Key(k), rest))) => {
                let m = col.member(k).ok_or_else(|| no_member(col, k))?;
                let x = self.var();
                let inner = self.walk(&format!("{x}.{}", m.name()), m, rest, glob)?;
                Ok(format!("cardinality(filter({sql}, {x} -> {inner})) > 0"))
            }
            (Kind::Structs(members), Some((Step::Index(n), rest))) => {
                let one = Column { key: col.key, kind: Kind::Struct(members) };
                self.walk(&format!("element_at({sql}, {})", n + 1), &one, rest, glob)
            }
        }
    }

    /// Walks `steps` into the JSON value `x`, as trailscope does: a key
    /// looks into an object's member, and into each element of an array
    /// (arrays within arrays two levels deep). The values reached are kept as
    /// an array, so the statement grows with the path, not with its arrays.
    fn json(&mut self, x: &str, steps: &[Step], glob: &Glob) -> String {
        let mut values = format!("ARRAY[{x}]");
        for step in steps {
            values = match step {
                Step::Index(n) => {
                    let v = self.var();
                    format!("transform({values}, {v} -> json_extract({v}, '$[{n}]'))")
                }
                Step::Key(k) => {
                    for _ in 0..2 {
                        let v = self.var();
                        values = format!(
                            "flatten(transform({values}, {v} -> COALESCE(TRY_CAST({v} AS ARRAY(JSON)), ARRAY[{v}])))"
                        );
                    }
                    let v = self.var();
                    let path = literal(&format!("$[{}]", json_string(k)));
                    format!("transform({values}, {v} -> json_extract({v}, {path}))")
                }
            };
        }
        let v = self.var();
        let scalar = format!("json_extract_scalar({v}, '$')");
        let text = format!("CASE WHEN {scalar} IS NOT NULL THEN {scalar} ELSE NULLIF(json_format({v}), 'null') END");
        format!("cardinality(filter({values}, {v} -> {})) > 0", matches(&format!("({text})"), glob))
    }

    /// Quoted text: found in any value of the table (in the JSON columns as
    /// written there, keys included).
    fn text(&mut self, text: &str) -> Result<String, String> {
        if text.contains(['"', ':', '{', '}', '[', ']', ',']) || text.chars().any(char::is_control) {
            return Err("text that spans JSON structure is searched only by trailscope; \
                        search for the values alone, or load the cut first"
                .into());
        }
        let lower = text.to_lowercase();
        // trailscope finds a key's name even where its value is null, and
        // the table cannot tell a null from a missing key.
        let mut key = None;
        schema::each(|c, _| {
            if key.is_none() && c.key.to_lowercase().contains(&lower) {
                key = Some(c.key);
            }
        });
        if let Some(k) = key {
            return Err(format!(
                "the text is part of the key {k}, which trailscope finds in every event that has the key, \
                 even with a null value; Athena sees only values: search for a value"
            ));
        }
        if "null".contains(&lower) {
            return Err("the text is part of null, which trailscope finds in every null value; \
                        Athena cannot tell a null from a missing value"
                .into());
        }
        let plain = literal(&lower);
        let json = literal(&escape_like_canonical(text).to_lowercase());
        let found = |v: &str, needle: &str| format!("strpos(lower({v}), {needle}) > 0");
        let mut any = Vec::new();
        schema::each(|c, sql| match c.kind {
            Kind::Text => any.push(found(sql, &plain)),
            Kind::Json => any.push(found(sql, &json)),
            Kind::Structs(members) => {
                let inner: Vec<String> = members.iter().map(|m| found(&format!("r.{}", m.name()), &plain)).collect();
                any.push(format!("cardinality(filter({sql}, r -> {})) > 0", inner.join(" OR ")));
            }
            Kind::Struct(_) | Kind::Map => {}
        });
        Ok(format!("({})", any.iter().map(|c| format!("COALESCE({c}, FALSE)")).collect::<Vec<_>>().join(" OR ")))
    }
}

fn no_member(col: &Column, k: &str) -> String {
    format!("Athena's CloudTrail table has no member {k} in {} (keys are matched as CloudTrail spells them)", col.key)
}

/// `k` as a JSON string, for a JSON path (`$["bucketName"]`).
fn json_string(k: &str) -> String {
    serde_json::to_string(k).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::time::parse_bound;
    use crate::query::parse;

    fn sql(q: &str) -> Result<String, Refused> {
        statement(&parse(q).unwrap(), "t", Range::default(), Shape::Records)
    }

    #[test]
    fn globs_become_like_with_escapes() {
        assert_eq!(matches("c", &Glob::new("Get*")), "lower(c) LIKE 'get%' ESCAPE '\\'");
        assert_eq!(matches("c", &Glob::new("a_b%c\\d*")), "lower(c) LIKE 'a\\_b\\%c\\\\d%' ESCAPE '\\'");
        assert_eq!(matches("c", &Glob::new("O'Brien")), "lower(c) = 'o''brien'");
        assert_eq!(matches("c", &Glob::new("*")), "c <> ''");
        assert_eq!(matches("c", &Glob::new(r"a\*b")), "lower(c) = 'a*b'");
    }

    #[test]
    fn terms_only_trailscope_answers_are_refused_by_name() {
        for (q, term, says) in [
            ("name:Get* alice", "alice", "fuzzy"),
            ("rule:*", "rule:*", "only trailscope"),
            ("-origin:bob", "origin:bob", "only trailscope"),
            ("session:x", "session:x", "only trailscope"),
            ("new:ip", "new:ip", "only trailscope"),
            ("incident:1", "incident:1", "only trailscope"),
            ("issued:ASIA*", "issued:ASIA*", "responseElements.credentials.accessKeyId"),
            ("insightDetails.state:Start", "insightDetails.state:Start", "no column insightDetails"),
            ("userIdentity.sessionContext:*", "userIdentity.sessionContext:*", "several values"),
            ("userIdentity.nope:x", "userIdentity.nope:x", "no member nope"),
            ("\"a\\\":b\"", "\"a\\\":b\"", "spans JSON structure"),
        ] {
            let err = sql(q).unwrap_err();
            assert_eq!(err.term, term, "{q}");
            assert!(err.why.contains(says), "{q}: {err}");
        }
    }

    #[test]
    fn partitions_follow_the_range_and_the_cut() {
        let s = sql("recipientaccountid:111122223333 region:EU-WEST-1 after:2024-03-02T10 before:2024-03-04").unwrap();
        assert!(s.contains("\"accountid\" = '111122223333'"), "{s}");
        assert!(s.contains("\"region\" = 'eu-west-1'"), "{s}");
        assert!(s.contains("\"timestamp\" >= '2024/03/02'"), "{s}");
        assert!(s.contains("\"timestamp\" <= '2024/03/05'"), "a day of slack after the end: {s}");
        // An hour early for files named before their first event.
        assert!(sql("after:2024-03-02T00:30").unwrap().contains("\"timestamp\" >= '2024/03/01'"));
        // Negated, starred or two-field terms do not prune.
        for q in ["-region:eu-west-1", "region:eu-*", "account:111122223333", "-after:2024-01-01"] {
            let s = sql(q).unwrap();
            assert!(
                !s.contains("\"region\" =") && !s.contains("\"accountid\"") && !s.contains("\"timestamp\""),
                "{q}: {s}"
            );
        }
        let r = Range { since: parse_bound("2024-01-01"), until: parse_bound("2024-01-02") };
        let s = statement(&parse("").unwrap(), "t", r, Shape::Locations).unwrap();
        assert!(s.starts_with("-- trailscope: \nSELECT eventid, \"$path\" AS object\nFROM t\nWHERE "), "{s}");
        assert!(
            s.contains("from_iso8601_timestamp(eventtime) < from_iso8601_timestamp('2024-01-02T00:00:00.000000Z')")
        );
    }

    #[test]
    fn a_query_cannot_end_the_comment_or_the_literal() {
        let s = sql("name:\"x\ny' OR 1=1 --\"").unwrap();
        assert!(s.starts_with("-- trailscope: name:\"x y' OR 1=1 --\"\nSELECT"), "{s}");
        assert!(s.contains("lower(eventname) = 'x\ny'' or 1=1 --'"), "{s}");
    }
}
