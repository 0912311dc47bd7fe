//! The patient and the request's dates from the summary: injury date, reference date, age, sex
//! and diagnoses.

use std::ops::Range;

use regex::Regex;

use super::dates::{FoundDate, Precision};
use crate::letter::Letter;
use crate::rules::requests::Summary;
use crate::text::Text;

use super::*;

pub(super) fn injury_date(
    folded: &str,
    sentences: &[Range<usize>],
    phrases: &Summary,
) -> Option<FoundDate> {
    sentences
        .iter()
        .filter(|s| any_match(&phrases.injury, &folded[(*s).clone()]))
        .find_map(|s| dates::find(folded, s.clone()).into_iter().next())
}

/// The dates `range` gives as the date of injury: each right after a phrase of
/// `summary.injury_date` ('the date of injury was 11/30/2016'), in a sentence that speaks of no
/// other injury (`summary.other_injury`: 'a prior injury on 05/05/2010').
pub fn stated_injury_dates(folded: &str, range: Range<usize>, phrases: &Summary) -> Vec<FoundDate> {
    // Where a date would stand after each phrase; most rationales have none, and then neither
    // their dates nor their sentences are read.
    let places: Vec<usize> = phrases
        .injury_date
        .iter()
        .flat_map(|re| re.find_iter(&folded[range.clone()]))
        .map(|m| {
            let after = range.start + m.end();
            after + (folded[after..].len() - folded[after..].trim_start().len())
        })
        .collect();
    if places.is_empty() {
        return Vec::new();
    }
    let dates = dates::find(folded, range.clone());
    let other = sentences(folded, range.clone())
        .into_iter()
        .filter(|s| any_match(&phrases.other_injury, &folded[s.clone()]))
        .collect::<Vec<_>>();
    let mut out: Vec<FoundDate> = Vec::new();
    for at in places {
        if let Some(d) = dates.iter().find(|d| d.range.start == at)
            && !out.contains(d)
            && !other.iter().any(|s| s.start <= at && at < s.end)
        {
            out.push(d.clone());
        }
    }
    out.sort_by_key(|d| d.range.start);
    out
}

/// Every date the letter gives as a date of injury: the header's, each the summary states with a
/// phrase of `summary.injury_date`, and the dates of the summary's sentences about an injury (a
/// second injury, a cumulative trauma's end).
pub fn injury_dates(letter: &Letter, phrases: &Summary) -> Vec<FoundDate> {
    let folded = letter.text.folded();
    let summary = letter.summary.clone().unwrap_or(0..0);
    // Every date of the header's field: a cumulative trauma gives two.
    let header = letter
        .field_meaning(FieldMeaning::DateOfInjury)
        .map(|f| {
            let found = dates::find(folded, f.value.clone());
            if found.is_empty() {
                dates::parse_value(folded, f.value.clone())
                    .into_iter()
                    .collect()
            } else {
                found
            }
        })
        .unwrap_or_default();
    let in_sentences = sentences(folded, summary.clone())
        .into_iter()
        .filter(|s| any_match(&phrases.injury, &folded[s.clone()]))
        .flat_map(|s| dates::find(folded, s));
    header
        .into_iter()
        .chain(stated_injury_dates(folded, summary, phrases))
        .chain(in_sentences)
        .collect()
}

/// The request-for-authorization date, else the utilization-review date, else the latest dated
/// note, else the decision date.
pub(super) fn reference_date(
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
pub(super) fn age_and_sex(
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
pub(super) fn diagnoses(
    text: &Text,
    sentences: &[Range<usize>],
    phrases: &Summary,
) -> Vec<Spanned<String>> {
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

#[cfg(test)]
mod tests {
    use crate::facts::ReferenceSource;
    use crate::testing::facts;

    const MRI: &str = "MRI of the lumbar spine";

    #[test]
    fn age_and_sex_from_the_sentence_that_gives_the_age() {
        let f = facts(
            "The injured worker is a 52-year-old female who reported low back pain. Her 30 year old son drives her to visits.",
            &[MRI],
        );
        assert_eq!(f.patient.age.map(|a| a.value), Some(52));
        assert_eq!(f.patient.sex.map(|s| s.value).as_deref(), Some("female"));
    }

    #[test]
    fn no_age_where_the_summary_gives_none() {
        let f = facts("The patient has a 5 year history of low back pain.", &[MRI]);
        assert_eq!(f.patient.age, None);
    }

    #[test]
    fn the_request_for_authorization_dates_the_request() {
        let f = facts(
            "The injured worker is a 40 year old male. A request for authorization dated 09/28/2016 asked for an MRI.",
            &[MRI],
        );
        let r = f.reference_date.unwrap();
        assert_eq!(r.date, "2016-09-28");
        assert_eq!(r.source, ReferenceSource::RequestForAuthorization);
    }

    #[test]
    fn without_a_dated_request_the_review_dates_it() {
        let f = facts("The injured worker is a 40 year old male.", &[MRI]);
        let r = f.reference_date.unwrap();
        assert_eq!(r.source, ReferenceSource::UtilizationReview);
        assert_eq!(r.date, "2016-10-20");
        // Injured 10/16/2015: 370 days, 52 whole weeks, before the review.
        assert_eq!(f.patient.weeks_since_injury, Some(52));
    }

    #[test]
    fn diagnoses_are_read_from_their_list() {
        let f = facts(
            "The injured worker is a 40 year old male. The diagnoses included lumbar strain, cervical radiculopathy and insomnia. Treatment has included rest.",
            &[MRI],
        );
        let d: Vec<String> = f.diagnoses.into_iter().map(|d| d.value).collect();
        assert_eq!(d, ["lumbar strain", "cervical radiculopathy", "insomnia"]);
    }
}
