//! `imrlint eval`: findings measured against gold annotations. Each checked letter is paired with
//! its gold by file stem; within a letter, findings and gold findings are matched one to one by
//! item, kind and (when gold names one) reason; what is left over on either side is a false
//! positive or a miss. The counts add up to precision, recall and F1 overall and per split, tool
//! severity, kind, reason and rule.

pub mod agreement;
mod render;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::{Finding, Kind};
use crate::gold::{Aspect, Gold, GoldDecision, GoldFinding, GoldKind, Split};
use crate::report::{LetterResult, Outcome};

pub use render::{human, json};

/// Right, wrong and missed findings, and what follows from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Findings gold holds.
    pub right: usize,
    /// Findings gold does not hold.
    pub wrong: usize,
    /// Gold findings no finding matched.
    pub missed: usize,
}

impl Tally {
    /// right / (right + wrong): of what imrlint reported, the share an auditor expects.
    pub fn precision(&self) -> Option<f64> {
        ratio(self.right, self.right + self.wrong)
    }

    /// right / (right + missed): of what an auditor expects, the share imrlint reported.
    pub fn recall(&self) -> Option<f64> {
        ratio(self.right, self.right + self.missed)
    }

    pub fn f1(&self) -> Option<f64> {
        ratio(2 * self.right, 2 * self.right + self.wrong + self.missed)
    }

    fn add(&mut self, other: Tally) {
        self.right += other.right;
        self.wrong += other.wrong;
        self.missed += other.missed;
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Items judged whole: an item with any finding against one gold says is not sound.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ItemTally {
    /// Flagged, and gold says not sound.
    pub flagged_unsound: usize,
    /// Flagged, and gold says sound.
    pub flagged_sound: usize,
    /// Not flagged, and gold says not sound.
    pub unflagged_unsound: usize,
    /// Not flagged, and gold says sound.
    pub unflagged_sound: usize,
}

impl ItemTally {
    pub fn as_tally(&self) -> Tally {
        Tally {
            right: self.flagged_unsound,
            wrong: self.flagged_sound,
            missed: self.unflagged_unsound,
        }
    }

    fn add(&mut self, o: ItemTally) {
        self.flagged_unsound += o.flagged_unsound;
        self.flagged_sound += o.flagged_sound;
        self.unflagged_unsound += o.unflagged_unsound;
        self.unflagged_sound += o.unflagged_sound;
    }
}

/// A finding gold does not hold, with where it points.
#[derive(Debug, Clone, Serialize)]
pub struct FalsePositive {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub item: Option<usize>,
    pub severity: &'static str,
    pub code: String,
    pub message: String,
}

/// A gold finding no finding matched, with where its quote stands in the letter.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub item: Option<usize>,
    pub kind: &'static str,
    pub reason: Option<String>,
    pub aspect: Option<Aspect>,
    pub quote: String,
    pub note: Option<String>,
}

/// One letter scored against its gold.
#[derive(Debug, Clone, Default)]
pub struct LetterScore {
    pub overall: Tally,
    pub by_severity: BTreeMap<String, Tally>,
    pub by_kind: BTreeMap<String, Tally>,
    pub by_reason: BTreeMap<String, Tally>,
    pub by_rule: BTreeMap<String, Tally>,
    pub items: ItemTally,
    pub false_positives: Vec<FalsePositive>,
    pub misses: Vec<Miss>,
    /// Where imrlint's reading of the items differs from gold's (count, treatment, decision):
    /// scores of such a letter are suspect.
    pub alignment: Vec<String>,
    /// The letter could not be read: every gold finding is missed.
    pub unreadable: bool,
}

/// Every letter scored, added up.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub letters: usize,
    pub items: usize,
    pub gold_findings: usize,
    pub by_split: BTreeMap<String, Tally>,
    pub letters_by_split: BTreeMap<String, usize>,
    pub score: LetterScore,
    /// Letters checked that no gold file names (not scored).
    pub without_gold: Vec<String>,
    /// Gold letters that were not found (not scored).
    pub not_found: Vec<String>,
    pub unreadable: Vec<String>,
}

impl Evaluation {
    pub fn add(&mut self, gold: &Gold, result: &LetterResult) {
        let score = score(gold, result);
        self.letters += 1;
        self.items += gold.file.items.len();
        self.gold_findings += gold_findings(gold).count();
        let split = gold.split().id().to_string();
        self.by_split
            .entry(split.clone())
            .or_default()
            .add(score.overall);
        *self.letters_by_split.entry(split).or_default() += 1;
        if score.unreadable {
            self.unreadable.push(result.path.clone());
        }
        let total = &mut self.score;
        total.overall.add(score.overall);
        for (total, part) in [
            (&mut total.by_severity, score.by_severity),
            (&mut total.by_kind, score.by_kind),
            (&mut total.by_reason, score.by_reason),
            (&mut total.by_rule, score.by_rule),
        ] {
            for (key, tally) in part {
                total.entry(key).or_default().add(tally);
            }
        }
        total.items.add(score.items);
        total.false_positives.extend(score.false_positives);
        total.misses.extend(score.misses);
        total.alignment.extend(score.alignment);
    }
}

/// Every gold finding of a letter, with its item (`None` for a letter finding).
fn gold_findings(gold: &Gold) -> impl Iterator<Item = (Option<usize>, &GoldFinding)> {
    gold.file
        .items
        .iter()
        .flat_map(|i| i.findings.iter().map(move |f| (Some(i.index), f)))
        .chain(gold.file.letter_findings.iter().map(|f| (None, f)))
}

/// Scores one checked letter against its gold.
pub fn score(gold: &Gold, result: &LetterResult) -> LetterScore {
    match &result.outcome {
        Outcome::Checked {
            text,
            facts,
            checked,
        } => {
            let found: Vec<&Finding> = checked
                .findings
                .iter()
                .filter(|f| !matches!(f.kind, Kind::Unreadable | Kind::NoRule))
                .collect();
            let mut out = score_findings(gold, &result.path, text, &found);
            out.alignment = alignment(gold, &result.path, facts);
            out
        }
        Outcome::Failed { .. } => LetterScore {
            unreadable: true,
            ..score_findings(gold, &result.path, "", &[])
        },
    }
}

/// Scores findings on a letter's text against its gold.
fn score_findings(gold: &Gold, path: &str, text: &str, found: &[&Finding]) -> LetterScore {
    let mut out = LetterScore::default();
    let expected: Vec<(Option<usize>, &GoldFinding)> = gold_findings(gold).collect();
    let matched = match_findings(found, &expected, text);
    let mut taken = vec![false; expected.len()];
    for (finding, gold_index) in found.iter().zip(&matched) {
        let right = gold_index.is_some();
        if let Some(g) = gold_index {
            taken[*g] = true;
        }
        let tally = Tally {
            right: usize::from(right),
            wrong: usize::from(!right),
            missed: 0,
        };
        out.overall.add(tally);
        out.by_severity
            .entry(finding.severity.id().to_string())
            .or_default()
            .add(tally);
        out.by_kind
            .entry(finding.kind.id().to_string())
            .or_default()
            .add(tally);
        if let Some(reason) = &finding.reason {
            out.by_reason.entry(reason.clone()).or_default().add(tally);
        }
        if let Some(rule) = &finding.rule {
            out.by_rule.entry(rule.clone()).or_default().add(tally);
        }
        if !right {
            let (line, column) = finding
                .labels
                .first()
                .map_or((1, 1), |l| (l.span.line, l.span.column));
            out.false_positives.push(FalsePositive {
                path: path.to_string(),
                line,
                column,
                item: finding.item,
                severity: finding.severity.id(),
                code: finding.code(),
                message: finding.message.clone(),
            });
        }
    }
    for ((item, g), _) in expected.iter().zip(&taken).filter(|(_, t)| !**t) {
        let miss = Tally {
            missed: 1,
            ..Tally::default()
        };
        out.overall.add(miss);
        out.by_kind
            .entry(g.kind.id().to_string())
            .or_default()
            .add(miss);
        if let Some(reason) = &g.reason {
            out.by_reason.entry(reason.clone()).or_default().add(miss);
        }
        let (line, column) = find_quote(text, &g.quote)
            .map(|at| line_column(text, at))
            .unwrap_or((1, 1));
        out.misses.push(Miss {
            path: path.to_string(),
            line,
            column,
            item: *item,
            kind: g.kind.id(),
            reason: g.reason.clone(),
            aspect: g.aspect,
            quote: g.quote.clone(),
            note: g.note.clone(),
        });
    }
    for gold_item in &gold.file.items {
        let flagged = found.iter().any(|f| f.item == Some(gold_item.index));
        let tally = &mut out.items;
        match (flagged, gold_item.sound) {
            (true, false) => tally.flagged_unsound += 1,
            (true, true) => tally.flagged_sound += 1,
            (false, false) => tally.unflagged_unsound += 1,
            (false, true) => tally.unflagged_sound += 1,
        }
    }
    out
}

/// For each finding, the gold finding it matches, one to one. A finding matches a gold finding
/// of its kind on its item whose reason is its own, or that names none; a misspelling matches by
/// the misspelled word, wherever gold put it. Gold findings that name the reason are taken
/// first, so a reasonless one is left for a finding no named one fits.
fn match_findings(
    found: &[&Finding],
    expected: &[(Option<usize>, &GoldFinding)],
    text: &str,
) -> Vec<Option<usize>> {
    let mut taken = vec![false; expected.len()];
    let mut out = vec![None; found.len()];
    for by_reason in [true, false] {
        for (f, slot) in found.iter().zip(out.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            let fits = |(item, g): &(Option<usize>, &GoldFinding)| -> bool {
                if g.kind.id() != f.kind.id() {
                    return false;
                }
                if g.kind == GoldKind::Misspelling {
                    return misspelled_word(f, text).is_some_and(|w| contains_word(&g.quote, w));
                }
                *item == f.item
                    && match (&g.reason, by_reason) {
                        (Some(r), true) => f.reason.as_deref() == Some(r.as_str()),
                        (None, false) => true,
                        _ => false,
                    }
            };
            if let Some(g) = (0..expected.len()).find(|&g| !taken[g] && fits(&expected[g])) {
                taken[g] = true;
                *slot = Some(g);
            }
        }
    }
    out
}

/// The word a misspelling finding points at.
fn misspelled_word<'t>(f: &Finding, text: &'t str) -> Option<&'t str> {
    f.labels
        .first()
        .and_then(|l| text.get(l.span.range()))
        .filter(|w| !w.trim().is_empty())
}

fn contains_word(quote: &str, word: &str) -> bool {
    quote.to_lowercase().contains(&word.trim().to_lowercase())
}

/// Where a quote stands in the text: its words in order, whatever the case and the white space
/// (line breaks) between them. A quote that drifts from the letter after its first words is
/// still placed by its first four, or three.
fn find_quote(text: &str, quote: &str) -> Option<usize> {
    let words: Vec<String> = quote.split_whitespace().map(regex::escape).collect();
    let mut lengths = vec![words.len()];
    lengths.extend([4, 3].into_iter().filter(|&n| n < words.len()));
    lengths.into_iter().filter(|&n| n > 0).find_map(|n| {
        regex::RegexBuilder::new(&words[..n].join(r"\s+"))
            .case_insensitive(true)
            .build()
            .ok()?
            .find(text)
            .map(|m| m.start())
    })
}

/// The 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before, |nl| &before[nl + 1..])
        .chars()
        .count()
        + 1;
    (line, column)
}

/// Where imrlint's items and gold's differ: their number, a treatment, a decision.
fn alignment(gold: &Gold, path: &str, facts: &crate::facts::Facts) -> Vec<String> {
    let mut out = Vec::new();
    if facts.items.len() != gold.file.items.len() {
        out.push(format!(
            "{path}: imrlint reads {} item(s), gold lists {}",
            facts.items.len(),
            gold.file.items.len()
        ));
    }
    for (tool, gold_item) in facts.items.iter().zip(&gold.file.items) {
        if !same_treatment(&tool.treatment.value, &gold_item.treatment) {
            out.push(format!(
                "{path}: item {}: imrlint reads `{}`, gold `{}`",
                gold_item.index, tool.treatment.value, gold_item.treatment
            ));
        }
        let decision = match gold_item.decision {
            GoldDecision::Upheld => "upheld",
            GoldDecision::Overturned => "overturned",
            GoldDecision::Unknown => "unknown",
        };
        if tool.decision.value.id() != decision {
            out.push(format!(
                "{path}: item {}: imrlint reads the decision {}, gold {decision}",
                gold_item.index,
                tool.decision.value.id()
            ));
        }
    }
    out
}

/// Two readings of a treatment are the same when most words of the shorter are in the longer:
/// gold copies the printed line, imrlint may read the IMR-eligible part of a partial one.
fn same_treatment(a: &str, b: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.is_empty() {
        return long.is_empty();
    }
    let shared = short.iter().filter(|w| long.contains(w)).count();
    shared * 3 >= short.len() * 2
}

/// Whether a gold letter is in the split a run is restricted to (every letter is, without one).
pub fn in_split(gold: &Gold, split: Option<Split>) -> bool {
    split.is_none_or(|s| gold.split() == s)
}

#[cfg(test)]
mod tests;
