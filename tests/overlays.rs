//! Overlays that extend: a file in a `--rules` folder whose entry has the id of a built-in one
//! extends it (lists append, maps merge, other values replace), `replace: true` replaces it, and
//! new entries go `before:`/`after:` an id. One test per kind of rule file; the built-in ids
//! are read from the built-in files, so that the tests name no medicine.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_yaml::Value;

fn built_in(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("rules")
        .join(name);
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The `key` of the first entry of a built-in file's `list`.
fn first(file: &str, list: &str, key: &str) -> String {
    built_in(file)[list][0][key].as_str().unwrap().to_string()
}

/// A rules folder holding `files` (relative path, text).
fn overlay(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn imrlint(dir: &tempfile::TempDir, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("imrlint")
        .unwrap()
        .env("NO_COLOR", "1")
        .args(args)
        .arg("--rules")
        .arg(dir.path())
        .assert()
}

fn explained(dir: &tempfile::TempDir, id: &str) -> String {
    let out = imrlint(dir, &["explain", id]).success();
    String::from_utf8(out.get_output().stdout.clone()).unwrap()
}

#[test]
fn a_drug_gets_a_brand_without_a_copy_of_drugs_yaml() {
    let drug = first("drugs.yaml", "drugs", "name");
    let dir = overlay(&[(
        "mine/drugs.yaml",
        &format!("drugs:\n  - name: {drug}\n    brands: [Zorbanil]\n"),
    )]);
    let text = explained(&dir, "Zorbanil");
    assert!(text.starts_with(&format!("drug {drug} ")), "{text}");
    assert!(text.contains("extended in"), "{text}");
    let built_in_brand = built_in("drugs.yaml")["drugs"][0]["brands"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains(&built_in_brand),
        "the built-in brands stay: {text}"
    );
}

#[test]
fn replace_true_replaces_a_drug_whole() {
    let drug = first("drugs.yaml", "drugs", "name");
    let class = first("drugs.yaml", "drugs", "class");
    let dir = overlay(&[(
        "mine/drugs.yaml",
        &format!(
            "drugs:\n  - name: {drug}\n    replace: true\n    class: {class}\n    brands: [Zorbanil]\n"
        ),
    )]);
    let text = explained(&dir, &drug);
    let built_in_brand = built_in("drugs.yaml")["drugs"][0]["brands"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.contains("Brands: Zorbanil\n"), "{text}");
    assert!(!text.contains(&built_in_brand), "{text}");
}

#[test]
fn a_category_goes_before_the_fallback_or_where_it_says() {
    let categories = built_in("categories.yaml")["categories"]
        .as_sequence()
        .unwrap()
        .len();
    let dir = overlay(&[(
        "mine/categories.yaml",
        "categories:\n  - id: zorb-therapy\n    title: Zorb therapy\n    patterns: ['zorb therapy']\n",
    )]);
    assert!(explained(&dir, "zorb-therapy").contains("mine/categories.yaml:2"));
    imrlint(&dir, &["rules", "check"]).success();
    let first_id = first("categories.yaml", "categories", "id");
    let dir = overlay(&[(
        "mine/categories.yaml",
        &format!(
            "categories:\n  - id: zorb-therapy\n    title: Zorb therapy\n    patterns: ['zorb therapy']\n    before: {first_id}\n  - id: zorb-two\n    title: Two\n    patterns: ['zorb two']\n    after: nowhere\n"
        ),
    )]);
    imrlint(&dir, &["rules", "check"])
        .code(2)
        .stderr(predicate::str::contains(
            "mine/categories.yaml:9:12: `zorb-two` is placed after",
        ));
    assert!(categories > 2);
}

#[test]
fn a_concept_and_a_body_part_get_patterns() {
    let concept = first("concepts.yaml", "concepts", "id");
    let part = first("anatomy.yaml", "body_parts", "id");
    let dir = overlay(&[
        (
            "mine/concepts.yaml",
            &format!("concepts:\n  - id: {concept}\n    patterns: ['zorbulosis']\n"),
        ),
        (
            "mine/anatomy.yaml",
            &format!("body_parts:\n  - id: {part}\n    patterns: ['zorb bone']\n"),
        ),
    ]);
    let text = explained(&dir, &concept);
    assert!(
        text.contains("'zorbulosis'") && text.contains("extended in"),
        "{text}"
    );
    let text = explained(&dir, &part);
    assert!(text.contains("mine/anatomy.yaml:2"), "{text}");
}

#[test]
fn a_reason_gets_an_example_that_rules_test_runs() {
    let reason = first("reasons.yaml", "reasons", "id");
    let dir = overlay(&[(
        "mine/reasons.yaml",
        &format!(
            "reasons:\n  - id: {reason}\n    examples:\n      - {{text: 'Zorb zorb zorb.', cited: true}}\n"
        ),
    )]);
    // The example is the overlay's, and it fails: the sentence cites nothing.
    imrlint(&dir, &["rules", "test", "--filter", &reason, "-v"])
        .code(2)
        .stdout(predicate::str::contains("FAIL").and(predicate::str::contains("Zorb zorb zorb")))
        .stderr(predicate::str::contains("mine/reasons.yaml:4:9"));
}

#[test]
fn a_guideline_document_gets_a_topic() {
    let document = first("guidelines.yaml", "documents", "id");
    let dir = overlay(&[(
        "mine/guidelines.yaml",
        &format!(
            "documents:\n  - id: {document}\n    topics:\n      - id: zorb-topic\n        title: Zorb\n        names: ['zorb']\n        pages: ['1']\n"
        ),
    )]);
    let text = explained(&dir, &format!("{document}/zorb-topic"));
    assert!(text.contains(", Zorb"), "{text}");
}

/// A topic's stage of care names the body parts its earlier guidance is for by anatomy.yaml's
/// ids: another id is a load error that says which topic and part.
#[test]
fn a_topic_stage_names_body_parts_anatomy_knows() {
    let document = first("guidelines.yaml", "documents", "id");
    let stage = first("guidelines.yaml", "stages", "id");
    let topic = |part: &str| {
        format!(
            "documents:\n  - id: {document}\n    topics:\n      - id: zorb-topic\n        title: Zorb\n        names: ['zorb']\n        stage: {{written_for: {stage}, earlier_guidance: {{covers: {{categories: [physical-therapy]}}, body_parts: [{part}]}}}}\n"
        )
    };
    let dir = overlay(&[("mine/guidelines.yaml", &topic("lumbar-spine"))]);
    imrlint(&dir, &["rules", "check"]).success();
    let text = explained(&dir, &format!("{document}/zorb-topic"));
    assert!(
        text.contains("Written for") && text.contains("for lumbar-spine"),
        "{text}"
    );
    let dir = overlay(&[("mine/guidelines.yaml", &topic("zorb-part"))]);
    imrlint(&dir, &["rules", "check"])
        .code(2)
        .stderr(
            predicate::str::contains("zorb-topic").and(predicate::str::contains(
                "unknown body part `zorb-part` in `stage.earlier_guidance.body_parts`",
            )),
        );
}

#[test]
fn a_definition_gets_a_new_value() {
    let name = first("definitions.yaml", "definitions", "name");
    let dir = overlay(&[(
        "mine/definitions.yaml",
        &format!("definitions:\n  - name: {name}\n    value: 'null'\n"),
    )]);
    let text = explained(&dir, &name);
    assert!(text.contains("Value: null"), "{text}");
}

#[test]
fn a_rule_is_extended_or_replaced_from_another_file() {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/mtus");
    let some_rule_file = std::fs::read_dir(rules_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "yaml"))
        .unwrap();
    let rules: Value =
        serde_yaml::from_str(&std::fs::read_to_string(some_rule_file).unwrap()).unwrap();
    let id = rules["rules"][0]["id"].as_str().unwrap().to_string();
    let dir = overlay(&[(
        "mine/local.yaml",
        &format!("rules:\n  - id: {id}\n    description: Zorb policy applies.\n"),
    )]);
    let text = explained(&dir, &id);
    assert!(text.contains("Zorb policy applies."), "{text}");
    assert!(
        text.contains("extended in") && text.contains("mine/local.yaml:2"),
        "{text}"
    );
    let dir = overlay(&[(
        "mine/local.yaml",
        &format!("rules:\n  - id: {id}\n    replace: true\n    title: Zorb\n"),
    )]);
    imrlint(&dir, &["rules", "check"])
        .code(2)
        .stderr(predicate::str::contains(
            "mine/local.yaml:2:5: rules[0]: missing field `guideline`",
        ));
}

#[test]
fn lists_without_ids_append_in_context_requests_and_layouts() {
    let layout = first("layouts.yaml", "layouts", "id");
    let dir = overlay(&[
        (
            "mine/context.yaml",
            "triggers:\n  - {pattern: 'zorb-free', status: negated, direction: backward}\n",
        ),
        (
            "mine/requests.yaml",
            "abbreviations:\n  - {pattern: 'z\\.?z\\.?', means: every zorb}\n",
        ),
        (
            "mine/layouts.yaml",
            &format!("layouts:\n  - id: {layout}\n    description: Zorb letters.\n"),
        ),
    ]);
    imrlint(&dir, &["rules", "check"]).success();
    let dir = overlay(&[(
        "mine/context.yaml",
        "triggers:\n  - {pattern: 'zorb-free', status: zorbed, direction: backward}\n",
    )]);
    imrlint(&dir, &["rules", "check"])
        .code(2)
        .stderr(predicate::str::contains("mine/context.yaml:2:"));
}

/// Every bad entry of a file is reported in one run, each at its own line, with its id.
#[test]
fn every_bad_entry_of_a_file_is_reported() {
    let dir = overlay(&[(
        "mine/drugs.yaml",
        "drugs:\n  - name: zorbanil\n    clas: opioid\n  - name: zorbacet\n  - name: zorbadone\n    brands: {one: two}\n",
    )]);
    let out = imrlint(&dir, &["rules", "check"]).code(2);
    let stderr = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    for expected in [
        "mine/drugs.yaml:3:5: drugs[0]: unknown field `clas`",
        "mine/drugs.yaml:4:5: drugs[1]: missing field `class`",
        "mine/drugs.yaml:6:14: drugs[2].brands: invalid type",
        "3 problem(s)",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
}
