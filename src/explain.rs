//! `imrlint explain ID`: what anything with an id in the rule set is (a rule, reason, concept,
//! drug, category, body part, definition or guideline topic), where it is defined, how it is
//! written (patterns, condition, examples), and what uses it.

use std::fmt::Write as _;

use crate::rules::{Knowledge, RuleFile, RuleSet};

/// The explanations of every entry the id names (a word may be a concept and a reason), or
/// `None` when nothing has that id.
pub fn explain(rules: &RuleSet, id: &str) -> Option<String> {
    let parts: Vec<String> = [
        rule(rules, id),
        reason(rules, id),
        concept(rules, id),
        drug(rules, id),
        category(rules, id),
        body_part(rules, id),
        definition(rules, id),
        topic(rules, id),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// `file:line` of the entry of a knowledge file whose `key` is `id`.
fn defined_in(rules: &RuleSet, kind: &str, list: &str, key: &str, id: &str) -> String {
    rules.entry_of(kind, list, key, id).map_or_else(
        || format!("{kind}.yaml"),
        |(file, path)| placed(file, &path),
    )
}

/// Where the node at `path` is written (`drugs.yaml:289`), and the later files that extend it.
fn placed(file: &RuleFile, path: &str) -> String {
    let places: Vec<String> = file
        .places(path)
        .into_iter()
        .map(|(name, line)| format!("{name}:{line}"))
        .collect();
    match places.split_first() {
        Some((first, [])) => first.clone(),
        Some((first, rest)) => format!("{first}, extended in {}", rest.join(", ")),
        None => file.name.clone(),
    }
}

fn rules_using(
    rules: &RuleSet,
    uses: impl Fn(&crate::rules::checks::CompiledRule) -> bool,
) -> String {
    let users: Vec<&str> = rules
        .rules
        .iter()
        .filter(|r| uses(r))
        .map(|r| r.rule.id.as_str())
        .collect();
    if users.is_empty() {
        "none".into()
    } else {
        users.join(", ")
    }
}

/// Whether a rule's conditions or templates name `word` as a quoted string or a variable.
fn names(rule: &crate::rules::checks::CompiledRule, word: &str) -> bool {
    let quoted = [format!("'{word}'"), format!("\"{word}\"")];
    let texts = std::iter::once(rule.rule.applies_to.as_str()).chain(
        rule.rule.reasons.iter().flat_map(|r| {
            [
                r.when.as_str(),
                r.request_leaves_unknown.as_deref().unwrap_or_default(),
                r.message.as_str(),
                r.help.as_str(),
            ]
        }),
    );
    texts
        .into_iter()
        .any(|t| quoted.iter().any(|q| t.contains(q.as_str())) || contains_word(t, word))
}

fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !part(before) && !part(after)
    })
}

fn rule(rules: &RuleSet, id: &str) -> Option<String> {
    let r = rules.rules.iter().find(|r| r.rule.id == id)?;
    let mut out = String::new();
    let doc = rules.guidelines.get(r.document);
    let _ = writeln!(out, "rule {}: {}\n", r.rule.id, r.rule.title);
    if let Some(d) = &r.rule.description {
        let _ = writeln!(out, "{}\n", d.trim());
    }
    let _ = write!(
        out,
        "Guideline: {}, {}",
        doc.doc.title,
        doc.topic(r.topic).title
    );
    if let Some(pages) = doc.pages_label(r.topic) {
        let _ = write!(out, " ({pages})");
    }
    for (parts, d, t) in &r.regional {
        let doc = rules.guidelines.get(*d);
        let _ = write!(
            out,
            "\n  for {}: {}, {}",
            parts.join(", "),
            doc.doc.title,
            doc.topic(*t).title
        );
    }
    let _ = writeln!(
        out,
        "\nApplies to: {}\nDefined in: {}\n\nReasons:",
        r.rule.applies_to.trim(),
        placed(&r.source, &format!("rules[{}]", r.index)),
    );
    for rr in &r.rule.reasons {
        let _ = writeln!(
            out,
            "  {} ({})\n    when: {}",
            rr.reason,
            rr.role.id(),
            rr.when.trim(),
        );
        if let Some(x) = &rr.request_leaves_unknown {
            let _ = writeln!(out, "    request leaves it unknown when: {}", x.trim());
        }
        let _ = writeln!(out, "    help: {}", rr.help);
    }
    let _ = writeln!(
        out,
        "\nExamples: {} (run them with `imrlint rules test --filter {}`)",
        r.rule.examples.len(),
        r.rule.id
    );
    Some(out)
}

fn reason(rules: &RuleSet, id: &str) -> Option<String> {
    let i = rules.reasons.index(id)?;
    let reason = rules.reasons.get(i);
    let mut out = String::new();
    let _ = writeln!(out, "reason {}: {}\n", reason.id, reason.title);
    if let Some(d) = &reason.description {
        let _ = writeln!(out, "{}\n", d.trim());
    }
    let kind = crate::rules::reasons::ReasonsFile::KIND;
    let _ = writeln!(
        out,
        "Kind: {:?}\nDefined in: {}\nCited by:",
        reason.kind,
        defined_in(rules, kind, "reasons", "id", id)
    );
    for c in &reason.cites {
        let what = c
            .pattern
            .as_ref()
            .map(|p| format!("pattern '{p}'"))
            .or(c.concept.as_ref().map(|k| format!("concept {k}")))
            .unwrap_or_default();
        let _ = writeln!(out, "  {what} ({:?})", c.status);
    }
    examples(
        &mut out,
        reason.examples.iter().map(|e| {
            format!(
                "{} {}",
                if e.cited { "cites:" } else { "does not cite:" },
                e.text
            )
        }),
    );
    let _ = writeln!(
        out,
        "Rules using it: {}",
        rules_using(rules, |r| r.reasons.iter().any(|x| x.reason == i))
    );
    Some(out)
}

fn concept(rules: &RuleSet, id: &str) -> Option<String> {
    let c = rules.concepts.concepts.iter().find(|c| c.id == id)?;
    let mut out = String::new();
    let kind = crate::rules::concepts::ConceptsFile::KIND;
    let _ = writeln!(out, "concept {}: {}\n", c.id, c.title);
    let _ = writeln!(
        out,
        "Defined in: {}\nGroup: {}",
        defined_in(rules, kind, "concepts", "id", id),
        c.group.as_deref().unwrap_or("none")
    );
    if !c.parts.is_empty() {
        let _ = writeln!(out, "Body parts: {}", c.parts.join(", "));
    }
    let _ = writeln!(out, "Patterns:");
    for p in &c.patterns {
        let _ = writeln!(out, "  '{p}'");
    }
    examples(
        &mut out,
        c.examples
            .iter()
            .map(|e| format!("{:?}: {}", e.status, e.text)),
    );
    let reasons: Vec<&str> = rules
        .reasons
        .reasons
        .iter()
        .filter(|r| r.cites.iter().any(|x| x.concept.as_deref() == Some(id)))
        .map(|r| r.id.as_str())
        .collect();
    let _ = writeln!(
        out,
        "Reasons it cites: {}\nRules naming it: {}",
        if reasons.is_empty() {
            "none".into()
        } else {
            reasons.join(", ")
        },
        rules_using(rules, |r| names(r, id))
    );
    Some(out)
}

fn drug(rules: &RuleSet, id: &str) -> Option<String> {
    let lower = id.to_lowercase();
    let d = rules.drugs.drugs.iter().find(|d| {
        std::iter::once(&d.name)
            .chain(&d.brands)
            .chain(&d.aliases)
            .any(|n| n.to_lowercase() == lower)
    })?;
    let mut out = String::new();
    let kind = crate::rules::drugs::DrugsFile::KIND;
    let _ = writeln!(out, "drug {} (class {})\n", d.name, d.class);
    let _ = writeln!(
        out,
        "Defined in: {}",
        defined_in(rules, kind, "drugs", "name", &d.name)
    );
    for (label, list) in [
        ("Brands", &d.brands),
        ("Other names", &d.aliases),
        ("Misspellings", &d.misspellings),
        ("Ingredients", &d.ingredients),
    ] {
        if !list.is_empty() {
            let _ = writeln!(out, "{label}: {}", list.join(", "));
        }
    }
    if let Some(route) = &d.route {
        let _ = writeln!(out, "Route: {route}");
    }
    if let Some(source) = &d.source {
        let _ = writeln!(out, "Source: {source}");
    }
    let _ = writeln!(
        out,
        "Rules naming it or its class: {}",
        rules_using(rules, |r| names(r, &d.name) || names(r, &d.class))
    );
    Some(out)
}

fn category(rules: &RuleSet, id: &str) -> Option<String> {
    let c = rules.categories.categories.iter().find(|c| c.id == id)?;
    let mut out = String::new();
    let kind = crate::rules::categories::CategoriesFile::KIND;
    let _ = writeln!(out, "category {}: {}\n", c.id, c.title);
    let _ = writeln!(
        out,
        "Defined in: {}\nCounts: {:?}{}",
        defined_in(rules, kind, "categories", "id", id),
        c.counts,
        if c.drug {
            "\nTakes an item naming a drug of drugs.yaml"
        } else {
            ""
        }
    );
    let _ = writeln!(out, "Patterns:");
    for p in &c.patterns {
        let _ = writeln!(out, "  '{p}'");
    }
    if !c.except.is_empty() {
        let _ = writeln!(out, "Except:");
        for p in &c.except {
            let _ = writeln!(out, "  '{p}'");
        }
    }
    examples(&mut out, c.examples.iter().cloned());
    let _ = writeln!(
        out,
        "Rules naming it: {}",
        rules_using(rules, |r| names(r, id))
    );
    Some(out)
}

fn body_part(rules: &RuleSet, id: &str) -> Option<String> {
    let b = rules.anatomy.body_parts.iter().find(|b| b.id == id)?;
    let mut out = String::new();
    let kind = crate::rules::categories::AnatomyFile::KIND;
    let _ = writeln!(
        out,
        "body part {}\n\nDefined in: {}",
        b.id,
        defined_in(rules, kind, "body_parts", "id", id)
    );
    examples(&mut out, b.examples.iter().cloned());
    let _ = writeln!(
        out,
        "Rules naming it: {}",
        rules_using(rules, |r| names(r, id))
    );
    Some(out)
}

fn definition(rules: &RuleSet, id: &str) -> Option<String> {
    let (d, _) = rules.definitions.list.iter().find(|(d, _)| d.name == id)?;
    let mut out = String::new();
    let kind = crate::rules::definitions::DefinitionsFile::KIND;
    let _ = writeln!(out, "definition {}\n", d.name);
    if let Some(description) = &d.description {
        let _ = writeln!(out, "{}\n", description.trim());
    }
    let _ = writeln!(
        out,
        "Defined in: {}\nValue: {}\nRules using it: {}",
        defined_in(rules, kind, "definitions", "name", id),
        d.value.trim(),
        rules_using(rules, |r| names(r, id))
    );
    Some(out)
}

/// A guideline topic by `document/topic`, or by a topic id only one document has.
fn topic(rules: &RuleSet, id: &str) -> Option<String> {
    let found: Vec<_> = rules
        .guidelines
        .documents
        .iter()
        .enumerate()
        .flat_map(|(d, doc)| {
            doc.doc
                .topics
                .iter()
                .enumerate()
                .map(move |(t, topic)| (d, doc, t, topic))
        })
        .filter(|(_, doc, _, topic)| topic.id == id || format!("{}/{}", doc.doc.id, topic.id) == id)
        .collect();
    let mut out = String::new();
    for (d, doc, t, topic) in &found {
        let _ = writeln!(
            out,
            "guideline topic {}/{}: {}, {}\n",
            doc.doc.id, topic.id, doc.doc.title, topic.title
        );
        if let Some(pages) = doc.pages_label(crate::rules::guidelines::TopicId(*t)) {
            let _ = writeln!(
                out,
                "Pages: {pages}{}",
                if topic.verified { " (verified)" } else { "" }
            );
        }
        let _ = writeln!(out, "Named in letters as:");
        for n in &topic.names {
            let _ = writeln!(out, "  '{n}'");
        }
        if let Some(covers) = &topic.covers {
            let _ = writeln!(
                out,
                "Covers: {}",
                serde_json::to_string(covers).unwrap_or_default()
            );
        }
        if let Some(stage) = &topic.stage
            && let Some(of) = rules.guidelines.stage(&stage.written_for)
        {
            let earlier = &stage.earlier_guidance;
            let _ = writeln!(
                out,
                "Written for {} ({}): a citation-mismatch note when it alone decides an item requested fewer than {} weeks after the injury that the earlier stage's guidance addresses ({}{})",
                of.title,
                of.definition,
                of.from_weeks,
                serde_json::to_string(&earlier.covers).unwrap_or_default(),
                if earlier.body_parts.is_empty() {
                    String::new()
                } else {
                    format!(", for {}", earlier.body_parts.join(", "))
                }
            );
        }
        let _ = writeln!(
            out,
            "Rules resting on it: {}",
            rules_using(rules, |r| {
                (r.document.0 == *d && r.topic.0 == *t)
                    || r.regional
                        .iter()
                        .any(|(_, rd, rt)| rd.0 == *d && rt.0 == *t)
            })
        );
    }
    (!out.is_empty()).then_some(out)
}

fn examples(out: &mut String, examples: impl Iterator<Item = String>) {
    let examples: Vec<String> = examples.collect();
    if !examples.is_empty() {
        let _ = writeln!(out, "Examples:");
        for e in examples {
            let _ = writeln!(
                out,
                "  {}",
                e.split_whitespace().collect::<Vec<_>>().join(" ")
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_id_is_explained_with_where_it_is_defined() {
        let rules = RuleSet::for_tests();
        // A drug is found by any of its names: the first drug of drugs.yaml with a brand.
        let branded = rules
            .drugs
            .drugs
            .iter()
            .find(|d| !d.brands.is_empty())
            .unwrap();
        let drug = format!("drug {} (class {})", branded.name, branded.class);
        for (id, expected) in [
            ("mtus-benzodiazepines", "rule mtus-benzodiazepines:"),
            ("long-term-use", "reason long-term-use:"),
            ("anxiety", "concept anxiety:"),
            (branded.brands[0].as_str(), drug.as_str()),
            ("medication", "category medication:"),
            ("knee", "body part knee"),
            ("time_since_injury", "definition time_since_injury"),
            (
                "mtus-chronic-pain/benzodiazepines",
                "guideline topic mtus-chronic-pain/benzodiazepines:",
            ),
        ] {
            let text = explain(rules, id).unwrap_or_else(|| panic!("nothing for {id}"));
            assert!(text.contains(expected), "{id}: {text}");
            assert!(
                text.contains("Defined in: ") || text.contains("Rules resting on it"),
                "{id}: {text}"
            );
        }
        assert!(explain(rules, "no-such-thing").is_none());
    }
}
