//! Running the inline examples of rule files: each example letter is read, checked, and the
//! named item's reasons compared with what the example expects.

use std::path::{Path, PathBuf};

use super::source::RuleError;
use crate::input::Origin;
use crate::linter::Linter;

/// The outcome of one example.
#[derive(Debug)]
pub enum Outcome {
    Passed,
    /// The example's letter file is not where the example says (run outside the repository).
    Skipped(String),
    Failed(RuleError),
}

/// Runs every example of every rule of the linter's rule set. Letter paths are relative to
/// `base` (the folder the rule set's `rules/` folder stands in: the repository).
pub fn run(linter: &Linter, base: &Path) -> Vec<(String, usize, Outcome)> {
    let rules = &linter.rules;
    let mut out = Vec::new();
    for rule in &rules.rules {
        for (e, example) in rule.rule.examples.iter().enumerate() {
            let at = format!("rules[{}].examples[{e}]", rule.index);
            let fail = |message: String| {
                let file = rules
                    .files
                    .iter()
                    .find(|(_, f)| f.name == rule.file)
                    .map(|(_, f)| f);
                Outcome::Failed(match file {
                    Some(f) => f.error(
                        &at,
                        message,
                        Some(
                            "fix the rule's conditions or cites, or the example's expectation"
                                .into(),
                        ),
                    ),
                    None => RuleError {
                        file: rule.file.clone(),
                        source_code: None,
                        at: None,
                        message,
                        help: None,
                    },
                })
            };
            let bytes = match (&example.letter, &example.text) {
                (Some(path), None) => {
                    let full: PathBuf = base.join(path);
                    match std::fs::read(&full) {
                        Ok(b) => b,
                        Err(_) => {
                            out.push((
                                rule.rule.id.clone(),
                                e,
                                Outcome::Skipped(format!("{} not found", full.display())),
                            ));
                            continue;
                        }
                    }
                }
                (None, Some(text)) => text.clone().into_bytes(),
                _ => {
                    out.push((
                        rule.rule.id.clone(),
                        e,
                        fail(
                            "an example has either `letter` or `text`, not both or neither".into(),
                        ),
                    ));
                    continue;
                }
            };
            out.push((
                rule.rule.id.clone(),
                e,
                evaluate(linter, rule, example, bytes, &fail),
            ));
        }
    }
    out
}

fn evaluate(
    linter: &Linter,
    rule: &super::checks::CompiledRule,
    example: &super::checks::RuleExample,
    bytes: Vec<u8>,
    fail: &dyn Fn(String) -> Outcome,
) -> Outcome {
    let letter = match linter.read_bytes(Origin::File("example.txt".into()), bytes) {
        Ok((_, l)) => l,
        Err(e) => return fail(format!("the example letter cannot be read: {}", e.message)),
    };
    let facts = linter.facts(&letter);
    let checked = linter.evaluate(&letter, &facts);
    let Some(item) = checked.items.get(example.item) else {
        return fail(format!(
            "the example letter has {} items; item {} does not exist",
            checked.items.len(),
            example.item
        ));
    };
    let mut problems = Vec::new();
    for (reason, expected) in &example.expect {
        let got = item
            .reasons
            .iter()
            .find(|r| r.rule == rule.rule.id && &r.reason == reason);
        match got {
            None => problems.push(format!(
                "`{reason}`: the rule does not apply to item {} (or has no such reason)",
                example.item
            )),
            Some(r) => {
                if r.applies != expected.applies {
                    problems.push(format!(
                        "`{reason}`: applies is {}, expected {}",
                        show(r.applies),
                        show(expected.applies)
                    ));
                }
                if expected.cited.is_some_and(|c| c != r.cited) {
                    problems.push(format!(
                        "`{reason}`: cited is {}, expected {}",
                        r.cited, !r.cited
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        Outcome::Passed
    } else {
        fail(format!("example fails: {}", problems.join("; ")))
    }
}

fn show(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "null (unknown)",
    }
}
