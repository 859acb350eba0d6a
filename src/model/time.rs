//! Event times: parsing the forms CloudTrail and its exports write, and the
//! integer the store keeps (microseconds since the Unix epoch, UTC).

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

const MICROS_PER_SEC: i64 = 1_000_000;

/// Days since the epoch of a proleptic Gregorian date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { yoe + era * 400 + 1 } else { yoe + era * 400 }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Reads `n` ASCII digits at `pos`.
fn digits(b: &[u8], pos: usize, n: usize) -> Option<u32> {
    let s = b.get(pos..pos + n)?;
    s.iter().try_fold(0u32, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32))
}

/// A parsed time, possibly only a prefix of a full one (for query bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    micros: Micros,
    /// How much of the date-time was given: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second.
    precision: u8,
}

/// Parses `YYYY[-MM[-DD[(T| )HH[:MM[:SS[.frac]]]]]][Z|±HH[:MM]]`.
/// `min_precision` is how much must be present.
fn parse_parts(s: &str, min_precision: u8) -> Option<Parts> {
    let b = s.trim().as_bytes();
    let year = digits(b, 0, 4)? as i64;
    let (mut month, mut day, mut hour, mut min, mut sec, mut frac) = (1, 1, 0, 0, 0, 0i64);
    let mut precision = 1;
    let mut pos = 4;
    let at = |p: usize| b.get(p).copied();
    if at(pos) == Some(b'-') {
        month = digits(b, pos + 1, 2)?;
        precision = 2;
        pos += 3;
        if at(pos) == Some(b'-') {
            day = digits(b, pos + 1, 2)?;
            precision = 3;
            pos += 3;
            if matches!(at(pos), Some(b'T' | b't' | b' ')) && at(pos + 1).is_some_and(|c| c.is_ascii_digit()) {
                hour = digits(b, pos + 1, 2)?;
                precision = 4;
                pos += 3;
                if at(pos) == Some(b':') {
                    min = digits(b, pos + 1, 2)?;
                    precision = 5;
                    pos += 3;
                    if at(pos) == Some(b':') {
                        sec = digits(b, pos + 1, 2)?;
                        precision = 6;
                        pos += 3;
                        if matches!(at(pos), Some(b'.' | b',')) {
                            pos += 1;
                            let start = pos;
                            while at(pos).is_some_and(|c| c.is_ascii_digit()) {
                                pos += 1;
                            }
                            let n = pos - start;
                            if n == 0 {
                                return None;
                            }
                            // Microseconds: pad or cut the fraction to six digits.
                            let six = &b[start..start + n.min(6)];
                            frac = six.iter().fold(0i64, |a, &c| a * 10 + (c - b'0') as i64)
                                * 10i64.pow(6 - six.len() as u32);
                        }
                    }
                }
            }
        }
    }
    if precision < min_precision {
        return None;
    }
    let offset_secs: i64 = match at(pos) {
        None => 0,
        Some(b'Z' | b'z') if pos + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if precision >= 4 => {
            let oh = digits(b, pos + 1, 2)? as i64;
            let rest = &b[pos + 3..];
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => digits(rest, 1, 2)? as i64,
                _ if rest.len() == 2 => digits(rest, 0, 2)? as i64,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = oh * 3600 + om * 60;
            if sign == b'+' { off } else { -off }
        }
        _ => return None,
    };
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour as i64 * 3600 + min as i64 * 60 + sec as i64 - offset_secs;
    Some(Parts { micros: secs * MICROS_PER_SEC + frac, precision })
}

/// Parses an event's time: a full date and time to the second at least, with
/// `T` or a space, optional fraction, `Z`, an offset, or nothing (UTC).
pub fn parse_event_time(s: &str) -> Option<Micros> {
    // The common case, `2024-03-01T10:00:00Z`, without the general parser.
    let b = s.as_bytes();
    if b.len() == 20 && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':' && b[19] == b'Z'
    {
        let (y, mo, d) = (digits(b, 0, 4)?, digits(b, 5, 2)?, digits(b, 8, 2)?);
        let (h, mi, se) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
        if (1..=12).contains(&mo) && d >= 1 && d <= days_in_month(y as i64, mo) && h < 24 && mi < 60 && se <= 60 {
            let secs = days_from_civil(y as i64, mo, d) * 86_400 + (h * 3600 + mi * 60 + se) as i64;
            return Some(secs * MICROS_PER_SEC);
        }
        return None;
    }
    parse_parts(s, 6).map(|p| p.micros)
}

/// A query bound: RFC 3339 or a prefix of it (`2024-03-02`, `2024-03-02T12`).
/// Returns the first instant the text names.
pub fn parse_bound(s: &str) -> Option<Micros> {
    parse_parts(s, 1).map(|p| p.micros)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, CloudTrail's own form.
pub fn format_utc(t: Micros) -> String {
    let secs = t.div_euclid(MICROS_PER_SEC);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<String> {
        parse_event_time(s).map(format_utc)
    }

    #[test]
    fn cloudtrail_form() {
        assert_eq!(t("2024-03-01T10:00:05Z").as_deref(), Some("2024-03-01T10:00:05Z"));
        assert_eq!(parse_event_time("1970-01-01T00:00:01Z"), Some(1_000_000));
        assert_eq!(t("2024-02-29T23:59:59Z").as_deref(), Some("2024-02-29T23:59:59Z"));
    }

    #[test]
    fn export_forms() {
        let want = Some("2022-01-01T00:00:00Z".to_string());
        for s in [
            "2022-01-01 00:00:00",
            "2022-01-01 00:00:00.000",
            "2022-01-01 00:00:00.000000000",
            "2022-01-01 00:00:00Z",
            "2022-01-01T00:00:00.123456789Z",
            "2022-01-01T02:00:00+02:00",
            "2021-12-31T19:00:00-0500",
            "2022-01-01t00:00:00z",
        ] {
            assert_eq!(t(s), want, "{s}");
        }
        assert_eq!(
            parse_event_time("2022-01-01T00:00:00.5Z"),
            parse_event_time("2022-01-01T00:00:00Z").map(|x| x + 500_000)
        );
        assert_eq!(parse_event_time("2022-01-01T00:00:00.1234567Z").map(|x| x % 1_000_000), Some(123_456));
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for s in [
            "...",
            "foo",
            "redacted",
            "eventTime",
            "",
            "2024-13-45T99:99:99Z",
            "2023-02-29T00:00:00Z",
            "2024-03-01",
            "2024-03-01T10",
            "2024-03-01T10:00:00Q",
            "2024-03-01T10:00:00.Z",
            "2024-03-01T10:00:00+25:00",
            "yesterday",
            "12345",
        ] {
            assert_eq!(parse_event_time(s), None, "{s}");
        }
    }

    #[test]
    fn bounds_take_prefixes() {
        assert_eq!(parse_bound("2024-03-02").map(format_utc).as_deref(), Some("2024-03-02T00:00:00Z"));
        assert_eq!(parse_bound("2024-03-02T12").map(format_utc).as_deref(), Some("2024-03-02T12:00:00Z"));
        assert_eq!(parse_bound("2024-03-02T12:30").map(format_utc).as_deref(), Some("2024-03-02T12:30:00Z"));
        assert_eq!(parse_bound("2024-03").map(format_utc).as_deref(), Some("2024-03-01T00:00:00Z"));
        assert_eq!(parse_bound("2024-03-02T12:30:00+01:00").map(format_utc).as_deref(), Some("2024-03-02T11:30:00Z"));
        assert_eq!(parse_bound("tomorrow"), None);
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 19_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
