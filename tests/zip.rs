//! Zip archives through the real binary: a zipped trail reads exactly as its
//! folder does, and hostile archives become problems naming the archive and
//! the member while everything else still loads.

use crate::common;
use common::*;
use serde_json::{Value, json};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `dir` zipped, every file under its path relative to `dir` (folders as
/// entries too): deflated, except gzip files, which are stored as zip tools
/// often do.
fn zip_folder(dir: &Path, to: &Path) {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()).collect();
        entries.sort();
        for p in entries {
            let rel = p.strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            if p.is_dir() {
                w.add_directory(format!("{rel}/"), SimpleFileOptions::default()).unwrap();
                stack.push(p);
                continue;
            }
            let method = if rel.ends_with(".gz") { CompressionMethod::Stored } else { CompressionMethod::Deflated };
            w.start_file(rel, SimpleFileOptions::default().compression_method(method)).unwrap();
            w.write_all(&std::fs::read(&p).unwrap()).unwrap();
        }
    }
    std::fs::write(to, w.finish().unwrap().into_inner()).unwrap();
}

/// `stats --json` of a folder, with its paths written as members of `zip`
/// and its problems in a fixed order, to compare with the zip's.
fn as_if_zipped(folder_stats: &Value, dir: &Path, zip: &Path) -> Value {
    let text = folder_stats.to_string().replace(&format!("\"{}/", s(dir)), &format!("\"{}!", s(zip)));
    sorted_problems(serde_json::from_str(&text).unwrap())
}

fn sorted_problems(mut v: Value) -> Value {
    if let Some(ps) = v["problems"].as_array_mut() {
        ps.sort_by_key(|p| p.to_string());
    }
    v
}

fn same_as_folder(dir: &Path, name: &str) {
    let scratch = tempdir(name);
    let zip = scratch.join(format!("{name}.zip"));
    zip_folder(dir, &zip);
    let folder = stats_json(&[&s(dir)]);
    let zipped = sorted_problems(stats_json(&[&s(&zip)]));
    assert!(folder["events"].as_u64().unwrap() > 100, "the folder was read: {}", folder["events"]);
    assert_eq!(zipped["files"], folder["files"]);
    assert_eq!(zipped["events"], folder["events"]);
    assert_eq!(zipped["problems"].as_array().map(Vec::len), folder["problems"].as_array().map(Vec::len));
    assert_eq!(zipped["facets"], folder["facets"]);
    // Everything else too: times, skipped and digest files, shapes,
    // duplicates, detections, and every problem word for word.
    assert_eq!(zipped, as_if_zipped(&folder, dir, &zip));
}

#[test]
fn a_zipped_sample_trail_reads_as_its_folder() {
    same_as_folder(&sample(), "sample");
}

#[test]
fn a_zipped_real_corpus_reads_as_its_folder() {
    let dir = repo().join("../shared/corpus/real");
    if !dir.is_dir() {
        if std::env::var("TRAILSCOPE_REQUIRE_SHARED").as_deref() == Ok("1") {
            panic!("../shared/corpus/real is required (TRAILSCOPE_REQUIRE_SHARED=1) but missing");
        }
        eprintln!("SKIPPED a_zipped_real_corpus_reads_as_its_folder: ../shared/corpus/real not found");
        return;
    }
    let dir = dir.canonicalize().unwrap();
    let v = stats_json(&[&s(&dir)]);
    assert!(!v["problems"].as_array().unwrap().is_empty() && v["skipped_files"].as_u64() > Some(0), "a test of both");
    same_as_folder(&dir, "real");
}

/// One member of a zip written byte by byte, to say what the zip crate's
/// writer will not (hostile names, lying sizes, odd methods, encryption).
struct Raw<'a> {
    name: &'a [u8],
    method: u16,
    flags: u16,
    data: &'a [u8],
    crc: u32,
    size: u32,
}

fn stored<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    let mut h = flate2::Crc::new();
    h.update(data);
    Raw { name: name.as_bytes(), method: 0, flags: 0, data, crc: h.sum(), size: data.len() as u32 }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Local headers and data, the central directory, the end record; with
/// `overlap`, every member points at the first one's data.
fn raw_zip(members: &[Raw<'_>], overlap: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if overlap && i > 0 {
            offsets.push(0u32);
            continue;
        }
        offsets.push(out.len() as u32);
        out.extend(b"PK\x03\x04\x14\x00");
        out.extend(m.flags.to_le_bytes());
        out.extend(m.method.to_le_bytes());
        out.extend([0u8; 4]);
        out.extend(m.crc.to_le_bytes());
        out.extend((m.data.len() as u32).to_le_bytes());
        out.extend(m.size.to_le_bytes());
        out.extend((m.name.len() as u16).to_le_bytes());
        out.extend([0u8; 2]);
        out.extend(m.name);
        out.extend(m.data);
    }
    let cd_start = out.len() as u32;
    for (m, off) in members.iter().zip(&offsets) {
        out.extend(b"PK\x01\x02\x14\x00\x14\x00");
        out.extend(m.flags.to_le_bytes());
        out.extend(m.method.to_le_bytes());
        out.extend([0u8; 4]);
        out.extend(m.crc.to_le_bytes());
        out.extend((m.data.len() as u32).to_le_bytes());
        out.extend(m.size.to_le_bytes());
        out.extend((m.name.len() as u16).to_le_bytes());
        out.extend([0u8; 12]);
        out.extend(off.to_le_bytes());
        out.extend(m.name);
    }
    let cd_size = out.len() as u32 - cd_start;
    out.extend(b"PK\x05\x06\0\0\0\0");
    out.extend((members.len() as u16).to_le_bytes());
    out.extend((members.len() as u16).to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_start.to_le_bytes());
    out.extend([0u8; 2]);
    out
}

/// `zip` with a zip64 end record claiming `count` members.
fn forged_count(zip: &[u8], count: u64) -> Vec<u8> {
    let eocd = zip.len() - 22;
    let cd_size = u32::from_le_bytes(zip[eocd + 12..eocd + 16].try_into().unwrap()) as u64;
    let mut z = zip[..eocd].to_vec();
    let record_at = z.len() as u64;
    z.extend(b"PK\x06\x06");
    z.extend(44u64.to_le_bytes());
    z.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    z.extend(count.to_le_bytes());
    z.extend(count.to_le_bytes());
    z.extend(cd_size.to_le_bytes());
    z.extend((eocd as u64 - cd_size).to_le_bytes());
    z.extend(b"PK\x06\x07\0\0\0\0");
    z.extend(record_at.to_le_bytes());
    z.extend(1u32.to_le_bytes());
    z.extend(b"PK\x05\x06");
    z.extend([0xff; 16]);
    z.extend([0u8; 2]);
    z
}

fn records(ids: &[&str]) -> Vec<u8> {
    let events: Vec<Value> = ids
        .iter()
        .map(|id| {
            json!({"eventVersion": "1.09", "eventTime": "2024-02-01T10:00:00Z", "eventSource": "s3.amazonaws.com",
                   "eventName": "GetObject", "awsRegion": "eu-west-1", "eventID": id,
                   "userIdentity": {"type": "IAMUser", "userName": "ana", "accountId": "111122223333"}})
        })
        .collect();
    json!({ "Records": events }).to_string().into_bytes()
}

/// A folder of hostile archives beside a good file.
fn hostile_folder() -> PathBuf {
    let dir = tempdir("hostile-zips");
    std::fs::write(dir.join("good.json"), records(&["g1", "g2"])).unwrap();
    let inside = records(&["z1"]);
    let bomb = deflate(&vec![0u8; 20 << 20]);
    let liar = deflate(&vec![b' '; 1 << 20]);
    let members = [
        stored("AWSLogs/ok.json", &inside),
        stored("../../escape.json", &inside),
        stored("/etc/abs.json", &inside),
        stored("tty\x1b]0;owned\x07.json", &inside),
        Raw { name: b"enc.json", method: 8, flags: 1, data: b"0123456789ab", crc: 0, size: 12 },
        Raw { name: b"bz.json", method: 12, flags: 0, data: b"BZh91AY&SY", crc: 0, size: 10 },
        Raw { name: b"bomb.json", method: 8, flags: 0, data: &bomb, crc: 0, size: 20 << 20 },
        Raw { name: b"liar.json", method: 8, flags: 0, data: &liar, crc: 0, size: 100 },
        Raw { crc: 7, ..stored("badcrc.json", &inside) },
        stored("nested/inner.zip", b"PK\x05\x06"),
    ];
    std::fs::write(dir.join("hostile.zip"), raw_zip(&members, false)).unwrap();
    let one = raw_zip(&[stored("a.json", &inside)], false);
    std::fs::write(dir.join("forged.zip"), forged_count(&one, 1 << 40)).unwrap();
    let whole = raw_zip(&[stored("a.json", &inside), stored("b.json", &inside)], false);
    std::fs::write(dir.join("truncated.zip"), &whole[..whole.len() - 30]).unwrap();
    std::fs::write(dir.join("notazip.zip"), b"{\"Records\": []}").unwrap();
    let kernel = deflate(&vec![0u8; 10 << 20]);
    let names: Vec<String> = (0..1000).map(|i| format!("f{i}.json")).collect();
    let overlapping: Vec<Raw<'_>> = names
        .iter()
        .map(|n| Raw { name: n.as_bytes(), method: 8, flags: 0, data: &kernel, crc: 0, size: 10 << 20 })
        .collect();
    std::fs::write(dir.join("overlap.zip"), raw_zip(&overlapping, true)).unwrap();
    dir
}

#[test]
fn hostile_archives_become_problems_and_the_rest_loads() {
    let dir = hostile_folder();
    let started = std::time::Instant::now();
    let v = stats_json(&[&s(&dir)]);
    assert!(started.elapsed().as_secs() < 5, "took {:?}", started.elapsed());
    // good.json, and the one good member of hostile.zip; the liar and the
    // damaged member were tried too.
    assert_eq!(v["events"], 3, "{v:#}");
    assert_eq!(v["files"], 4);
    let at = |name: &str| s(&dir.join(name));
    let want: Vec<(String, &str, &str)> = vec![
        (format!("{}!../../escape.json", at("hostile.zip")), "unreadable", "`..`"),
        (format!("{}!/etc/abs.json", at("hostile.zip")), "unreadable", "absolute"),
        (format!("{}!tty\\u001b]0;owned\\u0007.json", at("hostile.zip")), "unreadable", "control characters"),
        (format!("{}!enc.json", at("hostile.zip")), "unreadable", "encrypted"),
        (format!("{}!bz.json", at("hostile.zip")), "unreadable", "compressed with bzip2"),
        (format!("{}!bomb.json", at("hostile.zip")), "too-large", "zip bomb"),
        (format!("{}!liar.json", at("hostile.zip")), "unreadable", "more than the size the archive declares"),
        (format!("{}!badcrc.json", at("hostile.zip")), "unreadable", "damaged member: invalid checksum"),
        (format!("{}!nested/inner.zip", at("hostile.zip")), "unreadable", "unpack"),
        (at("forged.zip"), "too-large", "claims 1099511627776 members"),
        (at("truncated.zip"), "unreadable", "damaged or truncated"),
        (at("notazip.zip"), "unreadable", "not a zip archive"),
        (at("overlap.zip"), "too-large", "zip bomb"),
    ];
    let got = v["problems"].as_array().unwrap();
    for (path, kind, says) in &want {
        let found = got.iter().find(|p| p["path"] == path.as_str());
        let p = found.unwrap_or_else(|| panic!("no problem for {path}: {got:#?}"));
        assert_eq!(p["kind"], *kind, "{p}");
        assert!(p["message"].as_str().unwrap().contains(says), "{path}: {p}");
    }
    assert_eq!(got.len(), want.len(), "{got:#?}");
    // As text on a terminal, nothing from a name can act on it.
    let o = run(&["stats", &s(&dir)]);
    let text = stdout(&o) + &stderr(&o);
    assert!(text.contains("owned") && !text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
}

#[test]
fn archives_named_explicitly_and_found_in_folders_read_alike() {
    let dir = tempdir("zip-explicit");
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, ids) in [("a/one.json", &["e1", "e2"][..]), ("b/two.json.gz", &["e3"][..]), ("README.txt", &[])] {
        w.start_file(name, SimpleFileOptions::default()).unwrap();
        let body = records(ids);
        if name.ends_with(".gz") {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            gz.write_all(&body).unwrap();
            w.write_all(&gz.finish().unwrap()).unwrap();
        } else {
            w.write_all(&body).unwrap();
        }
    }
    std::fs::write(dir.join("case.ZIP"), w.finish().unwrap().into_inner()).unwrap();
    for v in [stats_json(&[&s(&dir)]), stats_json(&[&s(&dir.join("case.ZIP"))])] {
        assert_eq!(
            (v["events"].as_u64(), v["files"].as_u64(), v["skipped_files"].as_u64()),
            (Some(3), Some(2), Some(1))
        );
        assert_eq!(v["problems"], json!([]));
    }
}
