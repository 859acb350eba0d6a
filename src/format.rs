//! Numbers as people read them.

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 event`, `1,234 events`.
pub fn events(n: usize) -> String {
    if n == 1 { "1 event".to_string() } else { format!("{} events", thousands(n as u64)) }
}

/// A size in bytes, KB or MB.
pub fn human_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / (1 << 20) as f64),
        n if n >= 10_000 => format!("{} KB", n / 1024),
        n => format!("{n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(human_bytes(7), "7 bytes");
        assert_eq!(human_bytes(150_000), "146 KB");
        assert_eq!(human_bytes(3 << 20), "3.0 MB");
        assert_eq!(human_bytes(3 << 29), "1.5 GB");
    }
}
