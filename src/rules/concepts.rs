//! `rules/concepts.yaml` (clinical concepts and their patterns) and `rules/context.yaml`
//! (ConText-style triggers that make a mention negated, uncertain or historical).

use serde::{Deserialize, Serialize};

use super::patterns::{PatternSet, PatternSource, named_patterns};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConceptsFile {
    /// The groups concepts belong to, with what imrlint does with each group's concepts.
    #[serde(default)]
    pub groups: Vec<Group>,
    pub concepts: Vec<Concept>,
}

/// A group of concepts. Its `roles` are the only way a group changes what imrlint reads; a group
/// without roles is for readers.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub roles: Vec<GroupRole>,
}

/// What imrlint does with the concepts of a group, beyond what rules do with any concept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum GroupRole {
    /// Their mentions in the summary are the patient's work status (`work_status` in the facts).
    WorkStatus,
    /// A summary sentence that mentions one may say how long treatment lasted
    /// (`patient.treatment_weeks`).
    TreatmentGiven,
    /// What a rationale says of one about the patient is compared across the letter's
    /// rationales: two that say opposite things make a `contradiction`.
    RecordFact,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub id: String,
    pub title: String,
    /// The group it belongs to (one of `groups`), which may give it roles.
    #[serde(default)]
    pub group: Option<String>,
    /// Regexes (case-insensitive, whole words, on whitespace-folded text).
    pub patterns: Vec<String>,
    /// Concepts a mention of this one names within it and states only when it is affirmed:
    /// 'progressive neurologic deficit' affirms a deficit, but 'no progression of neurologic
    /// deficits' denies the progression, not the deficit. Inside a negated mention of this
    /// concept, mentions of these say nothing.
    #[serde(default)]
    pub implies: Vec<String>,
    /// A finding of one part that speaks of others: a reflex at the ankle or pain radiating down
    /// the leg tells of the nerve roots of the low back. It belongs to every part its sentence
    /// names, not to its own part alone (anatomy.yaml `own_part`).
    #[serde(default)]
    pub crosses_parts: bool,
    /// The body parts (anatomy.yaml ids) a finding of this concept belongs to by its nature,
    /// when its words tie it to no part of their own: bladder dysfunction tells of the spine,
    /// loss of consciousness of the head, whatever else its sentence names.
    #[serde(default)]
    pub parts: Vec<String>,
    /// Sentences with the status the concept must get in them; run by the tests.
    #[serde(default)]
    pub examples: Vec<ConceptExample>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConceptExample {
    pub text: String,
    pub status: Expected,
}

/// What an example expects of a concept: one of the statuses, or no mention at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Expected {
    Affirmed,
    Negated,
    Uncertain,
    Historical,
    /// The concept must not be found in the text.
    Absent,
}

impl Expected {
    /// Whether the statuses found in an example's text meet the expectation.
    pub fn holds(self, found: &[Status]) -> bool {
        let want = match self {
            Expected::Absent => return found.is_empty(),
            Expected::Affirmed => Status::Affirmed,
            Expected::Negated => Status::Negated,
            Expected::Uncertain => Status::Uncertain,
            Expected::Historical => Status::Historical,
        };
        found.contains(&want)
    }
}

/// What the text says of a concept it mentions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Affirmed,
    Negated,
    Uncertain,
    Historical,
}

impl Status {
    /// How firmly a mention with this status documents its concept, to keep the firmest of
    /// several mentions: affirmed, then historical, uncertain, negated.
    pub fn documents(self) -> u8 {
        match self {
            Status::Negated => 0,
            Status::Uncertain => 1,
            Status::Historical => 2,
            Status::Affirmed => 3,
        }
    }

    /// Which of several triggers around one mention decides its status: a negation over an
    /// uncertainty over a historical trigger (a mention no trigger reaches is affirmed). Not the
    /// order of [`Status::documents`]: one negation in a sentence outweighs a hedge beside it.
    pub fn overrides(self) -> u8 {
        match self {
            Status::Affirmed => 0,
            Status::Historical => 1,
            Status::Uncertain => 2,
            Status::Negated => 3,
        }
    }

    /// How definite a statement is, to keep the most definite of several about one drug:
    /// affirmed, then negated, then historical, then uncertain. Not the order of
    /// [`Status::documents`]: of what one drug did, "no relief" is a finding and "may have helped"
    /// is not.
    pub fn definite(self) -> u8 {
        match self {
            Status::Uncertain => 0,
            Status::Historical => 1,
            Status::Negated => 2,
            Status::Affirmed => 3,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Status::Affirmed => "affirmed",
            Status::Negated => "negated",
            Status::Uncertain => "uncertain",
            Status::Historical => "historical",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextFile {
    /// How many words a trigger reaches, within its sentence, unless a terminator comes first.
    pub max_scope_words: usize,
    pub triggers: Vec<Trigger>,
    /// Phrases that contain a trigger but are not one ('no change').
    #[serde(default)]
    pub pseudo: Vec<String>,
    /// Words that end a trigger's scope ('but', 'however').
    #[serde(default)]
    pub terminators: Vec<String>,
    /// Phrases that make a rationale sentence a statement about this patient or this record ('in
    /// this case', 'the injured worker', 'was not documented') rather than a paraphrase of the
    /// guideline: only such sentences make claims.
    #[serde(default)]
    pub about_the_patient: Vec<String>,
    /// Phrases that make a rationale sentence a statement about the request ('the request for
    /// #60 exceeds the guideline'): a claim about what the request says, which the request's
    /// facts can contradict, but no claim about the patient's state (how long a drug was used).
    #[serde(default)]
    pub about_the_request: Vec<String>,
    #[serde(default)]
    pub examples: Vec<ContextExample>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    pub pattern: String,
    pub status: Status,
    pub direction: Direction,
    #[serde(default)]
    pub max_words: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Forward,
    Backward,
    Both,
    /// The sentence before: the trigger must open its own sentence and refer back to the last one
    /// ('This was not documented.').
    Previous,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextExample {
    pub text: String,
    pub concept: String,
    pub status: Expected,
}

/// A concept of the rule set, by its place in `concepts.yaml` (what the concept patterns' owner
/// index points at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConceptId(pub usize);

/// Concepts with their patterns compiled.
#[derive(Debug, Clone)]
pub struct Concepts {
    pub concepts: Vec<Concept>,
    pub patterns: PatternSet,
    /// Each concept's roles, by its group.
    roles: Vec<Vec<GroupRole>>,
    /// Each concept's `implies`, resolved.
    implies: Vec<Vec<ConceptId>>,
}

impl Concepts {
    pub fn compile(file: &RuleFile, f: ConceptsFile) -> Result<Concepts, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, c) in f.concepts.iter().enumerate() {
            if !seen.insert(c.id.as_str()) {
                errors.push(file.error(
                    &format!("concepts[{i}].id"),
                    format!("concept `{}` is defined twice", c.id),
                    Some("give each concept one entry; merge their patterns".into()),
                ));
            }
        }
        let mut roles = Vec::new();
        for (i, c) in f.concepts.iter().enumerate() {
            let group = c
                .group
                .as_ref()
                .map(|g| (g, f.groups.iter().find(|x| &x.id == g)));
            match group {
                None => roles.push(Vec::new()),
                Some((_, Some(g))) => roles.push(g.roles.clone()),
                Some((name, None)) => {
                    roles.push(Vec::new());
                    errors.push(file.undeclared(
                        &format!("concepts[{i}].group"),
                        ("group", "groups"),
                        name,
                        f.groups.iter().map(|g| g.id.as_str()),
                    ));
                }
            }
        }
        let mut implies = Vec::new();
        for (i, c) in f.concepts.iter().enumerate() {
            let mut resolved = Vec::new();
            for (j, id) in c.implies.iter().enumerate() {
                match f.concepts.iter().position(|x| &x.id == id) {
                    Some(k) if k != i => resolved.push(ConceptId(k)),
                    _ => errors.push(file.error(
                        &format!("concepts[{i}].implies[{j}]"),
                        format!("`{id}` is not another concept"),
                        Some("name the id of another concept in concepts.yaml".into()),
                    )),
                }
            }
            implies.push(resolved);
        }
        let sources = named_patterns(
            "concepts",
            "patterns",
            f.concepts.iter().map(|c| &c.patterns),
        );
        let patterns = PatternSet::compile(file, sources);
        match patterns {
            Ok(patterns) if errors.is_empty() => Ok(Concepts {
                concepts: f.concepts,
                patterns,
                roles,
                implies,
            }),
            Ok(_) => Err(errors),
            Err(mut e) => {
                errors.append(&mut e);
                Err(errors)
            }
        }
    }

    pub fn index(&self, id: &str) -> Option<ConceptId> {
        self.concepts.iter().position(|c| c.id == id).map(ConceptId)
    }

    /// The concept of an id.
    pub fn get(&self, concept: ConceptId) -> &Concept {
        &self.concepts[concept.0]
    }

    /// Whether a mention of `concept` names `other` within it and states it only when affirmed.
    pub fn implies(&self, concept: ConceptId, other: ConceptId) -> bool {
        self.implies[concept.0].contains(&other)
    }

    /// Whether the concept's group gives it this role.
    pub fn has_role(&self, concept: ConceptId, role: GroupRole) -> bool {
        self.roles[concept.0].contains(&role)
    }
}

/// Context triggers, compiled.
#[derive(Debug, Clone)]
pub struct Context {
    pub max_scope_words: usize,
    pub triggers: Vec<Trigger>,
    pub trigger_patterns: PatternSet,
    pub pseudo: PatternSet,
    pub terminators: PatternSet,
    pub about_the_patient: PatternSet,
    pub about_the_request: PatternSet,
    pub examples: Vec<ContextExample>,
}

impl Context {
    pub fn compile(file: &RuleFile, f: ContextFile) -> Result<Context, Vec<RuleError>> {
        let triggers = PatternSet::compile(
            file,
            f.triggers
                .iter()
                .enumerate()
                .map(|(i, t)| PatternSource {
                    owner: i,
                    pattern: &t.pattern,
                    path: format!("triggers[{i}].pattern"),
                })
                .collect(),
        );
        let list = |key: &str, items: &[String]| {
            PatternSet::compile(
                file,
                items
                    .iter()
                    .enumerate()
                    .map(|(i, p)| PatternSource {
                        owner: i,
                        pattern: p,
                        path: format!("{key}[{i}]"),
                    })
                    .collect(),
            )
        };
        let pseudo = list("pseudo", &f.pseudo);
        let terminators = list("terminators", &f.terminators);
        let about_the_patient = list("about_the_patient", &f.about_the_patient);
        let about_the_request = list("about_the_request", &f.about_the_request);
        match (
            triggers,
            pseudo,
            terminators,
            about_the_patient,
            about_the_request,
        ) {
            (
                Ok(trigger_patterns),
                Ok(pseudo),
                Ok(terminators),
                Ok(about_the_patient),
                Ok(about_the_request),
            ) => Ok(Context {
                max_scope_words: f.max_scope_words,
                triggers: f.triggers,
                trigger_patterns,
                pseudo,
                terminators,
                about_the_patient,
                about_the_request,
                examples: f.examples,
            }),
            (a, b, c, d, e) => Err([a.err(), b.err(), c.err(), d.err(), e.err()]
                .into_iter()
                .flatten()
                .flatten()
                .collect()),
        }
    }
}

impl super::Knowledge for ConceptsFile {
    const KIND: &'static str = "concepts";
    type Compiled = Concepts;

    fn compile(self, file: &RuleFile) -> Result<Concepts, Vec<RuleError>> {
        Concepts::compile(file, self)
    }
}

impl super::Knowledge for ContextFile {
    const KIND: &'static str = "context";
    type Compiled = Context;

    fn compile(self, file: &RuleFile) -> Result<Context, Vec<RuleError>> {
        Context::compile(file, self)
    }
}

#[cfg(test)]
mod tests {
    use super::Status::{self, *};

    fn sorted(key: fn(Status) -> u8) -> Vec<Status> {
        let mut all = vec![Affirmed, Negated, Uncertain, Historical];
        all.sort_by_key(|s| std::cmp::Reverse(key(*s)));
        all
    }

    #[test]
    fn the_three_precedences_of_a_status() {
        assert_eq!(
            sorted(Status::documents),
            [Affirmed, Historical, Uncertain, Negated]
        );
        assert_eq!(
            sorted(Status::overrides),
            [Negated, Uncertain, Historical, Affirmed]
        );
        assert_eq!(
            sorted(Status::definite),
            [Affirmed, Negated, Historical, Uncertain]
        );
    }

    #[test]
    fn a_group_gives_roles_and_must_be_declared() {
        use super::super::source::RuleFile;
        use super::{Concepts, ConceptsFile, GroupRole};
        let compile = |yaml: &str| {
            let file = RuleFile::new("c.yaml", yaml.to_string());
            let f: ConceptsFile = file.parse().unwrap();
            Concepts::compile(&file, f)
        };
        let c = compile(
            "groups: [{id: treatment, title: T, roles: [treatment-given]}, {id: symptom, title: S}]\nconcepts:\n  - {id: pt, title: PT, group: treatment, patterns: [therapy]}\n  - {id: ache, title: A, group: symptom, patterns: [ache]}\n",
        )
        .unwrap();
        assert!(c.has_role(super::ConceptId(0), GroupRole::TreatmentGiven));
        assert!(!c.has_role(super::ConceptId(1), GroupRole::TreatmentGiven));
        let errors =
            compile("concepts:\n  - {id: pt, title: PT, group: treatmnet, patterns: [therapy]}\n")
                .unwrap_err();
        assert!(
            errors[0].to_string().contains("no group `treatmnet`"),
            "{}",
            errors[0]
        );
    }
}
