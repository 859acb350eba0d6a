//! CloudTrail's public keys, read from what `aws cloudtrail list-public-keys`
//! prints: `{"PublicKeyList":[{"Value": base64 DER, "ValidityStartTime",
//! "ValidityEndTime", "Fingerprint"}]}`.
//!
//! The file is the trust anchor of every signature check, so it is read
//! strictly where it matters: each `Fingerprint` must be the hex MD5 of its
//! decoded `Value` (how CloudTrail makes them), and a file with an entry that
//! is not is refused whole. Where tools differ it is read leniently: the list
//! named `PublicKeyList` or `publicKeyList`, times as epoch seconds, numeric
//! strings or ISO 8601, keys as PKCS#1 `RSAPublicKey` or X.509
//! `SubjectPublicKeyInfo` DER (both appear in AWS's own examples).

use crate::model::time::{Micros, parse_event_time};
use md5::{Digest, Md5};
use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};
use serde_json::Value;
use std::collections::HashMap;

/// One public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Lowercase hex, as digests name it (`digestPublicKeyFingerprint`).
    pub fingerprint: String,
    /// The key as PKCS#1 `RSAPublicKey` DER (what ring verifies with).
    pub pkcs1: Vec<u8>,
    pub valid_from: Option<Micros>,
    pub valid_to: Option<Micros>,
}

impl Key {
    /// Whether `signature` is this key's SHA256withRSA (PKCS#1 v1.5) signature
    /// of `message`. The hash is pinned to SHA-256: a signature that names
    /// another hash in its DigestInfo does not verify.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.pkcs1).verify(message, signature).is_ok()
    }
}

/// The keys signatures are checked with, by fingerprint. Empty: signatures
/// cannot be checked (and the report says so).
#[derive(Debug, Clone, Default)]
pub struct Keys {
    by_fingerprint: HashMap<String, Key>,
}

impl Keys {
    pub fn none() -> Keys {
        Keys::default()
    }

    pub fn is_empty(&self) -> bool {
        self.by_fingerprint.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_fingerprint.len()
    }

    pub fn get(&self, fingerprint: &str) -> Option<&Key> {
        self.by_fingerprint.get(&fingerprint.trim().to_ascii_lowercase())
    }

    /// Adds the keys of another file (keys of several regions go together:
    /// fingerprints are unique).
    pub fn extend(&mut self, other: Keys) {
        self.by_fingerprint.extend(other.by_fingerprint);
    }

    /// Reads one keys file, or says why it cannot be used.
    pub fn read(json: &[u8]) -> Result<Keys, String> {
        let v: Value = serde_json::from_slice(json).map_err(|e| format!("not JSON: {e}"))?;
        let list = match &v {
            Value::Array(a) => Some(a),
            Value::Object(_) => field(&v, "PublicKeyList").and_then(Value::as_array),
            _ => None,
        }
        .ok_or("no PublicKeyList in it: expected the output of `aws cloudtrail list-public-keys`")?;
        if list.is_empty() {
            return Err("it holds no keys (list-public-keys found none for the times asked?)".into());
        }
        let mut keys = Keys::default();
        for (i, entry) in list.iter().enumerate() {
            let key = read_entry(entry).map_err(|why| format!("key {} of {}: {why}", i + 1, list.len()))?;
            keys.by_fingerprint.insert(key.fingerprint.clone(), key);
        }
        Ok(keys)
    }
}

/// A member by name, in any case (`Value` or `value`).
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).filter(|v| !v.is_null())
}

fn read_entry(entry: &Value) -> Result<Key, String> {
    let value = field(entry, "Value").and_then(Value::as_str).ok_or("no Value (the key)")?;
    let der = super::encoding::unbase64(value).ok_or("its Value is not base64")?;
    let pkcs1 = rsa_public_key(&der)
        .ok_or("its Value is not an RSA public key (PKCS#1 RSAPublicKey or SubjectPublicKeyInfo DER)")?;
    let bits = modulus_bits(pkcs1);
    if !(2048..=8192).contains(&bits) {
        return Err(format!("a {bits}-bit RSA key: CloudTrail signs with 2048-bit keys"));
    }
    let computed = super::encoding::hex(&Md5::digest(&der));
    let fingerprint = match field(entry, "Fingerprint") {
        None => computed,
        Some(f) => {
            let given = f.as_str().ok_or("its Fingerprint is not text")?.trim().to_ascii_lowercase();
            if given != computed {
                return Err(format!(
                    "its Fingerprint {} is not the MD5 of its Value ({computed}): the file was altered or damaged, \
                     and is refused; fetch it again with `aws cloudtrail list-public-keys`",
                    crate::sanitize::visible(&given)
                ));
            }
            given
        }
    };
    let time = |name: &str| match field(entry, name) {
        None => Ok(None),
        Some(v) => read_time(v).map(Some).ok_or(format!("its {name} is not a time")),
    };
    Ok(Key {
        fingerprint,
        pkcs1: pkcs1.to_vec(),
        valid_from: time("ValidityStartTime")?,
        valid_to: time("ValidityEndTime")?,
    })
}

/// Epoch seconds (a number or numeric text) or ISO 8601 text.
fn read_time(v: &Value) -> Option<Micros> {
    let secs = |s: f64| (s.is_finite() && s.abs() < 1e12).then(|| (s * 1e6).round() as Micros);
    match v {
        Value::Number(n) => secs(n.as_f64()?),
        Value::String(s) => match s.trim().parse::<f64>() {
            Ok(n) => secs(n),
            Err(_) => parse_event_time(s.trim()),
        },
        _ => None,
    }
}

/// A DER element: its tag, its content and what follows it.
fn element(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        (rest[..n].iter().fold(0usize, |a, &b| (a << 8) | b as usize), &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

const SEQUENCE: u8 = 0x30;
const INTEGER: u8 = 0x02;
const BIT_STRING: u8 = 0x03;
const OID: u8 = 0x06;
/// 1.2.840.113549.1.1.1, rsaEncryption.
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];

/// `SEQUENCE { INTEGER n, INTEGER e }`, alone.
fn is_pkcs1(der: &[u8]) -> bool {
    let Some((SEQUENCE, body, [])) = element(der) else { return false };
    let Some((INTEGER, _, rest)) = element(body) else { return false };
    matches!(element(rest), Some((INTEGER, _, [])))
}

/// The PKCS#1 key in `der`: itself, or the one a SubjectPublicKeyInfo
/// (`SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { key } }`) wraps.
fn rsa_public_key(der: &[u8]) -> Option<&[u8]> {
    if is_pkcs1(der) {
        return Some(der);
    }
    let (SEQUENCE, body, []) = element(der)? else { return None };
    let (SEQUENCE, algorithm, rest) = element(body)? else { return None };
    let (OID, oid, _) = element(algorithm)? else { return None };
    let (BIT_STRING, bits, []) = element(rest)? else { return None };
    let (0, key) = bits.split_first()? else { return None };
    (oid == RSA_ENCRYPTION && is_pkcs1(key)).then_some(key)
}

/// The size of a PKCS#1 key's modulus in bits.
fn modulus_bits(pkcs1: &[u8]) -> usize {
    let n = element(pkcs1).and_then(|(_, body, _)| element(body)).map_or(&[][..], |(_, n, _)| n);
    let n = &n[n.iter().take_while(|&&b| b == 0).count()..];
    n.first().map_or(0, |&b| (n.len() - 1) * 8 + (8 - b.leading_zeros() as usize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reading() {
        // SEQUENCE { INTEGER 0x00ff.. (2048 bits), INTEGER 65537 } built by hand.
        let mut n = vec![0x00, 0xc1];
        n.extend([0x5a; 255]);
        let mut body = vec![INTEGER, 0x82, 0x01, 0x01];
        body.extend(&n);
        body.extend([INTEGER, 0x03, 0x01, 0x00, 0x01]);
        let mut pkcs1 = vec![SEQUENCE, 0x82, (body.len() >> 8) as u8, body.len() as u8];
        pkcs1.extend(&body);
        assert!(is_pkcs1(&pkcs1));
        assert_eq!(modulus_bits(&pkcs1), 2048);
        assert_eq!(rsa_public_key(&pkcs1), Some(&pkcs1[..]));
        let mut bits = vec![0u8];
        bits.extend(&pkcs1);
        let mut alg = vec![OID, RSA_ENCRYPTION.len() as u8];
        alg.extend(RSA_ENCRYPTION);
        alg.extend([0x05, 0x00]);
        let mut inner = vec![SEQUENCE, alg.len() as u8];
        inner.extend(&alg);
        inner.extend([BIT_STRING, 0x82, (bits.len() >> 8) as u8, bits.len() as u8]);
        inner.extend(&bits);
        let mut spki = vec![SEQUENCE, 0x82, (inner.len() >> 8) as u8, inner.len() as u8];
        spki.extend(&inner);
        assert_eq!(rsa_public_key(&spki), Some(&pkcs1[..]));
        assert_eq!(rsa_public_key(&spki[..spki.len() - 1]), None, "cut short");
        let mut trailing = pkcs1.clone();
        trailing.push(0);
        assert_eq!(rsa_public_key(&trailing), None);
        assert_eq!(rsa_public_key(b""), None);
    }

    #[test]
    fn times_in_every_form() {
        let t = 1_453_076_702_000_000;
        for v in [
            serde_json::json!(1453076702.0),
            serde_json::json!(1453076702),
            serde_json::json!("1453076702"),
            serde_json::json!("2016-01-18T00:25:02Z"),
            serde_json::json!("2016-01-18T00:25:02+00:00"),
        ] {
            assert_eq!(read_time(&v), Some(t), "{v}");
        }
        assert_eq!(read_time(&serde_json::json!("soon")), None);
        assert_eq!(read_time(&serde_json::json!(1e300)), None);
    }

    #[test]
    fn refuses_what_is_not_a_keys_file() {
        for (text, why) in [
            ("nope", "not JSON"),
            ("{}", "no PublicKeyList"),
            ("{\"PublicKeyList\":[]}", "holds no keys"),
            ("{\"PublicKeyList\":[{}]}", "key 1 of 1: no Value"),
            ("{\"publicKeyList\":[{\"Value\":\"!!\"}]}", "not base64"),
            ("{\"PublicKeyList\":[{\"Value\":\"MAA=\"}]}", "not an RSA public key"),
        ] {
            let e = Keys::read(text.as_bytes()).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
    }
}
