//! Rule conditions evaluated: the CEL variables of a letter and of each item, shared
//! definitions, conditions' truth (unknown for a missing fact, an error for a fault of the
//! condition), message templates and evidence.

use std::collections::BTreeMap;

use cel::{Context, Value};
use serde::Serialize;
use serde_json::json;

use super::ConditionError;
use super::finding::Label;
use crate::facts::{Facts, ItemFacts};
use crate::rules::checks::{Template, TemplatePart};
use crate::rules::environment::{value_of, value_of_fields};
use crate::rules::{RuleSet, Status};
use crate::text::Original;

/// Each concept's status over the whole summary: its firmest mention's (documented if any
/// mention affirms it), `absent` when none mentions it.
pub(super) fn letter_concepts(facts: &Facts, rules: &RuleSet) -> BTreeMap<String, &'static str> {
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
pub(super) fn letter_context(
    facts: &Facts,
    concepts: &BTreeMap<String, &'static str>,
) -> Context<'static, 'static> {
    let mut ctx = Context::with_env(crate::rules::environment::environment());
    add_variable(&mut ctx, "concepts", concepts);
    add_variable(&mut ctx, "patient", &facts.patient);
    add_variable(&mut ctx, "medications", &facts.medications);
    add_variable(&mut ctx, "letter", &facts.letter_facts());
    ctx
}

/// The CEL variables for one item, in a scope of the letter's, and the shared definitions it
/// has needed so far: a definition is evaluated only for an item whose rules read it (most
/// rules do not apply to most items), before the first condition that does.
pub(super) struct ItemScope<'a> {
    pub ctx: Context<'a, 'static>,
    defined: Vec<bool>,
    /// Each definition evaluated, with its value as `--trace` shows it (kept only for it).
    pub values: Vec<(String, String)>,
    /// Conditions and definitions that failed on their own account, not for a missing fact.
    pub errors: Vec<ConditionError>,
    trace: bool,
}

impl<'a> ItemScope<'a> {
    pub fn new(
        letter: &'a Context<'static, 'static>,
        item: &ItemFacts,
        rules: &RuleSet,
        trace: bool,
    ) -> ItemScope<'a> {
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
        let mut scope = ItemScope {
            ctx,
            defined: vec![false; rules.definitions.list.len()],
            values: Vec::new(),
            errors: Vec::new(),
            trace,
        };
        // `--trace` shows every definition's value.
        if trace {
            scope.define(rules, 0..rules.definitions.list.len());
        }
        scope
    }

    /// Evaluates the definitions `wanted` names and those they read, each once, in file order:
    /// a definition may use the ones above it. An unknown fact makes one null.
    pub fn define(&mut self, rules: &RuleSet, wanted: impl IntoIterator<Item = usize>) {
        let definitions = &rules.definitions;
        let mut marked = vec![false; definitions.list.len()];
        for i in wanted {
            marked[i] = true;
        }
        definitions.with_what_they_read(&mut marked);
        for (i, (d, program)) in definitions.list.iter().enumerate() {
            if !marked[i] || self.defined[i] {
                continue;
            }
            self.defined[i] = true;
            let value = match program.execute(&self.ctx) {
                Ok(value) => value,
                Err(e) => {
                    if !missing_fact(&e) {
                        self.errors.push(ConditionError {
                            condition: format!("definition `{}`", d.name),
                            message: e.to_string(),
                        });
                    }
                    Value::Null
                }
            };
            if self.trace {
                self.values.push((d.name.clone(), shown(&value)));
            }
            self.ctx.add_variable_from_value(d.name.as_str(), value);
        }
    }

    /// A condition's truth (see [`truth`]); a condition at fault is kept among the errors and
    /// counts as unknown.
    pub fn truth(
        &mut self,
        program: &cel::Program,
        condition: &dyn Fn() -> String,
    ) -> Option<bool> {
        match truth(program, &self.ctx) {
            Ok(value) => value,
            Err(message) => {
                self.errors.push(ConditionError {
                    condition: condition(),
                    message,
                });
                None
            }
        }
    }

    /// When `--trace` asked and a condition is unknown: the null facts it reads.
    pub fn unknown_because(&self, program: &cel::Program, value: Option<bool>) -> Vec<String> {
        match value {
            None if self.trace => null_facts(program, &self.ctx),
            _ => Vec::new(),
        }
    }
}

/// A definition's value as `--trace` shows it: a duration in days, null as unknown.
fn shown(value: &Value) -> String {
    match value {
        Value::Null => "unknown".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::String(s) => format!("'{s}'"),
        Value::Duration(d) => format!("{} days", d.num_days()),
        other => format!("{other:?}"),
    }
}

pub(super) fn add_variable<T: Serialize + ?Sized>(ctx: &mut Context, name: &str, value: &T) {
    ctx.add_variable_as_val(name, value_of(value));
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

/// The facts a condition reads that are null for this item (`item.drug`, `use.weeks`,
/// `concepts['anxiety']`), each named once by its shortest path: why the condition is unknown.
pub(super) fn null_facts(program: &cel::Program, ctx: &Context) -> Vec<String> {
    let mut paths = Vec::new();
    fact_paths(program.expression(), &mut paths);
    paths.sort_by_key(|p| (p.len(), p.clone()));
    paths.dedup();
    let mut null: Vec<String> = Vec::new();
    for path in paths {
        if null
            .iter()
            .any(|n| path.starts_with(n.as_str()) && path[n.len()..].starts_with(['.', '[']))
        {
            continue;
        }
        let Ok(p) = crate::rules::environment::compile(&path) else {
            continue;
        };
        let is_null = match p.execute(ctx) {
            Ok(Value::Null) => true,
            Err(e) => missing_fact(&e),
            Ok(_) => false,
        };
        if is_null {
            null.push(path);
        }
    }
    null
}

/// The chains of fields a condition reads from its variables (not from names a comprehension
/// binds, which have no value outside it), as source text.
fn fact_paths(expr: &cel::common::ast::IdedExpr, out: &mut Vec<String>) {
    use cel::common::ast::{EntryExpr, Expr, LiteralValue};
    fn path(expr: &Expr) -> Option<String> {
        match expr {
            Expr::Ident(name) => Some(name.clone()),
            Expr::Select(s) if !s.test => Some(format!("{}.{}", path(&s.operand.expr)?, s.field)),
            Expr::Call(c) if c.func_name == "_[_]" && c.args.len() == 2 => match &c.args[1].expr {
                Expr::Literal(LiteralValue::String(k)) => Some(format!(
                    "{}['{}']",
                    path(&c.args[0].expr)?,
                    k.as_ref() as &str
                )),
                _ => None,
            },
            _ => None,
        }
    }
    if let Some(p) = path(&expr.expr)
        && crate::rules::checks::VARIABLES
            .iter()
            .any(|v| p == *v || p.starts_with(&format!("{v}.")) || p.starts_with(&format!("{v}[")))
    {
        out.push(p);
    }
    match &expr.expr {
        Expr::Select(s) => fact_paths(&s.operand, out),
        Expr::Call(c) => {
            c.target.iter().for_each(|t| fact_paths(t, out));
            c.args.iter().for_each(|a| fact_paths(a, out));
        }
        Expr::Comprehension(c) => {
            for e in [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ] {
                fact_paths(e, out);
            }
        }
        Expr::List(l) => l.elements.iter().for_each(|e| fact_paths(e, out)),
        Expr::Map(m) => {
            for entry in &m.entries {
                if let EntryExpr::MapEntry(e) = &entry.expr {
                    fact_paths(&e.key, out);
                    fact_paths(&e.value, out);
                }
            }
        }
        _ => {}
    }
}

/// Whether an evaluation failed for a fact the letter does not give: an operator or function
/// met a null, or a key the facts leave out. Every other failure is the condition's own.
pub(super) fn missing_fact(e: &cel::ExecutionError) -> bool {
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
        // A null where a bool is wanted (`unknown ? a : b`) is unknown: both spellings CEL uses.
        E::UnexpectedType { got, .. } => got == "null" || got == "null_type",
        _ => false,
    }
}

/// The document and topic a rule rests on for an item, for help texts: the chapter of the item's
/// body part where the rule names one.
pub(super) fn guideline_name(
    rules: &RuleSet,
    rule: &crate::rules::checks::CompiledRule,
    item: &ItemFacts,
) -> String {
    let (document, topic) = rule.guideline_for(&item.body_part_ids());
    let document = rules.guidelines.get(document);
    let (doc, shown) = (&document.doc, document.topic(topic));
    match document.pages_label(topic) {
        Some(pages) => format!("{}, {}, {pages}", doc.title, shown.title),
        None => format!("{}, {}", doc.title, shown.title),
    }
}

/// A fact named by an evidence expression, as a label: facts with a place carry their offsets.
pub(super) fn evidence(
    program: &cel::Program,
    ctx: &Context,
    text: &crate::text::Text,
) -> Option<Label> {
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
        span: text.span_of_original(Original(start)..Original(end)),
        text: format!("fact: {shown}"),
    })
}

pub(super) fn render(t: &Template, ctx: &Context) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `item.weeks` is a missing fact (null), `item.count` is 90, `item.name` a word.
    fn truth_of(condition: &str) -> Result<Option<bool>, String> {
        let mut ctx = Context::default();
        ctx.add_variable_as_val(
            "item",
            value_of(&json!({"weeks": null, "count": 90, "name": "tablets", "drug": null})),
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
        // An unknown condition of a choice leaves the choice unknown.
        assert_eq!(truth_of("item.weeks ? false : true"), Ok(None));
        assert_eq!(truth_of("item.count > 4 ? false : true"), Ok(Some(false)));
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
