//! SARIF 2.1.0, for code-scanning dashboards: one run, a reporting descriptor per finding code
//! (kind, rule and reason) with its help, and a result per finding with its region in the letter.

use std::collections::BTreeMap;

use serde_sarif::sarif::{
    ArtifactLocationBuilder, LocationBuilder, MessageBuilder, MultiformatMessageStringBuilder,
    PhysicalLocationBuilder, RegionBuilder, ReportingDescriptor, ReportingDescriptorBuilder,
    ResultBuilder, RunBuilder, SarifBuilder, ToolBuilder, ToolComponentBuilder,
};

use super::LetterResult;
use crate::check::{Finding, Label, Severity};
use crate::rules::RuleSet;

/// The SARIF log of a run, gathered letter by letter: its results, and a reporting descriptor
/// for each finding code they use.
#[derive(Default)]
pub struct Sarif {
    descriptors: BTreeMap<String, ReportingDescriptor>,
    results: Vec<serde_sarif::sarif::Result>,
}

impl Sarif {
    pub fn add(&mut self, r: &LetterResult, rules: &RuleSet) -> Result<(), String> {
        for f in r.reported() {
            let code = f.code();
            if !self.descriptors.contains_key(&code) {
                self.descriptors
                    .insert(code.clone(), descriptor(&f, rules)?);
            }
            self.results.push(result(&code, r, &f)?);
        }
        Ok(())
    }

    pub fn finish(self) -> Result<String, String> {
        let index: BTreeMap<&String, i64> = self.descriptors.keys().zip(0..).collect();
        let mut results = self.results;
        for r in &mut results {
            r.rule_index = r.rule_id.as_ref().and_then(|id| index.get(id)).copied();
        }
        let driver = ToolComponentBuilder::default()
            .name("imrlint")
            .version(env!("CARGO_PKG_VERSION"))
            .rules(self.descriptors.into_values().collect::<Vec<_>>())
            .build()
            .map_err(|e| e.to_string())?;
        let run = RunBuilder::default()
            .tool(
                ToolBuilder::default()
                    .driver(driver)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .column_kind(serde_json::json!("unicodeCodePoints"))
            .results(results)
            .build()
            .map_err(|e| e.to_string())?;
        let log = SarifBuilder::default()
            .schema("https://json.schemastore.org/sarif-2.1.0.json")
            .version(serde_json::json!("2.1.0"))
            .runs(vec![run])
            .build()
            .map_err(|e| e.to_string())?;
        serde_json::to_string_pretty(&log)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string())
    }
}

/// The rule behind a finding code: the reason's title and the rule's description when a rule
/// raised it, else what the kind means.
fn descriptor(f: &Finding, rules: &RuleSet) -> Result<ReportingDescriptor, String> {
    let rule = f
        .rule
        .as_ref()
        .and_then(|id| rules.rules.iter().find(|r| &r.rule.id == id));
    let reason = f
        .reason
        .as_ref()
        .and_then(|id| rules.reasons.index(id))
        .map(|i| rules.reasons.get(i));
    let short = match reason {
        Some(reason) => format!("{}: {}", f.kind.description(), reason.title),
        None => f.kind.description().to_string(),
    };
    let full = match rule {
        Some(rule) => format!(
            "{} ({})",
            rule.rule.title,
            rule.rule.description.as_deref().unwrap_or("").trim()
        ),
        None => short.clone(),
    };
    let text = |s: String| {
        MultiformatMessageStringBuilder::default()
            .text(s)
            .build()
            .map_err(|e| e.to_string())
    };
    let mut descriptor = ReportingDescriptorBuilder::default();
    // A name equal to the id is to be left out.
    let name = pascal_case(f.kind.id());
    if !name.eq_ignore_ascii_case(&f.code()) {
        descriptor.name(name);
    }
    descriptor
        .id(f.code())
        .short_description(text(short)?)
        .full_description(text(full)?)
        .help(text(format!(
            "{} Run `imrlint explain {}` for the rule's criteria.",
            f.help,
            f.rule.as_deref().unwrap_or(f.kind.id())
        ))?);
    descriptor.build().map_err(|e| e.to_string())
}

/// `missing-reason` as `MissingReason`: SARIF wants a rule's name to be readable and to differ
/// from its id.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn result(code: &str, r: &LetterResult, f: &Finding) -> Result<serde_sarif::sarif::Result, String> {
    let location = |label: Option<&Label>| {
        let mut physical = PhysicalLocationBuilder::default();
        physical.artifact_location(
            ArtifactLocationBuilder::default()
                .uri(uri(&r.path))
                .build()
                .map_err(|e| e.to_string())?,
        );
        if let (Some(label), Some(text)) = (label, r.text()) {
            physical.region(region(text, label)?);
        }
        let mut location = LocationBuilder::default();
        location.physical_location(physical.build().map_err(|e| e.to_string())?);
        if let Some(label) = label {
            location.message(
                MessageBuilder::default()
                    .text(label.text.clone())
                    .build()
                    .map_err(|e| e.to_string())?,
            );
        }
        location.build().map_err(|e| e.to_string())
    };
    let related = f
        .labels
        .iter()
        .skip(1)
        .map(|l| location(Some(l)))
        .collect::<Result<Vec<_>, String>>()?;
    let mut result = ResultBuilder::default();
    result
        .rule_id(code)
        .level(serde_json::json!(match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }))
        .message(
            MessageBuilder::default()
                .text(f.message.clone())
                .build()
                .map_err(|e| e.to_string())?,
        )
        .locations(vec![location(f.labels.first())?]);
    if !related.is_empty() {
        result.related_locations(related);
    }
    result.build().map_err(|e| e.to_string())
}

/// A path as a URI reference: forward slashes, spaces and other reserved bytes escaped; an
/// absolute path as a `file://` URI.
fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let mut out = String::with_capacity(path.len() + 7);
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// The label's region: lines from 1, columns in characters from 1, the end exclusive.
fn region(text: &str, label: &Label) -> Result<serde_sarif::sarif::Region, String> {
    let at = |offset: usize| {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        (line as i64, column as i64)
    };
    let (start_line, start_column) = at(label.span.start.0);
    let (end_line, end_column) = at(label.span.end.max(label.span.start).0);
    RegionBuilder::default()
        .start_line(start_line)
        .start_column(start_column)
        .end_line(end_line)
        .end_column(end_column)
        .build()
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("cases/seed-000.txt"), "cases/seed-000.txt");
        assert_eq!(uri("my letters\\a#1.txt"), "my%20letters/a%231.txt");
        assert_eq!(uri("/tmp/a.txt"), "file:///tmp/a.txt");
    }

    #[test]
    fn rule_names_are_pascal_case() {
        assert_eq!(pascal_case("missing-reason"), "MissingReason");
    }
}
