//! The Facts stage: what a letter's header and case summary establish, and what each item
//! requests and cites. Facts come from the summary and the header, never from the rationale being
//! checked (only the pages a rationale cites are read from it, to compare citations).

pub mod citations;
pub mod context;
pub mod dates;
pub mod request;
pub mod schema;

mod items;
mod medications;
mod model;
mod patient;
mod treatment;

use std::collections::BTreeMap;
use std::ops::Range;

use regex::Regex;

use crate::letter::{FieldMeaning, Letter};
use crate::rules::RuleSet;
use crate::rules::concepts::GroupRole;
use crate::text::{Text, sentences};
use dates::FoundDate;

pub use items::{SidedPart, sided_parts};
use items::{item_facts, link_procedures, relate_body_parts};
use medications::medications;
pub use model::*;
use patient::{age_and_sex, diagnoses, injury_date, reference_date};
pub use patient::{injury_dates, stated_injury_dates};
use treatment::{TreatmentSentences, treatment_weeks};

/// Reads the facts of a letter.
pub fn extract(letter: &Letter, rules: &RuleSet) -> Facts {
    let text = &letter.text;
    let folded = text.folded();
    let spanned = |value: String, r: &Range<usize>| Spanned {
        value,
        span: text.span(r.clone()),
    };
    let header: BTreeMap<_, _> = letter
        .header
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                spanned(letter.folded(&f.value).to_string(), &f.value),
            )
        })
        .collect();
    let reviewer: BTreeMap<_, _> = letter
        .credentials
        .iter()
        .map(|f| {
            (
                f.name.clone(),
                spanned(letter.folded(&f.value).to_string(), &f.value),
            )
        })
        .collect();
    let summary = letter.summary.clone().unwrap_or(0..0);
    let summary_sentences = sentences(folded, summary.clone());
    let summary_dates = dates::find(folded, summary.clone());
    let date_fact = |d: &FoundDate| DateFact {
        date: d.earliest.to_string(),
        precision: d.precision,
        text: folded[d.range.clone()].to_string(),
        span: text.span(d.range.clone()),
        earliest: d.earliest,
        latest: d.latest,
    };
    let mentions = context::mentions(&rules.concepts, &rules.context, folded, &summary_sentences);
    let concept_fact = |m: &context::Mention| ConceptFact {
        concept: rules.concepts.get(m.concept).id.clone(),
        status: m.status,
        text: folded[m.range.clone()].to_string(),
        span: text.span(m.range.clone()),
        trigger: m.trigger.as_ref().map(|t| folded[t.clone()].to_string()),
    };
    let concepts: Vec<ConceptFact> = mentions.iter().map(concept_fact).collect();
    let work_status = mentions
        .iter()
        .filter(|m| rules.concepts.has_role(m.concept, GroupRole::WorkStatus))
        .map(concept_fact)
        .collect();

    let field_date = |meaning: FieldMeaning| {
        letter
            .field_meaning(meaning)
            .and_then(|f| dates::parse_value(folded, f.value.clone()))
    };
    let phrases = &rules.requests.summary;
    let injury = field_date(FieldMeaning::DateOfInjury)
        .or_else(|| injury_date(folded, &summary_sentences, phrases));
    let reference_date = reference_date(
        letter,
        phrases,
        &summary_sentences,
        &summary_dates,
        injury.as_ref(),
        field_date(FieldMeaning::UtilizationReviewDate),
        field_date(FieldMeaning::DecisionDate),
    );
    let medications = medications(text, rules, &summary_sentences, &mentions);
    let (age, sex) = age_and_sex(text, &summary_sentences, phrases);
    let on = reference_date
        .as_ref()
        .map(|r| r.value)
        .or_else(|| field_date(FieldMeaning::DecisionDate).map(|d| d.earliest));
    let earlier = TreatmentSentences::new(folded, rules, &summary_sentences);
    let items = letter
        .items
        .iter()
        .map(|item| {
            item_facts(
                letter,
                rules,
                item,
                &medications,
                &earlier,
                reference_date.as_ref(),
                on,
            )
        })
        .collect::<Vec<ItemFacts>>();
    let items = link_procedures(items, rules);
    let items = relate_body_parts(items, text, rules, &mentions, &summary_dates);
    let weeks_since_injury = match (&injury, &reference_date) {
        (Some(i), Some(r)) if i.latest <= r.value => {
            Some((r.value - i.latest).get_days() as i64 / 7)
        }
        _ => None,
    };
    // As the reviewer map keeps it: the last credential stated.
    let specialty = letter
        .credentials
        .iter()
        .rev()
        .find(|f| f.meaning == Some(FieldMeaning::Specialty))
        .map(|f| letter.folded(&f.value).to_string());
    Facts {
        layout: letter.layout.clone(),
        header,
        reviewer,
        specialty,
        reference_date,
        patient: Patient {
            age,
            sex,
            date_of_injury: injury.as_ref().map(date_fact),
            weeks_since_injury,
            treatment_weeks: treatment_weeks(text, rules, &mentions),
        },
        diagnoses: diagnoses(text, &summary_sentences, phrases),
        work_status,
        medications,
        concepts,
        dates: summary_dates.iter().map(date_fact).collect(),
        items,
    }
}

fn date_fact(text: &Text, d: &FoundDate) -> DateFact {
    DateFact {
        date: d.earliest.to_string(),
        precision: d.precision,
        text: text.folded()[d.range.clone()].to_string(),
        span: text.span(d.range.clone()),
        earliest: d.earliest,
        latest: d.latest,
    }
}

/// Whether any of the patterns matches in the text.
fn any_match(patterns: &[Regex], text: &str) -> bool {
    patterns.iter().any(|re| re.is_match(text))
}

/// A parsed request value with its place in the letter.
fn placed<T>(text: &Text, at: request::At<T>) -> Spanned<T> {
    Spanned {
        value: at.value,
        span: text.span(at.range),
    }
}

fn page_text((a, b): (u32, u32)) -> String {
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}
