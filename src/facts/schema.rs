//! The facts as rule conditions see them: each CEL variable with its fields, their types, which
//! may be null, and which name an entry of a rule file (a category, a drug class, a concept).
//! Built from the facts' own types, so that it cannot drift from what `extract` produces; rule
//! conditions are checked against it when the rules load, and `imrlint schema facts` prints it.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use super::model::{DrugUse, ItemFacts, LetterFacts, Medication, Patient};

/// Which rule-file vocabulary a string names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Vocabulary {
    Categories,
    Classes,
    Concepts,
    Drugs,
    BodyParts,
    Sides,
}

impl Vocabulary {
    fn of(name: &str) -> Option<Vocabulary> {
        Some(match name {
            "categories" => Vocabulary::Categories,
            "classes" => Vocabulary::Classes,
            "concepts" => Vocabulary::Concepts,
            "drugs" => Vocabulary::Drugs,
            "body-parts" => Vocabulary::BodyParts,
            "sides" => Vocabulary::Sides,
            _ => return None,
        })
    }

    /// What the vocabulary's entries are, for messages.
    pub fn what(self) -> &'static str {
        match self {
            Vocabulary::Categories => "a category of categories.yaml",
            Vocabulary::Classes => "a drug class of drugs.yaml",
            Vocabulary::Concepts => "a concept of concepts.yaml",
            Vocabulary::Drugs => "a drug name of drugs.yaml",
            Vocabulary::BodyParts => "a body part of anatomy.yaml",
            Vocabulary::Sides => "a side of anatomy.yaml",
        }
    }
}

/// The type of a fact.
#[derive(Debug, Clone)]
pub enum Ty {
    Object(BTreeMap<String, Field>),
    List(Box<Ty>),
    /// A map with string keys, which may name a vocabulary's entries.
    Map {
        keys: Option<Vocabulary>,
        values: Box<Ty>,
    },
    /// A string: an entry of a vocabulary, one of fixed values, or any.
    Str {
        vocabulary: Option<Vocabulary>,
        values: Vec<String>,
    },
    Int,
    Number,
    Bool,
    /// Anything (a definition's value).
    Any,
}

/// A field of an object, or a variable.
#[derive(Debug, Clone)]
pub struct Field {
    pub ty: Ty,
    pub nullable: bool,
    pub doc: Option<String>,
}

/// The variables of rule conditions, by name, with their types.
pub fn variables() -> BTreeMap<&'static str, Field> {
    let of = |schema: schemars::Schema, nullable: bool| {
        let root = schema.as_value().clone();
        let mut field = Converter { root: &root }.field(&root);
        field.nullable |= nullable;
        field
    };
    let concept_state = Ty::Str {
        vocabulary: None,
        values: ["affirmed", "negated", "uncertain", "historical", "absent"]
            .map(String::from)
            .to_vec(),
    };
    BTreeMap::from([
        ("item", of(schemars::schema_for!(ItemFacts), false)),
        ("use", of(schemars::schema_for!(DrugUse), false)),
        ("patient", of(schemars::schema_for!(Patient), false)),
        (
            "medications",
            of(schemars::schema_for!(Vec<Medication>), false),
        ),
        (
            "letter",
            of(schemars::schema_for!(LetterFacts<'static>), false),
        ),
        (
            "concepts",
            Field {
                ty: Ty::Map {
                    keys: Some(Vocabulary::Concepts),
                    values: Box::new(concept_state),
                },
                nullable: false,
                doc: Some(
                    "Each concept's status in the case summary, 'absent' when not mentioned".into(),
                ),
            },
        ),
    ])
}

/// Reads a JSON Schema that schemars wrote for the facts' types.
struct Converter<'a> {
    root: &'a Json,
}

impl Converter<'_> {
    fn resolve<'s>(&'s self, schema: &'s Json) -> &'s Json {
        match schema.get("$ref").and_then(Json::as_str) {
            Some(r) => r
                .strip_prefix("#/$defs/")
                .and_then(|name| self.root.get("$defs")?.get(name))
                .map_or(schema, |s| self.resolve(s)),
            None => schema,
        }
    }

    fn field(&self, schema: &Json) -> Field {
        let doc = schema
            .get("description")
            .and_then(Json::as_str)
            .map(String::from);
        let vocabulary = schema
            .get("x-vocabulary")
            .and_then(Json::as_str)
            .and_then(Vocabulary::of);
        let keys = schema
            .get("x-key-vocabulary")
            .and_then(Json::as_str)
            .and_then(Vocabulary::of);
        let resolved = self.resolve(schema);
        let (mut ty, nullable) = self.ty(resolved);
        if let Some(v) = vocabulary {
            with_vocabulary(&mut ty, v);
        }
        if let (Some(k), Ty::Map { keys: slot, .. }) = (keys, &mut ty) {
            *slot = Some(k);
        }
        Field {
            ty,
            nullable,
            doc: doc.or_else(|| {
                resolved
                    .get("description")
                    .and_then(Json::as_str)
                    .map(String::from)
            }),
        }
    }

    /// The type a schema describes, and whether it admits null.
    fn ty(&self, schema: &Json) -> (Ty, bool) {
        if let Some(options) = schema.get("anyOf").or_else(|| schema.get("oneOf")) {
            let options = options.as_array().map(Vec::as_slice).unwrap_or_default();
            let is_null = |o: &Json| o.get("type").and_then(Json::as_str) == Some("null");
            let nullable = options.iter().any(is_null);
            let rest: Vec<&Json> = options.iter().filter(|o| !is_null(o)).collect();
            // An enum whose variants carry documentation: one constant each.
            let constants: Vec<String> = rest
                .iter()
                .filter_map(|o| {
                    let o = self.resolve(o);
                    o.get("const").or_else(|| o.get("enum")?.get(0))?.as_str()
                })
                .map(String::from)
                .collect();
            if !constants.is_empty() && constants.len() == rest.len() {
                return (
                    Ty::Str {
                        vocabulary: None,
                        values: constants,
                    },
                    nullable,
                );
            }
            return match rest.as_slice() {
                [one] => {
                    let (ty, inner) = self.ty(self.resolve(one));
                    (ty, nullable || inner)
                }
                _ => (Ty::Any, nullable),
            };
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Json::String(t)) => vec![t.as_str()],
            Some(Json::Array(ts)) => ts.iter().filter_map(Json::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = types.contains(&"null");
        let ty = match types.iter().find(|t| **t != "null").copied() {
            Some("string") => Ty::Str {
                vocabulary: None,
                values: schema
                    .get("enum")
                    .and_then(Json::as_array)
                    .map(|v| {
                        v.iter()
                            .filter_map(Json::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            Some("integer") => Ty::Int,
            Some("number") => Ty::Number,
            Some("boolean") => Ty::Bool,
            Some("array") => Ty::List(Box::new(
                schema
                    .get("items")
                    .map_or(Ty::Any, |items| self.field(items).ty),
            )),
            Some("object") => match schema.get("properties").and_then(Json::as_object) {
                Some(properties) => Ty::Object(
                    properties
                        .iter()
                        .map(|(name, s)| (name.clone(), self.field(s)))
                        .collect(),
                ),
                None => Ty::Map {
                    keys: None,
                    values: Box::new(
                        schema
                            .get("additionalProperties")
                            .map_or(Ty::Any, |v| self.field(v).ty),
                    ),
                },
            },
            _ => Ty::Any,
        };
        (ty, nullable)
    }
}

/// A vocabulary on a field names its strings: the field itself, a list's elements, or the
/// `value` of a fact with its place (`body_parts: [{value: 'knee', line: 3, ...}]`).
fn with_vocabulary(ty: &mut Ty, v: Vocabulary) {
    match ty {
        Ty::Str { vocabulary, .. } => *vocabulary = Some(v),
        Ty::List(element) => with_vocabulary(element, v),
        Ty::Object(fields) => {
            if let Some(value) = fields.get_mut("value") {
                with_vocabulary(&mut value.ty, v);
            }
        }
        _ => {}
    }
}

/// The fields that place a fact in the letter, on every fact that has a place: left out of the
/// listing, which says so once.
const PLACE: [&str; 4] = ["start", "end", "line", "column"];

/// One line per field, `item.drug.class: string, may be null`, for `imrlint schema facts`.
pub fn describe() -> String {
    let mut out = String::from(
        "# The variables of rule conditions and their fields. Each fact with a place in the letter\n# also has start, end (byte offsets), line and column. `may be null`: unknown for some letters.\n",
    );
    for (name, field) in variables() {
        describe_field(name, &field, &mut out);
    }
    out
}

fn describe_field(path: &str, field: &Field, out: &mut String) {
    let mut line = format!("{path}: {}", type_name(&field.ty));
    if field.nullable {
        line.push_str(", may be null");
    }
    if let Some(doc) = &field.doc {
        let first = doc.lines().next().unwrap_or_default();
        line.push_str(&format!("  # {first}"));
    }
    out.push_str(&line);
    out.push('\n');
    match &field.ty {
        Ty::Object(fields) => describe_fields(path, ".", fields, out),
        Ty::List(element) => {
            if let Ty::Object(fields) = &**element {
                describe_fields(path, "[].", fields, out);
            }
        }
        Ty::Map { values, .. } => {
            if let Ty::Object(fields) = &**values {
                describe_fields(path, "[key].", fields, out);
            }
        }
        _ => {}
    }
}

fn describe_fields(path: &str, joint: &str, fields: &BTreeMap<String, Field>, out: &mut String) {
    for (name, f) in fields.iter().filter(|(n, _)| !PLACE.contains(&n.as_str())) {
        describe_field(&format!("{path}{joint}{name}"), f, out);
    }
}

fn type_name(ty: &Ty) -> String {
    match ty {
        Ty::Object(_) => "object".into(),
        Ty::List(element) => format!("list of {}", type_name(element)),
        Ty::Map { keys, values } => match keys {
            Some(v) => format!("map from {} to {}", v.what(), type_name(values)),
            None => format!("map to {}", type_name(values)),
        },
        Ty::Str { vocabulary, values } => match (vocabulary, values.is_empty()) {
            (Some(v), _) => format!("string ({})", v.what()),
            (None, false) => format!("one of '{}'", values.join("', '")),
            (None, true) => "string".into(),
        },
        Ty::Int => "int".into(),
        Ty::Number => "number".into(),
        Ty::Bool => "bool".into(),
        Ty::Any => "any".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The facts rules read most are there with their types, vocabularies and nullability.
    #[test]
    fn the_variables_know_their_fields() {
        let vars = variables();
        let text = describe();
        for line in [
            "item.category: string (a category of categories.yaml)",
            "item.drug: object, may be null",
            "item.drug.class: string (a drug class of drugs.yaml)",
            "item.drugs: list of object",
            "item.request.body_parts[].value: string (a body part of anatomy.yaml)",
            "item.decision.value: one of 'upheld', 'overturned'",
            "use.weeks: int, may be null",
            "concepts: map from a concept of concepts.yaml to one of 'affirmed'",
            "letter.reference_date: object, may be null",
            "medications[].class: string (a drug class of drugs.yaml)",
        ] {
            assert!(text.contains(line), "no {line:?} in\n{text}");
        }
        assert!(matches!(vars["item"].ty, Ty::Object(_)));
    }
}
