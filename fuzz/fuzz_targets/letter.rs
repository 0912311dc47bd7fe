//! Letter reading: any bytes as a text letter, through decoding, folding and the layout parser.
#![no_main]

use imrlint::input::{Origin, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // As the binary does: a PDF library's panic is caught and becomes the file's error.
    imrlint::input::quiet_pdf_panics();
    let origin = Origin::File("fuzz.txt".into());
    if let Ok(source) = decode(origin, bytes.to_vec()) {
        let text = source.text;
        // Every folded offset maps back inside the original.
        let folded_len = text.folded().len();
        let span = text.span(0..folded_len);
        assert!(span.end <= text.original().len());
        let _ = imrlint::letter::parse(text);
    }
});
