//! The auditor's workflow around `check`: settings in imrlint.yaml, suppressions that expire, and
//! baselines that show only what is new.

use assert_cmd::Command;
use std::path::Path;

const SEEDS: &[&str] = &[
    "seed-000.txt",
    "seed-001.txt",
    "seed-002.txt",
    "seed-003.txt",
    "seed-004.txt",
];

/// A folder holding copies of the seed letters.
fn batch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for s in SEEDS {
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases").join(s);
        std::fs::copy(from, dir.path().join(s)).unwrap();
    }
    dir
}

/// `imrlint check` in `dir`. The seeds' supporting notes (`--show supporting`) give these tests
/// findings to baseline, suppress and watch.
fn check(dir: &Path, args: &[&str]) -> (String, String) {
    let out = Command::cargo_bin("imrlint")
        .unwrap()
        .current_dir(dir)
        .args(["check", "--format", "concise", "--show", "supporting"])
        .args(args)
        .arg(".")
        .output()
        .unwrap();
    assert!(out.status.code().unwrap() <= 1, "{out:?}");
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_baseline_shows_only_the_new_finding_and_lists_the_gone_one() {
    let dir = batch();
    let (all, _) = check(dir.path(), &["--write-baseline", "baseline.json"]);
    assert!(all.lines().count() >= 10);
    let (again, stderr) = check(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(again, "");
    assert_eq!(stderr, "");

    // One letter gains a misspelled drug name; another loses one.
    let edit = |name: &str, from: &str, to: &str| {
        let path = dir.path().join(name);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from));
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "seed-000.txt",
        "the request for clonazepam 1 mg #90",
        "the request for clonazepma 1 mg #90",
    );
    edit("seed-003.txt", "clonzaepam", "clonazepam");
    let (new, stderr) = check(dir.path(), &["--baseline", "baseline.json"]);
    let lines: Vec<&str> = new.lines().collect();
    assert_eq!(lines.len(), 1, "{new}");
    assert!(lines[0].starts_with("./seed-000.txt:105:"));
    assert!(lines[0].contains("misspelling `clonazepma`"));
    assert!(
        stderr.contains("1 finding(s) of the baseline are gone"),
        "{stderr}"
    );
    assert!(
        stderr.contains("./seed-003.txt: misspelling `clonzaepam`"),
        "{stderr}"
    );
}

#[test]
fn settings_and_an_expired_suppression() {
    let dir = batch();
    std::fs::write(
        dir.path().join("imrlint.yaml"),
        "ignore: [dosing-frequency-missing]\n\
         exclude: ['seed-002.*']\n\
         severity: {misspelling: warning}\n\
         suppressions:\n\
         \x20 - finding: citation-mismatch\n\
         \x20   reason: page 42 is a known typo of the template\n\
         \x20 - finding: efficacy-undocumented\n\
         \x20   paths: ['seed-004.txt']\n\
         \x20   reason: the efficacy note was accepted in review\n\
         \x20   expires: 2020-01-31\n",
    )
    .unwrap();
    let (out, stderr) = check(dir.path(), &[]);
    assert!(!out.contains("dosing-frequency-missing"));
    assert!(!out.contains("seed-002"));
    assert!(!out.contains("citation-mismatch"));
    assert!(out.contains("warning misspelling"));
    // Expired: reported, and the finding it named is back.
    assert!(
        stderr.contains("the suppression of `efficacy-undocumented` expired on 2020-01-31"),
        "{stderr}"
    );
    assert!(out.contains(
        "./seed-004.txt:135:21: note missing-reason[mtus-benzodiazepines/efficacy-undocumented]"
    ));
    // --no-config reads none of it.
    let (plain, _) = check(dir.path(), &["--no-config"]);
    assert!(plain.contains("citation-mismatch"));
}

#[test]
fn a_bad_setting_stops_the_run_at_its_line() {
    let dir = batch();
    std::fs::write(
        dir.path().join("imrlint.yaml"),
        "ignore: []\nsuppressions:\n  - finding: misspelling\n    reason: ''\n",
    )
    .unwrap();
    let out = Command::cargo_bin("imrlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "."])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("imrlint.yaml:4:"), "{stderr}");
    assert!(stderr.contains("needs a reason"), "{stderr}");
}

/// `--watch` checks again when a letter changes.
#[test]
fn watch_runs_again_when_a_letter_changes() {
    use std::io::BufRead;
    let dir = batch();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("imrlint"))
        .current_dir(dir.path())
        .args([
            "check",
            "--watch",
            "--show",
            "supporting",
            "--no-config",
            "--format",
            "concise",
            "seed-003.txt",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for_run = || {
        rx.recv_timeout(std::time::Duration::from_secs(30))
            .expect("a run within 30 seconds")
    };
    assert!(wait_for_run().contains("watching"));
    let path = dir.path().join("seed-003.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("clonzaepam", "clonazepam", 1)).unwrap();
    assert!(wait_for_run().contains("watching"));
    child.kill().unwrap();
    child.wait().unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    // The first run reports the misspelling, the second no longer does.
    assert_eq!(out.matches("misspelling `clonzaepam`").count(), 1, "{out}");
    assert_eq!(out.matches("seed-003.txt:93:21").count(), 2, "{out}");
}

/// A quoted glob is expanded by imrlint itself; one that matches nothing is a per-file error.
#[test]
fn globs_name_letters() {
    let dir = batch();
    let (out, _) = check(dir.path(), &["--no-config"]);
    let all = out.lines().count();
    let run = |pattern: &str| {
        Command::cargo_bin("imrlint")
            .unwrap()
            .current_dir(dir.path())
            .args(["check", "--no-config", "--format", "concise", pattern])
            .output()
            .unwrap()
    };
    let some = String::from_utf8(run("seed-00[34].txt").stdout).unwrap();
    assert!(
        some.lines()
            .all(|l| l.starts_with("seed-003.txt") || l.starts_with("seed-004.txt"))
    );
    assert!(some.lines().count() > 0 && some.lines().count() < all);
    let none = run("*.pdf");
    assert_eq!(none.status.code(), Some(1));
    assert!(
        String::from_utf8(none.stdout)
            .unwrap()
            .contains("matches no .txt or .pdf file")
    );
}

/// imrlint.yaml is read the same way by every command: a broken rule file it names stops each one
/// with exit 2 and the file's name, before any letter is read.
#[test]
fn every_command_reads_the_settings_file_the_same_way() {
    let dir = batch();
    std::fs::write(dir.path().join("imrlint.yaml"), "rules:\n  - extra.yaml\n").unwrap();
    std::fs::write(dir.path().join("extra.yaml"), "rules: [\n").unwrap();
    let commands: &[&[&str]] = &[
        &["check", "seed-000.txt"],
        &["facts", "seed-000.txt"],
        &["report", "seed-000.txt", "--out", "out"],
        &["eval", "--gold", "."],
        &["rules", "check"],
        &["rules", "test"],
        &["rules", "list"],
        &["explain", "long-term-use"],
    ];
    for args in commands {
        let out = Command::cargo_bin("imrlint")
            .unwrap()
            .current_dir(dir.path())
            .args(*args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("extra.yaml"), "{args:?}: {stderr}");
    }
}

/// A `rules` folder that happens to stand in the working folder is not read unless named; a run
/// says so, and reads it when named.
#[test]
fn a_rules_folder_in_the_working_folder_is_read_only_when_named() {
    let dir = batch();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(dir.path().join("rules/reasons.yaml"), "reasons: [\n").unwrap();
    let (stdout, stderr) = check(dir.path(), &[]);
    assert!(stdout.contains("seed-001.txt"), "{stdout}");
    assert!(
        stderr.contains("the folder ./rules is not read"),
        "{stderr}"
    );
    let out = Command::cargo_bin("imrlint")
        .unwrap()
        .current_dir(dir.path())
        .args(["check", "--rules", "rules", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("reasons.yaml"));
}
