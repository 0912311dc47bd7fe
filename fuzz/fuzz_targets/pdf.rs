//! PDF reading: any bytes after a PDF signature, through text-layer extraction, folding and the
//! layout parser.
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
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend_from_slice(bytes);
    let _ = LINTER.read_bytes(Origin::File("fuzz.pdf".into()), pdf);
});
