//! Rationales of one letter that state opposite facts: contradiction.

use super::finding::{Finding, Kind, Severity, label};
use super::rationale::Rationale;
use crate::facts::context::{self as concept_context};
use crate::letter::Letter;
use crate::rules::RuleSet;
use crate::rules::concepts::ConceptId;

/// Two rationales of one letter that assert opposite facts about the patient: a finding, a
/// history or a risk factor that one rationale affirms and another negates, in sentences about
/// the patient that name no drug.
pub(super) fn contradictions(
    letter: &Letter,
    rationales: &[(usize, Rationale)],
    rules: &RuleSet,
) -> Vec<Finding> {
    let folded = letter.text.folded();
    let per_item: Vec<(usize, Vec<&concept_context::Mention>)> = rationales
        .iter()
        .map(|(index, rationale)| {
            let mentions = rationale
                .mentions
                .iter()
                .filter(|m| {
                    matches!(
                        m.status,
                        crate::rules::Status::Affirmed | crate::rules::Status::Negated
                    )
                })
                .filter(|m| {
                    rules
                        .concepts
                        .has_role(m.concept, crate::rules::concepts::GroupRole::RecordFact)
                        && rationale.about_patient(&m.sentence)
                        && rules.drugs.find(folded, m.sentence.clone()).is_empty()
                })
                .collect();
            (*index, mentions)
        })
        .collect();
    // A rationale that says both of a concept (often one copied into two items) takes no side.
    let mixed = |mentions: &[&concept_context::Mention], concept: ConceptId| {
        let mut statuses = mentions
            .iter()
            .filter(|m| m.concept == concept)
            .map(|m| m.status);
        let first = statuses.next();
        statuses.any(|s| Some(s) != first)
    };
    let mut out = Vec::new();
    let mut reported = std::collections::HashSet::new();
    for (a, (ia, ma)) in per_item.iter().enumerate() {
        for (ib, mb) in per_item.iter().skip(a + 1) {
            for x in ma {
                let Some(y) = mb
                    .iter()
                    .find(|y| y.concept == x.concept && y.status != x.status)
                else {
                    continue;
                };
                if mixed(ma, x.concept) || mixed(mb, x.concept) {
                    continue;
                }
                if !reported.insert(x.concept) {
                    continue;
                }
                let concept = rules.concepts.get(x.concept);
                out.push(Finding {
                    kind: Kind::Contradiction,
                    severity: Severity::Warning,
                    rule: None,
                    reason: None,
                    item: Some(*ib),
                    message: format!(
                        "the rationales of items {ia} and {ib} say opposite things of {}",
                        concept.title.to_lowercase()
                    ),
                    help: "make the rationales agree with each other and with the case summary"
                        .into(),
                    labels: vec![
                        label(letter, &x.range, format!("item {ia}: {}", x.status.id())),
                        label(letter, &y.range, format!("item {ib}: {}", y.status.id())),
                    ],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::{findings, has};
    use crate::check::Kind;

    const LOW_BACK: &str =
        "Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies.";

    fn found(second: &str) -> bool {
        let items = [
            (
                "MRI of the lumbar spine",
                "Upheld",
                LOW_BACK,
                "On examination the patient had no neurologic deficit. The request is not medically necessary.",
            ),
            ("EMG of the lower extremities", "Upheld", LOW_BACK, second),
        ];
        has(
            &findings("A 45 year old male with low back pain.", &items),
            Kind::Contradiction,
        )
    }

    #[test]
    fn two_rationales_saying_opposite_things() {
        assert!(found(
            "The patient has a clear neurologic deficit with foot drop. Not medically necessary."
        ));
        // Near miss: the second rationale says the same.
        assert!(!found(
            "On examination the patient had no neurologic deficit. Not medically necessary."
        ));
    }
}
