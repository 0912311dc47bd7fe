//! PDF reading: any bytes after a PDF signature, through text-layer extraction and folding.
#![no_main]

use imrlint::input::{Origin, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // As the binary does: a PDF library's panic is caught and becomes the file's error.
    imrlint::input::quiet_pdf_panics();
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend_from_slice(bytes);
    if let Ok(source) = decode(Origin::File("fuzz.pdf".into()), pdf) {
        let _ = imrlint::letter::parse(source.text);
    }
});
