//! `imrlint.yaml`: a project's settings, found in the working folder or the nearest one above it.
//! Rule folders, which findings to report (select, ignore), severities, the exit threshold, paths
//! to leave out, and suppressions. A suppression must say why; one past its expiry date stops
//! applying and is reported, so a waiver cannot outlive the reason it was granted.

// A config error carries its file's text for the diagnostic; errors are the cold path of a load
// that happens once per run.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;

use crate::check::{FailOn, Finding, Severity};
use crate::rules::{RuleError, RuleFile};

pub const FILE_NAME: &str = "imrlint.yaml";

#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Rule folders or files laid over the default rule set, relative to this file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Report only findings these select (a kind, a rule id, a reason id, or a whole code such as
    /// `missing-reason[mtus-opioids/drug-screen-missing]`). Empty: all.
    #[serde(default)]
    pub select: Vec<String>,
    /// Never report findings these select.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// A severity per selector; the most specific selector wins (code, then reason, rule, kind).
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Exit with 1 when a finding reaches this severity (the command line's --fail-on wins).
    #[serde(default)]
    pub fail_on: Option<FailOn>,
    /// Letters to leave out: globs relative to this file (`archive/**`).
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub suppressions: Vec<Suppression>,
}

/// Findings not to report, and why.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suppression {
    /// What it suppresses: a kind, rule id, reason id or whole code.
    pub finding: String,
    /// Letters it covers: globs relative to this file. Empty: all.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Why the finding is not to be reported. Required.
    pub reason: String,
    /// The last day it applies (YYYY-MM-DD).
    #[serde(default)]
    pub expires: Option<String>,
}

/// The settings of a run, compiled.
#[derive(Debug, Default)]
pub struct Config {
    /// The file they came from, if any.
    pub path: Option<PathBuf>,
    pub rules: Vec<PathBuf>,
    select: Vec<String>,
    ignore: Vec<String>,
    severity: BTreeMap<String, Severity>,
    pub fail_on: Option<FailOn>,
    exclude: GlobSet,
    base: PathBuf,
    suppressions: Vec<ActiveSuppression>,
    /// Suppressions past their date: reported, not applied.
    pub expired: Vec<Suppression>,
}

#[derive(Debug)]
struct ActiveSuppression {
    finding: String,
    paths: Option<GlobSet>,
}

impl Config {
    /// The nearest `imrlint.yaml` at or above `from`, read and checked; none is an empty config.
    pub fn find(from: &Path, today: jiff::civil::Date) -> Result<Config, Vec<RuleError>> {
        let found = from
            .ancestors()
            .map(|d| d.join(FILE_NAME))
            .find(|p| p.is_file());
        match found {
            None => Ok(Config::default()),
            Some(path) => Config::load(&path, today),
        }
    }

    pub fn load(path: &Path, today: jiff::civil::Date) -> Result<Config, Vec<RuleError>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![RuleError {
                file: path.display().to_string(),
                source_code: None,
                at: None,
                message: format!("cannot read the configuration: {e}"),
                help: None,
            }]
        })?;
        let file = RuleFile::new(path.display().to_string(), text);
        let raw: ConfigFile = file.parse().map_err(|e| vec![e])?;
        let base = std::path::absolute(path.parent().unwrap_or(Path::new(".")))
            .unwrap_or_else(|_| PathBuf::from("."));
        let mut errors = Vec::new();
        let globs = |list: &[String], at: &str, errors: &mut Vec<RuleError>| {
            let mut set = GlobSetBuilder::new();
            for (i, g) in list.iter().enumerate() {
                match Glob::new(g) {
                    Ok(g) => {
                        set.add(g);
                    }
                    Err(e) => errors.push(file.error(
                        &format!("{at}[{i}]"),
                        format!("`{g}` is not a glob: {e}"),
                        Some("write a path pattern such as `archive/**` or `*.pdf`".into()),
                    )),
                }
            }
            set.build().unwrap_or_else(|_| GlobSet::empty())
        };
        let exclude = globs(&raw.exclude, "exclude", &mut errors);
        let mut suppressions = Vec::new();
        let mut expired = Vec::new();
        for (i, s) in raw.suppressions.iter().enumerate() {
            if s.reason.trim().is_empty() {
                errors.push(file.error(
                    &format!("suppressions[{i}].reason"),
                    "a suppression needs a reason",
                    Some("say why the finding is not to be reported".into()),
                ));
                continue;
            }
            let ends = match s.expires.as_deref().map(str::parse::<jiff::civil::Date>) {
                None => None,
                Some(Ok(d)) => Some(d),
                Some(Err(_)) => {
                    errors.push(file.error(
                        &format!("suppressions[{i}].expires"),
                        format!("`{}` is not a date", s.expires.as_deref().unwrap_or("")),
                        Some("write the last day it applies as YYYY-MM-DD".into()),
                    ));
                    continue;
                }
            };
            if ends.is_some_and(|d| d < today) {
                expired.push(s.clone());
                continue;
            }
            let paths = (!s.paths.is_empty())
                .then(|| globs(&s.paths, &format!("suppressions[{i}].paths"), &mut errors));
            suppressions.push(ActiveSuppression {
                finding: s.finding.clone(),
                paths,
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Config {
            path: Some(path.to_path_buf()),
            rules: raw.rules.iter().map(|r| base.join(r)).collect(),
            select: raw.select,
            ignore: raw.ignore,
            severity: raw.severity,
            fail_on: raw.fail_on,
            exclude,
            base,
            suppressions,
            expired,
        })
    }

    /// Whether a letter's path is left out.
    pub fn excludes(&self, path: &Path) -> bool {
        !self.exclude.is_empty() && self.exclude.is_match(self.relative(path))
    }

    /// The path relative to this file's folder, which the globs are written against.
    fn relative(&self, path: &Path) -> PathBuf {
        let absolute = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir().unwrap_or_default().join(path)
        };
        let clean: PathBuf = absolute
            .components()
            .filter(|c| !matches!(c, std::path::Component::CurDir))
            .collect();
        clean
            .strip_prefix(&self.base)
            .map(Path::to_path_buf)
            .unwrap_or(clean)
    }

    /// The findings of the letter at `path` this configuration reports, with their severities.
    pub fn apply(&self, path: &Path, findings: Vec<Finding>) -> Vec<Finding> {
        findings
            .into_iter()
            .filter(|f| self.select.is_empty() || self.select.iter().any(|s| selects(s, f)))
            .filter(|f| !self.ignore.iter().any(|s| selects(s, f)))
            .filter(|f| {
                !self.suppressions.iter().any(|s| {
                    selects(&s.finding, f)
                        && s.paths
                            .as_ref()
                            .is_none_or(|g| g.is_match(self.relative(path)))
                })
            })
            .map(|mut f| {
                if let Some(level) = self.severity_of(&f) {
                    f.severity = level;
                }
                f
            })
            .collect()
    }

    fn severity_of(&self, f: &Finding) -> Option<Severity> {
        let code = f.code();
        [
            Some(code.as_str()),
            f.reason.as_deref(),
            f.rule.as_deref(),
            Some(f.kind.id()),
        ]
        .into_iter()
        .flatten()
        .find_map(|k| self.severity.get(k).copied())
    }
}

/// Whether a selector names the finding: its whole code, reason, rule or kind.
fn selects(selector: &str, f: &Finding) -> bool {
    selector == f.code()
        || f.reason.as_deref() == Some(selector)
        || f.rule.as_deref() == Some(selector)
        || f.kind.id() == selector
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::Kind;

    fn finding(kind: Kind, rule: Option<&str>, reason: Option<&str>) -> Finding {
        Finding {
            kind,
            severity: Severity::Note,
            rule: rule.map(String::from),
            reason: reason.map(String::from),
            item: Some(0),
            message: String::new(),
            help: String::new(),
            labels: Vec::new(),
        }
    }

    fn config(yaml: &str, today: &str) -> Result<Config, Vec<RuleError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, yaml).unwrap();
        let mut c = Config::load(&path, today.parse().unwrap())?;
        c.base = PathBuf::from("/letters");
        Ok(c)
    }

    #[test]
    fn selectors_match_kind_rule_reason_or_code() {
        let f = finding(
            Kind::MissingReason,
            Some("mtus-opioids"),
            Some("drug-screen-missing"),
        );
        for s in [
            "missing-reason",
            "mtus-opioids",
            "drug-screen-missing",
            "missing-reason[mtus-opioids/drug-screen-missing]",
        ] {
            assert!(selects(s, &f), "{s}");
        }
        assert!(!selects("misspelling", &f));
    }

    #[test]
    fn severities_select_ignore_and_paths() {
        let c = config(
            "ignore: [misspelling]\nseverity: {missing-reason: warning, drug-screen-missing: error}\nsuppressions:\n  - {finding: mtus-benzodiazepines, paths: ['old/**'], reason: reviewed in 2025}\n",
            "2026-11-22",
        )
        .unwrap();
        let kept = c.apply(
            Path::new("/letters/new/a.txt"),
            vec![
                finding(Kind::Misspelling, None, None),
                finding(
                    Kind::MissingReason,
                    Some("mtus-opioids"),
                    Some("drug-screen-missing"),
                ),
                finding(
                    Kind::MissingReason,
                    Some("mtus-opioids"),
                    Some("dosing-frequency-missing"),
                ),
                finding(
                    Kind::MissingReason,
                    Some("mtus-benzodiazepines"),
                    Some("long-term-use"),
                ),
            ],
        );
        let got: Vec<(Option<&str>, Severity)> = kept
            .iter()
            .map(|f| (f.reason.as_deref(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                (Some("drug-screen-missing"), Severity::Error),
                (Some("dosing-frequency-missing"), Severity::Warning),
                (Some("long-term-use"), Severity::Warning),
            ]
        );
        // The suppression covers old/ only.
        let old = c.apply(
            Path::new("/letters/old/b.txt"),
            vec![finding(
                Kind::MissingReason,
                Some("mtus-benzodiazepines"),
                Some("long-term-use"),
            )],
        );
        assert!(old.is_empty());
    }

    #[test]
    fn an_expired_suppression_is_not_applied_and_is_kept_for_the_report() {
        let yaml = "suppressions:\n  - {finding: misspelling, reason: the letters spell it so, expires: 2026-01-31}\n";
        let c = config(yaml, "2026-02-01").unwrap();
        assert_eq!(c.expired.len(), 1);
        assert_eq!(
            c.apply(
                Path::new("/letters/a.txt"),
                vec![finding(Kind::Misspelling, None, None)]
            )
            .len(),
            1
        );
        let c = config(yaml, "2026-01-31").unwrap();
        assert!(c.expired.is_empty());
        assert!(
            c.apply(
                Path::new("/letters/a.txt"),
                vec![finding(Kind::Misspelling, None, None)]
            )
            .is_empty()
        );
    }

    #[test]
    fn a_suppression_without_a_reason_is_an_error_at_its_line() {
        let errors = config(
            "ignore: []\nsuppressions:\n  - {finding: misspelling, reason: ''}\n",
            "2026-11-22",
        )
        .unwrap_err();
        assert!(errors[0].message.contains("needs a reason"));
        let unknown = config("fail_on: warning\n", "2026-11-22").unwrap_err();
        assert!(unknown[0].message.contains("unknown field"));
    }
}
