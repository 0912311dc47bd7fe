//! The worked examples of the rule authors' guide (rules/README.md) hold: each YAML block whose
//! first line names its file (`# my-rules/stimulants.yaml`) is saved there, and the folder passes
//! `rules check` and `rules test`.

use assert_cmd::Command;
use predicates::prelude::*;

#[test]
fn the_guides_worked_examples_pass_check_and_test() {
    let guide = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/README.md"),
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut saved = 0;
    for block in guide.split("```yaml\n").skip(1) {
        let body = block.split("```").next().unwrap();
        let Some(path) = body.lines().next().and_then(|l| l.strip_prefix("# ")) else {
            continue;
        };
        let path = dir.path().join(path.trim());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, body).unwrap();
        saved += 1;
    }
    assert_eq!(saved, 6, "the guide's worked examples name their files");
    let rules = dir.path().join("my-rules");
    let imrlint = || {
        let mut c = Command::cargo_bin("imrlint").unwrap();
        c.current_dir(dir.path()).env("NO_COLOR", "1");
        c
    };
    imrlint()
        .args(["rules", "check", "--rules"])
        .arg(&rules)
        .assert()
        .success();
    imrlint()
        .args(["rules", "test", "--filter", "stimulant", "-v", "--rules"])
        .arg(&rules)
        .assert()
        .success()
        .stdout(predicate::str::contains("ok   rule stimulants example 1"))
        .stdout(predicate::str::contains(
            "ok   reason stimulant-indication-missing example 1",
        ))
        .stdout(predicate::str::ends_with("4 passed, 0 failed\n"));
    let explained = |id: &str| {
        let out = imrlint()
            .args(["explain", id, "--rules"])
            .arg(&rules)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(explained("gabapentin").contains("extended in"));
    assert!(explained("mtus-chronic-pain/local-policy").contains("Local policy"));
    assert!(explained("telehealth").contains("local/categories.yaml:3"));
}
