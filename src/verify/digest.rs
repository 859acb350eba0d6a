//! One digest file: what it says (the hour it covers, where it was written,
//! the digest before it, the log files and their hashes) and the text its
//! signature signs.

use crate::model::time::{Micros, parse_event_time};
use serde_json::Value;

/// A log file a digest lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub bucket: String,
    pub key: String,
    /// Lowercase hex SHA-256 of the file's content, or None when the digest
    /// names another algorithm (the file cannot be checked then).
    pub sha256: Option<String>,
    pub algorithm: String,
}

/// The digest before this one, as this one records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Previous {
    pub bucket: Option<String>,
    pub key: String,
    /// Lowercase hex SHA-256 of the previous digest's content.
    pub sha256: Option<String>,
}

/// A digest file's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub account: String,
    pub start: Micros,
    pub end: Micros,
    /// `digestEndTime` as written: the signature signs this text.
    pub end_text: String,
    /// Where CloudTrail wrote it.
    pub bucket: String,
    pub key: String,
    pub fingerprint: String,
    pub algorithm: Option<String>,
    /// None: the first digest of a chain (logging was started or restarted).
    pub previous: Option<Previous>,
    /// The previous digest's signature (hex) as it was when this one was
    /// written (`previousDigestSignature`; this one's signature signs it).
    pub previous_signature: Option<String>,
    pub logs: Vec<Listed>,
}

fn text(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_string)
}

/// Whether a hash algorithm is SHA-256 by one of the names used for it.
fn is_sha256(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['-', '_'], "");
    n == "sha256"
}

impl Digest {
    /// Reads a digest's (inflated) content, or says what is wrong with it.
    pub fn parse(content: &[u8]) -> Result<Digest, String> {
        let v: Value = serde_json::from_slice(content).map_err(|e| format!("not a digest file (not JSON: {e})"))?;
        if !v.is_object() {
            return Err("not a digest file (not a JSON object)".into());
        }
        let need = |name: &str| text(&v, name).ok_or(format!("not a digest file (no {name})"));
        let start_text = need("digestStartTime")?;
        let end_text = need("digestEndTime")?;
        let time = |s: &str, name: &str| parse_event_time(s).ok_or(format!("its {name} is not a time"));
        let (start, end) = (time(&start_text, "digestStartTime")?, time(&end_text, "digestEndTime")?);
        // The signature signs `previousDigestSignature`, null included: a
        // digest without the member is not one CloudTrail wrote.
        if v.get("previousDigestSignature").is_none() {
            return Err("not a digest file (no previousDigestSignature)".into());
        }
        let previous = text(&v, "previousDigestS3Object").map(|key| Previous {
            bucket: text(&v, "previousDigestS3Bucket"),
            key,
            sha256: text(&v, "previousDigestHashValue")
                .filter(|_| text(&v, "previousDigestHashAlgorithm").is_none_or(|a| is_sha256(&a)))
                .map(|h| h.trim().to_ascii_lowercase()),
        });
        let logs = match v.get("logFiles") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let key = text(f, "s3Object").ok_or(format!("its logFiles[{i}] has no s3Object"))?;
                    let algorithm = text(f, "hashAlgorithm").unwrap_or_else(|| "SHA-256".into());
                    let sha256 =
                        text(f, "hashValue").filter(|_| is_sha256(&algorithm)).map(|h| h.trim().to_ascii_lowercase());
                    Ok(Listed { bucket: text(f, "s3Bucket").unwrap_or_default(), key, sha256, algorithm })
                })
                .collect::<Result<_, String>>()?,
            Some(_) => return Err("its logFiles is not a list".into()),
        };
        Ok(Digest {
            account: text(&v, "awsAccountId").unwrap_or_default(),
            start,
            end,
            end_text,
            bucket: need("digestS3Bucket")?,
            key: need("digestS3Object")?,
            fingerprint: need("digestPublicKeyFingerprint")?,
            algorithm: text(&v, "digestSignatureAlgorithm"),
            previous,
            previous_signature: text(&v, "previousDigestSignature"),
            logs,
        })
    }

    /// What the digest's signature signs: its end time, where it was
    /// written, the SHA-256 of its content, and the previous digest's
    /// signature (the text `null` for the first of a chain), one per line.
    pub fn string_to_sign(&self, content_sha256: &str) -> String {
        let previous = self.previous_signature.as_deref().unwrap_or("null");
        format!("{}\n{}/{}\n{content_sha256}\n{previous}", self.end_text, self.bucket, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = r#"{"awsAccountId":"111122223333","digestStartTime":"2024-03-01T10:05:12Z",
        "digestEndTime":"2024-03-01T11:05:12Z","digestS3Bucket":"trail-bucket",
        "digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/03/01/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240301T110512Z.json.gz",
        "digestPublicKeyFingerprint":"0123456789abcdef0123456789abcdef","digestSignatureAlgorithm":"SHA256withRSA",
        "newestEventTime":null,"oldestEventTime":null,
        "previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,
        "previousDigestHashAlgorithm":null,"previousDigestSignature":null,
        "logFiles":[{"s3Bucket":"trail-bucket","s3Object":"AWSLogs/x.json.gz","hashValue":"AB12","hashAlgorithm":"SHA-256"}]}"#;

    #[test]
    fn reads_a_first_digest() {
        let d = Digest::parse(DIGEST.as_bytes()).unwrap();
        assert_eq!(d.previous, None);
        assert_eq!(d.end - d.start, 3_600_000_000);
        assert_eq!(d.logs[0].sha256.as_deref(), Some("ab12"));
        assert_eq!(
            d.string_to_sign("ff"),
            format!("2024-03-01T11:05:12Z\ntrail-bucket/{}\nff\nnull", d.key),
            "the first of a chain signs the text null"
        );
    }

    #[test]
    fn says_what_is_missing() {
        for (from, to, why) in [
            ("\"digestS3Bucket\":\"trail-bucket\"", "\"digestS3Bucket\":null", "no digestS3Bucket"),
            ("\"previousDigestSignature\":null", "\"x\":null", "no previousDigestSignature"),
            ("2024-03-01T10:05:12Z", "yesterday", "digestStartTime is not a time"),
            ("\"s3Object\":\"AWSLogs/x.json.gz\",", "", "logFiles[0] has no s3Object"),
        ] {
            let e = Digest::parse(DIGEST.replace(from, to).as_bytes()).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        assert!(Digest::parse(b"[1]").unwrap_err().contains("not a JSON object"));
    }
}
