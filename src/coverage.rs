//! `imrlint rules coverage`: how much of the field the rules know, measured on request lines
//! nobody wrote rules from. A coverage set lists lines as request forms write them ("Flurbiprofen
//! 20%/Baclofen 5% cream 180 gm", "Mechanical traction 2x4 for the neck"), each with what imrlint
//! must make of it: its category, drug, class or ingredients, body part, visits and the guideline
//! topic that decides it. Each line is read as the only item of a letter with nothing else, through
//! the facts and the rules `check` uses.

use serde::{Deserialize, Serialize};

use crate::facts::ItemFacts;
use crate::letter::Letter;
use crate::linter::Linter;
use crate::rules::drugs::KnowledgeSource;

/// A coverage set file.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageSet {
    /// Where the lines were written from: each group of lines names one.
    #[serde(default)]
    pub sources: Vec<KnowledgeSource>,
    pub lines: Vec<ExpectedLine>,
}

/// A request line and what imrlint must read in it; a field left out (or null) is not checked.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedLine {
    pub text: String,
    pub category: String,
    /// The drug's name in drugs.yaml (a product's or a combination's included).
    #[serde(default)]
    pub drug: Option<String>,
    /// The item drug's class, or the class of the drug itself when its form moves the item to
    /// another ('diclofenac gel' is a topical analgesic of an NSAID).
    #[serde(default)]
    pub class: Option<String>,
    /// For a product of several drugs: every ingredient, in any order.
    #[serde(default)]
    pub ingredients: Option<Vec<String>>,
    /// How the drug is taken, for the reader of the set (the class says what imrlint makes of it).
    #[serde(default)]
    pub route: Option<String>,
    /// Body parts (anatomy.yaml ids) the line names; each must be read.
    #[serde(default)]
    pub body_parts: Vec<String>,
    #[serde(default)]
    pub side: Option<String>,
    /// Visits or sessions requested.
    #[serde(default)]
    pub sessions: Option<u32>,
    /// The guideline `document/topic` that decides the item: a rule resting on it must apply.
    #[serde(default)]
    pub topic: Option<String>,
    /// The `sources` id (or ids) the line was written from.
    #[serde(default)]
    pub source: Option<OneOrMany>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// What imrlint made of one line, and where it differs from the set.
#[derive(Debug, Clone, Serialize)]
pub struct LineResult {
    pub line: usize,
    pub text: String,
    /// The rules that apply to the item, each with its guideline `document/topic`.
    pub rules: Vec<(String, String)>,
    /// One entry per expectation not met: what was expected and what was read.
    pub differences: Vec<String>,
}

impl LineResult {
    pub fn covered(&self) -> bool {
        !self.rules.is_empty()
    }
}

/// Reads each line of `set` as the only item of a letter and compares what was read.
pub fn measure(linter: &Linter, set: &CoverageSet) -> Vec<LineResult> {
    set.lines
        .iter()
        .enumerate()
        .map(|(i, expected)| {
            let letter = Letter::of_request_line(&expected.text);
            let facts = linter.facts(&letter);
            let checked = linter.evaluate(&letter, &facts);
            let (differences, rules) = match (facts.items.first(), checked.items.first()) {
                (Some(item), Some(result)) => {
                    let parts = item.body_part_ids();
                    let rules: Vec<(String, String)> = result
                        .rules
                        .iter()
                        .filter(|(_, applies, _)| *applies == Some(true))
                        .filter_map(|(id, _, _)| {
                            let rule = linter.rules.rules.iter().find(|r| r.rule.id == *id)?;
                            let (d, t) = rule.guideline_for(&parts);
                            let doc = linter.rules.guidelines.get(d);
                            Some((id.clone(), format!("{}/{}", doc.doc.id, doc.topic(t).id)))
                        })
                        .collect();
                    let decided = expected
                        .topic
                        .as_deref()
                        .is_none_or(|want| decides(linter, want, item, &rules));
                    (compare(expected, item, &rules, decided), rules)
                }
                _ => (
                    vec!["the line was not read as an item".to_string()],
                    Vec::new(),
                ),
            };
            LineResult {
                line: i + 1,
                text: expected.text.clone(),
                rules,
                differences,
            }
        })
        .collect()
}

/// Whether a rule applying to `item` rests on the topic `want` (`document/topic`), or on another
/// topic of its document when `want` is an entry about the item that the rule's topic
/// generalizes: the Chronic Pain guideline's 'Hydrocodone/Acetaminophen' entry is decided by its
/// opioid criteria.
fn decides(linter: &Linter, want: &str, item: &ItemFacts, rules: &[(String, String)]) -> bool {
    if rules.iter().any(|(_, topic)| topic == want) {
        return true;
    }
    let Some((document, topic)) = want.split_once('/') else {
        return false;
    };
    let Some(doc) = linter.rules.guidelines.document(document) else {
        return false;
    };
    let about_item = doc
        .doc
        .topics
        .iter()
        .find(|t| t.id == topic)
        .and_then(|t| t.covers.as_ref())
        .is_some_and(|covers| crate::check::topic_fits(covers, item));
    about_item
        && rules
            .iter()
            .any(|(_, t)| t.split_once('/').is_some_and(|(d, _)| d == document))
}

/// Each expectation of `expected` that `item` (and the rules applying to it) does not meet;
/// `decided` says whether a rule resting on the expected topic applies.
fn compare(
    expected: &ExpectedLine,
    item: &ItemFacts,
    rules: &[(String, String)],
    decided: bool,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |what: &str, want: String, got: String| {
        out.push(format!("{what}: expected {want}, read {got}"));
    };
    let shown = |v: Option<&str>| v.map_or("none".to_string(), |s| format!("`{s}`"));
    if item.category != expected.category {
        differ(
            "category",
            format!("`{}`", expected.category),
            format!("`{}`", item.category),
        );
    }
    let drug = item.drug.as_ref();
    if let Some(want) = &expected.drug
        && drug.is_none_or(|d| !same_drug(want, &d.name))
    {
        differ(
            "drug",
            format!("`{want}`"),
            shown(drug.map(|d| d.name.as_str())),
        );
    }
    if let Some(want) = &expected.class
        && drug.is_none_or(|d| d.class != *want && d.own_class.as_deref() != Some(want.as_str()))
    {
        differ(
            "class",
            format!("`{want}`"),
            shown(drug.map(|d| d.class.as_str())),
        );
    }
    if let Some(want) = expected.ingredients.as_ref().filter(|w| !w.is_empty()) {
        let mut want: Vec<String> = want.iter().map(|w| w.to_lowercase()).collect();
        let mut got: Vec<String> = item.drugs.iter().map(|d| d.name.clone()).collect();
        want.sort();
        got.sort();
        if want != got {
            differ("ingredients", want.join(", "), got.join(", "));
        }
    }
    let parts = item.body_part_ids();
    let missing: Vec<&str> = expected
        .body_parts
        .iter()
        .map(String::as_str)
        .filter(|p| !parts.contains(p))
        .collect();
    if !missing.is_empty() {
        differ(
            "body parts",
            expected.body_parts.join(", "),
            parts.join(", "),
        );
    }
    if let Some(want) = &expected.side
        && !item.request.sides.iter().any(|s| s.value == *want)
    {
        let sides: Vec<&str> = item
            .request
            .sides
            .iter()
            .map(|s| s.value.as_str())
            .collect();
        differ("side", format!("`{want}`"), sides.join(", "));
    }
    if let Some(want) = expected.sessions
        && item.request.sessions.as_ref().map(|s| s.value) != Some(want)
    {
        differ(
            "sessions",
            want.to_string(),
            item.request
                .sessions
                .as_ref()
                .map_or("none".to_string(), |s| s.value.to_string()),
        );
    }
    if let Some(want) = &expected.topic
        && !decided
    {
        let topics: Vec<&str> = rules.iter().map(|(_, t)| t.as_str()).collect();
        differ(
            "topic",
            format!("a rule of `{want}`"),
            if topics.is_empty() {
                "no rule".to_string()
            } else {
                topics.join(", ")
            },
        );
    }
    out
}

/// Whether a drug read is the one expected, whatever the order of a combination's parts
/// ('acetaminophen/codeine' is 'codeine/acetaminophen'; a compound read as 'a + b' is 'a/b') and
/// whether the name carries its salt or form ('diclofenac' is 'diclofenac sodium gel').
fn same_drug(want: &str, got: &str) -> bool {
    let parts = |name: &str| -> Vec<String> {
        let mut parts: Vec<String> = name
            .to_lowercase()
            .split(['/', '+'])
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect();
        parts.sort();
        parts
    };
    let (want, got) = (parts(want), parts(got));
    let first_word = |p: &String| p.split(' ').next().unwrap_or_default().to_string();
    want == got
        || (want.len() == got.len() && want.iter().map(first_word).eq(got.iter().map(first_word)))
}

#[cfg(test)]
mod tests {
    use super::same_drug;

    #[test]
    fn a_drug_is_the_same_in_any_order_salt_or_form() {
        assert!(same_drug("acetaminophen/codeine", "codeine/acetaminophen"));
        assert!(same_drug(
            "flurbiprofen/baclofen",
            "flurbiprofen + baclofen"
        ));
        assert!(same_drug("diclofenac", "diclofenac sodium gel"));
        // Near misses: another combination, or one part more.
        assert!(!same_drug(
            "butalbital/acetaminophen/caffeine",
            "acetaminophen"
        ));
        assert!(!same_drug(
            "amitriptyline/dextromethorphan/gabapentin",
            "amitriptyline + gabapentin"
        ));
    }
}
