//! Running the examples of every kind of rule file: a rule's example letters (each read, checked,
//! and the named item's reasons compared with what the example expects), a concept's or the
//! context file's sentences (the concept found with its status), a category's and a body part's
//! treatment texts, and a drug's written names (each resolving to its drug). `imrlint rules test`
//! and the test suite both run them through [`run`].

use std::path::{Path, PathBuf};

use super::source::RuleError;
use super::{Knowledge, RuleSet};
use crate::input::Origin;
use crate::linter::Linter;

/// The sample letters of the repository's `cases/` folder, built in for the built-in rules'
/// examples that name them.
const EMBEDDED_LETTERS: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/embedded_letters.rs"));

/// What an example belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rule,
    Concept,
    Context,
    Category,
    BodyPart,
    Drug,
    Reason,
}

impl Kind {
    pub fn label(self) -> &'static str {
        match self {
            Kind::Rule => "rule",
            Kind::Concept => "concept",
            Kind::Context => "context",
            Kind::Category => "category",
            Kind::BodyPart => "body part",
            Kind::Drug => "drug",
            Kind::Reason => "reason",
        }
    }
}

/// One example run: whose it is, which of its examples, and how it went.
#[derive(Debug)]
pub struct ExampleRun {
    pub kind: Kind,
    /// The id of the rule, concept, category, body part or drug (the context file's examples
    /// carry the concept they test).
    pub id: String,
    pub index: usize,
    /// What the example says, in a few words (a sentence, a treatment, a name, a letter).
    pub about: String,
    pub outcome: Result<(), RuleError>,
}

/// Runs the examples of every kind, or only those whose owner's id contains `filter`.
pub fn run(linter: &Linter, filter: Option<&str>) -> Vec<ExampleRun> {
    let wanted = |id: &str| filter.is_none_or(|f| id.contains(f));
    let rules = &linter.rules;
    let mut out = Vec::new();
    rule_examples(linter, &wanted, &mut out);
    concept_examples(rules, &wanted, &mut out);
    category_examples(rules, &wanted, &mut out);
    body_part_examples(rules, &wanted, &mut out);
    drug_examples(rules, &wanted, &mut out);
    reason_examples(rules, &wanted, &mut out);
    out
}

fn rule_examples(linter: &Linter, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<ExampleRun>) {
    let rules = &linter.rules;
    for rule in rules.rules.iter().filter(|r| wanted(&r.rule.id)) {
        for (e, example) in rule.rule.examples.iter().enumerate() {
            let at = rule.path(&format!("examples[{e}]"));
            let fail =
                |message: String, help: &str| rule.source.error(&at, message, Some(help.into()));
            // An example added by a later file names its letter from that file's folder.
            let (example_file, _) = rule.defined_at(Some(&format!("examples[{e}]")));
            let (about, bytes) = match (&example.letter, &example.text) {
                (Some(path), None) => match example_letter(example_file, path) {
                    Ok(b) => (path.clone(), b),
                    Err(tried) => {
                        out.push(ExampleRun {
                            kind: Kind::Rule,
                            id: rule.rule.id.clone(),
                            index: e,
                            about: path.clone(),
                            outcome: Err(fail(
                                format!("the example's letter {path} is not found (looked at {tried})"),
                                "name the letter relative to the rule file's folder or a folder above it",
                            )),
                        });
                        continue;
                    }
                },
                (None, Some(text)) => (first_words(text), text.clone().into_bytes()),
                _ => {
                    out.push(ExampleRun {
                        kind: Kind::Rule,
                        id: rule.rule.id.clone(),
                        index: e,
                        about: String::new(),
                        outcome: Err(fail(
                            "an example has either `letter` or `text`, not both or neither".into(),
                            "keep one of the two keys",
                        )),
                    });
                    continue;
                }
            };
            let outcome = evaluate(linter, rule, example, bytes).map_err(|m| {
                fail(
                    m,
                    "fix the rule's conditions or cites, or the example's expectation",
                )
            });
            out.push(ExampleRun {
                kind: Kind::Rule,
                id: rule.rule.id.clone(),
                index: e,
                about,
                outcome,
            });
        }
    }
}

/// The bytes of a rule example's letter: a built-in rule's from the letters built in, a rule
/// file's from its folder or the nearest folder above it that has the path (`cases/seed-000.txt`
/// beside the `rules/` folder). Err: where it looked.
fn example_letter(rule_file: &str, path: &str) -> Result<Vec<u8>, String> {
    if rule_file.starts_with(super::BUILT_IN_PREFIX) {
        return EMBEDDED_LETTERS
            .iter()
            .find(|(rel, _)| *rel == path)
            .map(|(_, text)| text.as_bytes().to_vec())
            .ok_or_else(|| format!("the letters built into imrlint ({path})"));
    }
    let folder = Path::new(rule_file)
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let candidates: Vec<PathBuf> = folder.ancestors().map(|a| a.join(path)).collect();
    candidates
        .iter()
        .find_map(|c| std::fs::read(c).ok())
        .ok_or_else(|| {
            candidates
                .iter()
                .map(|c| c.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        })
}

fn evaluate(
    linter: &Linter,
    rule: &super::checks::CompiledRule,
    example: &super::checks::RuleExample,
    bytes: Vec<u8>,
) -> Result<(), String> {
    let letter = linter
        .read_bytes(Origin::File("example.txt".into()), bytes)
        .map_err(|e| format!("the example letter cannot be read: {}", e.message))?
        .1;
    let facts = linter.facts(&letter);
    let checked = linter.evaluate(&letter, &facts);
    let Some(item) = checked.items.get(example.item) else {
        return Err(format!(
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
        Ok(())
    } else {
        Err(format!("example fails: {}", problems.join("; ")))
    }
}

fn concept_examples(rules: &RuleSet, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<ExampleRun>) {
    use super::concepts::{ConceptsFile, ContextFile};
    let of_concepts = rules.concepts.concepts.iter().flat_map(|c| {
        c.examples.iter().enumerate().map(move |(i, e)| {
            let at = rules
                .entry_of(ConceptsFile::KIND, "concepts", "id", &c.id)
                .map(|(f, p)| (f, format!("{p}.examples[{i}]")));
            (
                Kind::Concept,
                c.id.as_str(),
                i,
                e.text.as_str(),
                e.status,
                at,
            )
        })
    });
    let of_context = rules.context.examples.iter().enumerate().map(|(i, e)| {
        let at = rules
            .files
            .iter()
            .find(|(rel, _)| super::knowledge_kind(rel) == Some(ContextFile::KIND))
            .map(|(_, f)| (f, format!("examples[{i}]")));
        (
            Kind::Context,
            e.concept.as_str(),
            i,
            e.text.as_str(),
            e.status,
            at,
        )
    });
    for (kind, concept, i, text, expected, at) in of_concepts.chain(of_context) {
        if !wanted(concept) {
            continue;
        }
        let outcome = match rules.concepts.index(concept) {
            None => Err(format!("the example names an unknown concept `{concept}`")),
            Some(id) => {
                let sentences = crate::text::sentences(text, 0..text.len());
                let found: Vec<_> = crate::facts::context::mentions(
                    &rules.concepts,
                    &rules.context,
                    text,
                    &sentences,
                )
                .into_iter()
                .filter(|m| m.concept == id)
                .map(|m| m.status)
                .collect();
                if expected.holds(&found) {
                    Ok(())
                } else {
                    Err(format!(
                        "`{concept}` in {text:?}: expected {expected:?}, found {found:?}"
                    ))
                }
            }
        };
        out.push(ExampleRun {
            kind,
            id: concept.to_string(),
            index: i,
            about: text.to_string(),
            outcome: outcome.map_err(|m| {
                placed(
                    at,
                    kind,
                    m,
                    "fix the concept's patterns or the context triggers, or the example",
                )
            }),
        });
    }
}

fn category_examples(rules: &RuleSet, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<ExampleRun>) {
    use super::categories::CategoriesFile;
    for c in rules.categories.categories.iter().filter(|c| wanted(&c.id)) {
        for (i, text) in c.examples.iter().enumerate() {
            let names_drug = !rules.drugs.find(text, 0..text.len()).is_empty();
            let got = &rules.categories.classify(text, names_drug).id;
            let outcome = if got == &c.id {
                Ok(())
            } else {
                let at = rules
                    .entry_of(CategoriesFile::KIND, "categories", "id", &c.id)
                    .map(|(f, p)| (f, format!("{p}.examples[{i}]")));
                Err(placed(
                    at,
                    Kind::Category,
                    format!("{text:?} lands in `{got}`, not `{}`", c.id),
                    "an earlier category's pattern takes it: make that pattern narrower, or move this category before it",
                ))
            };
            out.push(ExampleRun {
                kind: Kind::Category,
                id: c.id.clone(),
                index: i,
                about: text.clone(),
                outcome,
            });
        }
    }
}

fn body_part_examples(rules: &RuleSet, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<ExampleRun>) {
    use super::categories::AnatomyFile;
    let anatomy = &rules.anatomy;
    for (n, part) in anatomy.body_parts.iter().enumerate() {
        if !wanted(&part.id) {
            continue;
        }
        for (i, text) in part.examples.iter().enumerate() {
            let named = anatomy
                .part_patterns
                .find_all(text, 0..text.len())
                .iter()
                .any(|m| m.owner == n);
            let outcome = if named {
                Ok(())
            } else {
                let at = rules
                    .entry_of(AnatomyFile::KIND, "body_parts", "id", &part.id)
                    .map(|(f, p)| (f, format!("{p}.examples[{i}]")));
                Err(placed(
                    at,
                    Kind::BodyPart,
                    format!("{text:?} does not name `{}`", part.id),
                    "add a pattern for the words, or correct the example",
                ))
            };
            out.push(ExampleRun {
                kind: Kind::BodyPart,
                id: part.id.clone(),
                index: i,
                about: text.clone(),
                outcome,
            });
        }
    }
}

/// Each written name of a drug (its name, brands, aliases and misspellings), standing alone,
/// resolves to the drug: a name that another entry's longer or earlier name takes is a drug
/// that letters naming it never reach.
fn drug_examples(rules: &RuleSet, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<ExampleRun>) {
    use super::drugs::DrugsFile;
    for (n, drug) in rules.drugs.drugs.iter().enumerate() {
        if !wanted(&drug.name) {
            continue;
        }
        let names = std::iter::once(&drug.name)
            .chain(&drug.brands)
            .chain(&drug.aliases)
            .chain(&drug.misspellings);
        for (i, written) in names.enumerate() {
            let found = rules.drugs.find(written, 0..written.len());
            let whole = found
                .iter()
                .find(|m| m.range == (0..written.len()))
                .map(|m| m.drug.0);
            let outcome = match whole {
                Some(d) if d == n => Ok(()),
                other => {
                    let got = other.map_or_else(
                        || "no drug".to_string(),
                        |d| format!("`{}`", rules.drugs.drugs[d].name),
                    );
                    let at = rules.entry_of(DrugsFile::KIND, "drugs", "name", &drug.name);
                    Err(placed(
                        at,
                        Kind::Drug,
                        format!("{written:?} reads as {got}, not `{}`", drug.name),
                        "remove the name from one of the two entries, or correct its spelling",
                    ))
                }
            };
            out.push(ExampleRun {
                kind: Kind::Drug,
                id: drug.name.clone(),
                index: i,
                about: written.clone(),
                outcome,
            });
        }
    }
}

/// Each example sentence of a reason is read as a rationale: it cites the reason, or (a near
/// miss) must not.
fn reason_examples(rules: &RuleSet, wanted: &dyn Fn(&str) -> bool, out: &mut Vec<ExampleRun>) {
    use super::reasons::ReasonsFile;
    for id in rules.reasons.ids() {
        let reason = rules.reasons.get(id);
        if !wanted(&reason.id) {
            continue;
        }
        for (i, example) in reason.examples.iter().enumerate() {
            let cited = crate::check::cited_reasons(rules, &example.text).contains(&id);
            let outcome = if cited == example.cited {
                Ok(())
            } else {
                let at = rules
                    .entry_of(ReasonsFile::KIND, "reasons", "id", &reason.id)
                    .map(|(f, p)| (f, format!("{p}.examples[{i}]")));
                Err(placed(
                    at,
                    Kind::Reason,
                    format!(
                        "{:?} {} `{}`",
                        example.text,
                        if cited { "cites" } else { "does not cite" },
                        reason.id
                    ),
                    "fix the reason's `cites` patterns, or the example",
                ))
            };
            out.push(ExampleRun {
                kind: Kind::Reason,
                id: reason.id.clone(),
                index: i,
                about: example.text.clone(),
                outcome,
            });
        }
    }
}

fn placed(
    at: Option<(&super::RuleFile, String)>,
    kind: Kind,
    message: String,
    help: &str,
) -> RuleError {
    match at {
        Some((file, path)) => file.error(&path, message, Some(help.into())),
        None => RuleError {
            help: Some(help.into()),
            ..unplaced(kind.label(), message)
        },
    }
}

fn unplaced(file: &str, message: String) -> RuleError {
    RuleError {
        file: file.to_string(),
        source_code: None,
        at: None,
        message,
        help: None,
    }
}

/// The first words of an inline example letter's text, to name it on one line.
fn first_words(text: &str) -> String {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.chars().take(60).collect()
}

fn show(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "true",
        Some(false) => "false",
        None => "null (unknown)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every example of the built-in rule set holds, of every kind.
    #[test]
    fn built_in_examples_hold() {
        let linter = Linter::with_rules(RuleSet::built_in().expect("the built-in rules load"));
        let runs = run(&linter, None);
        for kind in [
            Kind::Rule,
            Kind::Concept,
            Kind::Context,
            Kind::Category,
            Kind::BodyPart,
            Kind::Drug,
            Kind::Reason,
        ] {
            assert!(
                runs.iter().any(|r| r.kind == kind),
                "no {} examples ran",
                kind.label()
            );
        }
        let failures: Vec<String> = runs
            .iter()
            .filter_map(|r| r.outcome.as_ref().err())
            .map(|e| format!("{}: {}", e.file, e.message))
            .collect();
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn a_filter_keeps_the_examples_of_matching_ids() {
        let linter = Linter::with_rules(RuleSet::built_in().expect("the built-in rules load"));
        let runs = run(&linter, Some("benzodiazepines"));
        assert!(!runs.is_empty());
        assert!(runs.iter().all(|r| r.id.contains("benzodiazepines")));
    }
}
