//! `rules/guidelines.yaml`: guideline documents, their editions, chapters and topics.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use regex::Regex;

use super::patterns::{PatternSet, compile_as_written, compile_list, named_patterns};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuidelinesFile {
    /// How letters write a guideline line and the pages they cite.
    #[serde(default)]
    pub citation_line: CitationLineWording,
    /// Who issues the documents.
    #[serde(default)]
    pub authorities: Vec<AuthorityEntry>,
    /// Stages of care a topic may be written for (`Topic::stage`).
    #[serde(default)]
    pub stages: Vec<Stage>,
    pub documents: Vec<Document>,
}

/// A stage of care that begins some weeks after the injury: a criterion written for it does not
/// fit a request made earlier, where the guidance for the earlier stage decides.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub id: String,
    /// How findings name it ('chronic pain').
    pub title: String,
    /// What it is, as findings say it ('pain lasting 3 months or more').
    pub definition: String,
    /// Weeks from the injury at which the stage begins.
    pub from_weeks: u32,
    /// What the reviewer should do instead, as the finding's help says it.
    pub help: String,
}

/// The stage of care a topic's criteria are written for.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicStage {
    /// An id of `stages`.
    pub written_for: String,
    /// What the guidance for the earlier stages addresses. An item it does not address is left
    /// unchecked: nothing but this topic may decide it.
    pub earlier_guidance: EarlierGuidance,
}

/// Items the guidance for an earlier stage of care addresses.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EarlierGuidance {
    /// Which items, as a topic's `covers` says.
    pub covers: Covers,
    /// Of which body parts (ids of anatomy.yaml), when the guidance is in the body parts'
    /// chapters; empty for every body part.
    #[serde(default)]
    pub body_parts: Vec<String>,
}

/// How letters write a guideline line (`Decision based on Non-MTUS Citation ...`, `Section(s):
/// ...`, `did not cite any medical evidence`) and cite pages anywhere: patterns used exactly as
/// written, case-insensitive.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CitationLineWording {
    /// The reviewer cited no medical evidence.
    #[serde(default)]
    pub no_evidence: Vec<String>,
    /// Each citation of a line begins after one of these.
    #[serde(default)]
    pub decision_based_on: Vec<String>,
    /// A citation outside the MTUS (at the start of a citation).
    #[serde(default)]
    pub non_mtus: Vec<String>,
    /// The section names of a citation follow one of these.
    #[serde(default)]
    pub sections: Vec<String>,
    /// Pages cited: a group `list` of page numbers and ranges (`Page(s): 24, 63-66`).
    #[serde(default)]
    pub pages: Vec<String>,
}

/// The wording of guideline lines, compiled.
#[derive(Debug, Clone)]
pub struct CitationLine {
    pub no_evidence: Vec<Regex>,
    pub decision_based_on: Vec<Regex>,
    pub non_mtus: Vec<Regex>,
    pub sections: Vec<Regex>,
    pub pages: Vec<Regex>,
}

/// Who issues guideline documents.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorityEntry {
    pub id: String,
    pub title: String,
    /// The schedule itself, presumed correct in review (8 CCR 9792.21.1): a citation of one of
    /// its documents is an MTUS citation (`mtus: true` in the facts).
    #[serde(default)]
    pub binding: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    pub id: String,
    pub title: String,
    /// Who issues it: an id of `authorities`.
    pub authority: String,
    /// Regexes for how a citation names the document.
    pub names: Vec<String>,
    pub editions: Vec<Edition>,
    #[serde(default)]
    pub chapters: Vec<Chapter>,
    #[serde(default)]
    pub topics: Vec<Topic>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Edition {
    pub id: String,
    /// In force from this date (YYYY-MM-DD) until the next edition's, or `until`.
    #[schemars(with = "String")]
    pub effective: Date,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub until: Option<Date>,
    pub cites_by: CitesBy,
    /// Regexes that name this edition explicitly in a citation ('2016').
    #[serde(default)]
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CitesBy {
    Page,
    Section,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chapter {
    pub id: String,
    pub title: String,
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub chapter: Option<String>,
    /// Regexes for how letters name the topic or section.
    pub names: Vec<String>,
    /// Pages of the page-cited edition: '24' or '63-66'.
    #[serde(default)]
    pub pages: Vec<String>,
    /// Whether the pages were checked against the guideline's text.
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub covers: Option<Covers>,
    /// The stage of care its criteria are written for, when they are not for every stage.
    #[serde(default)]
    pub stage: Option<TopicStage>,
}

/// What a topic is about, to tell whether it fits a disputed item.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Covers {
    #[serde(default)]
    pub classes: Vec<String>,
    #[serde(default)]
    pub drugs: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
}

/// A guideline document of the rule set, by its place in `guidelines.yaml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DocumentId(pub usize);

/// A topic of one document, by its place in the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(pub usize);

/// A compiled document: its topics, chapters and edition names as pattern sets.
#[derive(Debug, Clone)]
pub struct CompiledDocument {
    pub doc: Document,
    pub topic_patterns: PatternSet,
    pub chapter_patterns: PatternSet,
    pub edition_patterns: PatternSet,
    /// Page ranges of each topic, parsed.
    pub topic_pages: Vec<Vec<(u32, u32)>>,
    /// Whether its authority is binding (the MTUS itself).
    pub binding: bool,
}

#[derive(Debug, Clone)]
pub struct Guidelines {
    pub documents: Vec<CompiledDocument>,
    pub document_names: PatternSet,
    pub line: CitationLine,
    pub stages: Vec<Stage>,
}

impl Guidelines {
    pub fn compile(file: &RuleFile, f: GuidelinesFile) -> Result<Guidelines, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut documents = Vec::new();
        let mut ids = std::collections::HashSet::new();
        for (d, doc) in f.documents.iter().enumerate() {
            let base = format!("documents[{d}]");
            if !ids.insert(doc.id.clone()) {
                errors.push(file.error(
                    &format!("{base}.id"),
                    format!("document `{}` is defined twice", doc.id),
                    None,
                ));
            }
            let authority = f.authorities.iter().find(|a| a.id == doc.authority);
            if authority.is_none() {
                errors.push(file.undeclared(
                    &format!("{base}.authority"),
                    ("authority", "authorities"),
                    &doc.authority,
                    f.authorities.iter().map(|a| a.id.as_str()),
                ));
            }
            if doc.editions.is_empty() {
                errors.push(
                    file.error(
                        &format!("{base}.editions"),
                        "a document needs at least one edition",
                        Some(
                            "add `editions: [{id: '2009', effective: 2009-07-18, cites_by: page}]`"
                                .into(),
                        ),
                    ),
                );
            }
            let mut topic_ids = std::collections::HashSet::new();
            let mut topic_pages = Vec::new();
            for (t, topic) in doc.topics.iter().enumerate() {
                let at = format!("{base}.topics[{t}]");
                if !topic_ids.insert(topic.id.as_str()) {
                    errors.push(file.error(
                        &format!("{at}.id"),
                        format!("topic `{}` is defined twice in `{}`", topic.id, doc.id),
                        None,
                    ));
                }
                if let Some(stage) = &topic.stage
                    && !f.stages.iter().any(|s| s.id == stage.written_for)
                {
                    errors.push(file.undeclared(
                        &format!("{at}.stage.written_for"),
                        ("stage", "stages"),
                        &stage.written_for,
                        f.stages.iter().map(|s| s.id.as_str()),
                    ));
                }
                if let Some(ch) = &topic.chapter
                    && !doc.chapters.iter().any(|c| &c.id == ch)
                {
                    errors.push(file.error(
                        &format!("{at}.chapter"),
                        format!("unknown chapter `{ch}` in `{}`", doc.id),
                        Some("name one of the document's `chapters` ids".into()),
                    ));
                }
                let mut pages = Vec::new();
                for (p, page) in topic.pages.iter().enumerate() {
                    match parse_page_range(page) {
                        Some(r) => pages.push(r),
                        None => errors.push(file.error(
                            &format!("{at}.pages[{p}]"),
                            format!("`{page}` is not a page or page range"),
                            Some("write a page as '24' and a range as '63-66'".into()),
                        )),
                    }
                }
                topic_pages.push(pages);
            }
            let (topics_key, chapters_key, editions_key) = (
                format!("{base}.topics"),
                format!("{base}.chapters"),
                format!("{base}.editions"),
            );
            let topics = PatternSet::compile(
                file,
                named_patterns(&topics_key, "names", doc.topics.iter().map(|t| &t.names)),
            );
            let chapters = PatternSet::compile(
                file,
                named_patterns(
                    &chapters_key,
                    "names",
                    doc.chapters.iter().map(|c| &c.names),
                ),
            );
            let editions = PatternSet::compile(
                file,
                named_patterns(
                    &editions_key,
                    "names",
                    doc.editions.iter().map(|e| &e.names),
                ),
            );
            match (topics, chapters, editions) {
                (Ok(topic_patterns), Ok(chapter_patterns), Ok(edition_patterns)) => {
                    documents.push(CompiledDocument {
                        doc: doc.clone(),
                        topic_patterns,
                        chapter_patterns,
                        edition_patterns,
                        topic_pages,
                        binding: authority.is_some_and(|a| a.binding),
                    })
                }
                (a, b, c) => {
                    errors.extend([a.err(), b.err(), c.err()].into_iter().flatten().flatten())
                }
            }
        }
        let document_names = PatternSet::compile(
            file,
            named_patterns("documents", "names", f.documents.iter().map(|d| &d.names)),
        );
        let wording = &f.citation_line;
        let mut list = |key: &str, patterns: &[String], groups: &[&str]| {
            let key = format!("citation_line.{key}");
            compile_list(
                file,
                &key,
                patterns,
                compile_as_written,
                groups,
                &mut errors,
            )
        };
        let line = CitationLine {
            no_evidence: list("no_evidence", &wording.no_evidence, &[]),
            decision_based_on: list("decision_based_on", &wording.decision_based_on, &[]),
            non_mtus: list("non_mtus", &wording.non_mtus, &[]),
            sections: list("sections", &wording.sections, &[]),
            pages: list("pages", &wording.pages, &["list"]),
        };
        match document_names {
            Ok(document_names) if errors.is_empty() => Ok(Guidelines {
                documents,
                document_names,
                line,
                stages: f.stages,
            }),
            Ok(_) => Err(errors),
            Err(e) => {
                errors.extend(e);
                Err(errors)
            }
        }
    }

    /// The document of an id.
    pub fn get(&self, document: DocumentId) -> &CompiledDocument {
        &self.documents[document.0]
    }

    pub fn document(&self, id: &str) -> Option<&CompiledDocument> {
        self.documents.iter().find(|d| d.doc.id == id)
    }

    /// The stage of care of an id (checked at load).
    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The ids of a document and one of its topics, or which of the two is unknown.
    pub fn resolve(
        &self,
        document: &str,
        topic: &str,
    ) -> Result<(DocumentId, TopicId), GuidelineMissing> {
        let d = self
            .documents
            .iter()
            .position(|d| d.doc.id == document)
            .ok_or(GuidelineMissing::Document)?;
        let t = self.documents[d]
            .doc
            .topics
            .iter()
            .position(|t| t.id == topic)
            .ok_or(GuidelineMissing::Topic)?;
        Ok((DocumentId(d), TopicId(t)))
    }
}

/// Which part of a guideline reference names nothing in guidelines.yaml.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuidelineMissing {
    Document,
    Topic,
}

impl CompiledDocument {
    /// The edition topics' `pages` belong to: the one cited by page, else (a book cited by
    /// section whose pages are still known) the first.
    fn paged_edition(&self) -> Option<&Edition> {
        let editions = &self.doc.editions;
        editions
            .iter()
            .find(|e| e.cites_by == CitesBy::Page)
            .or(editions.first())
    }

    /// The topic of an id.
    pub fn topic(&self, topic: TopicId) -> &Topic {
        &self.doc.topics[topic.0]
    }

    /// A topic's pages for a reader, with the edition they belong to: `2009 p. 63-66`.
    pub fn pages_label(&self, topic: TopicId) -> Option<String> {
        let pages = &self.topic(topic).pages;
        (!pages.is_empty()).then(|| match self.paged_edition() {
            Some(e) => format!("{} p. {}", e.id, pages.join(", ")),
            None => format!("p. {}", pages.join(", ")),
        })
    }

    /// The edition in force on a date.
    pub fn edition_on(&self, date: Date) -> Option<&Edition> {
        let eds = &self.doc.editions;
        eds.iter().enumerate().rev().find_map(|(i, e)| {
            let until = e.until.or_else(|| eds.get(i + 1).map(|n| n.effective));
            (e.effective <= date && until.is_none_or(|u| date < u)).then_some(e)
        })
    }
}

/// `24` or `63-66` (also with an en dash, folded to `-`).
pub fn parse_page_range(s: &str) -> Option<(u32, u32)> {
    let s = s.trim();
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
            (a <= b).then_some((a, b))
        }
        None => s.parse().ok().map(|p| (p, p)),
    }
}

impl super::Knowledge for GuidelinesFile {
    const KIND: &'static str = "guidelines";
    type Compiled = Guidelines;

    fn compile(self, file: &RuleFile) -> Result<Guidelines, Vec<RuleError>> {
        Guidelines::compile(file, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_and_ranges() {
        assert_eq!(parse_page_range("24"), Some((24, 24)));
        assert_eq!(parse_page_range("63-66"), Some((63, 66)));
        assert_eq!(parse_page_range("66-63"), None);
        assert_eq!(parse_page_range("x"), None);
    }

    #[test]
    fn edition_in_force() {
        let g = compile(
            r#"
authorities: [{id: mtus, title: MTUS, binding: true}]
documents:
  - id: cp
    title: Chronic Pain
    authority: mtus
    names: ['chronic pain']
    editions:
      - {id: '2009', effective: 2009-07-18, cites_by: page}
      - {id: '2016', effective: 2016-07-28, until: 2017-12-01, cites_by: section}
"#,
        )
        .unwrap();
        let d = &g.documents[0];
        let on = |s: &str| d.edition_on(s.parse().unwrap()).map(|e| e.id.as_str());
        assert_eq!(on("2014-04-21"), Some("2009"));
        assert_eq!(on("2016-12-21"), Some("2016"));
        assert_eq!(on("2018-01-02"), None);
        assert_eq!(on("2001-01-01"), None);
    }

    fn compile(yaml: &str) -> Result<Guidelines, Vec<RuleError>> {
        let file = RuleFile::new("g.yaml", yaml.to_string());
        Guidelines::compile(&file, file.parse().unwrap())
    }

    const TWO_DOCUMENTS: &str = r#"
authorities:
  - {id: mtus, title: MTUS, binding: true}
  - {id: acoem, title: ACOEM}
documents:
  - id: cp
    title: Chronic Pain
    authority: mtus
    names: ['chronic pain']
    editions:
      - {id: '2009', effective: 2009-07-18, cites_by: page}
      - {id: '2016', effective: 2016-07-28, cites_by: section}
    topics:
      - {id: benzodiazepines, title: Benzodiazepines, names: [benzodiazepines], pages: ['24']}
  - id: low-back
    title: Low Back
    authority: acoem
    names: ['low back']
    editions:
      - {id: '2004', effective: 2007-06-15, cites_by: section}
    topics:
      - {id: imaging, title: Special studies, names: [special studies], pages: ['303-305']}
"#;

    #[test]
    fn pages_are_labelled_with_the_edition_they_belong_to() {
        let g = compile(TWO_DOCUMENTS).unwrap();
        assert_eq!(
            g.documents[0].pages_label(TopicId(0)).as_deref(),
            Some("2009 p. 24")
        );
        // A book cited by section whose pages are known: its own edition, not another document's.
        assert_eq!(
            g.documents[1].pages_label(TopicId(0)).as_deref(),
            Some("2004 p. 303-305")
        );
    }

    #[test]
    fn authorities_are_declared_and_say_which_is_binding() {
        let g = compile(TWO_DOCUMENTS).unwrap();
        assert!(g.documents[0].binding);
        assert!(!g.documents[1].binding);
        let errors =
            compile(&TWO_DOCUMENTS.replace("authority: acoem", "authority: acoem-2")).unwrap_err();
        assert!(
            errors[0].to_string().contains("no authority `acoem-2`"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn a_topic_is_written_for_a_stage_the_file_declares() {
        let staged = TWO_DOCUMENTS
            .replace(
                "documents:\n",
                "stages:\n  - {id: late, title: late pain, definition: pain of months, from_weeks: 13, help: cite the early topic}\ndocuments:\n",
            )
            .replace(
                "pages: ['24']}",
                "pages: ['24'], stage: {written_for: late, earlier_guidance: {covers: {classes: [zorbanil-class]}}}}",
            );
        let g = compile(&staged).unwrap();
        let stage = g.documents[0].doc.topics[0].stage.as_ref().unwrap();
        assert_eq!(g.stage(&stage.written_for).unwrap().from_weeks, 13);
        let errors =
            compile(&staged.replace("written_for: late", "written_for: later")).unwrap_err();
        assert!(
            errors[0].to_string().contains("no stage `later`"),
            "{}",
            errors[0]
        );
    }
}
