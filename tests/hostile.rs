//! Hostile input as tested properties: nothing a file holds panics the
//! loader, loses a valid event silently, or makes shapes disagree; no query
//! string panics the parser or the engine; the scanner agrees with
//! serde_json; nothing unsafe survives the sanitizer.

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use trailscope::engine::Dataset;
use trailscope::json::scan::canon_value;
use trailscope::query::{Cancel, parse, run};
use trailscope::sanitize::{fit, is_unsafe, visible};
use trailscope::store::blobs::ChunkCache;

struct Loaded {
    data: Dataset,
}

fn load(inputs: Vec<(&str, Vec<u8>)>) -> Loaded {
    Loaded { data: Dataset::from_bytes(inputs.into_iter().map(|(n, b)| (n.to_string(), b)).collect()) }
}

impl Loaded {
    /// The records loaded, as JSON values, by eventID.
    fn records(&self) -> BTreeMap<String, Value> {
        let s = self.data.read();
        let mut cache = ChunkCache::new(4);
        s.order()
            .iter()
            .map(|&id| {
                let v: Value = serde_json::from_slice(s.record(id, &mut cache)).expect("stored records are JSON");
                (v["eventID"].as_str().unwrap_or("").to_string(), v)
            })
            .collect()
    }
    fn problems(&self) -> usize {
        self.data.progress.problems().len()
    }
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Any character, controls, quotes, backslashes and bidi controls included.
fn any_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            any::<char>(),
            prop::sample::select(vec![
                '"', '\\', '\u{1b}', '\u{7}', '\r', '\n', '\u{0}', '\u{7f}', '\u{9b}', '\u{202e}', '/', '}', '{'
            ]),
            "[a-zA-Z0-9 :*-]".prop_map(|s| s.chars().next().unwrap()),
        ],
        0..24,
    )
    .prop_map(String::from_iter)
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        any_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any_text(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The time forms trails and exports write.
fn any_time() -> impl Strategy<Value = String> {
    (2013u32..2030, 1u32..13, 1u32..29, 0u32..24, 0u32..60, 0u32..60, 0usize..5).prop_map(
        |(y, mo, d, h, mi, s, form)| match form {
            0 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"),
            1 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
            2 => format!("{y}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.123456789"),
            3 => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.5+02:00"),
            _ => format!("{y}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.000Z"),
        },
    )
}

/// Valid events with arbitrary field values (each with its own eventID).
fn events() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec((any_time(), any_text(), any_text(), any_text(), any_json(), any_json()), 1..12).prop_map(
        |evs| {
            evs.into_iter()
                .enumerate()
                .map(|(i, (time, name, agent, user, req, extra))| {
                    json!({"eventTime": time, "eventName": name, "eventSource": "s3.amazonaws.com", "userAgent": agent,
                       "userIdentity": {"type": "IAMUser", "userName": user}, "requestParameters": req, "extra": extra,
                       "eventID": format!("id-{i}")})
                })
                .collect()
        },
    )
}

/// The records a top-level value holds, as the loader reads it.
fn candidates(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(items) => items.iter().collect(),
        Value::Object(m) if m.contains_key("Records") => {
            m["Records"].as_array().map(|a| a.iter().collect()).unwrap_or_default()
        }
        Value::Object(m)
            if (m.contains_key("digestStartTime") || m.contains_key("logFiles")) && !m.contains_key("eventTime") =>
        {
            vec![]
        }
        other => vec![other],
    }
}

fn wrapper_without_array(v: &Value) -> bool {
    v.get("Records").is_some_and(|r| !r.is_array())
}

fn has_usable_time(r: &Value) -> bool {
    r.get("eventTime").and_then(Value::as_str).and_then(trailscope::model::time::parse_event_time).is_some()
}

/// The shapes a file can take.
fn shapes(evs: &[Value]) -> Vec<(&'static str, Vec<u8>)> {
    let records = json!({"Records": evs});
    let ndjson: String = evs.iter().map(|e| format!("{e}\n")).collect();
    let crlf: String = evs.iter().map(|e| format!("{e}\r\n")).collect();
    let mut multi = gzip(json!({"Records": evs[..evs.len() / 2]}).to_string().as_bytes());
    multi.extend(gzip(json!({"Records": evs[evs.len() / 2..]}).to_string().as_bytes()));
    vec![
        ("records.json", records.to_string().into_bytes()),
        ("pretty.json", serde_json::to_string_pretty(&records).unwrap().into_bytes()),
        ("array.json", Value::Array(evs.to_vec()).to_string().into_bytes()),
        ("lines.jsonl", ndjson.clone().into_bytes()),
        ("crlf.jsonl", crlf.into_bytes()),
        ("records.json.gz", gzip(records.to_string().as_bytes())),
        ("lines.jsonl.gz", gzip(ndjson.as_bytes())),
        ("multi-member.json.gz", multi),
        ("concatenated.json", format!("{}{}", json!({"Records": evs[..1]}), json!({"Records": evs[1..]})).into_bytes()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..3000)) {
        let l = load(vec![("x.json", bytes.clone())]);
        let _ = l.records();
        let l = load(vec![("x.json.gz", gzip(&bytes))]);
        let _ = l.records();
    }

    #[test]
    fn arbitrary_json_loads_exactly_its_events_and_reports_the_rest(v in any_json()) {
        for (text, records) in [(v.to_string(), candidates(&v)), (json!({"Records": [v.clone()]}).to_string(), vec![&v])] {
            let l = load(vec![("x.json", text.into_bytes())]);
            let events = records.iter().filter(|r| has_usable_time(r)).count();
            prop_assert_eq!(l.data.read().len(), events);
            if events < records.len() || wrapper_without_array(&v) {
                prop_assert!(l.problems() > 0);
            }
        }
        // Twice over, newline-delimited: never a panic.
        let _ = load(vec![("x.jsonl", format!("{v}\n{v}").into_bytes())]).records();
    }

    #[test]
    fn every_shape_gives_the_same_store(evs in events()) {
        let want: BTreeMap<String, Value> = evs.iter().map(|e| (e["eventID"].as_str().unwrap().to_string(), e.clone())).collect();
        for (name, bytes) in shapes(&evs) {
            let l = load(vec![(name, bytes)]);
            prop_assert_eq!(l.problems(), 0, "{}: {:?}", name, l.data.progress.problems());
            prop_assert_eq!(&l.records(), &want, "{}", name);
        }
        // Split across two files, and loaded twice over: the same events, once each.
        let (a, b) = evs.split_at(evs.len() / 2);
        let l = load(vec![("a.json", json!({"Records": a}).to_string().into_bytes()), ("b.jsonl", b.iter().map(|e| format!("{e}\n")).collect::<String>().into_bytes()), ("again.json", json!({"Records": evs}).to_string().into_bytes())]);
        prop_assert_eq!(&l.records(), &want);
        prop_assert_eq!(l.data.read().duplicates() as usize, evs.len());
    }

    #[test]
    fn truncation_keeps_what_came_before_and_reports_the_loss(evs in events(), cut in any::<prop::sample::Index>(), ndjson in any::<bool>()) {
        let text = if ndjson { evs.iter().map(|e| format!("{e}\n")).collect::<String>() } else { json!({"Records": evs}).to_string() };
        let cut = cut.index(text.len() + 1);
        let bytes = text.as_bytes()[..cut].to_vec();
        for input in [bytes.clone(), gzip(&bytes)] {
            let l = load(vec![("cut.json", input)]);
            let got = l.records();
            // What loaded is exactly the events whose whole text came before the cut, unchanged.
            let whole: Vec<&Value> = evs.iter().filter(|e| text.find(&e.to_string()).is_some_and(|at| at + e.to_string().len() <= cut)).collect();
            prop_assert_eq!(got.len(), whole.len());
            for e in whole {
                prop_assert_eq!(got.get(e["eventID"].as_str().unwrap()), Some(e));
            }
            // Newline-delimited input cut at a line's end looks complete: nothing to report then.
            let clean_cut = ndjson && (cut == 0 || text.as_bytes()[cut - 1] == b'\n' || text.as_bytes().get(cut) == Some(&b'\n'));
            if got.len() < evs.len() && !clean_cut {
                prop_assert!(l.problems() > 0, "a loss must be reported (cut at {} of {}): {:?} / {:?}", cut, text.len(), String::from_utf8_lossy(&text.as_bytes()[cut.saturating_sub(20)..cut]), String::from_utf8_lossy(&text.as_bytes()[cut..(cut + 20).min(text.len())]));
            }
        }
    }

    #[test]
    fn any_query_parses_or_points_at_its_fault(q in any_text(), words in prop::collection::vec(prop::sample::select(vec!["name:", "-", "\"", "after:", "before:", "a.b:", "*", ":", " ", "x", "2024-", "ip:"]), 0..6)) {
        let text = format!("{}{q}", words.concat());
        match parse(&text) {
            Ok(query) => {
                let l = load(vec![("s.json", json!({"Records": [{"eventTime": "2024-01-01T00:00:00Z", "eventName": "x", "eventID": "1"}]}).to_string().into_bytes())]);
                let _ = run(&l.data.store, &query, &Cancel::new());
            }
            Err(e) => {
                prop_assert!(e.pos <= text.len() && !e.message.is_empty());
                let _ = e.pointed(&text);
            }
        }
    }

    #[test]
    fn the_scanner_agrees_with_serde_json(v in any_json(), pretty in any::<bool>()) {
        let text = if pretty { serde_json::to_string_pretty(&v).unwrap() } else { v.to_string() } + " ";
        let mut out = Vec::new();
        canon_value(text.as_bytes(), 0, &mut out).unwrap();
        let back: Value = serde_json::from_slice(&out).unwrap();
        prop_assert_eq!(back, v);
    }

    #[test]
    fn the_scanner_rejects_what_serde_json_rejects(bytes in prop::collection::vec(prop::sample::select(b"{}[]\",:0123456789.eE+-truefalsn \\\\u".to_vec()), 0..40)) {
        let text = [bytes.as_slice(), b" "].concat();
        let ours = canon_value(&text, 0, &mut Vec::new());
        let theirs = serde_json::from_slice::<Value>(&text);
        match ours {
            // A value followed by more: serde reads the whole text, so compare the value alone.
            // serde_json refuses numbers beyond f64's range, which JSON's grammar allows and
            // the scanner keeps as written.
            Ok(end) => {
                let alone = serde_json::from_slice::<Value>(&text[..end]);
                prop_assert!(alone.is_ok() || alone.is_err_and(|e| e.to_string().contains("number out of range")), "{:?}", String::from_utf8_lossy(&text));
            }
            Err(_) => prop_assert!(theirs.is_err(), "{:?}", String::from_utf8_lossy(&text)),
        }
    }

    #[test]
    fn nothing_unsafe_survives_the_sanitizer(s in any_text(), width in 0usize..40) {
        prop_assert!(!visible(&s).chars().any(is_unsafe));
        prop_assert!(!fit(&s, width).chars().any(is_unsafe));
    }
}

#[test]
fn every_unsafe_character_class_is_escaped() {
    let classes: Vec<char> = (0..0x20u32)
        .chain(0x7f..0xa0)
        .chain(0x202a..0x202f)
        .chain(0x2066..0x206a)
        .chain([0x200e, 0x200f, 0x61c, 0x2028, 0x2029])
        .filter_map(char::from_u32)
        .collect();
    for c in classes {
        let shown = visible(&format!("a{c}b")).into_owned();
        assert_eq!(shown, format!("a\\u{:04x}b", c as u32));
    }
    // Sequences as a terminal would read them: OSC 52, title, clear, cursor moves, CR overwrite.
    for seq in [
        "\u{1b}]52;c;ZXZpbA==\u{7}",
        "\u{1b}]0;title\u{1b}\\",
        "\u{1b}[2J\u{1b}[H",
        "\u{1b}[10;10H",
        "text\rover",
        "\u{1b}P+q\u{1b}\\",
    ] {
        assert!(!visible(seq).contains(['\u{1b}', '\r', '\u{7}']));
    }
}
