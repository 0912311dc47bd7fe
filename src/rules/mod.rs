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

    /// The file and node path (`concepts[12]`) of the entry of a knowledge file's `list` whose
    /// `key` is `id`, in the last file of the kind that defines it.
    pub fn entry_of(
        &self,
        kind: &str,
        list: &str,
        key: &str,
        id: &str,
    ) -> Option<(&RuleFile, String)> {
        entry_in(&self.files, kind, list, key, id)
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
                    let guidelines = load_kind::<guidelines::GuidelinesFile>(
                        &of_kind(guidelines::GuidelinesFile::KIND),
                        &mut errors,
                    );
                    let categories = load_kind::<categories::CategoriesFile>(
                        &of_kind(categories::CategoriesFile::KIND),
                        &mut errors,
                    );
                    (guidelines, categories, errors)
                });
                let drugs =
                    load_kind::<drugs::DrugsFile>(&of_kind(drugs::DrugsFile::KIND), &mut errors);
                let concepts = load_kind::<concepts::ConceptsFile>(
                    &of_kind(concepts::ConceptsFile::KIND),
                    &mut errors,
                );
                let context = load_kind::<concepts::ContextFile>(
                    &of_kind(concepts::ContextFile::KIND),
                    &mut errors,
                );
                let mut later_errors = Vec::new();
                let anatomy = load_kind::<categories::AnatomyFile>(
                    &of_kind(categories::AnatomyFile::KIND),
                    &mut later_errors,
                );
                let requests = load_kind::<requests::RequestsFile>(
                    &of_kind(requests::RequestsFile::KIND),
                    &mut later_errors,
                );
                let layouts = load_kind::<layouts::LayoutsFile>(
                    &of_kind(layouts::LayoutsFile::KIND),
                    &mut later_errors,
                );
                let (guidelines, categories, aside_errors) = aside
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                errors.extend(aside_errors);
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
            (Some((f, file)), Some(concepts)) => Reasons::compile(&file, f, concepts)
                .map_err(|e| errors.extend(e))
                .ok(),
            _ => None,
        };
        let definitions = load_kind::<definitions::DefinitionsFile>(
            &of_kind(definitions::DefinitionsFile::KIND),
            &mut errors,
        );
        let mut rules = Vec::new();
        if let (Some(reasons), Some(guidelines), Some(definitions)) =
            (&reasons, &guidelines, &definitions)
        {
            for (_, file) in files
                .iter()
                .filter(|(rel, _)| knowledge_kind(rel).is_none())
            {
                match file.parse::<checks::RulesFile>() {
                    Ok(f) => match checks::compile(file, f, reasons, guidelines, definitions) {
                        Ok(r) => rules.extend(r),
                        Err(e) => errors.extend(e),
                    },
                    Err(e) => errors.push(e),
                }
            }
        }
        if let Some(anatomy) = &anatomy {
            errors.extend(unknown_regional_parts(&rules, anatomy));
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
                &files,
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            if !seen.insert(r.rule.id.clone()) {
                errors.push(RuleError {
                    file: r.file.clone(),
                    source_code: None,
                    at: None,
                    message: format!("rule `{}` is defined twice", r.rule.id),
                    help: Some("rule ids are unique across the rule set; rename one".into()),
                });
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
    files: &[(String, RuleFile)],
) -> Vec<RuleError> {
    let file_named = |name: &str| files.iter().map(|(_, f)| f).find(|f| f.name == name);
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
        let file = file_named(&rule.file);
        let at = |key: &str| format!("rules[{}].{key}", rule.index);
        let check = |program: &cel::Program| conditions::problems(program.expression(), known);
        report(file, at("applies_to"), &rule.file, check(&rule.applies_to));
        for (j, reason) in rule.reasons.iter().enumerate() {
            report(
                file,
                at(&format!("reasons[{j}].when")),
                &rule.file,
                check(&reason.when),
            );
            for (k, e) in reason.evidence.iter().enumerate() {
                report(
                    file,
                    at(&format!("reasons[{j}].evidence[{k}]")),
                    &rule.file,
                    check(e),
                );
            }
            for (key, template) in [("message", &reason.message), ("help", &reason.help)] {
                let problems = template.programs().flat_map(check).collect();
                report(
                    file,
                    at(&format!("reasons[{j}].{key}")),
                    &rule.file,
                    problems,
                );
            }
        }
    }
    for (d, program) in &definitions.list {
        let kind = definitions::DefinitionsFile::KIND;
        let placed = entry_in(files, kind, "definitions", "name", &d.name);
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
        .map(|(r, p)| RuleError {
            file: r.file.clone(),
            source_code: None,
            at: None,
            message: format!(
                "rule `{}` names an unknown body part `{p}` in `guideline.by_body_part`",
                r.rule.id
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

/// A kind of knowledge file: how several files of the kind merge, and what they compile to.
pub trait Knowledge: serde::de::DeserializeOwned {
    /// The file stem that names the kind (`drugs` for `drugs.yaml`).
    const KIND: &'static str;
    type Compiled;
    /// Adds a later file of the same kind to this one.
    fn merge(&mut self, later: Self);
    /// Whether `merge` keeps the first file's last entry of `list` last, the later files'
    /// entries before it (the fallback category); every other list appends them.
    fn keeps_last(_list: &str) -> bool {
        false
    }
    fn compile(self, file: &RuleFile) -> Result<Self::Compiled, Vec<RuleError>>;
}

/// Parses, merges and compiles the files of one kind; problems go to `errors`.
fn load_kind<K: Knowledge>(
    parts: &[&RuleFile],
    errors: &mut Vec<RuleError>,
) -> Option<K::Compiled> {
    let (m, file) = merged::<K>(parts, errors)?;
    m.compile(&file).map_err(|e| errors.extend(e)).ok()
}

/// Parses and merges the files of one kind, with the file that stands for them in diagnostics
/// found later: the file itself, or the files read as one, each problem shown where its entry
/// came from.
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
    let mut merged: Option<K> = None;
    let mut read: Vec<RuleFile> = Vec::new();
    // Per list, the entries of each file in the order they were merged.
    let mut runs: std::collections::HashMap<String, Vec<(usize, usize, usize)>> =
        std::collections::HashMap::new();
    for f in parts {
        match f.parse::<K>() {
            Ok(p) => {
                for (list, len) in f.list_lengths() {
                    runs.entry(list).or_default().push((read.len(), 0, len));
                }
                read.push((*f).clone());
                match &mut merged {
                    None => merged = Some(p),
                    Some(m) => m.merge(p),
                }
            }
            Err(e) => errors.push(e),
        }
    }
    let merged = merged?;
    if read.len() == 1 {
        return Some((merged, read.pop()?));
    }
    // A list whose first file's last entry stays last (the fallback category): the later
    // files' entries stand before it.
    for (list, runs) in runs.iter_mut() {
        if K::keeps_last(list)
            && let Some(&(0, 0, len)) = runs.first()
            && len > 0
        {
            runs[0] = (0, 0, len - 1);
            runs.push((0, len - 1, 1));
        }
    }
    let file = RuleFile::merged(read, runs);
    Some((merged, file))
}

/// The file and node path of the entry of a knowledge file's `list` whose `key` is `id`, in the
/// last file of the kind that defines it.
fn entry_in<'f>(
    files: &'f [(String, RuleFile)],
    kind: &str,
    list: &str,
    key: &str,
    id: &str,
) -> Option<(&'f RuleFile, String)> {
    files
        .iter()
        .rev()
        .filter(|(rel, _)| knowledge_kind(rel) == Some(kind))
        .find_map(|(_, f)| f.entry(list, key, id).map(|p| (f, p)))
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
