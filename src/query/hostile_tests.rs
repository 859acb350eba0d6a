//! Queries against hostile records: every evaluation finishes within a work
//! budget linear in the size of the records and of the query, whatever the
//! nesting, width or string sizes (counted by [`super::meter`], not timed).

use super::meter;
use super::{Cancel, parse, run};
use crate::engine::Dataset;
use proptest::prelude::*;

/// A value built to hurt: deep or wide arrays and objects, long strings,
/// scalars where a path expects a container, and a findable leaf.
#[derive(Debug, Clone)]
enum Shape {
    DeepArrays(usize),
    DeepObjects(usize),
    WideArray(usize),
    WideObject(usize),
    LongString(usize),
    Scalar(&'static str),
    ArraysOfObjects(usize, usize),
}

fn render(shape: &Shape) -> String {
    match shape {
        Shape::DeepArrays(n) => format!("{}{{\"b\":\"x\"}}{}", "[".repeat(*n), "]".repeat(*n)),
        Shape::DeepObjects(n) => format!("{}\"x\"{}", "{\"a\":".repeat(*n), "}".repeat(*n)),
        Shape::WideArray(n) => format!("[{}]", vec!["{\"b\":1}"; *n].join(",")),
        Shape::WideObject(n) => {
            format!("{{{}}}", (0..*n).map(|i| format!("\"k{i}\":{i}")).collect::<Vec<_>>().join(","))
        }
        Shape::LongString(n) => format!("\"{}\"", "ab\\u001b".repeat(*n / 8 + 1)),
        Shape::Scalar(s) => s.to_string(),
        Shape::ArraysOfObjects(w, d) => {
            let leaf = format!("[{}]", vec!["{\"b\":\"y\"}"; *w].join(","));
            format!("{}{leaf}{}", "[".repeat(*d), "]".repeat(*d))
        }
    }
}

fn shape() -> impl Strategy<Value = Shape> {
    prop_oneof![
        (0usize..30_000).prop_map(Shape::DeepArrays),
        (0usize..30_000).prop_map(Shape::DeepObjects),
        (0usize..50_000).prop_map(Shape::WideArray),
        (0usize..50_000).prop_map(Shape::WideObject),
        (0usize..400_000).prop_map(Shape::LongString),
        prop::sample::select(vec!["null", "true", "12.5e3", "\"\"", "[]", "{}", "\"x\""]).prop_map(Shape::Scalar),
        (0usize..2_000, 0usize..2_000).prop_map(|(w, d)| Shape::ArraysOfObjects(w, d)),
    ]
}

/// Query terms that walk records: paths with and without indices, globs,
/// quoted text, fuzzy words, negations.
fn term() -> impl Strategy<Value = String> {
    let path = prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec!["a", "b", "k7", "eventName", "x"]).prop_map(String::from),
            (0usize..3).prop_map(|i| format!("[{i}]")),
        ],
        1..6,
    )
    .prop_map(|parts| {
        let mut p = String::from("a");
        for part in parts {
            if !part.starts_with('[') {
                p.push('.');
            }
            p.push_str(&part);
        }
        p
    });
    let value = prop::sample::select(vec!["x", "*", "*x*", "a*b*a*b*z", "y", "1", "*\\u001b*", "*b*"]);
    prop_oneof![
        (path, value).prop_map(|(p, v)| format!("{p}:{v}")),
        prop::sample::select(vec!["\"abab\"", "\"x\"", "\"k49999\""]).prop_map(String::from),
        prop::sample::select(vec!["aba", "xyz", "getobj"]).prop_map(String::from),
        prop::sample::select(vec!["name:*", "eventName:X*"]).prop_map(String::from),
    ]
    .prop_flat_map(|t| (Just(t), any::<bool>()))
    .prop_map(|(t, neg)| if neg { format!("-{t}") } else { t })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_query_costs_work_linear_in_the_records(
        shapes in prop::collection::vec(shape(), 1..4),
        terms in prop::collection::vec(term(), 1..5),
    ) {
        let records: Vec<String> = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| format!(
                r#"{{"eventTime":"2024-01-01T00:00:0{i}Z","eventName":"X{i}","eventID":"{i}","b":1,"a":{}}}"#,
                render(s)
            ))
            .collect();
        let bytes: usize = records.iter().map(String::len).sum();
        let inputs = records.iter().enumerate().map(|(i, r)| (format!("{i}.json"), r.clone().into_bytes())).collect();
        let store = Dataset::from_bytes(inputs).store;
        let text = terms.join(" ");
        let q = parse(&text).expect("terms are well formed");
        // One thread, so the meter (per thread) sees all the work.
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let work = pool.install(|| {
            meter::take();
            let found = run(&store, &q, &Cancel::new()).expect("not cancelled");
            assert!(found.ids.len() <= records.len());
            meter::take()
        });
        // Each term may read every record a few times over (lowercasing,
        // searching, walking), plus the fuzzy scoring of short summaries.
        let budget = (16 * bytes as u64 + 100_000) * (terms.len() as u64 + 1);
        prop_assert!(work <= budget, "{work} units of work for {bytes} bytes of records, budget {budget}: {text}");
    }
}

#[test]
fn a_path_through_200_000_nested_arrays_is_one_pass() {
    let n = 200_000;
    let rec = format!(
        r#"{{"eventTime":"2024-01-01T00:00:00Z","eventName":"X","b":1,"a":{}{{"b":"x"}}{}}}"#,
        "[".repeat(n),
        "]".repeat(n)
    );
    let store = Dataset::from_bytes(vec![("deep.json".into(), rec.clone().into_bytes())]).store;
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    for (q, hits) in [("a.b:x", 1), ("a.b:y", 0), ("a[0][0].b:x", 1), ("a[1].b:x", 0), ("-a.b:x", 0), ("a:*", 1)] {
        let (found, work) = pool.install(|| {
            meter::take();
            let found = run(&store, &parse(q).unwrap(), &Cancel::new()).unwrap();
            (found.ids.len(), meter::take())
        });
        assert_eq!(found, hits, "{q}");
        assert!(work <= 8 * rec.len() as u64, "{q}: {work} units for {} bytes", rec.len());
    }
}

#[test]
fn huge_strings_and_huge_patterns_stay_linear() {
    let big = "ab".repeat(10 << 20);
    let rec = format!(
        r#"{{"eventTime":"2024-01-01T00:00:00Z","eventName":"{big}","userAgent":"{big}","p":{{"v":"{big}"}}}}"#
    );
    let store = Dataset::from_bytes(vec![("big.json".into(), rec.clone().into_bytes())]).store;
    let long_pattern = format!("*{}*b*", "ab".repeat(2000));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    for q in [
        format!("p.v:{long_pattern}"),
        format!("agent:{long_pattern}"),
        format!("\"{}\"", "ab".repeat(2000)),
        "abababababz".to_string(),
        "-name:*abz*".to_string(),
    ] {
        let work = pool.install(|| {
            meter::take();
            run(&store, &parse(&q).unwrap(), &Cancel::new()).unwrap();
            meter::take()
        });
        assert!(work <= 8 * rec.len() as u64, "{}: {work} units for {} bytes", &q[..20], rec.len());
    }
}
