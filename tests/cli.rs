//! The command line as a user runs it: outputs, exit codes, bad inputs, bad rule files.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

fn imrlint() -> Command {
    let mut cmd = Command::cargo_bin("imrlint").unwrap();
    // Run outside the repository so the built-in rules are used unless a test says otherwise.
    cmd.current_dir(std::env::temp_dir());
    cmd.env("NO_COLOR", "1");
    cmd
}

fn case(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("cases")
        .join(name)
        .display()
        .to_string()
}

#[test]
fn version_and_help() {
    imrlint()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("imrlint "));
    imrlint()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("facts"))
        .stdout(predicate::str::contains("Exit codes"));
}

#[test]
fn usage_errors_exit_2() {
    imrlint().assert().code(2);
    imrlint()
        .arg("facts")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PATHS"));
    imrlint()
        .args(["facts", "--format", "xml", "x"])
        .assert()
        .code(2);
}

/// The facts of a seed letter, as YAML: a snapshot a reviewer reads when it changes.
#[test]
fn facts_of_a_seed_letter() {
    let out = imrlint()
        .args(["facts", &case("seed-000.txt")])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap().replace(&case(""), "cases/");
    insta::assert_snapshot!(text);
}

#[test]
fn facts_as_json_one_letter_a_line() {
    let out = imrlint()
        .args([
            "facts",
            "--format",
            "json",
            &case("seed-000.txt"),
            &case("seed-003.txt"),
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let lines: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        lines[1]["facts"]["items"][1]["request"]["refills"]["value"],
        3
    );
    assert_eq!(
        lines[1]["facts"]["items"][1]["request"]["refills"]["line"],
        117
    );
}

#[test]
fn standard_input_is_read_with_a_dash() {
    let letter = std::fs::read(case("seed-001.txt")).unwrap();
    imrlint()
        .args(["facts", "-"])
        .write_stdin(letter)
        .assert()
        .success()
        .stdout(predicate::str::contains("path: '-'"))
        .stdout(predicate::str::contains(
            "Klonopin 0.5mg. 90 tablets, no refills",
        ));
}

#[test]
fn a_bad_file_fails_alone_and_the_others_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-empty.txt"), "").unwrap();
    std::fs::write(
        dir.path().join("b-binary.txt"),
        (0u8..=255).cycle().take(5000).collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::write(dir.path().join("c-fake.pdf"), "not a pdf").unwrap();
    std::fs::write(
        dir.path().join("d-no-decisions.txt"),
        "Dear applicant, your file was received.",
    )
    .unwrap();
    std::fs::copy(case("seed-000.txt"), dir.path().join("e-good.txt")).unwrap();
    std::fs::write(dir.path().join("ignored.doc"), "x").unwrap();
    let out = imrlint()
        .args(["facts", "--format", "json"])
        .arg(dir.path())
        .arg(dir.path().join("missing.txt"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("the file is empty"))
        .get_output()
        .stdout
        .clone();
    let results: Vec<serde_json::Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let summary: Vec<(String, String, String)> = results
        .iter()
        .map(|r| {
            let name = Path::new(r["path"].as_str().unwrap())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                name,
                r["status"].as_str().unwrap().to_string(),
                r["error"]["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected = [
        ("a-empty.txt", "error", "unreadable"),
        ("b-binary.txt", "error", "binary"),
        ("c-fake.pdf", "error", "pdf"),
        ("d-no-decisions.txt", "error", "unreadable"),
        ("e-good.txt", "ok", ""),
        ("missing.txt", "error", "io"),
    ];
    assert_eq!(
        summary,
        expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert_eq!(
        results[4]["facts"]["items"][0]["drug"]["name"],
        "clonazepam"
    );
}

#[test]
fn a_rule_file_error_points_at_its_line_and_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("drugs.yaml"),
        "classes: [{id: opioid, title: Opioids}]\ndrugs:\n  - name: methadone\n    class: opiod\n",
    )
    .unwrap();
    imrlint()
        .args(["facts", "--rules"])
        .arg(dir.path())
        .arg(case("seed-000.txt"))
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "drugs.yaml:4:12: unknown drug class `opiod`",
        ))
        .stderr(predicate::str::contains("nothing was checked"));
}

#[test]
fn rule_files_are_read_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("extra/drugs.yaml").parent().map(std::fs::create_dir_all).map(|_| dir.path().join("extra/drugs.yaml")).unwrap(),
        "classes: [{id: stimulant, title: Stimulants}]\ndrugs:\n  - {name: zorbanil, class: stimulant, brands: [Zorbex]}\n",
    )
    .unwrap();
    let letter = std::fs::read_to_string(case("seed-000.txt"))
        .unwrap()
        .replace("Clonazepam 1 mg #90", "Zorbex 1 mg #90");
    let out = imrlint()
        .args(["facts", "--format", "json", "--rules"])
        .arg(dir.path())
        .arg("-")
        .write_stdin(letter)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["facts"]["items"][0]["drug"]["name"], "zorbanil");
    assert_eq!(v["facts"]["items"][0]["drug"]["class"], "stimulant");
}

fn check_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = imrlint()
        .args(["check", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// `imrlint check --format json -` on a letter's text: the exit code and the document.
fn check_stdin(letter: String) -> (i32, serde_json::Value) {
    check_stdin_with(letter, &[])
}

/// The same, with more arguments.
fn check_stdin_with(letter: String, args: &[&str]) -> (i32, serde_json::Value) {
    let out = imrlint()
        .args(["check", "--format", "json"])
        .args(args)
        .arg("-")
        .write_stdin(letter)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

/// The JSON contract (`imrlint/check/v1`) on a seed whose rationale gives every reason that applies.
#[test]
fn check_json_contract_on_a_clean_letter() {
    let (code, v) = check_json(&[&case("seed-000.txt")]);
    assert_eq!(code, 0);
    assert_eq!(v["schema"], "imrlint/check/v1");
    let file = &v["files"][0];
    assert_eq!(file["status"], "ok");
    assert_eq!(file["layout"], "2014");
    let item = &file["items"][0];
    assert_eq!(
        item["drug"],
        serde_json::json!({"name": "clonazepam", "class": "benzodiazepine"})
    );
    assert_eq!(item["request"]["refills"], 1);
    assert_eq!(item["guideline"]["pages"], serde_json::json!(["24"]));
    let long_term = item["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reason"] == "long-term-use")
        .unwrap();
    assert_eq!(long_term["applies"], true);
    assert_eq!(long_term["cited"], true);
    assert_eq!(file["findings"], serde_json::json!([]));
    assert_eq!(v["summary"]["items"], 1);
}

/// Seed 001's rationale cites ACOEM page 42 where its guideline line cites page 402.
#[test]
fn check_finds_a_page_the_guideline_line_does_not_cite() {
    let (code, v) = check_json(&[&case("seed-001.txt")]);
    assert_eq!(code, 1);
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let mismatch = findings
        .iter()
        .find(|f| f["kind"] == "citation-mismatch")
        .expect("a citation mismatch");
    assert_eq!(mismatch["severity"], "warning");
    assert_eq!(mismatch["line"], 95);
    assert!(mismatch["message"].as_str().unwrap().contains("page 42"));
}

#[test]
fn fail_on_decides_the_exit_code() {
    let seed = case("seed-001.txt");
    imrlint()
        .args(["check", "--fail-on", "never", &seed])
        .assert()
        .code(0);
    imrlint()
        .args(["check", "--fail-on", "error", &seed])
        .assert()
        .code(0);
    imrlint()
        .args(["check", "--fail-on", "warning", &seed])
        .assert()
        .code(1);
    imrlint()
        .args(["check", "--format", "concise", &seed])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "seed-001.txt:95:24: warning citation-mismatch",
        ));
}

/// A label flipped from Upheld to Overturned contradicts the rationale's conclusion.
#[test]
fn a_flipped_label_is_a_decision_inconsistency() {
    let letter = std::fs::read_to_string(case("seed-000.txt"))
        .unwrap()
        .replace("1 refill:  Upheld", "1 refill:  Overturned");
    let (code, v) = check_stdin(letter);
    let kinds: Vec<&str> = v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["decision-inconsistent"]);
    assert_eq!(code, 1);
}

/// Seed 000 with a rationale that gives every reason but the long use: the deciding reason is left out
/// beside the supporting ones given, which is said on request.
#[test]
fn a_rationale_without_the_primary_reason_misses_it() {
    let original = std::fs::read_to_string(case("seed-000.txt")).unwrap();
    let at = original.find("Decision rationale:").unwrap();
    let letter = format!(
        "{}Decision rationale: There is a significant lack of clinical evidence of an evaluation of the efficacy of the \
         prescribed medication. Furthermore, the request does not include the specific dosage frequency being prescribed \
         and the request for 1 refill would not allow for the evaluation of the efficacy of the medication. Therefore, \
         the request for clonazepam 1 mg #90 with 1 refill is not medically necessary.\n",
        &original[..at]
    );
    // The rationale gives reasons that apply (efficacy, frequency, refills): it has a basis, and
    // the deciding reason it leaves out is said only on request.
    let (_, v) = check_stdin(letter.clone());
    assert_eq!(v["files"][0]["findings"], serde_json::json!([]));
    let (_, v) = check_stdin_with(letter, &["--show", "supporting"]);
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap(),
                f["reason"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(kinds, vec![("missing-reason", "long-term-use")]);
    assert_eq!(findings[0]["severity"], "warning");
}

/// Words in quotation marks are the guideline's: quoting "not recommended for long-term use" does not
/// say that this patient's use is long; the same words unquoted do.
#[test]
fn a_quoted_guideline_is_not_a_finding_about_the_patient() {
    let original = std::fs::read_to_string(case("seed-000.txt")).unwrap();
    let at = original.find("Decision rationale:").unwrap();
    let with = |long_use: &str| {
        format!(
            "{}Decision rationale: {long_use} There is no documentation of the efficacy of the medication. The \
             request does not include the dosage frequency, and the refill would not allow for the evaluation of \
             efficacy. Therefore, the request for clonazepam 1 mg #90 with 1 refill is not medically necessary.\n",
            &original[..at]
        )
    };
    let missed = |letter: String| -> Vec<String> {
        let (_, v) = check_stdin_with(letter, &["--show", "supporting"]);
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "missing-reason")
            .map(|f| f["reason"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        missed(with(
            "Guidelines state that benzodiazepines are \"not recommended for long-term use\"."
        )),
        vec!["long-term-use"]
    );
    assert_eq!(
        missed(with(
            "The applicant has taken clonazepam beyond the recommended four weeks."
        )),
        Vec::<String>::new()
    );
}

/// A reviewer who cites no evidence is flagged, unless the rationale rests on another item's
/// decision (an associated service whose surgery is not certified).
#[test]
fn no_evidence_is_flagged_unless_the_decision_follows_another() {
    let original = std::fs::read_to_string(case("seed-000.txt")).unwrap();
    let at = original.find("MAXIMUS guideline:").unwrap();
    let no_guideline = |rationale: &str| -> usize {
        let letter = format!(
            "{}MAXIMUS guideline: The Expert Reviewer did not cite any medical evidence for its decision.\n\n\
             Decision rationale: {rationale}\n",
            &original[..at]
        );
        let (_, v) = check_stdin(letter);
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "no-guideline")
            .count()
    };
    assert_eq!(
        no_guideline(
            "The request for clonazepam 1 mg #90 with 1 refill is not medically necessary."
        ),
        1
    );
    assert_eq!(
        no_guideline(
            "As the requested surgical intervention is not medically necessary per the documentation, the \
             requested ancillary service is not medically necessary."
        ),
        0
    );
}

/// A rule folder with one file; the run must stop with 2 and name the file, line and column.
fn rule_error(file: &str, yaml: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(file), yaml).unwrap();
    imrlint()
        .args(["rules", "check", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(expected));
}

const RULE: &str = "rules:\n  - id: x\n    title: X\n    guideline: {document: mtus-chronic-pain, topic: benzodiazepines}\n";

#[test]
fn each_kind_of_rule_error_is_placed() {
    rule_error(
        "extra.yaml",
        "rules: [\n  - id: x\n",
        "extra.yaml:2:3: did not find expected",
    );
    rule_error(
        "extra.yaml",
        &format!("{RULE}    applies_to: 'true'\n    reasons: []\n    colour: red\n"),
        "extra.yaml:7:5: rules[0]: unknown field `colour`",
    );
    rule_error(
        "extra.yaml",
        &format!("{RULE}    applies_to: item.drug.class ==\n    reasons: []\n"),
        "extra.yaml:5:17: CEL syntax error",
    );
    rule_error(
        "extra.yaml",
        &format!("{RULE}    applies_to: drug.class == 'x'\n    reasons: []\n"),
        "extra.yaml:5:17: unknown variable `drug`",
    );
    rule_error(
        "extra.yaml",
        &format!(
            "{RULE}    applies_to: 'true'\n    reasons:\n      - {{reason: no-such-reason, role: primary, when: 'true', message: m, help: h}}\n"
        ),
        "extra.yaml:7:18: unknown reason `no-such-reason`",
    );
    rule_error(
        "extra.yaml",
        "rules:\n  - id: x\n    title: X\n    guideline: {document: mtus-chronic-pain, topic: no-such-topic}\n    applies_to: 'true'\n    reasons: []\n",
        "extra.yaml:4:53: unknown topic `no-such-topic`",
    );
    rule_error(
        "reasons.yaml",
        "reasons:\n  - id: r\n    title: R\n    kind: state\n    cites: [{concept: no-such-concept}]\n",
        "reasons.yaml:5:23: unknown concept `no-such-concept`",
    );
}

/// A new rule file for a drug class the default set does not cover, applied with --rules: no
/// recompile, and its examples run.
#[test]
fn a_new_rule_file_applies_without_recompiling() {
    let dir = tempfile::tempdir().unwrap();
    // In a folder of its own, drugs.yaml adds to the default lexicon instead of replacing it.
    std::fs::create_dir(dir.path().join("stimulants")).unwrap();
    std::fs::write(
        dir.path().join("stimulants/drugs.yaml"),
        "classes: [{id: stimulant, title: Stimulants}]\ndrugs:\n  - {name: zorbanil, class: stimulant, brands: [Zorbex]}\n",
    )
    .unwrap();
    let letter = std::fs::read_to_string(case("seed-000.txt"))
        .unwrap()
        .replace("Clonazepam 1 mg #90", "Zorbex 1 mg #90");
    std::fs::write(
        dir.path().join("stimulants/stimulants.yaml"),
        format!(
            "rules:\n  - id: stimulants\n    title: Stimulants need a documented indication\n    guideline: {{document: mtus-chronic-pain, topic: medications-for-chronic-pain}}\n    applies_to: item.drug.class == 'stimulant'\n    reasons:\n      - reason: dosing-frequency-missing\n        role: primary\n        when: item.request.frequency == null\n        message: no frequency\n        help: say how often\n    examples:\n      - text: {}\n        expect: {{dosing-frequency-missing: {{applies: true, cited: true}}}}\n",
            serde_json::to_string(&letter).unwrap()
        ),
    )
    .unwrap();
    imrlint()
        .args(["rules", "test", "--rules"])
        .arg(dir.path())
        .assert()
        .success()
        .stdout(predicate::str::contains(" passed, 0 failed"));
    let out = imrlint()
        .args(["check", "--format", "json", "--rules"])
        .arg(dir.path())
        .arg("-")
        .write_stdin(letter)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let reasons = &v["files"][0]["items"][0]["reasons"];
    assert_eq!(reasons[0]["rule"], "stimulants");
    assert_eq!(reasons[0]["applies"], true);
}

#[test]
fn a_failing_example_is_a_rule_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("wrong.yaml"),
        format!(
            "rules:\n  - id: wrong\n    title: W\n    guideline: {{document: mtus-chronic-pain, topic: benzodiazepines}}\n    applies_to: item.drug.class == 'benzodiazepine'\n    reasons:\n      - {{reason: dosing-frequency-missing, role: primary, when: 'item.request.frequency != null', message: m, help: h}}\n    examples:\n      - letter: {}\n        expect: {{dosing-frequency-missing: {{applies: true}}}}\n",
            case("seed-000.txt")
        ),
    )
    .unwrap();
    imrlint()
        .args(["rules", "test", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("wrong.yaml:9:15: example fails"))
        .stderr(predicate::str::contains("applies is false"));
}

/// A problem of an added knowledge file is shown in that file at the entry at fault, not at the
/// built-in file it is merged with; every problem of the run is reported.
#[test]
fn problems_of_added_files_are_shown_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("extra")).unwrap();
    std::fs::write(
        dir.path().join("extra/drugs.yaml"),
        "classes: []\ndrugs:\n  - name: zorbanil\n    class: stimulantt\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("extra/categories.yaml"),
        "categories:\n  - id: gizmo\n    title: Gizmos\n    patterns: ['gizmo']\n    follows: nowhere\n",
    )
    .unwrap();
    imrlint()
        .args(["rules", "check", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "extra/drugs.yaml:4:12: unknown drug class `stimulantt`",
        ))
        .stderr(predicate::str::contains(
            "extra/categories.yaml:5:14: unknown category `nowhere`",
        ))
        .stderr(predicate::str::contains("2 problem(s) in the rule files"));
}

/// `rules new KIND ID` writes a template of each kind that passes `rules check` and whose
/// examples pass `rules test`, saved where its stderr says.
#[test]
fn templates_of_every_kind_pass_check_and_test() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, id) in [
        ("rule", "my-rule"),
        ("concept", "my-concept"),
        ("drug", "zorbanil"),
        ("category", "my-category"),
        ("reason", "my-reason"),
    ] {
        let out = imrlint().args(["rules", "new", kind, id]).output().unwrap();
        assert!(out.status.success(), "{kind}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let place = stderr
            .split("save it as ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_else(|| panic!("no place in {stderr}"));
        assert!(place.starts_with("my-rules/"), "{place}");
        let path = dir.path().join(place);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &out.stdout).unwrap();
    }
    let rules = dir.path().join("my-rules");
    imrlint()
        .args(["rules", "check", "--rules"])
        .arg(&rules)
        .assert()
        .success();
    imrlint()
        .args(["rules", "test", "-v", "--filter", "my-", "--rules"])
        .arg(&rules)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok   rule my-rule example 1"))
        .stdout(predicate::str::contains(
            "ok   concept my-concept example 1",
        ))
        .stdout(predicate::str::contains("ok   reason my-reason example 1"))
        .stdout(predicate::str::ends_with("7 passed, 0 failed\n"));
    imrlint()
        .args(["rules", "new", "widget", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no template `widget`; kinds: rule, concept, drug, category, reason",
        ));
}

/// A condition that names a field, concept, category or regex the rule set does not have is a
/// rule error at the words at fault, with what was meant; `schema facts` lists the fields.
#[test]
fn conditions_are_checked_against_the_facts_when_rules_load() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("typos.yaml"),
        "rules:\n  - id: typos\n    title: T\n    guideline: {document: mtus-chronic-pain, topic: benzodiazepines}\n    applies_to: item.drugg.class == 'benzodiazepine' && concepts['anxeity'] == 'affirmed' && item.category == 'medicaton'\n    reasons:\n      - reason: not-indicated\n        role: supporting\n        when: item.treatment.value.matches('(unclosed')\n        message: \"x {item.treatment.valeu}\"\n        help: h\n",
    )
    .unwrap();
    let out = imrlint()
        .args(["rules", "check", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // Messages wrap at the terminal's width, behind the diagnostic's frame.
    let stderr = String::from_utf8_lossy(&out.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "typos.yaml:5:22: `item` has no field `drugg`; did you mean 'drug' or 'drugs'?",
        "typos.yaml:5:67: 'anxeity' is not a concept of concepts.yaml; did you mean 'anxiety'?",
        "'medicaton' is not a category of categories.yaml; did you mean 'medication'?",
        "the pattern of `matches` is not a regex",
        "typos.yaml:10:37: `item.treatment` has no field `valeu`; did you mean 'value'?",
        "5 problem(s) in the rule files",
    ] {
        assert!(stderr.contains(expected), "no {expected:?} in\n{stderr}");
    }
    imrlint()
        .args(["schema", "facts"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "item.drug.class: string (a drug class of drugs.yaml)",
        ))
        .stdout(predicate::str::contains("use.weeks: int, may be null"));
}

/// `rules test` runs the examples of every kind, built-in ones included beside `--rules`; a
/// missing example letter and a wrong concept or category example fail, each at its own file.
#[test]
fn rules_test_runs_every_kind_and_fails_what_does_not_hold() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("extra")).unwrap();
    std::fs::write(
        dir.path().join("extra/concepts.yaml"),
        "concepts:\n  - id: sleepwalking\n    title: Sleepwalking\n    patterns: ['sleepwalk(?:ing|s)?']\n    examples:\n      - {text: 'She reports sleepwalking.', status: affirmed}\n      - {text: 'He denies sleepwalking.', status: affirmed}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("missing-letter.yaml"),
        "rules:\n  - id: missing-letter\n    title: M\n    guideline: {document: mtus-chronic-pain, topic: benzodiazepines}\n    applies_to: item.drug.class == 'benzodiazepine'\n    reasons:\n      - {reason: dosing-frequency-missing, role: primary, when: 'item.request.frequency == null', message: m, help: h}\n    examples:\n      - letter: letters/nowhere.txt\n        expect: {dosing-frequency-missing: {applies: true}}\n",
    )
    .unwrap();
    let out = imrlint()
        .args(["rules", "test", "-v", "--rules"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // One line per example, of every kind, built-in rule examples with their letters included.
    for line in [
        "ok   rule mtus-benzodiazepines example 0: cases/seed-000.txt",
        "ok   concept sleepwalking example 0: She reports sleepwalking.",
        "FAIL concept sleepwalking example 1: He denies sleepwalking.",
        "FAIL rule missing-letter example 0: letters/nowhere.txt",
        "ok   category physical-therapy example 0:",
        "ok   drug clonazepam example 1: Klonopin",
    ] {
        assert!(stdout.contains(line), "no {line:?} in\n{stdout}");
    }
    assert!(stdout.trim_end().ends_with(" passed, 2 failed"), "{stdout}");
    assert!(stderr.contains("concepts.yaml:7:"), "{stderr}");
    assert!(
        stderr.contains("expected Affirmed, found [Negated]"),
        "{stderr}"
    );
    assert!(stderr.contains("is not found (looked at"), "{stderr}");
    // --filter keeps one id's examples; a filter matching nothing is a usage error.
    imrlint()
        .args(["rules", "test", "--filter", "sleepwalking", "--rules"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stdout(predicate::str::ends_with("1 passed, 1 failed\n"));
    imrlint()
        .args(["rules", "test", "--filter", "no-such-id"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no example matches --filter no-such-id",
        ));
}

/// Two rationales of one letter: one finds no neurologic deficit, the other a foot drop.
#[test]
fn opposite_findings_in_two_rationales_contradict() {
    let letter = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/letters/contradiction.txt");
    let (_, v) = check_json(&[letter.to_str().unwrap()]);
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let contradiction = findings
        .iter()
        .find(|f| f["kind"] == "contradiction")
        .expect("a contradiction");
    assert_eq!(contradiction["labels"][0]["line"], 20);
    assert_eq!(contradiction["labels"][1]["line"], 28);
    // The same letter with both rationales agreeing has none.
    let agreeing = std::fs::read_to_string(&letter).unwrap().replace(
        "has a clear neurologic deficit with foot drop",
        "has no neurologic deficit",
    );
    let (_, v) = check_stdin(agreeing);
    assert!(
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "contradiction")
    );
}

#[test]
fn trace_shows_each_condition() {
    imrlint()
        .args([
            "check",
            "--trace",
            "--format",
            "concise",
            &case("seed-002.txt"),
        ])
        .assert()
        // An unknown condition names the null facts it reads.
        .stderr(predicate::str::contains(
            "long-term-use (primary): when = unknown (null: use.weeks, use.concepts['long-term-use']), cited = true",
        ))
        .stderr(predicate::str::contains(
            "mtus-benzodiazepines: does not apply",
        ))
        // Each cite with the pattern and the sentence it matched.
        .stderr(predicate::str::contains(
            "cited by pattern '(?:does not|did not|doesn't|fails? to|failed to) (?:specify",
        ))
        .stderr(predicate::str::contains(
            "in \"The current request does not specify frequency of dosing.\"",
        ));
}

/// A drug name misspelled by one swapped pair of letters is a note; the correct one is not.
#[test]
fn a_misspelled_drug_name_is_noted() {
    let original = std::fs::read_to_string(case("seed-004.txt")).unwrap();
    let kinds = |text: String| -> Vec<String> {
        let (_, v) = check_stdin(text);
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .filter(|m| m.contains("misspelling"))
            .collect()
    };
    assert!(kinds(original.clone()).is_empty());
    let changed = original.replacen(
        "ongoing usage of Lyrica (pregabalin)",
        "ongoing usage of Lyrcia (pregabalin)",
        1,
    );
    assert_ne!(changed, original);
    assert_eq!(
        kinds(changed),
        vec!["`Lyrcia` looks like a misspelling of pregabalin"]
    );
    // In the case summary too, where it belongs to no item.
    let in_summary = original.replacen(
        "scars were appreciated about the lumbar spine.  Lyrica,",
        "scars were appreciated about the lumbar spine.  Lryica,",
        1,
    );
    assert_ne!(in_summary, original);
    let (_, v) = check_stdin(in_summary);
    let noted: Vec<&serde_json::Value> = v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "misspelling")
        .collect();
    assert_eq!(noted.len(), 1);
    assert_eq!(noted[0]["line"], 51);
    assert_eq!(noted[0]["item"], serde_json::Value::Null);
}

/// Overturned despite a long benzodiazepine use the rationale does not address: a note only, and
/// no claims are checked against an overturned rationale.
#[test]
fn an_overturned_item_gets_a_note_for_an_unaddressed_primary_reason() {
    let original = std::fs::read_to_string(case("seed-000.txt")).unwrap();
    let at = original.find("Decision rationale:").unwrap();
    let letter = format!(
        "{}Decision rationale: The patient has severe muscle spasms. Therefore, the request for clonazepam 1 mg #90 with 1 refill is medically necessary.\n",
        &original[..at].replace("1 refill:  Upheld", "1 refill:  Overturned")
    );
    let (code, v) = check_stdin(letter);
    let findings: Vec<(String, String, String)> = v["files"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().into(),
                f["severity"].as_str().unwrap().into(),
                f["reason"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        vec![(
            "missing-reason".to_string(),
            "note".to_string(),
            "long-term-use".to_string()
        )]
    );
    assert_eq!(code, 0);
}

/// A letter with a surgery, its post-operative therapy and more physical therapy: the therapy's
/// completed sessions and the service's procedure are read, and certifying the service while its
/// surgery is upheld is inconsistent.
#[test]
fn a_service_follows_its_procedure() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/letters/surgery-and-therapy.txt");
    let letter = std::fs::read_to_string(&path).unwrap();
    let out = imrlint()
        .args(["facts", "--format", "json", path.to_str().unwrap()])
        .output()
        .unwrap();
    let facts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = &facts["facts"]["items"];
    assert_eq!(items[1]["procedure"]["index"], 0);
    assert_eq!(items[1]["procedure"]["decision"], "upheld");
    // Twelve physical therapy sessions; the six acupuncture sessions belong to no item.
    assert_eq!(items[2]["completed_sessions"]["value"], 12);
    assert_eq!(items[2]["completed_sessions"]["line"], 10);
    assert_eq!(items[1]["completed_sessions"], serde_json::Value::Null);
    // What the summary says of the shoulder: the MRI and its date.
    assert_eq!(
        items[2]["related"]["prior-imaging"]["date"]["date"],
        "2016-08-02"
    );
    assert_eq!(facts["facts"]["patient"]["weeks_since_injury"], 31);
    // "Conservative care ... lasted three months": 13 weeks.
    assert_eq!(facts["facts"]["patient"]["treatment_weeks"]["value"], 13);

    let inconsistent = |text: String| -> Vec<serde_json::Value> {
        let (_, v) = check_stdin(text);
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "decision-inconsistent" && f["item"] == 1)
            .cloned()
            .collect()
    };
    let found = inconsistent(letter.clone());
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["item"], 1);
    assert_eq!(found[0]["severity"], "warning");
    // With the surgery certified too, the service is consistent with it (the surgery's own
    // label now contradicts its rationale, which is another finding).
    let certified = letter.replacen(
        "rotator cuff repair: Upheld",
        "rotator cuff repair: Overturned",
        1,
    );
    assert_ne!(certified, letter);
    assert!(inconsistent(certified).is_empty());
}

/// A condition that fails on its own account (comparing a number with a word) is said once and
/// shown in --trace; one that meets a missing fact is unknown, silently.
#[test]
fn a_condition_that_cannot_be_evaluated_is_said_not_silently_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |when: &str| {
        format!(
            "{RULE}    applies_to: item.drug.class == 'benzodiazepine'\n    reasons:\n      - {{reason: dosing-frequency-missing, role: primary, when: \"{when}\", message: m, help: h}}\n"
        )
    };
    let run = |when: &str| {
        std::fs::write(dir.path().join("extra.yaml"), rule(when)).unwrap();
        let out = imrlint()
            .args(["check", "--trace", "--format", "concise", "--rules"])
            .arg(dir.path().join("extra.yaml"))
            .arg(case("seed-000.txt"))
            .arg(case("seed-004.txt"))
            .output()
            .unwrap();
        String::from_utf8(out.stderr).unwrap()
    };
    // seed-000 asks for #90: a number compared with a word is the condition's own error.
    let stderr = run("item.request.quantity > 'ninety'");
    assert_eq!(
        stderr.matches("imrlint: warning: rule `x`, reason `dosing-frequency-missing`: when cannot be evaluated").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: rule `x`, reason `dosing-frequency-missing`: when failed, counted as unknown"
        ),
        "{stderr}"
    );
    // The request gives no frequency: a missing fact, so unknown and nothing said.
    let stderr = run("item.request.frequency.size() > 2");
    assert!(!stderr.contains("cannot be evaluated"), "{stderr}");
    assert!(!stderr.contains("error:"), "{stderr}");
}

#[test]
fn a_new_letter_layout_is_a_rule_file() {
    // A letter format imrlint does not know: its own headings and a decision label per item.
    let letter = "REVIEW OF DISPUTED TREATMENT\nPatient history:\nThe injured worker is a 50 year old man with low back pain.\n\nDISPUTED ITEMS\nMRI of the lumbar spine: Upheld\nDecision rationale: There are no red flags. The request is not medically necessary.\n";
    let unknown = imrlint()
        .args(["facts", "--format", "json", "-"])
        .write_stdin(letter)
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&unknown.stdout).contains("no decisions section"),
        "{unknown:?}"
    );

    // In a folder of its own, layouts.yaml adds to the built-in layouts instead of replacing them.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("formats")).unwrap();
    std::fs::write(
        dir.path().join("formats/layouts.yaml"),
        "layouts:\n  - id: disputed-treatment\n    items: listed\n    headings:\n      - {section: determination, pattern: 'REVIEW OF DISPUTED TREATMENT', required: true}\n      - {section: summary, pattern: 'Patient history:'}\n      - {section: decisions, pattern: 'DISPUTED ITEMS', required: true}\n",
    )
    .unwrap();
    let out = imrlint()
        .args(["facts", "--format", "json", "--rules"])
        .arg(dir.path())
        .arg("-")
        .write_stdin(letter)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let facts = &v["facts"];
    assert_eq!(facts["layout"], "disputed-treatment");
    assert_eq!(facts["patient"]["age"]["value"], 50);
    assert_eq!(
        facts["items"][0]["treatment"]["value"],
        "MRI of the lumbar spine"
    );
    assert_eq!(facts["items"][0]["decision"]["value"], "upheld");
}

/// Test like an auditor: take a seed whose rationale gives every reason, drop what it says of the
/// dosing frequency, and only that supporting reason changes; it is reported with `--show
/// supporting` and always listed in the JSON's reasons.
#[test]
fn a_supporting_reason_left_out_beside_the_deciding_one_is_shown_on_request() {
    let letter = std::fs::read_to_string(case("seed-000.txt"))
        .unwrap()
        .replace(
            "Furthermore, the request does not include the specific dosage frequency being \n\nprescribed and the request",
            "Furthermore, the request",
        )
        .replace(
            "and the request lacking the \n\nspecific dosage frequency being provided in the request, ",
            "",
        );
    assert!(!letter.contains("dosage frequency"));
    let run = |show: &[&str]| {
        let out = imrlint()
            .args(["check", "--format", "json"])
            .args(show)
            .arg("-")
            .write_stdin(letter.clone())
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let codes = |v: &serde_json::Value| -> Vec<String> {
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{}/{}",
                    f["rule"].as_str().unwrap(),
                    f["reason"].as_str().unwrap()
                )
            })
            .collect()
    };
    let default = run(&[]);
    assert!(codes(&default).is_empty(), "{:?}", codes(&default));
    let reasons = default["files"][0]["items"][0]["reasons"]
        .as_array()
        .unwrap();
    let frequency = reasons
        .iter()
        .find(|r| r["reason"] == "dosing-frequency-missing")
        .unwrap();
    assert_eq!(frequency["applies"], true);
    assert_eq!(frequency["cited"], false);
    assert_eq!(
        codes(&run(&["--show", "supporting"])),
        ["mtus-benzodiazepines/dosing-frequency-missing"]
    );
}

/// Test like an auditor: replace a seed's rationale with one whose only ground is in words no
/// reason names. imrlint does not say it gives no reason: it lists the sentence as unread in the
/// JSON. The near miss, a bare conclusion, gives no reason and is reported.
#[test]
fn a_ground_no_reason_names_is_listed_as_unread_not_reported_missing() {
    let seed = std::fs::read_to_string(case("seed-000.txt")).unwrap();
    let start = seed.find("Decision rationale:").unwrap();
    let end = seed.rfind("not medically necessary.").unwrap() + "not medically necessary.".len();
    let with_rationale = |rationale: &str| {
        let letter = format!(
            "{}Decision rationale: {rationale}{}",
            &seed[..start],
            &seed[end..]
        );
        let out = imrlint()
            .args(["check", "--format", "json", "-"])
            .write_stdin(letter)
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let missing = |v: &serde_json::Value| -> usize {
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "missing-reason")
            .count()
    };
    let unread = with_rationale(
        "The records do not support an anxiety disorder that would warrant this medication. The request is not medically necessary.",
    );
    assert_eq!(missing(&unread), 0, "{unread}");
    let grounds = unread["files"][0]["items"][0]["unread_grounds"]
        .as_array()
        .unwrap();
    assert_eq!(grounds.len(), 1, "{unread}");
    assert!(
        grounds[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("The records do not support an anxiety disorder")
    );
    let bare = with_rationale("The request is not medically necessary.");
    assert_eq!(missing(&bare), 1, "{bare}");
    assert_eq!(
        bare["files"][0]["items"][0]["unread_grounds"],
        serde_json::json!([])
    );
}

/// An item no rule covers is said to be unchecked, as a note, and counted; an item a rule covers
/// is not.
#[test]
fn an_item_no_rule_covers_is_a_note_and_counted_unchecked() {
    let letter = std::fs::read_to_string(case("seed-000.txt"))
        .unwrap()
        .replace(
            "Clonazepam 1 mg #90 with 1 refill:  Upheld",
            "Purchase of a hot tub:  Upheld",
        );
    let (_, v) = check_stdin(letter);
    let findings = v["files"][0]["findings"].as_array().unwrap();
    let no_rule: Vec<&serde_json::Value> =
        findings.iter().filter(|f| f["kind"] == "no-rule").collect();
    assert_eq!(no_rule.len(), 1, "{findings:?}");
    assert_eq!(no_rule[0]["severity"], "note");
    assert!(
        findings.iter().all(|f| f["severity"] != "warning"),
        "{findings:?}"
    );
    assert_eq!(v["summary"]["unchecked"], 1);

    let (_, v) = check_json(&[&case("seed-000.txt")]);
    assert_eq!(v["summary"]["unchecked"], 0);
    assert!(
        v["files"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] != "no-rule")
    );
}

/// A coverage set's lines are read as items: a line read as expected passes, one read otherwise
/// is listed with what differs, and the run fails below the share asked for.
#[test]
fn a_coverage_set_lists_the_lines_read_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set.yaml");
    std::fs::write(
        &set,
        r#"
sources: [{id: invented, title: Invented lines}]
lines:
  - text: "Cyclobenzaprine 7.5 mg 1 tab PO TID #90"
    category: medication
    drug: cyclobenzaprine
    class: muscle-relaxant
    topic: mtus-chronic-pain/muscle-relaxants
    source: invented
  - text: "Terocin lotion 120 ml"
    category: medication
    ingredients: [capsaicin, lidocaine, menthol, methyl salicylate]
  - text: "Physical therapy 2x6 for the lumbar spine"
    category: physical-therapy
    body_parts: [lumbar-spine]
    sessions: 10
"#,
    )
    .unwrap();
    let set = set.display().to_string();
    imrlint()
        .args(["rules", "coverage", &set])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            ":3: Physical therapy 2x6 for the lumbar spine",
        ))
        .stdout(predicate::str::contains("sessions: expected 10, read 12"))
        .stdout(predicate::str::contains("Cyclobenzaprine").not())
        .stdout(predicate::str::contains(
            "3 lines: 2 read as expected (66.7%), 1 read otherwise; 3 covered by a rule (100.0%)",
        ));
    imrlint()
        .args(["rules", "coverage", "--min-pass", "0.6", &set])
        .assert()
        .success();
    imrlint()
        .args(["rules", "coverage", "--min-pass", "60", &set])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("give a number from 0 to 1"));
    // A set that is not one says what to do.
    std::fs::write(dir.path().join("bad.yaml"), "lines: [{txt: x}]").unwrap();
    imrlint()
        .args([
            "rules",
            "coverage",
            &dir.path().join("bad.yaml").display().to_string(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("imrlint schema coverage"));
}
