//! The CEL environment every rule condition is compiled and run in, built once.
//!
//! Building the standard library is costly, so one environment is shared by every program and
//! every item. The standard `matches` compiles its regex on every call; here it is replaced by
//! one that keeps the regexes it compiled, since a rule's patterns are the same for every item.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};

use cel::common::types::{CelBool, CelList, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::Val;
use cel::{Env, ExecutionError, Program, Value};
use regex::Regex;
use serde::Serialize;

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

static REGEXES: LazyLock<RwLock<HashMap<String, Result<Regex, String>>>> =
    LazyLock::new(Default::default);

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
/// interpreter's form: this takes them apart instead. It was a tenth of the work of a letter.
pub fn value_of<T: Serialize + ?Sized>(fact: &T) -> Box<dyn Val> {
    into_val(cel::to_value(fact).unwrap_or(Value::Null))
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
    let found = |re: &Result<Regex, String>| match re {
        Ok(re) => Ok(CelBool::from(re.is_match(text.inner()))),
        Err(message) => Err(ExecutionError::FunctionError {
            function: "matches".to_string(),
            message: format!("'{pattern}' is not a valid regex: {message}"),
        }),
    };
    if let Some(re) = REGEXES
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(pattern)
    {
        return found(re);
    }
    let compiled = regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string());
    let result = found(&compiled);
    let mut kept = REGEXES.write().unwrap_or_else(|e| e.into_inner());
    if kept.len() < KEPT_REGEXES {
        kept.insert(pattern.to_string(), compiled);
    }
    result
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
    fn a_bad_pattern_is_an_error_not_a_panic() {
        assert!(run("'x'.matches('(')").is_err());
        assert!(run("'x'.matches('(')").is_err());
        // Too large to compile: refused, not built.
        assert!(run("'x'.matches('(?:a{1000}){1000}')").is_err());
    }
}
