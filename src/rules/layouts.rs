//! `rules/layouts.yaml`: how determination letters are laid out (headings, header and credential
//! fields, the wording of disputed items), so that a new letter format is a rule file, not code.

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::patterns::{compile_exact, compile_list};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutsFile {
    /// The letter layouts, tried in order: the most specific first.
    #[serde(default)]
    pub layouts: Vec<LayoutSpec>,
    #[serde(default)]
    pub header: HeaderSpec,
    #[serde(default)]
    pub reviewer: ReviewerSpec,
    /// Boilerplate at the start of the case summary, not part of it.
    #[serde(default)]
    pub summary_preamble: Vec<String>,
    /// A later file's wording replaces the earlier one whole.
    #[serde(default)]
    pub items: Option<ItemWording>,
    /// A later file's wording replaces the earlier one whole.
    #[serde(default)]
    pub partial_authorization: Option<PartialWording>,
}

/// The parts of a letter that later stages read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SectionKind {
    /// The text before the first heading.
    Header,
    /// The letterhead and how the determination was made; holds the reviewer's credentials.
    Determination,
    DocumentsReviewed,
    Summary,
    /// The listed items with their decisions and rationales.
    Decisions,
    /// The one issue of a single-issue letter.
    IssueAtDispute,
    GuidelinesRelied,
    Rationale,
    Qualifications,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LayoutSpec {
    /// Shown in the facts as the letter's `layout`.
    pub id: String,
    #[serde(default)]
    pub description: String,
    pub items: ItemsForm,
    /// A pattern the text before the first heading must hold (a header table's field).
    #[serde(default)]
    pub header_contains: Option<String>,
    /// The headings, in the order they stand in the letter.
    pub headings: Vec<HeadingSpec>,
}

/// How a layout lists its disputed items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ItemsForm {
    /// Items under a decisions heading, each `Treatment: Upheld` followed by its guideline lines
    /// and rationale.
    Listed,
    /// One issue: the `issue-at-dispute` section, decided by the rationale's conclusion.
    SingleIssue,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeadingSpec {
    pub section: SectionKind,
    /// Matched exactly as written, case and all.
    pub pattern: String,
    /// The layout is detected only where this heading is found.
    #[serde(default)]
    pub required: bool,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeaderSpec {
    /// Text that ends the header table where it stands before the first section after the
    /// letterhead.
    #[serde(default)]
    pub ends_at: Vec<String>,
    /// `Name: value` fields; each value runs to the next field's name.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// The field's label as printed, without its colon; also its name in the facts.
    pub name: String,
    #[serde(default)]
    pub means: Option<FieldMeaning>,
}

/// The fields whose values the facts and reports read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FieldMeaning {
    DateOfInjury,
    DecisionDate,
    UtilizationReviewDate,
    /// The reviewer's specialty, by which reports group items.
    Specialty,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerSpec {
    /// The sections that state the reviewer's credentials.
    #[serde(default)]
    pub sections: Vec<SectionKind>,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    /// Credentials written as a sentence: each named group gives a field.
    #[serde(default)]
    pub sentences: Vec<SentenceSpec>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SentenceSpec {
    pub pattern: String,
    pub fields: Vec<GroupField>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupField {
    /// The pattern's named group that holds the value.
    pub group: String,
    pub name: String,
    #[serde(default)]
    pub means: Option<FieldMeaning>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemWording {
    /// The label after an item's heading: a group `upheld` or `overturned`.
    pub decision_label: String,
    pub claims_guideline: String,
    pub reviewer_guideline: String,
    pub rationale: String,
    /// Lines ending in a colon that do not continue an item's heading.
    #[serde(default)]
    pub heading_stops: Vec<String>,
    /// A single-issue rationale's conclusion: a group `not` means the denial is upheld.
    pub conclusion: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartialWording {
    /// Groups `original`, `treatment` and, optionally, `authorized`.
    pub wordings: Vec<String>,
    pub opened_by: String,
    pub continued_by: String,
}

/// A layout, compiled.
#[derive(Debug, Clone)]
pub struct Layout {
    pub id: String,
    pub items: ItemsForm,
    pub header_contains: Option<Regex>,
    pub headings: Vec<Heading>,
}

#[derive(Debug, Clone)]
pub struct Heading {
    pub section: SectionKind,
    pub pattern: Regex,
    pub required: bool,
}

/// The layouts file, compiled.
#[derive(Debug, Clone)]
pub struct Layouts {
    pub layouts: Vec<Layout>,
    pub header_ends_at: Vec<Regex>,
    pub header_fields: Vec<FieldSpec>,
    pub reviewer_sections: Vec<SectionKind>,
    pub reviewer_fields: Vec<FieldSpec>,
    pub reviewer_sentences: Vec<(Regex, Vec<GroupField>)>,
    pub summary_preamble: Vec<Regex>,
    pub items: ItemMarks,
    pub partial: PartialMarks,
}

/// How an item is written, compiled.
#[derive(Debug, Clone)]
pub struct ItemMarks {
    pub decision_label: Regex,
    /// The three item markers as one pattern, groups `claims`, `reviewer` and `rationale`, so
    /// that the first at each place wins.
    pub parts: Regex,
    pub heading_stops: Vec<Regex>,
    pub conclusion: Regex,
}

/// A partial authorization's wording, compiled.
#[derive(Debug, Clone)]
pub struct PartialMarks {
    pub wordings: Vec<Regex>,
    pub opened_by: Regex,
    pub continued_by: Regex,
}

impl ItemMarks {
    fn compile(file: &RuleFile, w: &ItemWording, errors: &mut Vec<RuleError>) -> Option<Self> {
        let decision_label = one(
            file,
            "items.decision_label",
            &w.decision_label,
            &["upheld", "overturned"],
            errors,
        );
        let parts: Vec<String> = [
            ("claims", "claims_guideline", &w.claims_guideline),
            ("reviewer", "reviewer_guideline", &w.reviewer_guideline),
            ("rationale", "rationale", &w.rationale),
        ]
        .iter()
        .filter_map(|(group, key, p)| {
            one(file, &format!("items.{key}"), p, &[], errors)
                .map(|re| format!("(?P<{group}>{})", re.as_str()))
        })
        .collect();
        let parts = (parts.len() == 3)
            .then(|| one(file, "items", &parts.join("|"), &[], errors))
            .flatten();
        let heading_stops = compile_list(
            file,
            "items.heading_stops",
            &w.heading_stops,
            compile_exact,
            &[],
            errors,
        );
        let conclusion = one(file, "items.conclusion", &w.conclusion, &["not"], errors);
        Some(ItemMarks {
            decision_label: decision_label?,
            parts: parts?,
            heading_stops,
            conclusion: conclusion?,
        })
    }
}

impl PartialMarks {
    fn compile(file: &RuleFile, p: &PartialWording, errors: &mut Vec<RuleError>) -> Option<Self> {
        let key = "partial_authorization";
        let wordings = compile_list(
            file,
            &format!("{key}.wordings"),
            &p.wordings,
            compile_exact,
            &["original", "treatment"],
            errors,
        );
        let opened_by = one(file, &format!("{key}.opened_by"), &p.opened_by, &[], errors);
        let continued_by = one(
            file,
            &format!("{key}.continued_by"),
            &p.continued_by,
            &[],
            errors,
        );
        Some(PartialMarks {
            wordings,
            opened_by: opened_by?,
            continued_by: continued_by?,
        })
    }
}

fn missing(file: &RuleFile, key: &str) -> RuleError {
    file.error(
        key,
        format!("the layouts file has no `{key}`"),
        Some(format!(
            "a layouts.yaml at the top of a rules folder replaces the built-in one whole: copy `{key}` from imrlint's rules/layouts.yaml, or put the file in a subfolder to extend the built-in layouts"
        )),
    )
}

impl Layouts {
    pub fn compile(file: &RuleFile, f: LayoutsFile) -> Result<Layouts, Vec<RuleError>> {
        let mut errors = Vec::new();
        if f.layouts.is_empty() {
            errors.push(file.error(
                "layouts",
                "no layouts",
                Some("list at least one letter layout".into()),
            ));
        }
        let mut layouts = Vec::new();
        for (i, spec) in f.layouts.iter().enumerate() {
            let at = format!("layouts[{i}]");
            if f.layouts[..i].iter().any(|l| l.id == spec.id) {
                errors.push(file.error(
                    &format!("{at}.id"),
                    format!("layout `{}` is defined twice", spec.id),
                    Some("layout ids are unique; rename one".into()),
                ));
            }
            if !spec.headings.iter().any(|h| h.required) {
                errors.push(file.error(
                    &format!("{at}.headings"),
                    format!("layout `{}` has no required heading", spec.id),
                    Some("mark the headings that identify the layout `required: true`".into()),
                ));
            }
            let items_section = match spec.items {
                ItemsForm::Listed => SectionKind::Decisions,
                ItemsForm::SingleIssue => SectionKind::IssueAtDispute,
            };
            if !spec.headings.iter().any(|h| h.section == items_section) {
                errors.push(file.error(
                    &format!("{at}.headings"),
                    format!(
                        "layout `{}` lists its items as `{}` but has no `{}` heading",
                        spec.id,
                        kebab(&spec.items),
                        kebab(&items_section)
                    ),
                    Some("add the heading under which the items stand".into()),
                ));
            }
            let header_contains = spec
                .header_contains
                .as_ref()
                .and_then(|p| one(file, &format!("{at}.header_contains"), p, &[], &mut errors));
            let headings = spec
                .headings
                .iter()
                .enumerate()
                .filter_map(|(j, h)| {
                    let pattern = one(
                        file,
                        &format!("{at}.headings[{j}].pattern"),
                        &h.pattern,
                        &[],
                        &mut errors,
                    )?;
                    Some(Heading {
                        section: h.section,
                        pattern,
                        required: h.required,
                    })
                })
                .collect();
            layouts.push(Layout {
                id: spec.id.clone(),
                items: spec.items,
                header_contains,
                headings,
            });
        }
        let list = |key: &str, list: &[String], groups: &[&str], errors: &mut Vec<RuleError>| {
            compile_list(file, key, list, compile_exact, groups, errors)
        };
        let header_ends_at = list("header.ends_at", &f.header.ends_at, &[], &mut errors);
        let mut reviewer_sentences = Vec::new();
        for (i, s) in f.reviewer.sentences.iter().enumerate() {
            let groups: Vec<&str> = s.fields.iter().map(|g| g.group.as_str()).collect();
            let at = format!("reviewer.sentences[{i}].pattern");
            if let Some(re) = one(file, &at, &s.pattern, &groups, &mut errors) {
                reviewer_sentences.push((re, s.fields.clone()));
            }
        }
        let summary_preamble = list("summary_preamble", &f.summary_preamble, &[], &mut errors);
        let items = match &f.items {
            Some(w) => ItemMarks::compile(file, w, &mut errors),
            None => {
                errors.push(missing(file, "items"));
                None
            }
        };
        let partial = match &f.partial_authorization {
            Some(p) => PartialMarks::compile(file, p, &mut errors),
            None => {
                errors.push(missing(file, "partial_authorization"));
                None
            }
        };
        match (items, partial) {
            (Some(items), Some(partial)) if errors.is_empty() => Ok(Layouts {
                layouts,
                header_ends_at,
                header_fields: f.header.fields,
                reviewer_sections: f.reviewer.sections,
                reviewer_fields: f.reviewer.fields,
                reviewer_sentences,
                summary_preamble,
                items,
                partial,
            }),
            _ => Err(errors),
        }
    }

    /// The ids of the layouts, in the order they are tried.
    pub fn ids(&self) -> Vec<&str> {
        self.layouts.iter().map(|l| l.id.as_str()).collect()
    }
}

/// One pattern at `key`, compiled exactly as written and holding `groups`.
fn one(
    file: &RuleFile,
    key: &str,
    pattern: &str,
    groups: &[&str],
    errors: &mut Vec<RuleError>,
) -> Option<Regex> {
    let before = errors.len();
    let mut out = compile_list(file, key, [pattern], compile_exact, groups, errors);
    // `compile_list` names the entry `key[0]`; a single pattern's error belongs at `key`.
    for e in &mut errors[before..] {
        *e = file.error(key, e.message.clone(), e.help.clone());
    }
    out.pop()
}

/// A vocabulary value as the file writes it.
fn kebab<T: Serialize>(value: &T) -> String {
    serde_yaml::to_string(value)
        .unwrap_or_default()
        .trim()
        .to_string()
}

impl super::Knowledge for LayoutsFile {
    const KIND: &'static str = "layouts";
    type Compiled = Layouts;

    /// A layout added later is more specific than the built-in ones it extends: it is tried first.
    fn placement(list: &str) -> super::overlay::Placement {
        if list == "layouts" {
            super::overlay::Placement::Prepend
        } else {
            super::overlay::Placement::Append
        }
    }

    fn compile(self, file: &RuleFile) -> Result<Layouts, Vec<RuleError>> {
        Layouts::compile(file, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = include_str!("../../rules/layouts.yaml");

    fn compile(text: &str) -> Result<Layouts, Vec<RuleError>> {
        let file = RuleFile::new("layouts.yaml", text);
        Layouts::compile(&file, file.parse().map_err(|e| vec![e])?)
    }

    #[test]
    fn the_built_in_layouts_compile() {
        let l = compile(FILE).unwrap();
        assert_eq!(l.ids(), ["professional-review", "maximus", "2016", "2014"]);
        assert!(l.items.decision_label.is_match(": Upheld"));
        assert!(!l.items.decision_label.is_match(": upheld"));
    }

    #[test]
    fn a_decision_label_without_its_groups_is_refused_at_its_place() {
        let text = FILE.replace("(?P<upheld>Upheld|UPHELD)", "(?:Upheld|UPHELD)");
        let errors = compile(&text).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("no group `upheld`"));
        assert!(errors[0].at.is_some());
    }

    #[test]
    fn a_listed_layout_needs_a_decisions_heading() {
        let text = FILE.replace(
            "{section: decisions, pattern: 'IMR DECISION\\(S\\) AND RATIONALE\\(S\\)', required: true}",
            "{section: summary, pattern: 'IMR DECISION\\(S\\) AND RATIONALE\\(S\\)', required: true}",
        );
        assert_ne!(text, FILE);
        let errors = compile(&text).unwrap_err();
        assert!(
            errors[0].message.contains("has no `decisions` heading"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_later_file_adds_a_layout_tried_first() {
        use super::super::{Knowledge, overlay};
        let base = RuleFile::new("a", FILE);
        let later = RuleFile::new(
            "b",
            "layouts:\n  - id: plain\n    items: listed\n    headings:\n      - {section: decisions, pattern: 'DECISIONS', required: true}\n",
        );
        let mut errors = Vec::new();
        let read = overlay::read_as_one::<LayoutsFile>(
            &[&base, &later],
            &LayoutsFile::placement,
            &mut errors,
        )
        .unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let merged = read.value;
        assert_eq!(merged.layouts[0].id, "plain");
        assert_eq!(merged.layouts.len(), 5);
        assert!(merged.items.is_some(), "the built-in item wording is kept");
    }
}
