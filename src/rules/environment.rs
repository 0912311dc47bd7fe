//! The CEL environment every rule condition is compiled and run in, built once.
//!
//! Building the standard library is costly, so one environment is shared by every program and
//! every item. The standard `matches` compiles its regex on every call; here it is replaced by
//! one that keeps the regexes it compiled, since a rule's patterns are the same for every item.
//!
//! Facts become CEL values here too, for every item of every letter: converting them was a fifth
//! of the work of a letter, so maps are taken apart rather than copied, and an item's facts keep
//! only the fields some program reads ([`FieldsRead`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, LazyLock, RwLock};

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::common::types::{CelBool, CelList, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::Val;
use cel::objects::{Key, Map};
use cel::{Env, ExecutionError, Program, SerializationError, Value};
use regex::Regex;
use serde::Serialize;
use serde::ser::{Error as _, Impossible, SerializeStruct};

/// Regexes a `matches` call may keep: every pattern written in the rules, with room to spare.
/// A condition that builds patterns from letter text would otherwise grow the cache without end.
const KEPT_REGEXES: usize = 1024;

/// Compiled size limit of a `matches` pattern, as for the patterns of the rule files.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

static ENVIRONMENT: LazyLock<Arc<Env>> = LazyLock::new(|| {
    let mut env = Env::stdlib();
    cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>, id = "matches")
        .expect("matches is not in the standard library without its regex feature");
    cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>)
        .expect("matches is not in the standard library without its regex feature");
    Arc::new(env)
});

/// Shared, not cloned: a clone of a `Regex` has a cache of its own, which starts cold, so every
/// condition would build its lazy DFA again (that was a tenth of a letter's work).
static REGEXES: LazyLock<RwLock<HashMap<String, Compiled>>> = LazyLock::new(Default::default);

/// A `matches` pattern compiled, or why it does not compile.
type Compiled = Result<Arc<Regex>, String>;

/// The shared environment.
pub fn environment() -> Arc<Env> {
    Arc::clone(&ENVIRONMENT)
}

/// Compiles a CEL expression in the shared environment.
pub fn compile(source: &str) -> Result<Program, cel::ParseErrors> {
    ENVIRONMENT.compile(source)
}

/// A fact as a value of CEL variables. `Context::add_variable_from_value` would copy each map
/// and list of the converted fact once more, with its keys hashed again, on the way to the
/// interpreter's form: this takes them apart instead. That copying was 8% of a letter's work.
pub fn value_of<T: Serialize + ?Sized>(fact: &T) -> Box<dyn Val> {
    into_val(cel::to_value(fact).unwrap_or(Value::Null))
}

/// Like [`value_of`], for a fact that is a struct, with only the fields that `read` keeps: an
/// item's facts are converted for every item, and the default rules never read the largest
/// fields (`guideline`, `use`).
pub fn value_of_fields<T: Serialize + ?Sized>(fact: &T, read: &FieldsRead) -> Box<dyn Val> {
    if read.every {
        return value_of(fact);
    }
    match fact.serialize(FieldFilter(read)) {
        Ok(value) => into_val(value),
        Err(_) => value_of(fact),
    }
}

/// The fields of one variable that programs read (`item.drug` reads `drug`), or every field
/// when a program uses the variable any other way (`item['drug']`, `size(item)`).
#[derive(Debug, Clone, Default)]
pub struct FieldsRead {
    every: bool,
    fields: BTreeSet<String>,
}

impl FieldsRead {
    pub fn of<'a>(variable: &str, programs: impl IntoIterator<Item = &'a Program>) -> FieldsRead {
        let mut read = FieldsRead::default();
        for program in programs {
            read.visit(variable, program.expression());
        }
        read
    }

    pub fn reads(&self, field: &str) -> bool {
        self.every || self.fields.contains(field)
    }

    fn visit(&mut self, variable: &str, expr: &IdedExpr) {
        let mut visit = |e: &IdedExpr| self.visit(variable, e);
        match &expr.expr {
            Expr::Select(select) => match &select.operand.expr {
                Expr::Ident(name) if name == variable => {
                    self.fields.insert(select.field.clone());
                }
                _ => visit(&select.operand),
            },
            Expr::Ident(name) => self.every |= name == variable,
            Expr::Call(call) => call
                .target
                .iter()
                .map(|t| &**t)
                .chain(&call.args)
                .for_each(visit),
            Expr::Comprehension(c) => [
                &c.iter_range,
                &c.accu_init,
                &c.loop_cond,
                &c.loop_step,
                &c.result,
            ]
            .into_iter()
            .for_each(visit),
            Expr::List(list) => list.elements.iter().for_each(visit),
            Expr::Map(map) => map
                .entries
                .iter()
                .for_each(|e| visit_entry(&e.expr, &mut visit)),
            Expr::Struct(st) => st
                .entries
                .iter()
                .for_each(|e| visit_entry(&e.expr, &mut visit)),
            Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
}

fn visit_entry(entry: &EntryExpr, visit: &mut impl FnMut(&IdedExpr)) {
    match entry {
        EntryExpr::MapEntry(e) => {
            visit(&e.key);
            visit(&e.value);
        }
        EntryExpr::StructField(f) => visit(&f.value),
    }
}

/// Serializes a struct to a CEL map of the fields a [`FieldsRead`] keeps; anything but a struct
/// is refused (and [`value_of_fields`] converts it whole).
struct FieldFilter<'a>(&'a FieldsRead);

struct FilteredStruct<'a> {
    read: &'a FieldsRead,
    map: HashMap<Key, Value>,
}

impl SerializeStruct for FilteredStruct<'_> {
    type Ok = Value;
    type Error = SerializationError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), SerializationError> {
        if self.read.reads(key) {
            self.map.insert(Key::from(key), cel::to_value(value)?);
        }
        Ok(())
    }

    fn end(self) -> Result<Value, SerializationError> {
        Ok(Value::Map(Map::from(self.map)))
    }
}

/// The serializer methods of [`FieldFilter`] for what is not a struct.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $out:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$out, SerializationError> {
            Err(SerializationError::custom("not a struct"))
        })*
    };
}

impl<'a> serde::Serializer for FieldFilter<'a> {
    type Ok = Value;
    type Error = SerializationError;
    type SerializeSeq = Impossible<Value, SerializationError>;
    type SerializeTuple = Impossible<Value, SerializationError>;
    type SerializeTupleStruct = Impossible<Value, SerializationError>;
    type SerializeTupleVariant = Impossible<Value, SerializationError>;
    type SerializeMap = Impossible<Value, SerializationError>;
    type SerializeStruct = FilteredStruct<'a>;
    type SerializeStructVariant = Impossible<Value, SerializationError>;

    fn serialize_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<FilteredStruct<'a>, SerializationError> {
        Ok(FilteredStruct {
            read: self.0,
            map: HashMap::with_capacity(len.min(self.0.fields.len())),
        })
    }

    refuse! {
        serialize_bool(bool) -> Value;
        serialize_i8(i8) -> Value;
        serialize_i16(i16) -> Value;
        serialize_i32(i32) -> Value;
        serialize_i64(i64) -> Value;
        serialize_u8(u8) -> Value;
        serialize_u16(u16) -> Value;
        serialize_u32(u32) -> Value;
        serialize_u64(u64) -> Value;
        serialize_f32(f32) -> Value;
        serialize_f64(f64) -> Value;
        serialize_char(char) -> Value;
        serialize_str(&str) -> Value;
        serialize_bytes(&[u8]) -> Value;
        serialize_none() -> Value;
        serialize_unit() -> Value;
        serialize_unit_struct(&'static str) -> Value;
        serialize_unit_variant(&'static str, u32, &'static str) -> Value;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Value, SerializationError> {
        Err(SerializationError::custom("not a struct"))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Value, SerializationError> {
        Err(SerializationError::custom("not a struct"))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Value, SerializationError> {
        Err(SerializationError::custom("not a struct"))
    }
}

fn into_val(value: Value) -> Box<dyn Val> {
    match value {
        Value::List(list) => Box::new(CelList::from(
            Arc::unwrap_or_clone(list)
                .into_iter()
                .map(into_val)
                .collect::<Vec<_>>(),
        )),
        Value::Map(map) => Box::new(CelMap::from(
            Arc::unwrap_or_clone(map.map)
                .into_iter()
                .map(|(key, value)| (CelMapKey::from(key), into_val(value)))
                .collect::<HashMap<_, _>>(),
        )),
        other => Box::<dyn Val>::try_from(other).unwrap_or_else(|_| Box::new(CelNull)),
    }
}

/// CEL's `text.matches(pattern)`: whether the RE2-style pattern matches anywhere in the text.
fn matches(text: &CelString, pattern: &CelString) -> Result<CelBool, ExecutionError> {
    let pattern = pattern.inner();
    match regex(pattern) {
        Ok(re) => Ok(CelBool::from(re.is_match(text.inner()))),
        Err(message) => Err(ExecutionError::FunctionError {
            function: "matches".to_string(),
            message: format!("'{pattern}' is not a valid regex: {message}"),
        }),
    }
}

/// The regex of a `matches` pattern, compiled once and kept for every item's conditions.
fn regex(pattern: &str) -> Compiled {
    if let Some(re) = REGEXES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(pattern)
    {
        return re.clone();
    }
    // Letters are English: ASCII classes and case folding match them as Unicode ones would, in a
    // fourth of the memory (the default rules' patterns took 15 MB in Unicode mode). A pattern
    // that needs Unicode (one whose class could split a character) is compiled in it.
    let build = |unicode: bool| {
        regex::RegexBuilder::new(pattern)
            .unicode(unicode)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
    };
    let compiled = build(false)
        .or_else(|_| build(true))
        .map(Arc::new)
        .map_err(|e| e.to_string());
    let mut kept = REGEXES.write().unwrap_or_else(|e| e.into_inner());
    if kept.len() < KEPT_REGEXES {
        kept.insert(pattern.to_string(), compiled.clone());
    }
    compiled
}

#[cfg(test)]
mod tests {
    use cel::{Context, Value};

    use super::*;

    fn run(source: &str) -> Result<Value, ExecutionError> {
        compile(source)
            .unwrap()
            .execute(&Context::with_env(environment()))
    }

    #[test]
    fn matches_as_method_and_function() {
        assert_eq!(
            run("'Norco 10/325'.matches('(?i)norco')"),
            Ok(Value::Bool(true))
        );
        assert_eq!(run("matches('Norco', '^x')"), Ok(Value::Bool(false)));
        // A second call takes the kept regex and answers the same.
        assert_eq!(
            run("'Norco 10/325'.matches('(?i)norco')"),
            Ok(Value::Bool(true))
        );
    }

    #[test]
    fn the_fields_read_are_those_selected_unless_the_variable_is_used_whole() {
        let read = |sources: &[&str]| {
            let programs: Vec<Program> = sources.iter().map(|s| compile(s).unwrap()).collect();
            FieldsRead::of("item", &programs)
        };
        let selected = read(&[
            "item.drug != null && item.drug.class == 'opioid'",
            "has(item.procedure)",
            "medications.exists(m, m.class == item.category)",
            "{'a': item.request}.a != null",
        ]);
        for field in ["drug", "procedure", "category", "request"] {
            assert!(selected.reads(field), "{field}");
        }
        for field in ["class", "guideline", "m"] {
            assert!(!selected.reads(field), "{field}");
        }
        assert!(read(&["item['guideline'] != null"]).reads("guideline"));
        assert!(read(&["size(item) > 0"]).reads("guideline"));
    }

    #[test]
    fn a_fact_keeps_only_the_fields_read() {
        #[derive(Serialize)]
        struct Fact {
            read: i64,
            unread: i64,
        }
        let run = |read: &FieldsRead, source: &str| {
            let mut ctx = Context::with_env(environment());
            ctx.add_variable_as_val("item", value_of_fields(&Fact { read: 1, unread: 2 }, read));
            compile(source).unwrap().execute(&ctx)
        };
        let selected = FieldsRead::of("item", &[compile("item.read == 1").unwrap()]);
        assert_eq!(run(&selected, "item.read == 1"), Ok(Value::Bool(true)));
        assert_eq!(run(&selected, "has(item.unread)"), Ok(Value::Bool(false)));
        // Read whole, it keeps them all.
        let every = FieldsRead::of("item", &[compile("size(item) == 2").unwrap()]);
        assert_eq!(run(&every, "item.unread == 2"), Ok(Value::Bool(true)));
    }

    #[test]
    fn a_bad_pattern_is_an_error_not_a_panic() {
        assert!(run("'x'.matches('(')").is_err());
        assert!(run("'x'.matches('(')").is_err());
        // Too large to compile: refused, not built.
        assert!(run("'x'.matches('(?:a{1000}){1000}')").is_err());
    }
}
