//! The summary's drugs, each with its first documented use and what is said of it.

use std::collections::BTreeMap;
use std::ops::Range;

use super::dates::FoundDate;
use crate::rules::RuleSet;
use crate::rules::drugs::DrugId;
use crate::text::Text;

use super::*;

/// The drugs of the summary, each with its first documented use and the concepts said of it.
pub(super) fn medications(
    text: &Text,
    rules: &RuleSet,
    sentences: &[Range<usize>],
    mentions: &[context::Mention],
) -> Vec<Medication> {
    let folded = text.folded();
    let mut by_drug: BTreeMap<DrugId, Medication> = BTreeMap::new();
    let mut order: Vec<DrugId> = Vec::new();
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
            let d = rules.drugs.get(m.drug);
            let med = by_drug.entry(m.drug).or_insert_with(|| {
                order.push(m.drug);
                Medication {
                    drug: d.name.clone(),
                    class: d.class.clone(),
                    names: Vec::new(),
                    first_documented: None,
                    concepts: BTreeMap::new(),
                    mentions: Vec::new(),
                    drug_id: m.drug,
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
            // What a sentence about the request or its review says ("utilization review denied
            // tramadol for lack of documented efficacy") is the reviewers' account, not what the
            // record documents of the drug's use.
            if about_request {
                continue;
            }
            for c in mentions.iter().filter(|c| c.sentence == *s) {
                let id = rules.concepts.get(c.concept).id.clone();
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
pub(super) fn dates_of_each_drug<'d>(
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

#[cfg(test)]
mod tests {
    use crate::testing::facts;

    const ITEM: &str = "Meloxicam 15 mg #30";

    #[test]
    fn a_drug_named_in_the_summary_is_a_medication_with_its_first_date() {
        let f = facts(
            "The injured worker is a 40 year old male. Meloxicam has been prescribed since 01/2016 with pain relief.",
            &[ITEM],
        );
        let m = &f.medications[0];
        assert_eq!(m.drug, "meloxicam");
        assert_eq!(m.first_documented.as_ref().unwrap().date, "2016-01-01");
        assert!(m.concepts.contains_key("efficacy"), "{:?}", m.concepts);
    }

    /// A review's date is not a date of the drug's use.
    #[test]
    fn a_sentence_about_the_review_gives_no_date_of_use() {
        let f = facts(
            "The injured worker is a 40 year old male. Utilization review denied meloxicam on 05/01/2016.",
            &[ITEM],
        );
        assert!(
            f.medications.iter().all(|m| m.first_documented.is_none()),
            "{:?}",
            f.medications
        );
    }

    #[test]
    fn each_drug_of_a_sentence_keeps_its_own_date() {
        let f = facts(
            "The injured worker is a 40 year old male. He started meloxicam in 03/2016 and cyclobenzaprine in 06/2016.",
            &[ITEM],
        );
        let date = |drug: &str| {
            f.medications
                .iter()
                .find(|m| m.drug == drug)
                .and_then(|m| m.first_documented.as_ref())
                .map(|d| d.date.clone())
        };
        assert_eq!(date("meloxicam").as_deref(), Some("2016-03-01"));
        assert_eq!(date("cyclobenzaprine").as_deref(), Some("2016-06-01"));
    }

    /// The history of the request is not the patient's: what a review found of a drug is not
    /// what the record documents of its use.
    #[test]
    fn a_review_s_finding_is_not_what_the_record_documents() {
        let concepts = |sentence: &str| {
            let f = facts(
                &format!("The injured worker is a 40 year old male. {sentence}"),
                &[ITEM],
            );
            f.medications
                .iter()
                .find(|m| m.drug == "meloxicam")
                .map(|m| m.concepts.keys().cloned().collect::<Vec<_>>())
        };
        assert_eq!(
            concepts("Utilization review denied meloxicam for lack of documented efficacy."),
            Some(Vec::new())
        );
        // Near misses: the record's own account of the drug, also beside a patient who denied
        // a symptom or works modified duty (neither is a review's denial or modification).
        assert_eq!(
            concepts("Meloxicam has provided no documented efficacy."),
            Some(vec!["efficacy".to_string()])
        );
        let beside = concepts(
            "On modified duty, he denied side effects and meloxicam has provided no documented efficacy.",
        )
        .unwrap();
        assert!(beside.contains(&"efficacy".to_string()), "{beside:?}");
    }
}
