//! `rules/categories.yaml` (what kind of treatment an item is) and `rules/anatomy.yaml`
//! (body parts and sides).

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::patterns::{PatternSet, compile_as_written, named_patterns};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoriesFile {
    /// In order: the first category whose patterns match an item's treatment wins.
    pub categories: Vec<Category>,
    /// Words that make the category word after them the occasion of the item, not what it is:
    /// 'Valium 5 mg one tablet before the MRI' is a drug, 'Norco after surgery' too.
    #[serde(default)]
    pub occasions: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Treatments this category does not take although its patterns match them: the categories
    /// after it decide (a drug given as an office shot, 'Toradol 60 mg IM injection', is a
    /// medication, not an injection procedure).
    #[serde(default)]
    pub except: Vec<String>,
    /// An item naming a drug from drugs.yaml belongs here (unless an earlier category matched).
    #[serde(default)]
    pub drug: bool,
    /// What the counts of a request in this category are: units dispensed or sessions given.
    #[serde(default)]
    pub counts: Counts,
    /// The category of the item a service of this one belongs to (a post-operative service
    /// follows its `surgery`): the letter's item of that category becomes the item's `procedure`.
    #[serde(default)]
    pub follows: Option<String>,
    /// Treatment texts that must land in this category; run by the tests.
    #[serde(default)]
    pub examples: Vec<String>,
}

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Counts {
    #[default]
    Units,
    Sessions,
    /// Sessions that are days of attendance (a program's '10 days', 'x 10 days').
    Days,
}

impl Counts {
    /// Whether the request's numbers are sessions given (visits, treatments, days attended).
    pub fn sessions(self) -> bool {
        self != Counts::Units
    }
}

#[derive(Debug, Clone)]
pub struct Categories {
    pub categories: Vec<Category>,
    pub patterns: PatternSet,
    /// Each category's `except` patterns, owned by the category's index.
    except: PatternSet,
    /// `occasions`, as one regex anchored at the end of the text before a category word.
    occasion: Option<Regex>,
}

impl Categories {
    pub fn compile(file: &RuleFile, f: CategoriesFile) -> Result<Categories, Vec<RuleError>> {
        if f.categories.is_empty() {
            return Err(vec![file.error(
                "categories",
                "no categories",
                Some("list at least the fallback category `other`".into()),
            )]);
        }
        let patterns = PatternSet::compile(
            file,
            named_patterns(
                "categories",
                "patterns",
                f.categories.iter().map(|c| &c.patterns),
            ),
        )?;
        let except = PatternSet::compile(
            file,
            named_patterns(
                "categories",
                "except",
                f.categories.iter().map(|c| &c.except),
            ),
        )?;
        let unknown_follows = f.categories.iter().enumerate().filter_map(|(i, c)| {
            let follows = c.follows.as_ref()?;
            (!f.categories.iter().any(|x| &x.id == follows)).then(|| {
                file.error(
                    &format!("categories[{i}].follows"),
                    format!("unknown category `{follows}`"),
                    Some("name a category id of this file".into()),
                )
            })
        });
        // An id names one place in the order: a second entry would never be what `index` finds.
        let twice = f
            .categories
            .iter()
            .enumerate()
            .filter(|(i, c)| f.categories[..*i].iter().any(|x| x.id == c.id))
            .map(|(i, c)| {
                file.error(
                    &format!("categories[{i}].id"),
                    format!("category `{}` is defined twice", c.id),
                    Some(
                        "give each category one entry; to keep some treatments from an earlier category, list them in its `except`"
                            .into(),
                    ),
                )
            });
        let unknown: Vec<RuleError> = unknown_follows.chain(twice).collect();
        if !unknown.is_empty() {
            return Err(unknown);
        }
        let occasion = if f.occasions.is_empty() {
            None
        } else {
            let alternation = f.occasions.join("|");
            Some(
                compile_as_written(&format!(r"\b(?:{alternation})\s*$")).map_err(|m| {
                    vec![file.error(
                        "occasions",
                        format!("invalid pattern: {m}"),
                        Some("each entry is a regex of the words before a category word".into()),
                    )]
                })?,
            )
        };
        Ok(Categories {
            categories: f.categories,
            patterns,
            except,
            occasion,
        })
    }

    /// The index of the category with this id.
    pub fn index(&self, id: &str) -> Option<usize> {
        self.categories.iter().position(|c| c.id == id)
    }

    /// Whether imrlint knows what an item of this category and drug is: not the fallback
    /// category, and not a drug category without a drug it knows.
    pub fn knows(&self, category: &str, has_drug: bool) -> bool {
        match self.index(category) {
            Some(i) => i + 1 < self.categories.len() && (has_drug || !self.categories[i].drug),
            None => false,
        }
    }

    /// The category of a treatment: the first in file order whose patterns match, or whose
    /// `drug` flag is set when the treatment names a drug, and whose `except` does not match;
    /// the last category otherwise.
    pub fn classify(&self, treatment: &str, names_drug: bool) -> &Category {
        let excepted: Vec<usize> = self
            .except
            .find_all(treatment, 0..treatment.len())
            .into_iter()
            .map(|m| m.owner)
            .collect();
        let occasion = |at: usize| {
            self.occasion
                .as_ref()
                .is_some_and(|re| re.is_match(&treatment[..at]))
        };
        let hits: Vec<_> = self
            .patterns
            .find_all(treatment, 0..treatment.len())
            .into_iter()
            .filter(|m| !occasion(m.range.start))
            .collect();
        self.categories
            .iter()
            .enumerate()
            .filter(|(i, _)| !excepted.contains(i))
            .find(|(i, c)| (c.drug && names_drug) || hits.iter().any(|m| m.owner == *i))
            .map_or_else(
                || self.categories.last().expect("checked non-empty"),
                |(_, c)| c,
            )
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnatomyFile {
    pub body_parts: Vec<BodyPart>,
    #[serde(default)]
    pub sides: Vec<Side>,
    /// How a finding is tied to its own body part in a sentence that names several.
    #[serde(default)]
    pub own_part: Option<OwnPart>,
}

/// The words between a finding and its own body part, sides left out, each a regex the whole gap
/// must match (case-insensitive). A finding with its own part belongs to that part only; one
/// without belongs to every part its sentence names.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnPart {
    /// Between a body part and the finding right after it ('ulna fracture').
    pub before: String,
    /// Between a finding and the body part right after it ('fracture of the ulna').
    pub after: String,
    /// Between body parts listed together after a finding ('over the cervical and lumbar spine').
    pub joined: String,
}

/// [`OwnPart`], compiled.
#[derive(Debug, Clone)]
pub struct OwnPartGaps {
    pub before: Regex,
    pub after: Regex,
    pub joined: Regex,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BodyPart {
    pub id: String,
    pub title: String,
    pub patterns: Vec<String>,
    /// The parts whose nerves are this part's too (a dermatomal deficit of the leg speaks of the
    /// lumbar spine): what the summary says in a sentence naming one of them is this part's
    /// region's (`item.regional`).
    #[serde(default)]
    pub region: Vec<String>,
    #[serde(default)]
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Side {
    pub id: String,
    pub patterns: Vec<String>,
    /// The side covers both ('bilateral'): it agrees with either.
    #[serde(default)]
    pub both: bool,
}

#[derive(Debug, Clone)]
pub struct Anatomy {
    pub body_parts: Vec<BodyPart>,
    pub sides: Vec<Side>,
    pub part_patterns: PatternSet,
    pub side_patterns: PatternSet,
    pub own_part: Option<OwnPartGaps>,
}

impl Anatomy {
    /// The index of the body part `id` in `body_parts`.
    pub fn part_index(&self, id: &str) -> Option<usize> {
        self.body_parts.iter().position(|b| b.id == id)
    }

    /// The index of the side `id` in `sides`.
    pub fn side_index(&self, id: &str) -> Option<usize> {
        self.sides.iter().position(|s| s.id == id)
    }

    pub fn compile(file: &RuleFile, f: AnatomyFile) -> Result<Anatomy, Vec<RuleError>> {
        let parts = PatternSet::compile(
            file,
            named_patterns(
                "body_parts",
                "patterns",
                f.body_parts.iter().map(|b| &b.patterns),
            ),
        );
        let sides = PatternSet::compile(
            file,
            named_patterns("sides", "patterns", f.sides.iter().map(|s| &s.patterns)),
        );
        let mut errors = Vec::new();
        for (i, b) in f.body_parts.iter().enumerate() {
            for (j, r) in b.region.iter().enumerate() {
                if !f.body_parts.iter().any(|x| &x.id == r) {
                    errors.push(file.error(
                        &format!("body_parts[{i}].region[{j}]"),
                        format!("`{}` names an unknown body part `{r}` in its region", b.id),
                        Some("name body part ids of this file".into()),
                    ));
                }
            }
        }
        let own_part = f.own_part.as_ref().map(|o| {
            let mut gap = |key: &str, p: &str| {
                compile_as_written(&format!("^(?:{p})$")).unwrap_or_else(|m| {
                    errors.push(file.error(
                        &format!("own_part.{key}"),
                        format!("invalid pattern: {m}"),
                        None,
                    ));
                    compile_as_written("^$").expect("the empty gap compiles")
                })
            };
            OwnPartGaps {
                before: gap("before", &o.before),
                after: gap("after", &o.after),
                joined: gap("joined", &o.joined),
            }
        });
        match (parts, sides) {
            (Ok(part_patterns), Ok(side_patterns)) if errors.is_empty() => Ok(Anatomy {
                body_parts: f.body_parts,
                sides: f.sides,
                part_patterns,
                side_patterns,
                own_part,
            }),
            (a, b) => {
                errors.extend([a.err(), b.err()].into_iter().flatten().flatten());
                Err(errors)
            }
        }
    }
}

impl super::Knowledge for CategoriesFile {
    const KIND: &'static str = "categories";
    type Compiled = Categories;

    /// New categories go before the fallback, which must stay last.
    fn placement(list: &str) -> super::overlay::Placement {
        if list == "categories" {
            super::overlay::Placement::BeforeLast
        } else {
            super::overlay::Placement::Append
        }
    }

    fn compile(self, file: &RuleFile) -> Result<Categories, Vec<RuleError>> {
        Categories::compile(file, self)
    }
}

impl super::Knowledge for AnatomyFile {
    const KIND: &'static str = "anatomy";
    type Compiled = Anatomy;

    fn compile(self, file: &RuleFile) -> Result<Anatomy, Vec<RuleError>> {
        Anatomy::compile(file, self)
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::RuleSet;

    /// `except` hands a treatment on to the categories after it; an id defined twice is an error.
    #[test]
    fn except_hands_on_and_ids_are_unique() {
        use super::{Categories, CategoriesFile};
        use crate::rules::RuleFile;
        let compile = |yaml: &str| {
            let file = RuleFile::new("categories.yaml", yaml);
            let f: CategoriesFile = file.parse().unwrap();
            Categories::compile(&file, f)
        };
        let categories = compile(
            "categories:\n  - {id: injection, title: I, patterns: ['injections?'], except: ['toradol']}\n  - {id: medication, title: M, drug: true, patterns: ['tablets?']}\n  - {id: other, title: O}\n",
        )
        .unwrap();
        assert_eq!(
            categories.classify("Toradol 60 mg IM injection", true).id,
            "medication"
        );
        assert_eq!(categories.classify("Toradol injection", false).id, "other");
        assert_eq!(
            categories.classify("Kenalog injection", true).id,
            "injection"
        );
        let errors = compile(
            "categories:\n  - {id: medication, title: A, patterns: ['shot']}\n  - {id: medication, title: M, drug: true}\n  - {id: other, title: O}\n",
        )
        .unwrap_err();
        assert!(
            errors[0]
                .message
                .contains("category `medication` is defined twice")
        );
        assert_eq!(errors[0].line_column(), Some((3, 10)));
    }

    #[test]
    fn the_fallback_is_last_and_unmatched_treatments_land_there() {
        let categories = &RuleSet::for_tests().categories;
        assert_eq!(
            categories
                .classify("Something nobody has heard of", false)
                .id,
            "other"
        );
    }
}
