//! How much memory the process holds, and how much it may: loading stops
//! before the machine runs short (a year of an organization's trail does
//! not fit in one), and says so, rather than being killed halfway.

/// Resident memory of this process, in bytes (Linux; None elsewhere).
pub fn resident() -> Option<u64> {
    kilobytes(&std::fs::read_to_string("/proc/self/status").ok()?, "VmRSS:")
}

/// Memory the system can still give without swapping, in bytes (Linux).
pub fn available() -> Option<u64> {
    kilobytes(&std::fs::read_to_string("/proc/meminfo").ok()?, "MemAvailable:")
}

fn kilobytes(text: &str, field: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse::<u64>().ok().map(|kb| kb * 1024)
}

/// Of the memory available at start, the share loading may fill: the rest
/// is for what follows it (the text index adds a tenth of the JSON, the
/// rules and the identities less).
const LOADING_SHARE: f64 = 0.75;

/// The default limit: what this process holds now plus its share of what
/// the system has available; None when that cannot be read.
pub fn default_limit() -> Option<u64> {
    Some(resident()? + (available()? as f64 * LOADING_SHARE) as u64)
}

/// A size as the user writes it: `12G`, `800M`, `1.5T`, or bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (number, unit) = t.split_at(t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len()));
    let scale: u64 = match unit.to_ascii_uppercase().trim_end_matches(['B', 'I']) {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return Err(format!("a size such as 12G or 800M, not {s:?}")),
    };
    let n: f64 = number.trim().parse().map_err(|_| format!("a size such as 12G or 800M, not {s:?}"))?;
    if !n.is_finite() || n < 0.0 {
        return Err(format!("a size such as 12G or 800M, not {s:?}"));
    }
    Ok((n * scale as f64) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("12G"), Ok(12 << 30));
        assert_eq!(parse_size("800m"), Ok(800 << 20));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("12X").is_err() && parse_size("G").is_err() && parse_size("-1G").is_err());
    }

    #[test]
    fn this_process_and_the_system_are_measured_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(resident().is_some_and(|r| r > 0) && available().is_some_and(|a| a > 0));
            assert!(default_limit() > resident());
        }
    }
}
