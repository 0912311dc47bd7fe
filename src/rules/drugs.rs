//! `rules/drugs.yaml`: drug names, brands, classes and dosage-form words.

use std::borrow::Cow;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};
use serde::{Deserialize, Serialize};

use super::patterns::is_word_bounded;
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DrugsFile {
    /// Where groups of entries come from (a formulary, a report, a label directory): entries
    /// name theirs in `source`.
    #[serde(default)]
    pub sources: Vec<KnowledgeSource>,
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
pub struct KnowledgeSource {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
    /// What the source covers, and how far it was checked.
    #[serde(default)]
    pub note: Option<String>,
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
    /// A product of several drugs (a compounded cream or oral suspension, a convenience kit, a
    /// medical food): the names of its active ingredients, each an entry of this file. An item
    /// naming the product is judged by each of them (`item.drugs`), so a cream with gabapentin
    /// is a cream with a drug the guideline does not recommend topically.
    #[serde(default)]
    pub ingredients: Vec<String>,
    /// A product's route (a `routes` id): its ingredients take the route's class, as a drug
    /// named with 'cream' does.
    #[serde(default)]
    pub route: Option<String>,
    /// What kind of product it is, for rules (`item.drug.kind`).
    #[serde(default)]
    pub kind: Option<ProductKind>,
    /// Dosage form as dispensed (suspension, cream, patch, kit, capsule, ...).
    #[serde(default)]
    pub form: Option<String>,
    /// The MTUS Drug List's entry for the ingredient (8 CCR 9792.27.15).
    #[serde(default)]
    pub formulary: Option<FormularyEntry>,
    /// The `sources` id the entry comes from.
    #[serde(default)]
    pub source: Option<String>,
}

/// Kinds of multi-ingredient product dispensed in workers' compensation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ProductKind {
    /// An oral suspension compounded from a drug and excipients or supplements.
    CompoundedOralSuspension,
    /// A cream, gel or lotion compounded from several drugs.
    TopicalCompound,
    /// A marketed topical with several active ingredients (not compounded).
    TopicalBranded,
    /// A drug packaged with supplies (a cream with a roller, a patch with gauze).
    ConvenienceKit,
    /// A medical food (amino-acid or supplement blends sold for pain, sleep, inflammation).
    MedicalFood,
}

/// An ingredient's place in the MTUS Drug List.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormularyEntry {
    pub status: FormularyStatus,
    /// Days of a Special Fill (dispensed without prospective review at the first visit).
    #[serde(default)]
    pub special_fill: Option<u32>,
    /// Days of a Perioperative Fill.
    #[serde(default)]
    pub perioperative_fill: Option<u32>,
    /// The ACOEM guideline topics the list names for it, as written there.
    #[serde(default)]
    pub topics: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FormularyStatus {
    /// May be dispensed without prospective review when used as the MTUS says.
    Exempt,
    /// Needs authorization through prospective review.
    NonExempt,
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
    /// Single-word names of six letters or more, in lower case, sorted by first letter and
    /// length, for near misses.
    spellings: Vec<Spelling>,
    not_misspellings: std::collections::HashSet<String>,
    /// A brand sold in several forms with different ingredients ('Terocin' lotion, 'Terocin
    /// patch'): by the brand in lower case, each longer brand's last word and its drug.
    form_variants: std::collections::HashMap<String, Vec<(String, usize)>>,
}

/// A drug of the rule set, by its place in `drugs.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DrugId(pub usize);

/// A drug named in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrugMention {
    pub drug: DrugId,
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
    /// The drug of an id.
    pub fn get(&self, drug: DrugId) -> &Drug {
        &self.drugs[drug.0]
    }

    /// The drug whose `name` this is.
    pub fn id_of(&self, name: &str) -> Option<DrugId> {
        self.drugs.iter().position(|d| d.name == name).map(DrugId)
    }

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
        let source_ids: Vec<&str> = f.sources.iter().map(|x| x.id.as_str()).collect();
        let route_ids: Vec<&str> = f.routes.iter().map(|r| r.id.as_str()).collect();
        for (i, d) in f.drugs.iter().enumerate() {
            if let Some(source) = &d.source
                && !source_ids.contains(&source.as_str())
            {
                errors.push(file.error(
                    &format!("drugs[{i}].source"),
                    format!("unknown source `{source}`"),
                    Some(format!(
                        "use an id listed under `sources:`: {}",
                        source_ids.join(", ")
                    )),
                ));
            }
            if let Some(route) = &d.route
                && !route_ids.contains(&route.as_str())
            {
                errors.push(file.error(
                    &format!("drugs[{i}].route"),
                    format!("unknown route `{route}`"),
                    Some(format!("use a route id: {}", route_ids.join(", "))),
                ));
            }
            for (j, ingredient) in d.ingredients.iter().enumerate() {
                let known = f
                    .drugs
                    .iter()
                    .find(|x| x.name == *ingredient)
                    .map(|x| x.ingredients.is_empty());
                let problem = match known {
                    None => format!("ingredient `{ingredient}` is not a drug of this file"),
                    Some(false) => {
                        format!("ingredient `{ingredient}` is itself a product of ingredients")
                    }
                    Some(true) => continue,
                };
                errors.push(file.error(
                    &format!("drugs[{i}].ingredients[{j}]"),
                    problem,
                    Some("name an entry's `name` (a single drug); add one for the ingredient if it is missing".into()),
                ));
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
                .start_kind(StartKind::Both)
                .build(p)
                .map_err(|e| {
                    vec![file.error("", format!("cannot build the name matcher: {e}"), None)]
                })
        };
        let mut spellings = Vec::new();
        for (i, d) in f.drugs.iter().enumerate() {
            for n in std::iter::once(&d.name).chain(&d.brands).chain(&d.aliases) {
                let n = n.to_lowercase();
                if n.chars().count() >= 6 && n.chars().all(|c| c.is_alphabetic()) {
                    spellings.push(Spelling {
                        shape: Shape::of(&n),
                        name: n,
                        drug: i,
                    });
                }
            }
        }
        // Stable: of two names one edit away, the earlier drug is the one reported.
        spellings.sort_by_key(|s| s.shape.key());
        let brands: std::collections::HashSet<String> = f
            .drugs
            .iter()
            .flat_map(|d| &d.brands)
            .map(|b| b.to_lowercase())
            .collect();
        let mut form_variants: std::collections::HashMap<String, Vec<(String, usize)>> =
            std::collections::HashMap::new();
        for (i, d) in f.drugs.iter().enumerate() {
            for b in &d.brands {
                let b = b.to_lowercase();
                if let Some((base, form)) = b.rsplit_once(' ')
                    && brands.contains(base)
                    && form.chars().all(char::is_alphabetic)
                {
                    form_variants
                        .entry(base.to_string())
                        .or_default()
                        .push((form.to_string(), i));
                }
            }
        }
        Ok(Drugs {
            form_variants,
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

    /// Drugs named in `text[range]`, whole words only, longest name first. A brand sold in
    /// several forms is the product of the form named after it ('TEROCIN 4%/4% patch' is the
    /// patch, not the lotion).
    pub fn find(&self, text: &str, range: Range<usize>) -> Vec<DrugMention> {
        let end = range.end;
        words(&self.names, text, range)
            .map(|(p, r)| {
                let (drug, kind) = self.name_owner[p];
                let drug = match kind {
                    NameKind::Brand => self.form_named_after(text, &r, end).unwrap_or(drug),
                    _ => drug,
                };
                DrugMention {
                    drug: DrugId(drug),
                    kind,
                    range: r,
                }
            })
            .collect()
    }

    /// The drug of the one form of a brand named in the words after it, before `end`.
    fn form_named_after(&self, text: &str, brand: &Range<usize>, end: usize) -> Option<usize> {
        let variants = self
            .form_variants
            .get(&text[brand.clone()].to_lowercase())?;
        let after = text[brand.end..end].to_lowercase();
        let named: Vec<usize> = variants
            .iter()
            .filter(|(form, _)| {
                after
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w == form)
            })
            .map(|(_, drug)| *drug)
            .collect();
        match named.as_slice() {
            [first, rest @ ..] if rest.iter().all(|d| d == first) => Some(*first),
            _ => None,
        }
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
    pub fn near_miss(&self, word: &str) -> Option<DrugId> {
        // Most words are short or hold a digit: decide that before lowering the case.
        if word.len() < 6 || !word.chars().all(char::is_alphabetic) {
            return None;
        }
        let word = if word.bytes().any(|b| !b.is_ascii_lowercase()) {
            Cow::Owned(word.to_lowercase())
        } else {
            Cow::Borrowed(word)
        };
        let shape = Shape::of(&word);
        if shape.len < 6 {
            return None;
        }
        let from = self
            .spellings
            .partition_point(|s| s.shape.key() < (shape.first, shape.len - 1));
        let to = self
            .spellings
            .partition_point(|s| s.shape.key() <= (shape.first, shape.len + 1));
        let mut found = None;
        // A name one edit away has at most one letter the word lacks and one it lacks itself.
        for name in self.spellings[from..to]
            .iter()
            .filter(|s| (s.shape.letters ^ shape.letters).count_ones() <= 2)
        {
            if name.name == *word {
                return None;
            }
            if found.is_none() && one_edit(&word, &name.name) {
                found = Some(DrugId(name.drug));
            }
        }
        found.filter(|_| !self.not_misspellings.contains(word.as_ref()))
    }
}

/// A drug name in lower case, for near misses.
#[derive(Debug, Clone)]
struct Spelling {
    name: String,
    drug: usize,
    shape: Shape,
}

/// What near misses are looked up by: a word's first letter, its length in characters, and the
/// set of its letters, one bit each (letters beyond `z` share bits). A change of one letter
/// changes at most two bits, so a name whose bits differ in more is not one edit away.
#[derive(Debug, Clone, Copy)]
struct Shape {
    first: char,
    len: usize,
    letters: u32,
}

impl Shape {
    fn of(word: &str) -> Shape {
        Shape {
            first: word.chars().next().unwrap_or(' '),
            len: word.chars().count(),
            letters: word.chars().fold(0, |bits, c| {
                bits | 1 << (u32::from(c).wrapping_sub(u32::from('a')) % 32)
            }),
        }
    }

    fn key(&self) -> (char, usize) {
        (self.first, self.len)
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
            // The longest name here may run into the next word ('lidocaine 5% patch' in
            // 'lidocaine 5% patches'): a shorter one at the same place may still be whole.
            let mut here = Some(m);
            while let Some(c) = here {
                if is_word_bounded(&text[..range.end], c.range()) {
                    at = c.end();
                    return Some((c.pattern().as_usize(), c.range()));
                }
                here = ac.find(
                    Input::new(text)
                        .span(c.start()..c.end() - 1)
                        .anchored(Anchored::Yes),
                );
            }
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
        None
    })
}

impl super::Knowledge for DrugsFile {
    const KIND: &'static str = "drugs";
    type Compiled = Drugs;

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
            .map(|m| (d.get(m.drug).name.as_str(), &t[m.range]))
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

    /// The longest name at a place may run into the next word ('alphadone cream' in 'alphadone
    /// creams'): the shorter name there is still found.
    #[test]
    fn a_shorter_name_is_found_where_the_longest_runs_on() {
        let file = RuleFile::new(
            "drugs.yaml",
            "classes: [{id: opioid, title: O}]\ndrugs:\n  - {name: alphadone, class: opioid}\n  - {name: alphadone cream, class: opioid}\n",
        );
        let d = Drugs::compile(&file, file.parse().unwrap()).unwrap();
        let found = |t: &str| -> Vec<String> {
            d.find(t, 0..t.len())
                .into_iter()
                .map(|m| t[m.range].to_string())
                .collect()
        };
        assert_eq!(found("Alphadone creams #2"), ["Alphadone"]);
        assert_eq!(found("Alphadone cream #2"), ["Alphadone cream"]);
        // Near miss: a name inside a longer word is not found at all.
        assert!(found("Alphadonex 5 mg").is_empty());
    }

    /// A brand sold in two forms is the product of the form written after it; with no form, or
    /// with both, it stays the entry that lists the bare brand.
    #[test]
    fn the_form_after_a_brand_chooses_its_product() {
        let file = RuleFile::new(
            "drugs.yaml",
            "classes: [{id: opioid, title: O}]\ndrugs:\n  - {name: alphadone/betamol, class: opioid, brands: [Zorex, Zorex lotion]}\n  - {name: alphadone, class: opioid, brands: [Zorex patch, Zorex patches]}\n",
        );
        let d = Drugs::compile(&file, file.parse().unwrap()).unwrap();
        let drug = |t: &str| -> Vec<String> {
            d.find(t, 0..t.len())
                .into_iter()
                .map(|m| d.get(m.drug).name.clone())
                .collect()
        };
        assert_eq!(drug("ZOREX 4%/4% patch qty 10"), ["alphadone"]);
        assert_eq!(drug("Zorex 4% patches #30"), ["alphadone"]);
        assert_eq!(drug("Zorex patch"), ["alphadone"]);
        assert_eq!(drug("Zorex 120 mL"), ["alphadone/betamol"]);
        assert_eq!(drug("Zorex lotion"), ["alphadone/betamol"]);
        // Near misses: both forms named, or a form word inside another word.
        assert_eq!(drug("Zorex lotion and patch"), ["alphadone/betamol"]);
        assert_eq!(drug("Zorex, dispatched"), ["alphadone/betamol"]);
    }

    /// A product names its ingredients by their entries, single drugs of the same file, and its
    /// source and route by their ids; each fault is reported at the entry.
    #[test]
    fn a_products_ingredients_source_and_route_are_checked() {
        let errors = |entries: &str| -> Vec<String> {
            let file = RuleFile::new(
                "drugs.yaml",
                format!(
                    "sources: [{{id: list, title: A list}}]\nclasses: [{{id: topical-analgesic, title: T}}, {{id: anticonvulsant, title: A}}]\nroutes: [{{id: topical, class: topical-analgesic, words: [cream]}}]\ndrugs:\n{entries}"
                ),
            );
            match Drugs::compile(&file, file.parse().unwrap()) {
                Ok(_) => Vec::new(),
                Err(e) => e.into_iter().map(|e| e.message).collect(),
            }
        };
        let base = "  - {name: gabapentin, class: anticonvulsant, source: list}\n";
        assert!(
            errors(&format!(
                "{base}  - {{name: gaba cream, class: topical-analgesic, ingredients: [gabapentin], route: topical, kind: topical-compound}}\n"
            ))
            .is_empty()
        );
        assert_eq!(
            errors(&format!(
                "{base}  - {{name: gaba cream, class: topical-analgesic, ingredients: [gabapentn], route: topikal, source: lst}}\n"
            )),
            [
                "unknown source `lst`",
                "unknown route `topikal`",
                "ingredient `gabapentn` is not a drug of this file"
            ]
        );
        assert_eq!(
            errors(&format!(
                "{base}  - {{name: gaba cream, class: topical-analgesic, ingredients: [gabapentin]}}\n  - {{name: kit, class: topical-analgesic, ingredients: [gaba cream]}}\n"
            )),
            ["ingredient `gaba cream` is itself a product of ingredients"]
        );
    }

    /// A lexicon of one anticonvulsant, given as its YAML entry.
    fn one_drug(entry: &str) -> Drugs {
        let file = RuleFile::new(
            "drugs.yaml",
            format!("classes: [{{id: anticonvulsant, title: A}}]\ndrugs:\n  - {entry}\n"),
        );
        Drugs::compile(&file, file.parse().unwrap()).unwrap()
    }

    #[test]
    fn near_misses_are_one_edit_from_a_name() {
        let d = one_drug("{name: deltabalin, class: anticonvulsant, brands: [Lyvora]}");
        for word in [
            "Lyvroa",
            "deltabaline",
            "deltablin",
            "Deltabalim",
            "lyvoras",
        ] {
            assert_eq!(d.near_miss(word), Some(DrugId(0)), "{word}");
        }
        for word in ["Lyvora", "deltabalin", "Lyv", "lyvorasts", "Patient"] {
            assert_eq!(d.near_miss(word), None, "{word}");
        }
    }

    #[test]
    fn every_single_edit_of_a_name_is_a_near_miss() {
        let d = one_drug("{name: deltabalin, class: anticonvulsant}");
        let name: Vec<char> = "deltabalin".chars().collect();
        let mut edits: Vec<Vec<char>> = Vec::new();
        // Every edit that keeps the first letter.
        for i in 1..name.len() {
            let mut dropped = name.clone();
            dropped.remove(i);
            edits.push(dropped);
            if i > 1 {
                let mut swapped = name.clone();
                swapped.swap(i - 1, i);
                edits.push(swapped);
            }
        }
        for i in 1..=name.len() {
            for c in ('a'..='z').chain(['é', 'ß']) {
                let mut added = name.clone();
                added.insert(i, c);
                edits.push(added);
                if i < name.len() {
                    let mut changed = name.clone();
                    changed[i] = c;
                    edits.push(changed);
                }
            }
        }
        for edit in edits {
            let word: String = edit.into_iter().collect();
            let expected = (word != "deltabalin").then_some(0);
            assert_eq!(d.near_miss(&word), expected.map(DrugId), "{word}");
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
