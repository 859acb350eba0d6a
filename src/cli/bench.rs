//! `trailscope bench`: how fast this machine loads, searches, counts and
//! opens events, measured on the user's own data with the same code paths
//! the explorer uses.

use super::args::{BenchArgs, EXIT_NOTHING_READ, EXIT_OK, EXIT_USAGE};
use crate::engine::{Dataset, Options, Request, SearchService};
use crate::loader::LoadOptions;
use crate::model::fields::panel_fields;
use crate::model::time::Micros;
use crate::query::facets::count;
use crate::store::EventId;
use crate::store::blobs::ChunkCache;
use crate::tui::app::{App, Config, HISTOGRAM_BINS, PANEL_VALUES};
use crate::tui::tree::Tree;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

/// Realistic investigation queries, typed one keystroke at a time.
pub const BUILTIN_QUERIES: &[&str] = &[
    "assumerole",
    "alice",
    "getobj",
    "203.0",
    "name:Delete*",
    "error:* -error:ThrottlingException",
    "source:s3 region:us-east-1",
    "actor:Admin/*",
    "type:Root",
    "after:2024-03-02 before:2024-03-03",
    "after:2024-03-02T12 before:2024-03-02T13 name:Decrypt",
    "-source:s3 -source:kms -source:sts",
    "requestParameters.bucketName:logs-*",
    "\"i-0abc\"",
    "\"AccessDenied\"",
];

/// What kind of search a query is, for the report: its costliest kind of
/// term (a half-typed `source:s3 r` holds a fuzzy word, so it counts as fuzzy).
pub fn classify(q: &str) -> &'static str {
    use crate::query::{Target, TermKind};
    let Ok(parsed) = crate::query::parse(q) else { return "malformed" };
    let kinds: Vec<&TermKind> = parsed.terms.iter().map(|t| &t.kind).collect();
    let any = |f: &dyn Fn(&TermKind) -> bool| kinds.iter().any(|k| f(k));
    if any(&|k| matches!(k, TermKind::Text(_))) {
        "full text"
    } else if any(&|k| matches!(k, TermKind::Match { target: Target::Path { .. }, .. })) {
        "record path"
    } else if any(&|k| matches!(k, TermKind::Fuzzy(_))) {
        "fuzzy"
    } else if any(&|k| matches!(k, TermKind::After(_) | TermKind::Before(_))) {
        "time range"
    } else if !parsed.terms.is_empty() && parsed.terms.iter().all(|t| t.negated) {
        "negation"
    } else if parsed.terms.is_empty() {
        "everything"
    } else {
        "field filter"
    }
}

/// Peak resident memory of this process (Linux), in bytes.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

#[derive(Default)]
struct Samples(Vec<f64>);

impl Samples {
    fn add(&mut self, d: Duration) {
        self.0.push(d.as_secs_f64() * 1000.0);
    }
    fn stats(&self) -> (usize, f64, f64, f64) {
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v.get(((v.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
        (v.len(), at(0.5), at(0.95), v.last().copied().unwrap_or(0.0))
    }
    fn json(&self) -> Value {
        let (n, median, p95, max) = self.stats();
        json!({"runs": n, "median_ms": median, "p95_ms": p95, "max_ms": max})
    }
}

/// The queries to replay: the file's, the given ones, or the built-in set.
fn queries(args: &BenchArgs) -> Result<Vec<String>, u8> {
    let queries: Vec<String> = match &args.queries {
        Some(file) => match std::fs::read_to_string(file) {
            Ok(text) => {
                text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(String::from).collect()
            }
            Err(e) => {
                eprintln!("trailscope: cannot read {}: {e}", file.display());
                return Err(EXIT_USAGE);
            }
        },
        None if !args.query.is_empty() => args.query.clone(),
        None => BUILTIN_QUERIES.iter().map(|s| s.to_string()).collect(),
    };
    for q in &queries {
        if let Err(e) = crate::query::parse(q) {
            eprintln!("trailscope: malformed query in the set:\n{}", e.pointed(q));
            return Err(EXIT_USAGE);
        }
    }
    Ok(queries)
}

/// When loading milestones were reached, from the start.
struct Timings {
    first_frame: Duration,
    /// The loader is done.
    loaded: Duration,
    /// The rules have run over every event.
    detected: Duration,
}

/// Loads `paths` running `rules`, drawing the explorer's first frame as soon
/// as loading has started.
fn load(inputs: &super::args::Inputs, rules: Arc<crate::detect::RuleSet>, learning: Micros) -> (Dataset, Timings) {
    let started = Instant::now();
    let load = LoadOptions {
        threads: 0,
        publish_every: None,
        sources: inputs.source.options(None),
        memory_limit: inputs.source.memory_limit(),
        ..LoadOptions::default()
    };
    let data = Dataset::open(
        &inputs.paths,
        Options { load, rules, learning: Some(learning), index: true, ..Options::default() },
    );
    let first_frame = {
        let mut app = App::new(data.clone(), Config::default());
        app.update(crate::tui::action::Action::Resize(160, 48));
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("test backend");
        let theme = crate::tui::theme::Theme::new(true);
        let _ = term.draw(|f| crate::tui::view::draw(f, &app, &theme));
        started.elapsed()
    };
    while !data.is_loaded() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let loaded = started.elapsed();
    // Incidents are worked out once every rule is done; the text index after them.
    while !data.incidents.read().unwrap_or_else(|e| e.into_inner()).ready {
        std::thread::sleep(Duration::from_millis(5));
    }
    let detected = started.elapsed();
    data.wait();
    (data, Timings { first_frame, loaded, detected })
}

/// Every keystroke of every query through a search service, as the
/// explorer sends them (facets and histogram included), timed by kind.
fn keystrokes(data: &Dataset, queries: &[String]) -> (BTreeMap<&'static str, Samples>, Vec<Value>) {
    let (mut service, results) = SearchService::with_channel(data);
    let mut by_kind: BTreeMap<&'static str, Samples> = BTreeMap::new();
    let mut log = Vec::new();
    let mut id = 0;
    for q in queries {
        for (i, c) in q.char_indices() {
            let prefix = &q[..i + c.len_utf8()];
            // What the prompt would not run (an unclosed quote) is not timed.
            let Ok(query) = crate::query::parse(prefix) else { continue };
            // A half-typed `name:Del` is a field filter, a half-typed `na` a fuzzy word.
            let kind = classify(prefix);
            id += 1;
            let t = Instant::now();
            service.submit(Request {
                id,
                query,
                facets: panel_fields().to_vec(),
                facet_values: PANEL_VALUES,
                histogram_bins: HISTOGRAM_BINS,
            });
            let Some(result) = results.iter().find(|r| r.id == id && r.complete) else { break };
            let took = t.elapsed();
            by_kind.entry(kind).or_default().add(took);
            log.push(json!({"query": q, "typed": prefix, "kind": kind, "ms": took.as_secs_f64() * 1000.0, "matches": result.ids.len()}));
        }
    }
    (by_kind, log)
}

/// Facet recounts after a filter change, on result sets of several sizes.
fn facet_recounts(data: &Dataset) -> Samples {
    let mut facets = Samples::default();
    for q in ["", "source:s3", "error:*", "name:Decrypt", "readonly:false"] {
        let ids = data.matching(&crate::query::parse(q).expect("valid"));
        let s = data.read();
        for _ in 0..3 {
            let t = Instant::now();
            let _ = count(&s, &ids, panel_fields(), Some(PANEL_VALUES));
            facets.add(t.elapsed());
        }
    }
    facets
}

/// `trace` after load: a spread of up to 100 keys, each chain walked and
/// its sessions' events gathered, as the command does.
fn traces(data: &Dataset) -> Value {
    let s = data.read();
    let g = data.graph();
    let creds = g.cred_count() as u32;
    let mut sample = Samples::default();
    for c in (1..=creds).step_by((creds as usize / 100).max(1)) {
        let t = Instant::now();
        let chain = crate::identity::Chain::of_cred(&g, &s, c);
        let events = super::trace_cmd::session_events(&g, &s, &[c]);
        std::hint::black_box((chain, events));
        sample.add(t.elapsed());
    }
    json!({"credentials": creds, "sample": sample.json()})
}

/// Detail trees: the largest event and a spread of others, from cold chunks.
fn detail_trees(data: &Dataset) -> Value {
    let s = data.read();
    let events = s.len();
    let largest = (0..events as EventId).max_by_key(|&i| s.loc(i).len).unwrap_or(0);
    let open = |id: EventId| {
        let t = Instant::now();
        let mut cache = ChunkCache::new(1);
        let tree = Tree::new(s.record(id, &mut cache).to_vec());
        (t.elapsed(), tree.rows.len())
    };
    let (largest_time, largest_rows) = open(largest);
    let mut sample = Samples::default();
    for id in (0..events).step_by((events / 200).max(1)) {
        sample.add(open(id as EventId).0);
    }
    json!({"largest_event_bytes": s.loc(largest).len, "largest_rows": largest_rows, "largest_ms": largest_time.as_secs_f64() * 1000.0, "sample": sample.json()})
}

pub fn main(args: &BenchArgs) -> u8 {
    let queries = match queries(args) {
        Ok(q) => q,
        Err(code) => return code,
    };
    let rules = args.rules.load();
    let (data, t) = load(&args.inputs, Arc::clone(&rules), args.rules.learning());
    let (load, first_frame) = (t.loaded, t.first_frame);
    let rss = peak_rss();
    let (events, (cols, dicts, records)) = {
        let s = data.read();
        (s.len(), s.memory())
    };
    if events == 0 {
        eprintln!("trailscope: no events loaded; nothing to measure");
        return EXIT_NOTHING_READ;
    }
    let json_bytes = data.progress.json_bytes.load(Relaxed);
    let store_bytes = cols + dicts + records;
    let (by_kind, keystrokes) = keystrokes(&data, &queries);
    let search: serde_json::Map<String, Value> = by_kind.iter().map(|(k, v)| (k.to_string(), v.json())).collect();
    let report = json!({
        "events": events,
        "files": data.progress.files_read(),
        "json_bytes": json_bytes,
        "threads": rayon::current_num_threads(),
        "load": {
            "seconds": load.as_secs_f64(),
            "events_per_second": events as f64 / load.as_secs_f64(),
            "json_mb_per_second": json_bytes as f64 / 1e6 / load.as_secs_f64(),
            "peak_rss_bytes": rss,
            "peak_rss_over_json": rss.map(|r| r as f64 / json_bytes.max(1) as f64),
            "store_bytes_per_event": store_bytes as f64 / events as f64,
            "store_bytes": {"columns": cols, "dictionaries": dicts, "records": records},
        },
        "detect": {
            "rules": rules.rules.len(),
            "unsupported": rules.unsupported.len(),
            "matches": data.found().hits.iter().map(Vec::len).sum::<usize>(),
            "correlation_matches": data.found().correlations.len(),
            "seconds_after_load": (t.detected - t.loaded).as_secs_f64(),
            "load_and_detect_seconds": t.detected.as_secs_f64(),
        },
        "first_frame_ms": first_frame.as_secs_f64() * 1000.0,
        "search": search,
        "facets": facet_recounts(&data).json(),
        "detail": detail_trees(&data),
        "trace": traces(&data),
        "identity": {
            "keys": data.read().dict(crate::model::fields::Field::AccessKey).len(),
            "credentials": data.graph().cred_count(),
            "issued_links": data.graph().issued_count(),
            "claims": data.graph().claim_count(),
            "work_seconds": data.graph().work.as_secs_f64(),
            "first_seen_seconds": data.graph().firsts_work.as_secs_f64(),
        },
        "keystrokes": keystrokes,
        "incidents": incidents(&data),
        "identities": identities(&data),
        "index": index(&data),
    });
    if args.json {
        println!("{report}");
    } else {
        print!("{}", text_report(&report));
    }
    EXIT_OK
}

/// How long the incidents took to work out after loading, and the
/// explorer's overlay to open on them.
fn incidents(data: &Dataset) -> Value {
    let inc = data.incidents.read().unwrap_or_else(|e| e.into_inner());
    let mut opens = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let view = crate::tui::overlays::incidents::IncidentsView::open(&inc, &data.found());
        opens.push(started.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(view);
    }
    opens.sort_by(f64::total_cmp);
    json!({"count": inc.list.len(), "build_seconds": inc.took.as_secs_f64(), "overlay_open_ms": opens[opens.len() / 2]})
}

/// The text index: how long it took to build after loading, and its size.
fn index(data: &Dataset) -> Value {
    let Some(ix) = data.text_index() else {
        return json!({"built": false});
    };
    let size = ix.memory();
    json!({
        "built": true,
        "build_seconds": ix.took.as_secs_f64(),
        "bytes": {"postings": size.postings, "rare_values": size.rare_values, "filters": size.filters, "other": size.other, "total": size.total()},
        "paths": size.paths,
        "pairs": size.pairs,
    })
}

/// How long the identities overlay takes to open on every event, by actor
/// and by origin (median of 5).
fn identities(data: &Dataset) -> Value {
    use crate::identity::actors::{By, summarize};
    let store = data.store.read().unwrap_or_else(|e| e.into_inner());
    let graph = data.graph();
    let ids = store.order();
    let mut out = serde_json::Map::new();
    for (name, by) in [("by_actor_ms", By::Actor), ("by_origin_ms", By::Origin)] {
        let mut runs: Vec<f64> = (0..5)
            .map(|_| {
                let started = Instant::now();
                std::hint::black_box(summarize(&store, &graph, &ids, by));
                started.elapsed().as_secs_f64() * 1000.0
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        out.insert(name.into(), json!(runs[runs.len() / 2]));
    }
    out.insert("identities".into(), json!(summarize(&store, &graph, &ids, By::Actor).len()));
    Value::Object(out)
}

fn text_report(r: &Value) -> String {
    let l = &r["load"];
    let mb = |b: f64| b / (1 << 20) as f64;
    let mut out = format!(
        "trailscope bench: {} events from {} files ({:.0} MB of JSON), {} threads\n\n",
        r["events"],
        r["files"],
        mb(r["json_bytes"].as_f64().unwrap_or(0.0)),
        r["threads"]
    );
    out += &format!(
        "load and index   {:.2} s   {:.0} events/s   {:.0} MB/s of JSON\n",
        l["seconds"].as_f64().unwrap_or(0.0),
        l["events_per_second"].as_f64().unwrap_or(0.0),
        l["json_mb_per_second"].as_f64().unwrap_or(0.0)
    );
    if let Some(rss) = l["peak_rss_bytes"].as_f64() {
        out += &format!(
            "peak memory      {:.0} MB ({:.2}x the JSON)\n",
            mb(rss),
            l["peak_rss_over_json"].as_f64().unwrap_or(0.0)
        );
    }
    out += &format!("store            {:.0} bytes per event\n", l["store_bytes_per_event"].as_f64().unwrap_or(0.0));
    let d = &r["detect"];
    out += &format!(
        "detections       {} rules, {} matches, {} correlation matches; done {:.2} s after loading ({:.2} s in all)\n",
        d["rules"],
        d["matches"],
        d["correlation_matches"],
        d["seconds_after_load"].as_f64().unwrap_or(0.0),
        d["load_and_detect_seconds"].as_f64().unwrap_or(0.0)
    );
    let g = &r["identity"];
    out += &format!(
        "identity graph   {} keys used, {} credentials ({} linked to the event that issued them), {} calls that issued credentials; {:.2} s of work beside loading, {:.2} s of it first-seen\n",
        g["keys"],
        g["credentials"],
        g["issued_links"],
        g["claims"],
        g["work_seconds"].as_f64().unwrap_or(0.0),
        g["first_seen_seconds"].as_f64().unwrap_or(0.0)
    );
    let i = &r["incidents"];
    out += &format!(
        "incidents        {} ; worked out in {:.3} s after detection; the overlay opens in {:.1} ms\n",
        i["count"],
        i["build_seconds"].as_f64().unwrap_or(0.0),
        i["overlay_open_ms"].as_f64().unwrap_or(0.0)
    );
    let a = &r["identities"];
    out += &format!(
        "identities       {} ; the overlay opens on every event in {:.1} ms by actor, {:.1} ms by origin\n",
        a["identities"],
        a["by_actor_ms"].as_f64().unwrap_or(0.0),
        a["by_origin_ms"].as_f64().unwrap_or(0.0)
    );
    out += &format!(
        "first frame      {:.1} ms (explorer, 160x48, while loading)\n\n",
        r["first_frame_ms"].as_f64().unwrap_or(0.0)
    );
    out += &format!("{:<34} {:>5} {:>10} {:>10} {:>10}\n", "per keystroke / operation", "runs", "median", "p95", "max");
    let row = |name: &str, v: &Value| {
        format!(
            "{:<34} {:>5} {:>7.1} ms {:>7.1} ms {:>7.1} ms\n",
            name,
            v["runs"],
            v["median_ms"].as_f64().unwrap_or(0.0),
            v["p95_ms"].as_f64().unwrap_or(0.0),
            v["max_ms"].as_f64().unwrap_or(0.0)
        )
    };
    if let Some(kinds) = r["search"].as_object() {
        for (k, v) in kinds {
            out += &row(&format!("search: {k}"), v);
        }
    }
    out += &row("facet recount after a filter change", &r["facets"]);
    out += &row("detail tree, sample of events", &r["detail"]["sample"]);
    out += &row("trace: chain and sessions of a key", &r["trace"]["sample"]);
    let d = &r["detail"];
    out += &format!(
        "detail tree, largest event        {:.1} ms ({} bytes, {} rows)\n",
        d["largest_ms"].as_f64().unwrap_or(0.0),
        d["largest_event_bytes"],
        d["largest_rows"]
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_the_builtin_set() {
        let kinds: std::collections::HashSet<_> = BUILTIN_QUERIES.iter().map(|q| classify(q)).collect();
        for k in ["fuzzy", "field filter", "time range", "negation", "full text", "record path"] {
            assert!(kinds.contains(k), "{k}");
        }
        assert_eq!(classify("\"i-0abc\""), "full text");
        assert_eq!(classify("name:Delete*"), "field filter");
        assert_eq!(classify("-source:s3"), "negation");
        assert_eq!(classify("source:s3 r"), "fuzzy");
        assert_eq!(classify("after:2024-03-02 name:x"), "time range");
        assert_eq!(classify("requestParameters.x:y"), "record path");
        for q in BUILTIN_QUERIES {
            assert!(crate::query::parse(q).is_ok(), "{q}");
        }
    }
}
