//! The guideline lines against the item and the rationale: citation-mismatch,
//! guideline-mismatch and no-guideline.

use super::finding::{Finding, Kind, Label, Severity, label};
use super::rationale::Cites;
use crate::facts::ItemFacts;
use crate::letter::{Item, Letter};
use crate::rules::RuleSet;

/// Citation checks: no evidence cited (unless the rationale rests on another item's decision),
/// pages outside the cited topic, a rationale page that differs from the guideline line's, a
/// cited topic that does not fit the item, and one written for a later stage of care.
pub(super) fn guideline_findings(
    letter: &Letter,
    item: &Item,
    facts: &ItemFacts,
    weeks_since_injury: Option<i64>,
    cites: &Cites,
    rules: &RuleSet,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(line) = &facts.guideline.reviewer else {
        return out;
    };
    let follows_another_decision = cites
        .first
        .keys()
        .any(|&r| rules.reasons.get(r).follows_another_decision);
    let line_range = item
        .reviewer_guideline
        .clone()
        .unwrap_or(item.heading.clone());
    let finding = |kind, severity, message: String, help: &str, labels| Finding {
        kind,
        severity,
        rule: None,
        reason: None,
        item: Some(item.index),
        message,
        help: help.into(),
        labels,
    };
    if line.no_evidence {
        if follows_another_decision {
            return out;
        }
        out.push(finding(
            Kind::NoGuideline,
            Severity::Warning,
            "the reviewer cited no medical evidence for the decision".into(),
            "cite the MTUS topic the decision rests on (or ACOEM or ODG where the MTUS is silent)",
            vec![label(letter, &line_range, "no evidence cited")],
        ));
        return out;
    }
    let mut line_pages: Vec<(u32, u32)> = Vec::new();
    for c in &line.citations {
        let Some(doc) = c
            .document
            .as_ref()
            .and_then(|d| rules.guidelines.document(d))
        else {
            continue;
        };
        let cited_topics: Vec<usize> = c
            .topics
            .iter()
            .filter_map(|t| doc.doc.topics.iter().position(|x| x.id == t.value))
            .collect();
        let page_cited = c
            .edition
            .as_ref()
            .and_then(|e| doc.doc.editions.iter().find(|x| &x.id == e))
            .is_some_and(|e| e.cites_by == crate::rules::guidelines::CitesBy::Page);
        for p in &c.pages {
            let Some(range) = crate::rules::guidelines::parse_page_range(&p.value) else {
                continue;
            };
            line_pages.push(range);
            let topic_pages: Vec<(u32, u32)> = cited_topics
                .iter()
                .flat_map(|t| doc.topic_pages[*t].iter().copied())
                .collect();
            if page_cited
                && !topic_pages.is_empty()
                && !topic_pages.iter().any(|t| overlaps(*t, range))
            {
                out.push(finding(
                    Kind::CitationMismatch,
                    Severity::Warning,
                    format!(
                        "page {} is not a page of the cited topic ({})",
                        p.value,
                        pages_text(&topic_pages)
                    ),
                    "cite the page(s) of the topic the decision rests on",
                    vec![Label {
                        span: p.span,
                        text: "this page".into(),
                    }],
                ));
            }
        }
        // A topic that does not fit the item: every cited topic says what it covers, none covers
        // it. An item imrlint cannot place (its category unknown, or a drug it does not know)
        // may well fit: it abstains.
        let known = rules
            .categories
            .knows(&facts.category, facts.drug.is_some());
        let covers: Vec<&crate::rules::guidelines::Covers> = cited_topics
            .iter()
            .filter_map(|t| doc.doc.topics[*t].covers.as_ref())
            .collect();
        if known
            && !covers.is_empty()
            && covers.len() == cited_topics.len()
            && !covers.iter().any(|cv| fits(cv, facts))
        {
            let topic_names: Vec<&str> = cited_topics
                .iter()
                .map(|t| doc.doc.topics[*t].title.as_str())
                .collect();
            out.push(finding(
                Kind::GuidelineMismatch,
                Severity::Warning,
                format!(
                    "the cited topic ({}) does not cover {}",
                    topic_names.join(", "),
                    facts
                        .drug
                        .as_ref()
                        .map_or(facts.category.clone(), |d| format!(
                            "{} ({})",
                            d.name, d.class
                        ))
                ),
                "cite the guideline topic that addresses the requested treatment",
                c.topics
                    .iter()
                    .map(|t| Label {
                        span: t.span,
                        text: "cited topic".into(),
                    })
                    .collect(),
            ));
        }
    }
    out.extend(stage_finding(line, facts, weeks_since_injury, rules).map(
        |(stage, message, labels)| {
            finding(
                Kind::CitationMismatch,
                Severity::Note,
                message,
                &stage.help,
                labels,
            )
        },
    ));
    // The rationale cites a page that is neither on the guideline line nor of any topic of the
    // cited documents.
    if !line_pages.is_empty() {
        let known: Vec<(u32, u32)> = line
            .citations
            .iter()
            .filter_map(|c| {
                c.document
                    .as_ref()
                    .and_then(|d| rules.guidelines.document(d))
            })
            .flat_map(|d| d.topic_pages.iter().flatten().copied())
            .chain(line_pages.iter().copied())
            .collect();
        for p in &facts.guideline.rationale_pages {
            let Some(range) = crate::rules::guidelines::parse_page_range(&p.value) else {
                continue;
            };
            if !known.iter().any(|k| overlaps(*k, range)) {
                let mut labels = vec![Label {
                    span: p.span,
                    text: format!("page {}", p.value),
                }];
                labels.push(label(
                    letter,
                    &line_range,
                    format!("the guideline line cites {}", pages_text(&line_pages)),
                ));
                out.push(finding(
                    Kind::CitationMismatch,
                    Severity::Warning,
                    format!(
                        "the rationale cites page {}, which the guideline line does not cite ({})",
                        p.value,
                        pages_text(&line_pages)
                    ),
                    "make the rationale's page and the guideline line's page agree",
                    labels,
                ));
            }
        }
    }
    out
}

/// A guideline line that decides the item only by topics written for a stage of care the request
/// came before: the weeks from the injury are known and fewer than the stage's, and the item's
/// body part has guidance of its own for the earlier stages. Any citation that could decide
/// otherwise (a topic of another stage or of every stage, a document or section cited without a
/// topic imrlint knows) leaves it unchecked: the later stage's topic may be only a preface.
/// A note: whether the stage changes the outcome is for the reader to judge.
fn stage_finding<'r>(
    line: &crate::facts::LineFacts,
    facts: &ItemFacts,
    weeks_since_injury: Option<i64>,
    rules: &'r RuleSet,
) -> Option<(&'r crate::rules::guidelines::Stage, String, Vec<Label>)> {
    let weeks = weeks_since_injury.filter(|w| *w >= 0)?;
    let mut cited = Vec::new();
    for c in &line.citations {
        let doc = rules.guidelines.document(c.document.as_deref()?)?;
        let unplaced_section = c.sections.iter().any(|s| {
            !c.topics
                .iter()
                .any(|t| t.span.start >= s.span.start && t.span.start < s.span.end)
        });
        if c.topics.is_empty() || unplaced_section {
            return None;
        }
        for t in &c.topics {
            let topic = doc.doc.topics.iter().find(|x| x.id == t.value)?;
            cited.push((t, topic, topic.stage.as_ref()?));
        }
    }
    let (_, first, stage_of) = cited.first()?;
    let stage = rules.guidelines.stage(&stage_of.written_for)?;
    let body_parts = facts.body_part_ids();
    let addressed = |s: &crate::rules::guidelines::TopicStage| {
        let earlier = &s.earlier_guidance;
        fits(&earlier.covers, facts)
            && (earlier.body_parts.is_empty()
                || earlier
                    .body_parts
                    .iter()
                    .any(|p| body_parts.contains(&p.as_str())))
    };
    let all_of_stage = cited
        .iter()
        .all(|(_, _, s)| s.written_for == stage.id && addressed(s));
    if !all_of_stage || weeks >= i64::from(stage.from_weeks) {
        return None;
    }
    let message = format!(
        "{} is written for {} ({}), and the request was made {weeks} {} after the injury",
        first.title,
        stage.title,
        stage.definition,
        if weeks == 1 { "week" } else { "weeks" }
    );
    let labels = cited
        .iter()
        .map(|(t, _, _)| Label {
            span: t.span,
            text: format!("written for {}", stage.title),
        })
        .collect();
    Some((stage, message, labels))
}

/// Whether a guideline topic is about the item: its category, its drug's class (or the drug's own
/// class, for a topical form), or one of its drugs.
pub(crate) fn fits(covers: &crate::rules::guidelines::Covers, facts: &ItemFacts) -> bool {
    let drug = facts.drug.as_ref();
    covers.categories.contains(&facts.category)
        || drug.is_some_and(|d| {
            covers.classes.contains(&d.class)
                || d.own_class
                    .as_ref()
                    .is_some_and(|c| covers.classes.contains(c))
        })
        || facts.drugs.iter().any(|d| covers.drugs.contains(&d.name))
}

pub(super) fn overlaps(a: (u32, u32), b: (u32, u32)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

pub(super) fn pages_text(pages: &[(u32, u32)]) -> String {
    let parts: Vec<String> = pages
        .iter()
        .map(|(a, b)| {
            if a == b {
                format!("p. {a}")
            } else {
                format!("pp. {a}-{b}")
            }
        })
        .collect();
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NO_EVIDENCE, checked_findings, findings, has};
    use crate::check::{Kind, Severity};

    #[test]
    fn no_medical_evidence_is_a_missing_guideline() {
        let rationale = "The request is not medically necessary.";
        let found = findings(
            "A 45 year old male.",
            &[("Aquatic therapy", "Upheld", NO_EVIDENCE, rationale)],
        );
        assert!(has(&found, Kind::NoGuideline), "{found:?}");
        // Near miss: a guideline line that cites a section.
        let cited = "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Aquatic therapy.";
        let found = findings(
            "A 45 year old male.",
            &[("Aquatic therapy", "Upheld", cited, rationale)],
        );
        assert!(!has(&found, Kind::NoGuideline), "{found:?}");
    }

    /// A criterion written for chronic pain, cited for a request three weeks after the injury,
    /// where the body part's own chapter addresses the treatment: a note. Near misses: the
    /// request months later, a body part no earlier guidance addresses, a line that also cites
    /// the body part's chapter (the chronic-pain topic may be only a preface).
    #[test]
    fn a_chronic_pain_criterion_for_a_request_weeks_after_the_injury() {
        let manipulation = "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Manual therapy & manipulation.";
        let rationale = "Manipulation is recommended for chronic pain. Not medically necessary.";
        let stage = |summary: &str, treatment: &str, line: &str| {
            checked_findings(summary, &[(treatment, "Upheld", line, rationale)])
                .into_iter()
                .filter(|f| f.kind == Kind::CitationMismatch)
                .collect::<Vec<_>>()
        };
        let early = "The Request for Authorization was signed on 11/06/2015.";
        let found = stage(
            early,
            "Chiropractic care for the low back x 6",
            manipulation,
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].severity, Severity::Note);
        assert!(found[0].message.contains("3 weeks"), "{found:?}");
        let late = "The Request for Authorization was signed on 09/30/2016.";
        let found = stage(late, "Chiropractic care for the low back x 6", manipulation);
        assert!(found.is_empty(), "{found:?}");
        let found = stage(
            early,
            "Chiropractic care for the left knee x 6",
            manipulation,
        );
        assert!(found.is_empty(), "{found:?}");
        let found = stage(early, "Chiropractic care x 6", manipulation);
        assert!(found.is_empty(), "no body part named: {found:?}");
        let both = "Decision based on MTUS ACOEM Low Back Complaints 2004, Section(s): Physical Methods, and MTUS Chronic Pain Medical Treatment 2016, Section(s): Manual therapy & manipulation.";
        let found = stage(early, "Chiropractic care for the low back x 6", both);
        assert!(found.is_empty(), "{found:?}");
    }

    /// A topic that covers another class is a mismatch for a drug imrlint knows; for one it does
    /// not know (a new brand), it abstains.
    #[test]
    fn a_topic_mismatch_only_for_an_item_imrlint_can_place() {
        let opioids = "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s): Opioids, specific drug list.";
        let rationale = "The request is not medically necessary.";
        let known = findings(
            "A 45 year old male.",
            &[("Meloxicam 15 mg #30", "Upheld", opioids, rationale)],
        );
        assert!(has(&known, Kind::GuidelineMismatch), "{known:?}");
        let unknown = findings(
            "A 45 year old male.",
            &[("Zorbanex 15 mg #30", "Upheld", opioids, rationale)],
        );
        assert!(!has(&unknown, Kind::GuidelineMismatch), "{unknown:?}");
    }
}
