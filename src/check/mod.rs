//! The Evaluation and Findings stages: each rule's CEL conditions over an item's facts give the
//! reasons that apply (true, false or unknown); each reason's cites over the item's rationale say
//! whether it is cited; the two together, with the rationale's conclusion and citations, give
//! the findings.

use std::ops::Range;

use serde::Serialize;

use crate::facts::{Facts, ItemFacts};
use crate::letter::{Decision, Item, Letter};
use crate::rules::RuleSet;
use crate::rules::checks::Role;

mod citations;
pub(crate) use citations::fits as topic_fits;
mod contradictions;
mod decision;
mod evaluate;
mod finding;
mod misspellings;
mod rationale;
mod reasons;
mod record;

use citations::guideline_findings;
use contradictions::contradictions;
use decision::{decision_finding, procedure_finding};
pub use evaluate::truth;
use evaluate::{ItemScope, evidence, guideline_name, letter_concepts, letter_context, render};
pub use finding::{FailOn, Finding, Kind, Label, Severity};
use misspellings::misspellings;
use rationale::{Cites, Rationale, conclusion};
use reasons::reason_findings;

/// What one rule said of one reason for one item.
#[derive(Debug, Clone, Serialize)]
pub struct ReasonResult {
    pub reason: String,
    pub rule: String,
    pub role: Role,
    pub applies: Option<bool>,
    pub cited: bool,
    /// Where the rationale cites it.
    #[serde(skip)]
    pub cite: Option<Range<usize>>,
    /// Where it cites it in a sentence about the patient or the record: only that is a claim
    /// the facts can contradict.
    #[serde(skip)]
    pub claim: Option<Range<usize>>,
    #[serde(skip)]
    pub message: String,
    #[serde(skip)]
    pub help: String,
    /// Where the facts that decide it stand, with what they say.
    #[serde(skip)]
    pub evidence: Vec<Label>,
    /// When it is unknown and `--trace` asked: the facts its condition reads that are null.
    #[serde(skip)]
    pub unknown_because: Vec<String>,
    /// When it is cited and `--trace` asked: the pattern or concept that matched, and the
    /// rationale's sentence.
    #[serde(skip)]
    pub cited_by: Option<String>,
}

/// The evaluation of one item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub index: usize,
    /// Every rule's `applies_to` for this item, in rule order (for `--trace`), and when it is
    /// unknown and `--trace` asked, the null facts it reads.
    #[serde(skip)]
    pub rules: Vec<(String, Option<bool>, Vec<String>)>,
    /// Each definition's value for this item, as shown by `--trace` ('unknown' for null).
    #[serde(skip)]
    pub definitions: Vec<(String, String)>,
    /// Conditions that failed on their own account, not for a missing fact: each counted as
    /// unknown, and shown to the rule author.
    #[serde(skip)]
    pub errors: Vec<ConditionError>,
    pub reasons: Vec<ReasonResult>,
    /// Rationale sentences that state a ground against the request that no reason the rules
    /// weigh for the item names, each with its words: what imrlint could not check of the
    /// rationale.
    #[serde(skip)]
    pub unread_grounds: Vec<Label>,
    /// The decision the rationale's conclusion states, and where.
    #[serde(skip)]
    pub conclusion: Option<(Decision, Range<usize>)>,
}

/// A condition that could not be evaluated because of itself (an undeclared name, a function
/// given a value of the wrong kind, a bad regex), not because a fact is missing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConditionError {
    /// Which condition: `rule `x` applies_to`, `rule `x`, reason `y`: when`, `definition `z``.
    pub condition: String,
    pub message: String,
}

/// A letter checked: its items' evaluations and its findings, in letter order.
#[derive(Debug, Clone)]
pub struct Checked {
    pub items: Vec<ItemResult>,
    pub findings: Vec<Finding>,
}

/// The reasons a rationale's text cites, as `check` reads them (quotations left out).
pub fn cited_reasons(rules: &RuleSet, text: &str) -> Vec<crate::rules::reasons::ReasonId> {
    let rationale = rationale::Rationale::read(rules, text, 0..text.len());
    let cites = rationale::Cites::find(rules, text, &rationale, &[]);
    rules
        .reasons
        .ids()
        .filter(|r| cites.of(*r).is_some())
        .collect()
}

/// How a reason is cited, for `--trace`: the pattern or concept that matched, in its sentence.
fn cited_by(
    rules: &RuleSet,
    folded: &str,
    rationale: &Rationale,
    cites: &Cites,
    reason: crate::rules::reasons::ReasonId,
) -> Option<String> {
    let at = cites.of(reason)?;
    let cite = &rules.reasons.get(reason).cites[cites.by(reason)?];
    let what = match (&cite.pattern, &cite.concept) {
        (Some(p), _) => format!("pattern '{p}'"),
        (None, Some(c)) => format!("concept {c}"),
        (None, None) => String::new(),
    };
    let sentence = rationale.sentence_of(&at).unwrap_or(&at);
    Some(format!("{what} in \"{}\"", folded[sentence.clone()].trim()))
}

/// Checks a letter whose facts are read.
pub fn check(letter: &Letter, facts: &Facts, rules: &RuleSet, options: Options) -> Checked {
    let folded = letter.text.folded();
    let concepts = letter_concepts(facts, rules);
    let mut items = Vec::new();
    let mut findings = Vec::new();
    let mut rationales = Vec::new();
    let letter_context = letter_context(facts, &concepts);
    let record = record::Record::default();
    for (item, item_facts) in letter.items.iter().zip(&facts.items) {
        let mut scope = ItemScope::new(&letter_context, item_facts, rules, options.trace);
        let rationale = item
            .rationale
            .clone()
            .unwrap_or(item.heading.end..item.heading.end);
        let read = Rationale::read(rules, folded, rationale.clone());
        let restated = restatements(folded, &item.treatment, &rationale);
        let cites = Cites::find(rules, folded, &read, &restated);
        let conclusion = conclusion(rules, folded, rationale.clone());
        let mut reasons = Vec::new();
        let mut weighed = Vec::new();
        // A rule whose condition names another category does not apply, whatever else it says.
        let could_apply: Vec<bool> = rules
            .rules
            .iter()
            .map(|r| {
                r.categories
                    .as_ref()
                    .is_none_or(|c| c.contains(&item_facts.category))
            })
            .collect();
        scope.define(
            rules,
            rules
                .rules
                .iter()
                .zip(&could_apply)
                .filter(|(_, could)| **could)
                .flat_map(|(r, _)| r.definitions_to_apply.iter().copied()),
        );
        let applied: Vec<(String, Option<bool>, Vec<String>)> = rules
            .rules
            .iter()
            .zip(&could_apply)
            .map(|(r, could)| {
                let applies = if *could {
                    scope.truth(&r.applies_to, &|| {
                        format!("rule `{}` applies_to", r.rule.id)
                    })
                } else {
                    Some(false)
                };
                (
                    r.rule.id.clone(),
                    applies,
                    scope.unknown_because(&r.applies_to, applies),
                )
            })
            .collect();
        scope.define(
            rules,
            rules
                .rules
                .iter()
                .zip(&applied)
                .filter(|(_, (_, a, _))| *a == Some(true))
                .flat_map(|(r, _)| r.definitions_read.iter().copied()),
        );
        for rule in rules
            .rules
            .iter()
            .zip(&applied)
            .filter(|(_, (_, a, _))| *a == Some(true))
            .map(|(r, _)| r)
        {
            for r in &rule.reasons {
                weighed.push(r.reason);
                let cite = cites.of(r.reason);
                let reason = &rules.reasons.get(r.reason).id;
                let applies = scope.truth(&r.when, &|| {
                    format!("rule `{}`, reason `{reason}`: when", rule.rule.id)
                });
                // What only the request leaves unknown is claimed of the request, not of the
                // record: no summary could establish it.
                let claimed_of_request = applies.is_none()
                    && r.request_leaves_unknown.as_ref().is_some_and(|p| {
                        scope.truth(p, &|| {
                            format!(
                                "rule `{}`, reason `{reason}`: request_leaves_unknown",
                                rule.rule.id
                            )
                        }) == Some(true)
                    });
                reasons.push(ReasonResult {
                    reason: reason.clone(),
                    rule: rule.rule.id.clone(),
                    role: r.role,
                    unknown_because: scope.unknown_because(&r.when, applies),
                    cited_by: options
                        .trace
                        .then(|| cited_by(rules, folded, &read, &cites, r.reason))
                        .flatten(),
                    applies,
                    cited: cite.is_some(),
                    cite,
                    claim: cites.claim(r.reason).filter(|_| !claimed_of_request),
                    message: render(&r.message, &scope.ctx),
                    help: format!(
                        "{} (guideline: {})",
                        render(&r.help, &scope.ctx),
                        guideline_name(rules, rule, item_facts)
                    ),
                    evidence: r
                        .evidence
                        .iter()
                        .filter_map(|e| evidence(e, &scope.ctx, &letter.text))
                        .collect(),
                });
            }
        }
        let unread_grounds: Vec<Label> = cites
            .unread_grounds(&weighed)
            .into_iter()
            .map(|s| finding::label(letter, &s, folded[s.clone()].to_string()))
            .collect();
        findings.extend(no_rule_finding(letter, item, item_facts, &applied));
        findings.extend(reason_findings(
            letter,
            item,
            &reasons,
            !unread_grounds.is_empty(),
            rules,
            options.show_supporting,
        ));
        findings.extend(decision_finding(letter, item, conclusion.as_ref()));
        findings.extend(procedure_finding(letter, item, item_facts));
        findings.extend(guideline_findings(
            letter,
            item,
            item_facts,
            facts.patient.weeks_since_injury,
            &cites,
            rules,
        ));
        let parts: Vec<Range<usize>> = std::iter::once(item.treatment.clone())
            .chain(item.rationale.clone())
            .collect();
        findings.extend(misspellings(letter, &parts, Some(item.index), rules));
        if item.rationale.is_some() {
            let others: Vec<&ItemFacts> = facts
                .items
                .iter()
                .filter(|o| o.index != item.index)
                .collect();
            findings.extend(record::record_findings(
                letter, item, item_facts, &others, &read, &record, rules,
            ));
        }
        items.push(ItemResult {
            index: item.index,
            rules: applied,
            definitions: scope.values,
            errors: scope.errors,
            reasons,
            unread_grounds,
            conclusion,
        });
        if item.rationale.is_some() {
            rationales.push((item.index, read));
        }
    }
    findings.extend(misspellings(letter, letter.summary.as_slice(), None, rules));
    findings.extend(contradictions(letter, &rationales, rules));
    Checked { items, findings }
}

/// Where a rationale restates the request ("the request for alprazolam 0.5 mg #60 with two
/// refills is not medically necessary"): words there repeat the request, they give no reason.
fn restatements(
    folded: &str,
    treatment: &Range<usize>,
    rationale: &Range<usize>,
) -> Vec<Range<usize>> {
    let request = folded[treatment.clone()].to_ascii_lowercase();
    if request.trim().is_empty() {
        return Vec::new();
    }
    let within = folded[rationale.clone()].to_ascii_lowercase();
    within
        .match_indices(&request)
        .map(|(at, _)| rationale.start + at..rationale.start + at + request.len())
        .collect()
}

/// An item no rule covers: imrlint says what it could not check rather than judge it.
fn no_rule_finding(
    letter: &Letter,
    item: &Item,
    facts: &ItemFacts,
    applied: &[(String, Option<bool>, Vec<String>)],
) -> Option<Finding> {
    if covered(applied) {
        return None;
    }
    Some(Finding {
        kind: Kind::NoRule,
        severity: Severity::Note,
        rule: None,
        reason: None,
        item: Some(item.index),
        message: format!(
            "no rule covers this item ({}): nothing about it was checked",
            facts.category
        ),
        help: "imrlint checks what its rules cover; a rule for this kind of item goes in a rules folder laid over the built-in rules (README, Rule files)".into(),
        labels: vec![finding::label(letter, &item.treatment, "unchecked")],
    })
}

/// Whether a rule applies to an item.
fn covered(applied: &[(String, Option<bool>, Vec<String>)]) -> bool {
    applied.iter().any(|(_, a, _)| *a == Some(true))
}

impl ItemResult {
    /// No rule covers the item: nothing about it was checked.
    pub fn unchecked(&self) -> bool {
        !covered(&self.rules)
    }
}

/// What a check reports beyond its defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Also report a supporting reason left out beside a deciding reason the rationale gives.
    pub show_supporting: bool,
    /// Gather what `--trace` shows: the null facts that leave a condition unknown (each fact a
    /// condition reads is evaluated on its own, too slow for every run), and the pattern and
    /// sentence behind each cite.
    pub trace: bool,
}

/// Invented letters for the checks' unit tests: a 2016 letter with the given summary and items,
/// checked with the built-in rules.
#[cfg(test)]
mod testing {
    use super::*;

    pub(super) use crate::testing::TestItem;

    pub(super) const NO_EVIDENCE: &str =
        "The Expert Reviewer did not cite any medical evidence for its decision.";

    /// The findings on a letter.
    pub(super) fn checked_findings(summary: &str, items: &[TestItem]) -> Vec<Finding> {
        let linter = crate::testing::linter();
        let letter = crate::testing::letter(summary, items);
        let facts = linter.facts(&letter);
        linter.evaluate(&letter, &facts).findings
    }

    /// The findings on a letter, as (kind, item, reason).
    pub(super) fn findings(
        summary: &str,
        items: &[TestItem],
    ) -> Vec<(Kind, Option<usize>, Option<String>)> {
        checked_findings(summary, items)
            .into_iter()
            .map(|f| (f.kind, f.item, f.reason))
            .collect()
    }

    pub(super) fn has(found: &[(Kind, Option<usize>, Option<String>)], kind: Kind) -> bool {
        found.iter().any(|(k, _, _)| *k == kind)
    }
}
