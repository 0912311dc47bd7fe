//! Hostile input: bad letters fail alone, hostile rule files fail fast with a placed diagnostic,
//! outputs stay where they are put, and imrlint opens no connection.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

fn imrlint() -> Command {
    let mut cmd = Command::cargo_bin("imrlint").unwrap();
    cmd.env("NO_COLOR", "1").env_remove("IMRLINT_CONFIG");
    // Nothing here may take long: a hang is a failure, not a slow test.
    cmd.timeout(Duration::from_secs(120));
    cmd
}

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("cases")
        .join(name)
}

/// `check --format json` of `paths`: the exit code and each file's result by file name.
fn check(paths: &[&Path], extra: &[&str]) -> (i32, Vec<(String, Value)>) {
    let out = imrlint()
        .args(["check", "--format", "json", "--no-progress", "--no-config"])
        .args(extra)
        .args(paths)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let files = report["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let name = Path::new(f["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (name, f.clone())
        })
        .collect();
    (out.status.code().unwrap(), files)
}

/// A file's result without its path, to compare a letter checked in a batch with it alone.
fn without_path(mut v: Value) -> Value {
    v.as_object_mut().unwrap().remove("path");
    v
}

#[test]
fn bad_letters_fail_alone_and_every_good_letter_keeps_its_full_result() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = std::fs::read(case("seed-001.txt")).unwrap();
    std::fs::write(d.join("empty.txt"), "").unwrap();
    std::fs::write(
        d.join("binary.txt"),
        (0u8..=255).cycle().take(20_000).collect::<Vec<_>>(),
    )
    .unwrap();
    // Invalid UTF-8 and NUL bytes in an otherwise good letter: read (lossily), with a note.
    let mut invalid = good.clone();
    invalid.splice(200..200, [0xff, 0xfe, 0xc3]);
    std::fs::write(d.join("invalid-utf8.txt"), &invalid).unwrap();
    let mut nul = good.clone();
    nul.splice(300..300, [0, 0, 0]);
    std::fs::write(d.join("nul.txt"), &nul).unwrap();
    let huge: Vec<u8> = good.iter().copied().cycle().take(50 << 20).collect();
    std::fs::write(d.join("huge.txt"), huge).unwrap();
    std::fs::write(
        d.join("no-decisions.txt"),
        "Case Number: CM16-0000001\nDear applicant, your file was received and is under review.\n",
    )
    .unwrap();
    std::fs::write(d.join("fake.pdf"), "%PDF-1.4\nthis is not really a PDF").unwrap();
    std::fs::write(d.join("renamed.pdf"), "a text file named .pdf").unwrap();
    std::fs::create_dir(d.join("loop")).unwrap();
    std::os::unix::fs::symlink(d, d.join("loop").join("back")).unwrap();
    // Root reads any file whatever its mode: a link to nothing is what every user cannot read.
    std::os::unix::fs::symlink(d.join("gone.txt"), d.join("unreadable.txt")).unwrap();
    std::fs::write(d.join("good.txt"), &good).unwrap();
    std::fs::copy(case("seed-003.txt"), d.join("good-2.txt")).unwrap();

    let started = Instant::now();
    let (code, files) = check(&[d], &[]);
    eprintln!("checked the mixed folder in {:?}", started.elapsed());
    assert_eq!(code, 1, "findings and unreadable files exit 1");
    let by_name = |n: &str| -> &Value {
        &files
            .iter()
            .find(|(name, _)| name == n)
            .unwrap_or_else(|| {
                panic!(
                    "no result for {n}: {:?}",
                    files.iter().map(|f| &f.0).collect::<Vec<_>>()
                )
            })
            .1
    };
    for (name, kind) in [
        ("empty.txt", "unreadable"),
        ("binary.txt", "binary"),
        ("huge.txt", "too-large"),
        ("no-decisions.txt", "unreadable"),
        ("fake.pdf", "pdf"),
        ("renamed.pdf", "pdf"),
        ("unreadable.txt", "io"),
    ] {
        let r = by_name(name);
        assert_eq!(r["status"], "error", "{name}: {r}");
        assert_eq!(r["error"]["kind"], kind, "{name}: {r}");
        assert!(!r["error"]["message"].as_str().unwrap().is_empty());
        assert_eq!(r["findings"][0]["kind"], "unreadable", "{name}");
    }
    // The loop is reported once, as an error of its own, and walked no further.
    let looped: Vec<&(String, Value)> = files
        .iter()
        .filter(|(_, v)| {
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("loops"))
        })
        .collect();
    assert_eq!(looped.len(), 1, "{files:?}");
    for name in ["invalid-utf8.txt", "nul.txt"] {
        let r = by_name(name);
        assert_eq!(r["status"], "ok", "{name}: {r}");
        assert!(!r["items"].as_array().unwrap().is_empty(), "{name}");
    }
    // Every good letter's result is the one it gets alone.
    for (name, source) in [
        ("good.txt", case("seed-001.txt")),
        ("good-2.txt", case("seed-003.txt")),
    ] {
        let (_, alone) = check(&[&source], &[]);
        assert_eq!(
            without_path(by_name(name).clone()),
            without_path(alone[0].1.clone()),
            "{name} in a batch differs from {name} alone"
        );
    }
}

/// Runs `check` with one extra rule file and expects it refused, fast, at a place in that file.
fn refused(file: &str, yaml: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), yaml).unwrap();
    let started = Instant::now();
    let out = imrlint()
        .args(["check", "--no-config", "--rules"])
        .arg(dir.path())
        .arg(case("seed-000.txt"))
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    // The diagnostic as prose: miette wraps it to the terminal's width behind a gutter.
    let stderr = String::from_utf8_lossy(&out.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(out.status.code(), Some(2), "{file}: {stderr}");
    assert!(
        stderr.contains(&format!("{file}:")),
        "{file}: the diagnostic names no place in the file: {stderr}"
    );
    assert!(stderr.contains(expected), "{file}: {stderr}");
    assert!(
        elapsed < Duration::from_secs(30),
        "{file}: refused only after {elapsed:?}"
    );
}

#[test]
fn a_yaml_alias_bomb_is_refused_before_it_expands() {
    let mut yaml = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..=9 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        yaml.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    yaml.push_str("rules: *a9\n");
    refused("bomb.yaml", &yaml, "aliases");
}

#[test]
fn deeply_nested_yaml_is_refused() {
    let depth = 100_000;
    let yaml = format!("rules: {}{}\n", "[".repeat(depth), "]".repeat(depth));
    refused("deep.yaml", &yaml, "deep");
}

#[test]
fn a_hundred_thousand_alternative_regex_is_refused_by_its_size() {
    let alternatives = (0..100_000)
        .map(|i| format!("word{i}"))
        .collect::<Vec<_>>()
        .join("|");
    let yaml = format!(
        "concepts:\n  - id: everything-listed\n    title: A list too long\n    patterns:\n      - '{alternatives}'\n"
    );
    refused("concepts.yaml", &yaml, "compiles to more than");
}

#[test]
fn cel_nested_thousands_deep_is_refused() {
    // Within the 4,096-character limit, so that depth is what refuses them.
    let depth = 2000;
    for (name, condition) in [
        (
            "parens.yaml",
            format!("{}true{}", "(".repeat(depth), ")".repeat(depth)),
        ),
        ("negations.yaml", format!("{}true", "!".repeat(depth))),
        ("minus.yaml", format!("{}1 > 0", "-".repeat(depth))),
    ] {
        let yaml = format!(
            "rules:\n  - id: deep\n    title: Deep\n    guideline: {{document: mtus-chronic-pain, topic: benzodiazepines}}\n    applies_to: \"{condition}\"\n    reasons: []\n"
        );
        refused(name, &yaml, "deep");
    }
}

#[test]
fn a_rule_that_cites_every_word_runs_in_bounded_time() {
    let dir = tempfile::tempdir().unwrap();
    // In a subfolder, the reason adds to the catalog (at the top it would replace it).
    std::fs::create_dir(dir.path().join("extra")).unwrap();
    std::fs::write(
        dir.path().join("extra").join("reasons.yaml"),
        "reasons:\n  - id: every-word\n    title: Every word\n    kind: documentation\n    cites:\n      - pattern: '\\w+'\n        status: [affirmed, negated, uncertain, historical]\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("everything.yaml"),
        "rules:\n  - id: everything\n    title: Everything\n    guideline: {document: mtus-chronic-pain, topic: benzodiazepines}\n    applies_to: 'true'\n    reasons:\n      - reason: every-word\n        role: primary\n        when: 'true'\n        message: every word\n        help: every word\n",
    )
    .unwrap();
    let started = Instant::now();
    let (code, files) = check(
        &[
            &case("seed-000.txt"),
            &case("seed-001.txt"),
            &case("seed-003.txt"),
        ],
        &["--rules", dir.path().to_str().unwrap()],
    );
    eprintln!(
        "three letters, every word cited, in {:?}",
        started.elapsed()
    );
    assert!(code == 0 || code == 1, "exit {code}");
    assert_eq!(files.len(), 3);
    for (name, f) in &files {
        assert_eq!(f["status"], "ok", "{name}");
    }
}

#[test]
fn report_pages_stay_inside_out_whatever_the_letter_is_called() {
    let dir = tempfile::tempdir().unwrap();
    let letters = dir.path().join("letters");
    std::fs::create_dir(&letters).unwrap();
    for name in [
        "..evil.txt",
        "<script>alert(1)<.txt",
        "a\"onload=x.txt",
        "....txt",
    ] {
        std::fs::copy(case("seed-000.txt"), letters.join(name)).unwrap();
    }
    let out = dir.path().join("out");
    imrlint()
        .args(["report", "--no-config", "--no-progress", "--out"])
        .arg(&out)
        .arg(&letters)
        .assert()
        .code(predicates::ord::lt(2));
    let mut written = Vec::new();
    for entry in walkdir(dir.path()) {
        if !entry.starts_with(&letters) {
            written.push(entry);
        }
    }
    assert!(written.iter().all(|p| p.starts_with(&out)), "{written:?}");
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(!index.contains("<script>alert"), "letter names are escaped");
    assert!(!index.contains("\"onload=x"), "letter names are escaped");
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_run_opens_no_connection() {
    let bin = assert_cmd::cargo::cargo_bin("imrlint");
    let args = ["check", "--no-config", "--no-progress", "--format", "json"];
    let strace = Process::new("strace").arg("-V").output();
    if strace.is_err() {
        eprintln!("note: strace is not installed; the system-call check is skipped");
    } else {
        let log = tempfile::NamedTempFile::new().unwrap();
        let status = Process::new("strace")
            .args(["-f", "-qq", "-e", "trace=socket,connect,sendto,bind", "-o"])
            .arg(log.path())
            .arg(&bin)
            .args(args)
            .arg(case("seed-000.txt"))
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert!(status.status.code().is_some_and(|c| c < 2));
        let calls = std::fs::read_to_string(log.path()).unwrap();
        assert!(
            calls.trim().is_empty(),
            "imrlint made network system calls:\n{calls}"
        );
    }
    // And it runs where there is no network at all.
    match Process::new("unshare")
        .args(["--net", "--map-root-user"])
        .arg(&bin)
        .args(args)
        .arg(case("seed-000.txt"))
        .output()
    {
        Ok(out) if out.status.code().is_some_and(|c| c < 2) => {
            let report: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(report["files"][0]["status"], "ok");
        }
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("unshare") => {
            eprintln!(
                "note: no network namespace here ({}); the offline run is skipped",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(out) => panic!(
            "imrlint failed without a network: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => eprintln!("note: unshare is not available ({e}); the offline run is skipped"),
    }
}

/// Found by fuzzing the PDF reader: the PDF library panics on a colour space that names a missing
/// object. The panic is caught, the file fails alone, and its message stays off standard error.
#[test]
fn a_pdf_the_library_panics_on_fails_alone_and_quietly() {
    let pdf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/letters/missing-object-reference.pdf");
    let out = imrlint()
        .args(["check", "--format", "json", "--no-config", "--no-progress"])
        .arg(&pdf)
        .arg(case("seed-000.txt"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["files"][0]["status"], "error");
    assert_eq!(report["files"][0]["error"]["kind"], "pdf");
    assert_eq!(report["files"][1]["status"], "ok");
    assert_eq!(out.status.code(), Some(1));
}

/// Found by fuzzing facts: a separator of several bytes (a replacement character, a bullet)
/// before a word shifted the misspelling search's offsets until it sliced inside a character.
#[test]
fn wide_separators_keep_misspellings_in_place() {
    let original = std::fs::read_to_string(case("seed-003.txt")).unwrap();
    let widened = original.replacen(
        "In regards to the request for clonzaepam",
        "In regards to the request\u{fffd}\u{2022}\u{fffd}for\u{2022}clonzaepam",
        1,
    );
    assert_ne!(widened, original);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("widened.txt");
    std::fs::write(&path, &widened).unwrap();
    let (_, files) = check(&[&path], &[]);
    let misspelled: Vec<&Value> = files[0].1["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "misspelling")
        .collect();
    assert_eq!(misspelled.len(), 1, "{misspelled:?}");
    let label = &misspelled[0]["labels"][0];
    let (start, end) = (
        label["start"].as_u64().unwrap() as usize,
        label["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&widened[start..end], "clonzaepam");
}
