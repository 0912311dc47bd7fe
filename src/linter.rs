//! The one pipeline every command goes through. [`Settings`] say where the rules and the
//! settings file come from; a [`Linter`] holds them loaded, and takes a letter through the stages
//! (bytes, letter, facts, findings) for `check`, `report`, `eval`, `facts`, `rules test`, the fuzz
//! targets and the tests alike, so that no command reads a letter or `imrlint.yaml` its own way.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::check::{self, Checked};
use crate::config::Config;
use crate::facts::{self, Facts};
use crate::input::{self, Origin, Source};
use crate::letter::{self, Letter};
use crate::report::{LetterResult, Outcome};
use crate::rules::{RuleError, RuleErrors, RuleSet, RuleSource};

/// Where a run's rules and settings come from. The rule set is the built-in one, with the
/// settings file's `rules:` laid over it, then `rules`: never a folder that happens to be in the
/// working directory.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Rule folders or files laid over the built-in rules and the settings file's.
    pub rules: Vec<PathBuf>,
    pub config: ConfigChoice,
    /// What the checks report beyond their defaults.
    pub options: check::Options,
}

/// Which settings file a run reads.
#[derive(Debug, Clone, Default)]
pub enum ConfigChoice {
    /// The nearest `imrlint.yaml` at or above this folder, if there is one.
    Nearest(PathBuf),
    /// This file, which must exist.
    File(PathBuf),
    /// None.
    #[default]
    Ignored,
}

/// Why a linter could not be set up: the settings file or the rules have errors.
#[derive(Debug)]
pub enum SetupError {
    Config(Vec<RuleError>),
    Rules(RuleErrors),
}

/// A letter read into its parts, with the reader's notes (lossy decoding, a PDF's text layer), or
/// why it could not be read.
pub type Read = Result<(Vec<String>, Letter), Failure>;

/// Why a file is not a letter imrlint can check: a read error's kind (`io`, `pdf`, ...) or
/// `unreadable`, and what happened.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub kind: &'static str,
    pub message: String,
}

/// One letter's facts, or why it has none (what `imrlint facts` prints).
#[derive(Debug, Serialize)]
pub struct FileFacts {
    pub path: String,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Failure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub facts: Option<Facts>,
}

/// The rules and settings of a run, loaded.
pub struct Linter {
    pub config: Config,
    pub rules: RuleSet,
    pub options: check::Options,
}

impl Linter {
    /// Reads the settings file and the rules. `today` decides which suppressions have expired.
    pub fn new(settings: &Settings, today: jiff::civil::Date) -> Result<Linter, SetupError> {
        let config = match &settings.config {
            ConfigChoice::Ignored => Ok(Config::default()),
            ConfigChoice::File(path) => Config::load(path, today),
            ConfigChoice::Nearest(from) => Config::find(from, today),
        }
        .map_err(SetupError::Config)?;
        let sources = std::iter::once(RuleSource::BuiltIn)
            .chain(
                config
                    .rules
                    .iter()
                    .chain(&settings.rules)
                    .cloned()
                    .map(RuleSource::Path),
            )
            .collect();
        let rules = RuleSet::from_sources(sources).map_err(SetupError::Rules)?;
        Ok(Linter {
            config,
            rules,
            options: settings.options,
        })
    }

    /// A linter of these rules and no settings file: for rule examples, fuzzing and tests.
    pub fn with_rules(rules: RuleSet) -> Linter {
        Linter {
            config: Config::default(),
            rules,
            options: check::Options::default(),
        }
    }

    /// A `rules` folder in `dir` that this run does not read: it used to replace the built-in
    /// rules unasked, so a run where one stands says that it is no longer read.
    pub fn unread_rules_folder(&self, dir: &Path) -> Option<PathBuf> {
        let folder = dir.join("rules");
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        let read = self.rules.sources.iter().any(|s| match s {
            RuleSource::Path(p) => absolute(p) == absolute(&folder),
            _ => false,
        });
        (folder.is_dir() && !read).then_some(folder)
    }

    /// Reads a letter and splits it into its parts.
    pub fn read(&self, origin: Origin) -> Read {
        let source = input::read(origin).map_err(|e| Failure {
            kind: e.kind.id(),
            message: e.message,
        })?;
        self.parse(source)
    }

    /// Reads a letter given as bytes (a rule's example, a fuzz input).
    pub fn read_bytes(&self, origin: Origin, bytes: Vec<u8>) -> Read {
        let source = input::decode(origin, bytes).map_err(|e| Failure {
            kind: e.kind.id(),
            message: e.message,
        })?;
        self.parse(source)
    }

    fn parse(&self, source: Source) -> Read {
        match letter::parse(source.text, &self.rules.layouts) {
            Ok(l) => Ok((source.notes, l)),
            Err(e) => Err(Failure {
                kind: "unreadable",
                message: e.message,
            }),
        }
    }

    /// The facts of a letter read.
    pub fn facts(&self, letter: &Letter) -> Facts {
        facts::extract(letter, &self.rules)
    }

    /// The findings on a letter whose facts are read, before the settings file selects and
    /// grades them.
    pub fn evaluate(&self, letter: &Letter, facts: &Facts) -> Checked {
        check::check(letter, facts, &self.rules, self.options)
    }

    /// What `imrlint facts` prints of a letter.
    pub fn facts_of(&self, origin: Origin) -> FileFacts {
        let path = origin.display_name();
        match self.read(origin) {
            Ok((notes, letter)) => FileFacts {
                path,
                status: "ok",
                notes,
                error: None,
                facts: Some(self.facts(&letter)),
            },
            Err(error) => FileFacts {
                path,
                status: "error",
                notes: Vec::new(),
                error: Some(error),
                facts: None,
            },
        }
    }

    /// Checks a letter: its findings, as the settings file selects, grades and suppresses them.
    pub fn check(&self, origin: Origin) -> LetterResult {
        let path = origin.display_name();
        let outcome = match self.read(origin) {
            Ok((_, letter)) => {
                let facts = self.facts(&letter);
                let mut checked = self.evaluate(&letter, &facts);
                checked.findings = self
                    .config
                    .apply(Path::new(&path), std::mem::take(&mut checked.findings));
                Outcome::Checked {
                    text: Arc::new(letter.text.original().to_string()),
                    facts: Box::new(facts),
                    checked,
                }
            }
            Err(Failure { kind, message }) => Outcome::Failed { kind, message },
        };
        LetterResult { path, outcome }
    }

    /// The result for a path that could not even be listed (a folder that went away).
    pub fn unlisted(path: &Path, why: String) -> LetterResult {
        LetterResult {
            path: path.display().to_string(),
            outcome: Outcome::Failed {
                kind: "io",
                message: why,
            },
        }
    }
}
