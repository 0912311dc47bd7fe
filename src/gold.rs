//! Gold annotations: what a careful auditor, blind to imrlint, expects of each disputed item of a
//! letter. They are the yardstick [`crate::eval`] measures findings against, so they are plain
//! data read from YAML (`imrlint schema gold` prints their JSON Schema), never written by the tool.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One letter's annotation: a file `cases/gold/<letter stem>.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoldFile {
    /// The letter, by its path relative to the project (`cases/seed-000.txt`) or to the corpus
    /// folder (`text/CM16-0221706.txt`, with `--corpus`, by default `../shared/corpus`). Letters
    /// are matched to gold by file stem, so the same letter as PDF shares its gold.
    pub letter: String,
    /// Who made it: one blind reviewer (`A`, `B`), or the adjudication of both.
    pub annotator: Annotator,
    /// Which split the letter is in, when it must not follow the file-name rule (a letter rules
    /// were written from is `tune` whatever its name): see [`split_of`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub split: Option<Split>,
    /// Every disputed item of the letter, in letter order.
    pub items: Vec<GoldItem>,
    /// Findings that belong to no item (a misspelled drug name in the case summary).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub letter_findings: Vec<GoldFinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
pub enum Annotator {
    A,
    B,
    #[serde(rename = "adjudicated")]
    Adjudicated,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Tune,
    Test,
}

impl Split {
    pub fn id(self) -> &'static str {
        match self {
            Split::Tune => "tune",
            Split::Test => "test",
        }
    }
}

/// One disputed item as printed, and what the auditor expects of its rationale.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoldItem {
    /// The item's place in the letter, from 0.
    pub index: usize,
    /// The treatment as printed before the decision.
    pub treatment: String,
    pub decision: GoldDecision,
    /// True when a careful auditor would raise nothing.
    pub sound: bool,
    #[serde(default)]
    pub findings: Vec<GoldFinding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GoldDecision {
    Upheld,
    Overturned,
    Unknown,
}

/// A finding the auditor expects.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GoldFinding {
    pub kind: GoldKind,
    /// The reason, for the kinds about reasons: an id of `rules/reasons.yaml`, or a new id for a
    /// reason the catalog does not have yet (no finding of imrlint can match that one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// How hard an auditor would press it: `warning` sends the letter back, `note` does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<GoldSeverity>,
    /// For `citation-mismatch`: what does not fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<Aspect>,
    /// The letter's own words the finding rests on.
    pub quote: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// How it came into gold: from the blind annotation, or from a blind review of a finding
    /// imrlint made that gold did not hold (judged right, so added).
    #[serde(default, skip_serializing_if = "Origin::is_blind")]
    pub origin: Origin,
}

/// The finding kinds of DESIGN.md an auditor can raise, including those imrlint does not report
/// yet (recall counts them all the same).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum GoldKind {
    MissingReason,
    UnsupportedClaim,
    UnverifiedClaim,
    RecordContradiction,
    DecisionInconsistent,
    CitationMismatch,
    GuidelineMismatch,
    NoGuideline,
    Contradiction,
    Misspelling,
}

impl GoldKind {
    pub const ALL: [GoldKind; 10] = [
        GoldKind::MissingReason,
        GoldKind::UnsupportedClaim,
        GoldKind::UnverifiedClaim,
        GoldKind::RecordContradiction,
        GoldKind::DecisionInconsistent,
        GoldKind::CitationMismatch,
        GoldKind::GuidelineMismatch,
        GoldKind::NoGuideline,
        GoldKind::Contradiction,
        GoldKind::Misspelling,
    ];

    pub fn id(self) -> &'static str {
        match self {
            GoldKind::MissingReason => "missing-reason",
            GoldKind::UnsupportedClaim => "unsupported-claim",
            GoldKind::UnverifiedClaim => "unverified-claim",
            GoldKind::RecordContradiction => "record-contradiction",
            GoldKind::DecisionInconsistent => "decision-inconsistent",
            GoldKind::CitationMismatch => "citation-mismatch",
            GoldKind::GuidelineMismatch => "guideline-mismatch",
            GoldKind::NoGuideline => "no-guideline",
            GoldKind::Contradiction => "contradiction",
            GoldKind::Misspelling => "misspelling",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum GoldSeverity {
    Warning,
    Note,
}

/// What does not fit in a `citation-mismatch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Aspect {
    /// A page or section differs from the guideline line's, or is outside the cited topic.
    Page,
    /// The chapter is for another body region than the item.
    Region,
    /// The guideline is for another stage of care (chronic vs acute, post-operative).
    Stage,
    /// A guideline figure (visits, weeks, dose) is misquoted.
    Number,
    /// The rationale relies on a guideline the guideline line does not name.
    MissingFromLine,
}

impl Aspect {
    pub fn id(self) -> &'static str {
        match self {
            Aspect::Page => "page",
            Aspect::Region => "region",
            Aspect::Stage => "stage",
            Aspect::Number => "number",
            Aspect::MissingFromLine => "missing-from-line",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    #[default]
    Blind,
    Review,
}

impl Origin {
    fn is_blind(&self) -> bool {
        *self == Origin::Blind
    }
}

/// A gold file read, with where it came from.
#[derive(Debug, Clone)]
pub struct Gold {
    pub path: PathBuf,
    pub file: GoldFile,
}

impl Gold {
    /// The letter's file stem, which findings are matched by.
    pub fn stem(&self) -> String {
        stem(Path::new(&self.file.letter))
    }

    pub fn split(&self) -> Split {
        self.file.split.unwrap_or_else(|| split_of(&self.stem()))
    }

    /// Where the letter is: relative to the working folder, else to `corpus`.
    pub fn locate(&self, corpus: &Path) -> Option<PathBuf> {
        let named = Path::new(&self.file.letter);
        [named.to_path_buf(), corpus.join(named)]
            .into_iter()
            .find(|p| p.is_file())
    }
}

/// A file's name without its extension: `CM16-0221706` for `pdf/CM16-0221706.pdf`.
pub fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The split a letter falls in by its file stem, fixed once: `test` when the 64-bit FNV-1a hash
/// of the stem's bytes is divisible by 3, else `tune`. A hash, not a list, so that a new letter
/// falls in a split without anyone choosing, and nobody can move a letter by reading it.
pub fn split_of(stem: &str) -> Split {
    if fnv1a64(stem.as_bytes()).is_multiple_of(3) {
        Split::Test
    } else {
        Split::Tune
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// What is wrong with a gold file: the file, and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for GoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

/// Reads one gold file and checks what serde cannot: items numbered 0, 1, 2 ... in order, and
/// `sound` agreeing with the findings.
pub fn read(path: &Path) -> Result<Gold, GoldError> {
    let error = |message: String| GoldError {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| error(format!("cannot read it: {e}")))?;
    let file: GoldFile = serde_yaml::from_str(&text).map_err(|e| error(e.to_string()))?;
    validate(&file).map_err(error)?;
    Ok(Gold {
        path: path.to_path_buf(),
        file,
    })
}

fn validate(file: &GoldFile) -> Result<(), String> {
    for (expected, item) in file.items.iter().enumerate() {
        if item.index != expected {
            return Err(format!(
                "item {} is listed where item {expected} should be: list every item of the letter, numbered from 0 in letter order",
                item.index
            ));
        }
        if item.sound != item.findings.is_empty() {
            return Err(format!(
                "item {}: `sound: {}` with {} finding(s): an item is sound exactly when it has no finding",
                item.index,
                item.sound,
                item.findings.len()
            ));
        }
    }
    let all = file
        .items
        .iter()
        .flat_map(|i| i.findings.iter().map(move |f| (Some(i.index), f)))
        .chain(file.letter_findings.iter().map(|f| (None, f)));
    for (item, finding) in all {
        let at = item.map_or("letter_findings".to_string(), |i| format!("item {i}"));
        let about_a_reason = matches!(
            finding.kind,
            GoldKind::MissingReason | GoldKind::UnsupportedClaim | GoldKind::UnverifiedClaim
        );
        if about_a_reason && finding.reason.is_none() {
            return Err(format!(
                "{at}: a {} finding names no `reason`",
                finding.kind.id()
            ));
        }
        if finding.quote.trim().is_empty() {
            return Err(format!(
                "{at}: a {} finding has an empty `quote`: quote the letter's words it rests on",
                finding.kind.id()
            ));
        }
    }
    Ok(())
}

/// Every gold file under `dir` (`*.yaml`, recursively, sorted), keyed by letter stem. Only the
/// files of `annotator` are kept; two files for one stem is an error.
pub fn read_dir(
    dir: &Path,
    annotator: Annotator,
) -> Result<BTreeMap<String, Gold>, Vec<GoldError>> {
    let mut out: BTreeMap<String, Gold> = BTreeMap::new();
    let mut errors = Vec::new();
    if !dir.is_dir() {
        return Err(vec![GoldError {
            path: dir.to_path_buf(),
            message: "no such folder of gold annotations".into(),
        }]);
    }
    let files = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml")
        });
    for entry in files {
        match read(entry.path()) {
            Ok(gold) if gold.file.annotator != annotator => {}
            Ok(gold) => {
                let stem = gold.stem();
                if let Some(first) = out.get(&stem) {
                    errors.push(GoldError {
                        path: gold.path.clone(),
                        message: format!(
                            "a second annotation of letter `{stem}` (the first is {}): keep one",
                            first.path.display()
                        ),
                    });
                } else {
                    out.insert(stem, gold);
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<(), String> {
        let file: GoldFile = serde_yaml::from_str(yaml).map_err(|e| e.to_string())?;
        validate(&file)
    }

    const ONE_ITEM: &str = "letter: cases/x.txt\nannotator: adjudicated\nitems:\n  - index: 0\n    treatment: Norco 10/325 #90\n    decision: upheld\n";

    #[test]
    fn a_sound_item_and_a_flagged_one_read() {
        parse(&format!("{ONE_ITEM}    sound: true\n")).unwrap();
        parse(&format!(
            "{ONE_ITEM}    sound: false\n    findings:\n      - kind: missing-reason\n        reason: efficacy-undocumented\n        quote: no pain scores\n"
        ))
        .unwrap();
    }

    #[test]
    fn sound_must_agree_with_the_findings() {
        let e = parse(&format!("{ONE_ITEM}    sound: false\n")).unwrap_err();
        assert!(e.contains("sound exactly when"), "{e}");
        let e = parse(&format!(
            "{ONE_ITEM}    sound: true\n    findings:\n      - kind: no-guideline\n        quote: did not cite\n"
        ))
        .unwrap_err();
        assert!(e.contains("1 finding"), "{e}");
    }

    #[test]
    fn items_are_numbered_in_order_from_zero() {
        let yaml = ONE_ITEM.replace("index: 0", "index: 1") + "    sound: true\n";
        assert!(parse(&yaml).unwrap_err().contains("item 0 should be"));
    }

    #[test]
    fn a_reason_finding_names_its_reason_and_every_finding_quotes() {
        let e = parse(&format!(
            "{ONE_ITEM}    sound: false\n    findings:\n      - kind: unsupported-claim\n        quote: x\n"
        ))
        .unwrap_err();
        assert!(e.contains("names no `reason`"), "{e}");
        let e = parse(&format!(
            "{ONE_ITEM}    sound: false\n    findings:\n      - kind: misspelling\n        quote: ' '\n"
        ))
        .unwrap_err();
        assert!(e.contains("empty `quote`"), "{e}");
    }

    #[test]
    fn unknown_keys_and_kinds_are_errors() {
        assert!(parse(&format!("{ONE_ITEM}    sound: true\n    verdict: ok\n")).is_err());
        assert!(
            parse(&format!(
                "{ONE_ITEM}    sound: false\n    findings:\n      - kind: typo\n        quote: x\n"
            ))
            .is_err()
        );
    }

    #[test]
    fn the_split_is_a_hash_of_the_stem() {
        // The published test vectors of 64-bit FNV-1a, so the rule cannot drift unnoticed.
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
        let tests = (0..3000)
            .filter(|n| split_of(&format!("CM17-{n:07}")) == Split::Test)
            .count();
        assert!((900..1100).contains(&tests), "{tests} of 3000 in test");
        assert_eq!(stem(Path::new("pdf/CM16-0221706.pdf")), "CM16-0221706");
    }
}
