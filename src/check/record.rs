//! The rationale against the record: record-contradiction, where a rationale states a fact of
//! the record that the letter gives otherwise. Two facts are read exactly enough to say so: the
//! date of injury, and the side of the item's body part.

use std::ops::Range;

use super::finding::{Finding, Kind, Severity, label};
use super::rationale::Rationale;
use crate::facts::dates::{FoundDate, Precision};
use crate::facts::{ItemFacts, SidedPart, injury_dates, sided_parts, stated_injury_dates};
use crate::letter::{Item, Letter};
use crate::rules::RuleSet;
use crate::text::sentences;

/// What the letter outside the rationales says of the facts a rationale may restate, each read
/// when a rationale first needs it.
#[derive(Default)]
pub(super) struct Record {
    /// Every date the letter gives as a date of injury, read when a rationale first states one.
    injury_dates: std::cell::OnceCell<Vec<FoundDate>>,
    /// The body parts the case summary names with their side, read when an item first asks
    /// (most name no side).
    summary_sides: std::cell::OnceCell<Option<Vec<SidedPart>>>,
}

impl Record {
    fn injury_dates(&self, letter: &Letter, rules: &RuleSet) -> &[FoundDate] {
        self.injury_dates
            .get_or_init(|| injury_dates(letter, &rules.requests.summary))
    }

    /// The body parts the case summary names with their side, read generously: every side of a
    /// sentence with every part of it ('Lt. hip', 'hip pain on the left'); None without a summary.
    fn summary_sides(&self, letter: &Letter, rules: &RuleSet) -> Option<&[SidedPart]> {
        self.summary_sides
            .get_or_init(|| {
                let folded = letter.text.folded();
                let anatomy = &rules.anatomy;
                letter.summary.clone().map(|summary| {
                    let parts = anatomy.part_patterns.find_all(folded, summary.clone());
                    let sides = anatomy.side_patterns.find_all(folded, summary.clone());
                    let mut found = Vec::new();
                    for s in sentences(folded, summary) {
                        let within = |r: &Range<usize>| s.start <= r.start && r.end <= s.end;
                        for p in parts.iter().filter(|p| within(&p.range)) {
                            found.extend(sides.iter().filter(|x| within(&x.range)).map(|side| {
                                SidedPart {
                                    part: p.owner,
                                    side: side.owner,
                                    range: p.range.clone(),
                                }
                            }));
                        }
                    }
                    found
                })
            })
            .as_deref()
    }
}

/// The rationale's statements of the record that the letter contradicts, one finding per fact.
pub(super) fn record_findings(
    letter: &Letter,
    item: &Item,
    facts: &ItemFacts,
    others: &[&ItemFacts],
    rationale: &Rationale,
    record: &Record,
    rules: &RuleSet,
) -> Vec<Finding> {
    injury_date(letter, item, rationale, record, rules)
        .into_iter()
        .chain(side(letter, item, facts, others, rationale, record, rules))
        .collect()
}

/// A date of injury the rationale states that is none of the letter's (`the date of injury was
/// 12/1/16` where the header gives 11/30/2016).
fn injury_date(
    letter: &Letter,
    item: &Item,
    rationale: &Rationale,
    record: &Record,
    rules: &RuleSet,
) -> Option<Finding> {
    let folded = letter.text.folded();
    let stated = stated_injury_dates(folded, rationale.range.clone(), &rules.requests.summary);
    if stated.is_empty() {
        return None;
    }
    let known = record.injury_dates(letter, rules);
    let letters_own = known.iter().find(|d| d.precision == Precision::Day)?;
    let stated = stated
        .into_iter()
        .filter(|d| d.precision == Precision::Day)
        .find(|d| !known.iter().any(|k| k.earliest == d.earliest))?;
    let shown = |d: &FoundDate| d.earliest.strftime("%m/%d/%Y").to_string();
    Some(Finding {
        kind: Kind::RecordContradiction,
        severity: Severity::Warning,
        rule: None,
        reason: None,
        item: Some(item.index),
        message: format!(
            "the rationale gives the date of injury as {}; the letter gives {}",
            shown(&stated),
            shown(letters_own)
        ),
        help: "correct the date of injury in the rationale to the letter's".into(),
        labels: vec![
            label(letter, &stated.range, "the rationale's date"),
            label(letter, &letters_own.range, "the letter's date of injury"),
        ],
    })
}

/// A side of the item's body part the rationale names that neither the request nor the case
/// summary does (`the left hip` for an MRI of the right hip).
fn side(
    letter: &Letter,
    item: &Item,
    facts: &ItemFacts,
    others: &[&ItemFacts],
    rationale: &Rationale,
    record: &Record,
    rules: &RuleSet,
) -> Option<Finding> {
    let anatomy = &rules.anatomy;
    let parts_of = |f: &ItemFacts| -> Vec<usize> {
        f.request
            .body_parts
            .iter()
            .filter_map(|b| anatomy.part_index(&b.value))
            .collect()
    };
    let sides_of = |f: &ItemFacts| -> Vec<usize> {
        f.request
            .sides
            .iter()
            .filter_map(|s| anatomy.side_index(&s.value))
            .collect()
    };
    let parts = parts_of(facts);
    let sides = sides_of(facts);
    if parts.is_empty() || sides.is_empty() || sides.iter().any(|s| anatomy.sides[*s].both) {
        return None;
    }
    // Without a case summary there is no record to contradict.
    let summary_sides = record.summary_sides(letter, rules)?;
    // A side another item of the letter asks for is that item's (a rationale may weigh both).
    let asked_elsewhere = |m: &SidedPart| {
        others
            .iter()
            .any(|o| parts_of(o).contains(&m.part) && sides_of(o).contains(&m.side))
    };
    let said = |found: &[SidedPart], m: &SidedPart| {
        found.iter().any(|s| s.part == m.part && s.side == m.side)
    };
    let folded = letter.text.folded();
    let in_rationale = sided_parts(folded, rationale.range.clone(), rules);
    // A sentence that names both sides of the part compares them ('the left knee is less
    // swollen than the right knee').
    let compared = |m: &SidedPart| {
        rationale.sentence_of(&m.range).is_some_and(|sentence| {
            in_rationale.iter().any(|o| {
                o.part == m.part
                    && sides.contains(&o.side)
                    && sentence.start <= o.range.start
                    && o.range.end <= sentence.end
            })
        })
    };
    let other = in_rationale.iter().find(|m| {
        parts.contains(&m.part)
            && !sides.contains(&m.side)
            && !compared(m)
            && !said(summary_sides, m)
            && !asked_elsewhere(m)
    })?;
    let part = &anatomy.body_parts[other.part].title;
    let summary_label: Vec<Range<usize>> = summary_sides
        .iter()
        .filter(|s| s.part == other.part && sides.contains(&s.side))
        .map(|s| s.range.clone())
        .take(1)
        .collect();
    let named = |i: usize| anatomy.sides[i].id.as_str();
    let mut labels = vec![label(letter, &other.range, "the rationale's side")];
    labels.extend(
        summary_label
            .iter()
            .map(|r| label(letter, r, "the case summary's side")),
    );
    // The summary that names the part on the requested side says otherwise; one that names no
    // side of it is only silent.
    let severity = if summary_label.is_empty() {
        Severity::Note
    } else {
        Severity::Warning
    };
    Some(Finding {
        kind: Kind::RecordContradiction,
        severity,
        rule: None,
        reason: None,
        item: Some(item.index),
        message: format!(
            "the rationale speaks of the {} {}; the request{} concern{} the {} {} only",
            named(other.side),
            part.to_lowercase(),
            if summary_label.is_empty() {
                ""
            } else {
                " and the case summary"
            },
            if summary_label.is_empty() { "s" } else { "" },
            named(sides[0]),
            part.to_lowercase()
        ),
        help: "correct the side in the rationale to the request's".into(),
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{checked_findings, findings, has};
    use super::*;

    const IMAGING: &str = "Decision based on ODG Hip and Pelvis.";

    /// Whether the rationale of a right-hip MRI contradicts the record, with `summary`.
    fn contradicts(summary: &str, rationale: &str) -> bool {
        let found = findings(
            summary,
            &[(
                "MRI of the right hip without contrast",
                "Upheld",
                IMAGING,
                rationale,
            )],
        );
        has(&found, Kind::RecordContradiction)
    }

    const RIGHT_HIP: &str = "The injured worker fell at work and has right hip pain with tenderness over the right hip.";

    #[test]
    fn the_other_side_of_the_items_part_contradicts_the_record() {
        assert!(contradicts(
            RIGHT_HIP,
            "No stress fracture of the left hip is suspected. The request for an MRI of the right hip is not medically necessary."
        ));
        // Near misses: the requested side; another part on the other side; both sides compared
        // in one sentence; the other side in the summary too; both sides in a list.
        assert!(!contradicts(
            RIGHT_HIP,
            "No stress fracture of the right hip is suspected. Not medically necessary."
        ));
        assert!(!contradicts(
            RIGHT_HIP,
            "The left knee was replaced in 2010. Not medically necessary."
        ));
        assert!(!contradicts(
            RIGHT_HIP,
            "The right hip moves as well as the left hip. Not medically necessary."
        ));
        assert!(!contradicts(
            "The worker has right hip pain; an old left hip fracture healed in 2012.",
            "The left hip was fractured before. Not medically necessary."
        ));
        assert!(!contradicts(
            RIGHT_HIP,
            "Neither the left nor the right hip shows red flags; left and right hips are stable. Not medically necessary."
        ));
        // The summary's side read generously: abbreviated, or after the part.
        assert!(!contradicts(
            "The worker has right hip pain. The Lt. hip was bruised too.",
            "The left hip is not imaged. Not medically necessary."
        ));
        assert!(!contradicts(
            "The worker has right hip pain, and hip pain on the left.",
            "The left hip is not imaged. Not medically necessary."
        ));
    }

    /// A summary that names the part on the requested side says otherwise (a warning); one that
    /// names no side of it is only silent (a note).
    #[test]
    fn the_summary_that_names_the_side_makes_it_a_warning() {
        let severity = |summary: &str| {
            checked_findings(
                summary,
                &[(
                    "MRI of the right hip without contrast",
                    "Upheld",
                    IMAGING,
                    "No fracture of the left hip is suspected. Not medically necessary.",
                )],
            )
            .into_iter()
            .find(|f| f.kind == Kind::RecordContradiction)
            .map(|f| f.severity)
        };
        assert_eq!(severity(RIGHT_HIP), Some(Severity::Warning));
        assert_eq!(
            severity("The injured worker fell at work and has hip pain."),
            Some(Severity::Note)
        );
    }

    #[test]
    fn another_items_side_is_that_items() {
        let found = findings(
            RIGHT_HIP,
            &[
                (
                    "MRI of the right hip without contrast",
                    "Upheld",
                    IMAGING,
                    "Not medically necessary.",
                ),
                (
                    "MRI of the left hip without contrast",
                    "Upheld",
                    IMAGING,
                    "The left hip has no red flags. Not medically necessary.",
                ),
            ],
        );
        // The left hip is item 1's own request: no contradiction in either rationale.
        assert!(!has(&found, Kind::RecordContradiction), "{found:?}");
    }

    /// The invented letter's date of injury is 10/16/2015.
    #[test]
    fn a_date_of_injury_the_letter_does_not_give_contradicts_it() {
        assert!(contradicts(
            RIGHT_HIP,
            "The date of injury was 10/17/2015. Not medically necessary."
        ));
        assert!(contradicts(
            RIGHT_HIP,
            "The patient was injured on 10-15-15 and has hip pain. Not medically necessary."
        ));
        // Near misses: the letter's own date in other words; a second injury the summary dates;
        // a date that follows an injury without being its date; a month without a day.
        assert!(!contradicts(
            RIGHT_HIP,
            "The date of injury was October 16, 2015. Not medically necessary."
        ));
        assert!(!contradicts(
            "The worker re-injured the right hip on 03/02/2016. He has right hip pain.",
            "The patient was injured on 03/02/2016. Not medically necessary."
        ));
        assert!(!contradicts(
            RIGHT_HIP,
            "Since the injury, an x-ray on 11/02/2015 was negative. Not medically necessary."
        ));
        assert!(!contradicts(
            RIGHT_HIP,
            "The patient was injured in October 2015. Not medically necessary."
        ));
        // Near misses: another injury than the claim's.
        assert!(!contradicts(
            RIGHT_HIP,
            "He had a prior injury on 05/05/2010. Not medically necessary."
        ));
        assert!(!contradicts(
            RIGHT_HIP,
            "She was injured in a motor vehicle accident on 02/02/2012. Not medically necessary."
        ));
    }

    #[test]
    fn sides_are_read_with_their_part() {
        let rules = crate::rules::RuleSet::for_tests();
        let read = |text: &str| -> Vec<(String, String)> {
            sided_parts(text, 0..text.len(), rules)
                .into_iter()
                .map(|s| {
                    (
                        rules.anatomy.sides[s.side].id.clone(),
                        rules.anatomy.body_parts[s.part].id.clone(),
                    )
                })
                .collect()
        };
        assert_eq!(
            read("pain in the left hip"),
            [("left".into(), "hip".into())]
        );
        assert_eq!(
            read("right painful swollen knee"),
            [("right".into(), "knee".into())]
        );
        // Too far, across punctuation, both sides, or a list of sides: no one side.
        assert!(read("left-sided pain radiating to the upper back and hip").is_empty());
        assert!(read("left, hip").is_empty());
        assert!(read("bilateral knees").is_empty());
        assert!(read("right and left knees").is_empty());
    }
}
