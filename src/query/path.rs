//! Dotted paths into a record, such as `requestParameters.bucketName` or
//! `resources[0].ARN`. A path step over an array without an index looks at
//! every element.

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

/// Calls `f` with every value at `steps` in the canonical JSON `v`; stops
/// early when `f` returns true. Returns whether it did.
pub fn any_value(v: &[u8], steps: &[Step], f: &mut impl FnMut(&[u8]) -> bool) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return f(v);
    };
    match (step, v.first()) {
        (Step::Key(k), Some(b'{')) => {
            canon::members(v).any(|(key, val)| canon::key_is(key, k) && any_value(val, rest, f))
        }
        (Step::Index(i), Some(b'[')) => canon::items(v).nth(*i).is_some_and(|item| any_value(item, rest, f)),
        // An array met by a key: look inside each element.
        (Step::Key(_), Some(b'[')) => canon::items(v).any(|item| any_value(item, steps, f)),
        _ => false,
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
