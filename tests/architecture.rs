//! The module structure, read from the source: dependencies point one way
//! (binary and commands → explorer → engine → the layers under it), and no
//! two modules depend on each other, directly or through others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `tui::panes::list` for src/tui/panes/list.rs, `tui::panes` for its mod.rs.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file without its unit tests and comments.
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

/// Module paths a file refers to (`crate::a::b::Item`, `super::x`, and a
/// module's own children by name, `list::ListPane`), as written; resolved
/// against the known modules by the caller.
fn references(module: &[String], code: &str, is_mod_file: bool, children: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for child in children {
        let pattern = format!("{child}::");
        let mut from = 0;
        while let Some(at) = code[from..].find(&pattern) {
            let at = from + at;
            let before = code[..at].chars().next_back();
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                let mut p = module.to_vec();
                p.push(child.clone());
                out.push(p);
            }
            from = at + pattern.len();
        }
    }
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let starts_word = i == 0 || !ident(bytes[i - 1]);
        let rest = &bytes[i..];
        let (mut base, skip): (Vec<String>, usize) = if starts_word && rest.starts_with(b"crate::") {
            (vec![], 7)
        } else if starts_word && rest.starts_with(b"super::") {
            // In a mod.rs `super` is the parent of the module the file is.
            let mut b = module.to_vec();
            if !is_mod_file || !b.is_empty() {
                b.pop();
            }
            let mut s = 7;
            while bytes[i + s..].starts_with(b"super::") {
                b.pop();
                s += 7;
            }
            (b, s)
        } else {
            i += 1;
            continue;
        };
        let mut j = i + skip;
        // `crate::{a, b::c}`: each path of a group.
        let segment_end = |j: usize| (j..bytes.len()).find(|&k| !ident(bytes[k])).unwrap_or(bytes.len());
        if bytes.get(j) == Some(&b'{') {
            let close = code[j..].find('}').map_or(bytes.len(), |c| j + c);
            for part in code[j + 1..close].split(',') {
                let first: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !first.is_empty() && first != "self" {
                    let mut p = base.clone();
                    p.push(first);
                    out.push(p);
                }
            }
            i = close;
            continue;
        }
        loop {
            let end = segment_end(j);
            if end == j {
                break;
            }
            base.push(code[j..end].to_string());
            if bytes[end..].starts_with(b"::") && bytes.get(end + 2).is_some_and(|b| ident(*b)) {
                j = end + 2;
            } else {
                break;
            }
        }
        out.push(base);
        i = j.max(i + 1);
    }
    out
}

/// The module graph of the crate: module → modules it uses (children's
/// items count for the child, the crate root is left out).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let m = module_of(&src, f);
        // The crate root declares everything; test-only modules (`*_tests`,
        // declared under #[cfg(test)]) may use any layer, like tests do.
        if m.is_empty() || m == ["main"] || m.last().is_some_and(|n| n.ends_with("_tests")) {
            continue;
        }
        let is_mod_file = f.file_name().is_some_and(|n| n == "mod.rs");
        let text = std::fs::read_to_string(f).unwrap();
        let children: Vec<String> = if is_mod_file || m.len() == 1 {
            modules.iter().filter(|c| c.len() == m.len() + 1 && c.starts_with(&m)).map(|c| c[m.len()].clone()).collect()
        } else {
            vec![]
        };
        for r in references(&m, &code(&text), is_mod_file, &children) {
            // The longest known module the path names.
            let target = (1..=r.len()).rev().map(|n| r[..n].to_vec()).find(|p| modules.contains(p));
            if let Some(t) = target.filter(|t| *t != m && !t.is_empty()) {
                g.entry(m.join("::")).or_default().insert(t.join("::"));
            }
        }
        g.entry(m.join("::")).or_default();
    }
    g
}

/// A cycle through `start`, if any.
fn cycle_from(g: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    let mut stack = vec![(start.to_string(), vec![start.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((node, path)) = stack.pop() {
        for next in g.get(&node).into_iter().flatten() {
            if next == start {
                let mut c = path.clone();
                c.push(start.to_string());
                return Some(c);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let g = graph();
    assert!(g.len() > 40, "the graph was read: {} modules", g.len());
    let cycles: Vec<String> = g.keys().filter_map(|m| cycle_from(&g, m)).map(|c| c.join(" → ")).collect();
    assert!(cycles.is_empty(), "cycles:\n{}", cycles.join("\n"));
}

#[test]
fn layers_point_one_way() {
    let g = graph();
    let top = |m: &str| m.split("::").next().unwrap_or("").to_string();
    // Each top-level module and the top-level modules it may use.
    let allowed: BTreeMap<&str, &[&str]> = [
        (
            "cli",
            &[
                "tui", "engine", "athena", "case", "incident", "detect", "identity", "query", "store", "loader",
                "source", "verify", "model", "json", "sanitize", "format",
            ][..],
        ),
        (
            "tui",
            &[
                "engine", "case", "incident", "detect", "identity", "query", "store", "loader", "source", "verify",
                "model", "json", "sanitize", "format",
            ],
        ),
        (
            "engine",
            &[
                "case", "incident", "detect", "identity", "query", "store", "loader", "source", "verify", "model",
                "json", "sanitize", "format",
            ],
        ),
        ("athena", &["query", "source", "model", "json"]),
        ("case", &["query", "store", "model", "json"]),
        ("incident", &["detect", "identity", "query", "store", "model", "json"]),
        ("detect", &["query", "store", "source", "model", "json"]),
        ("identity", &["query", "store", "model", "json"]),
        ("query", &["store", "model", "json"]),
        ("loader", &["source", "store", "model", "json", "sanitize", "format"]),
        ("source", &["model", "json"]),
        ("store", &["model", "json"]),
        ("model", &["json"]),
        ("json", &[]),
        ("verify", &["source", "model", "json", "sanitize", "format"]),
        ("sanitize", &[]),
        ("format", &[]),
    ]
    .into_iter()
    .collect();
    let mut wrong = Vec::new();
    for (m, deps) in &g {
        let from = top(m);
        let Some(ok) = allowed.get(from.as_str()) else {
            wrong.push(format!("{m}: top-level module {from} is not in the layer table"));
            continue;
        };
        for d in deps {
            let to = top(d);
            if to != from && !ok.contains(&to.as_str()) {
                wrong.push(format!("{m} uses {d}"));
            }
        }
    }
    assert!(wrong.is_empty(), "dependencies against the layers:\n{}", wrong.join("\n"));
}

#[test]
fn the_reader_finds_references() {
    let m = vec!["tui".to_string(), "panes".to_string(), "list".to_string()];
    let refs = references(
        &m,
        "use super::{Cx, Pane};\nuse crate::engine::SearchResult;\nlet x = crate::tui::timefmt::show(1);",
        false,
        &[],
    );
    assert!(refs.contains(&vec!["tui".into(), "panes".into(), "Cx".into()]));
    assert!(refs.contains(&vec!["engine".into(), "SearchResult".into()]));
    assert!(refs.contains(&vec!["tui".into(), "timefmt".into(), "show".into()]));
    let m = vec!["tui".to_string(), "panes".to_string()];
    let refs = references(&m, "pub list: list::ListPane,\nfoo::list::x", true, &["list".to_string()]);
    assert_eq!(refs, vec![vec!["tui".to_string(), "panes".into(), "list".into()]]);
}
