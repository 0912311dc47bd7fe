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
    /// Ordinary words one letter away from a drug name (`ability`, one letter from Abilify):
    /// never reported as misspellings.
    #[serde(default)]
    pub not_misspellings: Vec<String>,
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
    /// Single-word names of six letters or more, by first letter and length, for near misses.
    spellings: std::collections::HashMap<(char, usize), Vec<(String, usize)>>,
    not_misspellings: std::collections::HashSet<String>,
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
        let mut spellings: std::collections::HashMap<(char, usize), Vec<(String, usize)>> =
            Default::default();
        for (i, d) in f.drugs.iter().enumerate() {
            for n in std::iter::once(&d.name).chain(&d.brands).chain(&d.aliases) {
                let n = n.to_lowercase();
                if n.chars().count() >= 6 && n.chars().all(|c| c.is_alphabetic()) {
                    let first = n.chars().next().unwrap_or(' ');
                    spellings
                        .entry((first, n.chars().count()))
                        .or_default()
                        .push((n, i));
                }
            }
        }
        Ok(Drugs {
            spellings,
            not_misspellings: f
                .not_misspellings
                .iter()
                .map(|w| w.to_lowercase())
                .collect(),
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

    /// The drug a word misspells by one letter (`Lyrcia`, `tramdol`): a word of six letters or
    /// more, one edit (a letter changed, added, dropped or two swapped) from a name, with the same
    /// first letter. `None` for a correct name or anything further off.
    pub fn near_miss(&self, word: &str) -> Option<usize> {
        // Most words are short or hold a digit: decide that before lowering the case.
        if word.len() < 6 || !word.chars().all(char::is_alphabetic) {
            return None;
        }
        let w = word.to_lowercase();
        let len = w.chars().count();
        let first = w.chars().next()?;
        if len < 6 || self.not_misspellings.contains(&w) {
            return None;
        }
        let mut found = None;
        for l in len - 1..=len + 1 {
            for (name, drug) in self.spellings.get(&(first, l)).into_iter().flatten() {
                if *name == w {
                    return None;
                }
                if found.is_none() && one_edit(&w, name) {
                    found = Some(*drug);
                }
            }
        }
        found
    }
}

/// Whether two words are one edit apart: a letter changed, added or dropped, or two adjacent
/// letters swapped.
fn one_edit(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return one_edit_of(a.as_bytes(), b.as_bytes());
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    one_edit_of(&a, &b)
}

fn one_edit_of<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    if a.len().abs_diff(b.len()) > 1 {
        return false;
    }
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ra, rb) = (a.len() - prefix - suffix, b.len() - prefix - suffix);
    match (ra, rb) {
        (1, 1) | (1, 0) | (0, 1) => true,
        (2, 2) => a[prefix] == b[prefix + 1] && a[prefix + 1] == b[prefix],
        _ => false,
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
        self.not_misspellings.extend(later.not_misspellings);
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
  - {name: alphadone, class: opioid}
  - {name: alphadone/betamol, class: opioid, brands: [Alphex]}
  - {name: gammazepam, class: benzodiazepine, brands: [Zepix]}
"#,
        );
        Drugs::compile(&file, file.parse().unwrap()).unwrap()
    }

    #[test]
    fn longest_name_wins_and_words_are_whole() {
        let d = drugs();
        let t = "Alphadone/Betamol and ALPHEX, not Alphexdone; zepix.";
        let found: Vec<(&str, &str)> = d
            .find(t, 0..t.len())
            .into_iter()
            .map(|m| (d.drugs[m.drug].name.as_str(), &t[m.range]))
            .collect();
        assert_eq!(
            found,
            vec![
                ("alphadone/betamol", "Alphadone/Betamol"),
                ("alphadone/betamol", "ALPHEX"),
                ("gammazepam", "zepix"),
            ]
        );
    }

    #[test]
    fn near_misses_are_one_edit_from_a_name() {
        let file = RuleFile::new(
            "drugs.yaml",
            "classes: [{id: anticonvulsant, title: A}]\ndrugs:\n  - {name: deltabalin, class: anticonvulsant, brands: [Lyvora]}\n",
        );
        let d = Drugs::compile(&file, file.parse().unwrap()).unwrap();
        for word in [
            "Lyvroa",
            "deltabaline",
            "deltablin",
            "Deltabalim",
            "lyvoras",
        ] {
            assert_eq!(d.near_miss(word), Some(0), "{word}");
        }
        for word in ["Lyvora", "deltabalin", "Lyv", "lyvorasts", "Patient"] {
            assert_eq!(d.near_miss(word), None, "{word}");
        }
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
