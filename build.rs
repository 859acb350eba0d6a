//! Builds the list of trailscope's own detection rules (assets/rules) into
//! the binary, so the catalogue needs no files at run time.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "yml") {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new("assets/rules");
    println!("cargo:rerun-if-changed=assets/rules");
    let mut files = Vec::new();
    walk(root, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The built-in catalogue: (path in the catalogue, YAML text).\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let rel = f.strip_prefix(root).expect("under the root").to_string_lossy().replace('\\', "/");
        let abs = std::fs::canonicalize(f).expect("a file listed exists");
        out += &format!("    ({rel:?}, include_str!({abs:?})),\n");
    }
    out += "];\n";
    let dest = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalogue.rs");
    std::fs::write(dest, out).expect("OUT_DIR is writable");
}
