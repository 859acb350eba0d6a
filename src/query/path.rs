//! Dotted paths into a record, such as `requestParameters.bucketName` or
//! `resources[0].ARN`. A path step over an array without an index looks at
//! every element.

use super::meter;
use crate::json::canon;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Parses `a.b[2].c`. None when it is not a well-formed path.
pub fn parse(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (steps.is_empty() || rest.is_empty()) {
            return None;
        }
        if !key.is_empty() {
            steps.push(Step::Key(key.to_string()));
        }
        while !rest.is_empty() {
            let close = rest.find(']')?;
            steps.push(Step::Index(rest[1..close].parse().ok()?));
            rest = &rest[close + 1..];
            if !rest.is_empty() && !rest.starts_with('[') {
                return None;
            }
        }
    }
    (!steps.is_empty()).then_some(steps)
}

/// An open container met by the walk in [`any_value`]: what its children
/// are matched against.
struct Open {
    object: bool,
    /// The step its children are matched with (it applies to this container).
    step: usize,
    /// Items of an array seen so far.
    items: usize,
}

/// Calls `f` with every value at `steps` in the canonical JSON `v`; stops
/// early when `f` returns true. Returns whether it did.
///
/// One forward pass with an explicit stack: every byte is walked or skipped
/// once, whatever the nesting (a path through arrays looks inside each
/// element with the same step, without rescanning it), so the cost is linear
/// in the size of `v` and the stack is on the heap. Values at the end of the
/// path are disjoint, so `f` sees each byte at most once too.
pub fn any_value(v: &[u8], steps: &[Step], f: &mut impl FnMut(&[u8]) -> bool) -> bool {
    let mut stack: Vec<Open> = Vec::new();
    let mut pos = 0;
    // The step the value at `pos` is matched with; None: it is not on the path.
    let mut step = Some(0);
    loop {
        meter::charge(1);
        // The value at `pos`.
        let Some(&first) = v.get(pos) else { return false };
        match (step, first) {
            (Some(i), _) if i == steps.len() => {
                let end = canon::skip_value(v, pos);
                meter::charge(end - pos);
                if f(&v[pos..end]) {
                    return true;
                }
                pos = end;
            }
            (Some(i), b'{') if matches!(steps[i], Step::Key(_)) => {
                stack.push(Open { object: true, step: i, items: 0 });
                pos += 1;
            }
            (Some(i), b'[') => {
                stack.push(Open { object: false, step: i, items: 0 });
                pos += 1;
            }
            _ => {
                let end = canon::skip_value(v, pos);
                meter::charge(end - pos);
                pos = end;
            }
        }
        // The next value to look at: a child of the innermost open container.
        loop {
            meter::charge(1);
            let Some(open) = stack.last_mut() else { return false };
            match v.get(pos) {
                None => return false,
                Some(b',') => pos += 1,
                Some(b'}' | b']') => {
                    pos += 1;
                    stack.pop();
                    continue;
                }
                Some(_) => {}
            }
            if open.object {
                let key_end = canon::skip_string(v, pos);
                meter::charge(key_end - pos);
                let Step::Key(k) = &steps[open.step] else { return false };
                step = canon::key_is(&v[pos..key_end.min(v.len())], k).then_some(open.step + 1);
                pos = key_end + 1;
            } else {
                step = match &steps[open.step] {
                    // An array met by a key: each element is matched with the same key.
                    Step::Key(_) => Some(open.step),
                    Step::Index(n) => (*n == open.items).then_some(open.step + 1),
                };
                open.items += 1;
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        assert_eq!(parse("a.b"), Some(vec![Step::Key("a".into()), Step::Key("b".into())]));
        assert_eq!(parse("items[0].id"), Some(vec![Step::Key("items".into()), Step::Index(0), Step::Key("id".into())]));
        assert_eq!(parse("a[1][2]"), Some(vec![Step::Key("a".into()), Step::Index(1), Step::Index(2)]));
        for bad in ["", ".a", "a..b", "a[x]", "a[1", "a[1]b"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn finds_values() {
        let rec = br#"{"r":{"b":"logs-1"},"res":[{"ARN":"x"},{"ARN":"y"}],"n":null}"#;
        let collect = |p: &str| {
            let mut got = Vec::new();
            any_value(rec, &parse(p).unwrap(), &mut |v| {
                got.push(String::from_utf8_lossy(v).into_owned());
                false
            });
            got
        };
        assert_eq!(collect("r.b"), vec!["\"logs-1\""]);
        assert_eq!(collect("res.ARN"), vec!["\"x\"", "\"y\""]);
        assert_eq!(collect("res[1].ARN"), vec!["\"y\""]);
        assert_eq!(collect("n"), vec!["null"]);
        assert!(collect("r.missing").is_empty());
    }
}
