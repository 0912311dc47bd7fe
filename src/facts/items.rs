//! Each disputed item's facts: its drug, request, use, guideline lines, related concepts of its
//! body part, and the procedure a service belongs to.

use std::collections::BTreeMap;
use std::ops::Range;

use jiff::civil::Date;

use super::citations::GuidelineLine;
use super::dates::FoundDate;
use crate::letter::Letter;
use crate::rules::RuleSet;
use crate::rules::drugs::{DrugId, DrugMention};
use crate::rules::patterns::PatternMatch;
use crate::text::Text;

use super::treatment::{completed_sessions, prior_treatment};
use super::*;

/// For each item naming a body part, the concepts of the summary sentences that name it too.
pub(super) fn relate_body_parts(
    mut items: Vec<ItemFacts>,
    text: &Text,
    rules: &RuleSet,
    mentions: &[context::Mention],
    dates: &[FoundDate],
) -> Vec<ItemFacts> {
    let Some(whole) = mentions
        .iter()
        .map(|m| m.sentence.clone())
        .reduce(|a, b| a.start.min(b.start)..a.end.max(b.end))
    else {
        return items;
    };
    let folded = text.folded();
    let parts = rules.anatomy.part_patterns.find_all(folded, whole.clone());
    let sides = rules.anatomy.side_patterns.find_all(folded, whole);
    // Each mention's body parts: those tied to it ('a right ulna fracture' belongs to the ulna
    // alone), else those of its concept's nature (concepts.yaml `parts`), else every part its
    // sentence names. The same for every item.
    let mention_parts: Vec<Vec<usize>> = mentions
        .iter()
        .map(|m| {
            let concept = rules.concepts.get(m.concept);
            let in_sentence: Vec<&PatternMatch> = parts
                .iter()
                .filter(|p| m.sentence.start <= p.range.start && p.range.end <= m.sentence.end)
                .collect();
            let own = if concept.crosses_parts {
                Vec::new()
            } else {
                own_parts(folded, &m.range, &in_sentence, &sides, rules)
            };
            if !own.is_empty() {
                return own;
            }
            let natural: Vec<usize> = concept
                .parts
                .iter()
                .filter_map(|id| rules.anatomy.part_index(id))
                .collect();
            if natural.is_empty() {
                in_sentence.iter().map(|p| p.owner).collect()
            } else {
                natural
            }
        })
        .collect();
    let mut unplaced = BTreeMap::new();
    for (m, m_parts) in mentions.iter().zip(&mention_parts) {
        if m_parts.is_empty() {
            keep_firmest(&mut unplaced, m, text, rules, dates);
        }
    }
    for item in &mut items {
        let wanted: Vec<usize> = item
            .request
            .body_parts
            .iter()
            .filter_map(|b| rules.anatomy.part_index(&b.value))
            .collect();
        // The parts whose findings are the item's region's, the item's own parts aside.
        let region: Vec<usize> = wanted
            .iter()
            .flat_map(|w| &rules.anatomy.body_parts[*w].region)
            .filter_map(|id| rules.anatomy.part_index(id))
            .filter(|p| !wanted.contains(p))
            .collect();
        let wanted_sides: Vec<usize> = item
            .request
            .sides
            .iter()
            .filter_map(|s| rules.anatomy.side_index(&s.value))
            .collect();
        for (m, m_parts) in mentions.iter().zip(&mention_parts) {
            let inside = |r: &Range<usize>| m.sentence.start <= r.start && r.end <= m.sentence.end;
            let names_part = m_parts.iter().any(|p| wanted.contains(p));
            // A sentence about the other side is not about this item ('an MRI of the left knee'
            // for a request for the right knee).
            let sentence_sides: Vec<usize> = sides
                .iter()
                .filter(|s| inside(&s.range))
                .map(|s| s.owner)
                .collect();
            // Sides that cover both ('bilateral') agree with either.
            let both = |i: &usize| rules.anatomy.sides[*i].both;
            let other_side = !wanted_sides.is_empty()
                && !sentence_sides.is_empty()
                && !wanted_sides.iter().any(both)
                && !sentence_sides.iter().any(both)
                && !sentence_sides.iter().any(|s| wanted_sides.contains(s));
            if names_part && !other_side {
                keep_firmest(&mut item.related, m, text, rules, dates);
            } else if !other_side && m_parts.iter().any(|p| region.contains(p)) {
                keep_firmest(&mut item.regional, m, text, rules, dates);
            }
        }
        if !wanted.is_empty() {
            item.unplaced = unplaced.clone();
        }
    }
    items
}

/// Records a mention of a concept unless one as firm is already recorded: per concept, its
/// strongest status and the first date of the sentence that gave it.
fn keep_firmest(
    found: &mut BTreeMap<String, RelatedConcept>,
    m: &context::Mention,
    text: &Text,
    rules: &RuleSet,
    dates: &[FoundDate],
) {
    let id = &rules.concepts.get(m.concept).id;
    if found
        .get(id)
        .is_some_and(|r| r.status.documents() >= m.status.documents())
    {
        return;
    }
    let date = dates
        .iter()
        .find(|d| m.sentence.start <= d.range.start && d.range.end <= m.sentence.end)
        .map(|d| date_fact(text, d));
    found.insert(
        id.clone(),
        RelatedConcept {
            status: m.status,
            text: text.folded()[m.range.clone()].to_string(),
            date,
            line: text.span(m.range.clone()).line,
        },
    );
}

/// A body part named with its side ('the left hip'): anatomy.yaml's indexes and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidedPart {
    pub part: usize,
    pub side: usize,
    pub range: Range<usize>,
}

/// The body parts `range` names with their side: each part with a side right before it, at most
/// two words between ('right hip', 'left lower extremity'). Sides that cover both, and a side
/// listed with another ('left and right knees'), name no one side and are left out.
pub fn sided_parts(folded: &str, range: Range<usize>, rules: &RuleSet) -> Vec<SidedPart> {
    let anatomy = &rules.anatomy;
    let parts = anatomy.part_patterns.find_all(folded, range.clone());
    let sides = anatomy.side_patterns.find_all(folded, range);
    let words_between = |from: usize, to: usize| -> Option<usize> {
        let gap = folded.get(from..to)?;
        gap.chars()
            .all(|c| c.is_alphabetic() || c == '-' || c.is_whitespace())
            .then(|| gap.split_whitespace().count())
    };
    let listed = |s: &PatternMatch| {
        sides.iter().any(|o| {
            o.range.end <= s.range.start
                && folded[o.range.end..s.range.start]
                    .trim()
                    .trim_matches(',')
                    .trim()
                    .to_ascii_lowercase()
                    .split_whitespace()
                    .all(|w| matches!(w, "and" | "or" | "&" | "/" | "and/or"))
        })
    };
    parts
        .iter()
        .filter_map(|p| {
            let side = sides
                .iter()
                .filter(|s| s.range.end <= p.range.start)
                .max_by_key(|s| s.range.end)?;
            let between = words_between(side.range.end, p.range.start)?;
            let crossed = parts
                .iter()
                .any(|o| side.range.end <= o.range.start && o.range.end <= p.range.start);
            (between <= 2 && !crossed && !anatomy.sides[side.owner].both && !listed(side))
                .then_some(SidedPart {
                    part: p.owner,
                    side: side.owner,
                    range: side.range.start..p.range.end,
                })
        })
        .collect()
}

/// The body parts a finding at `finding` is tied to in its sentence (anatomy.yaml `own_part`):
/// a part its words name, else the part right before it, else the part right after it with the
/// parts listed along with that one; empty when no part is tied to it.
fn own_parts(
    folded: &str,
    finding: &Range<usize>,
    parts: &[&PatternMatch],
    sides: &[PatternMatch],
    rules: &RuleSet,
) -> Vec<usize> {
    let Some(gaps) = &rules.anatomy.own_part else {
        return Vec::new();
    };
    // The words between two places, sides left out and spaces folded.
    let gap = |from: usize, to: usize| -> String {
        let mut words = String::new();
        let mut at = from;
        for s in sides
            .iter()
            .filter(|s| from <= s.range.start && s.range.end <= to)
        {
            words.push_str(&folded[at..s.range.start]);
            words.push(' ');
            at = s.range.end;
        }
        words.push_str(&folded[at..to]);
        words.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    // A finding whose words name a part ('increased right hip pain') is that part's.
    let within: Vec<usize> = parts
        .iter()
        .filter(|p| finding.start <= p.range.start && p.range.end <= finding.end)
        .map(|p| p.owner)
        .collect();
    if !within.is_empty() {
        return within;
    }
    // Parts that share their place ('cervicothoracic' is both) are tied together.
    let nearest_before = parts
        .iter()
        .filter(|p| p.range.end <= finding.start)
        .map(|p| p.range.end)
        .max();
    if let Some(end) = nearest_before
        && gaps.before.is_match(&gap(end, finding.start))
    {
        return parts
            .iter()
            .filter(|p| p.range.end == end)
            .map(|p| p.owner)
            .collect();
    }
    let mut after: Vec<&&PatternMatch> = parts
        .iter()
        .filter(|p| finding.end <= p.range.start)
        .collect();
    after.sort_by_key(|p| p.range.start);
    let mut own = Vec::new();
    let mut end = finding.end;
    for p in after {
        let tied = if p.range.start < end {
            true
        } else if own.is_empty() {
            gaps.after.is_match(&gap(end, p.range.start))
        } else {
            gaps.joined.is_match(&gap(end, p.range.start))
        };
        if !tied {
            break;
        }
        own.push(p.owner);
        end = end.max(p.range.end);
    }
    own
}

/// Each service's procedure, for categories that follow another.
pub(super) fn link_procedures(mut items: Vec<ItemFacts>, rules: &RuleSet) -> Vec<ItemFacts> {
    let follows = |category: &str| {
        rules
            .categories
            .index(category)
            .and_then(|i| rules.categories.categories[i].follows.clone())
    };
    for i in 0..items.len() {
        let Some(wanted) = follows(&items[i].category) else {
            continue;
        };
        let before = (0..i).rev().find(|&j| items[j].category == wanted);
        let after = (i + 1..items.len()).find(|&j| items[j].category == wanted);
        items[i].procedure = before.or(after).map(|j| Procedure {
            index: items[j].index,
            treatment: items[j].treatment.value.clone(),
            category: items[j].category.clone(),
            decision: items[j].decision.value,
        });
    }
    items
}

pub(super) fn item_facts(
    letter: &Letter,
    rules: &RuleSet,
    item: &crate::letter::Item,
    medications: &[Medication],
    earlier: &TreatmentSentences,
    reference: Option<&ReferenceDate>,
    on: Option<Date>,
) -> ItemFacts {
    let text = &letter.text;
    let folded = text.folded();
    let spanned_text = |r: &Range<usize>| Spanned {
        value: folded[r.clone()].to_string(),
        span: text.span(r.clone()),
    };
    let treatment = item.treatment.clone();
    let found = rules.drugs.find(folded, treatment.clone());
    let routes = rules.drugs.find_routes(folded, treatment.clone());
    let mut seen = Vec::new();
    let named: Vec<&DrugMention> = found
        .iter()
        .filter(|m| {
            let new = !seen.contains(&m.drug);
            seen.push(m.drug);
            new
        })
        .collect();
    // Each drug named, in the class its route gives it: the dosage form written on the line
    // ('cream'), else the product's own route (a compounded cream's ingredients are topical). A
    // class the route keeps (a fentanyl patch is an opioid) is kept for a drug named alone: in a
    // compound of several, tramadol is one ingredient of a topical.
    let alone = named.len() == 1 && rules.drugs.get(named[0].drug).ingredients.is_empty();
    let item_drug = |id: DrugId, product_route: Option<&str>, m: &DrugMention| {
        let d = rules.drugs.get(id);
        let route_class = routes
            .iter()
            .map(|(r, _)| &rules.drugs.routes[*r])
            .chain(product_route.and_then(|id| rules.drugs.routes.iter().find(|r| r.id == id)))
            .find(|r| !(alone && r.keeps.contains(&d.class)))
            .map(|r| r.class.clone());
        let class = route_class.unwrap_or_else(|| d.class.clone());
        ItemDrug {
            name: d.name.clone(),
            own_class: (class != d.class).then(|| d.class.clone()),
            class,
            kind: d.kind,
            form: d.form.clone(),
            formulary: d.formulary.as_ref().map(|f| f.status),
            written: folded[m.range.clone()].to_string(),
            misspelled: m.kind == crate::rules::drugs::NameKind::Misspelling,
            span: text.span(m.range.clone()),
            drug_id: id,
        }
    };
    // A product is judged by its ingredients: they are the item's drugs, the product its drug.
    // An ingredient also named on its own ('Synapryn (tramadol with glucosamine)') counts once.
    let mut counted = Vec::new();
    let drugs: Vec<ItemDrug> = named
        .iter()
        .flat_map(|m| {
            let d = rules.drugs.get(m.drug);
            if d.ingredients.is_empty() {
                vec![item_drug(m.drug, None, m)]
            } else {
                d.ingredients
                    .iter()
                    .filter_map(|name| rules.drugs.id_of(name))
                    .map(|id| item_drug(id, d.route.as_deref(), m))
                    .collect()
            }
        })
        .filter(|d| {
            let new = !counted.contains(&d.drug_id);
            counted.push(d.drug_id);
            new
        })
        .collect();
    let drug = match named.as_slice() {
        [] => None,
        [only] => Some(item_drug(
            only.drug,
            rules.drugs.get(only.drug).route.as_deref(),
            only,
        )),
        [_, ..] => Some(ItemDrug {
            name: drugs
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(" + "),
            ..drugs[0].clone()
        }),
    };
    let category = rules
        .categories
        .classify(&folded[treatment.clone()], !drugs.is_empty());
    let category_index = rules.categories.index(&category.id);
    let therapy = category.counts.sessions();
    let mut parsed = request::parse(
        &rules.requests,
        &folded[treatment.clone()],
        treatment.start,
        category.counts,
    );
    // How often and how many, when the item's line leaves them out, from the summary's own
    // statement of the request naming the same drug or kind of treatment.
    let unstated = parsed.frequency.is_none() || (therapy && parsed.sessions.is_none());
    if unstated
        && let Some(stated) = earlier.request_statement(folded, |s| match found.first() {
            Some(d) => rules
                .drugs
                .find(folded, s.clone())
                .into_iter()
                .map(|m| (m.drug == d.drug, m.range.start))
                .collect(),
            None => rules
                .categories
                .patterns
                .find_all(folded, s.clone())
                .into_iter()
                .map(|m| (Some(m.owner) == category_index, m.range.start))
                .collect(),
        })
    {
        let summary = request::parse(
            &rules.requests,
            &folded[stated.clone()],
            stated.start,
            category.counts,
        );
        parsed.frequency = parsed.frequency.or(summary.frequency);
        if therapy {
            parsed.sessions = parsed.sessions.or(summary.sessions);
            parsed.weeks = parsed.weeks.or(summary.weeks);
        }
    }
    let at = |r: &Range<usize>| text.span(r.clone());
    let anatomy = &rules.anatomy;
    let mut body_parts: Vec<Spanned<String>> = Vec::new();
    for m in anatomy
        .part_patterns
        .find_longest(folded, treatment.clone())
    {
        let id = anatomy.body_parts[m.owner].id.clone();
        if !body_parts.iter().any(|b| b.value == id) {
            body_parts.push(Spanned {
                value: id,
                span: at(&m.range),
            });
        }
    }
    let mut sides: Vec<Spanned<String>> = Vec::new();
    for m in anatomy
        .side_patterns
        .find_longest(folded, treatment.clone())
    {
        let id = anatomy.sides[m.owner].id.clone();
        if !sides.iter().any(|b| b.value == id) {
            sides.push(Spanned {
                value: id,
                span: at(&m.range),
            });
        }
    }
    let request = RequestFacts {
        strength: parsed.strength.map(|a| placed(text, a)),
        quantity: parsed.quantity.map(|a| placed(text, a)),
        quantity_unit: parsed.quantity_unit,
        frequency: parsed.frequency.map(|f| FrequencyFact {
            per_day: f.value.per_day.map(|(a, b)| [a, b]),
            per_week: f.value.per_week.map(|(a, b)| [a, b]),
            as_needed: f.value.as_needed,
            text: folded[f.range.clone()].to_string(),
            span: at(&f.range),
        }),
        refills: parsed.refills.map(|a| placed(text, a)),
        days_supply: parsed.days_supply.map(|a| placed(text, a)),
        sessions: parsed.sessions.map(|a| placed(text, a)),
        weeks: parsed.weeks.map(|a| placed(text, a)),
        body_parts,
        sides,
    };
    let drug_use = drug
        .as_ref()
        .and_then(|d| medications.iter().find(|m| m.drug_id == d.drug_id))
        .map(|m| {
            let weeks = match (&m.first_documented, reference) {
                (Some(first), Some(r)) if first.latest <= r.value => {
                    Some((r.value - first.latest).get_days() as i64 / 7)
                }
                _ => None,
            };
            DrugUse {
                first_documented: m.first_documented.clone(),
                weeks,
                concepts: m.concepts.clone(),
            }
        });
    let line = |r: &Option<Range<usize>>| {
        r.as_ref().map(|r| {
            line_facts(
                text,
                rules,
                citations::parse_line(&rules.guidelines, folded, r.clone(), on),
                r,
            )
        })
    };
    let rationale_pages = item
        .rationale
        .as_ref()
        .map(|r| {
            citations::pages(&rules.guidelines, folded, r.clone())
                .into_iter()
                .map(|(p, r)| Spanned {
                    value: page_text(p),
                    span: at(&r),
                })
                .collect()
        })
        .unwrap_or_default();
    ItemFacts {
        index: item.index,
        treatment: spanned_text(&treatment),
        original_request: item.original_request.as_ref().map(spanned_text),
        authorized: item.authorized.as_ref().map(spanned_text),
        decision: Spanned {
            value: item.decision,
            span: at(&item.decision_label),
        },
        category: category.id.clone(),
        drug,
        drugs,
        request,
        drug_use,
        guideline: ItemGuideline {
            claims_administrator: line(&item.claims_guideline),
            reviewer: line(&item.reviewer_guideline),
            rationale_pages,
        },
        rationale: item.rationale.as_ref().map(at),
        completed_sessions: category_index
            .filter(|_| category.counts.sessions())
            .and_then(|i| completed_sessions(text, rules, earlier, i)),
        prior_treatment: category_index
            .filter(|_| category.counts.sessions())
            .and_then(|i| prior_treatment(text, rules, earlier, i)),
        procedure: None,
        related: BTreeMap::new(),
        unplaced: BTreeMap::new(),
        regional: BTreeMap::new(),
    }
}

pub(super) fn line_facts(
    text: &Text,
    rules: &RuleSet,
    line: GuidelineLine,
    range: &Range<usize>,
) -> LineFacts {
    let folded = text.folded();
    let at = |r: &Range<usize>| text.span(r.clone());
    LineFacts {
        no_evidence: line.no_evidence.is_some(),
        citations: line
            .citations
            .iter()
            .map(|c| {
                let doc = c.document.map(|d| &rules.guidelines.documents[d].doc);
                CitationFact {
                    text: folded[c.range.clone()].to_string(),
                    mtus: !c.non_mtus
                        && c.document
                            .is_none_or(|d| rules.guidelines.documents[d].binding),
                    document: doc.map(|d| d.id.clone()),
                    edition: c.edition.as_ref().map(|e| e.0.clone()),
                    edition_stated: c.edition.as_ref().is_some_and(|e| e.1),
                    chapters: c
                        .chapters
                        .iter()
                        .filter_map(|(i, r)| {
                            Some(Spanned {
                                value: doc?.chapters[*i].id.clone(),
                                span: at(r),
                            })
                        })
                        .collect(),
                    topics: c
                        .topics
                        .iter()
                        .filter_map(|(i, r)| {
                            Some(Spanned {
                                value: doc?.topics[*i].id.clone(),
                                span: at(r),
                            })
                        })
                        .collect(),
                    sections: c
                        .sections
                        .iter()
                        .map(|r| Spanned {
                            value: folded[r.clone()].to_string(),
                            span: at(r),
                        })
                        .collect(),
                    pages: c
                        .pages
                        .iter()
                        .map(|(p, r)| Spanned {
                            value: page_text(*p),
                            span: at(r),
                        })
                        .collect(),
                    span: at(&c.range),
                }
            })
            .collect(),
        span: at(range),
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::facts;

    #[test]
    fn an_item_gets_its_category_body_part_and_request() {
        let f = facts(
            "The injured worker is a 40 year old male.",
            &[
                "MRI of the lumbar spine",
                "Meloxicam 15 mg one daily #30 with 2 refills",
            ],
        );
        assert_eq!(f.items[0].category, "imaging");
        let parts: Vec<&str> = f.items[0]
            .request
            .body_parts
            .iter()
            .map(|b| b.value.as_str())
            .collect();
        assert_eq!(parts, ["lumbar-spine"]);
        let med = &f.items[1];
        assert_eq!(
            med.drug.as_ref().map(|d| d.name.as_str()),
            Some("meloxicam")
        );
        assert_eq!(med.request.quantity.as_ref().map(|q| q.value), Some(30.0));
        assert_eq!(med.request.refills.as_ref().map(|r| r.value), Some(2));
        assert_eq!(
            med.request.frequency.as_ref().and_then(|f| f.per_day),
            Some([1.0, 1.0])
        );
    }

    /// A finding tied to its own body part belongs to it alone: a fractured ulna listed beside a
    /// neck strain is no fracture of the neck. A finding tied to no part belongs to every part its
    /// sentence names, and a nerve finding in a limb speaks of the spine too.
    #[test]
    fn a_finding_belongs_to_its_own_body_part() {
        let related = |sentence: &str, item: &str, concept: &str| -> bool {
            let f = facts(
                &format!("The injured worker is a 40 year old male. {sentence}"),
                &[item],
            );
            f.items[0].related.contains_key(concept)
        };
        let neck = "MRI of the cervical spine";
        for other in [
            "He is treated for a strain of the neck and a right ulna fracture.",
            "He is treated for a strain of the neck and a fracture of the right ulna.",
            "He has a left wrist fracture and neck pain.",
            "He fell, striking his neck, and fractured his left wrist.",
            "He strained his neck, and his right wrist was fractured.",
            "He fell, hit his neck and fractured ribs.",
            "Diagnoses include cervical strain and fracture of the right radius.",
        ] {
            assert!(!related(other, neck, "fracture"), "{other}");
        }
        // Near misses: the neck's own fracture, one listed with it, or one tied to no part.
        for own in [
            "He is treated for a right ulna strain and a neck fracture.",
            "CT showed fractures of the cervical and thoracic spine.",
            "After the fall, the neck pain worsened and a fracture was found.",
            "He fractured his neck and sprained his wrist.",
        ] {
            assert!(related(own, neck, "fracture"), "{own}");
        }
        // A nerve finding in the leg belongs to the low back as well.
        assert!(related(
            "The low back pain radiates with decreased sensation in the left foot.",
            "MRI of the lumbar spine",
            "neurologic-deficit"
        ));
    }

    /// A product is judged by its ingredients: each is one of the item's drugs, in the class its
    /// route gives it, and the product is the item's drug.
    #[test]
    fn a_product_names_its_ingredients() {
        let f = facts(
            "The injured worker is a 40 year old male.",
            &["Terocin lotion 120 ml", "Lidocaine 5% ointment"],
        );
        let product = &f.items[0];
        let drug = product.drug.as_ref().unwrap();
        assert_eq!(drug.class, "topical-analgesic");
        assert_eq!(
            drug.kind,
            Some(crate::rules::drugs::ProductKind::TopicalBranded)
        );
        let ingredients: Vec<(&str, &str, Option<&str>)> = product
            .drugs
            .iter()
            .map(|d| (d.name.as_str(), d.class.as_str(), d.own_class.as_deref()))
            .collect();
        assert_eq!(
            ingredients,
            [
                ("capsaicin", "topical-analgesic", None),
                ("lidocaine", "topical-analgesic", Some("other")),
                ("menthol", "topical-analgesic", None),
                ("methyl salicylate", "topical-analgesic", None),
            ]
        );
        // Near miss: a single drug in a topical form is one drug, not a product.
        let single: Vec<&str> = f.items[1].drugs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(single, ["lidocaine"]);
        assert_eq!(f.items[1].drug.as_ref().unwrap().kind, None);
    }

    /// A compound is a topical by its percent strengths or its base, and each of its drugs is one
    /// of its ingredients, even an opioid; a drug named alone in a patch keeps its class, and a
    /// product's ingredient named beside it counts once.
    #[test]
    fn a_compound_is_judged_as_a_topical() {
        let f = facts(
            "The injured worker is a 40 year old male.",
            &[
                "Tramadol 8%/Gabapentin 10% 180 gm",
                "Gabapentin 10% in Lipoderm base 240 g",
                "Fentanyl 25 mcg/hr patch #10",
                "Gabapentin 300 mg three times daily #90",
                "Synapryn (tramadol 10 mg/mL with glucosamine) oral suspension",
            ],
        );
        let class = |i: usize| f.items[i].drug.as_ref().unwrap().class.clone();
        assert_eq!(class(0), "topical-analgesic");
        assert_eq!(class(1), "topical-analgesic");
        assert_eq!(class(2), "opioid");
        assert_eq!(class(3), "anticonvulsant");
        let names: Vec<&str> = f.items[4].drugs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["tramadol", "glucosamine"]);
    }

    /// A regional red flag belongs to the part its words name, else to the parts of its nature
    /// (concepts.yaml `parts`: bladder dysfunction to the spine); one tied to no part at all is
    /// kept apart as unplaced, for every item.
    #[test]
    fn a_red_flag_belongs_to_its_region() {
        let found = |sentence: &str, item: &str| {
            let f = facts(
                &format!("The injured worker is a 40 year old male. {sentence}"),
                &[item],
            );
            let item = &f.items[0];
            let in_map = |m: &std::collections::BTreeMap<String, crate::facts::RelatedConcept>| {
                m.keys()
                    .filter(|k| k.ends_with("red-flag"))
                    .cloned()
                    .collect::<Vec<_>>()
            };
            (in_map(&item.related), in_map(&item.unplaced))
        };
        let (lumbar, knee) = ("MRI of the lumbar spine", "MRI of the right knee");
        // By nature: the spine's, not the knee's, whatever the sentence names.
        let incontinence = "He reports right knee pain and new bladder incontinence.";
        assert_eq!(found(incontinence, lumbar).0, ["spinal-red-flag"]);
        assert!(found(incontinence, knee).0.is_empty());
        // By its words: a fracture of the lumbar spine is not one of the neck.
        let lumbar_fracture = "CT showed a lumbar compression fracture and neck strain.";
        assert_eq!(found(lumbar_fracture, lumbar).0, ["spinal-red-flag"]);
        assert!(
            found(lumbar_fracture, "MRI of the cervical spine")
                .0
                .is_empty()
        );
        // By place: an infection of the knee is the knee's; one of no part is unplaced.
        assert_eq!(
            found("There is drainage and infection of the right knee.", knee).0,
            ["local-red-flag"]
        );
        assert!(
            found("There is drainage and infection of the right knee.", lumbar)
                .0
                .is_empty()
        );
        let (related, unplaced) = found("An abscess was drained last month.", knee);
        assert!(related.is_empty());
        assert_eq!(unplaced, ["local-red-flag"]);
        // Near miss: a denied red flag is kept with its status, not dropped or affirmed.
        let f = facts(
            "The injured worker is a 40 year old male. He denies bowel or bladder dysfunction.",
            &[lumbar],
        );
        assert_eq!(
            f.items[0].related["spinal-red-flag"].status,
            crate::rules::Status::Negated
        );
    }

    /// A post-operative service follows the surgery requested beside it; a service with no surgery
    /// in the letter follows none.
    #[test]
    fn a_service_follows_the_surgery_of_its_letter() {
        let f = facts(
            "The injured worker is a 40 year old male.",
            &[
                "Right knee arthroscopy",
                "Post-operative physical therapy for the right knee, 12 sessions",
            ],
        );
        assert_eq!(f.items[1].procedure.as_ref().map(|p| p.index), Some(0));
        let alone = facts(
            "The injured worker is a 40 year old male.",
            &["Post-operative physical therapy for the right knee, 12 sessions"],
        );
        assert!(alone.items[0].procedure.is_none());
    }

    /// What the item's line leaves out is read from the summary's statement of the request; a
    /// sentence about the treatment given is not one.
    #[test]
    fn a_request_stated_in_the_summary_fills_what_the_line_leaves_out() {
        let therapy = |sentence: &str| {
            let f = facts(
                &format!("The injured worker is a 40 year old male. {sentence}"),
                &["Physical therapy for the left shoulder"],
            );
            f.items[0].request.sessions.as_ref().map(|s| s.value)
        };
        assert_eq!(
            therapy(
                "The Request for Authorization asked for physical therapy 2 times a week for 4 weeks."
            ),
            Some(8)
        );
        assert_eq!(
            therapy("He attended physical therapy 2 times a week for 4 weeks."),
            None
        );
        let drug = |sentence: &str| {
            let f = facts(
                &format!("The injured worker is a 40 year old male. {sentence}"),
                &["Meloxicam 15 mg #30"],
            );
            f.items[0]
                .request
                .frequency
                .as_ref()
                .and_then(|f| f.per_day)
        };
        assert_eq!(
            drug("The request was for meloxicam 15 mg once daily #30."),
            Some([1.0, 1.0])
        );
        assert_eq!(drug("He takes meloxicam twice daily."), None);
        // The statement of another drug's request says nothing of this one.
        assert_eq!(
            drug("The request was for cyclobenzaprine 10 mg once daily #30."),
            None
        );
        assert_eq!(
            drug("The request was for meloxicam and cyclobenzaprine 10 mg once daily."),
            None
        );
        assert_eq!(
            therapy("The request was for physical therapy and acupuncture, 6 sessions."),
            None
        );
    }
}
