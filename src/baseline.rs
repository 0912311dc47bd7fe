//! Baselines: the findings of an earlier run, so that a re-run over a batch shows only what is
//! new, and says which of the old ones are gone. A finding is known by a fingerprint of its
//! letter, its code (kind, rule and reason), its item's treatment and the text its labels point
//! at, with spacing and case folded: not by line numbers, which move when a letter is edited.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::check::Finding;
use crate::report::{LetterResult, Outcome};

const SCHEMA: &str = "imrlint/baseline/v1";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub path: String,
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    schema: String,
    findings: Vec<Entry>,
}

/// A baseline read from a file, and what a run has seen of it.
#[derive(Debug, Default)]
pub struct Baseline {
    known: BTreeMap<String, Entry>,
    /// Fingerprints the run found again.
    seen: BTreeSet<String>,
    /// Letters the run checked.
    checked: BTreeSet<String>,
}

impl Baseline {
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
        let file: File = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a baseline: {e}", path.display()))?;
        if file.schema != SCHEMA {
            return Err(format!(
                "{} is a `{}` file, not a baseline ({SCHEMA})",
                path.display(),
                file.schema
            ));
        }
        Ok(Baseline {
            known: file
                .findings
                .into_iter()
                .map(|e| (e.fingerprint.clone(), e))
                .collect(),
            ..Baseline::default()
        })
    }

    /// Drops the letter's findings the baseline knows, noting them as seen.
    pub fn filter(&mut self, r: &mut LetterResult) {
        self.checked.insert(r.path.clone());
        let entries = entries(r);
        if let Outcome::Checked { checked, .. } = &mut r.outcome {
            let mut keep = entries
                .iter()
                .map(|e| !self.known.contains_key(&e.fingerprint));
            checked.findings.retain(|_| keep.next().unwrap_or(true));
        }
        for e in entries {
            if self.known.contains_key(&e.fingerprint) {
                self.seen.insert(e.fingerprint);
            }
        }
    }

    /// The baseline's findings, in letters this run checked, that the run did not find again.
    pub fn gone(&self) -> Vec<&Entry> {
        let mut gone: Vec<&Entry> = self
            .known
            .values()
            .filter(|e| self.checked.contains(&e.path) && !self.seen.contains(&e.fingerprint))
            .collect();
        gone.sort_by(|a, b| (&a.path, &a.code).cmp(&(&b.path, &b.code)));
        gone
    }
}

/// The baseline entries of a letter's findings, in the findings' order.
pub fn entries(r: &LetterResult) -> Vec<Entry> {
    let Outcome::Checked {
        text,
        facts,
        checked,
    } = &r.outcome
    else {
        return Vec::new();
    };
    checked
        .findings
        .iter()
        .map(|f| {
            let treatment = f
                .item
                .and_then(|i| facts.items.iter().find(|x| x.index == i))
                .map_or("", |x| x.treatment.value.as_str());
            Entry {
                fingerprint: fingerprint(&r.path, f, treatment, text),
                path: r.path.clone(),
                code: f.code(),
                message: f.message.clone(),
            }
        })
        .collect()
}

/// The baseline document of a run's entries.
pub fn document(mut entries: Vec<Entry>) -> String {
    entries.sort();
    entries.dedup();
    let file = File {
        schema: SCHEMA.into(),
        findings: entries,
    };
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

fn fingerprint(path: &str, f: &Finding, treatment: &str, text: &str) -> String {
    let normal = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut key = format!("{path}\u{1f}{}\u{1f}{}", f.code(), normal(treatment));
    for l in &f.labels {
        key.push('\u{1f}');
        key.push_str(&normal(text.get(l.span.range()).unwrap_or("")));
    }
    // FNV-1a, 64 bits: stable across runs, platforms and versions of Rust.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}
