//! The Letter stage: layout, sections, header fields, reviewer credentials and disputed items.
//!
//! How letters are laid out (headings, fields, the wording of items) is read from
//! `rules/layouts.yaml`; this stage knows only how sections, fields and items are delimited.
//! Everything is found on the folded text and kept as folded ranges; later stages map them back
//! to the original through [`Text::span`].

use std::ops::Range;

use serde::Serialize;

pub use crate::rules::layouts::{FieldMeaning, SectionKind};
use crate::rules::layouts::{FieldSpec, ItemsForm, Layouts};
use crate::text::{Original, Text};

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
    pub name: String,
    pub meaning: Option<FieldMeaning>,
    pub value: Range<usize>,
}

/// The decision label of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
    /// The id of its layout in `layouts.yaml`.
    pub layout: String,
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
    /// A request line alone, as the only item (upheld) of a letter with nothing else: what
    /// `rules coverage` reads, to see the category, drug and request imrlint finds in a line and
    /// the rules that apply to it.
    pub fn of_request_line(line: &str) -> Letter {
        let text = Text::new(line.trim().to_string());
        let whole = 0..text.folded().len();
        Letter {
            layout: String::new(),
            sections: Vec::new(),
            header: Vec::new(),
            credentials: Vec::new(),
            summary: None,
            items: vec![Item {
                index: 0,
                heading: whole.clone(),
                treatment: whole.clone(),
                original_request: None,
                authorized: None,
                decision: Decision::Upheld,
                decision_label: whole.end..whole.end,
                claims_guideline: None,
                reviewer_guideline: None,
                rationale: None,
            }],
            text,
        }
    }

    pub fn folded(&self, r: &Range<usize>) -> &str {
        &self.text.folded()[r.clone()]
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().find(|f| f.name == name)
    }

    /// The first field that means `meaning`, in the header or the credentials.
    pub fn field_meaning(&self, meaning: FieldMeaning) -> Option<&Field> {
        self.fields().find(|f| f.meaning == Some(meaning))
    }

    fn fields(&self) -> impl Iterator<Item = &Field> {
        self.header.iter().chain(&self.credentials)
    }
}

/// Reads a text into a letter, by the first of `layouts` it matches.
pub fn parse(text: Text, layouts: &Layouts) -> Result<Letter, NotALetter> {
    if text.folded().trim().is_empty() {
        return Err(NotALetter {
            message: "the file is empty".into(),
        });
    }
    let (layout, sections) = detect(&text, layouts).ok_or_else(|| NotALetter {
        message: format!(
            "no decisions section: the headings of none of the known letter layouts ({}) were found; a new layout is described in rules/layouts.yaml",
            layouts.ids().join(", ")
        ),
    })?;
    let folded = text.folded();
    // The case header table stands before the first section after the letterhead, and before
    // any text that ends it.
    let header_end = sections
        .iter()
        .find(|s| !matches!(s.kind, SectionKind::Header | SectionKind::Determination))
        .map_or(folded.len(), |s| s.heading.start);
    let header_end = layouts
        .header_ends_at
        .iter()
        .filter_map(|re| re.find(&folded[..header_end]).map(|m| m.start()))
        .min()
        .unwrap_or(header_end);
    let header = fields(folded, 0..header_end, &layouts.header_fields);
    let credentials = credentials(folded, &sections, layouts);
    let summary = sections
        .iter()
        .find(|s| s.kind == SectionKind::Summary)
        .map(|s| skip_summary_preamble(folded, s.body.clone(), layouts));
    let items = match layout.items {
        ItemsForm::SingleIssue => single_issue(folded, &sections, layouts),
        ItemsForm::Listed => sections
            .iter()
            .find(|s| s.kind == SectionKind::Decisions)
            .map(|s| listed_items(&text, s.body.clone(), layouts))
            .unwrap_or_default(),
    };
    Ok(Letter {
        layout: layout.id.clone(),
        text,
        sections,
        header,
        credentials,
        summary,
        items,
    })
}

/// The first layout whose required headings stand in the text, in order, with the sections they
/// divide it into.
fn detect<'l>(
    text: &Text,
    layouts: &'l Layouts,
) -> Option<(&'l crate::rules::layouts::Layout, Vec<Section>)> {
    let folded = text.folded();
    for layout in &layouts.layouts {
        let mut found: Vec<(SectionKind, Range<usize>)> = Vec::new();
        let mut from = 0;
        for heading in &layout.headings {
            if let Some(m) = heading.pattern.find_at(folded, from) {
                found.push((heading.section, m.range()));
                from = m.end();
            }
        }
        let complete = layout
            .headings
            .iter()
            .filter(|h| h.required)
            .all(|h| found.iter().any(|(f, _)| *f == h.section));
        if !complete {
            continue;
        }
        let before_headings = &folded[..found[0].1.start];
        if let Some(re) = &layout.header_contains
            && !re.is_match(before_headings)
        {
            continue;
        }
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

/// `Name: value` fields in `within`: each value runs to the next known field name.
fn fields(folded: &str, within: Range<usize>, specs: &[FieldSpec]) -> Vec<Field> {
    let text = &folded[within.clone()];
    let mut found: Vec<(&FieldSpec, Range<usize>)> = Vec::new();
    for spec in specs {
        let needle = format!("{}:", spec.name);
        if let Some(i) = text.find(&needle) {
            found.push((spec, i..i + needle.len()));
        }
    }
    found.sort_by_key(|(_, r)| r.start);
    // `IMR Case Number:` must not also count as `Case Number:`.
    found.dedup_by(|b, a| a.1.end > b.1.start);
    (0..found.len())
        .map(|i| {
            let end = found.get(i + 1).map_or(text.len(), |n| n.1.start);
            Field {
                name: found[i].0.name.clone(),
                meaning: found[i].0.means,
                value: trim(folded, within.start + found[i].1.end..within.start + end),
            }
        })
        .filter(|f| !f.value.is_empty())
        .collect()
}

/// The reviewer's credentials: labelled fields, or fields read from a sentence
/// (`The expert reviewer is Board Certified in X ...`), in the sections that state them.
fn credentials(folded: &str, sections: &[Section], layouts: &Layouts) -> Vec<Field> {
    let within = sections
        .iter()
        .filter(|s| layouts.reviewer_sections.contains(&s.kind))
        .map(|s| s.body.clone());
    let mut out = Vec::new();
    for body in within {
        out.extend(fields(folded, body.clone(), &layouts.reviewer_fields));
        for (sentence, groups) in &layouts.reviewer_sentences {
            let Some(c) = sentence.captures(&folded[body.clone()]) else {
                continue;
            };
            for g in groups {
                if let Some(m) = c.name(&g.group) {
                    out.push(Field {
                        name: g.name.clone(),
                        meaning: g.means,
                        value: body.start + m.start()..body.start + m.end(),
                    });
                }
            }
        }
    }
    out
}

fn skip_summary_preamble(folded: &str, body: Range<usize>, layouts: &Layouts) -> Range<usize> {
    let text = &folded[body.clone()];
    match layouts
        .summary_preamble
        .iter()
        .find_map(|re| re.find(text).filter(|m| m.start() == 0))
    {
        Some(m) => body.start + m.end()..body.end,
        None => body,
    }
}

/// Items of the listed layouts: `Treatment: Upheld`, then the guideline lines and rationale.
///
/// An item heading starts on a line of its own, after the previous rationale's last sentence; it
/// may wrap over several lines, and a partial authorization spans several sentences. The heading's
/// start is found on the original lines: walking back from the decision label over lines that do
/// not end a sentence.
fn listed_items(text: &Text, body: Range<usize>, layouts: &Layouts) -> Vec<Item> {
    let folded = text.folded();
    let region = &folded[body.clone()];
    let marks = &layouts.items;
    let labels: Vec<(Range<usize>, Range<usize>, Decision)> = marks
        .decision_label
        .captures_iter(region)
        .filter_map(|c| {
            let all = c.get(0)?;
            let (label, decision) = match (c.name("upheld"), c.name("overturned")) {
                (Some(m), _) => (m, Decision::Upheld),
                (None, Some(m)) => (m, Decision::Overturned),
                (None, None) => return None,
            };
            Some((
                body.start + all.start()..body.start + all.end(),
                body.start + label.start()..body.start + label.end(),
                decision,
            ))
        })
        .collect();
    let lines: Vec<Range<Original>> = text
        .lines()
        .filter(|l| !text.original_of(l.clone()).trim().is_empty())
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
        while start > floor
            && !ends_heading_walk(text.original_of(lines[start - 1].clone()), layouts)
        {
            start -= 1;
        }
        let heading_text =
            |s: usize| &folded[text.folded_offset(lines[s].start).max(body.start)..colon.start];
        if layouts.partial.continued_by.is_match(heading_text(start)) {
            while start > floor && !layouts.partial.opened_by.is_match(heading_text(start)) {
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
            let (original_request, authorized, treatment) =
                split_partial(folded, heading.clone(), layouts);
            let parts = item_parts(folded, label.end..block_end, layouts);
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

/// A line that ends a sentence, or the line that introduces the items, stops the walk back to an
/// item's heading. Other lines ending in a colon are part of the heading
/// (`Lidoderm patch, #1 box with 1 refill, DOS:` / `11/11/2016:  Upheld`).
fn ends_heading_walk(line: &str, layouts: &Layouts) -> bool {
    let t = line
        .trim_end()
        .trim_end_matches(['"', '\'', ')', ']', '\u{201d}']);
    t.ends_with(['.', '?', '!'])
        || (t.ends_with(':') && layouts.items.heading_stops.iter().any(|re| re.is_match(t)))
}

/// A heading read as a partial authorization: the original request, what was authorized, and
/// the portion under review (the whole heading when it is not one).
fn split_partial(
    folded: &str,
    heading: Range<usize>,
    layouts: &Layouts,
) -> (Option<Range<usize>>, Option<Range<usize>>, Range<usize>) {
    let Some(c) = layouts
        .partial
        .wordings
        .iter()
        .find_map(|re| re.captures(&folded[heading.clone()]))
    else {
        return (None, None, heading);
    };
    let at = |name: &str| {
        c.name(name)
            .map(|m| heading.start + m.start()..heading.start + m.end())
    };
    let treatment = at("treatment").unwrap_or(heading.clone());
    (at("original"), at("authorized"), trim(folded, treatment))
}

#[derive(Default)]
struct ItemParts {
    claims: Option<Range<usize>>,
    reviewer: Option<Range<usize>>,
    rationale: Option<Range<usize>>,
}

/// The guideline lines and the rationale inside one item's block.
fn item_parts(folded: &str, block: Range<usize>, layouts: &Layouts) -> ItemParts {
    let marks: Vec<(usize, Range<usize>)> = layouts
        .items
        .parts
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

/// The one issue of a single-issue letter: the treatment under `ISSUE AT DISPUTE:`, the
/// guidelines relied upon, and the rationale, whose heading or conclusion gives the decision.
fn single_issue(folded: &str, sections: &[Section], layouts: &Layouts) -> Vec<Item> {
    let body = |k: SectionKind| sections.iter().find(|s| s.kind == k);
    let Some(issue) = body(SectionKind::IssueAtDispute) else {
        return Vec::new();
    };
    let rationale = body(SectionKind::Rationale);
    let conclusion = rationale.and_then(|r| {
        layouts
            .items
            .conclusion
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
    let (original_request, authorized, treatment) = split_partial(folded, treatment, layouts);
    let treatment = match layouts
        .items
        .decision_label
        .find(&folded[treatment.clone()])
    {
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
        parse(Text::new(s.to_string()), layouts()).unwrap()
    }

    fn layouts() -> &'static Layouts {
        &crate::rules::RuleSet::for_tests().layouts
    }

    const LETTER_2016: &str = "Case Number: CM16-0000001\nDate Assigned: 11/23/2016 Date of Injury:  10/16/2016\nDecision Date: 12/21/2016 UR Denial Date:  10/20/2016\nPriority:  Standard Application\nReceived:\n11/15/2016\n\nHOW THE IMR FINAL DETERMINATION WAS MADE\nMAXIMUS Federal Services sent the case file to an expert reviewer.\nThe Expert Reviewer has the following credentials:\nState(s) of Licensure: California\nCertification(s)/Specialty: Orthopaedic Surgery\n\nCLINICAL CASE SUMMARY\nThe expert reviewer developed the following clinical case summary based on a review of the\ncase file, including all medical records:\n\nThe injured worker is a 45 year old male.\n\nIMR ISSUES, DECISIONS AND RATIONALES\nThe Final Determination was based on decisions for the disputed items/services set forth below:\n\nMRI of the lumbar spine: Upheld\n\nClaims Administrator guideline: The Claims Administrator did not cite any medical evidence\nfor its decision.\n\nMAXIMUS guideline: Decision based on MTUS Low Back Complaints 2004, Section(s): Special\nStudies.\n\nDecision rationale: No red flags. The request is not medically\nnecessary.\nPhysical therapy to the low back eight sessions was the original request. Physical therapy to\nthe low back six sessions was authorized by the Claims Administrator. The remaining IMR\neligible portion of the original request, Physical therapy to the low back two sessions is:\nUpheld\n\nClaims Administrator guideline: none.\n\nMAXIMUS guideline: Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Physical medicine treatment.\n\nDecision rationale: Therapy beyond the course. Not medically necessary.\nReferral to chiropractor for evaluation of low back pain, twice a week\nfor 3 weeks: Overturned\n\nDecision rationale: It is medically necessary.\n";

    #[test]
    fn reads_a_2016_letter() {
        let l = letter(LETTER_2016);
        assert_eq!(l.layout, "2016");
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
        assert_eq!(l.layout, "2014");
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
        assert!(parse(Text::new(String::new()), layouts()).is_err());
        assert!(parse(Text::new("Dear Sir, hello.".into()), layouts()).is_err());
    }
}
