//! The command line: argument parsing, and each command as a call into the library's [`Linter`].

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::json;

use imrlint::baseline::{self, Baseline};
use imrlint::check::FailOn;
use imrlint::config::{self, Config};
use imrlint::input::{self, Inputs};
use imrlint::linter::{ConfigChoice, Failure, FileFacts, Linter, Settings, SetupError};
use imrlint::output::{AtomicFile, Output};
use imrlint::report::{self, Format, LetterResult, Outcome, Reporter};
use imrlint::rules::{RuleErrors, RuleSet};
use imrlint::run;

/// Exit codes: 0 clean, 1 findings (or unreadable letters), 2 usage, configuration or rule errors.
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "imrlint",
    version,
    about = "Checks IMR determination letters against the guideline criteria they rest on",
    long_about = "Checks California workers' compensation Independent Medical Review (IMR) determination \
letters against the guideline criteria they rest on (the MTUS, and ACOEM or ODG where the MTUS is silent). \
Criteria live in YAML rule files read at run time.\n\nExit codes: 0 no finding at or above --fail-on, \
1 findings (or unreadable letters), 2 usage, configuration or rule errors."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check letters: which guideline reasons apply to each item, whether the rationale gives
    /// them, and whether its conclusion and citations hold.
    Check(CheckArgs),
    /// Validate, test or list the rule set.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Explain anything with an id (rule, reason, concept, drug, category, body part, definition,
    /// guideline topic): what it is, where it is defined, how it is written and what uses it.
    Explain(ExplainArgs),
    /// Print the JSON Schema of a kind of rule file, for editors.
    Schema(SchemaArgs),
    /// Write a batch report for auditors into a folder: an HTML page with the batch at a glance
    /// and a page per letter, findings.csv, summary.json and a run manifest.
    Report(ReportArgs),
    /// Print the facts imrlint reads from letters (YAML or JSON), each with its line and column:
    /// what the rules see.
    Facts(FactsArgs),
    /// Measure findings against blind gold annotations: precision, recall and F1 overall and per
    /// split, severity, kind, reason and rule, then every false positive and every miss.
    Eval(EvalArgs),
    /// Work with gold annotations: reviewers' agreement, the split of letters.
    #[command(subcommand)]
    Gold(GoldCommand),
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// Letters to score (files or folders; each is paired with its gold by file stem, so a PDF
    /// shares its text's gold) [default: every letter the gold files name].
    pub paths: Vec<PathBuf>,
    /// The folder of gold annotations: its adjudicated files are the gold.
    #[arg(long, value_name = "DIR", default_value = "cases/gold")]
    pub gold: PathBuf,
    /// Where letters that gold names relative to the corpus are.
    #[arg(long, value_name = "DIR", default_value = "../shared/corpus")]
    pub corpus: PathBuf,
    /// Score only the letters of this split.
    #[arg(long, value_enum)]
    pub split: Option<SplitArg>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EvalFormat::Human)]
    pub format: EvalFormat,
    /// Exit with 1 when precision over all findings is below P (0 to 1).
    #[arg(long, value_name = "P", value_parser = fraction)]
    pub min_precision: Option<f64>,
    /// Exit with 1 when recall over all gold findings is below R (0 to 1).
    #[arg(long, value_name = "R", value_parser = fraction)]
    pub min_recall: Option<f64>,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// The report formats the library knows, with their help, as clap offers them.
fn format_parser() -> impl TypedValueParser<Value = Format> {
    let names = Format::ALL
        .iter()
        .map(|(_, name, help)| clap::builder::PossibleValue::new(*name).help(*help));
    clap::builder::PossibleValuesParser::new(names)
        .map(|name| Format::from_name(&name).expect("clap offers only the formats' names"))
}

fn fail_on_parser() -> impl TypedValueParser<Value = FailOn> {
    let names = FailOn::ALL.iter().map(|(_, name)| *name);
    clap::builder::PossibleValuesParser::new(names)
        .map(|name| FailOn::from_name(&name).expect("clap offers only the thresholds' names"))
}

/// A share from 0 to 1, as `--min-precision` and `--min-recall` take it.
fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(format!(
            "`{text}` is not a share from 0 to 1 (write 0.5 for 50%)"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    Tune,
    Test,
}

impl SplitArg {
    fn split(self) -> imrlint::gold::Split {
        match self {
            SplitArg::Tune => imrlint::gold::Split::Tune,
            SplitArg::Test => imrlint::gold::Split::Test,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum GoldCommand {
    /// How far two blind reviewers agree: Cohen's kappa on each item's sound/problem and per
    /// finding kind, and the findings both raised.
    Agreement(AgreementArgs),
    /// Print each letter's split (tune or test), as eval scores it: a gold file's pinned split,
    /// else the rule of the file-name hash. Rules are written from tune letters only.
    Split(SplitArgs),
}

#[derive(Debug, clap::Args)]
pub struct AgreementArgs {
    /// Reviewer A's annotations (files with `annotator: A`).
    pub a: PathBuf,
    /// Reviewer B's annotations (files with `annotator: B`).
    pub b: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EvalFormat::Human)]
    pub format: EvalFormat,
}

#[derive(Debug, clap::Args)]
pub struct SplitArgs {
    /// Letters: files or folders (searched recursively).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The folder of gold annotations whose pinned splits hold (none there: the hash decides).
    #[arg(long, value_name = "DIR", default_value = "cases/gold")]
    pub gold: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load every rule file and report every problem with its file, line and column.
    Check(RulesArgs),
    /// Run the examples of every kind: rules' example letters, concepts' and the context file's
    /// sentences, categories' and body parts' treatments, drugs' written names.
    Test(RulesTestArgs),
    /// List the rules with their guideline topics and reasons.
    List(RulesArgs),
    /// Read each request line of a coverage set (lines written from formularies and fee
    /// schedules, with what imrlint must make of them) and report every line read otherwise.
    Coverage(CoverageArgs),
    /// Print a commented template of a rule, concept, drug, category or reason that passes
    /// `rules check` as it is, and say where to save it.
    New(RulesNewArgs),
}

#[derive(Debug, clap::Args)]
pub struct RulesNewArgs {
    /// What to write: rule, concept, drug, category or reason.
    pub kind: String,
    /// The new entry's id (a drug's generic name): lower-case letters, digits, '-' and '_'.
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct RulesTestArgs {
    /// Print one line per example, not only the failures.
    #[arg(short, long)]
    pub verbose: bool,
    /// Run only the examples of rules, concepts, categories, body parts or drugs whose id
    /// contains this text.
    #[arg(long, value_name = "ID")]
    pub filter: Option<String>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, clap::Args)]
pub struct CoverageArgs {
    /// Coverage set files (YAML; `imrlint schema coverage` prints their form).
    #[arg(required = true, value_name = "SET")]
    pub sets: Vec<PathBuf>,
    /// Pass when at least this share of lines (0 to 1) is read as expected.
    #[arg(long, value_name = "RATIO", default_value_t = 1.0)]
    pub min_pass: f64,
    /// Print every line, not only those read otherwise.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
}

/// Where the rules and the settings come from: every command that loads rules takes these.
#[derive(Debug, clap::Args)]
pub struct RuleArgs {
    /// Rule folders or files, laid over the built-in rules and imrlint.yaml's `rules:`.
    #[arg(long = "rules", value_name = "DIR|FILE")]
    pub rules: Vec<PathBuf>,
    /// Settings file [default: imrlint.yaml in the working folder or the nearest one above].
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub config: Option<PathBuf>,
    /// Read no imrlint.yaml.
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// Anything with an id: a rule (`mtus-benzodiazepines`), reason (`long-term-use`), concept
    /// (`anxiety`), drug or brand (`Klonopin`), category (`medication`), body part (`knee`),
    /// definition (`prior_use`) or guideline topic (`mtus-chronic-pain/benzodiazepines`).
    pub id: String,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// Which file: rules (any rule file), drugs, concepts, context, guidelines, categories,
    /// anatomy, requests, layouts, reasons, definitions, config (imrlint.yaml), gold (a gold
    /// annotation), coverage (a coverage set of request lines).
    #[arg(default_value = "rules")]
    pub kind: String,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Output format (default: human).
    #[arg(long, default_value = "human", value_parser = format_parser())]
    pub format: Format,
    /// Exit with 1 when a finding reaches this severity [default: imrlint.yaml's fail-on, else
    /// warning].
    #[arg(long, value_parser = fail_on_parser())]
    pub fail_on: Option<FailOn>,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Report only findings this baseline does not hold, and list its findings that are gone.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write this run's findings as a baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Show, per item and rule, each condition's value and whether the rationale cites each
    /// reason (on standard error).
    #[arg(long)]
    pub trace: bool,
    /// Check again whenever a letter, a rule file or imrlint.yaml changes (for rule authors;
    /// stop with Ctrl-C).
    #[arg(long, conflicts_with_all = ["output", "write_baseline"])]
    pub watch: bool,
}

/// What every run over letters takes: the letters, and how to check them.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Letters: files (.txt, .pdf), folders (searched recursively), or - for standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub settings: SettingsArgs,
}

/// How letters are checked: the rules, the settings and the workers.
#[derive(Debug, clap::Args)]
pub struct SettingsArgs {
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Letters checked at once (default: the machine's cores). The report is the same for any
    /// number.
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress bar (it is shown on standard error for long runs on a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Also report what is left out by default: `supporting`, a supporting reason a rationale
    /// leaves out beside a deciding reason it gives (always in the JSON's `reasons`).
    #[arg(long, value_enum, value_name = "WHAT")]
    pub show: Vec<ShowArg>,
}

/// Findings left out by default that `--show` adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShowArg {
    Supporting,
}

impl SettingsArgs {
    fn options(&self) -> imrlint::check::Options {
        imrlint::check::Options {
            show_supporting: self.show.contains(&ShowArg::Supporting),
            ..Default::default()
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// The folder to write the report into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct FactsArgs {
    /// Letters: files (.txt, .pdf), folders (searched recursively), or - for standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = FactsFormat::Yaml)]
    pub format: FactsFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FactsFormat {
    Yaml,
    Json,
}

pub fn main() -> ExitCode {
    input::quiet_pdf_panics();
    // Like other Unix filters, stop quietly when the reader of standard output goes away
    // (`imrlint check ... | head`) instead of failing on the broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default action of a signal, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Facts(args) => run_facts(args),
        Command::Check(args) if args.watch => watch(&args),
        Command::Check(args) => run_check(&args),
        Command::Report(args) => run_report(&args),
        Command::Rules(RulesCommand::Check(args)) => {
            match open_linter(&args.rules, Default::default()) {
                Ok(linter) => {
                    eprintln!(
                        "imrlint: the rule set is valid: {} files, {} rules",
                        linter.rules.files.len(),
                        linter.rules.rules.len()
                    );
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            }
        }
        Command::Rules(RulesCommand::Test(args)) => run_rules_test(args),
        Command::Rules(RulesCommand::List(args)) => run_rules_list(args),
        Command::Rules(RulesCommand::Coverage(args)) => run_rules_coverage(&args),
        Command::Rules(RulesCommand::New(args)) => run_rules_new(&args),
        Command::Explain(args) => run_explain(args),
        Command::Schema(args) => run_schema(args),
        Command::Eval(args) => run_eval(&args),
        Command::Gold(GoldCommand::Agreement(args)) => run_agreement(&args),
        Command::Gold(GoldCommand::Split(args)) => run_split(&args),
    }
}

/// The linter of a command: imrlint.yaml (the one named, the nearest, or none) and the rules,
/// each problem reported with its place; exit 2 when there is one. Expired suppressions, and a
/// `rules` folder here that is not read, are said on standard error.
fn open_linter(args: &RuleArgs, options: imrlint::check::Options) -> Result<Linter, ExitCode> {
    let config = match (&args.config, args.no_config) {
        (_, true) => ConfigChoice::Ignored,
        (Some(path), false) => ConfigChoice::File(path.clone()),
        (None, false) => {
            ConfigChoice::Nearest(std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
        }
    };
    let settings = Settings {
        rules: args.rules.clone(),
        config,
        options,
    };
    let linter = Linter::new(&settings, jiff::Zoned::now().date()).map_err(|e| {
        match e {
            SetupError::Config(errors) => {
                for e in errors {
                    eprintln!("{:?}", miette::Report::new(e));
                }
                eprintln!("imrlint: the configuration has errors; nothing was checked");
            }
            SetupError::Rules(errors) => report_rule_errors(&errors),
        }
        ExitCode::from(EXIT_USAGE)
    })?;
    let config = &linter.config;
    for s in &config.expired {
        eprintln!(
            "imrlint: {}: the suppression of `{}` expired on {} and no longer applies (it said: {})",
            config
                .path
                .as_deref()
                .unwrap_or(std::path::Path::new(config::FILE_NAME))
                .display(),
            s.finding,
            s.expires.as_deref().unwrap_or(""),
            s.reason
        );
    }
    if let Some(folder) = linter.unread_rules_folder(std::path::Path::new(".")) {
        eprintln!(
            "imrlint: note: the folder {} is not read (the built-in rules are used); name it with --rules {} or under `rules:` in {}",
            folder.display(),
            folder.display(),
            config::FILE_NAME
        );
    }
    Ok(linter)
}

fn report_rule_errors(errors: &RuleErrors) {
    for e in &errors.0 {
        eprintln!("{:?}", miette::Report::new(e.clone()));
    }
    eprintln!("imrlint: {errors}; nothing was checked");
}

fn run_facts(args: FactsArgs) -> ExitCode {
    let linter = match open_linter(&args.rules, Default::default()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed = false;
    let mut closed = false;
    let mut n = 0;
    let inputs = Inputs::expand(&args.paths, |path| !linter.config.excludes(path));
    run::in_order(
        inputs.len(),
        run::default_jobs(),
        |i| match inputs.get(i) {
            Ok(origin) => linter.facts_of(origin),
            Err((path, why)) => FileFacts {
                path: path.display().to_string(),
                status: "error",
                notes: Vec::new(),
                error: Some(Failure {
                    kind: "io",
                    message: why,
                }),
                facts: None,
            },
        },
        |result| {
            if let Some(e) = &result.error {
                eprintln!("imrlint: {}: {}", result.path, e.message);
                failed = true;
            }
            if closed {
                return;
            }
            let written = match args.format {
                FactsFormat::Yaml => {
                    let doc = serde_yaml::to_string(&result).unwrap_or_default();
                    if n > 0 { writeln!(out, "---") } else { Ok(()) }
                        .and_then(|_| out.write_all(doc.as_bytes()))
                }
                FactsFormat::Json => serde_json::to_writer(&mut out, &result)
                    .map_err(std::io::Error::from)
                    .and_then(|_| writeln!(out)),
            };
            n += 1;
            // The reader went away (a closed pipe): stop writing, quietly.
            closed = written.is_err();
        },
    );
    if closed {
        return ExitCode::SUCCESS;
    }
    if failed {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// Checks every letter (leaving out those imrlint.yaml excludes) and hands each result to
/// `each` in input order. The progress bar is `each`'s to suspend while it writes to a terminal.
/// A rule condition that fails on its own account is said once, where it first fails.
fn each_letter(
    linter: &Linter,
    paths: &[PathBuf],
    run: &SettingsArgs,
    mut each: impl FnMut(LetterResult, &indicatif::ProgressBar),
) {
    let inputs = Inputs::expand(paths, |path| !linter.config.excludes(path));
    let progress = progress_bar(inputs.len(), run.no_progress);
    let mut said = std::collections::HashSet::new();
    run::in_order(
        inputs.len(),
        run.jobs.unwrap_or_else(run::default_jobs),
        |i| match inputs.get(i) {
            Ok(origin) => linter.check(origin),
            Err((path, why)) => Linter::unlisted(&path, why),
        },
        |result| {
            if let Outcome::Checked { checked, .. } = &result.outcome {
                for item in &checked.items {
                    for e in item.errors.iter().filter(|e| said.insert((*e).clone())) {
                        progress.suspend(|| {
                            eprintln!(
                                "imrlint: warning: {} cannot be evaluated ({}); it counts as unknown (first on {}, item {}); fix the rule file",
                                e.condition, e.message, result.path, item.index
                            )
                        });
                    }
                }
            }
            each(result, &progress);
            progress.inc(1);
        },
    );
    progress.finish_and_clear();
}

fn run_check(args: &CheckArgs) -> ExitCode {
    let options = imrlint::check::Options {
        trace: args.trace,
        ..args.run.settings.options()
    };
    let linter = match open_linter(&args.run.settings.rules, options) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (config, rules) = (&linter.config, &linter.rules);
    let mut baseline = match &args.baseline {
        None => None,
        Some(path) => match Baseline::read(path) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("imrlint: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    let color = args.output.is_none()
        && std::env::var_os("NO_COLOR").is_none()
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let fail_at = args
        .fail_on
        .or(config.fail_on)
        .unwrap_or(FailOn::Warning)
        .threshold();
    let mut baseline_entries = Vec::new();
    let mut reporter = Reporter::new(args.format, rules, color, fail_at);
    let mut out = match Output::open(args.output.as_deref()) {
        Ok(out) => out,
        Err(e) => {
            eprintln!(
                "imrlint: cannot write {}: {e}",
                args.output
                    .as_deref()
                    .unwrap_or(std::path::Path::new("-"))
                    .display()
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut failing = false;
    let mut problem: Option<String> = None;
    let mut write = |out: &mut Output,
                     text: Result<String, String>,
                     progress: Option<&indicatif::ProgressBar>| {
        if problem.is_some() {
            return;
        }
        let text = match text {
            Ok(text) => text,
            Err(e) => {
                problem = Some(format!("cannot write the report: {e}"));
                return;
            }
        };
        let written = match progress {
            Some(p) => p.suspend(|| out.write_all(text.as_bytes())),
            None => out.write_all(text.as_bytes()),
        };
        if let Err(e) = written {
            problem = Some(e.to_string());
        }
    };
    write(&mut out, reporter.begin(), None);
    each_letter(
        &linter,
        &args.run.paths,
        &args.run.settings,
        |mut result, progress| {
            if args.write_baseline.is_some() {
                baseline_entries.extend(baseline::entries(&result));
            }
            if let Some(b) = &mut baseline {
                b.filter(&mut result);
            }
            if args.trace {
                progress.suspend(|| eprint!("{}", report::trace(&result)));
            }
            failing |= fail_at.is_some_and(|t| result.worst().is_some_and(|w| w >= t));
            write(&mut out, reporter.letter(&result), Some(progress));
        },
    );
    write(&mut out, reporter.end(), None);
    if let Some(b) = &baseline {
        let gone = b.gone();
        if !gone.is_empty() {
            eprintln!(
                "imrlint: {} finding(s) of the baseline are gone:",
                gone.len()
            );
            for e in gone {
                eprintln!("  {}: {} {}", e.path, e.code, e.message);
            }
        }
    }
    if let Some(path) = &args.write_baseline {
        let written = AtomicFile::create(path).and_then(|mut f| {
            f.write_all(baseline::document(baseline_entries).as_bytes())?;
            f.commit()
        });
        if let Err(e) = written {
            eprintln!("imrlint: cannot write the baseline {}: {e}", path.display());
            return ExitCode::from(EXIT_USAGE);
        }
    }
    if let Some(e) = problem {
        // A closed pipe is the reader's choice, not a failure.
        if e.contains("Broken pipe") {
            return ExitCode::SUCCESS;
        }
        eprintln!("imrlint: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    if let Err(e) = out.commit() {
        eprintln!("imrlint: cannot write the report: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `imrlint report`: the batch report's files, each written whole or not at all.
fn run_report(args: &ReportArgs) -> ExitCode {
    let linter = match open_linter(&args.run.settings.rules, args.run.settings.options()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let started = jiff::Timestamp::now();
    let letters_dir = args.out.join("letters");
    if let Err(e) = std::fs::create_dir_all(&letters_dir) {
        eprintln!("imrlint: cannot create {}: {e}", letters_dir.display());
        return ExitCode::from(EXIT_USAGE);
    }
    let mut csv = match AtomicFile::create(&args.out.join("findings.csv")) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("imrlint: cannot write into {}: {e}", args.out.display());
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let mut problem: Option<String> = None;
    let mut note = |r: Result<(), String>| {
        if let (Err(e), None) = (r, &problem) {
            problem = Some(e);
        }
    };
    note(report::csv_header().and_then(|h| csv.write_all(h.as_bytes()).map_err(|e| e.to_string())));
    let mut batch = report::html::Batch::default();
    let mut inputs = Vec::new();
    each_letter(&linter, &args.run.paths, &args.run.settings, |result, _| {
        let (page, html) = batch.add(&result);
        note(write_whole(&letters_dir.join(page), html.as_bytes()));
        note(
            report::csv(&result)
                .and_then(|rows| csv.write_all(rows.as_bytes()).map_err(|e| e.to_string())),
        );
        inputs.push(json!({"path": result.path, "sha256": file_sha256(&result.path)}));
    });
    let manifest = json!({
        "schema": "imrlint/manifest/v1",
        "tool": "imrlint",
        "version": env!("CARGO_PKG_VERSION"),
        "rules_sha256": rules_sha256(&linter.rules),
        "config": linter.config.path.as_ref().map(|p| p.display().to_string()),
        "started": started.to_string(),
        "finished": jiff::Timestamp::now().to_string(),
        "inputs": inputs,
    });
    note(csv.commit().map_err(|e| e.to_string()));
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default() + "\n";
    note(write_whole(
        &args.out.join("summary.json"),
        pretty(&batch.summary_json()).as_bytes(),
    ));
    note(write_whole(
        &args.out.join("manifest.json"),
        pretty(&manifest).as_bytes(),
    ));
    note(write_whole(
        &args.out.join("index.html"),
        batch.index_html(&manifest).as_bytes(),
    ));
    if let Some(e) = problem {
        eprintln!("imrlint: cannot write the report: {e}");
        return ExitCode::from(EXIT_USAGE);
    }
    eprintln!(
        "imrlint: report written to {}",
        args.out.join("index.html").display()
    );
    ExitCode::SUCCESS
}

/// Writes a file whole or not at all.
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
    AtomicFile::create(path)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.commit()
        })
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of an input file, or null for standard input and files that went away.
fn file_sha256(path: &str) -> Option<String> {
    use sha2::Digest;
    (path != "-")
        .then(|| std::fs::read(path).ok())
        .flatten()
        .map(|bytes| hex(&sha2::Sha256::digest(&bytes)))
}

/// The SHA-256 of the rule set: every file's name and text, in load order.
fn rules_sha256(rules: &RuleSet) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for (name, file) in &rules.files {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(file.text.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

/// `check --watch`: a run, then another each time a watched file changes.
fn watch(args: &CheckArgs) -> ExitCode {
    let mut seen = watched_state(args);
    loop {
        run_check(args);
        eprintln!("imrlint: watching the letters, rule files and imrlint.yaml; Ctrl-C stops");
        loop {
            std::thread::sleep(std::time::Duration::from_millis(400));
            let now = watched_state(args);
            if now != seen {
                seen = now;
                break;
            }
        }
    }
}

/// Every watched file with its modification time and size: the letters, the rule folders
/// (--rules and the settings file's) and the settings file.
fn watched_state(args: &CheckArgs) -> Vec<(PathBuf, Option<std::time::SystemTime>, u64)> {
    let mut roots: Vec<PathBuf> = args
        .run
        .paths
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    roots.extend(args.run.settings.rules.rules.iter().cloned());
    roots.extend(args.run.settings.rules.config.iter().cloned());
    if let Ok(cwd) = std::env::current_dir() {
        let nearest = cwd
            .ancestors()
            .map(|d| d.join(config::FILE_NAME))
            .find(|p| p.is_file());
        if let Some(path) = nearest {
            // The rule folders the settings file names are watched too.
            if let Ok(config) = Config::load(&path, jiff::Zoned::now().date()) {
                roots.extend(config.rules);
            }
            roots.push(path);
        }
    }
    let mut out = Vec::new();
    for root in roots {
        for entry in walkdir::WalkDir::new(&root)
            .follow_links(true)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let meta = entry.metadata().ok();
            out.push((
                entry.path().to_path_buf(),
                meta.as_ref().and_then(|m| m.modified().ok()),
                meta.map_or(0, |m| m.len()),
            ));
        }
    }
    out.sort();
    out
}

/// A progress bar on standard error for a long run on a terminal; hidden otherwise.
fn progress_bar(letters: usize, off: bool) -> indicatif::ProgressBar {
    if off || letters < 2 || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(letters as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos}/{len} letters [{bar:30}] {per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar
}

fn run_rules_test(args: RulesTestArgs) -> ExitCode {
    let linter = match open_linter(&args.rules, Default::default()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let runs = imrlint::rules::examples::run(&linter, args.filter.as_deref());
    let failed = runs.iter().filter(|r| r.outcome.is_err()).count();
    for run in &runs {
        let name = format!("{} {} example {}", run.kind.label(), run.id, run.index);
        match &run.outcome {
            Ok(()) if args.verbose => println!("ok   {name}: {}", one_line(&run.about)),
            Ok(()) => {}
            Err(e) => {
                if args.verbose {
                    println!("FAIL {name}: {}", one_line(&run.about));
                }
                eprintln!("{:?}", miette::Report::new(e.clone()));
            }
        }
    }
    if runs.is_empty() {
        eprintln!(
            "imrlint: no example matches --filter {}\n  help: give part of a rule, concept, category, body part or drug id",
            args.filter.as_deref().unwrap_or_default()
        );
        return ExitCode::from(EXIT_USAGE);
    }
    println!("{} passed, {failed} failed", runs.len() - failed);
    if failed > 0 {
        ExitCode::from(EXIT_USAGE)
    } else {
        ExitCode::SUCCESS
    }
}

/// Text folded onto one line of at most 80 characters, for a listing.
fn one_line(text: &str) -> String {
    let folded = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match folded.char_indices().nth(80) {
        Some((i, _)) => format!("{}...", &folded[..i]),
        None => folded,
    }
}

fn run_rules_new(args: &RulesNewArgs) -> ExitCode {
    match imrlint::templates::template(&args.kind, &args.id) {
        Ok((text, file)) => {
            print!("{text}");
            let place = if file.ends_with(&format!("{}.yaml", args.id)) {
                format!("my-rules/{file}")
            } else {
                format!("my-rules/{}/{file}", args.id)
            };
            eprintln!(
                "imrlint: save it as {place} (imrlint rules new {} {} > {place}), then: imrlint rules check --rules my-rules",
                args.kind, args.id
            );
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("imrlint: {message}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run_rules_coverage(args: &CoverageArgs) -> ExitCode {
    use imrlint::coverage::{CoverageSet, measure};
    if !(0.0..=1.0).contains(&args.min_pass) {
        eprintln!(
            "imrlint: --min-pass {} is not a share\n  help: give a number from 0 to 1 (0.66 for two lines in three)",
            args.min_pass
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let linter = match open_linter(&args.rules, Default::default()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let mut lines = Vec::new();
    for path in &args.sets {
        let set: CoverageSet = match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_yaml::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(set) => set,
            Err(e) => {
                eprintln!(
                    "imrlint: cannot read the coverage set {}: {e}\n  help: `imrlint schema coverage` prints the form a set must have",
                    path.display()
                );
                return ExitCode::from(EXIT_USAGE);
            }
        };
        for line in measure(&linter, &set) {
            lines.push((path.display().to_string(), line));
        }
    }
    let total = lines.len();
    let passed = lines
        .iter()
        .filter(|(_, l)| l.differences.is_empty())
        .count();
    let covered = lines.iter().filter(|(_, l)| l.covered()).count();
    for (path, line) in &lines {
        if line.differences.is_empty() && !args.verbose {
            continue;
        }
        let mark = if line.differences.is_empty() {
            "ok"
        } else {
            "FAIL"
        };
        let rules: Vec<&str> = line.rules.iter().map(|(id, _)| id.as_str()).collect();
        println!(
            "{mark} {path}:{}: {} [{}]",
            line.line,
            line.text,
            if rules.is_empty() {
                "no rule".to_string()
            } else {
                rules.join(", ")
            }
        );
        for d in &line.differences {
            println!("    {d}");
        }
    }
    let share = |n: usize| {
        if total == 0 {
            0.0
        } else {
            100.0 * n as f64 / total as f64
        }
    };
    println!(
        "{total} lines: {passed} read as expected ({:.1}%), {} read otherwise; {covered} covered by a rule ({:.1}%)",
        share(passed),
        total - passed,
        share(covered)
    );
    if total > 0 && (passed as f64) < args.min_pass * total as f64 {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_rules_list(args: RulesArgs) -> ExitCode {
    let linter = match open_linter(&args.rules, Default::default()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let rules = &linter.rules;
    for r in &rules.rules {
        let document = rules.guidelines.get(r.document);
        let reasons: Vec<String> = r
            .reasons
            .iter()
            .map(|x| format!("{}({})", rules.reasons.get(x.reason).id, x.role.id()))
            .collect();
        println!(
            "{}\t{} / {}\t{}",
            r.rule.id,
            document.doc.id,
            document.topic(r.topic).id,
            reasons.join(", ")
        );
    }
    ExitCode::SUCCESS
}

fn run_explain(args: ExplainArgs) -> ExitCode {
    let linter = match open_linter(&args.rules, Default::default()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    match imrlint::explain::explain(&linter.rules, &args.id) {
        Some(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        None => {
            eprintln!(
                "imrlint: nothing in the rule set has the id `{}`\n  help: give a rule, reason, concept, drug (or brand), category, body part, definition or guideline topic (`document/topic`); `imrlint rules list` lists the rules",
                args.id
            );
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run_schema(args: SchemaArgs) -> ExitCode {
    use imrlint::rules::*;
    if args.kind == "facts" {
        // Not a file's form but what conditions read: one line per field.
        print!("{}", imrlint::facts::schema::describe());
        return ExitCode::SUCCESS;
    }
    let schema = match args.kind.as_str() {
        "rules" => schemars::schema_for!(checks::RulesFile),
        "drugs" => schemars::schema_for!(drugs::DrugsFile),
        "concepts" => schemars::schema_for!(concepts::ConceptsFile),
        "context" => schemars::schema_for!(concepts::ContextFile),
        "guidelines" => schemars::schema_for!(guidelines::GuidelinesFile),
        "categories" => schemars::schema_for!(categories::CategoriesFile),
        "anatomy" => schemars::schema_for!(categories::AnatomyFile),
        "requests" => schemars::schema_for!(requests::RequestsFile),
        "layouts" => schemars::schema_for!(layouts::LayoutsFile),
        "reasons" => schemars::schema_for!(reasons::ReasonsFile),
        "definitions" => schemars::schema_for!(definitions::DefinitionsFile),
        "config" => schemars::schema_for!(imrlint::config::ConfigFile),
        "gold" => schemars::schema_for!(imrlint::gold::GoldFile),
        "coverage" => schemars::schema_for!(imrlint::coverage::CoverageSet),
        other => {
            eprintln!(
                "imrlint: no schema `{other}`; kinds: rules, drugs, concepts, context, guidelines, categories, anatomy, requests, layouts, reasons, definitions, config, gold, coverage, facts (the fields conditions read)"
            );
            return ExitCode::from(EXIT_USAGE);
        }
    };
    print_json(&schema);
    ExitCode::SUCCESS
}

fn print_gold_errors(errors: &[imrlint::gold::GoldError]) {
    for e in errors {
        eprintln!("imrlint: {e}");
    }
    eprintln!(
        "imrlint: {} problem(s) with the gold; nothing was scored (`imrlint schema gold` prints the format of a gold file)",
        errors.len()
    );
}

fn print_json(value: &impl Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// `imrlint eval`: checks the letters gold names (or those given), scores them, prints the
/// evaluation, and holds it to the thresholds given.
fn run_eval(args: &EvalArgs) -> ExitCode {
    use imrlint::gold::{self, Annotator};
    let split = args.split.map(SplitArg::split);
    let golds = match gold::read_dir(&args.gold, Annotator::Adjudicated) {
        Ok(g) => g,
        Err(errors) => {
            print_gold_errors(&errors);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let in_split = |g: &gold::Gold| imrlint::eval::in_split(g, split);
    let mut evaluation = imrlint::eval::Evaluation::default();
    let paths: Vec<PathBuf> = if args.paths.is_empty() {
        golds
            .values()
            .filter(|g| in_split(g))
            .filter_map(|g| {
                let found = g.locate(&args.corpus);
                if found.is_none() {
                    evaluation.not_found.push(g.file.letter.clone());
                }
                found
            })
            .collect()
    } else {
        args.paths.clone()
    };
    if !evaluation.not_found.is_empty() {
        eprintln!(
            "imrlint: {} gold letter(s) not found in the working folder or {}: not scored",
            evaluation.not_found.len(),
            args.corpus.display()
        );
    }
    let linter = match open_linter(&args.settings.rules, args.settings.options()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    each_letter(&linter, &paths, &args.settings, |result, _| {
        match golds.get(&gold::stem(std::path::Path::new(&result.path))) {
            Some(g) if in_split(g) => evaluation.add(g, &result),
            // A letter of the other split is left out silently; one with no gold is listed.
            Some(_) => {}
            None => evaluation.without_gold.push(result.path.clone()),
        }
    });
    if evaluation.letters == 0 {
        eprintln!(
            "imrlint: no letter with gold to score{} (gold: {} adjudicated file(s) in {})",
            split
                .map(|s| format!(" in the {} split", s.id()))
                .unwrap_or_default(),
            golds.len(),
            args.gold.display()
        );
        return ExitCode::from(EXIT_USAGE);
    }
    match args.format {
        EvalFormat::Human => print!("{}", imrlint::eval::human(&evaluation)),
        EvalFormat::Json => print_json(&imrlint::eval::json(&evaluation)),
    }
    let overall = evaluation.score.overall;
    let mut below = false;
    for (name, value, min) in [
        ("precision", overall.precision(), args.min_precision),
        ("recall", overall.recall(), args.min_recall),
    ] {
        if let Some(min) = min
            && value.unwrap_or(0.0) < min
        {
            eprintln!(
                "imrlint: {name} {:.1}% is below the minimum {:.1}%",
                100.0 * value.unwrap_or(0.0),
                100.0 * min
            );
            below = true;
        }
    }
    if below {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

/// `imrlint gold split`: each letter's split, by the rule every gold file follows unless pinned.
fn run_split(args: &SplitArgs) -> ExitCode {
    use imrlint::gold::{self, Annotator};
    let golds = if args.gold.is_dir() {
        match gold::read_dir(&args.gold, Annotator::Adjudicated) {
            Ok(g) => g,
            Err(errors) => {
                print_gold_errors(&errors);
                return ExitCode::from(EXIT_USAGE);
            }
        }
    } else {
        Default::default()
    };
    let inputs = Inputs::expand(&args.paths, |_| true);
    for i in 0..inputs.len() {
        let path = match inputs.get(i) {
            Ok(origin) => origin.display_name(),
            Err((path, _)) => path.display().to_string(),
        };
        let stem = gold::stem(std::path::Path::new(&path));
        let split = golds
            .get(&stem)
            .map_or_else(|| gold::split_of(&stem), |g| g.split());
        println!("{}\t{path}", split.id());
    }
    ExitCode::SUCCESS
}

fn run_agreement(args: &AgreementArgs) -> ExitCode {
    use imrlint::gold::{self, Annotator};
    let (a, b) = match (
        gold::read_dir(&args.a, Annotator::A),
        gold::read_dir(&args.b, Annotator::B),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            let errors: Vec<_> = [a.err(), b.err()].into_iter().flatten().flatten().collect();
            print_gold_errors(&errors);
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let agreement = imrlint::eval::agreement::compare(&a, &b);
    match args.format {
        EvalFormat::Human => print!("{}", agreement.human()),
        EvalFormat::Json => print_json(&agreement.json()),
    }
    ExitCode::SUCCESS
}
