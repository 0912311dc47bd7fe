//! The sample letters in `cases/`: each `NAME.txt` with a `NAME.facts.yaml` beside it holds facts
//! checked by hand against the letter. Every key written there must match what imrlint reads;
//! keys left out are not compared. A scalar written for a fact that imrlint reports with its place
//! (`{value, line, column, ...}` or `{date, ...}`) is compared with that value.

use std::path::{Path, PathBuf};

use imrlint::input::Origin;
use imrlint::linter::Linter;
use imrlint::rules::RuleSet;
use serde_yaml::Value;

fn cases() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".facts.yaml"))
        .collect();
    out.sort();
    out
}

/// Differences between what was expected and what was read, as `path: expected vs got` lines.
fn compare(expected: &Value, got: &Value, at: &str, out: &mut Vec<String>) {
    match (expected, got) {
        (Value::Mapping(e), Value::Mapping(g)) => {
            for (k, ev) in e {
                let key = k.as_str().unwrap_or("?");
                match g.get(k) {
                    Some(gv) => compare(ev, gv, &format!("{at}.{key}"), out),
                    None if ev.is_null() => {}
                    None => out.push(format!("{at}.{key}: expected {ev:?}, missing")),
                }
            }
        }
        (Value::Sequence(e), Value::Sequence(g)) => {
            if e.len() != g.len() {
                out.push(format!(
                    "{at}: expected {} entries, got {}: {:?}",
                    e.len(),
                    g.len(),
                    g
                ));
            }
            for (i, (ev, gv)) in e.iter().zip(g).enumerate() {
                compare(ev, gv, &format!("{at}[{i}]"), out);
            }
        }
        (e, Value::Mapping(g)) if !e.is_mapping() => {
            let inner = ["value", "date", "concept"].iter().find_map(|k| g.get(*k));
            match inner {
                Some(v) => compare(e, v, at, out),
                None => out.push(format!("{at}: expected {e:?}, got {got:?}")),
            }
        }
        (Value::Number(e), Value::Number(g)) if e.as_f64() == g.as_f64() => {}
        (e, g) if e == g => {}
        (e, g) => out.push(format!("{at}: expected {e:?}, got {g:?}")),
    }
}

#[test]
fn sample_letters_give_their_hand_checked_facts() {
    let linter = Linter::with_rules(RuleSet::built_in().expect("built-in rules"));
    let cases = cases();
    assert!(
        cases.len() >= 5,
        "expected facts for at least the five seed letters"
    );
    let mut failures = Vec::new();
    for expected_path in cases {
        let letter = PathBuf::from(
            expected_path
                .to_string_lossy()
                .replace(".facts.yaml", ".txt"),
        );
        let expected: Value =
            serde_yaml::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let got = serde_yaml::to_value(linter.facts_of(Origin::File(letter.clone()))).unwrap();
        let mut diffs = Vec::new();
        compare(&expected, &got, "", &mut diffs);
        for d in diffs {
            failures.push(format!("{}: {d}", letter.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
