//! `rules/drugs.yaml`: drug names, brands, classes and dosage-form words.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};
use serde::{Deserialize, Serialize};

use super::patterns::is_word_bounded;
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DrugsFile {
    /// The drug-class vocabulary; ids are stable and appear in JSON output.
    pub classes: Vec<DrugClass>,
    /// Dosage-form words that put a medication item in another class (a cream is topical).
    #[serde(default)]
    pub routes: Vec<Route>,
    pub drugs: Vec<Drug>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DrugClass {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub id: String,
    /// The class an item given in this form belongs to.
    pub class: String,
    pub words: Vec<String>,
    /// Classes that keep their own class in this form (a fentanyl patch is still an opioid).
    #[serde(default)]
    pub keeps: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Drug {
    /// Generic name, lowercase; fixed combinations join generics with '/'.
    pub name: String,
    pub class: String,
    #[serde(default)]
    pub brands: Vec<String>,
    /// Other written forms: salts, abbreviations, spacing variants.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Misspellings seen in letters: they resolve to the drug, and are reported as misspellings.
    #[serde(default)]
    pub misspellings: Vec<String>,
    /// Opioids: oral morphine milligram equivalents per mg.
    #[serde(default)]
    pub mme: Option<f64>,
}

/// The lexicon, with its name matchers built.
#[derive(Debug, Clone)]
pub struct Drugs {
    pub classes: Vec<DrugClass>,
    pub routes: Vec<Route>,
    pub drugs: Vec<Drug>,
    names: AhoCorasick,
    /// For each name pattern: the drug it names, and what kind of name it is.
    name_owner: Vec<(usize, NameKind)>,
    route_words: AhoCorasick,
    route_owner: Vec<usize>,
}

/// A drug named in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrugMention {
    pub drug: usize,
    pub kind: NameKind,
    pub range: Range<usize>,
}

/// Which list of a drug entry a name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Generic,
    Brand,
    Alias,
    Misspelling,
}

impl Drugs {
    pub fn compile(file: &RuleFile, f: DrugsFile) -> Result<Drugs, Vec<RuleError>> {
        let mut errors = Vec::new();
        let class_ids: Vec<&str> = f.classes.iter().map(|c| c.id.as_str()).collect();
        let check_class = |class: &str, path: String, errors: &mut Vec<RuleError>| {
            if !class_ids.contains(&class) {
                errors.push(file.error(
                    &path,
                    format!("unknown drug class `{class}`"),
                    Some(format!(
                        "use one of the classes listed under `classes:`: {}",
                        class_ids.join(", ")
                    )),
                ));
            }
        };
        let mut patterns: Vec<String> = Vec::new();
        let mut name_owner = Vec::new();
        let mut seen: std::collections::HashMap<String, String> = Default::default();
        for (i, d) in f.drugs.iter().enumerate() {
            check_class(&d.class, format!("drugs[{i}].class"), &mut errors);
            let names = std::iter::once((&d.name, NameKind::Generic, format!("drugs[{i}].name")))
                .chain(other_names(i, &d.brands, NameKind::Brand, "brands"))
                .chain(other_names(i, &d.aliases, NameKind::Alias, "aliases"))
                .chain(other_names(
                    i,
                    &d.misspellings,
                    NameKind::Misspelling,
                    "misspellings",
                ));
            for (name, kind, path) in names {
                let key = name.trim().to_lowercase();
                if key.is_empty() {
                    errors.push(file.error(&path, "empty drug name", None));
                    continue;
                }
                if let Some(other) = seen.get(&key) {
                    errors.push(file.error(
                        &path,
                        format!("`{name}` is already a name of `{other}`"),
                        Some("a name must resolve to one drug; remove one of the two".into()),
                    ));
                    continue;
                }
                seen.insert(key.clone(), d.name.clone());
                patterns.push(key);
                name_owner.push((i, kind));
            }
        }
        let mut route_patterns = Vec::new();
        let mut route_owner = Vec::new();
        for (i, r) in f.routes.iter().enumerate() {
            check_class(&r.class, format!("routes[{i}].class"), &mut errors);
            for (j, k) in r.keeps.iter().enumerate() {
                check_class(k, format!("routes[{i}].keeps[{j}]"), &mut errors);
            }
            for w in &r.words {
                route_patterns.push(w.to_lowercase());
                route_owner.push(i);
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let build = |p: &[String]| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(p)
                .map_err(|e| {
                    vec![file.error("", format!("cannot build the name matcher: {e}"), None)]
                })
        };
        Ok(Drugs {
            names: build(&patterns)?,
            route_words: build(&route_patterns)?,
            classes: f.classes,
            routes: f.routes,
            drugs: f.drugs,
            name_owner,
            route_owner,
        })
    }

    /// Drugs named in `text[range]`, whole words only, longest name first.
    pub fn find(&self, text: &str, range: Range<usize>) -> Vec<DrugMention> {
        words(&self.names, text, range)
            .map(|(p, r)| {
                let (drug, kind) = self.name_owner[p];
                DrugMention {
                    drug,
                    kind,
                    range: r,
                }
            })
            .collect()
    }

    /// Routes (dosage forms) named in `text[range]`.
    pub fn find_routes(&self, text: &str, range: Range<usize>) -> Vec<(usize, Range<usize>)> {
        words(&self.route_words, text, range)
            .map(|(p, r)| (self.route_owner[p], r))
            .collect()
    }

    pub fn class_title(&self, id: &str) -> Option<&str> {
        self.classes
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.as_str())
    }

    /// Every name of every drug, for near-miss spelling checks.
    pub fn all_names(&self) -> impl Iterator<Item = (usize, &str)> {
        self.drugs.iter().enumerate().flat_map(|(i, d)| {
            std::iter::once(d.name.as_str())
                .chain(d.brands.iter().map(String::as_str))
                .chain(d.aliases.iter().map(String::as_str))
                .map(move |n| (i, n))
        })
    }
}

/// A drug entry's names of one kind, with their paths in the file.
fn other_names<'a>(
    drug: usize,
    names: &'a [String],
    kind: NameKind,
    key: &'static str,
) -> impl Iterator<Item = (&'a String, NameKind, String)> + 'a {
    names
        .iter()
        .enumerate()
        .map(move |(j, n)| (n, kind, format!("drugs[{drug}].{key}[{j}]")))
}

/// Whole-word matches of an Aho-Corasick automaton in `text[range]`.
fn words<'a>(
    ac: &'a AhoCorasick,
    text: &'a str,
    range: Range<usize>,
) -> impl Iterator<Item = (usize, Range<usize>)> + 'a {
    let mut at = range.start;
    std::iter::from_fn(move || {
        while at < range.end {
            let m = ac.find(Input::new(text).span(at..range.end))?;
            if is_word_bounded(&text[..range.end], m.range()) {
                at = m.end();
                return Some((m.pattern().as_usize(), m.range()));
            }
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
        None
    })
}

impl super::Knowledge for DrugsFile {
    const KIND: &'static str = "drugs";
    type Compiled = Drugs;

    fn merge(&mut self, later: Self) {
        self.classes.extend(later.classes);
        self.routes.extend(later.routes);
        self.drugs.extend(later.drugs);
    }

    fn compile(self, file: &RuleFile) -> Result<Drugs, Vec<RuleError>> {
        Drugs::compile(file, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drugs() -> Drugs {
        let file = RuleFile::new(
            "drugs.yaml",
            r#"
classes: [{id: opioid, title: Opioids}, {id: benzodiazepine, title: Benzodiazepines}, {id: topical-analgesic, title: Topicals}]
routes: [{id: topical, class: topical-analgesic, words: [cream, gel]}]
drugs:
  - {name: hydrocodone, class: opioid}
  - {name: hydrocodone/acetaminophen, class: opioid, brands: [Norco]}
  - {name: clonazepam, class: benzodiazepine, brands: [Klonopin]}
"#,
        );
        Drugs::compile(&file, file.parse().unwrap()).unwrap()
    }

    #[test]
    fn longest_name_wins_and_words_are_whole() {
        let d = drugs();
        let t = "Hydrocodone/Acetaminophen and NORCO, not Norcodone; klonopin.";
        let found: Vec<(&str, &str)> = d
            .find(t, 0..t.len())
            .into_iter()
            .map(|m| (d.drugs[m.drug].name.as_str(), &t[m.range]))
            .collect();
        assert_eq!(
            found,
            vec![
                ("hydrocodone/acetaminophen", "Hydrocodone/Acetaminophen"),
                ("hydrocodone/acetaminophen", "NORCO"),
                ("clonazepam", "klonopin"),
            ]
        );
    }

    #[test]
    fn unknown_class_and_duplicate_names_point_into_the_file() {
        let file = RuleFile::new(
            "drugs.yaml",
            "classes: [{id: opioid, title: O}]\ndrugs:\n  - {name: a, class: opioid}\n  - {name: b, class: nsaid, brands: [A]}\n",
        );
        let errors = Drugs::compile(&file, file.parse().unwrap()).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("unknown drug class `nsaid`"));
        assert_eq!(errors[0].line_column(), Some((4, 22)));
        assert!(errors[1].message.contains("already a name of `a`"));
    }
}
