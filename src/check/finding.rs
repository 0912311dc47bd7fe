//! The finding model: kinds, severities, findings and the places they label.

use std::ops::Range;

use serde::Serialize;

use crate::letter::Letter;
use crate::text::Span;

/// How a finding ranks, for `--fail-on` and displays.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

/// The severity from which a run fails (exit 1), or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    /// Every threshold by its name on the command line and in settings.
    pub const ALL: [(FailOn, &'static str); 4] = [
        (FailOn::Error, "error"),
        (FailOn::Warning, "warning"),
        (FailOn::Note, "note"),
        (FailOn::Never, "never"),
    ];

    pub fn from_name(name: &str) -> Option<FailOn> {
        FailOn::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }

    /// The lowest severity that fails the run.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

impl Severity {
    pub fn id(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    MissingReason,
    UnsupportedClaim,
    UnverifiedClaim,
    DecisionInconsistent,
    CitationMismatch,
    GuidelineMismatch,
    NoGuideline,
    Contradiction,
    RecordContradiction,
    Misspelling,
    NoRule,
    Unreadable,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::MissingReason => "missing-reason",
            Kind::UnsupportedClaim => "unsupported-claim",
            Kind::UnverifiedClaim => "unverified-claim",
            Kind::DecisionInconsistent => "decision-inconsistent",
            Kind::CitationMismatch => "citation-mismatch",
            Kind::GuidelineMismatch => "guideline-mismatch",
            Kind::NoGuideline => "no-guideline",
            Kind::Contradiction => "contradiction",
            Kind::RecordContradiction => "record-contradiction",
            Kind::Misspelling => "misspelling",
            Kind::NoRule => "no-rule",
            Kind::Unreadable => "unreadable",
        }
    }

    /// What the kind means, for reports that describe their rules (SARIF).
    pub fn description(self) -> &'static str {
        match self {
            Kind::MissingReason => {
                "The rationale does not give a guideline reason that applies to the item"
            }
            Kind::UnsupportedClaim => "The rationale gives a reason the letter's facts contradict",
            Kind::UnverifiedClaim => {
                "The rationale gives a reason the case summary does not establish"
            }
            Kind::DecisionInconsistent => {
                "The decision disagrees with the rationale's conclusion or with the decision it depends on"
            }
            Kind::CitationMismatch => {
                "A cited page or section is outside the cited topic or differs from the guideline line, or the cited topic is written for a later stage of care than the request's"
            }
            Kind::GuidelineMismatch => "The cited guideline topic does not fit the item",
            Kind::NoGuideline => "The reviewer cited no medical evidence",
            Kind::Contradiction => "Two rationales of one letter state opposite facts",
            Kind::RecordContradiction => {
                "The rationale states a fact of the record (the date of injury, a side) that the letter gives otherwise"
            }
            Kind::Misspelling => "A drug name is misspelled",
            Kind::NoRule => "No rule covers the item: nothing about it was checked",
            Kind::Unreadable => "The file could not be read as a determination letter",
        }
    }
}

impl Finding {
    /// The finding's code: its kind, with the rule and reason that raised it
    /// (`missing-reason[mtus-opioids/drug-screen-missing]`).
    pub fn code(&self) -> String {
        match (&self.rule, &self.reason) {
            (Some(rule), Some(reason)) => format!("{}[{rule}/{reason}]", self.kind.id()),
            (Some(rule), None) => format!("{}[{rule}]", self.kind.id()),
            _ => self.kind.id().to_string(),
        }
    }
}

/// A labelled place in the letter.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    #[serde(flatten)]
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub item: Option<usize>,
    pub message: String,
    pub help: String,
    pub labels: Vec<Label>,
}

pub(super) fn label(letter: &Letter, r: &Range<usize>, text: impl Into<String>) -> Label {
    Label {
        span: letter.text.span(r.clone()),
        text: text.into(),
    }
}
