//! The facts as the rules and the reports see them: plain serializable types, each fact with its
//! place in the letter.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::Serialize;

use super::dates::Precision;
use crate::letter::Decision;
use crate::rules::Status;
use crate::rules::drugs::{DrugId, FormularyStatus, ProductKind};
use crate::text::Span;

/// A value and the place in the letter it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Spanned<T> {
    pub value: T,
    #[serde(flatten)]
    pub span: Span,
}

/// A count of sessions already completed, and whether it is only a lower bound ('at least 6
/// sessions'): enough to show a course exceeded, not to say how many.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CompletedSessions {
    pub value: u32,
    pub at_least: bool,
    /// Other counts the summary states for the same treatment ('completed six (6) visits' and
    /// later 'five visits'): the largest is taken, and these are kept to say so.
    pub also_stated: Vec<u32>,
    #[serde(flatten)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Facts {
    /// The id of the letter's layout in `layouts.yaml`.
    pub layout: String,
    pub header: BTreeMap<String, Spanned<String>>,
    pub reviewer: BTreeMap<String, Spanned<String>>,
    /// The reviewer's specialty, by which reports group items.
    #[serde(skip)]
    pub specialty: Option<String>,
    pub reference_date: Option<ReferenceDate>,
    pub patient: Patient,
    pub diagnoses: Vec<Spanned<String>>,
    pub work_status: Vec<ConceptFact>,
    pub medications: Vec<Medication>,
    pub concepts: Vec<ConceptFact>,
    pub dates: Vec<DateFact>,
    pub items: Vec<ItemFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DateFact {
    /// The date, or the first day of the month or year the text gives.
    pub date: String,
    pub precision: Precision,
    pub text: String,
    #[serde(flatten)]
    pub span: Span,
    #[serde(skip)]
    pub earliest: Date,
    #[serde(skip)]
    pub latest: Date,
}

/// Which date a letter's request is judged at, and why that one.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReferenceDate {
    pub date: String,
    pub source: ReferenceSource,
    #[serde(flatten)]
    pub span: Span,
    #[serde(skip)]
    pub value: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceSource {
    RequestForAuthorization,
    UtilizationReview,
    LatestNote,
    Decision,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Patient {
    pub age: Option<Spanned<u32>>,
    pub sex: Option<Spanned<String>>,
    pub date_of_injury: Option<DateFact>,
    /// Whole weeks from the injury to the reference date: how long the condition has lasted.
    pub weeks_since_injury: Option<i64>,
    /// The longest treatment the summary gives a duration for, in weeks ('physical therapy for
    /// six weeks', 'three months of conservative care'), in a sentence that mentions treatment.
    pub treatment_weeks: Option<Spanned<u32>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConceptFact {
    pub concept: String,
    pub status: Status,
    pub text: String,
    #[serde(flatten)]
    pub span: Span,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
}

/// A drug the summary names, with what the summary says of its use.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Medication {
    #[schemars(extend("x-vocabulary" = "drugs"))]
    pub drug: String,
    #[schemars(extend("x-vocabulary" = "classes"))]
    pub class: String,
    /// The names the letter uses for it.
    pub names: Vec<String>,
    /// The earliest date in a sentence naming the drug (not counting sentences about the
    /// request or its review, whose dates are not use).
    pub first_documented: Option<DateFact>,
    /// Concepts in the sentences naming the drug (`long-term-use`, `ongoing-use`, `efficacy`, ...).
    #[schemars(extend("x-key-vocabulary" = "concepts"))]
    pub concepts: BTreeMap<String, Status>,
    pub mentions: Vec<Span>,
    #[serde(skip)]
    pub(super) drug_id: DrugId,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ItemFacts {
    pub index: usize,
    pub treatment: Spanned<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_request: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized: Option<Spanned<String>>,
    pub decision: Spanned<Decision>,
    #[schemars(extend("x-vocabulary" = "categories"))]
    pub category: String,
    pub drug: Option<ItemDrug>,
    /// Every drug the treatment names (compounded products name several).
    pub drugs: Vec<ItemDrug>,
    pub request: RequestFacts,
    /// Use of the item's drug before the request, from the summary.
    #[serde(rename = "use")]
    pub drug_use: Option<DrugUse>,
    pub guideline: ItemGuideline,
    pub rationale: Option<Span>,
    /// Sessions of this item's treatment the summary says were already completed (the largest
    /// count stated).
    pub completed_sessions: Option<CompletedSessions>,
    /// Where the summary says this item's kind of treatment was already given, count or not.
    pub prior_treatment: Option<Span>,
    /// For a service that belongs to a procedure (its category `follows` another): the item of
    /// the letter it belongs to.
    pub procedure: Option<Procedure>,
    /// What the summary says in the sentences naming the item's body part: per concept, its
    /// strongest status (affirmed over historical, uncertain, negated) and the first date of the
    /// sentence that gave it ('an MRI of the lumbar spine dated 08/02/2016 showed ...').
    #[schemars(extend("x-key-vocabulary" = "concepts"))]
    pub related: BTreeMap<String, RelatedConcept>,
    /// For an item naming a body part, the same for the summary sentences that tie a concept to
    /// no body part at all: such a finding may be this item's or another's ('an abscess was
    /// drained').
    #[schemars(extend("x-key-vocabulary" = "concepts"))]
    pub unplaced: BTreeMap<String, RelatedConcept>,
    /// For an item naming a body part, the same for the summary sentences that name a part of its
    /// region (anatomy.yaml `region`: the leg for the lumbar spine) and not the part itself.
    #[schemars(extend("x-key-vocabulary" = "concepts"))]
    pub regional: BTreeMap<String, RelatedConcept>,
}

impl ItemFacts {
    /// The anatomy.yaml ids of the body parts the request names.
    pub fn body_part_ids(&self) -> Vec<&str> {
        self.request
            .body_parts
            .iter()
            .map(|b| b.value.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RelatedConcept {
    pub status: Status,
    /// The words that mention it ('MRI of the lumbar spine dated').
    pub text: String,
    pub date: Option<DateFact>,
    pub line: usize,
}

/// The item a service belongs to: the nearest earlier item of the followed category, else the
/// nearest later one.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Procedure {
    pub index: usize,
    pub treatment: String,
    #[schemars(extend("x-vocabulary" = "categories"))]
    pub category: String,
    pub decision: Decision,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ItemDrug {
    #[schemars(extend("x-vocabulary" = "drugs"))]
    pub name: String,
    #[schemars(extend("x-vocabulary" = "classes"))]
    pub class: String,
    /// The class of the drug itself, when the dosage form puts the item in another one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-vocabulary" = "classes"))]
    pub own_class: Option<String>,
    /// For a product of several ingredients: what kind (topical-compound, medical-food, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ProductKind>,
    /// The dosage form the product is dispensed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// Its status on the MTUS Drug List (exempt or non-exempt); absent for an unlisted drug.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formulary: Option<FormularyStatus>,
    pub written: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub misspelled: bool,
    #[serde(flatten)]
    pub span: Span,
    #[serde(skip)]
    pub drug_id: DrugId,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct RequestFacts {
    pub strength: Option<Spanned<String>>,
    pub quantity: Option<Spanned<f64>>,
    pub quantity_unit: Option<String>,
    pub frequency: Option<FrequencyFact>,
    pub refills: Option<Spanned<u32>>,
    pub days_supply: Option<Spanned<u32>>,
    pub sessions: Option<Spanned<u32>>,
    pub weeks: Option<Spanned<u32>>,
    #[schemars(extend("x-vocabulary" = "body-parts"))]
    pub body_parts: Vec<Spanned<String>>,
    #[schemars(extend("x-vocabulary" = "sides"))]
    pub sides: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FrequencyFact {
    pub per_day: Option<[f64; 2]>,
    pub per_week: Option<[f64; 2]>,
    pub as_needed: bool,
    pub text: String,
    #[serde(flatten)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DrugUse {
    pub first_documented: Option<DateFact>,
    /// Whole weeks from the first documented use to the reference date.
    pub weeks: Option<i64>,
    #[schemars(extend("x-key-vocabulary" = "concepts"))]
    pub concepts: BTreeMap<String, Status>,
}

#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct ItemGuideline {
    pub claims_administrator: Option<LineFacts>,
    pub reviewer: Option<LineFacts>,
    /// Pages the rationale itself cites.
    pub rationale_pages: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LineFacts {
    pub no_evidence: bool,
    pub citations: Vec<CitationFact>,
    #[serde(flatten)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CitationFact {
    pub text: String,
    pub mtus: bool,
    pub document: Option<String>,
    pub edition: Option<String>,
    /// Whether the edition is named in the citation (else the letter's date implies it).
    pub edition_stated: bool,
    pub chapters: Vec<Spanned<String>>,
    pub topics: Vec<Spanned<String>>,
    pub sections: Vec<Spanned<String>>,
    pub pages: Vec<Spanned<String>>,
    #[serde(flatten)]
    pub span: Span,
}

/// The `letter` variable of rule conditions: what a condition reads of the letter as a whole.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LetterFacts<'a> {
    /// The layout the letter was read with (layouts.yaml).
    pub layout: &'a str,
    /// The header's fields by name (`Date of Injury`).
    pub header: &'a BTreeMap<String, Spanned<String>>,
    /// The date the request is judged at.
    pub reference_date: Option<&'a ReferenceDate>,
}

impl Facts {
    pub fn letter_facts(&self) -> LetterFacts<'_> {
        LetterFacts {
            layout: &self.layout,
            header: &self.header,
            reference_date: self.reference_date.as_ref(),
        }
    }
}
