//! The Facts stage: what a letter's header and case summary establish, and what each item
//! requests and cites. Facts come from the summary and the header, never from the rationale being
//! checked (only the pages a rationale cites are read from it, to compare citations).

pub mod citations;
pub mod context;
pub mod dates;
pub mod request;

use std::collections::BTreeMap;
use std::ops::Range;

use jiff::civil::Date;
use regex::Regex;
use serde::Serialize;

use crate::letter::{Decision, Layout, Letter};
use crate::rules::categories::Counts;
use crate::rules::concepts::GroupRole;
use crate::rules::patterns::PatternMatch;
use crate::rules::requests::Summary;
use crate::rules::{RuleSet, Status};
use crate::text::{Span, Text, sentences};
use citations::GuidelineLine;
use dates::{FoundDate, Precision};

/// A value and the place in the letter it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spanned<T> {
    pub value: T,
    #[serde(flatten)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct Facts {
    pub layout: Layout,
    pub header: BTreeMap<&'static str, Spanned<String>>,
    pub reviewer: BTreeMap<&'static str, Spanned<String>>,
    pub reference_date: Option<ReferenceDate>,
    pub patient: Patient,
    pub diagnoses: Vec<Spanned<String>>,
    pub work_status: Vec<ConceptFact>,
    pub medications: Vec<Medication>,
    pub concepts: Vec<ConceptFact>,
    pub dates: Vec<DateFact>,
    pub items: Vec<ItemFacts>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceDate {
    pub date: String,
    pub source: ReferenceSource,
    #[serde(flatten)]
    pub span: Span,
    #[serde(skip)]
    pub value: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReferenceSource {
    RequestForAuthorization,
    UtilizationReview,
    LatestNote,
    Decision,
}

#[derive(Debug, Clone, Default, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Medication {
    pub drug: String,
    pub class: String,
    /// The names the letter uses for it.
    pub names: Vec<String>,
    /// The earliest date in a sentence naming the drug (not counting sentences about the
    /// request or its review, whose dates are not use).
    pub first_documented: Option<DateFact>,
    /// Concepts in the sentences naming the drug (`long-term-use`, `ongoing-use`, `efficacy`, ...).
    pub concepts: BTreeMap<String, Status>,
    pub mentions: Vec<Span>,
    #[serde(skip)]
    drug_index: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemFacts {
    pub index: usize,
    pub treatment: Spanned<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_request: Option<Spanned<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorized: Option<Spanned<String>>,
    pub decision: Spanned<Decision>,
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
    pub completed_sessions: Option<Spanned<u32>>,
    /// Where the summary says this item's kind of treatment was already given, count or not.
    pub prior_treatment: Option<Span>,
    /// For a service that belongs to a procedure (its category `follows` another): the item of
    /// the letter it belongs to.
    pub procedure: Option<Procedure>,
    /// What the summary says in the sentences naming the item's body part: per concept, its
    /// strongest status (affirmed over historical, uncertain, negated) and the first date of the
    /// sentence that gave it ('an MRI of the lumbar spine dated 08/02/2016 showed ...').
    pub related: BTreeMap<String, RelatedConcept>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RelatedConcept {
    pub status: Status,
    /// The words that mention it ('MRI of the lumbar spine dated').
    pub text: String,
    pub date: Option<DateFact>,
    pub line: usize,
}

/// The item a service belongs to: the nearest earlier item of the followed category, else the
/// nearest later one.
#[derive(Debug, Clone, Serialize)]
pub struct Procedure {
    pub index: usize,
    pub treatment: String,
    pub category: String,
    pub decision: Decision,
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemDrug {
    pub name: String,
    pub class: String,
    /// The class of the drug itself, when the dosage form puts the item in another one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_class: Option<String>,
    pub written: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub misspelled: bool,
    #[serde(flatten)]
    pub span: Span,
    #[serde(skip)]
    pub drug_index: usize,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct RequestFacts {
    pub strength: Option<Spanned<String>>,
    pub quantity: Option<Spanned<f64>>,
    pub quantity_unit: Option<String>,
    pub frequency: Option<FrequencyFact>,
    pub refills: Option<Spanned<u32>>,
    pub days_supply: Option<Spanned<u32>>,
    pub sessions: Option<Spanned<u32>>,
    pub weeks: Option<Spanned<u32>>,
    pub body_parts: Vec<Spanned<String>>,
    pub sides: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FrequencyFact {
    pub per_day: Option<[f64; 2]>,
    pub per_week: Option<[f64; 2]>,
    pub as_needed: bool,
    pub text: String,
    #[serde(flatten)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
pub struct DrugUse {
    pub first_documented: Option<DateFact>,
    /// Whole weeks from the first documented use to the reference date.
    pub weeks: Option<i64>,
    pub concepts: BTreeMap<String, Status>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ItemGuideline {
    pub claims_administrator: Option<LineFacts>,
    pub reviewer: Option<LineFacts>,
    /// Pages the rationale itself cites.
    pub rationale_pages: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LineFacts {
    pub no_evidence: bool,
    pub citations: Vec<CitationFact>,
    #[serde(flatten)]
    pub span: Span,
}

#[derive(Debug, Clone, Serialize)]
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
                f.name,
                spanned(letter.folded(&f.value).to_string(), &f.value),
            )
        })
        .collect();
    let reviewer: BTreeMap<_, _> = letter
        .credentials
        .iter()
        .map(|f| {
            (
                f.name,
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
        concept: rules.concepts.concepts[m.concept].id.clone(),
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

    let field_date = |name: &str| {
        letter
            .field(name)
            .and_then(|f| dates::parse_value(folded, f.value.clone()))
    };
    let phrases = &rules.requests.summary;
    let injury =
        field_date("Date of Injury").or_else(|| injury_date(folded, &summary_sentences, phrases));
    let reference_date = reference_date(
        letter,
        phrases,
        &summary_sentences,
        &summary_dates,
        injury.as_ref(),
        field_date("UR Denial Date"),
        field_date("Decision Date"),
    );
    let medications = medications(text, rules, &summary_sentences, &mentions);
    let (age, sex) = age_and_sex(text, &summary_sentences, phrases);
    let on = reference_date
        .as_ref()
        .map(|r| r.value)
        .or_else(|| field_date("Decision Date").map(|d| d.earliest));
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
    Facts {
        layout: letter.layout,
        header,
        reviewer,
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

/// The longest treatment duration stated in a summary sentence mentioning a treatment concept.
fn treatment_weeks(
    text: &Text,
    rules: &RuleSet,
    mentions: &[context::Mention],
) -> Option<Spanned<u32>> {
    let folded = text.folded();
    // A duration in a sentence about the request ('requested ... a program for 2 weeks') is the
    // request's, not treatment given.
    let about_request = |s: &Range<usize>| {
        rules
            .requests
            .about_the_request
            .iter()
            .any(|re| re.is_match(&folded[s.clone()]))
    };
    let mut sentences: Vec<Range<usize>> = mentions
        .iter()
        .filter(|m| {
            rules
                .concepts
                .has_role(m.concept, GroupRole::TreatmentGiven)
        })
        .map(|m| m.sentence.clone())
        .filter(|s| !about_request(s))
        .collect();
    sentences.dedup();
    let mut best: Option<(u32, Range<usize>)> = None;
    for s in sentences {
        for re in &rules.requests.treatment_duration {
            for caps in re.captures_iter(&folded[s.clone()]) {
                let (Some(whole), Some(n), Some(unit)) =
                    (caps.get(0), caps.name("n"), caps.name("unit"))
                else {
                    continue;
                };
                let Some(n) = request::number(n.as_str()) else {
                    continue;
                };
                let unit = unit.as_str().to_ascii_lowercase();
                let weeks = if unit.starts_with("month") {
                    n * 52.0 / 12.0
                } else if unit.starts_with("day") {
                    n / 7.0
                } else {
                    n
                };
                let weeks = weeks.floor() as u32;
                if best.as_ref().is_none_or(|(b, _)| weeks > *b) {
                    best = Some((weeks, s.start + whole.start()..s.start + whole.end()));
                }
            }
        }
    }
    best.map(|(value, r)| Spanned {
        value,
        span: text.span(r),
    })
}

/// For each item naming a body part, the concepts of the summary sentences that name it too.
fn relate_body_parts(
    mut items: Vec<ItemFacts>,
    text: &Text,
    rules: &RuleSet,
    mentions: &[context::Mention],
    dates: &[FoundDate],
) -> Vec<ItemFacts> {
    let Some(whole) = mentions
        .iter()
        .map(|m| m.sentence.clone())
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
    else {
        return items;
    };
    let folded = text.folded();
    let parts = rules.anatomy.part_patterns.find_all(folded, whole.clone());
    let sides = rules.anatomy.side_patterns.find_all(folded, whole);
    for item in &mut items {
        let wanted: Vec<usize> = item
            .request
            .body_parts
            .iter()
            .filter_map(|b| {
                rules
                    .anatomy
                    .body_parts
                    .iter()
                    .position(|x| x.id == b.value)
            })
            .collect();
        let wanted_sides: Vec<usize> = item
            .request
            .sides
            .iter()
            .filter_map(|s| rules.anatomy.sides.iter().position(|x| x.id == s.value))
            .collect();
        for m in mentions {
            let inside = |r: &Range<usize>| m.sentence.start <= r.start && r.end <= m.sentence.end;
            let names_part = parts
                .iter()
                .any(|p| wanted.contains(&p.owner) && inside(&p.range));
            // A sentence about the other side is not about this item ('an MRI of the left knee'
            // for a request for the right knee).
            let sentence_sides: Vec<usize> = sides
                .iter()
                .filter(|s| inside(&s.range))
                .map(|s| s.owner)
                .collect();
            // Sides that cover both ('bilateral') agree with either.
            let both = |i: &usize| rules.anatomy.sides[*i].both;
            let other_side = !wanted_sides.is_empty()
                && !sentence_sides.is_empty()
                && !wanted_sides.iter().any(both)
                && !sentence_sides.iter().any(both)
                && !sentence_sides.iter().any(|s| wanted_sides.contains(s));
            if !names_part || other_side {
                continue;
            }
            let id = rules.concepts.concepts[m.concept].id.clone();
            if item
                .related
                .get(&id)
                .is_some_and(|r| r.status.documents() >= m.status.documents())
            {
                continue;
            }
            let date = dates
                .iter()
                .find(|d| m.sentence.start <= d.range.start && d.range.end <= m.sentence.end)
                .map(|d| date_fact(text, d));
            item.related.insert(
                id,
                RelatedConcept {
                    status: m.status,
                    text: folded[m.range.clone()].to_string(),
                    date,
                    line: text.span(m.range.clone()).line,
                },
            );
        }
    }
    items
}

/// Each service's procedure, for categories that follow another.
fn link_procedures(mut items: Vec<ItemFacts>, rules: &RuleSet) -> Vec<ItemFacts> {
    let follows = |category: &str| {
        rules
            .categories
            .index(category)
            .and_then(|i| rules.categories.categories[i].follows.clone())
    };
    for i in 0..items.len() {
        let Some(wanted) = follows(&items[i].category) else {
            continue;
        };
        let before = (0..i).rev().find(|&j| items[j].category == wanted);
        let after = (i + 1..items.len()).find(|&j| items[j].category == wanted);
        items[i].procedure = before.or(after).map(|j| Procedure {
            index: items[j].index,
            treatment: items[j].treatment.value.clone(),
            category: items[j].category.clone(),
            decision: items[j].decision.value,
        });
    }
    items
}

/// The summary's sentences with the item categories each names, found once per letter for every
/// item's questions about earlier treatment.
struct TreatmentSentences {
    sentences: Vec<(Range<usize>, Vec<PatternMatch>)>,
}

impl TreatmentSentences {
    fn new(folded: &str, rules: &RuleSet, sentences: &[Range<usize>]) -> TreatmentSentences {
        TreatmentSentences {
            sentences: sentences
                .iter()
                .map(|s| {
                    (
                        s.clone(),
                        rules.categories.patterns.find_all(folded, s.clone()),
                    )
                })
                .filter(|(_, found)| !found.is_empty())
                .collect(),
        }
    }

    /// The sentences naming the category (its index), with all their category mentions.
    fn naming(&self, owner: usize) -> impl Iterator<Item = &(Range<usize>, Vec<PatternMatch>)> {
        self.sentences
            .iter()
            .filter(move |(_, found)| found.iter().any(|m| m.owner == owner))
    }
}

/// The first summary sentence that names the category as treatment already given, and is not
/// about the request or its review.
fn prior_treatment(
    text: &Text,
    rules: &RuleSet,
    treatment: &TreatmentSentences,
    owner: usize,
) -> Option<Span> {
    let folded = text.folded();
    let requests = &rules.requests;
    treatment.naming(owner).find_map(|(s, found)| {
        let sentence = &folded[s.clone()];
        let mention = found.iter().find(|m| m.owner == owner)?;
        let given = requests
            .prior_treatment
            .iter()
            .any(|re| re.is_match(sentence));
        let about_request = requests
            .about_the_request
            .iter()
            .any(|re| re.is_match(sentence));
        (given && !about_request).then(|| text.span(mention.range.clone()))
    })
}

/// The largest count of completed sessions the summary states for a category: in a sentence
/// naming the category, the count whose nearest category mention is this one.
fn completed_sessions(
    text: &Text,
    rules: &RuleSet,
    treatment: &TreatmentSentences,
    owner: usize,
) -> Option<Spanned<u32>> {
    let folded = text.folded();
    let mut best: Option<(u32, Range<usize>)> = None;
    for (s, mentions) in treatment.naming(owner) {
        for re in &rules.requests.completed_sessions {
            for caps in re.captures_iter(&folded[s.clone()]) {
                let (Some(whole), Some(n)) = (caps.get(0), caps.name("n")) else {
                    continue;
                };
                let at = s.start + whole.start()..s.start + whole.end();
                let count_at = s.start + n.start()..s.start + n.end();
                let distance = |r: &Range<usize>| {
                    if r.end <= count_at.start {
                        count_at.start - r.end
                    } else {
                        r.start.saturating_sub(count_at.end)
                    }
                };
                let nearest = mentions.iter().min_by_key(|m| distance(&m.range));
                let Some(count) = request::number(n.as_str()) else {
                    continue;
                };
                if nearest.is_some_and(|m| m.owner == owner)
                    && best.as_ref().is_none_or(|(b, _)| count as u32 > *b)
                {
                    best = Some((count as u32, at));
                }
            }
        }
    }
    best.map(|(value, r)| Spanned {
        value,
        span: text.span(r),
    })
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

fn injury_date(folded: &str, sentences: &[Range<usize>], phrases: &Summary) -> Option<FoundDate> {
    sentences
        .iter()
        .filter(|s| any_match(&phrases.injury, &folded[(*s).clone()]))
        .find_map(|s| dates::find(folded, s.clone()).into_iter().next())
}

/// The request-for-authorization date, else the utilization-review date, else the latest dated
/// note, else the decision date.
fn reference_date(
    letter: &Letter,
    phrases: &Summary,
    sentences: &[Range<usize>],
    summary_dates: &[FoundDate],
    injury: Option<&FoundDate>,
    ur_field: Option<FoundDate>,
    decision: Option<FoundDate>,
) -> Option<ReferenceDate> {
    let folded = letter.text.folded();
    let not_injury = |d: &FoundDate| {
        injury.is_none_or(|i| i.earliest != d.earliest) && d.precision == Precision::Day
    };
    let latest_in = |patterns: &[Regex]| {
        sentences
            .iter()
            .filter(|s| any_match(patterns, &folded[(*s).clone()]))
            .flat_map(|s| dates::find(folded, s.clone()))
            .filter(not_injury)
            .max_by_key(|d| d.earliest)
    };
    let make = |d: FoundDate, source| ReferenceDate {
        date: d.earliest.to_string(),
        source,
        span: letter.text.span(d.range.clone()),
        value: d.earliest,
    };
    if let Some(d) = latest_in(&phrases.request_for_authorization) {
        return Some(make(d, ReferenceSource::RequestForAuthorization));
    }
    if let Some(d) = ur_field.or_else(|| latest_in(&phrases.utilization_review)) {
        return Some(make(d, ReferenceSource::UtilizationReview));
    }
    let limit = decision.as_ref().map(|d| d.earliest);
    if let Some(d) = summary_dates
        .iter()
        .filter(|d| not_injury(d) && limit.is_none_or(|l| d.earliest <= l))
        .max_by_key(|d| d.earliest)
    {
        return Some(make(d.clone(), ReferenceSource::LatestNote));
    }
    decision.map(|d| make(d, ReferenceSource::Decision))
}

/// The patient's age (`40-year-old`) and sex, from the sentence that gives the age (or the
/// summary's first sentence): a sex word elsewhere may be about someone else.
fn age_and_sex(
    text: &Text,
    sentences: &[Range<usize>],
    phrases: &Summary,
) -> (Option<Spanned<u32>>, Option<Spanned<String>>) {
    let folded = text.folded();
    let Some(whole) = sentences
        .first()
        .map(|f| f.start..sentences[sentences.len() - 1].end)
    else {
        return (None, None);
    };
    let age_at = phrases
        .age
        .iter()
        .filter_map(|re| re.captures(&folded[whole.clone()])?.name("age"))
        .min_by_key(|m| m.start())
        .map(|m| whole.start + m.start()..whole.start + m.end());
    let age = age_at.clone().and_then(|r| {
        folded[r.clone()].parse().ok().map(|value| Spanned {
            value,
            span: text.span(r),
        })
    });
    let sentence = match &age_at {
        Some(r) => sentences
            .iter()
            .find(|s| s.start <= r.start && r.end <= s.end),
        None => sentences.first(),
    };
    let sex = sentence
        .and_then(|s| {
            phrases
                .sex
                .iter()
                .filter_map(|(re, means)| re.find(&folded[s.clone()]).map(|m| (m, *means)))
                .min_by_key(|(m, _)| m.start())
                .map(|(m, means)| (s.start + m.start()..s.start + m.end(), means))
        })
        .map(|(r, means)| Spanned {
            value: means.id().to_string(),
            span: text.span(r),
        });
    (age, sex)
}

/// Diagnoses listed after `The diagnoses included`, `diagnosed with`, `being treated for`.
fn diagnoses(text: &Text, sentences: &[Range<usize>], phrases: &Summary) -> Vec<Spanned<String>> {
    let folded = text.folded();
    let mut out: Vec<Spanned<String>> = Vec::new();
    for s in sentences {
        let lists = phrases
            .diagnoses
            .iter()
            .flat_map(|re| re.captures_iter(&folded[s.clone()]));
        for c in lists {
            let Some(list) = c.name("list") else { continue };
            let base = s.start + list.start();
            let mut at = 0;
            let l = list.as_str();
            let mut separators: Vec<regex::Match> = phrases
                .list_separator
                .iter()
                .flat_map(|re| re.find_iter(l))
                .collect();
            separators.sort_by_key(|m| m.start());
            let mut parts: Vec<Range<usize>> = Vec::new();
            // Separators of several patterns may overlap: each starts after the one before.
            for sep in separators {
                if sep.start() < at {
                    continue;
                }
                parts.push(at..sep.start());
                at = sep.end();
            }
            parts.push(at..l.len());
            for p in parts {
                let item = l[p.clone()].trim();
                if item.is_empty() || out.iter().any(|o| o.value.eq_ignore_ascii_case(item)) {
                    continue;
                }
                let lead = l[p.clone()].len() - l[p.clone()].trim_start().len();
                let start = base + p.start + lead;
                out.push(Spanned {
                    value: item.to_string(),
                    span: text.span(start..start + item.len()),
                });
            }
        }
    }
    out
}

/// The drugs of the summary, each with its first documented use and the concepts said of it.
fn medications(
    text: &Text,
    rules: &RuleSet,
    sentences: &[Range<usize>],
    mentions: &[context::Mention],
) -> Vec<Medication> {
    let folded = text.folded();
    let mut by_drug: BTreeMap<usize, Medication> = BTreeMap::new();
    let mut order: Vec<usize> = Vec::new();
    for s in sentences {
        let found = rules.drugs.find(folded, s.clone());
        if found.is_empty() {
            continue;
        }
        let about_request = any_match(&rules.requests.about_the_request, &folded[s.clone()]);
        let sentence_dates = if about_request {
            Vec::new()
        } else {
            dates::find(folded, s.clone())
        };
        let use_dates = dates_of_each_drug(folded, &found, &sentence_dates, s.start);
        for (m, own_dates) in found.into_iter().zip(use_dates) {
            let d = &rules.drugs.drugs[m.drug];
            let med = by_drug.entry(m.drug).or_insert_with(|| {
                order.push(m.drug);
                Medication {
                    drug: d.name.clone(),
                    class: d.class.clone(),
                    names: Vec::new(),
                    first_documented: None,
                    concepts: BTreeMap::new(),
                    mentions: Vec::new(),
                    drug_index: m.drug,
                }
            });
            let written = folded[m.range.clone()].to_string();
            if !med.names.iter().any(|n| n.eq_ignore_ascii_case(&written)) {
                med.names.push(written);
            }
            med.mentions.push(text.span(m.range.clone()));
            if let Some(earliest) = own_dates.iter().min_by_key(|d| d.latest)
                && med
                    .first_documented
                    .as_ref()
                    .is_none_or(|f| earliest.latest < f.latest)
            {
                med.first_documented = Some(date_fact(text, earliest));
            }
            for c in mentions.iter().filter(|c| c.sentence == *s) {
                let id = rules.concepts.concepts[c.concept].id.clone();
                // Within one drug, an affirmed statement stands over a negated one only if no
                // sentence negates it: the stronger status of the two is kept.
                let entry = med.concepts.entry(id).or_insert(c.status);
                if c.status.definite() > entry.definite() {
                    *entry = c.status;
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|d| by_drug.remove(&d))
        .collect()
}

/// Which dates of a sentence belong to each drug it names. `Norco since 3-8-2016 and alprazolam
/// since November 14, 2017`: each drug takes the dates between it and the next drug. A drug with
/// none takes those of the next drug when the two are listed together (`Klonopin and Norco since
/// 2013`), else the dates before the sentence's first drug (`On 09/30/2014, ... Lyrica, Klonopin`).
fn dates_of_each_drug<'d>(
    folded: &str,
    drugs: &[crate::rules::drugs::DrugMention],
    dates: &'d [FoundDate],
    sentence_start: usize,
) -> Vec<Vec<&'d FoundDate>> {
    let segment_end = |i: usize| drugs.get(i + 1).map_or(usize::MAX, |n| n.range.start);
    let in_segment = |i: usize| -> Vec<&'d FoundDate> {
        dates
            .iter()
            .filter(|d| d.range.start >= drugs[i].range.end && d.range.start < segment_end(i))
            .collect()
    };
    let before_first: Vec<&FoundDate> = match drugs.first() {
        Some(first) => dates
            .iter()
            .filter(|d| d.range.start >= sentence_start && d.range.end <= first.range.start)
            .collect(),
        None => Vec::new(),
    };
    let listed_with_next = |i: usize| {
        drugs.get(i + 1).is_some_and(|n| {
            let gap = folded[drugs[i].range.end..n.range.start].trim();
            gap.is_empty() || matches!(gap, "," | "and" | ", and" | "or" | ", or" | "/" | "&")
        })
    };
    (0..drugs.len())
        .map(|i| {
            let mut j = i;
            loop {
                let own = in_segment(j);
                if !own.is_empty() {
                    return own;
                }
                if !listed_with_next(j) {
                    return before_first.clone();
                }
                j += 1;
            }
        })
        .collect()
}

fn item_facts(
    letter: &Letter,
    rules: &RuleSet,
    item: &crate::letter::Item,
    medications: &[Medication],
    earlier: &TreatmentSentences,
    reference: Option<&ReferenceDate>,
    on: Option<Date>,
) -> ItemFacts {
    let text = &letter.text;
    let folded = text.folded();
    let spanned_text = |r: &Range<usize>| Spanned {
        value: folded[r.clone()].to_string(),
        span: text.span(r.clone()),
    };
    let treatment = item.treatment.clone();
    let found = rules.drugs.find(folded, treatment.clone());
    let routes = rules.drugs.find_routes(folded, treatment.clone());
    let drugs: Vec<ItemDrug> = {
        let mut seen = Vec::new();
        found
            .iter()
            .filter(|m| {
                let new = !seen.contains(&m.drug);
                seen.push(m.drug);
                new
            })
            .map(|m| {
                let d = &rules.drugs.drugs[m.drug];
                let route_class = routes
                    .iter()
                    .map(|(r, _)| &rules.drugs.routes[*r])
                    .find(|r| !r.keeps.contains(&d.class))
                    .map(|r| r.class.clone());
                let class = route_class.clone().unwrap_or_else(|| d.class.clone());
                ItemDrug {
                    name: d.name.clone(),
                    own_class: (class != d.class).then(|| d.class.clone()),
                    class,
                    written: folded[m.range.clone()].to_string(),
                    misspelled: m.kind == crate::rules::drugs::NameKind::Misspelling,
                    span: text.span(m.range.clone()),
                    drug_index: m.drug,
                }
            })
            .collect()
    };
    let drug = drugs.first().map(|first| {
        if drugs.len() == 1 {
            first.clone()
        } else {
            ItemDrug {
                name: drugs
                    .iter()
                    .map(|d| d.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" + "),
                ..first.clone()
            }
        }
    });
    let category = rules
        .categories
        .classify(&folded[treatment.clone()], !drugs.is_empty());
    let category_index = rules.categories.index(&category.id);
    let parsed = request::parse(
        &rules.requests,
        &folded[treatment.clone()],
        treatment.start,
        category.counts == Counts::Sessions,
    );
    let at = |r: &Range<usize>| text.span(r.clone());
    let anatomy = &rules.anatomy;
    let mut body_parts: Vec<Spanned<String>> = Vec::new();
    for m in anatomy
        .part_patterns
        .find_longest(folded, treatment.clone())
    {
        let id = anatomy.body_parts[m.owner].id.clone();
        if !body_parts.iter().any(|b| b.value == id) {
            body_parts.push(Spanned {
                value: id,
                span: at(&m.range),
            });
        }
    }
    let mut sides: Vec<Spanned<String>> = Vec::new();
    for m in anatomy
        .side_patterns
        .find_longest(folded, treatment.clone())
    {
        let id = anatomy.sides[m.owner].id.clone();
        if !sides.iter().any(|b| b.value == id) {
            sides.push(Spanned {
                value: id,
                span: at(&m.range),
            });
        }
    }
    let request = RequestFacts {
        strength: parsed.strength.map(|a| placed(text, a)),
        quantity: parsed.quantity.map(|a| placed(text, a)),
        quantity_unit: parsed.quantity_unit,
        frequency: parsed.frequency.map(|f| FrequencyFact {
            per_day: f.value.per_day.map(|(a, b)| [a, b]),
            per_week: f.value.per_week.map(|(a, b)| [a, b]),
            as_needed: f.value.as_needed,
            text: folded[f.range.clone()].to_string(),
            span: at(&f.range),
        }),
        refills: parsed.refills.map(|a| placed(text, a)),
        days_supply: parsed.days_supply.map(|a| placed(text, a)),
        sessions: parsed.sessions.map(|a| placed(text, a)),
        weeks: parsed.weeks.map(|a| placed(text, a)),
        body_parts,
        sides,
    };
    let drug_use = drug
        .as_ref()
        .and_then(|d| medications.iter().find(|m| m.drug_index == d.drug_index))
        .map(|m| {
            let weeks = match (&m.first_documented, reference) {
                (Some(first), Some(r)) if first.latest <= r.value => {
                    Some((r.value - first.latest).get_days() as i64 / 7)
                }
                _ => None,
            };
            DrugUse {
                first_documented: m.first_documented.clone(),
                weeks,
                concepts: m.concepts.clone(),
            }
        });
    let line = |r: &Option<Range<usize>>| {
        r.as_ref().map(|r| {
            line_facts(
                text,
                rules,
                citations::parse_line(&rules.guidelines, folded, r.clone(), on),
                r,
            )
        })
    };
    let rationale_pages = item
        .rationale
        .as_ref()
        .map(|r| {
            citations::pages(folded, r.clone())
                .into_iter()
                .map(|(p, r)| Spanned {
                    value: page_text(p),
                    span: at(&r),
                })
                .collect()
        })
        .unwrap_or_default();
    ItemFacts {
        index: item.index,
        treatment: spanned_text(&treatment),
        original_request: item.original_request.as_ref().map(spanned_text),
        authorized: item.authorized.as_ref().map(spanned_text),
        decision: Spanned {
            value: item.decision,
            span: at(&item.decision_label),
        },
        category: category.id.clone(),
        drug,
        drugs,
        request,
        drug_use,
        guideline: ItemGuideline {
            claims_administrator: line(&item.claims_guideline),
            reviewer: line(&item.reviewer_guideline),
            rationale_pages,
        },
        rationale: item.rationale.as_ref().map(at),
        completed_sessions: category_index
            .filter(|_| category.counts == Counts::Sessions)
            .and_then(|i| completed_sessions(text, rules, earlier, i)),
        prior_treatment: category_index
            .filter(|_| category.counts == Counts::Sessions)
            .and_then(|i| prior_treatment(text, rules, earlier, i)),
        procedure: None,
        related: BTreeMap::new(),
    }
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

fn line_facts(
    text: &Text,
    rules: &RuleSet,
    line: GuidelineLine,
    range: &Range<usize>,
) -> LineFacts {
    let folded = text.folded();
    let at = |r: &Range<usize>| text.span(r.clone());
    LineFacts {
        no_evidence: line.no_evidence.is_some(),
        citations: line
            .citations
            .iter()
            .map(|c| {
                let doc = c.document.map(|d| &rules.guidelines.documents[d].doc);
                CitationFact {
                    text: folded[c.range.clone()].to_string(),
                    mtus: !c.non_mtus
                        && c.document
                            .is_none_or(|d| rules.guidelines.documents[d].binding),
                    document: doc.map(|d| d.id.clone()),
                    edition: c.edition.as_ref().map(|e| e.0.clone()),
                    edition_stated: c.edition.as_ref().is_some_and(|e| e.1),
                    chapters: c
                        .chapters
                        .iter()
                        .filter_map(|(i, r)| {
                            Some(Spanned {
                                value: doc?.chapters[*i].id.clone(),
                                span: at(r),
                            })
                        })
                        .collect(),
                    topics: c
                        .topics
                        .iter()
                        .filter_map(|(i, r)| {
                            Some(Spanned {
                                value: doc?.topics[*i].id.clone(),
                                span: at(r),
                            })
                        })
                        .collect(),
                    sections: c
                        .sections
                        .iter()
                        .map(|r| Spanned {
                            value: folded[r.clone()].to_string(),
                            span: at(r),
                        })
                        .collect(),
                    pages: c
                        .pages
                        .iter()
                        .map(|(p, r)| Spanned {
                            value: page_text(*p),
                            span: at(r),
                        })
                        .collect(),
                    span: at(&c.range),
                }
            })
            .collect(),
        span: at(range),
    }
}
