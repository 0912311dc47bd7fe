//! Embeds the default rule set (every `.yaml` under `rules/`) in the binary, so that imrlint runs
//! with its rules from anywhere; imrlint.yaml's `rules:` and `--rules` are laid over it at run time.
//! The sample letters of `cases/` come along for the rule examples that name them.

use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new("rules");
    println!("cargo:rerun-if-changed=rules");
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let abs = std::fs::canonicalize(f).unwrap();
        out.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push(']');
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("embedded_rules.rs"), out).unwrap();
    std::fs::write(out_dir.join("embedded_letters.rs"), example_letters()).unwrap();
}

/// The sample letters of `cases/` that built-in rule examples name (`letter: cases/seed-000.txt`):
/// embedded beside the rules, so `imrlint rules test` runs every built-in example from anywhere.
fn example_letters() -> String {
    let root = Path::new("cases");
    println!("cargo:rerun-if-changed=cases");
    let mut letters: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "txt"))
                .collect()
        })
        .unwrap_or_default();
    letters.sort();
    let mut out = String::from("&[\n");
    for f in &letters {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.to_string_lossy().replace('\\', "/");
        let abs = std::fs::canonicalize(f).unwrap();
        out.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            abs.display().to_string()
        ));
    }
    out.push(']');
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            println!("cargo:rerun-if-changed={}", p.display());
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}
