//! Guideline citations: the claims administrator's and the reviewer's lines, in the 2014 page
//! style (`... Benzodiazepines Page(s): 24.`) and the 2016 section style (`... 2016, Section(s):
//! Physical medicine treatment.`), non-MTUS citations, 'did not cite any medical evidence', and
//! the pages a rationale mentions.

use std::ops::Range;
use std::sync::LazyLock;

use jiff::civil::Date;
use regex::Regex;

use crate::rules::Guidelines;
use crate::rules::guidelines::parse_page_range;
use crate::rules::patterns::{PatternMatch, longest};

/// One cited document with what the citation names of it. Ranges are folded offsets.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedCitation {
    pub range: Range<usize>,
    /// `Decision based on Non-MTUS Citation ...`
    pub non_mtus: bool,
    /// Index into the rule set's documents; `None` when no known document is named.
    pub document: Option<usize>,
    /// The edition and whether the citation names it (`true`) or the letter's date implies it.
    pub edition: Option<(String, bool)>,
    pub chapters: Vec<(usize, Range<usize>)>,
    pub topics: Vec<(usize, Range<usize>)>,
    /// Section names as written after `Section(s):`.
    pub sections: Vec<Range<usize>>,
    pub pages: Vec<((u32, u32), Range<usize>)>,
}

/// A guideline line: its citations, or the statement that no evidence was cited.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuidelineLine {
    pub no_evidence: Option<Range<usize>>,
    pub citations: Vec<ParsedCitation>,
}

/// The leftmost match of any of the patterns.
fn first_match<'t>(patterns: &[Regex], text: &'t str) -> Option<regex::Match<'t>> {
    patterns
        .iter()
        .filter_map(|re| re.find(text))
        .min_by_key(|m| m.start())
}

/// A page number or range inside a list of pages: a number form, not a wording.
static PAGE_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?P<a>\d+)(?:\s?(?:-|to)\s?(?P<b>\d+))?").unwrap());

/// Parses a guideline line (folded range). `on` is the date whose edition applies when the
/// citation does not name one.
pub fn parse_line(
    guidelines: &Guidelines,
    folded: &str,
    line: Range<usize>,
    on: Option<Date>,
) -> GuidelineLine {
    let wording = &guidelines.line;
    let mut out = GuidelineLine {
        no_evidence: first_match(&wording.no_evidence, &folded[line.clone()])
            .map(|m| line.start + m.start()..line.start + m.end()),
        citations: Vec::new(),
    };
    let text = &folded[line.clone()];
    // Where each citation's words begin, and where the next citation's opening stands.
    let mut openings: Vec<(usize, usize)> = wording
        .decision_based_on
        .iter()
        .flat_map(|re| re.find_iter(text).map(|m| (m.start(), m.end())))
        .collect();
    openings.sort();
    openings.dedup_by(|b, a| b.0 < a.1);
    let starts: Vec<usize> = openings.iter().map(|o| o.1).collect();
    let chunks: Vec<Range<usize>> = if starts.is_empty() {
        if out.no_evidence.is_some() {
            Vec::new()
        } else {
            vec![line.clone()]
        }
    } else {
        openings
            .iter()
            .enumerate()
            .map(|(i, &(_, s))| {
                let end = openings.get(i + 1).map_or(text.len(), |n| n.0);
                line.start + s..line.start + end
            })
            .collect()
    };
    for chunk in chunks {
        let non_mtus = first_match(&wording.non_mtus, &folded[chunk.clone()]).is_some();
        let docs = merge_adjacent(
            folded,
            guidelines
                .document_names
                .find_longest(folded, chunk.clone()),
        );
        if docs.is_empty() {
            out.citations.push(cite(
                guidelines,
                folded,
                chunk.clone(),
                chunk.start,
                None,
                non_mtus,
                on,
            ));
            continue;
        }
        for (i, d) in docs.iter().enumerate() {
            let end = docs.get(i + 1).map_or(chunk.end, |n| n.range.start);
            out.citations.push(cite(
                guidelines,
                folded,
                d.range.start..end,
                d.range.end,
                Some(d.owner),
                non_mtus,
                on,
            ));
        }
    }
    // Free-text guideline sections name the same document several times.
    let mut seen = Vec::new();
    out.citations.retain(|c| {
        let key = (
            c.document,
            c.topics.iter().map(|t| t.0).collect::<Vec<_>>(),
            c.pages.iter().map(|p| p.0).collect::<Vec<_>>(),
        );
        let new = c.document.is_none() || !seen.contains(&key);
        seen.push(key);
        new
    });
    out
}

/// `Official Disability Guidelines (ODG)` names one document twice in a row: one citation.
fn merge_adjacent(folded: &str, docs: Vec<PatternMatch>) -> Vec<PatternMatch> {
    let mut out: Vec<PatternMatch> = Vec::new();
    for d in docs {
        if let Some(last) = out.last_mut() {
            let gap = &folded[last.range.end..d.range.start];
            if last.owner == d.owner && gap.len() <= 3 && !gap.chars().any(char::is_alphanumeric) {
                last.range.end = d.range.end;
                continue;
            }
        }
        out.push(d);
    }
    out
}

fn cite(
    guidelines: &Guidelines,
    folded: &str,
    range: Range<usize>,
    after_name: usize,
    document: Option<usize>,
    non_mtus: bool,
    on: Option<Date>,
) -> ParsedCitation {
    let rest = after_name..range.end;
    let mut c = ParsedCitation {
        range: trim_end_punct(folded, range.clone()),
        non_mtus,
        document,
        edition: None,
        chapters: Vec::new(),
        topics: Vec::new(),
        sections: sections(guidelines, folded, rest.clone()),
        pages: pages(guidelines, folded, rest.clone()),
    };
    if let Some(d) = document.map(|d| &guidelines.documents[d]) {
        let named = d.edition_patterns.find_longest(folded, range.clone());
        c.edition = match named.first() {
            Some(m) => Some((d.doc.editions[m.owner].id.clone(), true)),
            None => on
                .and_then(|date| d.edition_on(date))
                .map(|e| (e.id.clone(), false)),
        };
        // Chapters and topics are read over the whole citation: an ODG citation may name its
        // chapter in the words that also name the document (`Low Back (Hyperstimulation ...)`).
        c.chapters = d
            .chapter_patterns
            .find_longest(folded, range.clone())
            .into_iter()
            .map(|m| (m.owner, m.range))
            .collect();
        // Topic names repeat across chapters ('MRI'): within a named chapter, only its topics.
        let in_chapter = |t: usize| match &d.doc.topics[t].chapter {
            Some(ch) if !c.chapters.is_empty() => {
                c.chapters.iter().any(|(i, _)| d.doc.chapters[*i].id == *ch)
            }
            _ => true,
        };
        let topics = d
            .topic_patterns
            .find_all(folded, range.clone())
            .into_iter()
            .filter(|m| in_chapter(m.owner))
            .collect();
        for m in longest(topics, |_, _| true) {
            if !c.topics.iter().any(|(t, _)| *t == m.owner) {
                c.topics.push((m.owner, m.range));
            }
        }
    }
    c
}

/// Section names after `Section(s):`, split at commas that begin a new name. A comma inside a
/// name (`NSAIDs, GI symptoms & cardiovascular risk`) is kept when the part after it starts in
/// lower case or the name would otherwise be a lone word.
fn sections(guidelines: &Guidelines, folded: &str, within: Range<usize>) -> Vec<Range<usize>> {
    let text = &folded[within.clone()];
    let Some(m) = first_match(&guidelines.line.sections, text) else {
        return Vec::new();
    };
    let start = within.start + m.end();
    let body = trim_end_punct(folded, start..within.end);
    let mut out: Vec<Range<usize>> = Vec::new();
    let mut at = body.start;
    let s = &folded[body.clone()];
    for (i, _) in s.match_indices(", ") {
        let next = s[i + 2..].chars().next();
        let starts_name = next.is_some_and(|c| c.is_uppercase() || c.is_ascii_digit());
        if starts_name {
            out.push(body.start + (at - body.start)..body.start + i);
            at = body.start + i + 2;
        }
    }
    out.push(at..body.end);
    out.into_iter()
        .map(|r| {
            let t = &folded[r.clone()];
            // `..., and Chronic Pain ...` is cut at the next document by the caller; a leading
            // `and` of a last section goes.
            let lead = t.len() - t.trim_start_matches("and ").len();
            r.start + lead..r.end
        })
        .filter(|r| !r.is_empty())
        .collect()
}

/// Pages a text cites: `Page(s): 24, 23, 66, 124`, `Page(s): 63-66`, `page 99`, `pages 88-89`.
pub fn pages(
    guidelines: &Guidelines,
    folded: &str,
    within: Range<usize>,
) -> Vec<((u32, u32), Range<usize>)> {
    let text = &folded[within.clone()];
    let mut out = Vec::new();
    let lists = guidelines
        .line
        .pages
        .iter()
        .flat_map(|re| re.captures_iter(text));
    for c in lists {
        let Some(list) = c.name("list") else { continue };
        for p in PAGE_NUMBER.captures_iter(list.as_str()) {
            let m = p.get(0).unwrap();
            let Some(r) = parse_page_range(m.as_str()) else {
                continue;
            };
            let at = within.start + list.start() + m.start();
            out.push((r, at..at + m.len()));
        }
    }
    out
}

fn trim_end_punct(folded: &str, r: Range<usize>) -> Range<usize> {
    let s = &folded[r.clone()];
    let t = s.trim_end().trim_end_matches(['.', ',', ';']).trim_end();
    let lead = t.len() - t.trim_start().len();
    r.start + lead..r.start + t.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSet;

    fn line(s: &str, on: &str) -> (GuidelineLine, &'static RuleSet) {
        let rules = RuleSet::for_tests();
        let l = parse_line(&rules.guidelines, s, 0..s.len(), on.parse().ok());
        (l, rules)
    }

    fn doc_id(rules: &RuleSet, c: &ParsedCitation) -> String {
        c.document
            .map(|d| rules.guidelines.documents[d].doc.id.clone())
            .unwrap_or_default()
    }

    fn topic_titles(rules: &RuleSet, c: &ParsedCitation) -> Vec<String> {
        let d = &rules.guidelines.documents[c.document.unwrap()];
        c.topics
            .iter()
            .map(|(t, _)| d.doc.topics[*t].id.clone())
            .collect()
    }

    #[test]
    fn page_style_2014() {
        let s =
            "Decision based on MTUS Chronic Pain Treatment Guidelines Benzodiazepines Page(s): 24.";
        let (l, rules) = line(s, "2014-04-21");
        assert_eq!(l.citations.len(), 1);
        let c = &l.citations[0];
        assert_eq!(doc_id(rules, c), "mtus-chronic-pain");
        assert_eq!(c.edition, Some(("2009".into(), false)));
        assert_eq!(topic_titles(rules, c), vec!["benzodiazepines"]);
        assert_eq!(
            c.pages.iter().map(|p| p.0).collect::<Vec<_>>(),
            vec![(24, 24)]
        );
    }

    #[test]
    fn page_lists_and_ranges() {
        let s =
            "Decision based on MTUS Chronic Pain Treatment Guidelines Page(s): 24, 23, 66, 124.";
        let (l, _) = line(s, "2014-07-31");
        let pages: Vec<(u32, u32)> = l.citations[0].pages.iter().map(|p| p.0).collect();
        assert_eq!(pages, vec![(24, 24), (23, 23), (66, 66), (124, 124)]);
        let s = "Decision based on MTUS Chronic Pain Treatment Guidelines Muscle relaxants (for pain) Page(s): 63-66.";
        let (l, rules) = line(s, "2014-07-31");
        assert_eq!(l.citations[0].pages[0].0, (63, 66));
        assert_eq!(
            topic_titles(rules, &l.citations[0]),
            vec!["muscle-relaxants"]
        );
    }

    #[test]
    fn section_style_2016_with_two_documents() {
        let s = "Decision based on MTUS Low Back Complaints 2004, Section(s): Physical Methods, and Chronic Pain Medical Treatment 2016, Section(s): TENS, chronic pain (transcutaneous electrical nerve stimulation).";
        let (l, rules) = line(s, "2016-12-01");
        assert_eq!(l.citations.len(), 2);
        assert_eq!(doc_id(rules, &l.citations[1]), "mtus-chronic-pain");
        assert_eq!(l.citations[1].edition, Some(("2016".into(), true)));
        let secs: Vec<&str> = l.citations[1]
            .sections
            .iter()
            .map(|r| &s[r.clone()])
            .collect();
        assert_eq!(
            secs,
            vec!["TENS, chronic pain (transcutaneous electrical nerve stimulation)"]
        );
    }

    #[test]
    fn non_mtus_and_no_evidence() {
        let s = "The Expert Reviewer based their decision on recommendation(s) outside of the MTUS Guidelines. Decision based on Non-MTUS Citation Official Disability Guidelines (ODG) Low Back, Preoperative lab testing.";
        let (l, rules) = line(s, "2016-12-01");
        assert!(l.citations[0].non_mtus);
        assert_eq!(doc_id(rules, &l.citations[0]), "odg");
        let (l, _) = line(
            "The Expert Reviewer did not cite any medical evidence for its decision.",
            "2016-12-01",
        );
        assert!(l.no_evidence.is_some());
        assert!(l.citations.is_empty());
    }

    #[test]
    fn pages_in_prose() {
        let s = "As noted on page 24 of the MTUS, and pages 88-89 and page 7";
        let guidelines = &RuleSet::for_tests().guidelines;
        let p: Vec<(u32, u32)> = pages(guidelines, s, 0..s.len())
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(p, vec![(24, 24), (88, 89), (7, 7)]);
    }
}
