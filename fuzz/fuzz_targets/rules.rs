//! Rule loading: any text as one rule file of any kind; errors are expected, panics and hangs
//! are not.
#![no_main]

use imrlint::rules::{RuleSet, RuleSource};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "drugs.yaml",
    "concepts.yaml",
    "context.yaml",
    "guidelines.yaml",
    "categories.yaml",
    "anatomy.yaml",
    "requests.yaml",
    "reasons.yaml",
    "definitions.yaml",
    "mtus/rule.yaml",
];

fuzz_target!(|bytes: &[u8]| {
    let Some((&pick, rest)) = bytes.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let name = NAMES[pick as usize % NAMES.len()].to_string();
    let _ = RuleSet::from_sources(vec![RuleSource::Text {
        name,
        text: text.to_string(),
    }]);
});
