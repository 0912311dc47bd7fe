//! Conditions checked against the facts when the rules load: a field the facts do not have
//! (`item.drugg.class`), a concept, category, drug class, drug, body part or side that no rule file
//! names (`concepts['anxeity']`, `item.category == 'medicaton'`), a value a fact never takes, and
//! a `matches` pattern that is no regex. At run time each of these would make the condition
//! silently unknown, or never true; here it is an error at the rule's file, line and column, with
//! the names it may have meant.

use std::collections::BTreeMap;

use cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue, operators};

use crate::facts::schema::{Field, Ty, Vocabulary};

/// What conditions may name: the variables with their types, the definitions, and the entries
/// of each vocabulary.
pub struct Known<'a> {
    pub variables: BTreeMap<&'static str, Field>,
    pub definitions: Vec<&'a str>,
    pub words: BTreeMap<Vocabulary, Vec<&'a str>>,
}

/// A problem of an expression: what is wrong, and the words at fault (to point at them).
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub message: String,
    pub words: String,
}

/// The problems of one compiled expression.
pub fn problems(expr: &IdedExpr, known: &Known) -> Vec<Problem> {
    let mut walk = Walk {
        known,
        scope: Vec::new(),
        problems: Vec::new(),
    };
    walk.ty_of(expr);
    walk.problems.dedup();
    walk.problems
}

struct Walk<'k, 'a> {
    known: &'k Known<'a>,
    /// Variables bound by comprehensions (`item.drugs.exists(d, ...)`), innermost last.
    scope: Vec<(String, &'k Ty)>,
    problems: Vec<Problem>,
}

/// The types an expression has that no fact holds: any value, a string of no vocabulary, true or
/// false, and a map's keys of each vocabulary. Types are borrowed, never copied: the facts'
/// types are large, and every rule is walked at every load.
static ANY: Ty = Ty::Any;
static STRING: Ty = Ty::Str {
    vocabulary: None,
    values: Vec::new(),
};
static BOOL: Ty = Ty::Bool;

fn key_type(v: Option<Vocabulary>) -> &'static Ty {
    // In the order of the variants, which index it.
    static KEYS: [Ty; 6] = [
        key_of(Vocabulary::Categories),
        key_of(Vocabulary::Classes),
        key_of(Vocabulary::Concepts),
        key_of(Vocabulary::Drugs),
        key_of(Vocabulary::BodyParts),
        key_of(Vocabulary::Sides),
    ];
    match v {
        Some(v) => &KEYS[v as usize],
        None => &STRING,
    }
}

const fn key_of(v: Vocabulary) -> Ty {
    Ty::Str {
        vocabulary: Some(v),
        values: Vec::new(),
    }
}

impl<'k> Walk<'k, '_> {
    /// The type of an expression, as far as the facts tell; every problem met on the way is
    /// recorded.
    fn ty_of(&mut self, expr: &IdedExpr) -> &'k Ty {
        match &expr.expr {
            Expr::Ident(name) => self.ident(name),
            Expr::Select(select) => {
                let operand = self.ty_of(&select.operand);
                self.field(operand, &select.field, &path_of(&select.operand))
            }
            Expr::Call(call) => self.call(&call.func_name, call.target.as_deref(), &call.args),
            Expr::Comprehension(c) => {
                let element = match self.ty_of(&c.iter_range) {
                    Ty::List(element) => &**element,
                    Ty::Map { keys, .. } => key_type(*keys),
                    _ => &ANY,
                };
                self.ty_of(&c.accu_init);
                self.scope.push((c.iter_var.clone(), element));
                self.scope.push((c.accu_var.clone(), &ANY));
                for e in [&c.loop_cond, &c.loop_step, &c.result] {
                    self.ty_of(e);
                }
                self.scope.truncate(self.scope.len() - 2);
                &ANY
            }
            Expr::List(list) => {
                for e in &list.elements {
                    self.ty_of(e);
                }
                &ANY
            }
            Expr::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(e) = &entry.expr {
                        self.ty_of(&e.key);
                        self.ty_of(&e.value);
                    }
                }
                &ANY
            }
            Expr::Literal(LiteralValue::String(_)) => &STRING,
            _ => &ANY,
        }
    }

    fn ident(&self, name: &str) -> &'k Ty {
        if let Some((_, ty)) = self.scope.iter().rev().find(|(n, _)| n == name) {
            return ty;
        }
        self.known.variables.get(name).map_or(&ANY, |f| &f.ty)
    }

    /// The type of `operand.field`, or a problem when the operand's facts have no such field.
    fn field(&mut self, operand: &'k Ty, field: &str, path: &str) -> &'k Ty {
        match operand {
            Ty::Object(fields) => match fields.get(field) {
                Some(f) => &f.ty,
                None => {
                    let names: Vec<&str> = fields.keys().map(String::as_str).collect();
                    self.problem(
                        field,
                        format!(
                            "`{path}` has no field `{field}`{}",
                            did_you_mean(field, &names, "its fields are")
                        ),
                    );
                    &ANY
                }
            },
            Ty::Map { values, .. } => values,
            Ty::List(_) => {
                self.problem(
                    field,
                    format!(
                        "`{path}` is a list: it has no field `{field}`; use `{path}.exists(x, x.{field} ...)` or an index"
                    ),
                );
                &ANY
            }
            Ty::Any => &ANY,
            other => {
                self.problem(
                    field,
                    format!("`{path}` is {}: it has no field `{field}`", what(other)),
                );
                &ANY
            }
        }
    }

    fn call(&mut self, function: &str, target: Option<&IdedExpr>, args: &[IdedExpr]) -> &'k Ty {
        match (function, args) {
            (operators::INDEX, [operand, index]) => {
                let ty = self.ty_of(operand);
                self.ty_of(index);
                match (ty, literal(index)) {
                    (Ty::Map { keys, values }, key) => {
                        if let (Some(v), Some(key)) = (keys, key) {
                            self.check_word(*v, key);
                        }
                        values
                    }
                    (Ty::Object(_), Some(key)) => self.field(ty, key, &path_of(operand)),
                    (Ty::List(element), _) => element,
                    _ => &ANY,
                }
            }
            (operators::EQUALS | operators::NOT_EQUALS, [a, b]) => {
                let (ta, tb) = (self.ty_of(a), self.ty_of(b));
                self.check_value(ta, b);
                self.check_value(tb, a);
                &BOOL
            }
            (operators::IN, [needle, haystack]) => {
                let tn = self.ty_of(needle);
                let th = self.ty_of(haystack);
                if let Expr::List(list) = &haystack.expr {
                    for e in &list.elements {
                        self.check_value(tn, e);
                    }
                }
                match (th, literal(needle)) {
                    (Ty::List(element), Some(_)) => self.check_value(element, needle),
                    (Ty::Map { keys: Some(v), .. }, Some(key)) => self.check_word(*v, key),
                    // `'kind' in item.drug`: whether an optional field is there.
                    (Ty::Object(_), Some(key)) => {
                        self.field(th, key, &path_of(haystack));
                    }
                    _ => {}
                }
                &BOOL
            }
            ("matches", _) => {
                let pattern = match (target, args) {
                    (Some(t), [p]) => {
                        self.ty_of(t);
                        p
                    }
                    (None, [s, p]) => {
                        self.ty_of(s);
                        p
                    }
                    _ => return &BOOL,
                };
                self.ty_of(pattern);
                // Parsed, not compiled: a syntax error is what a rule author makes, and building
                // every pattern's automaton would double the time rules take to load.
                if let Some(p) = literal(pattern)
                    && let Err(e) = regex_syntax::ast::parse::Parser::new().parse(p)
                {
                    self.problem(
                        p,
                        format!("the pattern of `matches` is not a regex: {}", e.kind()),
                    );
                }
                &BOOL
            }
            (operators::CONDITIONAL, [condition, then, otherwise]) => {
                self.ty_of(condition);
                let t = self.ty_of(then);
                self.ty_of(otherwise);
                t
            }
            _ => {
                if let Some(t) = target {
                    self.ty_of(t);
                }
                for a in args {
                    self.ty_of(a);
                }
                &ANY
            }
        }
    }

    /// A string literal compared with a fact must be a value the fact can take.
    fn check_value(&mut self, ty: &Ty, other: &IdedExpr) {
        let Some(value) = literal(other) else {
            return;
        };
        if let Ty::Str { vocabulary, values } = ty {
            if let Some(v) = vocabulary {
                self.check_word(*v, value);
            } else if !values.is_empty() && !values.iter().any(|x| x == value) {
                let names: Vec<&str> = values.iter().map(String::as_str).collect();
                self.problem(
                    value,
                    format!(
                        "the fact is never '{value}'{}",
                        did_you_mean(value, &names, "it is one of")
                    ),
                );
            }
        }
    }

    fn problem(&mut self, words: &str, message: String) {
        self.problems.push(Problem {
            message,
            words: words.to_string(),
        });
    }

    fn check_word(&mut self, v: Vocabulary, word: &str) {
        let Some(words) = self.known.words.get(&v) else {
            return;
        };
        if !words.contains(&word) {
            self.problem(
                word,
                format!(
                    "'{word}' is not {}{}",
                    v.what(),
                    did_you_mean(word, words, "")
                ),
            );
        }
    }
}

/// The string a literal expression holds.
fn literal(expr: &IdedExpr) -> Option<&str> {
    match &expr.expr {
        Expr::Literal(LiteralValue::String(s)) => Some(s.as_ref()),
        _ => None,
    }
}

/// How an expression reads, for messages: `item.drug` for a chain of fields, else `the value`.
fn path_of(expr: &IdedExpr) -> String {
    match &expr.expr {
        Expr::Ident(name) => name.clone(),
        Expr::Select(s) => format!("{}.{}", path_of(&s.operand), s.field),
        Expr::Call(c) if c.func_name == operators::INDEX && c.args.len() == 2 => {
            match literal(&c.args[1]) {
                Some(k) => format!("{}['{k}']", path_of(&c.args[0])),
                None => format!("{}[...]", path_of(&c.args[0])),
            }
        }
        _ => "the value".into(),
    }
}

fn what(ty: &Ty) -> &'static str {
    match ty {
        Ty::Str { .. } => "a string",
        Ty::Int | Ty::Number => "a number",
        Ty::Bool => "true or false",
        _ => "not an object",
    }
}

/// `; did you mean 'x'?` with the nearest names, or the list of names when there are few.
fn did_you_mean(word: &str, names: &[&str], listing: &str) -> String {
    let limit = (word.chars().count() / 3).max(2);
    let mut near: Vec<(usize, &str)> = names
        .iter()
        .map(|n| (edit_distance(word, n), *n))
        .filter(|(d, _)| *d <= limit)
        .collect();
    near.sort();
    match near.as_slice() {
        [] if !listing.is_empty() && names.len() <= 12 => {
            format!("; {listing} {}", names.join(", "))
        }
        [] => String::new(),
        near => format!(
            "; did you mean {}?",
            near.iter()
                .take(3)
                .map(|(_, n)| format!("'{n}'"))
                .collect::<Vec<_>>()
                .join(" or ")
        ),
    }
}

/// Levenshtein distance, on characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> Known<'static> {
        Known {
            variables: crate::facts::schema::variables(),
            definitions: vec!["prior_use"],
            words: BTreeMap::from([
                (
                    Vocabulary::Categories,
                    vec!["medication", "injection", "other"],
                ),
                (Vocabulary::Classes, vec!["benzodiazepine", "opioid"]),
                (Vocabulary::Concepts, vec!["anxiety", "insomnia"]),
                (Vocabulary::Drugs, vec!["zorbanil"]),
                (Vocabulary::BodyParts, vec!["knee", "lumbar-spine"]),
                (Vocabulary::Sides, vec!["left", "right"]),
            ]),
        }
    }

    fn check(source: &str) -> Vec<String> {
        let program = crate::rules::environment::compile(source).unwrap();
        problems(program.expression(), &known())
            .into_iter()
            .map(|p| p.message)
            .collect()
    }

    #[test]
    fn misspelled_fields_and_names_are_found_with_what_was_meant() {
        let p = check("item.drugg.class == 'benzodiazepine'");
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].contains("`item` has no field `drugg`; did you mean 'drug'"),
            "{p:?}"
        );
        let p = check("concepts['anxeity'] == 'affirmed'");
        assert!(
            p[0].contains("'anxeity' is not a concept of concepts.yaml; did you mean 'anxiety'"),
            "{p:?}"
        );
        let p = check("item.category == 'medicaton'");
        assert!(p[0].contains("did you mean 'medication'"), "{p:?}");
        let p = check("item.drugs.exists(d, d.class in ['benzodiazepine', 'opiod'])");
        assert!(p[0].contains("'opiod' is not a drug class"), "{p:?}");
        let p = check("item.request.body_parts.exists(b, b.value == 'knees')");
        assert!(p[0].contains("did you mean 'knee'"), "{p:?}");
        let p = check("concepts['anxiety'] == 'afirmed'");
        assert!(
            p[0].contains("the fact is never 'afirmed'; did you mean 'affirmed'"),
            "{p:?}"
        );
        let p = check("item.treatment.value.matches('(unclosed')");
        assert!(p[0].contains("not a regex"), "{p:?}");
        let p = check("'knd' in item.drug");
        assert!(
            p[0].contains("`item.drug` has no field `knd`") && p[0].contains("'kind'"),
            "{p:?}"
        );
        let p = check("item.drugs.class == 'opioid'");
        assert!(p[0].contains("`item.drugs` is a list"), "{p:?}");
    }

    /// Near misses: valid conditions of every shape the rules use raise nothing.
    #[test]
    fn valid_conditions_raise_nothing() {
        for source in [
            "item.drug.class == 'benzodiazepine' && item.category in ['medication', 'injection']",
            "concepts['anxiety'] in ['affirmed', 'historical'] ? false : null",
            "item.drugs.exists(d, ('own_class' in d && d.own_class == 'opioid') || d.name == 'zorbanil')",
            "use.weeks > 4 && prior_use",
            "item.related['insomnia'].status == 'affirmed'",
            "medications.exists(m, m.class == 'opioid' && m.concepts['anxiety'] == 'affirmed')",
            "letter.reference_date == null || letter.reference_date.date < '2018-01-01'",
            "item.decision.value == 'upheld' && item.request.sides.exists(s, s.value == 'left')",
            "item.treatment.value.matches('(?i)\\\\bknee\\\\b')",
            "item.drugs.filter(d, d.class == 'opioid')[0].name",
            "patient.date_of_injury.precision != 'day'",
        ] {
            assert_eq!(check(source), Vec::<String>::new(), "{source}");
        }
    }
}
