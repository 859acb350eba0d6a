//! `trailscope mark`: marks, tags or notes the matching events in the case,
//! for a script or a shell loop (the explorer's `m`, `T` and `C`).

use super::args::{EXIT_USAGE, MarkArgs};
use super::load::matching_in_case;
use crate::format::events;
use crate::sanitize::visible;

pub fn main(args: &MarkArgs) -> u8 {
    let case = match super::case_open::open(&args.case, &args.inputs.paths) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if let Some(n) = case.notice {
        eprintln!("trailscope: {}", visible(&n));
        return EXIT_USAGE;
    }
    let book = std::sync::Arc::clone(&case.book);
    let (loaded, ids) = match matching_in_case(Some(&args.query), &args.inputs, &args.rules, case.book) {
        Ok(found) => found,
        Err(code) => return code,
    };
    let said = loaded.data.with_case(|b, store| {
        let mut said = Vec::new();
        for tag in &args.tag {
            // Added to the events without it (removed, with --unmark, from those with it).
            let todo: Vec<_> =
                ids.iter().copied().filter(|&id| b.entry(id).is_some_and(|e| e.has_tag(tag)) == args.unmark).collect();
            match b.toggle_tag(store, &todo, tag) {
                Some((t, _)) => said.push(format!("{} {t}", if args.unmark { "untagged" } else { "tagged" })),
                None => said.push(format!("ignored the empty tag {tag:?}")),
            }
        }
        if let Some(note) = &args.note {
            match b.add_notes(store, &ids, note) {
                true => said.push("noted".into()),
                false => said.push("ignored the empty note".into()),
            }
        }
        if args.tag.is_empty() && args.note.is_none() {
            let todo: Vec<_> = ids.iter().copied().filter(|&id| b.is_marked(id) == args.unmark).collect();
            if !todo.is_empty() {
                b.toggle_marks(store, &todo);
            }
            said.push(if args.unmark { "unmarked".into() } else { "marked".into() });
        }
        said
    });
    let saved = book.read().unwrap_or_else(|e| e.into_inner());
    if let Some(why) = &saved.unsaved {
        eprintln!("trailscope: {}", visible(why));
        return EXIT_USAGE;
    }
    let path = saved.file.as_ref().map_or("memory".to_string(), |f| f.path.display().to_string());
    eprintln!("trailscope: {}: {} in {}", events(ids.len()), said.join(", "), visible(&path));
    loaded.exit_status()
}
