//! `rules/reasons.yaml`: the reason catalog, how a rationale cites each reason, and how a
//! rationale states its conclusion.

use serde::{Deserialize, Serialize};

use super::concepts::{ConceptId, Concepts, Expected};
use super::patterns::{PatternSet, PatternSource};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonsFile {
    pub reasons: Vec<Reason>,
    /// How a reviewer states a ground against the request in any words, whatever the reason: a
    /// rationale sentence holding one that cites no reason the item's rules weigh rests on a
    /// basis the catalog cannot name, and imrlint does not say it gives none.
    #[serde(default)]
    pub grounds: Vec<String>,
    /// Phrases that conclude a rationale one way or the other.
    #[serde(default)]
    pub conclusions: Conclusions,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// Stable id, used in every output; never renamed.
    pub id: String,
    pub title: String,
    /// What the reason means, for `imrlint explain`.
    #[serde(default)]
    pub description: Option<String>,
    pub kind: ReasonKind,
    /// The reason is another item's decision (a service whose surgery is not certified): a
    /// rationale that gives it rests on that decision and needs no guideline of its own.
    #[serde(default)]
    pub follows_another_decision: bool,
    /// How a rationale cites the reason: any one of these, in a rationale sentence.
    pub cites: Vec<Cite>,
    /// Rationale sentences that must cite the reason, or must not (a near miss); run by
    /// `imrlint rules test`.
    #[serde(default)]
    pub examples: Vec<ReasonExample>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonExample {
    pub text: String,
    pub cited: bool,
}

/// Whether the summary decides a reason by itself or needs facts that establish it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReasonKind {
    /// About documentation: a concept never mentioned, or mentioned negated, is undocumented.
    Documentation,
    /// About the state of the world: unknown unless the facts establish it.
    State,
}

/// One way of citing a reason: a phrase, or a concept with a status, seen in the rationale.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cite {
    /// A regex (case-insensitive, whole words, on folded text).
    #[serde(default)]
    pub pattern: Option<String>,
    /// A concept from concepts.yaml.
    #[serde(default)]
    pub concept: Option<String>,
    /// The statuses the phrase or concept must have in the rationale (default: affirmed).
    #[serde(default = "affirmed")]
    pub status: Vec<Expected>,
}

fn affirmed() -> Vec<Expected> {
    vec![Expected::Affirmed]
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Conclusions {
    /// The request is not medically necessary.
    #[serde(default)]
    pub upheld: Vec<String>,
    /// The request is medically necessary.
    #[serde(default)]
    pub overturned: Vec<String>,
}

/// A reason of the catalog, by its place in `reasons.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReasonId(pub usize);

/// The catalog, compiled.
#[derive(Debug, Clone)]
pub struct Reasons {
    pub reasons: Vec<Reason>,
    /// Cite patterns; the owner is the index in `cite_owner`.
    pub cite_patterns: PatternSet,
    /// For each cite pattern: (reason, cite index).
    pub cite_owner: Vec<(ReasonId, usize)>,
    /// For each reason: the cites by concept, as (concept, cite index).
    concept_cites: Vec<Vec<(ConceptId, usize)>>,
    /// Owner 0: upheld, 1: overturned.
    pub conclusions: PatternSet,
    /// Grounds in any words (owner 0).
    pub grounds: PatternSet,
}

impl Reasons {
    /// Compiles the catalog; concept cites are resolved against `concepts`.
    pub fn compile(
        file: &RuleFile,
        f: ReasonsFile,
        concepts: &Concepts,
    ) -> Result<Reasons, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut sources = Vec::new();
        let mut cite_owner = Vec::new();
        let mut concept_cites = vec![Vec::new(); f.reasons.len()];
        for (r, reason) in f.reasons.iter().enumerate() {
            if !seen.insert(reason.id.as_str()) {
                errors.push(file.error(
                    &format!("reasons[{r}].id"),
                    format!("reason `{}` is defined twice", reason.id),
                    None,
                ));
            }
            if reason.cites.is_empty() {
                errors.push(file.error(
                    &format!("reasons[{r}].cites"),
                    format!("reason `{}` has no way to be cited", reason.id),
                    Some("add at least one `- pattern: ...` or `- concept: ...`".into()),
                ));
            }
            for (c, cite) in reason.cites.iter().enumerate() {
                let at = format!("reasons[{r}].cites[{c}]");
                match (&cite.pattern, &cite.concept) {
                    (Some(p), None) => {
                        cite_owner.push((ReasonId(r), c));
                        sources.push(PatternSource {
                            owner: cite_owner.len() - 1,
                            pattern: p,
                            path: format!("{at}.pattern"),
                        });
                    }
                    (None, Some(id)) => match concepts.index(id) {
                        Some(i) => concept_cites[r].push((i, c)),
                        None => errors.push(file.error(
                            &format!("{at}.concept"),
                            format!("unknown concept `{id}`"),
                            Some("name a concept id from concepts.yaml".into()),
                        )),
                    },
                    _ => errors.push(file.error(
                        &at,
                        "a cite has either `pattern` or `concept`, not both or neither",
                        None,
                    )),
                }
            }
        }
        let cite_patterns = PatternSet::compile(file, sources);
        let conclusion_sources: Vec<PatternSource> =
            owned_by(0, "conclusions.upheld", &f.conclusions.upheld)
                .chain(owned_by(
                    1,
                    "conclusions.overturned",
                    &f.conclusions.overturned,
                ))
                .collect();
        let conclusions = PatternSet::compile(file, conclusion_sources);
        let ground_sources: Vec<PatternSource> = owned_by(0, "grounds", &f.grounds).collect();
        let grounds = PatternSet::compile(file, ground_sources);
        match (cite_patterns, conclusions, grounds) {
            (Ok(cite_patterns), Ok(conclusions), Ok(grounds)) if errors.is_empty() => Ok(Reasons {
                reasons: f.reasons,
                cite_patterns,
                cite_owner,
                concept_cites,
                conclusions,
                grounds,
            }),
            (a, b, c) => {
                errors.extend([a.err(), b.err(), c.err()].into_iter().flatten().flatten());
                Err(errors)
            }
        }
    }

    pub fn index(&self, id: &str) -> Option<ReasonId> {
        self.reasons.iter().position(|r| r.id == id).map(ReasonId)
    }

    /// Every reason, in catalog order.
    pub fn ids(&self) -> impl Iterator<Item = ReasonId> + use<> {
        (0..self.reasons.len()).map(ReasonId)
    }

    /// The reason of an id.
    pub fn get(&self, reason: ReasonId) -> &Reason {
        &self.reasons[reason.0]
    }

    /// A reason's cites by concept, as (concept, cite index).
    pub fn concept_cites(&self, reason: ReasonId) -> &[(ConceptId, usize)] {
        &self.concept_cites[reason.0]
    }
}

/// The patterns of one list, all of one owner, each named by its place (`grounds[3]`).
fn owned_by<'a>(
    owner: usize,
    key: &'a str,
    patterns: &'a [String],
) -> impl Iterator<Item = PatternSource<'a>> {
    patterns
        .iter()
        .enumerate()
        .map(move |(i, pattern)| PatternSource {
            owner,
            pattern,
            path: format!("{key}[{i}]"),
        })
}

impl super::Knowledge for ReasonsFile {
    const KIND: &'static str = "reasons";
    /// Reasons compile against the concepts; `RuleSet` does that step itself.
    type Compiled = ReasonsFile;

    fn compile(self, _file: &RuleFile) -> Result<ReasonsFile, Vec<RuleError>> {
        Ok(self)
    }
}
