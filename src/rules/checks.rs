//! Rule files: which items a guideline topic applies to, and the reasons it gives, each with a
//! CEL condition over the facts. Every YAML file of a rule set that is not a knowledge file
//! (`drugs.yaml`, ...) is a rule file, e.g. `rules/mtus/benzodiazepines.yaml`.

use std::collections::BTreeMap;

use std::sync::Arc;

use cel::Program;
use serde::{Deserialize, Serialize};

use super::definitions::Definitions;
use super::guidelines::{DocumentId, GuidelineMissing, Guidelines, TopicId};
use super::reasons::{ReasonId, Reasons};
use super::source::{RuleError, RuleFile};

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    pub rules: Vec<Rule>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub title: String,
    /// What the guideline says and why the rule checks it, for `imrlint explain`.
    #[serde(default)]
    pub description: Option<String>,
    pub guideline: GuidelineRef,
    /// CEL: the items the rule applies to (`item.drug.class == 'benzodiazepine'`).
    pub applies_to: String,
    pub reasons: Vec<RuleReason>,
    #[serde(default)]
    pub examples: Vec<RuleExample>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuidelineRef {
    pub document: String,
    pub topic: String,
    /// The chapter for an item of a body part, where the guideline has one per region (ACOEM's
    /// shoulder, knee, wrist chapters): the first entry naming one of the item's body parts
    /// replaces `document` and `topic` for it, in help texts and wherever the rule's topic is
    /// named.
    #[serde(default)]
    pub by_body_part: Vec<RegionalGuideline>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegionalGuideline {
    /// Body part ids of anatomy.yaml.
    pub parts: Vec<String>,
    pub document: String,
    pub topic: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleReason {
    /// A reason id from reasons.yaml.
    pub reason: String,
    pub role: Role,
    /// CEL: whether the facts make the reason apply. An unknown fact makes it unknown.
    pub when: String,
    /// CEL: true when what the request leaves out (no count of visits) is what leaves `when`
    /// unknown. No case summary could settle it, so a rationale that claims the reason is not
    /// said to claim what the summary does not establish (an open-ended request may well exceed
    /// the course).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_leaves_unknown: Option<String>,
    /// The finding's message; `{expr}` is replaced by the CEL expression's value.
    pub message: String,
    /// What the rationale should say.
    pub help: String,
    /// CEL expressions naming the facts that decide the reason (`use.first_documented`); each is
    /// shown as a label where the fact stands in the letter.
    #[serde(default)]
    pub evidence: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The criterion that decides the item.
    Primary,
    /// A reason a complete rationale should also give.
    Supporting,
}

impl Role {
    pub fn id(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Supporting => "supporting",
        }
    }
}

/// A letter (or a snippet of one) and what the rule must find in it.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleExample {
    /// A letter file, relative to the rule set's folder's parent (`cases/seed-000.txt`).
    #[serde(default)]
    pub letter: Option<String>,
    /// Or the letter's text itself.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub item: usize,
    /// Per reason id: whether it applies (true, false, null for unknown) and is cited.
    pub expect: BTreeMap<String, ExpectedReason>,
}

#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpectedReason {
    pub applies: Option<bool>,
    #[serde(default)]
    pub cited: Option<bool>,
}

/// A rule with its conditions compiled.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub rule: Rule,
    /// The file the rule was read from (several, when a later file extends it) and its index
    /// there, to point diagnostics at the rule.
    pub source: RuleFile,
    pub index: usize,
    pub applies_to: Arc<Program>,
    /// The categories `applies_to` requires by a conjunct of its own (`item.category ==
    /// 'imaging' && ...`): for an item of another category the condition is false without
    /// evaluating it. `None` when it names none that way.
    pub categories: Option<Vec<String>>,
    /// The definitions (indices in definitions.yaml) `applies_to` reads by name, and those any
    /// of the rule's programs reads: an item evaluates only the definitions its rules read.
    pub definitions_to_apply: Vec<usize>,
    pub definitions_read: Vec<usize>,
    pub reasons: Vec<CompiledReason>,
    /// Index of the guideline document and topic.
    pub document: DocumentId,
    pub topic: TopicId,
    /// `guideline.by_body_part`, resolved: body part ids and the document and topic for them.
    pub regional: Vec<(Vec<String>, DocumentId, TopicId)>,
}

impl CompiledRule {
    /// The guideline document and topic for an item naming `parts`: the first regional entry
    /// naming one of them, else the rule's own.
    pub fn guideline_for(&self, parts: &[&str]) -> (DocumentId, TopicId) {
        self.regional
            .iter()
            .find(|(names, _, _)| parts.iter().any(|p| names.iter().any(|n| n == p)))
            .map_or((self.document, self.topic), |(_, d, t)| (*d, *t))
    }

    /// Every CEL program of the rule: its condition, and its reasons' conditions, templates and
    /// evidence.
    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        std::iter::once(&*self.applies_to).chain(self.reasons.iter().flat_map(|r| {
            std::iter::once(&*r.when)
                .chain(r.request_leaves_unknown.as_deref())
                .chain(r.evidence.iter().map(|e| &**e))
                .chain(r.message.programs())
                .chain(r.help.programs())
        }))
    }
}

#[derive(Debug, Clone)]
pub struct CompiledReason {
    pub reason: ReasonId,
    pub role: Role,
    pub evidence: Vec<Arc<Program>>,
    pub when: Arc<Program>,
    pub request_leaves_unknown: Option<Arc<Program>>,
    pub message: Template,
    pub help: Template,
}

/// A message with `{expr}` placeholders, each a compiled CEL expression.
#[derive(Debug, Clone)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
}

impl Template {
    pub fn programs(&self) -> impl Iterator<Item = &Program> {
        self.parts.iter().filter_map(|p| match p {
            TemplatePart::Expr(_, program) => Some(&**program),
            TemplatePart::Text(_) => None,
        })
    }
}

#[derive(Debug, Clone)]
pub enum TemplatePart {
    Text(String),
    Expr(String, Arc<Program>),
}

static MACRO_VARIABLE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\.(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")
        .unwrap()
});

/// The variables a condition may use.
pub const VARIABLES: &[&str] = &[
    "item",
    "use",
    "concepts",
    "patient",
    "letter",
    "medications",
];

impl Template {
    fn compile(source: &str, defined: &[&str]) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').ok_or("a `{` without its `}`")? + open;
            if open > 0 {
                parts.push(TemplatePart::Text(rest[..open].to_string()));
            }
            let expr = &rest[open + 1..close];
            parts.push(TemplatePart::Expr(
                expr.to_string(),
                compile_expression(expr, defined)?,
            ));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(TemplatePart::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }
}

/// How deep an expression nests, outside its string literals: the CEL parser recurses once per
/// bracket, per unary operator (`!!!x`) and per conditional (`a ? b : c ? ...`), so each counts.
fn nesting(source: &str) -> usize {
    let (mut brackets, mut deepest, mut unary, mut conditionals) = (0usize, 0usize, 0usize, 0usize);
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                // Skip the literal, escapes included.
                while let Some(n) = chars.next() {
                    if n == '\\' {
                        chars.next();
                    } else if n == c {
                        break;
                    }
                }
                unary = 0;
            }
            '(' | '[' | '{' => {
                brackets += 1;
                unary = 0;
            }
            ')' | ']' | '}' => {
                brackets = brackets.saturating_sub(1);
                unary = 0;
            }
            '!' | '-' => unary += 1,
            '?' => {
                conditionals += 1;
                unary = 0;
            }
            c if c.is_whitespace() => {}
            _ => unary = 0,
        }
        deepest = deepest.max(brackets).max(unary).max(conditionals);
    }
    deepest
}

/// Deepest nesting of brackets, unary operators or conditionals a condition may have.
const MAX_EXPRESSION_DEPTH: usize = 32;

/// Compiles a CEL expression and checks it names only the facts and the `defined` names.
/// The categories a condition requires: those of a conjunct `item.category == 'x'` (or `'x' ==
/// item.category`, `item.category in ['x', 'y']`) at its top level, where CEL's `&&` makes the
/// whole false whenever that conjunct is.
fn required_categories(expr: &cel::common::ast::Expr) -> Option<Vec<String>> {
    use cel::common::ast::{Expr, LiteralValue};
    let is_category = |e: &Expr| {
        matches!(e, Expr::Select(s) if !s.test && s.field == "category"
            && matches!(&s.operand.expr, Expr::Ident(name) if name == "item"))
    };
    let literal = |e: &Expr| match e {
        Expr::Literal(LiteralValue::String(s)) => Some((s.as_ref() as &str).to_string()),
        _ => None,
    };
    let Expr::Call(call) = expr else {
        return None;
    };
    match (call.func_name.as_str(), call.args.as_slice()) {
        ("_&&_", [a, b]) => match (required_categories(&a.expr), required_categories(&b.expr)) {
            (Some(x), Some(y)) => Some(x.into_iter().filter(|c| y.contains(c)).collect()),
            (x, y) => x.or(y),
        },
        ("_==_", [a, b]) if is_category(&a.expr) => literal(&b.expr).map(|c| vec![c]),
        ("_==_", [a, b]) if is_category(&b.expr) => literal(&a.expr).map(|c| vec![c]),
        ("@in", [a, b]) if is_category(&a.expr) => match &b.expr {
            Expr::List(list) => list.elements.iter().map(|e| literal(&e.expr)).collect(),
            _ => None,
        },
        _ => None,
    }
}

pub fn compile_expression(source: &str, defined: &[&str]) -> Result<Arc<Program>, String> {
    if source.len() > 4096 {
        return Err("the expression is longer than 4096 characters".into());
    }
    let depth = nesting(source);
    if depth > MAX_EXPRESSION_DEPTH {
        return Err(format!(
            "the expression nests {depth} levels deep; {MAX_EXPRESSION_DEPTH} is the limit"
        ));
    }
    let program =
        super::environment::compile(source).map_err(|e| format!("CEL syntax error: {e}"))?;
    let references = program.references();
    // `medications.exists(m, m.class == 'nsaid')` binds `m` for its predicate.
    let bound: Vec<&str> = MACRO_VARIABLE
        .captures_iter(source)
        .filter_map(|c| c.get(1))
        .map(|m| m.as_str())
        .collect();
    let unknown: Vec<&str> = references
        .variables()
        .into_iter()
        .filter(|v| !VARIABLES.contains(v) && !defined.contains(v) && !bound.contains(v))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "unknown variable `{}`; conditions may use {}",
            unknown.join("`, `"),
            VARIABLES
                .iter()
                .chain(defined)
                .copied()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Arc::new(program))
}

impl CompiledRule {
    /// The path of the rule's `key` (`reasons[0].when`) in its source.
    pub fn path(&self, key: &str) -> String {
        format!("rules[{}].{key}", self.index)
    }

    /// The file and path where the rule is defined (`mtus/opioids.yaml`, `rules[2]`), or, for
    /// `key`, where that part of it is.
    pub fn defined_at(&self, key: Option<&str>) -> (&str, String) {
        let path = key.map_or_else(|| format!("rules[{}]", self.index), |k| self.path(k));
        self.source.place(&path)
    }
}

/// Compiles the rules of one file.
pub fn compile(
    file: &RuleFile,
    f: RulesFile,
    reasons: &Reasons,
    guidelines: &Guidelines,
    definitions: &Definitions,
) -> Result<Vec<CompiledRule>, Vec<RuleError>> {
    let defined = definitions.names();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (r, rule) in f.rules.into_iter().enumerate() {
        let at = |key: &str| format!("rules[{r}].{key}");
        let cel_error = |path: String, e: String, errors: &mut Vec<RuleError>| {
            errors.push(file.error(&path, e, Some("conditions are CEL over the facts `imrlint facts` prints; see the variables in `imrlint schema`".into())))
        };
        let applies_to = compile_expression(&rule.applies_to, &defined)
            .map_err(|e| cel_error(at("applies_to"), e, &mut errors))
            .ok();
        let mut resolve = |document: &str, topic: &str, path: &str| {
            let found = guidelines.resolve(document, topic);
            match found {
                Err(GuidelineMissing::Document) => errors.push(file.error(
                    &at(&format!("{path}.document")),
                    format!("unknown guideline document `{document}`"),
                    Some("name a document id from guidelines.yaml".into()),
                )),
                Err(GuidelineMissing::Topic) => errors.push(file.error(
                    &at(&format!("{path}.topic")),
                    format!("unknown topic `{topic}` in `{document}`"),
                    Some("name a topic id of that document in guidelines.yaml".into()),
                )),
                Ok(_) => {}
            }
            found.ok()
        };
        let default = resolve(&rule.guideline.document, &rule.guideline.topic, "guideline");
        let regional: Vec<(Vec<String>, DocumentId, TopicId)> = rule
            .guideline
            .by_body_part
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                resolve(
                    &g.document,
                    &g.topic,
                    &format!("guideline.by_body_part[{i}]"),
                )
                .map(|(d, t)| (g.parts.clone(), d, t))
            })
            .collect();
        let mut compiled_reasons = Vec::new();
        for (i, rr) in rule.reasons.iter().enumerate() {
            let path = |key: &str| format!("rules[{r}].reasons[{i}].{key}");
            let Some(reason) = reasons.index(&rr.reason) else {
                errors.push(file.error(
                    &path("reason"),
                    format!("unknown reason `{}`", rr.reason),
                    Some("name a reason id from reasons.yaml".into()),
                ));
                continue;
            };
            let when = compile_expression(&rr.when, &defined)
                .map_err(|e| cel_error(path("when"), e, &mut errors))
                .ok();
            let request_leaves_unknown = rr.request_leaves_unknown.as_ref().map(|x| {
                compile_expression(x, &defined)
                    .map_err(|e| cel_error(path("request_leaves_unknown"), e, &mut errors))
                    .ok()
            });
            let message = Template::compile(&rr.message, &defined)
                .map_err(|e| cel_error(path("message"), e, &mut errors))
                .ok();
            let help = Template::compile(&rr.help, &defined)
                .map_err(|e| cel_error(path("help"), e, &mut errors))
                .ok();
            let evidence: Vec<Arc<Program>> = rr
                .evidence
                .iter()
                .enumerate()
                .filter_map(|(e, x)| {
                    compile_expression(x, &defined)
                        .map_err(|m| cel_error(path(&format!("evidence[{e}]")), m, &mut errors))
                        .ok()
                })
                .collect();
            if let (Some(when), Some(message), Some(help), Some(request_leaves_unknown)) = (
                when,
                message,
                help,
                request_leaves_unknown.map_or(Some(None), |p| p.map(Some)),
            ) {
                compiled_reasons.push(CompiledReason {
                    reason,
                    role: rr.role,
                    evidence,
                    when,
                    request_leaves_unknown,
                    message,
                    help,
                });
            }
        }
        if let (Some(applies_to), Some((document, topic))) = (applies_to, default) {
            let mut compiled = CompiledRule {
                categories: required_categories(&applies_to.expression().expr),
                definitions_to_apply: definitions.read_by(&applies_to),
                definitions_read: Vec::new(),
                rule,
                source: file.clone(),
                index: r,
                applies_to,
                reasons: compiled_reasons,
                document,
                topic,
                regional,
            };
            let mut read: Vec<usize> = compiled
                .programs()
                .flat_map(|p| definitions.read_by(p))
                .collect();
            read.sort_unstable();
            read.dedup();
            compiled.definitions_read = read;
            out.push(compiled);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule is skipped for an item of another category only where its condition could not be
    /// true for it: a top-level conjunct names the category.
    #[test]
    fn the_categories_a_condition_requires() {
        let required = |source: &str| {
            let program = compile_expression(source, &[]).unwrap();
            required_categories(&program.expression().expr)
        };
        let some = |c: &[&str]| Some(c.iter().map(|c| c.to_string()).collect::<Vec<_>>());
        assert_eq!(required("item.category == 'imaging'"), some(&["imaging"]));
        assert_eq!(
            required("item.drug != null && 'lab' == item.category && item.drugs.size() > 0"),
            some(&["lab"])
        );
        assert_eq!(
            required("item.category in ['injection', 'surgery'] && item.category != 'surgery'"),
            some(&["injection", "surgery"])
        );
        assert_eq!(
            required("item.category in ['injection', 'surgery'] && item.category == 'surgery'"),
            some(&["surgery"])
        );
        // Near misses: a category that is one choice of several, or denied, decides nothing.
        assert_eq!(
            required("item.category == 'lab' || item.drug != null"),
            None
        );
        assert_eq!(
            required("!(item.category == 'lab') && item.drug != null"),
            None
        );
        assert_eq!(
            required("item.drug != null && item.drug.class == 'opioid'"),
            None
        );
    }

    #[test]
    fn expressions_name_known_variables_only() {
        assert!(compile_expression("item.drug.class == 'benzodiazepine'", &[]).is_ok());
        assert!(
            compile_expression("use.weeks > 4 || concepts['efficacy'] == 'negated'", &[]).is_ok()
        );
        assert!(
            compile_expression("itme.drug == null", &[])
                .unwrap_err()
                .contains("unknown variable `itme`")
        );
        assert!(
            compile_expression("item.drug ==", &[])
                .unwrap_err()
                .contains("syntax")
        );
        let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(
            compile_expression(&deep, &[])
                .unwrap_err()
                .contains("longer")
        );
        let nested = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        assert!(
            compile_expression(&nested, &[])
                .unwrap_err()
                .contains("levels deep")
        );
    }

    #[test]
    fn templates_hold_expressions() {
        let t = Template::compile("{item.drug.name} for {use.weeks} weeks", &[]).unwrap();
        assert_eq!(t.parts.len(), 4);
        assert!(Template::compile("{unclosed", &[]).is_err());
    }
}
