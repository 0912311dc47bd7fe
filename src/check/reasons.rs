//! Reasons against the rationale: missing-reason, unsupported-claim and unverified-claim.

use super::ReasonResult;
use super::finding::{Finding, Kind, Severity, label};
use crate::letter::{Decision, Item, Letter};
use crate::rules::RuleSet;
use crate::rules::checks::Role;
use crate::rules::reasons::ReasonKind;

pub(super) fn reason_findings(
    letter: &Letter,
    item: &Item,
    reasons: &[ReasonResult],
    rules: &RuleSet,
) -> Vec<Finding> {
    let rationale = item.rationale.clone().unwrap_or(item.heading.clone());
    if item.decision == Decision::Overturned {
        // An overturned rationale argues for the treatment and makes no claims against it; a
        // primary reason against it that applies and goes unaddressed is a note for the auditor.
        return reasons
            .iter()
            .filter(|r| r.role == Role::Primary && r.applies == Some(true) && !r.cited)
            .map(|r| Finding {
                kind: Kind::MissingReason,
                severity: Severity::Note,
                rule: Some(r.rule.clone()),
                reason: Some(r.reason.clone()),
                item: Some(item.index),
                message: format!(
                    "overturned although a primary reason against it applies: {}",
                    r.message
                ),
                help: format!(
                    "if the request is still necessary, say why despite this: {}",
                    r.help
                ),
                labels: vec![label(
                    letter,
                    &(rationale.start..rationale.start + 1),
                    "this rationale",
                )],
            })
            .collect();
    }
    if item.decision != Decision::Upheld {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in reasons {
        let Some(reason) = rules.reasons.index(&r.reason).map(|i| rules.reasons.get(i)) else {
            continue;
        };
        let title = reason.title.as_str();
        let (kind, severity, message, at) = match (r.applies, r.cited) {
            (Some(true), false) => {
                let severity = if r.role == Role::Primary {
                    Severity::Warning
                } else {
                    Severity::Note
                };
                (
                    Kind::MissingReason,
                    severity,
                    format!(
                        "the rationale does not give a reason that applies: {}",
                        r.message
                    ),
                    rationale.start..rationale.start + 1,
                )
            }
            (Some(false), true) if r.claim.is_some() => (
                Kind::UnsupportedClaim,
                Severity::Warning,
                format!("the rationale claims a reason the facts do not support: {title}"),
                r.claim.clone().unwrap_or(rationale.clone()),
            ),
            // A documentation reason left unknown (a first prescription has no benefit to ask
            // of) is still true of the record: saying the record lacks it claims nothing more.
            (None, true) if reason.kind == ReasonKind::State && r.claim.is_some() => (
                Kind::UnverifiedClaim,
                Severity::Note,
                format!(
                    "the rationale claims a reason the case summary does not establish: {title}"
                ),
                r.claim.clone().unwrap_or(rationale.clone()),
            ),
            _ => continue,
        };
        out.push(Finding {
            kind,
            severity,
            rule: Some(r.rule.clone()),
            reason: Some(r.reason.clone()),
            item: Some(item.index),
            message,
            help: r.help.clone(),
            labels: std::iter::once(label(
                letter,
                &at,
                if r.cited {
                    "cited here"
                } else {
                    "this rationale"
                },
            ))
            .chain(r.evidence.iter().cloned())
            .collect(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::testing::findings;
    use crate::check::Kind;

    const BENZODIAZEPINES: &str =
        "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Benzodiazepines.";
    const SUMMARY: &str = "The injured worker is a 45 year old male with anxiety. Clonazepam 1 mg twice daily has been prescribed since 01/2014.";

    fn long_term_use_missing(rationale: &str) -> bool {
        findings(
            SUMMARY,
            &[("Clonazepam 1 mg #60", "Upheld", BENZODIAZEPINES, rationale)],
        )
        .iter()
        .any(|(k, _, r)| *k == Kind::MissingReason && r.as_deref() == Some("long-term-use"))
    }

    #[test]
    fn a_deciding_reason_that_applies_and_is_not_given_is_missing() {
        assert!(long_term_use_missing(
            "The request is not medically necessary."
        ));
        // Near miss: the rationale gives it.
        assert!(!long_term_use_missing(
            "The patient has taken clonazepam on a long-term basis. The request is not medically necessary."
        ));
    }

    #[test]
    fn an_overturned_rationale_makes_no_claims() {
        let found = findings(
            SUMMARY,
            &[(
                "Clonazepam 1 mg #60",
                "Overturned",
                BENZODIAZEPINES,
                "The request is medically necessary.",
            )],
        );
        assert!(
            !found
                .iter()
                .any(|(k, _, _)| matches!(k, Kind::UnsupportedClaim | Kind::UnverifiedClaim)),
            "{found:?}"
        );
    }
}
