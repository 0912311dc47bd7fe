//! CEL conditions: any text as a rule condition, checked as the loader does, then run.
#![no_main]

use cel::Context;
use imrlint::rules::checks::compile_expression;
use imrlint::rules::environment::environment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(source) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Ok(program) = compile_expression(source, &[]) {
        let _ = program.execute(&Context::with_env(environment()));
    }
});
