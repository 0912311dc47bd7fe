use super::*;
use crate::check::{Label, Severity};
use crate::gold::GoldFile;
use crate::text::Span;

/// An invented letter of two items; the misspelled drug name stands in the summary.
const TEXT: &str = "CLINICAL CASE SUMMARY\nThe patient takes Tramdol daily.\nRATIONALE\nNo documented relief from tramadol.\nNo red flags.\n";

fn gold(yaml: &str) -> Gold {
    let file: GoldFile = serde_yaml::from_str(yaml).unwrap();
    Gold {
        path: "gold.yaml".into(),
        file,
    }
}

fn finding(kind: Kind, item: Option<usize>, reason: Option<&str>, at: &str) -> Finding {
    let start = TEXT.find(at).unwrap();
    Finding {
        kind,
        severity: Severity::Note,
        rule: reason.map(|_| "some-rule".to_string()),
        reason: reason.map(str::to_string),
        item,
        message: "m".into(),
        help: "h".into(),
        labels: vec![Label {
            span: Span {
                start: crate::text::Original(start),
                end: crate::text::Original(start + at.len()),
                line: 1,
                column: 1,
            },
            text: String::new(),
        }],
    }
}

const GOLD: &str = r#"
letter: cases/x.txt
annotator: adjudicated
items:
  - index: 0
    treatment: Tramadol 50mg #60
    decision: upheld
    sound: false
    findings:
      - kind: missing-reason
        reason: efficacy-undocumented
        quote: No documented relief from tramadol
      - kind: record-contradiction
        quote: "No red
          flags"
  - index: 1
    treatment: MRI of the lumbar spine
    decision: upheld
    sound: true
letter_findings:
  - kind: misspelling
    quote: Tramdol
"#;

#[test]
fn findings_match_gold_by_item_kind_and_reason() {
    let g = gold(GOLD);
    let found = [
        finding(
            Kind::MissingReason,
            Some(0),
            Some("efficacy-undocumented"),
            "No documented",
        ),
        // Right kind, wrong item: gold says item 1 is sound.
        finding(
            Kind::MissingReason,
            Some(1),
            Some("efficacy-undocumented"),
            "No red",
        ),
        // Right item, reason gold does not hold.
        finding(
            Kind::MissingReason,
            Some(0),
            Some("dosing-frequency-missing"),
            "No documented",
        ),
        // A misspelling matches by its word, whatever item it is put on.
        finding(Kind::Misspelling, Some(0), None, "Tramdol"),
    ];
    let refs: Vec<&Finding> = found.iter().collect();
    let s = score_findings(&g, "x.txt", TEXT, &refs);
    assert_eq!(
        s.overall,
        Tally {
            right: 2,
            wrong: 2,
            missed: 1
        }
    );
    assert_eq!(s.by_kind["missing-reason"].right, 1);
    assert_eq!(s.by_kind["missing-reason"].wrong, 2);
    assert_eq!(s.by_kind["record-contradiction"].missed, 1);
    assert_eq!(s.by_reason["dosing-frequency-missing"].wrong, 1);
    assert_eq!(s.by_rule["some-rule"].right, 1);
    assert_eq!(s.by_severity["note"].wrong, 2);
    assert_eq!(
        s.items,
        ItemTally {
            flagged_unsound: 1,
            flagged_sound: 1,
            ..ItemTally::default()
        }
    );
    // The miss points at its quote, found across the line break.
    assert_eq!(s.misses.len(), 1);
    assert_eq!((s.misses[0].line, s.misses[0].column), (5, 1));
    assert_eq!(s.false_positives.len(), 2);
}

#[test]
fn each_gold_finding_is_matched_once() {
    let g = gold(GOLD);
    let twice = [
        finding(
            Kind::MissingReason,
            Some(0),
            Some("efficacy-undocumented"),
            "No documented",
        ),
        finding(
            Kind::MissingReason,
            Some(0),
            Some("efficacy-undocumented"),
            "No documented",
        ),
    ];
    let refs: Vec<&Finding> = twice.iter().collect();
    let s = score_findings(&g, "x.txt", TEXT, &refs);
    assert_eq!((s.overall.right, s.overall.wrong), (1, 1));
}

#[test]
fn a_gold_finding_without_a_reason_takes_any_reason_but_a_named_one_goes_first() {
    let g = gold(
        r#"
letter: x.txt
annotator: adjudicated
items:
  - index: 0
    treatment: t
    decision: upheld
    sound: false
    findings:
      - kind: citation-mismatch
        quote: No red flags
      - kind: citation-mismatch
        quote: No documented relief
"#,
    );
    let found = [
        finding(Kind::CitationMismatch, Some(0), None, "No red"),
        finding(Kind::CitationMismatch, Some(0), None, "No red"),
        finding(Kind::CitationMismatch, Some(0), None, "No red"),
    ];
    let refs: Vec<&Finding> = found.iter().collect();
    let s = score_findings(&g, "x.txt", TEXT, &refs);
    assert_eq!(
        s.overall,
        Tally {
            right: 2,
            wrong: 1,
            missed: 0
        }
    );
}

#[test]
fn nothing_found_on_a_flagged_letter_is_all_missed() {
    let s = score_findings(&gold(GOLD), "x.txt", TEXT, &[]);
    assert_eq!(
        s.overall,
        Tally {
            right: 0,
            wrong: 0,
            missed: 3
        }
    );
    assert_eq!(s.overall.precision(), None);
    assert_eq!(s.overall.recall(), Some(0.0));
    assert_eq!(s.items.unflagged_sound, 1);
    assert_eq!(s.items.unflagged_unsound, 1);
}

#[test]
fn precision_recall_and_f1_are_the_usual_ratios() {
    let t = Tally {
        right: 3,
        wrong: 1,
        missed: 2,
    };
    assert_eq!(t.precision(), Some(0.75));
    assert_eq!(t.recall(), Some(0.6));
    assert!((t.f1().unwrap() - 2.0 * 0.75 * 0.6 / 1.35).abs() < 1e-12);
    assert_eq!(Tally::default().f1(), None);
}

#[test]
fn quotes_are_found_whatever_the_case_and_line_breaks() {
    assert_eq!(
        find_quote(TEXT, "no DOCUMENTED relief"),
        TEXT.find("No documented")
    );
    assert_eq!(find_quote(TEXT, "No red flags"), TEXT.find("No red"));
    // A quote that drifts from the letter after its first words is still placed.
    assert_eq!(
        find_quote(TEXT, "No documented relief from opioids at all"),
        TEXT.find("No documented")
    );
    assert_eq!(find_quote(TEXT, "nowhere in the letter"), None);
    // Too few words to place by a part: one word alone could stand anywhere.
    assert_eq!(find_quote(TEXT, "No signs"), None);
    assert_eq!(find_quote(TEXT, ""), None);
    assert_eq!(line_column(TEXT, TEXT.find("No red").unwrap()), (5, 1));
}

#[test]
fn treatments_read_alike_when_most_words_are_shared() {
    assert!(same_treatment(
        "Norco 10/325mg #90",
        "Norco 10/325mg #90 was the original request"
    ));
    assert!(!same_treatment(
        "Norco 10/325mg #90",
        "MRI of the lumbar spine"
    ));
}
