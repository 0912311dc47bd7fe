//! Reports: a checked letter as JSON (`imrlint/check/v1`), one concise line per finding, or
//! miette diagnostics pointing into the letter.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};
use serde_json::{Value, json};

use crate::check::{Checked, Finding, Kind, Severity};
use crate::facts::Facts;
use crate::rules::RuleSet;

pub mod html;
mod lines;
mod sarif;

use lines::Junit;
pub use lines::{csv, csv_header};
use sarif::Sarif;

const UNREADABLE_HELP: &str = "check that the file is an IMR determination letter (text or PDF)";

/// One letter's result, as the reports need it.
pub struct LetterResult {
    pub path: String,
    pub outcome: Outcome,
}

pub enum Outcome {
    Checked {
        text: Arc<String>,
        facts: Box<Facts>,
        checked: Checked,
    },
    /// The file could not be read as a letter: an `unreadable` error.
    Failed { kind: &'static str, message: String },
}

impl LetterResult {
    pub fn findings(&self) -> &[Finding] {
        match &self.outcome {
            Outcome::Checked { checked, .. } => &checked.findings,
            Outcome::Failed { .. } => &[],
        }
    }

    /// Every finding, with an unreadable file's failure as an `unreadable` finding.
    pub fn reported(&self) -> Vec<Finding> {
        match &self.outcome {
            Outcome::Checked { checked, .. } => checked.findings.clone(),
            Outcome::Failed { message, .. } => vec![Finding {
                kind: Kind::Unreadable,
                severity: Severity::Error,
                rule: None,
                reason: None,
                item: None,
                message: message.clone(),
                help: UNREADABLE_HELP.into(),
                labels: Vec::new(),
            }],
        }
    }

    /// The letter's text, when it was read.
    pub fn text(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Checked { text, .. } => Some(text.as_str()),
            Outcome::Failed { .. } => None,
        }
    }

    /// The highest severity in the result (an unreadable letter counts as an error).
    pub fn worst(&self) -> Option<Severity> {
        match &self.outcome {
            Outcome::Failed { .. } => Some(Severity::Error),
            Outcome::Checked { checked, .. } => checked.findings.iter().map(|f| f.severity).max(),
        }
    }
}

/// What a run found so far: the JSON summary and the human report's last line.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    pub files: usize,
    pub items: usize,
    /// Items no rule covers: nothing about them was checked.
    pub unchecked: usize,
    /// By severity: note, warning, error.
    pub findings: [usize; 3],
}

impl Counts {
    pub fn add(&mut self, r: &LetterResult) {
        self.files += 1;
        if let Outcome::Checked { facts, checked, .. } = &r.outcome {
            self.items += facts.items.len();
            self.unchecked += checked.items.iter().filter(|i| i.unchecked()).count();
        }
        for f in r.reported() {
            self.findings[f.severity as usize] += 1;
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "files": self.files,
            "items": self.items,
            "unchecked": self.unchecked,
            "findings": {
                "error": self.findings[Severity::Error as usize],
                "warning": self.findings[Severity::Warning as usize],
                "note": self.findings[Severity::Note as usize],
            },
        })
    }

    /// `3 letters, 5 items: 0 errors, 1 warning, 4 notes`, with `(1 unchecked: no rule)` after
    /// the items when some are.
    pub fn line(&self) -> String {
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let unchecked = if self.unchecked > 0 {
            format!(" ({} unchecked: no rule)", self.unchecked)
        } else {
            String::new()
        };
        format!(
            "{}, {}{unchecked}: {}, {}, {}\n",
            count(self.files, "letter", "letters"),
            count(self.items, "item", "items"),
            count(self.findings[Severity::Error as usize], "error", "errors"),
            count(
                self.findings[Severity::Warning as usize],
                "warning",
                "warnings"
            ),
            count(self.findings[Severity::Note as usize], "note", "notes"),
        )
    }
}

/// How `check` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Concise,
    Json,
    Jsonl,
    Sarif,
    Github,
    Junit,
    Csv,
}

impl Format {
    /// Every format: its name on the command line and in settings, and what it is for.
    pub const ALL: [(Format, &'static str, &'static str); 8] = [
        (
            Format::Human,
            "human",
            "miette diagnostics pointing into each letter",
        ),
        (
            Format::Concise,
            "concise",
            "one line per finding: `path:line:col: severity code message`",
        ),
        (Format::Json, "json", "the `imrlint/check/v1` document"),
        (
            Format::Jsonl,
            "jsonl",
            "one `imrlint/check/v1` file object per line",
        ),
        (
            Format::Sarif,
            "sarif",
            "SARIF 2.1.0, for code-scanning dashboards",
        ),
        (
            Format::Github,
            "github",
            "GitHub Actions workflow commands (annotations)",
        ),
        (Format::Junit, "junit", "JUnit XML: a test case per letter"),
        (Format::Csv, "csv", "CSV: a row per finding"),
    ];

    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .iter()
            .find(|(_, n, _)| *n == name)
            .map(|(f, _, _)| *f)
    }
}

/// One report format: what it writes before the first letter, for each letter as it comes, and
/// after the last (what only the whole run knows: summaries, SARIF rules, the JUnit suite).
trait Emitter {
    fn begin(&mut self) -> Result<String, String> {
        Ok(String::new())
    }
    /// A letter's part; `counts` already include it.
    fn letter(&mut self, r: &LetterResult, counts: &Counts) -> Result<String, String>;
    fn end(self: Box<Self>, _counts: &Counts) -> Result<String, String> {
        Ok(String::new())
    }
}

struct HumanEmitter(GraphicalReportHandler);

impl Emitter for HumanEmitter {
    fn letter(&mut self, r: &LetterResult, _: &Counts) -> Result<String, String> {
        Ok(human(r, &self.0))
    }
    fn end(self: Box<Self>, counts: &Counts) -> Result<String, String> {
        Ok(counts.line())
    }
}

struct ConciseEmitter;

impl Emitter for ConciseEmitter {
    fn letter(&mut self, r: &LetterResult, _: &Counts) -> Result<String, String> {
        Ok(concise(r))
    }
}

struct GithubEmitter;

impl Emitter for GithubEmitter {
    fn letter(&mut self, r: &LetterResult, _: &Counts) -> Result<String, String> {
        Ok(lines::github(r))
    }
}

struct CsvEmitter;

impl Emitter for CsvEmitter {
    fn begin(&mut self) -> Result<String, String> {
        lines::csv_header()
    }
    fn letter(&mut self, r: &LetterResult, _: &Counts) -> Result<String, String> {
        lines::csv(r)
    }
}

struct JsonlEmitter;

impl Emitter for JsonlEmitter {
    fn letter(&mut self, r: &LetterResult, _: &Counts) -> Result<String, String> {
        Ok(format!("{}\n", file_json(r)))
    }
}

/// The JSON document, written a file at a time: `files` first, the summary at the end.
struct JsonEmitter;

impl Emitter for JsonEmitter {
    fn begin(&mut self) -> Result<String, String> {
        Ok("{\n  \"files\": [".into())
    }
    fn letter(&mut self, r: &LetterResult, counts: &Counts) -> Result<String, String> {
        let pretty = format!("{:#}", file_json(r));
        let indented: Vec<String> = pretty.lines().map(|l| format!("    {l}")).collect();
        let first = counts.files == 1;
        Ok(format!(
            "{}\n{}",
            if first { "" } else { "," },
            indented.join("\n")
        ))
    }
    fn end(self: Box<Self>, counts: &Counts) -> Result<String, String> {
        let summary = format!("{:#}", counts.json()).replace('\n', "\n  ");
        let close = if counts.files == 0 { "]" } else { "\n  ]" };
        Ok(format!(
            "{close},\n  \"schema\": \"imrlint/check/v1\",\n  \"summary\": {summary}\n}}\n"
        ))
    }
}

struct SarifEmitter<'r> {
    sarif: Sarif,
    rules: &'r RuleSet,
}

impl Emitter for SarifEmitter<'_> {
    fn letter(&mut self, r: &LetterResult, _: &Counts) -> Result<String, String> {
        self.sarif.add(r, self.rules).map(|()| String::new())
    }
    fn end(self: Box<Self>, _: &Counts) -> Result<String, String> {
        self.sarif.finish()
    }
}

struct JunitEmitter(Junit);

impl Emitter for JunitEmitter {
    fn letter(&mut self, r: &LetterResult, _: &Counts) -> Result<String, String> {
        self.0.add(r);
        Ok(String::new())
    }
    fn end(self: Box<Self>, _: &Counts) -> Result<String, String> {
        self.0.finish()
    }
}

/// A report written as the letters come: each letter's part as soon as it is checked, and what
/// only the whole run knows at the end.
pub struct Reporter<'r> {
    emitter: Box<dyn Emitter + 'r>,
    counts: Counts,
}

impl<'r> Reporter<'r> {
    pub fn new(format: Format, rules: &'r RuleSet, color: bool, fail_at: Option<Severity>) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        let emitter: Box<dyn Emitter + 'r> = match format {
            Format::Human => Box::new(HumanEmitter(GraphicalReportHandler::new_themed(theme))),
            Format::Concise => Box::new(ConciseEmitter),
            Format::Json => Box::new(JsonEmitter),
            Format::Jsonl => Box::new(JsonlEmitter),
            Format::Sarif => Box::new(SarifEmitter {
                sarif: Sarif::default(),
                rules,
            }),
            Format::Github => Box::new(GithubEmitter),
            Format::Junit => Box::new(JunitEmitter(Junit::new(fail_at))),
            Format::Csv => Box::new(CsvEmitter),
        };
        Reporter {
            emitter,
            counts: Counts::default(),
        }
    }

    /// What comes before the first letter.
    pub fn begin(&mut self) -> Result<String, String> {
        self.emitter.begin()
    }

    /// A letter's part of the report.
    pub fn letter(&mut self, r: &LetterResult) -> Result<String, String> {
        self.counts.add(r);
        self.emitter.letter(r, &self.counts)
    }

    /// What comes after the last letter.
    pub fn end(self) -> Result<String, String> {
        self.emitter.end(&self.counts)
    }
}

/// One file of the JSON document; also one line of `jsonl`.
pub fn file_json(r: &LetterResult) -> Value {
    match &r.outcome {
        Outcome::Failed { kind, message } => json!({
            "path": r.path,
            "status": "error",
            "error": {"kind": kind, "message": message},
            "items": [],
            "findings": [{
                "kind": "unreadable", "severity": "error", "rule": null, "reason": null, "item": null,
                "message": message, "help": UNREADABLE_HELP,
                "line": null, "column": null, "labels": [],
            }],
        }),
        Outcome::Checked { facts, checked, .. } => {
            let items: Vec<Value> = facts
                .items
                .iter()
                .zip(&checked.items)
                .map(|(f, c)| {
                    let reviewer = f.guideline.reviewer.as_ref();
                    let first = reviewer.and_then(|l| l.citations.first());
                    json!({
                        "index": f.index,
                        "treatment": f.treatment.value,
                        "category": f.category,
                        "decision": f.decision.value,
                        "drug": f.drug.as_ref().map(|d| json!({"name": d.name, "class": d.class})),
                        "request": {
                            "strength": f.request.strength.as_ref().map(|s| &s.value),
                            "quantity": f.request.quantity.as_ref().map(|s| s.value),
                            "frequency": f.request.frequency.as_ref().map(|s| &s.text),
                            "refills": f.request.refills.as_ref().map(|s| s.value),
                            "sessions": f.request.sessions.as_ref().map(|s| s.value),
                        },
                        "guideline": first.map(|c| json!({
                            "document": c.document,
                            "topics": c.topics.iter().map(|t| &t.value).collect::<Vec<_>>(),
                            "pages": c.pages.iter().map(|p| &p.value).collect::<Vec<_>>(),
                        })),
                        "reasons": c.reasons.iter().map(|r| json!({
                            "reason": r.reason, "rule": r.rule, "role": r.role.id(),
                            "applies": r.applies, "cited": r.cited,
                        })).collect::<Vec<_>>(),
                        "unread_grounds": c.unread_grounds.iter().map(|g| json!({
                            "line": g.span.line, "column": g.span.column, "text": g.text,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            json!({
                "path": r.path,
                "status": "ok",
                "layout": facts.layout,
                "items": items,
                "findings": checked.findings.iter().map(finding_json).collect::<Vec<_>>(),
            })
        }
    }
}

fn finding_json(f: &Finding) -> Value {
    let first = f.labels.first();
    json!({
        "kind": f.kind,
        "severity": f.severity,
        "rule": f.rule,
        "reason": f.reason,
        "item": f.item,
        "message": f.message,
        "help": f.help,
        "line": first.map(|l| l.span.line),
        "column": first.map(|l| l.span.column),
        "labels": f.labels,
    })
}

/// `path:line:col: severity code message`, one line per finding of a letter.
pub fn concise(r: &LetterResult) -> String {
    let mut out = String::new();
    for f in r.reported() {
        let (line, column) = f
            .labels
            .first()
            .map_or((1, 1), |l| (l.span.line, l.span.column));
        out.push_str(&format!(
            "{}:{line}:{column}: {} {} {}\n",
            r.path,
            f.severity.id(),
            f.code(),
            f.message
        ));
    }
    out
}

/// A finding as a miette diagnostic over the letter's text.
#[derive(Debug)]
pub struct FindingDiagnostic {
    pub finding: Finding,
    pub source: NamedSource<Arc<String>>,
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let item = self
            .finding
            .item
            .map(|i| format!("item {i}: "))
            .unwrap_or_default();
        write!(f, "{item}{}", self.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.code()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.help))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.finding.labels.iter().map(|l| {
            LabeledSpan::new_with_span(
                Some(l.text.clone()),
                SourceSpan::new(l.span.start.0.into(), l.span.range().len()),
            )
        })))
    }
}

/// A letter's findings as miette diagnostics.
pub fn human(r: &LetterResult, handler: &GraphicalReportHandler) -> String {
    let mut out = String::new();
    match &r.outcome {
        Outcome::Failed { message, .. } => {
            out.push_str(&format!("error[unreadable]: {}: {message}\n\n", r.path))
        }
        Outcome::Checked { text, checked, .. } => {
            for f in &checked.findings {
                let d = FindingDiagnostic {
                    finding: f.clone(),
                    source: NamedSource::new(r.path.clone(), text.clone()),
                };
                let _ = handler.render_report(&mut out, &d);
                out.push('\n');
            }
        }
    }
    out
}

/// Per letter, item and rule: whether the rule applies, and per reason its condition's value and
/// whether the rationale cites it. For rule authors asking why a finding did or did not appear.
pub fn trace(r: &LetterResult) -> String {
    let mut out = String::new();
    let Outcome::Checked { facts, checked, .. } = &r.outcome else {
        return out;
    };
    out.push_str(&format!("{}\n", r.path));
    for (f, item) in facts.items.iter().zip(&checked.items) {
        out.push_str(&format!(
            "  item {} {:?} ({}, {})\n",
            item.index,
            f.treatment.value,
            f.category,
            f.decision.value.id()
        ));
        let shown = |v: &Option<bool>| v.map_or("unknown".to_string(), |b| b.to_string());
        if !item.definitions.is_empty() {
            let values: Vec<String> = item
                .definitions
                .iter()
                .map(|(name, v)| format!("{name} = {v}"))
                .collect();
            out.push_str(&format!("    definitions: {}\n", values.join(", ")));
        }
        for e in &item.errors {
            out.push_str(&format!(
                "    error: {} failed, counted as unknown: {}\n",
                e.condition, e.message
            ));
        }
        for g in &item.unread_grounds {
            out.push_str(&format!(
                "    unread ground (line {}), so no reason is said to be missing: {}\n",
                g.span.line, g.text
            ));
        }
        let because = |facts: &[String]| match facts {
            [] => String::new(),
            facts => format!(" (null: {})", facts.join(", ")),
        };
        for (rule, applies, null) in &item.rules {
            let v = match applies {
                Some(true) => "applies".to_string(),
                Some(false) => "does not apply".to_string(),
                None => format!("unknown (a fact it needs is missing){}", because(null)),
            };
            out.push_str(&format!("    {rule}: {v}\n"));
            for reason in item.reasons.iter().filter(|x| &x.rule == rule) {
                out.push_str(&format!(
                    "      {} ({}): when = {}{}, cited = {}; {}\n",
                    reason.reason,
                    reason.role.id(),
                    shown(&reason.applies),
                    because(&reason.unknown_because),
                    reason.cited,
                    reason.message
                ));
                if let Some(by) = &reason.cited_by {
                    out.push_str(&format!("        cited by {by}\n"));
                }
            }
        }
    }
    out
}
