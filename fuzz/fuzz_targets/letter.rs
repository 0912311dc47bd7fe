//! Letter reading: any bytes as a text letter, through decoding, folding and the layout parser.
#![no_main]

use std::sync::LazyLock;

use imrlint::input::{Origin, decode};
use imrlint::linter::Linter;
use imrlint::rules::RuleSet;
use libfuzzer_sys::fuzz_target;

static LINTER: LazyLock<Linter> = LazyLock::new(|| {
    Linter::with_rules(RuleSet::built_in().expect("the built-in rules load"))
});

fuzz_target!(|bytes: &[u8]| {
    // As the binary does: a PDF library's panic is caught and becomes the file's error.
    imrlint::input::quiet_pdf_panics();
    let origin = Origin::File("fuzz.txt".into());
    if let Ok(source) = decode(origin.clone(), bytes.to_vec()) {
        // Every folded offset maps back inside the original.
        let text = source.text;
        let folded_len = text.folded().len();
        let span = text.span(0..folded_len);
        assert!(span.range().end <= text.original().len());
    }
    if let Ok((_, letter)) = LINTER.read_bytes(origin, bytes.to_vec()) {
        for item in &letter.items {
            assert!(item.treatment.end <= letter.text.folded().len());
        }
    }
});
