//! `imrlint eval` and `imrlint gold` as a user runs them, on an invented letter whose gold is
//! written here: the counts must add up to what `check` reports on the same letter.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn imrlint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("imrlint").unwrap();
    cmd.current_dir(dir);
    cmd.env("NO_COLOR", "1");
    cmd
}

fn letter() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/letters/contradiction.txt")
}

/// Gold for tests/letters/contradiction.txt: the MRI item sound, the EMG item with the
/// contradiction between the two rationales and a record contradiction no rule looks for.
fn gold(annotator: &str, letter: &Path) -> String {
    format!(
        r#"letter: {}
annotator: {annotator}
items:
  - index: 0
    treatment: MRI of the lumbar spine
    decision: upheld
    sound: true
  - index: 1
    treatment: EMG of the lower extremities
    decision: upheld
    sound: false
    findings:
      - kind: contradiction
        quote: The patient has a clear neurologic deficit with foot drop
      - kind: record-contradiction
        severity: warning
        quote: clear neurologic deficit with foot drop
        note: the summary records low back pain only
"#,
        letter.display()
    )
}

fn check_json(dir: &Path) -> Value {
    let out = imrlint(dir)
        .args(["check", "--format", "json", "--no-config"])
        .arg(letter())
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `imrlint eval` on the gold of `dir/gold` (or `--gold` in `extra`), as JSON.
fn eval_json(dir: &Path, extra: &[&str]) -> Value {
    let gold = if extra.contains(&"--gold") {
        &[][..]
    } else {
        &["--gold", "gold"][..]
    };
    let out = imrlint(dir)
        .args(["eval", "--format", "json", "--no-config"])
        .args(gold)
        .args(extra)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    serde_json::from_slice(&out).unwrap()
}

fn write_gold(dir: &Path) {
    std::fs::create_dir_all(dir.join("gold/blind")).unwrap();
    std::fs::write(
        dir.join("gold/contradiction.yaml"),
        gold("adjudicated", &letter()),
    )
    .unwrap();
    // A reviewer's blind file beside it is not gold.
    std::fs::write(
        dir.join("gold/blind/contradiction.yaml"),
        gold("A", &letter()),
    )
    .unwrap();
}

#[test]
fn eval_counts_add_up_to_what_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    write_gold(dir.path());
    let checked = check_json(dir.path());
    let findings = checked["files"][0]["findings"].as_array().unwrap();
    let contradictions = findings
        .iter()
        .filter(|f| f["kind"] == "contradiction" && f["item"] == 1)
        .count();
    assert_eq!(contradictions, 1, "the letter's contradiction is found");

    let e = eval_json(dir.path(), &[]);
    assert_eq!(e["schema"], "imrlint/eval/v1");
    assert_eq!(e["letters"], 1);
    assert_eq!(e["gold_findings"], 2);
    let overall = &e["overall"];
    assert_eq!(overall["right"], 1);
    assert_eq!(overall["wrong"], findings.len() - 1);
    assert_eq!(overall["missed"], 1);
    assert_eq!(e["by_kind"]["record-contradiction"]["missed"], 1);
    assert_eq!(e["by_kind"]["contradiction"]["right"], 1);
    assert_eq!(
        e["false_positives"].as_array().unwrap().len(),
        findings.len() - 1
    );
    let miss = &e["misses"][0];
    assert_eq!(miss["kind"], "record-contradiction");
    assert_eq!(miss["line"], 28, "the miss points at its quote");
}

#[test]
fn human_output_lists_the_tables_false_positives_and_misses() {
    let dir = tempfile::tempdir().unwrap();
    write_gold(dir.path());
    imrlint(dir.path())
        .args(["eval", "--gold", "gold", "--no-config"])
        .assert()
        .success()
        .stdout(predicate::str::contains("imrlint eval: 1 letters"))
        .stdout(predicate::str::contains("by kind"))
        .stdout(predicate::str::contains("false positives ("))
        .stdout(predicate::str::contains("misses (1):\n  "))
        .stdout(predicate::str::contains(
            "item 1 record-contradiction \"clear neurologic deficit with foot drop\"",
        ));
}

#[test]
fn thresholds_fail_the_run_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    write_gold(dir.path());
    imrlint(dir.path())
        .args([
            "eval",
            "--gold",
            "gold",
            "--no-config",
            "--min-recall",
            "0.9",
        ])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "recall 50.0% is below the minimum 90.0%",
        ));
    imrlint(dir.path())
        .args([
            "eval",
            "--gold",
            "gold",
            "--no-config",
            "--min-recall",
            "0.5",
        ])
        .assert()
        .success();
}

#[test]
fn letters_given_are_paired_with_gold_by_stem_and_others_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    write_gold(dir.path());
    let other = dir.path().join("letters/CM16-0000001.txt");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::copy(letter(), &other).unwrap();
    let e = eval_json(
        dir.path(),
        &[letter().to_str().unwrap(), other.to_str().unwrap()],
    );
    assert_eq!(e["letters"], 1);
    assert_eq!(e["without_gold"].as_array().unwrap().len(), 1);
}

#[test]
fn a_split_with_no_letter_has_nothing_to_score() {
    let dir = tempfile::tempdir().unwrap();
    write_gold(dir.path());
    // `contradiction` falls in the tune split by the hash of its name.
    imrlint(dir.path())
        .args(["gold", "split"])
        .arg(letter())
        .assert()
        .success()
        .stdout(predicate::str::starts_with("tune\t"));
    // A gold file's pinned split holds over the hash, for `gold split` as for eval.
    let pinned = gold("adjudicated", &letter()).replace("items:", "split: test\nitems:");
    let pinned_dir = dir.path().join("pinned");
    std::fs::create_dir_all(&pinned_dir).unwrap();
    std::fs::write(pinned_dir.join("contradiction.yaml"), pinned).unwrap();
    imrlint(dir.path())
        .args(["gold", "split", "--gold", "pinned"])
        .arg(letter())
        .assert()
        .success()
        .stdout(predicate::str::starts_with("test\t"));
    eval_json(dir.path(), &["--split", "tune"]);
    imrlint(dir.path())
        .args(["eval", "--gold", "gold", "--no-config", "--split", "test"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no letter with gold to score"));
}

#[test]
fn a_bad_gold_file_is_named_with_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    write_gold(dir.path());
    let bad = gold("adjudicated", &letter()).replace("sound: true", "sound: false");
    std::fs::write(dir.path().join("gold/contradiction.yaml"), bad).unwrap();
    imrlint(dir.path())
        .args(["eval", "--gold", "gold", "--no-config"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("contradiction.yaml: item 0"))
        .stderr(predicate::str::contains(
            "sound exactly when it has no finding",
        ));
    imrlint(dir.path())
        .args(["eval", "--gold", "no-such-folder", "--no-config"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no such folder of gold annotations",
        ));
}

#[test]
fn agreement_of_two_reviewers() {
    let dir = tempfile::tempdir().unwrap();
    for (who, sound) in [("A", true), ("B", false)] {
        let folder = dir.path().join(who);
        std::fs::create_dir_all(&folder).unwrap();
        let mut text = gold(who, &letter());
        if !sound {
            text = text.replacen(
                "sound: true",
                "sound: false\n    findings:\n      - kind: missing-reason\n        reason: red-flags-absent\n        quote: no neurologic deficit",
                1,
            );
        }
        std::fs::write(folder.join("contradiction.yaml"), text).unwrap();
    }
    let out = imrlint(dir.path())
        .args(["gold", "agreement", "A", "B", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let a: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(a["items"], 2);
    assert_eq!(a["unsound"]["counts"]["both_yes"], 1);
    assert_eq!(a["unsound"]["counts"]["only_b"], 1);
    assert_eq!(a["findings"]["both"], 2);
    assert_eq!(a["findings"]["only_b"], 1);
}

#[test]
fn the_gold_schema_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    imrlint(dir.path())
        .args(["schema", "gold"])
        .assert()
        .success()
        .stdout(predicate::str::contains("\"annotator\""))
        .stdout(predicate::str::contains("record-contradiction"));
}

/// Every gold file of the project reads, names a letter that exists (in the project, or in
/// ../shared/corpus when it is there), and lists as many items as imrlint reads from it.
#[test]
fn the_projects_gold_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    imrlint(root)
        .args([
            "gold",
            "agreement",
            "cases/gold/blind/A",
            "cases/gold/blind/B",
        ])
        .assert()
        .success();
    let corpus = root.join("../shared/corpus");
    if !corpus.is_dir() {
        eprintln!("note: ../shared/corpus is absent; only the gold of cases/ is scored");
    }
    let e = eval_json(root, &["--gold", "cases/gold"]);
    assert!(e["letters"].as_u64().unwrap() >= 11, "{}", e["letters"]);
    // A decision may be read differently (that is a judgement); the items must be the same ones.
    let counts: Vec<&Value> = e["alignment"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a.as_str().unwrap().contains("item(s)"))
        .collect();
    assert!(counts.is_empty(), "{counts:?}");
}
