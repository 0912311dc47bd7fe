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
    /// By severity: note, warning, error.
    pub findings: [usize; 3],
}

impl Counts {
    pub fn add(&mut self, r: &LetterResult) {
        self.files += 1;
        if let Outcome::Checked { facts, .. } = &r.outcome {
            self.items += facts.items.len();
        }
        for f in r.reported() {
            self.findings[f.severity as usize] += 1;
        }
    }

    pub fn json(&self) -> Value {
        json!({
            "files": self.files,
            "items": self.items,
            "findings": {
                "error": self.findings[Severity::Error as usize],
                "warning": self.findings[Severity::Warning as usize],
                "note": self.findings[Severity::Note as usize],
            },
        })
    }

    /// `3 letters, 5 items: 0 errors, 1 warning, 4 notes`
    pub fn line(&self) -> String {
        let count =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        format!(
            "{}, {}: {}, {}, {}\n",
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// miette diagnostics pointing into each letter.
    Human,
    /// One line per finding: `path:line:col: severity code message`.
    Concise,
    /// The `imrlint/check/v1` document.
    Json,
    /// One `imrlint/check/v1` file object per line.
    Jsonl,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML: a test case per letter.
    Junit,
    /// CSV: a row per finding.
    Csv,
}

/// A report written as the letters come: each letter's part as soon as it is checked, and what
/// only the whole run knows (summaries, SARIF rules, the JUnit suite) at the end.
pub struct Reporter<'r> {
    format: Format,
    rules: &'r RuleSet,
    handler: GraphicalReportHandler,
    counts: Counts,
    sarif: Sarif,
    junit: Junit,
}

impl<'r> Reporter<'r> {
    pub fn new(format: Format, rules: &'r RuleSet, color: bool, fail_at: Option<Severity>) -> Self {
        let theme = if color {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Reporter {
            format,
            rules,
            handler: GraphicalReportHandler::new_themed(theme),
            counts: Counts::default(),
            sarif: Sarif::default(),
            junit: Junit::new(fail_at),
        }
    }

    /// What comes before the first letter.
    pub fn begin(&self) -> Result<String, String> {
        match self.format {
            Format::Csv => lines::csv_header(),
            Format::Json => Ok("{\n  \"files\": [".into()),
            _ => Ok(String::new()),
        }
    }

    /// A letter's part of the report.
    pub fn letter(&mut self, r: &LetterResult) -> Result<String, String> {
        let first = self.counts.files == 0;
        self.counts.add(r);
        match self.format {
            Format::Human => Ok(human(r, &self.handler)),
            Format::Concise => Ok(concise(r)),
            Format::Github => Ok(lines::github(r)),
            Format::Csv => lines::csv(r),
            Format::Jsonl => Ok(format!("{}\n", file_json(r))),
            Format::Json => {
                let pretty = format!("{:#}", file_json(r));
                let indented: Vec<String> = pretty.lines().map(|l| format!("    {l}")).collect();
                Ok(format!(
                    "{}\n{}",
                    if first { "" } else { "," },
                    indented.join("\n")
                ))
            }
            Format::Sarif => self.sarif.add(r, self.rules).map(|()| String::new()),
            Format::Junit => {
                self.junit.add(r);
                Ok(String::new())
            }
        }
    }

    /// What comes after the last letter.
    pub fn end(self) -> Result<String, String> {
        match self.format {
            Format::Human => Ok(self.counts.line()),
            Format::Json => {
                let summary = format!("{:#}", self.counts.json()).replace('\n', "\n  ");
                let close = if self.counts.files == 0 { "]" } else { "\n  ]" };
                Ok(format!(
                    "{close},\n  \"schema\": \"imrlint/check/v1\",\n  \"summary\": {summary}\n}}\n"
                ))
            }
            Format::Sarif => self.sarif.finish(),
            Format::Junit => self.junit.finish(),
            _ => Ok(String::new()),
        }
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
                SourceSpan::new(l.span.start.into(), l.span.end - l.span.start),
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
                .map(|(name, v)| format!("{name} = {}", shown(v)))
                .collect();
            out.push_str(&format!("    definitions: {}\n", values.join(", ")));
        }
        for (rule, applies) in &item.rules {
            let v = match applies {
                Some(true) => "applies",
                Some(false) => "does not apply",
                None => "unknown (a fact it needs is missing)",
            };
            out.push_str(&format!("    {rule}: {v}\n"));
            for reason in item.reasons.iter().filter(|x| &x.rule == rule) {
                out.push_str(&format!(
                    "      {} ({}): when = {}, cited = {}; {}\n",
                    reason.reason,
                    reason.role.id(),
                    shown(&reason.applies),
                    reason.cited,
                    reason.message
                ));
            }
        }
    }
    out
}
