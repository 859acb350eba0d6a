//! Queries drawn from the events themselves (fields, paths, text, time;
//! 1 to 3 terms, a quarter negated), for tests that compare two ways of
//! answering them.

use serde_json::Value;
use std::sync::RwLock;
use trailscope::model::fields::{Field, resolve};
use trailscope::model::glob::Glob;
use trailscope::model::time::format_utc;
use trailscope::query::ast::{Bound, Query, Target, Term, TermKind};
use trailscope::store::Store;

/// A small deterministic generator (xorshift), so a failure repeats.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Every (path, scalar text) of a record under `at`, paths written as a
/// query writes them; array elements either by index or looked through.
fn leaves(v: &Value, at: String, rng: &mut Rng, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if at.is_empty() { k.clone() } else { format!("{at}.{k}") };
                leaves(x, p, rng, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate().take(3) {
                let p = if rng.chance(50) { format!("{at}[{i}]") } else { at.clone() };
                leaves(x, p, rng, out);
            }
        }
        Value::Null => {}
        Value::String(s) => out.push((at, s.clone())),
        other => out.push((at, other.to_string())),
    }
}

/// A pattern derived from `value`: itself, a prefix, a suffix or a middle
/// with stars, in another case, any value, or something absent.
fn pattern(value: &str, rng: &mut Rng) -> Glob {
    let chars: Vec<char> = value.chars().collect();
    let cut = |a: usize, b: usize| chars[a.min(chars.len())..b.min(chars.len())].iter().collect::<String>();
    let n = chars.len();
    let escape = |s: &str| Glob::literal(s).text().to_string();
    let text = match rng.below(8) {
        0 => escape(value),
        1 => escape(&value.to_uppercase()),
        2 => format!("{}*", escape(&cut(0, rng.below(n + 1)))),
        3 => format!("*{}", escape(&cut(rng.below(n + 1), n))),
        4 => {
            let a = rng.below(n + 1);
            format!("*{}*", escape(&cut(a, a + 1 + rng.below(6))))
        }
        5 => "*".into(),
        6 => format!("{}*{}", escape(&cut(0, 2)), escape(&cut(n.saturating_sub(2), n))),
        _ => "zz-nothing-*".into(),
    };
    Glob::new(&text)
}

/// Field names to ask about (each name of the table that Athena can answer).
const FIELD_NAMES: &[&str] = &[
    "name",
    "source",
    "actor",
    "type",
    "region",
    "ip",
    "account",
    "recipientaccountid",
    "error",
    "agent",
    "readonly",
    "eventtype",
    "category",
    "key",
    "id",
    "request",
    "arn",
    "principal",
    "invokedby",
    "vpce",
    "message",
];

fn random_term(store: &RwLock<Store>, records: &[Value], order: &[usize], rng: &mut Rng) -> Term {
    let at = *rng.pick(order);
    let rec = &records[at];
    let negated = rng.chance(25);
    let kind = match rng.below(10) {
        0..=3 => {
            let name = *rng.pick(FIELD_NAMES);
            let target = Target::named(name).unwrap();
            // The value as trailscope shows it: from the store's own column where it has one.
            let mut values = Vec::new();
            leaves(rec, String::new(), rng, &mut values);
            let key = resolve(name)[0].name();
            let value = if name == "actor" {
                let s = store.read().unwrap();
                s.dict(Field::Actor).get(s.value_id(at as u32, Field::Actor)).to_string()
            } else {
                values.iter().find(|(p, _)| p == key).map(|(_, v)| v.clone()).unwrap_or_default()
            };
            TermKind::Match { target, value: pattern(&value, rng) }
        }
        4..=6 => {
            let mut values = Vec::new();
            leaves(rec, String::new(), rng, &mut values);
            let (path, value) = rng.pick(&values).clone();
            match Target::named(&path) {
                Some(target) => TermKind::Match { target, value: pattern(&value, rng) },
                None => TermKind::Text("zz-nothing".into()),
            }
        }
        7..=8 => {
            let mut values = Vec::new();
            leaves(rec, String::new(), rng, &mut values);
            let (_, value) = rng.pick(&values);
            let chars: Vec<char> = value.chars().filter(|c| !"\":{}[],\\".contains(*c) && !c.is_control()).collect();
            let a = rng.below(chars.len().max(1));
            let text: String = chars[a.min(chars.len())..(a + 3 + rng.below(8)).min(chars.len())].iter().collect();
            TermKind::Text(if text.trim().is_empty() { "zz-nothing".into() } else { text })
        }
        _ => {
            let t = trailscope::model::time::parse_event_time(rec["eventTime"].as_str().unwrap()).unwrap();
            let b = Bound { at: t, text: format_utc(t) };
            if rng.chance(50) { TermKind::After(b) } else { TermKind::Before(b) }
        }
    };
    Term { negated, kind }
}

/// `n` queries of 1 to 3 terms drawn from the events `order` lists (by
/// index into `records`, the records of `store`'s events by id).
pub fn generated_queries(store: &RwLock<Store>, records: &[Value], order: &[usize], seed: u64, n: usize) -> Vec<Query> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|_| {
            let terms = (0..1 + rng.below(3)).map(|_| random_term(store, records, order, &mut rng)).collect();
            Query { terms }
        })
        .collect()
}
