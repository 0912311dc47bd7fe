//! A rationale read once: its sentences, those about the patient, its concepts, where it cites
//! each reason, and the decision it concludes with.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::facts::context::{self as concept_context, Scan};
use crate::letter::Decision;
use crate::rules::RuleSet;
use crate::rules::patterns::PatternSet;
use crate::rules::reasons::{ReasonId, ReasonKind};
use crate::text::sentences;

/// A rationale read once for all that is asked of it: its sentences, which of them are about the
/// patient, its context triggers, and the concepts it mentions with their status.
pub(super) struct Rationale<'a> {
    pub(super) range: Range<usize>,
    pub(super) sentences: Vec<Range<usize>>,
    pub(super) about_patient: Vec<Range<usize>>,
    /// The sentences about the request (context.yaml `about_the_request`).
    about_request: Vec<Range<usize>>,
    pub(super) scan: Scan<'a>,
    pub(super) mentions: Vec<concept_context::Mention>,
}

impl<'a> Rationale<'a> {
    pub(super) fn read(rules: &'a RuleSet, folded: &'a str, range: Range<usize>) -> Rationale<'a> {
        let sentences = sentences(folded, range.clone());
        let holding = |phrases: &PatternSet| {
            let mut held: Vec<Range<usize>> = phrases
                .find_all(folded, range.clone())
                .into_iter()
                .filter_map(|m| {
                    sentences
                        .iter()
                        .find(|s| s.start <= m.range.start && m.range.end <= s.end)
                        .cloned()
                })
                .collect();
            held.dedup();
            held
        };
        let about_patient = holding(&rules.context.about_the_patient);
        let about_request = holding(&rules.context.about_the_request);
        let scan = Scan::new(&rules.context, folded, range.clone());
        let mentions = concept_context::mentions_in(&rules.concepts, &scan, &sentences);
        Rationale {
            range,
            sentences,
            about_patient,
            about_request,
            scan,
            mentions,
        }
    }

    /// The sentence that holds `at`.
    pub(super) fn sentence_of(&self, at: &Range<usize>) -> Option<&Range<usize>> {
        self.sentences
            .iter()
            .find(|s| s.start <= at.start && at.end <= s.end)
    }

    pub(super) fn about_patient(&self, at: &Range<usize>) -> bool {
        within(&self.about_patient, at)
    }

    /// Whether a cite at `at` of a reason of `kind` claims something the facts can weigh: any
    /// statement about the patient or the record, and for a documentation reason one about the
    /// request too. A state of the world (how long a drug was used) is claimed only of the
    /// patient: 'the request for #60 exceeds the recommended duration' speaks of the request.
    fn claims(&self, at: &Range<usize>, kind: ReasonKind) -> bool {
        self.about_patient(at)
            || (kind == ReasonKind::Documentation && within(&self.about_request, at))
    }
}

/// Whether one of `sentences` holds `at`.
fn within(sentences: &[Range<usize>], at: &Range<usize>) -> bool {
    sentences
        .iter()
        .any(|s| s.start <= at.start && at.end <= s.end)
}

/// Where a rationale cites each reason, and where it states grounds in any words.
pub(super) struct Cites {
    /// The first cite of each reason: where, and which of the reason's `cites` matched.
    pub(super) first: BTreeMap<ReasonId, (Range<usize>, usize)>,
    /// The first cite of each reason that claims something the facts can weigh (a sentence about
    /// the patient or the record; about the request, for a documentation reason).
    pub(super) claims: BTreeMap<ReasonId, Range<usize>>,
    /// Every cite, in the order found.
    every: Vec<(ReasonId, Range<usize>)>,
    /// The sentences that state a ground (reasons.yaml `grounds`) in the reviewer's own words.
    grounds: Vec<Range<usize>>,
}

impl Cites {
    /// The cites of a rationale, outside the places where it restates the request.
    pub(super) fn find(
        rules: &RuleSet,
        folded: &str,
        rationale: &Rationale,
        restated: &[Range<usize>],
    ) -> Cites {
        let reasons = &rules.reasons;
        // Words in quotation marks are the guideline's ("not recommended for long-term use"), not
        // the reviewer's finding about this patient; words of a restated request are the
        // request's.
        let mut quotes = quoted(folded, rationale.range.clone());
        quotes.extend(restated.iter().cloned());
        let reviewers = |at: &Range<usize>| {
            !quotes
                .iter()
                .any(|q| q.start <= at.start && at.end <= q.end)
        };
        let mut first: BTreeMap<ReasonId, (Range<usize>, usize)> = BTreeMap::new();
        let mut claims: BTreeMap<ReasonId, Range<usize>> = BTreeMap::new();
        let mut every = Vec::new();
        let mut note = |reason: ReasonId, cite: usize, at: Range<usize>| {
            if !reviewers(&at) {
                return;
            }
            if rationale.claims(&at, reasons.get(reason).kind) {
                claims.entry(reason).or_insert(at.clone());
            }
            every.push((reason, at.clone()));
            first.entry(reason).or_insert((at, cite));
        };
        for m in reasons
            .cite_patterns
            .find_all(folded, rationale.range.clone())
        {
            let (reason, cite) = reasons.cite_owner[m.owner];
            let Some(sentence) = rationale.sentence_of(&m.range) else {
                continue;
            };
            let (status, _) = rationale.scan.status(sentence, &m.range);
            if reasons.get(reason).cites[cite]
                .status
                .iter()
                .any(|e| e.holds(&[status]))
            {
                note(reason, cite, m.range);
            }
        }
        for reason in reasons.ids() {
            for (concept, cite) in reasons.concept_cites(reason) {
                let wanted = &reasons.get(reason).cites[*cite].status;
                if let Some(m) = rationale
                    .mentions
                    .iter()
                    .find(|m| m.concept == *concept && wanted.iter().any(|e| e.holds(&[m.status])))
                {
                    note(reason, *cite, m.range.clone());
                }
            }
        }
        let mut grounds: Vec<Range<usize>> = reasons
            .grounds
            .find_all(folded, rationale.range.clone())
            .into_iter()
            .filter(|m| reviewers(&m.range))
            .filter_map(|m| rationale.sentence_of(&m.range).cloned())
            .collect();
        grounds.dedup();
        Cites {
            first,
            claims,
            every,
            grounds,
        }
    }

    /// The sentences that state a ground and cite none of `weighed`: the rationale rests on
    /// something the catalog cannot name for this item.
    pub(super) fn unread_grounds(&self, weighed: &[ReasonId]) -> Vec<Range<usize>> {
        self.grounds
            .iter()
            .filter(|s| {
                !self
                    .every
                    .iter()
                    .any(|(r, at)| weighed.contains(r) && s.start <= at.start && at.end <= s.end)
            })
            .cloned()
            .collect()
    }

    pub(super) fn of(&self, reason: ReasonId) -> Option<Range<usize>> {
        self.first.get(&reason).map(|(at, _)| at.clone())
    }

    /// Which of the reason's `cites` its first cite matched.
    pub(super) fn by(&self, reason: ReasonId) -> Option<usize> {
        self.first.get(&reason).map(|(_, cite)| *cite)
    }

    pub(super) fn claim(&self, reason: ReasonId) -> Option<Range<usize>> {
        self.claims.get(&reason).cloned()
    }
}

/// The stretches between paired double quotes in `range`; an unpaired last quote opens nothing.
pub(super) fn quoted(folded: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let marks: Vec<usize> = folded[range.clone()]
        .match_indices('"')
        .map(|(i, _)| range.start + i)
        .collect();
    marks.chunks_exact(2).map(|p| p[0]..p[1] + 1).collect()
}

/// The decision the rationale concludes with: its last conclusion phrase.
pub(super) fn conclusion(
    rules: &RuleSet,
    folded: &str,
    rationale: Range<usize>,
) -> Option<(Decision, Range<usize>)> {
    rules
        .reasons
        .conclusions
        .find_longest(folded, rationale)
        .into_iter()
        .last()
        .map(|m| {
            let d = if m.owner == 0 {
                Decision::Upheld
            } else {
                Decision::Overturned
            };
            (d, m.range)
        })
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn quotes_pair_up_and_an_unpaired_last_one_opens_nothing() {
        let s = r#"The guideline says "not for long-term use" and "short courses" only. A stray " here."#;
        let q: Vec<&str> = quoted(s, 0..s.len()).into_iter().map(|r| &s[r]).collect();
        assert_eq!(q, [r#""not for long-term use""#, r#""short courses""#]);
        // Within a range that starts after the first quote, pairs are counted from there.
        let from = s.find("and").unwrap();
        let q: Vec<&str> = quoted(s, from..s.len())
            .into_iter()
            .map(|r| &s[r])
            .collect();
        assert_eq!(q, [r#""short courses""#]);
    }
}
