//! Facts and checks: any text that parses as a letter, through facts and every default rule.
#![no_main]

use std::sync::LazyLock;

use imrlint::input::Origin;
use imrlint::linter::Linter;
use imrlint::rules::RuleSet;
use libfuzzer_sys::fuzz_target;

static LINTER: LazyLock<Linter> = LazyLock::new(|| {
    Linter::with_rules(RuleSet::built_in().expect("the built-in rules load"))
});

fuzz_target!(|bytes: &[u8]| {
    // As the binary does: a PDF library's panic is caught and becomes the file's error.
    imrlint::input::quiet_pdf_panics();
    if let Ok((_, letter)) = LINTER.read_bytes(Origin::File("fuzz.txt".into()), bytes.to_vec()) {
        let facts = LINTER.facts(&letter);
        let checked = LINTER.evaluate(&letter, &facts);
        assert_eq!(checked.items.len(), letter.items.len());
    }
});
