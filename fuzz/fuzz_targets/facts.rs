//! Facts and checks: any text that parses as a letter, through facts and every default rule.
#![no_main]

use std::sync::LazyLock;

use imrlint::input::{Origin, decode};
use imrlint::rules::RuleSet;
use libfuzzer_sys::fuzz_target;

static RULES: LazyLock<RuleSet> =
    LazyLock::new(|| RuleSet::built_in().expect("the built-in rules load"));

fuzz_target!(|bytes: &[u8]| {
    // As the binary does: a PDF library's panic is caught and becomes the file's error.
    imrlint::input::quiet_pdf_panics();
    let Ok(source) = decode(Origin::File("fuzz.txt".into()), bytes.to_vec()) else {
        return;
    };
    if let Ok(letter) = imrlint::letter::parse(source.text) {
        let facts = imrlint::facts::extract(&letter, &RULES);
        let checked = imrlint::check::check(&letter, &facts, &RULES);
        assert_eq!(checked.items.len(), letter.items.len());
    }
});
