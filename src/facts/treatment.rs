//! Earlier treatment of an item's kind: whether the summary says it was given, how many sessions
//! were completed, and how long treatment lasted.

use std::ops::Range;

use crate::rules::RuleSet;
use crate::rules::concepts::GroupRole;
use crate::rules::patterns::PatternMatch;
use crate::rules::requests::TimeUnit;
use crate::text::{Span, Text};

use super::*;

/// The longest treatment duration stated in a summary sentence mentioning a treatment concept.
pub(super) fn treatment_weeks(
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
                    (caps.get(0), caps.name("n"), TimeUnit::of(&caps))
                else {
                    continue;
                };
                let Some(n) = rules.requests.number(n.as_str()) else {
                    continue;
                };
                let weeks = match unit {
                    TimeUnit::Month => n * 52.0 / 12.0,
                    TimeUnit::Day => n / 7.0,
                    TimeUnit::Hour => n / (7.0 * 24.0),
                    TimeUnit::Week => n,
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

/// The summary's sentences with the item categories each names, found once per letter for every
/// item's questions about earlier treatment.
pub(super) struct TreatmentSentences {
    sentences: Vec<(Range<usize>, Vec<PatternMatch>)>,
    /// The summary's sentences about the request and its review.
    about_the_request: Vec<Range<usize>>,
}

impl TreatmentSentences {
    pub(super) fn new(
        folded: &str,
        rules: &RuleSet,
        sentences: &[Range<usize>],
    ) -> TreatmentSentences {
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
            about_the_request: sentences
                .iter()
                .filter(|s| any_match(&rules.requests.about_the_request, &folded[(*s).clone()]))
                .cloned()
                .collect(),
        }
    }

    /// The summary's own statement of the request, for what the item's line leaves out ("the
    /// Request for Authorization asked for physical therapy 2 times a week for 4 weeks"): in the
    /// first sentence about the request where `names` finds the item's drug or kind of
    /// treatment (its mentions, and those of any other), from the item's first mention to the
    /// next mention of another, a semicolon or the sentence's end.
    pub(super) fn request_statement(
        &self,
        folded: &str,
        names: impl Fn(&Range<usize>) -> Vec<(bool, usize)>,
    ) -> Option<Range<usize>> {
        self.about_the_request.iter().find_map(|s| {
            let mentions = names(s);
            let from = mentions.iter().find(|(own, _)| *own)?.1;
            let other = mentions
                .iter()
                .filter(|(own, at)| !own && *at > from)
                .map(|(_, at)| *at)
                .min()
                .unwrap_or(s.end);
            let end = folded[from..other].find(';').map_or(other, |i| from + i);
            Some(from..end)
        })
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
pub(super) fn prior_treatment(
    text: &Text,
    rules: &RuleSet,
    treatment: &TreatmentSentences,
    owner: usize,
) -> Option<Span> {
    let folded = text.folded();
    let requests = &rules.requests;
    treatment.naming(owner).find_map(|(s, found)| {
        let sentence = &folded[s.clone()];
        let mention = found.iter().find(|m| {
            m.owner == owner && !any_match(&requests.self_directed, &folded[m.range.clone()])
        })?;
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
pub(super) fn completed_sessions(
    text: &Text,
    rules: &RuleSet,
    treatment: &TreatmentSentences,
    owner: usize,
) -> Option<CompletedSessions> {
    let folded = text.folded();
    let mut best: Option<(u32, bool, Range<usize>)> = None;
    let mut counts: Vec<u32> = Vec::new();
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
                // The treatment the count belongs to: the one its own phrase names after it
                // ('12 sessions of physical therapy'), else one right before it in the same
                // clause ('physical therapy x at least 6 sessions, acupuncture'), else the
                // nearest.
                let names_after = folded[at.end..s.end].trim_start().starts_with("of ");
                let before_in_clause = mentions
                    .iter()
                    .filter(|m| {
                        m.range.end <= count_at.start
                            && !folded[m.range.end..count_at.start].contains([',', ';'])
                    })
                    .min_by_key(|m| distance(&m.range));
                let nearest = if names_after {
                    mentions
                        .iter()
                        .filter(|m| m.range.start >= count_at.end)
                        .min_by_key(|m| distance(&m.range))
                } else {
                    before_in_clause
                }
                .or_else(|| mentions.iter().min_by_key(|m| distance(&m.range)));
                let Some(count) = rules.requests.number(n.as_str()) else {
                    continue;
                };
                if nearest.is_none_or(|m| m.owner != owner) {
                    continue;
                }
                counts.push(count as u32);
                if best.as_ref().is_none_or(|(b, _, _)| count as u32 > *b) {
                    best = Some((count as u32, caps.name("at_least").is_some(), at));
                }
            }
        }
    }
    counts.sort_unstable();
    counts.dedup();
    best.map(|(value, at_least, r)| CompletedSessions {
        value,
        at_least,
        also_stated: counts.into_iter().filter(|&c| c != value).collect(),
        span: text.span(r),
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::facts;

    const THERAPY: &str = "Physical therapy 2x6 for the low back";

    /// The sessions completed of the therapy item, and whether the count is a lower bound, after
    /// a summary sentence.
    fn completed(sentence: &str) -> Option<(u32, bool)> {
        facts(
            &format!("The injured worker is a 40 year old male. {sentence}"),
            &[THERAPY],
        )
        .items[0]
            .completed_sessions
            .as_ref()
            .map(|s| (s.value, s.at_least))
    }

    #[test]
    fn sessions_completed_are_counted_for_the_item_of_their_kind() {
        let f = facts(
            "The injured worker is a 40 year old male. He has completed 12 sessions of physical therapy with little benefit.",
            &[THERAPY],
        );
        assert_eq!(
            f.items[0].completed_sessions.as_ref().map(|s| s.value),
            Some(12)
        );
        assert!(f.items[0].prior_treatment.is_some());
    }

    /// The count may follow the treatment it counts; a request's count does not.
    #[test]
    fn sessions_counted_after_the_treatment() {
        let completed = |sentence: &str| completed(sentence).map(|(value, _)| value);
        assert_eq!(
            completed("She has gone to physical therapy 4 visits."),
            Some(4)
        );
        assert_eq!(
            completed("He attended physical therapy for six sessions."),
            Some(6)
        );
        assert_eq!(
            completed("The request for physical therapy had been previously modified to 6 visits."),
            None
        );
    }

    /// A count belongs to the treatment its phrase names, else the one right before it in its
    /// clause; 'at least' makes it a lower bound.
    #[test]
    fn a_count_belongs_to_its_own_treatment_and_may_be_a_bound() {
        assert_eq!(
            completed(
                "Treatment to date has included physical therapy x at least 6 sessions, acupuncture and an MRI."
            ),
            Some((6, true))
        );
        assert_eq!(
            completed("Six sessions of physical therapy for the low back were completed in March."),
            Some((6, false))
        );
        // Near misses: the count is another treatment's.
        assert_eq!(
            completed(
                "Treatment to date has included physical therapy, and 8 sessions of acupuncture."
            ),
            None
        );
        assert_eq!(
            completed("He had physical therapy and completed 8 sessions of acupuncture."),
            None
        );
    }

    /// Negation reaches across a line break and the blank line a page break leaves, and over
    /// both members of a list (issue class 7).
    #[test]
    fn negation_reaches_across_a_page_break_and_over_a_list() {
        let status = |summary: &str, concept: &str| {
            facts(
                &format!("The injured worker is a 40 year old male. {summary}"),
                &[THERAPY],
            )
            .concepts
            .iter()
            .filter(|c| c.concept == concept)
            .map(|c| c.status)
            .collect::<Vec<_>>()
        };
        use crate::rules::Status::Negated;
        assert_eq!(
            status(
                "No prior therapy visits are\n\nrecorded.",
                "therapy-completed"
            ),
            [Negated]
        );
        assert_eq!(
            status(
                "The notes do not show long-term anti-inflammatory use or stomach complaints.",
                "gi-symptoms"
            ),
            [Negated]
        );
        // Near miss: a full stop ends the negation.
        assert_ne!(
            status(
                "No new injury. Prior therapy visits are recorded.",
                "therapy-completed"
            ),
            [Negated]
        );
    }

    /// Conflicting counts: the larger is taken, and the other kept to say so.
    #[test]
    fn conflicting_counts_take_the_larger_and_keep_the_other() {
        let f = facts(
            "The injured worker is a 40 year old male. He completed six (6) visits of physical therapy. The therapist noted improvement after five visits of physical therapy were completed.",
            &[THERAPY],
        );
        let c = f.items[0].completed_sessions.as_ref().expect("a count");
        assert_eq!((c.value, c.also_stated.as_slice()), (6, [5].as_slice()));
        // Near miss: the same count twice is no conflict.
        let f = facts(
            "The injured worker is a 40 year old male. He completed 6 visits of physical therapy. The 6 visits of physical therapy were completed in May.",
            &[THERAPY],
        );
        let c = f.items[0].completed_sessions.as_ref().expect("a count");
        assert_eq!((c.value, c.also_stated.len()), (6, 0));
    }

    /// Sessions requested are not sessions given.
    #[test]
    fn a_request_for_sessions_is_not_sessions_completed() {
        let f = facts(
            "The injured worker is a 40 year old male. The request for 12 sessions of physical therapy was denied by utilization review.",
            &[THERAPY],
        );
        assert_eq!(f.items[0].completed_sessions, None);
        assert_eq!(f.items[0].prior_treatment, None);
    }

    #[test]
    fn how_long_treatment_lasted_in_weeks() {
        let f = facts(
            "The injured worker is a 40 year old male. He has been treated with physical therapy for 3 months.",
            &[THERAPY],
        );
        assert_eq!(f.patient.treatment_weeks.map(|w| w.value), Some(13));
    }

    /// A home exercise program is not therapy given; physical therapy named alike is. A patient
    /// on modified duty is not a request modified by review.
    #[test]
    fn a_home_exercise_program_is_not_therapy_given() {
        let prior = |sentence: &str| {
            let f = facts(
                &format!("The injured worker is a 40 year old male. {sentence}"),
                &[THERAPY],
            );
            f.items[0].prior_treatment.is_some()
        };
        assert!(!prior(
            "Treatment to date includes modified work activity, home exercise program, and medications."
        ));
        assert!(prior(
            "Treatment to date includes modified work activity, physical therapy, and medications."
        ));
    }
}
