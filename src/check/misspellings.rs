//! Near misses of known drug names: misspelling.

use std::ops::Range;

use super::finding::{Finding, Kind, Severity, label};
use crate::letter::Letter;
use crate::rules::RuleSet;
use crate::rules::drugs::{DrugId, NameKind};

/// Drug names the letter misspells in `ranges` (an item's treatment and rationale, with the
/// item's index, or the case summary, without).
pub(super) fn misspellings(
    letter: &Letter,
    ranges: &[Range<usize>],
    item: Option<usize>,
    rules: &RuleSet,
) -> Vec<Finding> {
    let folded = letter.text.folded();
    let mut out = Vec::new();
    for r in ranges {
        let known = rules.drugs.find(folded, r.clone());
        // Names listed as misspellings in drugs.yaml.
        let mut misspelled: Vec<(DrugId, Range<usize>)> = known
            .iter()
            .filter(|m| m.kind == NameKind::Misspelling)
            .map(|m| (m.drug, m.range.clone()))
            .collect();
        // Words one edit from a drug name.
        for range in words(folded, r.clone()) {
            if known
                .iter()
                .any(|m| m.range.start <= range.start && range.end <= m.range.end)
            {
                continue;
            }
            if let Some(drug) = rules.drugs.near_miss(&folded[range.clone()]) {
                misspelled.push((drug, range));
            }
        }
        for (drug, range) in misspelled {
            let name = &rules.drugs.get(drug).name;
            out.push(Finding {
                kind: Kind::Misspelling,
                severity: Severity::Note,
                rule: None,
                reason: None,
                item,
                message: format!(
                    "`{}` looks like a misspelling of {name}",
                    &folded[range.clone()]
                ),
                help: format!(
                    "write `{name}` (or add the word to drugs.yaml if it is a drug of its own)"
                ),
                labels: vec![label(letter, &range, "misspelled")],
            });
        }
    }
    out
}

/// The runs of letters and digits in `text[range]`, as ranges of `text`. Separators may be
/// several bytes long (a replacement character, a dash), so offsets are counted, not assumed.
pub(super) fn words(text: &str, range: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = None;
    text[range.clone()]
        .char_indices()
        .map(Some)
        .chain(std::iter::once(None))
        .filter_map(move |c| match c {
            Some((i, c)) if c.is_alphanumeric() => {
                start.get_or_insert(range.start + i);
                None
            }
            Some((i, _)) => start.take().map(|s| s..range.start + i),
            None => start.take().map(|s| s..range.end),
        })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NO_EVIDENCE, findings};
    use crate::check::Kind;

    fn misspelled(summary: &str) -> usize {
        let item = [(
            "Aquatic therapy",
            "Upheld",
            NO_EVIDENCE,
            "Not medically necessary.",
        )];
        findings(summary, &item)
            .iter()
            .filter(|(k, item, _)| *k == Kind::Misspelling && item.is_none())
            .count()
    }

    #[test]
    fn a_near_miss_of_a_drug_name_in_the_summary() {
        assert_eq!(misspelled("He takes clonzaepam at night."), 1);
        // Near misses that must not fire: the name spelled right, and an ordinary word.
        assert_eq!(misspelled("He takes clonazepam at night."), 0);
        assert_eq!(misspelled("He sleeps poorly at night."), 0);
    }
}
