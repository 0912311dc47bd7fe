//! The Evaluation and Findings stages: each rule's CEL conditions over an item's facts give the
//! reasons that apply (true, false or unknown); each reason's cites over the item's rationale say
//! whether it is cited; the two together, with the rationale's conclusion and citations, give
//! the findings.

use std::collections::BTreeMap;
use std::ops::Range;

use cel::{Context, Value};
use serde::Serialize;
use serde_json::json;

use crate::facts::context::{self as concept_context, Scan};
use crate::facts::{Facts, ItemFacts};
use crate::letter::{Decision, Item, Letter};
use crate::rules::checks::{Role, Template, TemplatePart};
use crate::rules::environment::{value_of, value_of_fields};
use crate::rules::reasons::ReasonKind;
use crate::rules::{RuleSet, Status};
use crate::text::{Span, sentences};

/// How a finding ranks, for `--fail-on` and displays.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

/// The severity from which a run fails (exit 1), or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    /// Every threshold by its name on the command line and in settings.
    pub const ALL: [(FailOn, &'static str); 4] = [
        (FailOn::Error, "error"),
        (FailOn::Warning, "warning"),
        (FailOn::Note, "note"),
        (FailOn::Never, "never"),
    ];

    pub fn from_name(name: &str) -> Option<FailOn> {
        FailOn::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(f, _)| *f)
    }

    /// The lowest severity that fails the run.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

impl Severity {
    pub fn id(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    MissingReason,
    UnsupportedClaim,
    UnverifiedClaim,
    DecisionInconsistent,
    CitationMismatch,
    GuidelineMismatch,
    NoGuideline,
    Contradiction,
    Misspelling,
    Unreadable,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::MissingReason => "missing-reason",
            Kind::UnsupportedClaim => "unsupported-claim",
            Kind::UnverifiedClaim => "unverified-claim",
            Kind::DecisionInconsistent => "decision-inconsistent",
            Kind::CitationMismatch => "citation-mismatch",
            Kind::GuidelineMismatch => "guideline-mismatch",
            Kind::NoGuideline => "no-guideline",
            Kind::Contradiction => "contradiction",
            Kind::Misspelling => "misspelling",
            Kind::Unreadable => "unreadable",
        }
    }

    /// What the kind means, for reports that describe their rules (SARIF).
    pub fn description(self) -> &'static str {
        match self {
            Kind::MissingReason => {
                "The rationale does not give a guideline reason that applies to the item"
            }
            Kind::UnsupportedClaim => "The rationale gives a reason the letter's facts contradict",
            Kind::UnverifiedClaim => {
                "The rationale gives a reason the case summary does not establish"
            }
            Kind::DecisionInconsistent => {
                "The decision disagrees with the rationale's conclusion or with the decision it depends on"
            }
            Kind::CitationMismatch => {
                "A cited page or section is outside the cited topic, or differs from the guideline line"
            }
            Kind::GuidelineMismatch => "The cited guideline topic does not fit the item",
            Kind::NoGuideline => "The reviewer cited no medical evidence",
            Kind::Contradiction => "Two rationales of one letter state opposite facts",
            Kind::Misspelling => "A drug name is misspelled",
            Kind::Unreadable => "The file could not be read as a determination letter",
        }
    }
}

impl Finding {
    /// The finding's code: its kind, with the rule and reason that raised it
    /// (`missing-reason[mtus-opioids/drug-screen-missing]`).
    pub fn code(&self) -> String {
        match (&self.rule, &self.reason) {
            (Some(rule), Some(reason)) => format!("{}[{rule}/{reason}]", self.kind.id()),
            (Some(rule), None) => format!("{}[{rule}]", self.kind.id()),
            _ => self.kind.id().to_string(),
        }
    }
}

/// A labelled place in the letter.
#[derive(Debug, Clone, Serialize)]
pub struct Label {
    #[serde(flatten)]
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: Kind,
    pub severity: Severity,
    pub rule: Option<String>,
    pub reason: Option<String>,
    pub item: Option<usize>,
    pub message: String,
    pub help: String,
    pub labels: Vec<Label>,
}

/// What one rule said of one reason for one item.
#[derive(Debug, Clone, Serialize)]
pub struct ReasonResult {
    pub reason: String,
    pub rule: String,
    pub role: Role,
    pub applies: Option<bool>,
    pub cited: bool,
    /// Where the rationale cites it.
    #[serde(skip)]
    pub cite: Option<Range<usize>>,
    /// Where it cites it in a sentence about the patient or the record: only that is a claim
    /// the facts can contradict.
    #[serde(skip)]
    pub claim: Option<Range<usize>>,
    #[serde(skip)]
    pub message: String,
    #[serde(skip)]
    pub help: String,
    /// Where the facts that decide it stand, with what they say.
    #[serde(skip)]
    pub evidence: Vec<Label>,
}

/// The evaluation of one item.
#[derive(Debug, Clone, Serialize)]
pub struct ItemResult {
    pub index: usize,
    /// Every rule's `applies_to` for this item, in rule order (for `--trace`).
    #[serde(skip)]
    pub rules: Vec<(String, Option<bool>)>,
    /// Each definition's value for this item (for `--trace`): true, false, or unknown.
    #[serde(skip)]
    pub definitions: Vec<(String, Option<bool>)>,
    /// Conditions that failed on their own account, not for a missing fact: each counted as
    /// unknown, and shown to the rule author.
    #[serde(skip)]
    pub errors: Vec<ConditionError>,
    pub reasons: Vec<ReasonResult>,
    /// The decision the rationale's conclusion states, and where.
    #[serde(skip)]
    pub conclusion: Option<(Decision, Range<usize>)>,
}

/// A condition that could not be evaluated because of itself (an undeclared name, a function
/// given a value of the wrong kind, a bad regex), not because a fact is missing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConditionError {
    /// Which condition: `rule `x` applies_to`, `rule `x`, reason `y`: when`, `definition `z``.
    pub condition: String,
    pub message: String,
}

/// A letter checked: its items' evaluations and its findings, in letter order.
#[derive(Debug, Clone)]
pub struct Checked {
    pub items: Vec<ItemResult>,
    pub findings: Vec<Finding>,
}

/// Checks a letter whose facts are read.
pub fn check(letter: &Letter, facts: &Facts, rules: &RuleSet) -> Checked {
    let folded = letter.text.folded();
    let concepts = letter_concepts(facts, rules);
    let mut items = Vec::new();
    let mut findings = Vec::new();
    let mut rationales = Vec::new();
    let letter_context = letter_context(facts, &concepts);
    for (item, item_facts) in letter.items.iter().zip(&facts.items) {
        let (ctx, definitions, mut errors) = item_context(&letter_context, item_facts, rules);
        let mut truth_of =
            |program: &cel::Program, condition: &dyn Fn() -> String| match truth(program, &ctx) {
                Ok(value) => value,
                Err(message) => {
                    errors.push(ConditionError {
                        condition: condition(),
                        message,
                    });
                    None
                }
            };
        let rationale = item
            .rationale
            .clone()
            .unwrap_or(item.heading.end..item.heading.end);
        let read = Rationale::read(rules, folded, rationale.clone());
        let cites = Cites::find(rules, folded, &read);
        let conclusion = conclusion(rules, folded, rationale.clone());
        let mut reasons = Vec::new();
        let applied: Vec<(String, Option<bool>)> = rules
            .rules
            .iter()
            .map(|r| {
                let applies = truth_of(&r.applies_to, &|| {
                    format!("rule `{}` applies_to", r.rule.id)
                });
                (r.rule.id.clone(), applies)
            })
            .collect();
        for rule in rules
            .rules
            .iter()
            .zip(&applied)
            .filter(|(_, (_, a))| *a == Some(true))
            .map(|(r, _)| r)
        {
            for r in &rule.reasons {
                let cite = cites.of(r.reason);
                let reason = &rules.reasons.reasons[r.reason].id;
                let applies = truth_of(&r.when, &|| {
                    format!("rule `{}`, reason `{reason}`: when", rule.rule.id)
                });
                reasons.push(ReasonResult {
                    reason: reason.clone(),
                    rule: rule.rule.id.clone(),
                    role: r.role,
                    applies,
                    cited: cite.is_some(),
                    cite,
                    claim: cites.claim(r.reason),
                    message: render(&r.message, &ctx),
                    help: format!(
                        "{} (guideline: {})",
                        render(&r.help, &ctx),
                        guideline_name(rules, rule)
                    ),
                    evidence: r
                        .evidence
                        .iter()
                        .filter_map(|e| evidence(e, &ctx, &letter.text))
                        .collect(),
                });
            }
        }
        findings.extend(reason_findings(letter, item, &reasons, rules));
        findings.extend(decision_finding(letter, item, conclusion.as_ref()));
        findings.extend(procedure_finding(letter, item, item_facts));
        findings.extend(guideline_findings(letter, item, item_facts, &cites, rules));
        let parts: Vec<Range<usize>> = std::iter::once(item.treatment.clone())
            .chain(item.rationale.clone())
            .collect();
        findings.extend(misspellings(letter, &parts, Some(item.index), rules));
        items.push(ItemResult {
            index: item.index,
            rules: applied,
            definitions,
            errors,
            reasons,
            conclusion,
        });
        if item.rationale.is_some() {
            rationales.push((item.index, read));
        }
    }
    findings.extend(misspellings(letter, letter.summary.as_slice(), None, rules));
    findings.extend(contradictions(letter, &rationales, rules));
    Checked { items, findings }
}

/// Each concept's status over the whole summary: its firmest mention's (documented if any
/// mention affirms it), `absent` when none mentions it.
fn letter_concepts(facts: &Facts, rules: &RuleSet) -> BTreeMap<String, &'static str> {
    let mut firmest: BTreeMap<&str, Option<Status>> = rules
        .concepts
        .concepts
        .iter()
        .map(|c| (c.id.as_str(), None))
        .collect();
    for m in &facts.concepts {
        if let Some(slot) = firmest.get_mut(m.concept.as_str())
            && slot.is_none_or(|s| m.status.documents() > s.documents())
        {
            *slot = Some(m.status);
        }
    }
    firmest
        .into_iter()
        .map(|(id, s)| (id.to_string(), s.map_or("absent", Status::id)))
        .collect()
}

/// The CEL variables of the whole letter, converted once and shared by its items.
fn letter_context(
    facts: &Facts,
    concepts: &BTreeMap<String, &'static str>,
) -> Context<'static, 'static> {
    let mut ctx = Context::with_env(crate::rules::environment::environment());
    add_variable(&mut ctx, "concepts", concepts);
    add_variable(&mut ctx, "patient", &facts.patient);
    add_variable(&mut ctx, "medications", &facts.medications);
    add_variable(
        &mut ctx,
        "letter",
        &json!({"layout": facts.layout, "header": json_of(&facts.header), "reference_date": json_of(&facts.reference_date)}),
    );
    ctx
}

/// The CEL variables for one item, in a scope of the letter's, with the values of the shared
/// definitions, and the definitions that failed on their own account.
#[allow(clippy::type_complexity)]
fn item_context<'a>(
    letter: &'a Context<'static, 'static>,
    item: &ItemFacts,
    rules: &RuleSet,
) -> (
    Context<'a, 'static>,
    Vec<(String, Option<bool>)>,
    Vec<ConditionError>,
) {
    let mut ctx = letter.new_inner_scope();
    ctx.add_variable_as_val("item", value_of_fields(item, &rules.item_fields));
    match &item.drug_use {
        Some(drug_use) => add_variable(&mut ctx, "use", drug_use),
        None => add_variable(
            &mut ctx,
            "use",
            &json!({"first_documented": null, "weeks": null, "concepts": {}}),
        ),
    }
    // In order: a definition may use the ones above it. An unknown fact makes it null.
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for (d, program) in &rules.definitions.list {
        let value = match program.execute(&ctx) {
            Ok(value) => value,
            Err(e) => {
                if !missing_fact(&e) {
                    errors.push(ConditionError {
                        condition: format!("definition `{}`", d.name),
                        message: e.to_string(),
                    });
                }
                Value::Null
            }
        };
        values.push((
            d.name.clone(),
            match value {
                Value::Bool(b) => Some(b),
                _ => None,
            },
        ));
        ctx.add_variable_from_value(d.name.as_str(), value);
    }
    (ctx, values, errors)
}

fn add_variable<T: Serialize + ?Sized>(ctx: &mut Context, name: &str, value: &T) {
    ctx.add_variable_as_val(name, value_of(value));
}

fn json_of<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A condition's truth: true or false; unknown (`None`) when a fact it needs is missing; an
/// error when the condition itself is at fault.
pub fn truth(program: &cel::Program, ctx: &Context) -> Result<Option<bool>, String> {
    match program.execute(ctx) {
        Ok(Value::Bool(b)) => Ok(Some(b)),
        Ok(Value::Null) => Ok(None),
        Ok(other) => Err(format!("it gives {}, not true or false", other.type_of())),
        Err(e) if missing_fact(&e) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Whether an evaluation failed for a fact the letter does not give: an operator or function
/// met a null, or a key the facts leave out. Every other failure is the condition's own.
fn missing_fact(e: &cel::ExecutionError) -> bool {
    use cel::ExecutionError as E;
    match e {
        E::NoSuchKey(_) => true,
        E::NoSuchOverload(o) => o.argument_types().iter().any(|t| t == "null_type"),
        E::ValuesNotComparable(a, b) | E::UnsupportedBinaryOperator(_, a, b) => {
            matches!(a, Value::Null) || matches!(b, Value::Null)
        }
        E::UnsupportedTargetType { target } | E::NotSupportedAsMethod { target, .. } => {
            matches!(target, Value::Null)
        }
        E::UnexpectedType { got, .. } => got == "null",
        _ => false,
    }
}

/// The document and topic a rule rests on, for help texts.
fn guideline_name(rules: &RuleSet, rule: &crate::rules::checks::CompiledRule) -> String {
    let document = &rules.guidelines.documents[rule.document];
    let (doc, topic) = (&document.doc, &document.doc.topics[rule.topic]);
    match document.pages_label(rule.topic) {
        None => format!("{}, {}", doc.title, topic.title),
        Some(pages) => format!("{}, {}, {pages}", doc.title, topic.title),
    }
}

/// A fact named by an evidence expression, as a label: facts with a place carry their offsets.
fn evidence(program: &cel::Program, ctx: &Context, text: &crate::text::Text) -> Option<Label> {
    let Ok(Value::Map(map)) = program.execute(ctx) else {
        return None;
    };
    let get = |k: &str| map.map.get(&cel::objects::Key::from(k)).cloned();
    let int = |k: &str| match get(k) {
        Some(Value::Int(i)) => usize::try_from(i).ok(),
        Some(Value::UInt(u)) => usize::try_from(u).ok(),
        _ => None,
    };
    let (start, end) = (int("start")?, int("end")?);
    if start > end || end > text.original().len() {
        return None;
    }
    let shown = match get("text").or_else(|| get("value")) {
        Some(Value::String(s)) => s.to_string(),
        Some(Value::Int(i)) => i.to_string(),
        _ => text.original().get(start..end).unwrap_or("").to_string(),
    };
    Some(Label {
        span: text.span_of_original(start..end),
        text: format!("fact: {shown}"),
    })
}

fn render(t: &Template, ctx: &Context) -> String {
    t.parts
        .iter()
        .map(|p| match p {
            TemplatePart::Text(s) => s.clone(),
            TemplatePart::Expr(source, program) => match program.execute(ctx) {
                Ok(Value::String(s)) => s.to_string(),
                Ok(Value::Int(i)) => i.to_string(),
                Ok(Value::UInt(i)) => i.to_string(),
                Ok(Value::Float(f)) => f.to_string(),
                Ok(Value::Bool(b)) => b.to_string(),
                Ok(Value::Null) | Err(_) => format!("(unknown {source})"),
                Ok(other) => format!("{other:?}"),
            },
        })
        .collect()
}

/// A rationale read once for all that is asked of it: its sentences, which of them are about the
/// patient, its context triggers, and the concepts it mentions with their status.
struct Rationale<'a> {
    range: Range<usize>,
    sentences: Vec<Range<usize>>,
    about_patient: Vec<Range<usize>>,
    scan: Scan<'a>,
    mentions: Vec<concept_context::Mention>,
}

impl<'a> Rationale<'a> {
    fn read(rules: &'a RuleSet, folded: &'a str, range: Range<usize>) -> Rationale<'a> {
        let sentences = sentences(folded, range.clone());
        let mut about_patient: Vec<Range<usize>> = rules
            .context
            .about_the_patient
            .find_all(folded, range.clone())
            .into_iter()
            .filter_map(|m| {
                sentences
                    .iter()
                    .find(|s| s.start <= m.range.start && m.range.end <= s.end)
                    .cloned()
            })
            .collect();
        about_patient.dedup();
        let scan = Scan::new(&rules.context, folded, range.clone());
        let mentions = concept_context::mentions_in(&rules.concepts, &scan, &sentences);
        Rationale {
            range,
            sentences,
            about_patient,
            scan,
            mentions,
        }
    }

    fn about_patient(&self, at: &Range<usize>) -> bool {
        self.about_patient
            .iter()
            .any(|s| s.start <= at.start && at.end <= s.end)
    }
}

/// Where a rationale cites each reason.
struct Cites {
    first: BTreeMap<usize, Range<usize>>,
    /// The first cite of each reason in a sentence about the patient or the record: a claim.
    claims: BTreeMap<usize, Range<usize>>,
}

impl Cites {
    fn find(rules: &RuleSet, folded: &str, rationale: &Rationale) -> Cites {
        let reasons = &rules.reasons;
        // Words in quotation marks are the guideline's ("not recommended for long-term use"), not
        // the reviewer's finding about this patient.
        let quotes = quoted(folded, rationale.range.clone());
        let mut first: BTreeMap<usize, Range<usize>> = BTreeMap::new();
        let mut claims: BTreeMap<usize, Range<usize>> = BTreeMap::new();
        let mut note = |reason: usize, at: Range<usize>| {
            if quotes
                .iter()
                .any(|q| q.start <= at.start && at.end <= q.end)
            {
                return;
            }
            if rationale.about_patient(&at) {
                claims.entry(reason).or_insert(at.clone());
            }
            first.entry(reason).or_insert(at);
        };
        for m in reasons
            .cite_patterns
            .find_all(folded, rationale.range.clone())
        {
            let (reason, cite) = reasons.cite_owner[m.owner];
            let Some(sentence) = rationale
                .sentences
                .iter()
                .find(|s| s.start <= m.range.start && m.range.end <= s.end)
            else {
                continue;
            };
            let (status, _) = rationale.scan.status(sentence, &m.range);
            if reasons.reasons[reason].cites[cite]
                .status
                .iter()
                .any(|e| e.holds(&[status]))
            {
                note(reason, m.range);
            }
        }
        for (reason, cites) in reasons.concept_cites.iter().enumerate() {
            for (concept, cite) in cites {
                let wanted = &reasons.reasons[reason].cites[*cite].status;
                if let Some(m) = rationale
                    .mentions
                    .iter()
                    .find(|m| m.concept == *concept && wanted.iter().any(|e| e.holds(&[m.status])))
                {
                    note(reason, m.range.clone());
                }
            }
        }
        Cites { first, claims }
    }

    fn of(&self, reason: usize) -> Option<Range<usize>> {
        self.first.get(&reason).cloned()
    }

    fn claim(&self, reason: usize) -> Option<Range<usize>> {
        self.claims.get(&reason).cloned()
    }
}

/// The stretches between paired double quotes in `range`; an unpaired last quote opens nothing.
fn quoted(folded: &str, range: Range<usize>) -> Vec<Range<usize>> {
    let marks: Vec<usize> = folded[range.clone()]
        .match_indices('"')
        .map(|(i, _)| range.start + i)
        .collect();
    marks.chunks_exact(2).map(|p| p[0]..p[1] + 1).collect()
}

/// The decision the rationale concludes with: its last conclusion phrase.
fn conclusion(
    rules: &RuleSet,
    folded: &str,
    rationale: Range<usize>,
) -> Option<(Decision, Range<usize>)> {
    rules
        .reasons
        .conclusions
        .find_longest(folded, rationale)
        .into_iter()
        .last()
        .map(|m| {
            let d = if m.owner == 0 {
                Decision::Upheld
            } else {
                Decision::Overturned
            };
            (d, m.range)
        })
}

fn label(letter: &Letter, r: &Range<usize>, text: impl Into<String>) -> Label {
    Label {
        span: letter.text.span(r.clone()),
        text: text.into(),
    }
}

fn reason_findings(
    letter: &Letter,
    item: &Item,
    reasons: &[ReasonResult],
    rules: &RuleSet,
) -> Vec<Finding> {
    let rationale = item.rationale.clone().unwrap_or(item.heading.clone());
    if item.decision == Decision::Overturned {
        // An overturned rationale argues for the treatment and makes no claims against it; a
        // primary reason against it that applies and goes unaddressed is a note for the auditor.
        return reasons
            .iter()
            .filter(|r| r.role == Role::Primary && r.applies == Some(true) && !r.cited)
            .map(|r| Finding {
                kind: Kind::MissingReason,
                severity: Severity::Note,
                rule: Some(r.rule.clone()),
                reason: Some(r.reason.clone()),
                item: Some(item.index),
                message: format!(
                    "overturned although a primary reason against it applies: {}",
                    r.message
                ),
                help: format!(
                    "if the request is still necessary, say why despite this: {}",
                    r.help
                ),
                labels: vec![label(
                    letter,
                    &(rationale.start..rationale.start + 1),
                    "this rationale",
                )],
            })
            .collect();
    }
    if item.decision != Decision::Upheld {
        return Vec::new();
    }
    let mut out = Vec::new();
    for r in reasons {
        let Some(reason) = rules
            .reasons
            .index(&r.reason)
            .map(|i| &rules.reasons.reasons[i])
        else {
            continue;
        };
        let title = reason.title.as_str();
        let (kind, severity, message, at) = match (r.applies, r.cited) {
            (Some(true), false) => {
                let severity = if r.role == Role::Primary {
                    Severity::Warning
                } else {
                    Severity::Note
                };
                (
                    Kind::MissingReason,
                    severity,
                    format!(
                        "the rationale does not give a reason that applies: {}",
                        r.message
                    ),
                    rationale.start..rationale.start + 1,
                )
            }
            (Some(false), true) if r.claim.is_some() => (
                Kind::UnsupportedClaim,
                Severity::Warning,
                format!("the rationale claims a reason the facts do not support: {title}"),
                r.claim.clone().unwrap_or(rationale.clone()),
            ),
            // A documentation reason left unknown (a first prescription has no benefit to ask
            // of) is still true of the record: saying the record lacks it claims nothing more.
            (None, true) if reason.kind == ReasonKind::State && r.claim.is_some() => (
                Kind::UnverifiedClaim,
                Severity::Note,
                format!(
                    "the rationale claims a reason the case summary does not establish: {title}"
                ),
                r.claim.clone().unwrap_or(rationale.clone()),
            ),
            _ => continue,
        };
        out.push(Finding {
            kind,
            severity,
            rule: Some(r.rule.clone()),
            reason: Some(r.reason.clone()),
            item: Some(item.index),
            message,
            help: r.help.clone(),
            labels: std::iter::once(label(
                letter,
                &at,
                if r.cited {
                    "cited here"
                } else {
                    "this rationale"
                },
            ))
            .chain(r.evidence.iter().cloned())
            .collect(),
        });
    }
    out
}

/// A service certified although the procedure it belongs to is not: the letter approves what
/// only that procedure would need.
fn procedure_finding(letter: &Letter, item: &Item, facts: &ItemFacts) -> Option<Finding> {
    let procedure = facts.procedure.as_ref()?;
    if item.decision != Decision::Overturned || procedure.decision != Decision::Upheld {
        return None;
    }
    let of_procedure = letter.items.iter().find(|i| i.index == procedure.index)?;
    Some(Finding {
        kind: Kind::DecisionInconsistent,
        severity: Severity::Warning,
        rule: None,
        reason: None,
        item: Some(item.index),
        message: format!(
            "the service is certified, but the procedure it belongs to ({}) is not",
            procedure.treatment
        ),
        help:
            "uphold the service with its procedure, or say why it is needed without the procedure"
                .into(),
        labels: vec![
            label(letter, &item.decision_label, "certified"),
            label(
                letter,
                &of_procedure.decision_label,
                "procedure not certified",
            ),
        ],
    })
}

fn decision_finding(
    letter: &Letter,
    item: &Item,
    conclusion: Option<&(Decision, Range<usize>)>,
) -> Option<Finding> {
    let (said, at) = conclusion?;
    if item.decision == Decision::Unknown || *said == item.decision {
        return None;
    }
    Some(Finding {
        kind: Kind::DecisionInconsistent,
        severity: Severity::Error,
        rule: None,
        reason: None,
        item: Some(item.index),
        message: format!("the item is labelled {} but its rationale concludes it is {}", item.decision.id(), said.id()),
        help: "make the conclusion sentence and the decision label agree: Upheld means not medically necessary, Overturned means medically necessary".into(),
        labels: vec![
            label(letter, &item.decision_label, format!("labelled {}", item.decision.id())),
            label(letter, at, format!("concludes {}", said.id())),
        ],
    })
}

/// Citation checks: no evidence cited (unless the rationale rests on another item's decision),
/// pages outside the cited topic, a rationale page that differs from the guideline line's, and a
/// cited topic that does not fit the item.
fn guideline_findings(
    letter: &Letter,
    item: &Item,
    facts: &ItemFacts,
    cites: &Cites,
    rules: &RuleSet,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(line) = &facts.guideline.reviewer else {
        return out;
    };
    let follows_another_decision = cites
        .first
        .keys()
        .any(|&r| rules.reasons.reasons[r].follows_another_decision);
    let line_range = item
        .reviewer_guideline
        .clone()
        .unwrap_or(item.heading.clone());
    let finding = |kind, severity, message: String, help: &str, labels| Finding {
        kind,
        severity,
        rule: None,
        reason: None,
        item: Some(item.index),
        message,
        help: help.into(),
        labels,
    };
    if line.no_evidence {
        if follows_another_decision {
            return out;
        }
        out.push(finding(
            Kind::NoGuideline,
            Severity::Warning,
            "the reviewer cited no medical evidence for the decision".into(),
            "cite the MTUS topic the decision rests on (or ACOEM or ODG where the MTUS is silent)",
            vec![label(letter, &line_range, "no evidence cited")],
        ));
        return out;
    }
    let mut line_pages: Vec<(u32, u32)> = Vec::new();
    for c in &line.citations {
        let Some(doc) = c
            .document
            .as_ref()
            .and_then(|d| rules.guidelines.document(d))
        else {
            continue;
        };
        let cited_topics: Vec<usize> = c
            .topics
            .iter()
            .filter_map(|t| doc.doc.topics.iter().position(|x| x.id == t.value))
            .collect();
        let page_cited = c
            .edition
            .as_ref()
            .and_then(|e| doc.doc.editions.iter().find(|x| &x.id == e))
            .is_some_and(|e| e.cites_by == crate::rules::guidelines::CitesBy::Page);
        for p in &c.pages {
            let Some(range) = crate::rules::guidelines::parse_page_range(&p.value) else {
                continue;
            };
            line_pages.push(range);
            let topic_pages: Vec<(u32, u32)> = cited_topics
                .iter()
                .flat_map(|t| doc.topic_pages[*t].iter().copied())
                .collect();
            if page_cited
                && !topic_pages.is_empty()
                && !topic_pages.iter().any(|t| overlaps(*t, range))
            {
                out.push(finding(
                    Kind::CitationMismatch,
                    Severity::Warning,
                    format!(
                        "page {} is not a page of the cited topic ({})",
                        p.value,
                        pages_text(&topic_pages)
                    ),
                    "cite the page(s) of the topic the decision rests on",
                    vec![Label {
                        span: p.span,
                        text: "this page".into(),
                    }],
                ));
            }
        }
        // A topic that does not fit the item: every cited topic says what it covers, none covers it.
        let covers: Vec<&crate::rules::guidelines::Covers> = cited_topics
            .iter()
            .filter_map(|t| doc.doc.topics[*t].covers.as_ref())
            .collect();
        if !covers.is_empty()
            && covers.len() == cited_topics.len()
            && !covers.iter().any(|cv| fits(cv, facts))
        {
            let topic_names: Vec<&str> = cited_topics
                .iter()
                .map(|t| doc.doc.topics[*t].title.as_str())
                .collect();
            out.push(finding(
                Kind::GuidelineMismatch,
                Severity::Warning,
                format!(
                    "the cited topic ({}) does not cover {}",
                    topic_names.join(", "),
                    facts
                        .drug
                        .as_ref()
                        .map_or(facts.category.clone(), |d| format!(
                            "{} ({})",
                            d.name, d.class
                        ))
                ),
                "cite the guideline topic that addresses the requested treatment",
                c.topics
                    .iter()
                    .map(|t| Label {
                        span: t.span,
                        text: "cited topic".into(),
                    })
                    .collect(),
            ));
        }
    }
    // The rationale cites a page that is neither on the guideline line nor of any topic of the
    // cited documents.
    if !line_pages.is_empty() {
        let known: Vec<(u32, u32)> = line
            .citations
            .iter()
            .filter_map(|c| {
                c.document
                    .as_ref()
                    .and_then(|d| rules.guidelines.document(d))
            })
            .flat_map(|d| d.topic_pages.iter().flatten().copied())
            .chain(line_pages.iter().copied())
            .collect();
        for p in &facts.guideline.rationale_pages {
            let Some(range) = crate::rules::guidelines::parse_page_range(&p.value) else {
                continue;
            };
            if !known.iter().any(|k| overlaps(*k, range)) {
                let mut labels = vec![Label {
                    span: p.span,
                    text: format!("page {}", p.value),
                }];
                labels.push(label(
                    letter,
                    &line_range,
                    format!("the guideline line cites {}", pages_text(&line_pages)),
                ));
                out.push(finding(
                    Kind::CitationMismatch,
                    Severity::Warning,
                    format!(
                        "the rationale cites page {}, which the guideline line does not cite ({})",
                        p.value,
                        pages_text(&line_pages)
                    ),
                    "make the rationale's page and the guideline line's page agree",
                    labels,
                ));
            }
        }
    }
    out
}

fn fits(covers: &crate::rules::guidelines::Covers, facts: &ItemFacts) -> bool {
    let drug = facts.drug.as_ref();
    covers.categories.contains(&facts.category)
        || drug.is_some_and(|d| {
            covers.classes.contains(&d.class)
                || d.own_class
                    .as_ref()
                    .is_some_and(|c| covers.classes.contains(c))
        })
        || facts.drugs.iter().any(|d| covers.drugs.contains(&d.name))
}

fn overlaps(a: (u32, u32), b: (u32, u32)) -> bool {
    a.0 <= b.1 && b.0 <= a.1
}

fn pages_text(pages: &[(u32, u32)]) -> String {
    let parts: Vec<String> = pages
        .iter()
        .map(|(a, b)| {
            if a == b {
                format!("p. {a}")
            } else {
                format!("pp. {a}-{b}")
            }
        })
        .collect();
    parts.join(", ")
}

/// Drug names the letter misspells in `ranges` (an item's treatment and rationale, with the
/// item's index, or the case summary, without).
fn misspellings(
    letter: &Letter,
    ranges: &[Range<usize>],
    item: Option<usize>,
    rules: &RuleSet,
) -> Vec<Finding> {
    let folded = letter.text.folded();
    let mut out = Vec::new();
    for r in ranges {
        let known = rules.drugs.find(folded, r.clone());
        // Names listed as misspellings in drugs.yaml.
        let mut misspelled: Vec<(usize, Range<usize>)> = known
            .iter()
            .filter(|m| m.kind == crate::rules::drugs::NameKind::Misspelling)
            .map(|m| (m.drug, m.range.clone()))
            .collect();
        // Words one edit from a drug name.
        for range in words(folded, r.clone()) {
            if known
                .iter()
                .any(|m| m.range.start <= range.start && range.end <= m.range.end)
            {
                continue;
            }
            if let Some(drug) = rules.drugs.near_miss(&folded[range.clone()]) {
                misspelled.push((drug, range));
            }
        }
        for (drug, range) in misspelled {
            let name = &rules.drugs.drugs[drug].name;
            out.push(Finding {
                kind: Kind::Misspelling,
                severity: Severity::Note,
                rule: None,
                reason: None,
                item,
                message: format!(
                    "`{}` looks like a misspelling of {name}",
                    &folded[range.clone()]
                ),
                help: format!(
                    "write `{name}` (or add the word to drugs.yaml if it is a drug of its own)"
                ),
                labels: vec![label(letter, &range, "misspelled")],
            });
        }
    }
    out
}

/// The runs of letters and digits in `text[range]`, as ranges of `text`. Separators may be
/// several bytes long (a replacement character, a dash), so offsets are counted, not assumed.
fn words(text: &str, range: Range<usize>) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut start = None;
    text[range.clone()]
        .char_indices()
        .map(Some)
        .chain(std::iter::once(None))
        .filter_map(move |c| match c {
            Some((i, c)) if c.is_alphanumeric() => {
                start.get_or_insert(range.start + i);
                None
            }
            Some((i, _)) => start.take().map(|s| s..range.start + i),
            None => start.take().map(|s| s..range.end),
        })
}

/// Two rationales of one letter that assert opposite facts about the patient: a finding, a
/// history or a risk factor that one rationale affirms and another negates, in sentences about
/// the patient that name no drug.
fn contradictions(
    letter: &Letter,
    rationales: &[(usize, Rationale)],
    rules: &RuleSet,
) -> Vec<Finding> {
    let folded = letter.text.folded();
    let per_item: Vec<(usize, Vec<&concept_context::Mention>)> = rationales
        .iter()
        .map(|(index, rationale)| {
            let mentions = rationale
                .mentions
                .iter()
                .filter(|m| {
                    matches!(
                        m.status,
                        crate::rules::Status::Affirmed | crate::rules::Status::Negated
                    )
                })
                .filter(|m| {
                    rules
                        .concepts
                        .has_role(m.concept, crate::rules::concepts::GroupRole::RecordFact)
                        && rationale.about_patient(&m.sentence)
                        && rules.drugs.find(folded, m.sentence.clone()).is_empty()
                })
                .collect();
            (*index, mentions)
        })
        .collect();
    // A rationale that says both of a concept (often one copied into two items) takes no side.
    let mixed = |mentions: &[&concept_context::Mention], concept: usize| {
        let mut statuses = mentions
            .iter()
            .filter(|m| m.concept == concept)
            .map(|m| m.status);
        let first = statuses.next();
        statuses.any(|s| Some(s) != first)
    };
    let mut out = Vec::new();
    let mut reported = std::collections::HashSet::new();
    for (a, (ia, ma)) in per_item.iter().enumerate() {
        for (ib, mb) in per_item.iter().skip(a + 1) {
            for x in ma {
                let Some(y) = mb
                    .iter()
                    .find(|y| y.concept == x.concept && y.status != x.status)
                else {
                    continue;
                };
                if mixed(ma, x.concept) || mixed(mb, x.concept) {
                    continue;
                }
                if !reported.insert(x.concept) {
                    continue;
                }
                let concept = &rules.concepts.concepts[x.concept];
                out.push(Finding {
                    kind: Kind::Contradiction,
                    severity: Severity::Warning,
                    rule: None,
                    reason: None,
                    item: Some(*ib),
                    message: format!(
                        "the rationales of items {ia} and {ib} say opposite things of {}",
                        concept.title.to_lowercase()
                    ),
                    help: "make the rationales agree with each other and with the case summary"
                        .into(),
                    labels: vec![
                        label(letter, &x.range, format!("item {ia}: {}", x.status.id())),
                        label(letter, &y.range, format!("item {ib}: {}", y.status.id())),
                    ],
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `item.weeks` is a missing fact (null), `item.count` is 90, `item.name` a word.
    fn truth_of(condition: &str) -> Result<Option<bool>, String> {
        let mut ctx = Context::default();
        ctx.add_variable_as_val(
            "item",
            value_of(&json!({"weeks": null, "count": 90, "name": "Norco", "drug": null})),
        );
        truth(&cel::Program::compile(condition).unwrap(), &ctx)
    }

    #[test]
    fn a_missing_fact_is_unknown() {
        assert_eq!(truth_of("item.weeks > 4"), Ok(None));
        assert_eq!(truth_of("item.drug.class == 'opioid'"), Ok(None));
        assert_eq!(truth_of("size(item.drug) > 0"), Ok(None));
        assert_eq!(truth_of("item.weeks"), Ok(None));
        assert_eq!(truth_of("item.weeks == null"), Ok(Some(true)));
        assert_eq!(truth_of("item.count > 4 || item.weeks > 4"), Ok(Some(true)));
    }

    #[test]
    fn a_fault_of_the_condition_is_an_error() {
        assert!(truth_of("item.count > 'ninety'").is_err());
        assert!(truth_of("item.name + 1 == 2").is_err());
        assert!(truth_of("item.name.matches('[')").is_err());
        let e = truth_of("item.count").unwrap_err();
        assert!(e.contains("not true or false"), "{e}");
    }
}
