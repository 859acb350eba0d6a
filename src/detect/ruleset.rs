//! The rules loaded: trailscope's catalogue and the user's files, with the
//! rules each correlation counts resolved, and which rules report matches.

use super::rule::{self, Body, Rule};
use super::{catalogue, yaml};
use crate::query::glob::Glob;
use std::path::{Path, PathBuf};

/// A rule (or a whole file) that could not be used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    pub file: String,
    /// The rule's title (or id), when it got that far.
    pub rule: Option<String>,
    pub why: String,
}

/// The rules loaded.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub unsupported: Vec<Unsupported>,
    /// For a correlation: the rules it counts (indices); empty otherwise.
    pub refs: Vec<Vec<usize>>,
    /// Whether a rule reports its own matches: all do but those counted
    /// only by correlations that do not generate them.
    pub reports: Vec<bool>,
}

/// Rule files in a folder (recursively), or the file itself.
fn rule_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let meta = std::fs::metadata(path).map_err(|e| crate::source::describe(&e))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut stack = vec![path.to_path_buf()];
    let mut seen = std::collections::HashSet::new();
    while let Some(dir) = stack.pop() {
        let Ok(canon) = std::fs::canonicalize(&dir) else { continue };
        if !seen.insert(canon) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for p in names {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
                out.push(p);
            }
        }
    }
    Ok(())
}

impl RuleSet {
    /// The built-in catalogue (unless `builtin` is false) and the rules in
    /// `paths` (files, or folders of `.yml`/`.yaml` files).
    pub fn load(builtin: bool, paths: &[PathBuf]) -> RuleSet {
        let mut texts: Vec<(String, String, bool)> = Vec::new();
        let mut unsupported = Vec::new();
        if builtin {
            texts.extend(catalogue::FILES.iter().map(|(f, t)| (format!("builtin:{f}"), t.to_string(), true)));
        }
        for p in paths {
            let mut files = Vec::new();
            if let Err(why) = rule_files(p, &mut files) {
                unsupported.push(Unsupported { file: p.display().to_string(), rule: None, why });
            }
            for f in files {
                let name = f.display().to_string();
                match std::fs::metadata(&f).map(|m| m.len()) {
                    Ok(n) if n as usize > yaml::MAX_FILE => {
                        unsupported.push(Unsupported { file: name, rule: None, why: "larger than 1 MB".into() })
                    }
                    _ => match std::fs::read_to_string(&f) {
                        Ok(t) => texts.push((name, t, false)),
                        Err(e) => {
                            unsupported.push(Unsupported { file: name, rule: None, why: crate::source::describe(&e) })
                        }
                    },
                }
            }
        }
        let mut set = RuleSet::from_texts(&texts);
        unsupported.append(&mut set.unsupported);
        set.unsupported = unsupported;
        set
    }

    /// Rules from (file name, YAML text, built in) triples.
    pub fn from_texts(texts: &[(String, String, bool)]) -> RuleSet {
        let mut set = RuleSet::default();
        for (file, text, builtin) in texts {
            match yaml::documents(text) {
                Ok(docs) => {
                    for doc in docs {
                        match rule::read(&doc, file, *builtin) {
                            Ok(r) => set.rules.push(r),
                            Err((rule, why)) => set.unsupported.push(Unsupported { file: file.clone(), rule, why }),
                        }
                    }
                }
                Err(why) => set.unsupported.push(Unsupported { file: file.clone(), rule: None, why }),
            }
        }
        set.resolve();
        set
    }

    /// Finds the rules each correlation counts (by id, name, or title; in
    /// its own file first); a correlation that cannot be resolved is moved
    /// to the unsupported.
    fn resolve(&mut self) {
        loop {
            let mut bad: Option<(usize, String)> = None;
            self.refs = vec![Vec::new(); self.rules.len()];
            for (i, r) in self.rules.iter().enumerate() {
                let Body::Correlation(c) = &r.body else { continue };
                for want in &c.rules {
                    match self.find(want, &r.meta.file) {
                        Some(j) if matches!(self.rules[j].body, Body::Correlation(_)) => {
                            bad = Some((
                                i,
                                format!(
                                    "counts {want:?}, a correlation (correlations of correlations are not supported)"
                                ),
                            ));
                        }
                        Some(j) => self.refs[i].push(j),
                        None => bad = Some((i, format!("counts {want:?}, which is not among the rules loaded"))),
                    }
                }
                if bad.is_some() {
                    break;
                }
            }
            let Some((i, why)) = bad else { break };
            let r = self.rules.remove(i);
            self.unsupported.push(Unsupported { file: r.meta.file, rule: Some(r.meta.title), why });
        }
        self.reports = vec![true; self.rules.len()];
        let mut counted_by_generating = vec![false; self.rules.len()];
        for (i, r) in self.rules.iter().enumerate() {
            if let Body::Correlation(c) = &r.body {
                for &j in &self.refs[i] {
                    self.reports[j] = false;
                    counted_by_generating[j] |= c.generate;
                }
            }
        }
        for (reports, generating) in self.reports.iter_mut().zip(counted_by_generating) {
            *reports |= generating;
        }
    }

    /// The rule `want` names, as seen from `file`.
    fn find(&self, want: &str, file: &str) -> Option<usize> {
        let by = |same_file: bool, key: &dyn Fn(&Rule) -> bool| {
            self.rules.iter().position(|r| (r.meta.file == file) == same_file && key(r))
        };
        let keys: [&dyn Fn(&Rule) -> bool; 3] =
            [&|r| r.meta.id == want, &|r| r.meta.name.as_deref() == Some(want), &|r| r.meta.title == want];
        [true, false].iter().find_map(|&same| keys.iter().find_map(|k| by(same, k)))
    }

    /// Rules whose id, name or title matches `glob`.
    pub fn matching(&self, glob: &Glob) -> Vec<usize> {
        (0..self.rules.len())
            .filter(|&i| {
                let m = &self.rules[i].meta;
                glob.matches(&m.id) || m.name.as_deref().is_some_and(|n| glob.matches(n)) || glob.matches(&m.title)
            })
            .collect()
    }
}
