//! The rule set: every YAML file imrlint reads at run time, loaded, checked and compiled once.
//!
//! A rule set is built from sources in order: the copy built into the binary, then each folder or
//! file the settings file and `--rules` name (see [`crate::linter::Settings`]). A later file with the same path
//! relative to its source replaces the earlier one, so a full copy of `rules/` overrides the
//! defaults file by file, and a folder holding only new files extends them. Knowledge files are
//! known by their name (`drugs.yaml`, `concepts.yaml`, ... anywhere in a source); files of one
//! kind are merged in order.

// A rule error carries its file's text for the diagnostic. Errors are the cold path of a load
// that happens once per run, so their size does not matter.
#![allow(clippy::result_large_err)]

pub mod categories;
pub mod checks;
pub mod concepts;
pub mod conditions;
pub mod definitions;
pub mod drugs;
pub mod environment;
pub mod examples;
pub mod guidelines;
pub mod layouts;
pub mod overlay;
pub mod patterns;
pub mod reasons;
pub mod requests;
pub mod source;

use std::path::PathBuf;

pub use categories::{Anatomy, Categories};
pub use concepts::{Concepts, Context, Status};
pub use definitions::Definitions;
pub use drugs::Drugs;
pub use guidelines::Guidelines;
pub use layouts::Layouts;
pub use reasons::Reasons;
pub use requests::Requests;
pub use source::{RuleError, RuleErrors, RuleFile};

const EMBEDDED: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// How the built-in rule files are named in diagnostics (`<built-in>/rules/drugs.yaml`).
const BUILT_IN_PREFIX: &str = "<built-in>/rules/";

/// Where a rule set came from, for messages and run manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleSource {
    BuiltIn,
    Path(PathBuf),
    /// One rule file given as text, with the relative name it would have in a folder: for
    /// tools that hold rules in memory, and for fuzzing the loader.
    Text {
        name: String,
        text: String,
    },
}

/// Everything the later stages know, compiled.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub drugs: Drugs,
    pub concepts: Concepts,
    pub context: Context,
    pub guidelines: Guidelines,
    pub layouts: Layouts,
    pub categories: Categories,
    pub anatomy: Anatomy,
    pub requests: Requests,
    pub reasons: Reasons,
    pub definitions: Definitions,
    /// The rules, in the order their files were read.
    pub rules: Vec<checks::CompiledRule>,
    /// The fields of an item's facts that definitions and rules read: only those are converted
    /// to CEL values.
    pub item_fields: environment::FieldsRead,
    /// Every file read, in load order (relative name, file).
    pub files: Vec<(String, RuleFile)>,
    /// Per kind of knowledge file (`drugs`), the file that stands for the kind's files read as
    /// one: an entry's problems are shown through it, in the file each part came from.
    pub knowledge: Vec<(&'static str, RuleFile)>,
    pub sources: Vec<RuleSource>,
}

/// The kinds of knowledge file, by file stem.
const KNOWLEDGE: &[&str] = &[
    drugs::DrugsFile::KIND,
    concepts::ConceptsFile::KIND,
    concepts::ContextFile::KIND,
    guidelines::GuidelinesFile::KIND,
    layouts::LayoutsFile::KIND,
    categories::CategoriesFile::KIND,
    categories::AnatomyFile::KIND,
    requests::RequestsFile::KIND,
    reasons::ReasonsFile::KIND,
    definitions::DefinitionsFile::KIND,
];

impl RuleSet {
    /// The rule set built into the binary, alone.
    pub fn built_in() -> Result<RuleSet, RuleErrors> {
        RuleSet::from_sources(vec![RuleSource::BuiltIn])
    }

    /// The built-in rule set, loaded once for all unit tests.
    #[cfg(test)]
    pub fn for_tests() -> &'static RuleSet {
        static RULES: std::sync::LazyLock<RuleSet> =
            std::sync::LazyLock::new(|| RuleSet::built_in().expect("the built-in rules load"));
        &RULES
    }

    /// The node path (`concepts[12]`) of the entry of a knowledge file's `list` whose `key` is
    /// `id`, with the file that stands for the kind's files.
    pub fn entry_of(
        &self,
        kind: &str,
        list: &str,
        key: &str,
        id: &str,
    ) -> Option<(&RuleFile, String)> {
        entry_in(&self.knowledge, kind, list, key, id)
    }

    pub fn from_sources(sources: Vec<RuleSource>) -> Result<RuleSet, RuleErrors> {
        let mut files: Vec<(String, RuleFile)> = Vec::new();
        let mut errors = Vec::new();
        for source in &sources {
            for f in read_source(source) {
                match f {
                    Ok((rel, file)) => match files.iter_mut().find(|(r, _)| *r == rel) {
                        Some(slot) => slot.1 = file,
                        None => files.push((rel, file)),
                    },
                    Err(e) => errors.push(e),
                }
            }
        }
        if !errors.is_empty() {
            return Err(RuleErrors(errors));
        }
        RuleSet::compile(files, sources)
    }

    fn compile(
        files: Vec<(String, RuleFile)>,
        sources: Vec<RuleSource>,
    ) -> Result<RuleSet, RuleErrors> {
        let mut errors = Vec::new();
        // Per kind of knowledge file, the file that stands for the kind's files read as one.
        let mut read_as: Vec<(&'static str, RuleFile)> = Vec::new();
        let of_kind = |kind: &str| -> Vec<&RuleFile> {
            files
                .iter()
                .filter(|(rel, _)| knowledge_kind(rel) == Some(kind))
                .map(|(_, f)| f)
                .collect()
        };
        // The guidelines and the categories, half of the compiling, compile on a second thread
        // while the rest compile on this one: loading, which every run waits for, takes a third
        // less time. Their errors keep their place in the list.
        let (drugs, concepts, context, guidelines, categories, anatomy, requests, layouts) =
            std::thread::scope(|scope| {
                let aside = scope.spawn(|| {
                    let mut errors = Vec::new();
                    let mut aside_read = Vec::new();
                    let guidelines = load_kind::<guidelines::GuidelinesFile>(
                        &of_kind(guidelines::GuidelinesFile::KIND),
                        &mut errors,
                        &mut aside_read,
                    );
                    let categories = load_kind::<categories::CategoriesFile>(
                        &of_kind(categories::CategoriesFile::KIND),
                        &mut errors,
                        &mut aside_read,
                    );
                    (guidelines, categories, errors, aside_read)
                });
                let drugs = load_kind::<drugs::DrugsFile>(
                    &of_kind(drugs::DrugsFile::KIND),
                    &mut errors,
                    &mut read_as,
                );
                let concepts = load_kind::<concepts::ConceptsFile>(
                    &of_kind(concepts::ConceptsFile::KIND),
                    &mut errors,
                    &mut read_as,
                );
                let context = load_kind::<concepts::ContextFile>(
                    &of_kind(concepts::ContextFile::KIND),
                    &mut errors,
                    &mut read_as,
                );
                let mut later_errors = Vec::new();
                let anatomy = load_kind::<categories::AnatomyFile>(
                    &of_kind(categories::AnatomyFile::KIND),
                    &mut later_errors,
                    &mut read_as,
                );
                let requests = load_kind::<requests::RequestsFile>(
                    &of_kind(requests::RequestsFile::KIND),
                    &mut later_errors,
                    &mut read_as,
                );
                let layouts = load_kind::<layouts::LayoutsFile>(
                    &of_kind(layouts::LayoutsFile::KIND),
                    &mut later_errors,
                    &mut read_as,
                );
                let (guidelines, categories, aside_errors, aside_read) = aside
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                errors.extend(aside_errors);
                read_as.extend(aside_read);
                errors.extend(later_errors);
                (
                    drugs, concepts, context, guidelines, categories, anatomy, requests, layouts,
                )
            });
        if let (Some(concepts), Some(anatomy)) = (&concepts, &anatomy) {
            errors.extend(unknown_concept_parts(concepts, anatomy));
        }
        let reasons = match (
            merged::<reasons::ReasonsFile>(&of_kind(reasons::ReasonsFile::KIND), &mut errors),
            &concepts,
        ) {
            (Some((f, file)), Some(concepts)) => {
                let compiled = Reasons::compile(&file, f, concepts)
                    .map_err(|e| errors.extend(e))
                    .ok();
                read_as.push((reasons::ReasonsFile::KIND, file));
                compiled
            }
            _ => None,
        };
        let definitions = load_kind::<definitions::DefinitionsFile>(
            &of_kind(definitions::DefinitionsFile::KIND),
            &mut errors,
            &mut read_as,
        );
        let mut rules = Vec::new();
        if let (Some(reasons), Some(guidelines), Some(definitions)) =
            (&reasons, &guidelines, &definitions)
        {
            let rule_files: Vec<&RuleFile> = files
                .iter()
                .filter(|(rel, _)| knowledge_kind(rel).is_none())
                .map(|(_, f)| f)
                .collect();
            for (file, f) in read_rule_files(&rule_files, &mut errors) {
                match checks::compile(&file, f, reasons, guidelines, definitions) {
                    Ok(r) => rules.extend(r),
                    Err(e) => errors.extend(e),
                }
            }
        }
        if let Some(anatomy) = &anatomy {
            errors.extend(unknown_regional_parts(&rules, anatomy));
            if let Some(guidelines) = &guidelines {
                errors.extend(unknown_stage_parts(guidelines, anatomy));
            }
        }
        if let (Some(drugs), Some(concepts), Some(categories), Some(anatomy), Some(definitions)) =
            (&drugs, &concepts, &categories, &anatomy, &definitions)
        {
            use crate::facts::schema::Vocabulary;
            let known = conditions::Known {
                variables: crate::facts::schema::variables(),
                definitions: definitions.names(),
                words: std::collections::BTreeMap::from([
                    (
                        Vocabulary::Categories,
                        categories
                            .categories
                            .iter()
                            .map(|c| c.id.as_str())
                            .collect(),
                    ),
                    (
                        Vocabulary::Classes,
                        drugs.classes.iter().map(|c| c.id.as_str()).collect(),
                    ),
                    (
                        Vocabulary::Concepts,
                        concepts.concepts.iter().map(|c| c.id.as_str()).collect(),
                    ),
                    (
                        Vocabulary::Drugs,
                        drugs.drugs.iter().map(|d| d.name.as_str()).collect(),
                    ),
                    (
                        Vocabulary::BodyParts,
                        anatomy.body_parts.iter().map(|b| b.id.as_str()).collect(),
                    ),
                    (
                        Vocabulary::Sides,
                        anatomy.sides.iter().map(|s| s.id.as_str()).collect(),
                    ),
                ]),
            };
            errors.extend(conditions_against_facts(
                &rules,
                definitions,
                &known,
                &read_as,
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            if !seen.insert(r.rule.id.clone()) {
                errors.push(r.source.error(
                    &r.path("id"),
                    format!("rule `{}` is defined twice in one file", r.rule.id),
                    Some("rename one; a rule in a later file with the same id extends the earlier one".into()),
                ));
            }
        }
        match (
            drugs,
            concepts,
            context,
            guidelines,
            categories,
            anatomy,
            requests,
            layouts,
            reasons,
            definitions,
        ) {
            (
                Some(drugs),
                Some(concepts),
                Some(context),
                Some(guidelines),
                Some(categories),
                Some(anatomy),
                Some(requests),
                Some(layouts),
                Some(reasons),
                Some(definitions),
            ) if errors.is_empty() => Ok(RuleSet {
                item_fields: environment::FieldsRead::of(
                    "item",
                    definitions
                        .list
                        .iter()
                        .map(|(_, program)| &**program)
                        .chain(rules.iter().flat_map(checks::CompiledRule::programs)),
                ),
                drugs,
                concepts,
                context,
                guidelines,
                categories,
                anatomy,
                requests,
                layouts,
                reasons,
                definitions,
                rules,
                files,
                knowledge: read_as,
                sources,
            }),
            _ => Err(RuleErrors(errors)),
        }
    }
}

/// Every condition, template and evidence of the rules and every definition, checked against
/// the facts and the vocabularies (`conditions`), each problem at its own place.
fn conditions_against_facts(
    rules: &[checks::CompiledRule],
    definitions: &Definitions,
    known: &conditions::Known,
    knowledge: &[(&'static str, RuleFile)],
) -> Vec<RuleError> {
    let mut out = Vec::new();
    let mut report = |file: Option<&RuleFile>,
                      path: String,
                      name: &str,
                      problems: Vec<conditions::Problem>| {
        for p in problems {
            let help = Some(
                    "`imrlint schema facts` lists the fields conditions can read; the names come from the rule set's files".to_string(),
                );
            out.push(match file {
                Some(f) => f.error_at_words(&path, &p.words, p.message, help),
                None => RuleError {
                    file: name.to_string(),
                    source_code: None,
                    at: None,
                    message: format!("{path}: {}", p.message),
                    help,
                },
            });
        }
    };
    for rule in rules {
        let file = Some(&rule.source);
        let name = rule.defined_at(None).0.to_string();
        let check = |program: &cel::Program| conditions::problems(program.expression(), known);
        report(
            file,
            rule.path("applies_to"),
            &name,
            check(&rule.applies_to),
        );
        for (j, reason) in rule.reasons.iter().enumerate() {
            report(
                file,
                rule.path(&format!("reasons[{j}].when")),
                &name,
                check(&reason.when),
            );
            if let Some(program) = &reason.request_leaves_unknown {
                report(
                    file,
                    rule.path(&format!("reasons[{j}].request_leaves_unknown")),
                    &name,
                    check(program),
                );
            }
            for (k, e) in reason.evidence.iter().enumerate() {
                report(
                    file,
                    rule.path(&format!("reasons[{j}].evidence[{k}]")),
                    &name,
                    check(e),
                );
            }
            for (key, template) in [("message", &reason.message), ("help", &reason.help)] {
                let problems = template.programs().flat_map(check).collect();
                report(
                    file,
                    rule.path(&format!("reasons[{j}].{key}")),
                    &name,
                    problems,
                );
            }
        }
    }
    for (d, program) in &definitions.list {
        let kind = definitions::DefinitionsFile::KIND;
        let placed = entry_in(knowledge, kind, "definitions", "name", &d.name);
        let (file, path) = match placed {
            Some((f, p)) => (Some(f), format!("{p}.value")),
            None => (None, format!("definition `{}`", d.name)),
        };
        let name = format!("{}.yaml", definitions::DefinitionsFile::KIND);
        report(
            file,
            path,
            &name,
            conditions::problems(program.expression(), known),
        );
    }
    out
}

/// A rule's `guideline.by_body_part` parts that anatomy.yaml does not name.
fn unknown_regional_parts(rules: &[checks::CompiledRule], anatomy: &Anatomy) -> Vec<RuleError> {
    let known: Vec<&str> = anatomy.body_parts.iter().map(|b| b.id.as_str()).collect();
    rules
        .iter()
        .flat_map(|r| r.rule.guideline.by_body_part.iter().map(move |g| (r, g)))
        .flat_map(|(r, g)| g.parts.iter().map(move |p| (r, p)))
        .filter(|(_, p)| !known.contains(&p.as_str()))
        .map(|(r, p)| {
            r.source.error_at_words(
                &r.path("guideline.by_body_part"),
                p,
                format!(
                    "rule `{}` names an unknown body part `{p}` in `guideline.by_body_part`",
                    r.rule.id
                ),
                Some(format!(
                    "use a body part id of anatomy.yaml: {}",
                    known.join(", ")
                )),
            )
        })
        .collect()
}

/// A topic's `stage.earlier_guidance.body_parts` that anatomy.yaml does not name.
fn unknown_stage_parts(set: &Guidelines, anatomy: &Anatomy) -> Vec<RuleError> {
    let known: Vec<&str> = anatomy.body_parts.iter().map(|b| b.id.as_str()).collect();
    set.documents
        .iter()
        .flat_map(|d| d.doc.topics.iter().map(move |t| (d, t)))
        .flat_map(|(d, t)| {
            t.stage
                .iter()
                .flat_map(|s| s.earlier_guidance.body_parts.iter())
                .map(move |p| (d, t, p))
        })
        .filter(|(_, _, p)| !known.contains(&p.as_str()))
        .map(|(d, t, p)| RuleError {
            file: format!("{}.yaml", guidelines::GuidelinesFile::KIND),
            source_code: None,
            at: None,
            message: format!(
                "topic `{}` of `{}` names an unknown body part `{p}` in `stage.earlier_guidance.body_parts`",
                t.id, d.doc.id
            ),
            help: Some(format!(
                "use a body part id of anatomy.yaml: {}",
                known.join(", ")
            )),
        })
        .collect()
}

/// A concept's `parts` that anatomy.yaml does not name.
fn unknown_concept_parts(concepts: &Concepts, anatomy: &Anatomy) -> Vec<RuleError> {
    let known: Vec<&str> = anatomy.body_parts.iter().map(|b| b.id.as_str()).collect();
    concepts
        .concepts
        .iter()
        .flat_map(|c| c.parts.iter().map(move |p| (c, p)))
        .filter(|(_, p)| !known.contains(&p.as_str()))
        .map(|(c, p)| RuleError {
            file: format!("{}.yaml", concepts::ConceptsFile::KIND),
            source_code: None,
            at: None,
            message: format!(
                "concept `{}` names an unknown body part `{p}` in `parts`",
                c.id
            ),
            help: Some(format!(
                "use a body part id of anatomy.yaml: {}",
                known.join(", ")
            )),
        })
        .collect()
}

/// A kind of knowledge file: where the later files of the kind put their new entries, and what
/// the kind compiles to. Files of one kind are read as one (see [`overlay`]).
pub trait Knowledge: serde::de::DeserializeOwned {
    /// The file stem that names the kind (`drugs` for `drugs.yaml`).
    const KIND: &'static str;
    type Compiled;
    /// Where a later file's new entry of the top-level list `list` goes.
    fn placement(_list: &str) -> overlay::Placement {
        overlay::Placement::Append
    }
    fn compile(self, file: &RuleFile) -> Result<Self::Compiled, Vec<RuleError>>;
}

/// Reads, merges and compiles the files of one kind; problems go to `errors`, and the file
/// that stands for the kind's files to `read`.
fn load_kind<K: Knowledge>(
    parts: &[&RuleFile],
    errors: &mut Vec<RuleError>,
    read: &mut Vec<(&'static str, RuleFile)>,
) -> Option<K::Compiled> {
    let (m, file) = merged::<K>(parts, errors)?;
    let compiled = m.compile(&file).map_err(|e| errors.extend(e)).ok();
    read.push((K::KIND, file));
    compiled
}

/// Reads the files of one kind as one, with the file that stands for them in diagnostics found
/// later; None when the kind has no file or an entry could not be read (every such entry is in
/// `errors`).
fn merged<K: Knowledge>(parts: &[&RuleFile], errors: &mut Vec<RuleError>) -> Option<(K, RuleFile)> {
    if parts.is_empty() {
        errors.push(RuleError {
            file: format!("{}.yaml", K::KIND),
            source_code: None,
            at: None,
            message: format!("the rule set has no {}.yaml", K::KIND),
            help: Some(format!(
                "copy rules/{}.yaml from imrlint's repository into the rules folder, or drop --rules to use the built-in set",
                K::KIND
            )),
        });
        return None;
    }
    let read = overlay::read_as_one::<K>(parts, &K::placement, errors)?;
    read.complete.then_some((read.value, read.file))
}

/// The rule files, each read alone; or, when a rule extends one of an earlier file or a file
/// has a problem, all read as one (see [`overlay`]), so that every problem is reported and
/// the rules of the other files are still checked.
fn read_rule_files(
    parts: &[&RuleFile],
    errors: &mut Vec<RuleError>,
) -> Vec<(RuleFile, checks::RulesFile)> {
    let alone: Option<Vec<checks::RulesFile>> = parts
        .iter()
        .map(|f| f.parse::<checks::RulesFile>().ok())
        .collect();
    if let Some(alone) = alone {
        let mut ids = std::collections::HashMap::new();
        let extends = alone.iter().enumerate().any(|(i, f)| {
            f.rules
                .iter()
                .any(|r| *ids.entry(r.id.as_str()).or_insert(i) != i)
        });
        if !extends {
            return parts.iter().map(|f| (*f).clone()).zip(alone).collect();
        }
    }
    overlay::read_as_one(parts, &|_| overlay::Placement::Append, errors)
        .map(|read| (read.file, read.value))
        .into_iter()
        .collect()
}

/// The node path of the entry of a knowledge file's `list` whose `key` is `id`, with the file
/// that stands for the files of `kind` read as one.
fn entry_in<'f>(
    knowledge: &'f [(&'static str, RuleFile)],
    kind: &str,
    list: &str,
    key: &str,
    id: &str,
) -> Option<(&'f RuleFile, String)> {
    let (_, file) = knowledge.iter().find(|(k, _)| *k == kind)?;
    file.entry(list, key, id).map(|p| (file, p))
}

/// The knowledge kind of a rule file, from its file name.
fn knowledge_kind(rel: &str) -> Option<&'static str> {
    let stem = rel.rsplit('/').next()?.strip_suffix(".yaml")?;
    KNOWLEDGE.iter().copied().find(|k| *k == stem)
}

/// The YAML files of one source, with their paths relative to it, sorted.
fn read_source(source: &RuleSource) -> Vec<Result<(String, RuleFile), RuleError>> {
    match source {
        RuleSource::BuiltIn => EMBEDDED
            .iter()
            .map(|(rel, text)| {
                Ok((
                    rel.to_string(),
                    RuleFile::new(format!("{BUILT_IN_PREFIX}{rel}"), *text),
                ))
            })
            .collect(),
        RuleSource::Text { name, text } => {
            vec![Ok((
                name.clone(),
                RuleFile::new(format!("<text>/{name}"), text.as_str()),
            ))]
        }
        RuleSource::Path(p) if p.is_file() => {
            let rel = p
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            vec![RuleFile::read(p).map(|f| (rel, f))]
        }
        RuleSource::Path(p) if p.is_dir() => {
            let mut out = Vec::new();
            for entry in walkdir::WalkDir::new(p).sort_by_file_name() {
                match entry {
                    Ok(e)
                        if e.file_type().is_file()
                            && e.path()
                                .extension()
                                .is_some_and(|x| x == "yaml" || x == "yml") =>
                    {
                        let rel = e
                            .path()
                            .strip_prefix(p)
                            .unwrap_or(e.path())
                            .to_string_lossy()
                            .replace('\\', "/");
                        out.push(RuleFile::read(e.path()).map(|f| (rel, f)));
                    }
                    Ok(_) => {}
                    Err(e) => out.push(Err(RuleError {
                        file: p.display().to_string(),
                        source_code: None,
                        at: None,
                        message: format!("cannot read the rules folder: {e}"),
                        help: None,
                    })),
                }
            }
            out
        }
        RuleSource::Path(p) => vec![Err(RuleError {
            file: p.display().to_string(),
            source_code: None,
            at: None,
            message: "no such rules file or folder".into(),
            help: Some("pass --rules a folder of YAML rule files or one YAML file".into()),
        })],
    }
}
