//! The report formats on the seed letters: each one carries every finding the JSON document
//! has, at the same place, in a shape its readers accept.

use assert_cmd::Command;

fn check(format: &str, paths: &[&str]) -> String {
    let out = Command::cargo_bin("imrlint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--format", format])
        .args(paths)
        .output()
        .unwrap();
    assert!(out.status.code().unwrap() <= 1, "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// (path, line, column, code) of every finding, from the JSON document.
fn expected(paths: &[&str]) -> Vec<(String, u64, u64, String)> {
    let v: serde_json::Value = serde_json::from_str(&check("json", paths)).unwrap();
    let mut out = Vec::new();
    for file in v["files"].as_array().unwrap() {
        for f in file["findings"].as_array().unwrap() {
            let code = match (f["rule"].as_str(), f["reason"].as_str()) {
                (Some(rule), Some(reason)) => {
                    format!("{}[{rule}/{reason}]", f["kind"].as_str().unwrap())
                }
                _ => f["kind"].as_str().unwrap().to_string(),
            };
            out.push((
                file["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap_or(1),
                f["column"].as_u64().unwrap_or(1),
                code,
            ));
        }
    }
    out
}

const SEEDS: &[&str] = &[
    "cases/seed-000.txt",
    "cases/seed-001.txt",
    "cases/seed-002.txt",
    "cases/seed-003.txt",
    "cases/seed-004.txt",
];

#[test]
fn sarif_has_every_finding_with_its_rule_and_region() {
    let v: serde_json::Value = serde_json::from_str(&check("sarif", SEEDS)).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let got: Vec<(String, u64, u64, String)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let index = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(rules[index]["id"], r["ruleId"]);
            assert!(rules[index]["help"]["text"].as_str().unwrap().len() > 10);
            let place = &r["locations"][0]["physicalLocation"];
            (
                place["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                place["region"]["startLine"].as_u64().unwrap(),
                place["region"]["startColumn"].as_u64().unwrap(),
                r["ruleId"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, expected(SEEDS));
}

#[test]
fn github_annotations_one_per_finding() {
    let text = check("github", SEEDS);
    let got: Vec<(String, u64, u64, String)> = text
        .lines()
        .map(|line| {
            let (command, message) = line.split_once("::").unwrap().1.split_once("::").unwrap();
            assert!(!message.is_empty());
            let (level, props) = command.split_once(' ').unwrap();
            assert!(["error", "warning", "notice"].contains(&level));
            let prop = |k: &str| {
                props
                    .split(',')
                    .find_map(|p| p.strip_prefix(&format!("{k}=")))
                    .unwrap()
                    .to_string()
            };
            (
                prop("file"),
                prop("line").parse().unwrap(),
                prop("col").parse().unwrap(),
                prop("title").replace("%3A", ":").replace("%2C", ","),
            )
        })
        .collect();
    assert_eq!(got, expected(SEEDS));
}

#[test]
fn csv_one_row_per_finding() {
    let text = check("csv", SEEDS);
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..4], ["path", "line", "column", "severity"]);
    let got: Vec<(String, u64, u64, String)> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let code = match (&r[5], &r[6]) {
                ("", _) => r[4].to_string(),
                (rule, reason) => format!("{}[{rule}/{reason}]", &r[4]),
            };
            (
                r[0].to_string(),
                r[1].parse().unwrap(),
                r[2].parse().unwrap(),
                code,
            )
        })
        .collect();
    assert_eq!(got, expected(SEEDS));
}

#[test]
fn junit_a_test_case_per_letter_failing_at_the_threshold() {
    let xml = check("junit", SEEDS);
    let report = quick_junit::Report::deserialize_from_str(&xml).unwrap();
    let suite = &report.test_suites[0];
    assert_eq!(suite.test_cases.len(), SEEDS.len());
    let failing: Vec<&str> = suite
        .test_cases
        .iter()
        .filter(|c| !matches!(c.status, quick_junit::TestCaseStatus::Success { .. }))
        .map(|c| c.name.as_str())
        .collect();
    // With the default --fail-on warning: the letters with a warning.
    assert_eq!(failing, ["cases/seed-001.txt"]);
}

/// The report does not depend on how many letters are checked at once.
#[test]
fn the_same_report_whatever_the_job_count() {
    let run = |jobs: &str, format: &str| {
        Command::cargo_bin("imrlint")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["check", "--format", format, "--jobs", jobs, "cases/"])
            .output()
            .unwrap()
            .stdout
    };
    for format in ["json", "sarif", "human"] {
        let one = run("1", format);
        assert!(!one.is_empty());
        assert_eq!(one, run("3", format), "{format}");
    }
}

/// `--output` writes the whole report to the file, and only the report.
#[test]
fn output_goes_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seeds.csv");
    let out = Command::cargo_bin("imrlint")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--format", "csv", "--output"])
        .arg(&path)
        .args(SEEDS)
        .output()
        .unwrap();
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), check("csv", SEEDS));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}
