//! The Letter stage: layout, sections, header fields, reviewer credentials and disputed items.
//!
//! Headings and item structure are properties of the letters, not of medicine, so they live here.
//! Everything is found on the folded text and kept as folded ranges; later stages map them back
//! to the original through [`Text::span`].

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;
use serde::Serialize;

use crate::text::Text;

/// The letter formats imrlint knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Layout {
    /// 2014-2015 MAXIMUS letters: no header table, citations by page.
    #[serde(rename = "2014")]
    Y2014,
    /// 2016-2017 MAXIMUS letters: a case header table, citations by section.
    #[serde(rename = "2016")]
    Y2016,
    /// Later MAXIMUS letters headed `MAXIMUS FEDERAL SERVICES, INC. Independent Medical Review`.
    #[serde(rename = "maximus")]
    Maximus,
    /// Later letters headed `MEDICAL PROFESSIONAL REVIEW`, one issue each.
    #[serde(rename = "professional-review")]
    ProfessionalReview,
}

/// The parts of a letter that later stages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SectionKind {
    Header,
    Determination,
    DocumentsReviewed,
    Summary,
    Decisions,
    IssueAtDispute,
    GuidelinesRelied,
    Rationale,
    Qualifications,
}

/// The heading that follows the case header table in MAXIMUS letters.
const DETERMINATION_HEADING: &str = "HOW THE IMR FINAL DETERMINATION WAS MADE";

struct LayoutSpec {
    layout: Layout,
    /// Headings (case-sensitive regexes on folded text), in the order they stand.
    headings: &'static [(SectionKind, &'static str)],
}

/// The known layouts, most specific first. A layout is detected when its distinctive headings are
/// present: every heading of the spec marked in `required` below.
const LAYOUTS: &[LayoutSpec] = &[
    LayoutSpec {
        layout: Layout::ProfessionalReview,
        headings: &[
            (SectionKind::Determination, r"MEDICAL PROFESSIONAL REVIEW"),
            (SectionKind::IssueAtDispute, r"ISSUES? AT DISPUTE:?"),
            (SectionKind::Summary, r"CASE SUMMARY:?"),
            (
                SectionKind::DocumentsReviewed,
                r"DOCUMENTS REVIEWED FOR DETERMINATION:?",
            ),
            (
                SectionKind::GuidelinesRelied,
                r"MEDICAL TREATMENT GUIDELINE\(?S?\)? RELIED UPON BY PROFESSIONAL REVIEWER AND WHY:?",
            ),
            (
                SectionKind::Rationale,
                r"RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS (?:NOT )?MEDICALLY NECESSARY:?",
            ),
            (
                SectionKind::Qualifications,
                r"MEDICAL REVIEWER QUALIFICATIONS:?",
            ),
        ],
    },
    LayoutSpec {
        layout: Layout::Maximus,
        headings: &[
            (
                SectionKind::Determination,
                r"MAXIMUS FEDERAL SERVICES,? INC\.? Independent Medical Review",
            ),
            (SectionKind::DocumentsReviewed, r"DOCUMENTS REVIEWED"),
            (SectionKind::Summary, r"CLINICAL CASE SUMMARY"),
            (
                SectionKind::Decisions,
                r"IMR DECISION\(S\) AND RATIONALE\(S\)",
            ),
        ],
    },
    LayoutSpec {
        layout: Layout::Y2016,
        headings: &[
            (SectionKind::Determination, DETERMINATION_HEADING),
            (SectionKind::Summary, r"CLINICAL CASE SUMMARY"),
            (
                SectionKind::Decisions,
                r"IMR ISSUES, DECISIONS AND RATIONALES",
            ),
        ],
    },
];

/// Which headings must be present for a layout to be detected.
fn required(layout: Layout, kind: SectionKind) -> bool {
    match layout {
        Layout::ProfessionalReview => {
            matches!(
                kind,
                SectionKind::Determination | SectionKind::IssueAtDispute
            )
        }
        Layout::Maximus => matches!(kind, SectionKind::Determination | SectionKind::Decisions),
        Layout::Y2016 | Layout::Y2014 => matches!(kind, SectionKind::Decisions),
    }
}

static HEADINGS: LazyLock<Vec<Vec<(SectionKind, Regex)>>> = LazyLock::new(|| {
    LAYOUTS
        .iter()
        .map(|spec| {
            spec.headings
                .iter()
                .map(|(k, p)| (*k, Regex::new(p).expect("layout heading regex")))
                .collect()
        })
        .collect()
});

/// A section: its heading (empty for the header before the first heading) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub kind: SectionKind,
    pub heading: Range<usize>,
    pub body: Range<usize>,
}

/// A labelled field: `Date of Injury: 10/16/2016`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub value: Range<usize>,
}

/// The decision label of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Upheld,
    Overturned,
    Unknown,
}

impl Decision {
    pub fn id(self) -> &'static str {
        match self {
            Decision::Upheld => "upheld",
            Decision::Overturned => "overturned",
            Decision::Unknown => "unknown",
        }
    }
}

/// A disputed item, as folded ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub index: usize,
    /// The whole item heading, up to the decision label.
    pub heading: Range<usize>,
    /// The treatment under review: the IMR-eligible portion of a partial authorization.
    pub treatment: Range<usize>,
    pub original_request: Option<Range<usize>>,
    pub authorized: Option<Range<usize>>,
    pub decision: Decision,
    pub decision_label: Range<usize>,
    pub claims_guideline: Option<Range<usize>>,
    pub reviewer_guideline: Option<Range<usize>>,
    pub rationale: Option<Range<usize>>,
}

/// A letter read into its parts.
#[derive(Debug, Clone)]
pub struct Letter {
    pub text: Text,
    pub layout: Layout,
    pub sections: Vec<Section>,
    pub header: Vec<Field>,
    pub credentials: Vec<Field>,
    pub summary: Option<Range<usize>>,
    pub items: Vec<Item>,
}

/// Why a text is not a letter imrlint can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotALetter {
    pub message: String,
}

impl Letter {
    pub fn folded(&self, r: &Range<usize>) -> &str {
        &self.text.folded()[r.clone()]
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.header
            .iter()
            .chain(&self.credentials)
            .find(|f| f.name == name)
    }
}

/// Reads a text into a letter.
pub fn parse(text: Text) -> Result<Letter, NotALetter> {
    if text.folded().trim().is_empty() {
        return Err(NotALetter {
            message: "the file is empty".into(),
        });
    }
    let (layout, sections) = detect(&text).ok_or_else(|| NotALetter {
        message: "no decisions section: none of the known IMR letter headings (`IMR ISSUES, DECISIONS AND RATIONALES`, `IMR DECISION(S) AND RATIONALE(S)`, `ISSUE AT DISPUTE:`) was found".into(),
    })?;
    let folded = text.folded();
    // The case header table stands before the first section with content; in the later layouts
    // that is after the letterhead heading.
    let header_end = sections
        .iter()
        .find(|s| {
            matches!(
                s.kind,
                SectionKind::Summary
                    | SectionKind::Decisions
                    | SectionKind::IssueAtDispute
                    | SectionKind::DocumentsReviewed
            )
        })
        .map_or(folded.len(), |s| s.heading.start);
    let header_end = folded[..header_end]
        .find(DETERMINATION_HEADING)
        .unwrap_or(header_end);
    let header = fields(folded, 0..header_end, HEADER_FIELDS);
    let credentials = credentials(folded, &sections);
    let summary = sections
        .iter()
        .find(|s| s.kind == SectionKind::Summary)
        .map(|s| skip_summary_preamble(folded, s.body.clone()));
    let items = match layout {
        Layout::ProfessionalReview => single_issue(folded, &sections),
        _ => sections
            .iter()
            .find(|s| s.kind == SectionKind::Decisions)
            .map(|s| listed_items(&text, s.body.clone()))
            .unwrap_or_default(),
    };
    Ok(Letter {
        text,
        layout,
        sections,
        header,
        credentials,
        summary,
        items,
    })
}

fn detect(text: &Text) -> Option<(Layout, Vec<Section>)> {
    let folded = text.folded();
    for (spec, headings) in LAYOUTS.iter().zip(HEADINGS.iter()) {
        let mut found: Vec<(SectionKind, Range<usize>)> = Vec::new();
        let mut from = 0;
        for (kind, re) in headings {
            if let Some(m) = re.find_at(folded, from) {
                found.push((*kind, m.range()));
                from = m.end();
            }
        }
        let complete = headings
            .iter()
            .filter(|(k, _)| required(spec.layout, *k))
            .all(|(k, _)| found.iter().any(|(f, _)| f == k));
        if !complete {
            continue;
        }
        let layout = match spec.layout {
            // The 2014 letters share the 2016 headings but open without the case header table.
            Layout::Y2016 if !folded[..found[0].1.start].contains("Case Number:") => Layout::Y2014,
            l => l,
        };
        let mut sections = vec![Section {
            kind: SectionKind::Header,
            heading: 0..0,
            body: 0..found[0].1.start,
        }];
        for (i, (kind, heading)) in found.iter().enumerate() {
            let end = found.get(i + 1).map_or(folded.len(), |n| n.1.start);
            sections.push(Section {
                kind: *kind,
                heading: heading.clone(),
                body: trim(folded, heading.end..end),
            });
        }
        return Some((layout, sections));
    }
    None
}

const HEADER_FIELDS: &[&str] = &[
    "Case Number",
    "Date Assigned",
    "Date of Injury",
    "Decision Date",
    "UR Denial Date",
    "Priority",
    "Received",
    "IMR Case Number",
    "Claim Number",
];

const CREDENTIAL_FIELDS: &[&str] = &["State(s) of Licensure", "Certification(s)/Specialty"];

/// `Name: value` fields in `within`: each value runs to the next known field name.
fn fields(folded: &str, within: Range<usize>, names: &'static [&'static str]) -> Vec<Field> {
    let text = &folded[within.clone()];
    let mut found: Vec<(&'static str, Range<usize>)> = Vec::new();
    for name in names {
        let needle = format!("{name}:");
        if let Some(i) = text.find(&needle) {
            found.push((name, i..i + needle.len()));
        }
    }
    found.sort_by_key(|(_, r)| r.start);
    // `IMR Case Number:` must not also count as `Case Number:`.
    found.dedup_by(|b, a| a.1.end > b.1.start);
    (0..found.len())
        .map(|i| {
            let end = found.get(i + 1).map_or(text.len(), |n| n.1.start);
            Field {
                name: found[i].0,
                value: trim(folded, within.start + found[i].1.end..within.start + end),
            }
        })
        .filter(|f| !f.value.is_empty())
        .collect()
}

static BOARD_CERTIFIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)Board Certified in (?P<specialty>[^,.]+?)(?:,? (?:has a|with a) subspecialty (?:certification )?in (?P<sub>[^,.]+?))?,? and is licensed to practice in (?P<state>[^.]+?)\.").unwrap()
});

/// The reviewer's licensure and specialty: labelled fields (2016 on), or the 2014 sentence
/// `The expert reviewer is Board Certified in X, has a subspecialty in Y and is licensed to
/// practice in Z.`
fn credentials(folded: &str, sections: &[Section]) -> Vec<Field> {
    let within = sections
        .iter()
        .filter(|s| {
            matches!(
                s.kind,
                SectionKind::Determination | SectionKind::Qualifications
            )
        })
        .map(|s| s.body.clone());
    let mut out = Vec::new();
    for body in within {
        out.extend(fields(folded, body.clone(), CREDENTIAL_FIELDS));
        if let Some(c) = BOARD_CERTIFIED.captures(&folded[body.clone()]) {
            let at = |name: &str| {
                c.name(name)
                    .map(|m| body.start + m.start()..body.start + m.end())
            };
            if let Some(r) = at("specialty") {
                out.push(Field {
                    name: "Certification(s)/Specialty",
                    value: r,
                });
            }
            if let Some(r) = at("sub") {
                out.push(Field {
                    name: "Subspecialty",
                    value: r,
                });
            }
            if let Some(r) = at("state") {
                out.push(Field {
                    name: "State(s) of Licensure",
                    value: r,
                });
            }
        }
    }
    out
}

static SUMMARY_PREAMBLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^The expert reviewer developed the following clinical case summary based on a review of the case file, including all medical records:\s*").unwrap()
});

fn skip_summary_preamble(folded: &str, body: Range<usize>) -> Range<usize> {
    match SUMMARY_PREAMBLE.find(&folded[body.clone()]) {
        Some(m) => body.start + m.end()..body.end,
        None => body,
    }
}

static DECISION_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:,? is)?:\s*(?P<label>Upheld|UPHELD|Overturned|OVERTURNED)\b").unwrap()
});

static ITEM_MARKERS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?P<claims>Claims Administrator guideline:)|(?P<reviewer>(?:MAXIMUS|Expert Reviewer|Reviewer) guideline:)|(?P<rationale>Decision rationale:)").unwrap()
});

static PARTIAL: LazyLock<Regex> = LazyLock::new(|| {
    // Two wordings: `Y was authorized by the Claims Administrator. The remaining IMR eligible
    // portion of the original request, Z is:` and `The Claims Administrator authorized Y, leaving
    // the original request IMR eligible. The original request, X is:`.
    Regex::new(r"(?is)^(?P<original>.+?) was the original request\.\s*(?:(?:(?P<authorized>.+?) (?:was|were) authorized by the Claims Administrator\.\s*)?The remaining IMR eligible portion of the original request|The Claims Administrator authorized (?P<authorized2>.+?),? leaving the original request IMR eligible\.\s*The original request),?\s*(?P<treatment>.+?)$").unwrap()
});

/// Items of the listed layouts: `Treatment: Upheld`, then the guideline lines and rationale.
///
/// An item heading starts on a line of its own, after the previous rationale's last sentence; it
/// may wrap over several lines, and a partial authorization spans several sentences. The heading's
/// start is found on the original lines: walking back from the decision label over lines that do
/// not end a sentence.
fn listed_items(text: &Text, body: Range<usize>) -> Vec<Item> {
    let folded = text.folded();
    let region = &folded[body.clone()];
    let labels: Vec<(Range<usize>, Range<usize>, Decision)> = DECISION_LABEL
        .captures_iter(region)
        .map(|c| {
            let all = c.get(0).unwrap();
            let label = c.name("label").unwrap();
            let decision = if label.as_str().eq_ignore_ascii_case("upheld") {
                Decision::Upheld
            } else {
                Decision::Overturned
            };
            (
                body.start + all.start()..body.start + all.end(),
                body.start + label.start()..body.start + label.end(),
                decision,
            )
        })
        .collect();
    let lines: Vec<Range<usize>> = text
        .lines()
        .filter(|l| !text.original()[l.clone()].trim().is_empty())
        .collect();
    let section_start = text.span(body.start..body.start + 1).start;
    let mut starts = Vec::new();
    let mut floor = lines.partition_point(|l| l.end <= section_start);
    // Two labels on one line (a letter whose line breaks were lost) must not give an item that
    // starts before the previous label ends.
    let mut previous_label_end = body.start;
    for (colon, label, _) in &labels {
        let colon_at = text.span(colon.start..colon.start + 1).start;
        let k = lines
            .partition_point(|l| l.end < colon_at)
            .min(lines.len().saturating_sub(1));
        let mut start = k;
        while start > floor && !ends_heading_walk(&text.original()[lines[start - 1].clone()]) {
            start -= 1;
        }
        let heading_text =
            |s: usize| &folded[text.folded_offset(lines[s].start).max(body.start)..colon.start];
        if PARTIAL_TAIL.is_match(heading_text(start)) {
            while start > floor && !heading_text(start).contains("was the original request") {
                start -= 1;
            }
        }
        starts.push(
            text.folded_offset(lines[start].start)
                .max(previous_label_end)
                .min(colon.start),
        );
        previous_label_end = label.end;
        floor = k + 1;
    }
    labels
        .iter()
        .enumerate()
        .map(|(index, (colon, label, decision))| {
            let heading = trim(folded, starts[index]..colon.start);
            let block_end = starts.get(index + 1).copied().unwrap_or(body.end);
            let (original_request, authorized, treatment) = split_partial(folded, heading.clone());
            let parts = item_parts(folded, label.end..block_end);
            Item {
                index,
                heading,
                treatment,
                original_request,
                authorized,
                decision: *decision,
                decision_label: label.clone(),
                claims_guideline: parts.claims,
                reviewer_guideline: parts.reviewer,
                rationale: parts.rationale,
            }
        })
        .collect()
}

static PARTIAL_TAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)was authorized by the Claims Administrator|remaining IMR eligible portion|leaving the original request IMR eligible")
        .unwrap()
});

/// A line that ends a sentence, or the line that introduces the items, stops the walk back to an
/// item's heading. Other lines ending in a colon are part of the heading
/// (`Lidoderm patch, #1 box with 1 refill, DOS:` / `11/11/2016:  Upheld`).
fn ends_heading_walk(line: &str) -> bool {
    let t = line
        .trim_end()
        .trim_end_matches(['"', '\'', ')', ']', '\u{201d}']);
    t.ends_with(['.', '?', '!']) || (t.ends_with(':') && HEADING_STOP.is_match(t))
}

static HEADING_STOP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:set forth below|guideline|rationale|DECISIONS? AND RATIONALES?|RATIONALE\(S\)):$",
    )
    .unwrap()
});

fn split_partial(
    folded: &str,
    heading: Range<usize>,
) -> (Option<Range<usize>>, Option<Range<usize>>, Range<usize>) {
    let Some(c) = PARTIAL.captures(&folded[heading.clone()]) else {
        return (None, None, heading);
    };
    let at = |name: &str| {
        c.name(name)
            .map(|m| heading.start + m.start()..heading.start + m.end())
    };
    let treatment = at("treatment").unwrap_or(heading.clone());
    let treatment = match folded[treatment.clone()].strip_suffix(" is") {
        Some(s) => treatment.start..treatment.start + s.len(),
        None => treatment,
    };
    (
        at("original"),
        at("authorized").or(at("authorized2")),
        trim(folded, treatment),
    )
}

#[derive(Default)]
struct ItemParts {
    claims: Option<Range<usize>>,
    reviewer: Option<Range<usize>>,
    rationale: Option<Range<usize>>,
}

/// The guideline lines and the rationale inside one item's block.
fn item_parts(folded: &str, block: Range<usize>) -> ItemParts {
    let marks: Vec<(usize, Range<usize>)> = ITEM_MARKERS
        .captures_iter(&folded[block.clone()])
        .map(|c| {
            let which = ["claims", "reviewer", "rationale"]
                .iter()
                .position(|n| c.name(n).is_some())
                .unwrap_or(0);
            let m = c.get(0).unwrap();
            (which, block.start + m.start()..block.start + m.end())
        })
        .collect();
    let mut parts = ItemParts::default();
    for (i, (which, r)) in marks.iter().enumerate() {
        let end = marks.get(i + 1).map_or(block.end, |n| n.1.start);
        let value = Some(trim(folded, r.end..end));
        let slot = match which {
            0 => &mut parts.claims,
            1 => &mut parts.reviewer,
            _ => &mut parts.rationale,
        };
        // A rationale that quotes 'Decision rationale:' again does not start a second one.
        if slot.is_none() {
            *slot = value;
        } else if *which == 2
            && let Some(r) = slot.as_mut()
        {
            r.end = end;
        }
    }
    parts
}

static NECESSITY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:is|was|are|were|be|been)\s+(?P<not>not\s+)?medically\s+necessary\b")
        .unwrap()
});

/// The one issue of a professional-review letter: the treatment under `ISSUE AT DISPUTE:`, the
/// guidelines relied upon, and the rationale, whose heading or conclusion gives the decision.
fn single_issue(folded: &str, sections: &[Section]) -> Vec<Item> {
    let body = |k: SectionKind| sections.iter().find(|s| s.kind == k);
    let Some(issue) = body(SectionKind::IssueAtDispute) else {
        return Vec::new();
    };
    let rationale = body(SectionKind::Rationale);
    let conclusion = rationale.and_then(|r| {
        NECESSITY
            .captures_iter(&folded[r.body.clone()])
            .last()
            .map(|c| {
                let m = c.get(0).unwrap();
                (
                    c.name("not").is_some(),
                    r.body.start + m.start()..r.body.start + m.end(),
                )
            })
    });
    let (decision, decision_label) = match (rationale, conclusion) {
        (_, Some((true, at))) => (Decision::Upheld, at),
        (_, Some((false, at))) => (Decision::Overturned, at),
        (Some(r), None) => (Decision::Unknown, r.heading.clone()),
        (None, None) => (Decision::Unknown, issue.heading.clone()),
    };
    // The treatment is the first sentence or line of the issue, without a leading number.
    let text = &folded[issue.body.clone()];
    let lead = text.len()
        - text
            .trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == ')' || c == ' ')
            .len();
    let treatment = trim(folded, issue.body.start + lead..issue.body.end);
    let (original_request, authorized, treatment) = split_partial(folded, treatment);
    let treatment = match DECISION_LABEL.find(&folded[treatment.clone()]) {
        Some(m) => trim(folded, treatment.start..treatment.start + m.start()),
        None => treatment,
    };
    vec![Item {
        index: 0,
        heading: issue.body.clone(),
        treatment,
        original_request,
        authorized,
        decision,
        decision_label,
        claims_guideline: None,
        reviewer_guideline: body(SectionKind::GuidelinesRelied).map(|s| s.body.clone()),
        rationale: rationale.map(|s| s.body.clone()),
    }]
}

/// `r` without surrounding spaces and a trailing full stop.
fn trim(folded: &str, r: Range<usize>) -> Range<usize> {
    let s = &folded[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let body = s.trim();
    r.start + lead..r.start + lead + body.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(s: &str) -> Letter {
        parse(Text::new(s.to_string())).unwrap()
    }

    const LETTER_2016: &str = "Case Number: CM16-0000001\nDate Assigned: 11/23/2016 Date of Injury:  10/16/2016\nDecision Date: 12/21/2016 UR Denial Date:  10/20/2016\nPriority:  Standard Application\nReceived:\n11/15/2016\n\nHOW THE IMR FINAL DETERMINATION WAS MADE\nMAXIMUS Federal Services sent the case file to an expert reviewer.\nThe Expert Reviewer has the following credentials:\nState(s) of Licensure: California\nCertification(s)/Specialty: Orthopaedic Surgery\n\nCLINICAL CASE SUMMARY\nThe expert reviewer developed the following clinical case summary based on a review of the\ncase file, including all medical records:\n\nThe injured worker is a 45 year old male.\n\nIMR ISSUES, DECISIONS AND RATIONALES\nThe Final Determination was based on decisions for the disputed items/services set forth below:\n\nMRI of the lumbar spine: Upheld\n\nClaims Administrator guideline: The Claims Administrator did not cite any medical evidence\nfor its decision.\n\nMAXIMUS guideline: Decision based on MTUS Low Back Complaints 2004, Section(s): Special\nStudies.\n\nDecision rationale: No red flags. The request is not medically\nnecessary.\nPhysical therapy to the low back eight sessions was the original request. Physical therapy to\nthe low back six sessions was authorized by the Claims Administrator. The remaining IMR\neligible portion of the original request, Physical therapy to the low back two sessions is:\nUpheld\n\nClaims Administrator guideline: none.\n\nMAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Physical medicine treatment.\n\nDecision rationale: Therapy beyond the course. Not medically necessary.\nReferral to chiropractor for evaluation of low back pain, twice a week\nfor 3 weeks: Overturned\n\nDecision rationale: It is medically necessary.\n";

    #[test]
    fn reads_a_2016_letter() {
        let l = letter(LETTER_2016);
        assert_eq!(l.layout, Layout::Y2016);
        assert_eq!(
            l.folded(&l.field("Case Number").unwrap().value),
            "CM16-0000001"
        );
        assert_eq!(l.folded(&l.field("Received").unwrap().value), "11/15/2016");
        assert_eq!(
            l.folded(&l.field("Priority").unwrap().value),
            "Standard Application"
        );
        assert_eq!(
            l.folded(&l.field("Certification(s)/Specialty").unwrap().value),
            "Orthopaedic Surgery"
        );
        assert_eq!(
            l.folded(l.summary.as_ref().unwrap()),
            "The injured worker is a 45 year old male."
        );
        let items: Vec<(&str, Decision)> = l
            .items
            .iter()
            .map(|i| (l.folded(&i.treatment), i.decision))
            .collect();
        assert_eq!(
            items,
            vec![
                ("MRI of the lumbar spine", Decision::Upheld),
                (
                    "Physical therapy to the low back two sessions",
                    Decision::Upheld
                ),
                (
                    "Referral to chiropractor for evaluation of low back pain, twice a week for 3 weeks",
                    Decision::Overturned
                ),
            ]
        );
        let partial = &l.items[1];
        assert_eq!(
            l.folded(partial.original_request.as_ref().unwrap()),
            "Physical therapy to the low back eight sessions"
        );
        assert_eq!(
            l.folded(partial.authorized.as_ref().unwrap()),
            "Physical therapy to the low back six sessions"
        );
        assert_eq!(
            l.folded(l.items[0].reviewer_guideline.as_ref().unwrap()),
            "Decision based on MTUS Low Back Complaints 2004, Section(s): Special Studies."
        );
        assert_eq!(
            l.folded(l.items[0].rationale.as_ref().unwrap()),
            "No red flags. The request is not medically necessary."
        );
        assert!(l.items[2].reviewer_guideline.is_none());
    }

    #[test]
    fn reads_2014_credentials_sentence() {
        let l = letter(
            "HOW THE IMR FINAL DETERMINATION WAS MADE\n\nThe expert reviewer is Board Certified in Anesthesiology, has a subspecialty in Pain \n\nMedicine and is licensed to practice in Florida. He/she\n\nCLINICAL CASE SUMMARY\n\nx.\n\nIMR ISSUES, DECISIONS AND RATIONALES\n\nClonazepam 1 mg #90 with 1 refill:  Upheld\n",
        );
        assert_eq!(l.layout, Layout::Y2014);
        assert_eq!(
            l.folded(&l.field("Subspecialty").unwrap().value),
            "Pain Medicine"
        );
        assert_eq!(
            l.folded(&l.field("State(s) of Licensure").unwrap().value),
            "Florida"
        );
        assert_eq!(
            l.folded(&l.items[0].treatment),
            "Clonazepam 1 mg #90 with 1 refill"
        );
    }

    #[test]
    fn a_partial_authorization_in_its_second_wording() {
        let l = letter(
            "IMR ISSUES, DECISIONS AND RATIONALES\nThe Final Determination was based on decisions for the disputed items/services set forth below:\nAcupuncture treatments (unspecified quantity) was the original request. The Claims\nAdministrator authorized Acupuncture treatments, 6 sessions, leaving the original request IMR\neligible. The original request, Acupuncture treatments (unspecified quantity) is: Upheld\nDecision rationale: No.\nLidoderm patch, #1 box with 1 refill, DOS:\n11/11/2016:  Upheld\nDecision rationale: No.\n",
        );
        assert_eq!(
            l.folded(&l.items[0].treatment),
            "Acupuncture treatments (unspecified quantity)"
        );
        assert_eq!(
            l.folded(l.items[0].authorized.as_ref().unwrap()),
            "Acupuncture treatments, 6 sessions"
        );
        assert_eq!(
            l.folded(&l.items[1].treatment),
            "Lidoderm patch, #1 box with 1 refill, DOS: 11/11/2016"
        );
    }

    #[test]
    fn items_whose_line_breaks_were_lost() {
        let l = letter(
            "IMR ISSUES, DECISIONS AND RATIONALES MRI: Upheld Decision rationale: Not needed. CT scan: Overturned Decision rationale: Needed.",
        );
        let items: Vec<(&str, Decision)> = l
            .items
            .iter()
            .map(|i| (l.folded(&i.heading), i.decision))
            .collect();
        assert_eq!(items.len(), 2);
        assert!(l.items[1].heading.start >= l.items[0].decision_label.end);
        assert_eq!(l.folded(l.items[1].rationale.as_ref().unwrap()), "Needed.");
    }

    #[test]
    fn refuses_what_is_not_a_letter() {
        assert!(parse(Text::new(String::new())).is_err());
        assert!(parse(Text::new("Dear Sir, hello.".into())).is_err());
    }
}
