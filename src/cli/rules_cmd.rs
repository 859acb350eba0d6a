//! `trailscope rules`: the detection rules loaded, and the rules that could
//! not be used with the reason.

use super::args::{EXIT_OK, RulesArgs};
use crate::detect::rule::Body;
use crate::detect::{RuleSet, Unsupported};
use crate::sanitize::fit;
use serde_json::{Value, json};
use std::io::{BufWriter, Write};

fn rule_json(set: &RuleSet, i: usize) -> Value {
    let r = &set.rules[i];
    let m = &r.meta;
    json!({
        "id": m.id,
        "name": m.name,
        "title": m.title,
        "level": m.level.name(),
        "status": m.status,
        "tags": m.tags,
        "description": m.description,
        "falsepositives": m.falsepositives,
        "references": m.references,
        "author": m.author,
        "license": m.license,
        "file": m.file,
        "builtin": m.builtin,
        "kind": match r.body { Body::Detection(_) => "detection", Body::Correlation(_) => "correlation" },
        "reports": set.reports[i],
    })
}

fn unsupported_json(u: &Unsupported) -> Value {
    json!({"file": u.file, "rule": u.rule, "why": u.why})
}

fn write_text(out: &mut impl Write, set: &RuleSet) -> std::io::Result<()> {
    writeln!(out, "{:<14} {} {} SOURCE", "LEVEL", fit("RULE", 44), fit("TACTICS", 34))?;
    for (i, r) in set.rules.iter().enumerate() {
        let m = &r.meta;
        let tactics: Vec<&str> = m.tactics().collect();
        let role = match (&r.body, set.reports[i]) {
            (Body::Correlation(_), _) => " (correlation)",
            (_, false) => " (counted by a correlation)",
            _ => "",
        };
        let source = if m.builtin { "built in".to_string() } else { m.file.clone() };
        writeln!(
            out,
            "{} {:<11} {} {} {}",
            m.level.glyph(),
            m.level.name(),
            fit(&format!("{}{role}", m.title), 44),
            fit(&tactics.join(", "), 34),
            fit(&source, 60).trim_end()
        )?;
    }
    writeln!(out, "\n{} rules loaded, {} could not be used", set.rules.len(), set.unsupported.len())?;
    for u in &set.unsupported {
        let rule = u.rule.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        writeln!(
            out,
            "  {}{}: {}",
            fit(&u.file, 200).trim_end(),
            fit(&rule, 120).trim_end(),
            fit(&u.why, 200).trim_end()
        )?;
    }
    Ok(())
}

pub fn main(args: &RulesArgs) -> u8 {
    let set = RuleSet::load(!args.rules.no_builtin, &args.rules.rules);
    let mut out = BufWriter::new(std::io::stdout().lock());
    let written = if args.json {
        let v = json!({
            "rules": (0..set.rules.len()).map(|i| rule_json(&set, i)).collect::<Vec<_>>(),
            "unsupported": set.unsupported.iter().map(unsupported_json).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", crate::sanitize::visible(&v.to_string()))
    } else {
        write_text(&mut out, &set)
    };
    let _ = written.and_then(|_| out.flush());
    EXIT_OK
}
