//! What makes a key evidence of identity, and who a record says holds it.
//!
//! Real logs and exports redact keys (`AKIA****************`, `ASIA…XXXX`),
//! and documentation and test data reuse placeholders
//! (`AKIAIOSFODNN7EXAMPLE`) for unrelated principals. Such a key links
//! nothing. A key that looks real links only the events that agree on the
//! principal holding it, compared by [`principal_of_arn`].

/// Whether an access key id can be evidence of who holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trust {
    /// Looks like a key AWS issued.
    Key,
    /// Masked or cut (`*`, `…`, `XXXX`, too short, not letters and digits).
    Redacted,
    /// A documentation or test placeholder (`…EXAMPLE`, one character repeated).
    Placeholder,
}

impl Trust {
    pub fn says(self) -> &'static str {
        match self {
            Trust::Key => "a key",
            Trust::Redacted => "a redacted key",
            Trust::Placeholder => "a placeholder key",
        }
    }
}

/// Words documentation and test data put in made-up keys (long enough that
/// a real key holds one by chance about once in a billion).
const PLACEHOLDER_WORDS: [&str; 3] = ["EXAMPLE", "SAMPLE", "REDACTED"];

/// Judges an access key id. AWS key ids are 16 to 128 upper-case letters
/// and digits (20 in practice) with a four-letter prefix; the random part
/// of a real one holds more than three distinct characters.
pub fn trust(key: &str) -> Trust {
    let b = key.as_bytes();
    if !(16..=128).contains(&b.len()) || !b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
        return Trust::Redacted;
    }
    // Masking that keeps the length pads the end.
    if key.ends_with("XXXX") {
        return Trust::Redacted;
    }
    if PLACEHOLDER_WORDS.iter().any(|w| key.contains(w)) {
        return Trust::Placeholder;
    }
    // Letters and digits only by now: one bit each.
    let seen = b[4..].iter().fold(0u64, |m, &c| m | 1 << (c - b'0'));
    if seen.count_ones() < 4 { Trust::Placeholder } else { Trust::Key }
}

/// The principal an ARN names, in one form for comparison:
/// `ACCOUNT:KIND/NAME` in lower case (IAM names are case-insensitive), with
/// an IAM path dropped, so `arn:aws:iam::1:user/dev/Alice` (an event's
/// identity) and `arn:aws:iam::1:user/alice` (whom a `CreateAccessKey`
/// named) agree. The partition is left out. None when `arn` is no ARN.
pub fn principal_of_arn(arn: &str) -> Option<String> {
    let mut parts = arn.splitn(6, ':');
    let (head, _partition, service, _region, account, resource) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if head != "arn" || resource.is_empty() {
        return None;
    }
    let resource = match (service, resource.split_once('/')) {
        // user/PATH/NAME, role/PATH/NAME: the name alone.
        ("iam", Some((kind, rest))) => format!("{kind}/{}", rest.rsplit('/').next().unwrap_or(rest)),
        _ => resource.to_string(),
    };
    Some(format!("{account}:{resource}").to_lowercase())
}

/// The kind of principal a compared form names (`user`, `root`,
/// `assumed-role`, `federated-user`…).
pub fn kind_of(principal: &str) -> &str {
    let resource = principal.split_once(':').map_or(principal, |(_, r)| r);
    resource.split('/').next().unwrap_or(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_looking_keys_are_trusted_and_the_rest_are_not() {
        for k in ["AKIAWOGXN38MFN92ING5", "ASIANQQHHS551LWULIWD", "ASIA57JLR4M2ZZDJUXY3", "AKIAALICE0000000001"] {
            assert_eq!(trust(k), Trust::Key, "{k}");
        }
        for k in [
            "AKIA****************",
            "ASIA...",
            "ASIA-MOCKACCESSKEYID-1",
            "ASIAWDWBPTM3RJH7XXXX",
            "ASIAXXXXXXXXXXXXXXXX",
            "ABCDEFGH",
            "1",
            "ACCESSKEYID",
            "EXAMPLE_KEY_ID",
            "SAMPLE_ACCESS_KEY",
            "asiaabcdefghijklmnop",
            "",
        ] {
            assert_eq!(trust(k), Trust::Redacted, "{k}");
        }
        for k in [
            "AKIAIOSFODNN7EXAMPLE",
            "AKIAI44QH8DHBEXAMPLE",
            "ASIA123456789EXAMPLE",
            "AAAAAAAAAAAAAAAAAAAAA",
            "ASIA1111111111111111",
            "AKIA0000000000000001",
            "ASIAREDACTEDREDACTED",
        ] {
            assert_eq!(trust(k), Trust::Placeholder, "{k}");
        }
    }

    #[test]
    fn principals_compare_without_path_case_or_partition() {
        let p = |a| principal_of_arn(a);
        assert_eq!(p("arn:aws:iam::111:user/dev/Alice"), p("arn:aws:iam::111:user/alice"));
        assert_eq!(p("arn:aws:iam::111:user/alice").as_deref(), Some("111:user/alice"));
        assert_eq!(p("arn:aws-us-gov:iam::111:root").as_deref(), Some("111:root"));
        assert_eq!(p("arn:aws:sts::111:assumed-role/Ops/bob").as_deref(), Some("111:assumed-role/ops/bob"));
        assert_ne!(p("arn:aws:sts::111:assumed-role/Ops/bob"), p("arn:aws:sts::222:assumed-role/Ops/bob"));
        assert_ne!(p("arn:aws:iam::111:user/bob"), p("arn:aws:iam::111:role/bob"));
        assert_eq!(p("..."), None);
        assert_eq!(p("arn:aws:iam::111:"), None);
        assert_eq!(kind_of("111:assumed-role/ops/bob"), "assumed-role");
        assert_eq!(kind_of("111:root"), "root");
        assert_eq!(kind_of("111:user/alice"), "user");
    }
}
