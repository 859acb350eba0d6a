//! Fuzzy words: fuzzy-matcher's skim algorithm, with a floor on the score so
//! that letters scattered across a long line do not count as a match.

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;

pub struct FuzzyWord {
    lower: Vec<char>,
    pattern: String,
    /// The pattern lowercased: skim ignores only ASCII case by itself.
    skim_pattern: String,
    matcher: SkimMatcherV2,
    min_score: i64,
    /// The pattern less its last character (None for one character): a word
    /// matches only where its prefix does, so typing more never finds more.
    prefix: Option<Box<FuzzyWord>>,
}

/// A match must score at least this much per pattern character. skim gives
/// 16 per matched character plus bonuses for word starts and runs (4-16), and
/// takes 3 for each gap and 1 per skipped character: a word matched in a few
/// runs clears the floor (`dltbkt` in DeleteBucket scores 84 of 78 needed),
/// letters scattered across the line do not (`alice` spread over
/// `cloudtrail DeleteTrail SecurityAudit/grace` scores 57 of 65).
const MIN_SCORE_PER_CHAR: i64 = 13;

/// Only this many characters of a text are scored: summary lines are for
/// people and rarely reach it, and skim's cost grows with the text times the
/// pattern, so a multi-megabyte value written into a log cannot stall a search.
pub const MAX_TEXT_CHARS: usize = 1024;

/// Past this many cells (pattern length times text length) skim's
/// highlighting falls back to a greedy match instead of a full score matrix.
const MATRIX_LIMIT: usize = 1 << 18;

/// The part of `text` that fuzzy words look at (see [`MAX_TEXT_CHARS`]).
pub fn scored_part(text: &str) -> &str {
    super::meter::charge(text.len().min(MAX_TEXT_CHARS * 4));
    match text.char_indices().nth(MAX_TEXT_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    }
}

impl FuzzyWord {
    pub fn new(pattern: &str) -> Self {
        let shorter = pattern.char_indices().last().map(|(i, _)| &pattern[..i]).filter(|p| !p.is_empty());
        Self {
            lower: pattern.to_lowercase().chars().collect(),
            pattern: pattern.to_string(),
            skim_pattern: pattern.to_lowercase(),
            matcher: SkimMatcherV2::default().ignore_case().element_limit(MATRIX_LIMIT),
            min_score: MIN_SCORE_PER_CHAR * pattern.chars().count() as i64,
            prefix: shorter.map(|p| Box::new(FuzzyWord::new(p))),
        }
    }

    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether every character of the pattern appears in `text` in order
    /// (ignoring case): a cheap test that rules out most texts before scoring.
    pub fn could_match(&self, text: &str) -> bool {
        let text = scored_part(text);
        super::meter::charge(text.len());
        let mut want = self.lower.iter().peekable();
        for c in text.chars() {
            let Some(&&w) = want.peek() else { break };
            if c == w || (!c.is_ascii() || c.is_ascii_uppercase()) && c.to_lowercase().eq(std::iter::once(w)) {
                want.next();
            }
        }
        want.peek().is_none()
    }

    /// Whether the pattern matches `text`: skim's score clears the floor.
    pub fn matches(&self, text: &str) -> bool {
        let text = scored_part(text);
        if !self.could_match(text) {
            return false;
        }
        // The pattern as one run always clears the floor (16 per character plus
        // run bonuses, less at most 2 per character for case): no need to score.
        if self.skim_pattern.is_ascii() && contains_ignore_ascii_case(text, &self.skim_pattern) {
            return true;
        }
        self.skim_score(text).is_some()
    }

    pub fn score(&self, text: &str) -> Option<i64> {
        let text = scored_part(text);
        if !self.could_match(text) {
            return None;
        }
        self.skim_score(text)
    }

    /// skim's score when it clears the floor (the caller has run the
    /// prefilter), and the word's prefix matches too. skim's score per
    /// character can grow as letters are added (a letter that extends a run
    /// earns a bonus), so without the prefix a longer word could find events
    /// a shorter one did not.
    fn skim_score(&self, text: &str) -> Option<i64> {
        super::meter::charge(text.len() * self.lower.len().max(1));
        let score =
            self.matcher.fuzzy_match(&self.skim_text(text), &self.skim_pattern).filter(|&s| s >= self.min_score)?;
        match &self.prefix {
            Some(p) if !p.matches(text) => None,
            _ => Some(score),
        }
    }

    /// Character indices of the match in `text`, for highlighting.
    pub fn indices(&self, text: &str) -> Option<Vec<usize>> {
        let text = scored_part(text);
        if !self.could_match(text) {
            return None;
        }
        self.matcher
            .fuzzy_indices(&self.skim_text(text), &self.skim_pattern)
            .filter(|(s, _)| *s >= self.min_score)
            .map(|(_, i)| i)
    }

    /// The text as skim should see it: lowercased when the pattern has
    /// letters beyond ASCII, whose case skim would otherwise compare.
    fn skim_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        if self.skim_pattern.is_ascii() {
            std::borrow::Cow::Borrowed(text)
        } else {
            std::borrow::Cow::Owned(text.to_lowercase())
        }
    }

    /// Whether the pattern only holds characters that a time or an address
    /// can contain (so times and addresses are worth trying).
    pub fn only_chars_of(&self, alphabet: &str) -> bool {
        self.lower.iter().all(|c| alphabet.contains(*c))
    }
}

/// Whether `hay` contains `needle` (ASCII, lowercase), ignoring ASCII case.
pub fn contains_ignore_ascii_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else { return true };
    if n.len() > h.len() {
        return false;
    }
    memchr::memchr2_iter(first, first.to_ascii_uppercase(), &h[..=h.len() - n.len()])
        .any(|i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_and_scatter_does_not() {
        let w = FuzzyWord::new("alice");
        assert!(w.score("s3 GetObject alice us-east-1").is_some());
        assert!(w.score("sts AssumeRole Admin/alice us-east-1").is_some());
        assert!(w.score("s3 GetObject bob us-east-1").is_none());
        assert!(w.score("cloudtrail DeleteTrail SecurityAudit/grace eu-central-1").is_none());
        let w = FuzzyWord::new("assumerole");
        assert!(w.score("sts AssumeRole Admin/alice us-east-1").is_some());
        assert!(FuzzyWord::new("dltbkt").score("s3 DeleteBucket alice").is_some());
        let w = FuzzyWord::new("getobj");
        assert!(w.score("s3 GetObject alice us-east-1").is_some());
        assert!(FuzzyWord::new("ZOË").score("s3 GetObject zoë").is_some());
        assert_eq!(w.indices("s3 GetObject").unwrap(), vec![3, 4, 5, 6, 7, 8]);
        // The shortcut for a pattern found as one run agrees with scoring.
        for (p, t) in [("alice", "s3 GetObject Admin/ALICE"), ("a", "xAy"), ("getobj", "s3 GetObject"), ("x", "abc")] {
            let w = FuzzyWord::new(p);
            assert_eq!(w.matches(t), w.score(t).is_some(), "{p} in {t}");
        }
        assert!(contains_ignore_ascii_case("Admin/ALICE", "alice") && !contains_ignore_ascii_case("ali", "alice"));
    }

    #[test]
    fn typing_more_never_matches_more() {
        let texts = [
            "sts AssumeRole Admin/alice us-east-1",
            "iam ListAttachedRolePolicies ci-deploy/github-actions us-east-1",
            "sts AssumeRoleWithWebIdentity eks-node/niaj eu-west-1",
            "ec2 DescribeInstances i-0abc123def carol us-west-2 Client.UnauthorizedOperation",
            "s3 GetObject arn:aws:sts::111122223333:assumed-role/AssumeRoleTest/x ap-south-1",
            "lambda UpdateFunctionCode20150331v2 assume-role-lambda us-east-1",
        ];
        for word in ["assumerole", "assumerol", "i-0abc", "getobjct", "descinst", "updtfunccode"] {
            for n in 1..word.len() {
                let (short, long) = (FuzzyWord::new(&word[..n]), FuzzyWord::new(&word[..n + 1]));
                for t in texts {
                    assert!(
                        !long.matches(t) || short.matches(t),
                        "{} matches {t} but {} does not",
                        &word[..n + 1],
                        &word[..n]
                    );
                }
            }
        }
    }
}
