//! The rationale's conclusion against its label, and a service against the procedure it
//! belongs to: decision-inconsistent.

use std::ops::Range;

use super::finding::{Finding, Kind, Severity, label};
use crate::facts::ItemFacts;
use crate::letter::{Decision, Item, Letter};

/// A service certified although the procedure it belongs to is not: the letter approves what
/// only that procedure would need.
pub(super) fn procedure_finding(
    letter: &Letter,
    item: &Item,
    facts: &ItemFacts,
) -> Option<Finding> {
    let procedure = facts.procedure.as_ref()?;
    if item.decision != Decision::Overturned || procedure.decision != Decision::Upheld {
        return None;
    }
    let of_procedure = letter.items.iter().find(|i| i.index == procedure.index)?;
    Some(Finding {
        kind: Kind::DecisionInconsistent,
        severity: Severity::Warning,
        rule: None,
        reason: None,
        item: Some(item.index),
        message: format!(
            "the service is certified, but the procedure it belongs to ({}) is not",
            procedure.treatment
        ),
        help:
            "uphold the service with its procedure, or say why it is needed without the procedure"
                .into(),
        labels: vec![
            label(letter, &item.decision_label, "certified"),
            label(
                letter,
                &of_procedure.decision_label,
                "procedure not certified",
            ),
        ],
    })
}

pub(super) fn decision_finding(
    letter: &Letter,
    item: &Item,
    conclusion: Option<&(Decision, Range<usize>)>,
) -> Option<Finding> {
    let (said, at) = conclusion?;
    if item.decision == Decision::Unknown || *said == item.decision {
        return None;
    }
    Some(Finding {
        kind: Kind::DecisionInconsistent,
        severity: Severity::Error,
        rule: None,
        reason: None,
        item: Some(item.index),
        message: format!("the item is labelled {} but its rationale concludes it is {}", item.decision.id(), said.id()),
        help: "make the conclusion sentence and the decision label agree: Upheld means not medically necessary, Overturned means medically necessary".into(),
        labels: vec![
            label(letter, &item.decision_label, format!("labelled {}", item.decision.id())),
            label(letter, at, format!("concludes {}", said.id())),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NO_EVIDENCE, findings, has};
    use crate::check::Kind;

    #[test]
    fn a_conclusion_against_the_label_is_inconsistent() {
        let item = |rationale| {
            [(
                "Aquatic therapy six sessions",
                "Upheld",
                NO_EVIDENCE,
                rationale,
            )]
        };
        let found = findings(
            "A 45 year old male.",
            &item("The request is medically necessary."),
        );
        assert!(has(&found, Kind::DecisionInconsistent), "{found:?}");
        // Near miss: the same words negated agree with Upheld.
        let found = findings(
            "A 45 year old male.",
            &item("The request is not medically necessary."),
        );
        assert!(!has(&found, Kind::DecisionInconsistent), "{found:?}");
    }
}
