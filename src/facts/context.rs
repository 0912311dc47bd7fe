//! Concept mentions and their status, ConText style: a trigger (`no documentation of`) reaches
//! forward or backward within its sentence, up to a word limit or a terminator (`but`), and sets
//! the status of the concepts in its reach; a `previous` trigger opening a sentence ('As this was
//! not documented') sets the status of the whole sentence before it. Negation wins over uncertainty, uncertainty over
//! history.

use std::ops::Range;

use crate::rules::concepts::ConceptId;
use crate::rules::concepts::Direction;
use crate::rules::patterns::{PatternMatch, longest};
use crate::rules::{Concepts, Context, Status};

/// A concept found in the text (folded ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub concept: ConceptId,
    pub status: Status,
    pub range: Range<usize>,
    /// The sentence it stands in.
    pub sentence: Range<usize>,
    /// The trigger that set a status other than affirmed.
    pub trigger: Option<Range<usize>>,
}

/// The context triggers and terminators of a stretch of text, found once, to decide the status
/// of any phrase in it.
pub struct Scan<'a> {
    context: &'a Context,
    folded: &'a str,
    triggers: Vec<PatternMatch>,
    terminators: Vec<PatternMatch>,
}

impl<'a> Scan<'a> {
    pub fn new(context: &'a Context, folded: &'a str, within: Range<usize>) -> Scan<'a> {
        // Of overlapping triggers the longest decides: `was not clearly stated whether` is uncertain.
        // Triggers on the very same words all count: one word may reach forward and backward
        // with scopes of its own (`negative`).
        let pseudo = context.pseudo.find_all(folded, within.clone());
        let all = context.trigger_patterns.find_all(folded, within.clone());
        let triggers = longest(all, |a, b| a.range != b.range)
            .into_iter()
            .filter(|t| {
                !pseudo
                    .iter()
                    .any(|p| p.range.start <= t.range.start && t.range.end <= p.range.end)
            })
            .collect();
        Scan {
            context,
            folded,
            terminators: context.terminators.find_all(folded, within),
            triggers,
        }
    }

    /// The status of `target` in `sentence`, and the trigger that set it.
    pub fn status(
        &self,
        sentence: &Range<usize>,
        target: &Range<usize>,
    ) -> (Status, Option<Range<usize>>) {
        let inside = |r: &Range<usize>| sentence.start <= r.start && r.end <= sentence.end;
        let cut = |a: usize, b: usize| {
            self.terminators
                .iter()
                .any(|x| x.range.start >= a && x.range.end <= b)
        };
        // A `previous` trigger opens the next sentence: only spaces and punctuation lie between.
        let opens_next = |r: &Range<usize>| {
            r.start >= sentence.end
                && self.folded[sentence.end..r.start]
                    .chars()
                    .all(|c| !c.is_alphanumeric())
        };
        let mut best: Option<(Status, Range<usize>)> = None;
        // Triggers are in text order: those from the sentence's start until one past its end that
        // does not open the next sentence.
        let first = self
            .triggers
            .partition_point(|t| t.range.start < sentence.start);
        for t in self.triggers[first..]
            .iter()
            .take_while(|t| t.range.start < sentence.end || opens_next(&t.range))
        {
            let trigger = &self.context.triggers[t.owner];
            if trigger.direction == Direction::Previous {
                if opens_next(&t.range)
                    && best
                        .as_ref()
                        .is_none_or(|(s, _)| trigger.status.overrides() > s.overrides())
                {
                    best = Some((trigger.status, t.range.clone()));
                }
                continue;
            }
            if !inside(&t.range) || (t.range.start < target.end && target.start < t.range.end) {
                continue;
            }
            let limit = trigger.max_words.unwrap_or(self.context.max_scope_words);
            let forward = target.start >= t.range.end
                && trigger.direction != Direction::Backward
                && words(&self.folded[t.range.end..target.start]) <= limit
                && !cut(t.range.end, target.start);
            let backward = target.end <= t.range.start
                && trigger.direction != Direction::Forward
                && words(&self.folded[target.end..t.range.start]) <= limit
                && !cut(target.end, t.range.start);
            if (forward || backward)
                && best
                    .as_ref()
                    .is_none_or(|(s, _)| trigger.status.overrides() > s.overrides())
            {
                best = Some((trigger.status, t.range.clone()));
            }
        }
        match best {
            Some((s, r)) => (s, Some(r)),
            None => (Status::Affirmed, None),
        }
    }
}

/// Concept mentions in the given sentences of `folded`.
pub fn mentions(
    concepts: &Concepts,
    context: &Context,
    folded: &str,
    sentences: &[Range<usize>],
) -> Vec<Mention> {
    match sentences.first().zip(sentences.last()) {
        Some((first, last)) => {
            let scan = Scan::new(context, folded, first.start..last.end);
            mentions_in(concepts, &scan, sentences)
        }
        None => Vec::new(),
    }
}

/// Concept mentions in the given sentences, their status decided by a scan that covers them.
pub fn mentions_in(concepts: &Concepts, scan: &Scan, sentences: &[Range<usize>]) -> Vec<Mention> {
    let Some((first, last)) = sentences.first().zip(sentences.last()) else {
        return Vec::new();
    };
    let found = concepts
        .patterns
        .find_longest_per_owner(scan.folded, first.start..last.end);
    let mut out = Vec::new();
    for sentence in sentences {
        for m in found
            .iter()
            .filter(|m| sentence.start <= m.range.start && m.range.end <= sentence.end)
        {
            let (status, trigger) = scan.status(sentence, &m.range);
            out.push(Mention {
                concept: ConceptId(m.owner),
                status,
                range: m.range.clone(),
                sentence: sentence.clone(),
                trigger,
            });
        }
    }
    // 'no progression of neurological deficits' denies the progression, not the deficit: a
    // mention overlapping a denied one that implies it says nothing.
    let denied_wholes: Vec<(ConceptId, Range<usize>)> = out
        .iter()
        .filter(|m| m.status == Status::Negated)
        .map(|m| (m.concept, m.range.clone()))
        .collect();
    out.retain(|m| {
        !denied_wholes.iter().any(|(whole, at)| {
            concepts.implies(*whole, m.concept) && at.start < m.range.end && m.range.start < at.end
        })
    });
    out
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}
