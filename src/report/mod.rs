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

mod lines;
mod sarif;

pub use lines::{csv, github, junit};
pub use sarif::sarif;

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

/// The `imrlint/check/v1` document for a run.
pub fn json(results: &[LetterResult]) -> Value {
    let mut counts = [0usize; 3];
    let mut items = 0;
    let files: Vec<Value> = results
        .iter()
        .map(|r| {
            let value = file_json(r);
            items += value["items"].as_array().map_or(0, Vec::len);
            for f in r.findings() {
                counts[f.severity as usize] += 1;
            }
            if matches!(r.outcome, Outcome::Failed { .. }) {
                counts[Severity::Error as usize] += 1;
            }
            value
        })
        .collect();
    json!({
        "schema": "imrlint/check/v1",
        "files": files,
        "summary": {
            "files": results.len(),
            "items": items,
            "findings": {"error": counts[2], "warning": counts[1], "note": counts[0]},
        },
    })
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

/// `path:line:col: severity kind[rule/reason] message`, one line per finding.
pub fn concise(results: &[LetterResult]) -> String {
    let mut out = String::new();
    for r in results {
        if let Outcome::Failed { message, .. } = &r.outcome {
            out.push_str(&format!("{}:1:1: error unreadable {message}\n", r.path));
        }
        for f in r.findings() {
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

/// The human report: every finding as a miette diagnostic, then a summary line.
pub fn human(results: &[LetterResult], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme);
    let mut out = String::new();
    for r in results {
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
    }
    let v = json(results);
    let s = &v["summary"];
    let count = |n: &serde_json::Value, one: &str, many: &str| {
        let n = n.as_u64().unwrap_or(0);
        format!("{n} {}", if n == 1 { one } else { many })
    };
    out.push_str(&format!(
        "{}, {}: {}, {}, {}\n",
        count(&s["files"], "letter", "letters"),
        count(&s["items"], "item", "items"),
        count(&s["findings"]["error"], "error", "errors"),
        count(&s["findings"]["warning"], "warning", "warnings"),
        count(&s["findings"]["note"], "note", "notes"),
    ));
    out
}

/// Per letter, item and rule: whether the rule applies, and per reason its condition's value and
/// whether the rationale cites it. For rule authors asking why a finding did or did not appear.
pub fn trace(results: &[LetterResult]) -> String {
    let mut out = String::new();
    for r in results {
        let Outcome::Checked { facts, checked, .. } = &r.outcome else {
            continue;
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
    }
    out
}
