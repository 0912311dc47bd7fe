//! Input: which files a run reads, and their bytes turned into text.
//!
//! Paths may be files, folders (walked recursively for `.txt` and `.pdf`, in sorted order so a
//! run's output does not depend on the file system) or `-` for standard input. A file that cannot
//! be read or decoded becomes an error for that file alone: the rest of the run goes on.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::text::Text;

/// Where a letter came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Stdin,
}

impl Origin {
    /// The name shown in reports: the path as given, or `-` for standard input.
    pub fn display_name(&self) -> String {
        match self {
            Origin::File(p) => p.display().to_string(),
            Origin::Stdin => "-".to_string(),
        }
    }

    fn is_pdf(&self, bytes: &[u8]) -> bool {
        let named_pdf = matches!(self, Origin::File(p) if p
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("pdf")));
        named_pdf || bytes.starts_with(b"%PDF-")
    }
}

/// A letter's text as read, with what the reader had to say about it.
#[derive(Debug)]
pub struct Source {
    pub origin: Origin,
    pub text: Text,
    /// Things the reader did that a user should know (lossy decoding, PDF text layer).
    pub notes: Vec<String>,
}

/// Why a file could not become text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub kind: ReadErrorKind,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// The file could not be opened or read.
    Io,
    /// A PDF whose text layer could not be extracted.
    Pdf,
    /// The bytes are not text (a binary file).
    Binary,
    /// Larger than any letter: read no further.
    TooLarge,
}

impl ReadErrorKind {
    pub fn id(self) -> &'static str {
        match self {
            ReadErrorKind::Io => "io",
            ReadErrorKind::Pdf => "pdf",
            ReadErrorKind::Binary => "binary",
            ReadErrorKind::TooLarge => "too-large",
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The letters named by the command line, in order: each path as given, folders expanded and
/// sorted. Paths that do not exist are reported as errors in place, not dropped.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<Origin, (PathBuf, String)>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(Ok(Origin::Stdin));
        } else if !path.exists() && is_glob(path) {
            out.extend(expand_glob(path));
        } else if path.is_dir() {
            let mut found = Vec::new();
            for entry in walkdir::WalkDir::new(path).follow_links(true) {
                match entry {
                    Ok(e) if e.file_type().is_file() && is_letter_file(e.path()) => {
                        found.push(Ok(Origin::File(e.into_path())));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let at = e.path().unwrap_or(path).to_path_buf();
                        let why = if e.loop_ancestor().is_some() {
                            "a symbolic link loops back to a folder above it; skipped".to_string()
                        } else {
                            e.io_error()
                                .map_or_else(|| e.to_string(), |io| io.to_string())
                        };
                        found.push(Err((at, why)));
                    }
                }
            }
            found.sort_by(|a, b| sort_key(a).cmp(sort_key(b)));
            out.extend(found);
        } else if path.exists() {
            out.push(Ok(Origin::File(path.clone())));
        } else {
            out.push(Err((path.clone(), "no such file or folder".to_string())));
        }
    }
    out
}

fn is_glob(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|s| s.contains(['*', '?', '[', '{']))
}

/// The letter files a quoted glob names (`'letters/2016-*/*.pdf'`, `'**/*.txt'`), sorted: the
/// folder before the first wildcard is searched and every file is matched against the pattern.
fn expand_glob(pattern: &Path) -> Vec<Result<Origin, (PathBuf, String)>> {
    let text = pattern.to_string_lossy();
    let matcher = match globset::GlobBuilder::new(&text)
        .literal_separator(true)
        .build()
    {
        Ok(g) => g.compile_matcher(),
        Err(e) => return vec![Err((pattern.to_path_buf(), format!("not a glob: {e}")))],
    };
    let root: PathBuf = pattern
        .components()
        .take_while(|c| !is_glob(Path::new(c.as_os_str())))
        .collect();
    let start = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root.clone()
    };
    let mut found: Vec<Result<Origin, (PathBuf, String)>> = walkdir::WalkDir::new(&start)
        .follow_links(true)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        // Match the path as the pattern writes it: without the leading `./` the walk adds.
        .map(|e| {
            if root.as_os_str().is_empty() {
                e.path().strip_prefix(".").unwrap_or(e.path()).to_path_buf()
            } else {
                e.into_path()
            }
        })
        .filter(|p| matcher.is_match(p) && is_letter_file(p))
        .map(|p| Ok(Origin::File(p)))
        .collect();
    if found.is_empty() {
        return vec![Err((
            pattern.to_path_buf(),
            "the pattern matches no .txt or .pdf file".to_string(),
        ))];
    }
    found.sort_by(|a, b| sort_key(a).cmp(sort_key(b)));
    found
}

fn sort_key(r: &Result<Origin, (PathBuf, String)>) -> &Path {
    match r {
        Ok(Origin::File(p)) | Err((p, _)) => p,
        Ok(Origin::Stdin) => Path::new("-"),
    }
}

fn is_letter_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("txt") || e.eq_ignore_ascii_case("pdf"))
}

/// Reads one letter.
pub fn read(origin: Origin) -> Result<Source, ReadError> {
    let bytes = match &origin {
        Origin::File(p) => {
            std::fs::File::open(p)
                .and_then(read_limited)
                .map_err(|e| ReadError {
                    kind: ReadErrorKind::Io,
                    message: format!("cannot read {}: {e}", p.display()),
                })?
        }
        Origin::Stdin => read_limited(std::io::stdin()).map_err(|e| ReadError {
            kind: ReadErrorKind::Io,
            message: format!("cannot read standard input: {e}"),
        })?,
    };
    if bytes.len() > MAX_LETTER_BYTES {
        return Err(ReadError {
            kind: ReadErrorKind::TooLarge,
            message: format!(
                "larger than {} MB: a determination letter is a few hundred KB; split the file if it holds many letters",
                MAX_LETTER_BYTES >> 20
            ),
        });
    }
    decode(origin, bytes)
}

/// The largest file read as a letter. Real letters, PDFs included, are under 1 MB; a file many
/// times that is not one letter, and reading it whole would cost memory a batch cannot spare.
pub const MAX_LETTER_BYTES: usize = 32 << 20;

/// Up to one byte more than the limit: enough to know a file is too large without reading it all.
fn read_limited(from: impl Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    from.take(MAX_LETTER_BYTES as u64 + 1)
        .read_to_end(&mut buf)?;
    Ok(buf)
}

/// Turns a letter's bytes into text: the text layer of a PDF, UTF-8 as is, anything else
/// decoded lossily with a note saying where the first invalid byte was.
pub fn decode(origin: Origin, bytes: Vec<u8>) -> Result<Source, ReadError> {
    let mut notes = Vec::new();
    let text = if origin.is_pdf(&bytes) {
        if !bytes.starts_with(b"%PDF-") {
            return Err(ReadError {
                kind: ReadErrorKind::Pdf,
                message: "named .pdf but is not a PDF (no %PDF- signature)".to_string(),
            });
        }
        let text = pdf_text(&bytes)?;
        notes.push(
            "read from the PDF's text layer: offsets point into the extracted text".to_string(),
        );
        text
    } else {
        if looks_binary(&bytes) {
            return Err(ReadError {
                kind: ReadErrorKind::Binary,
                message: "the file is binary, not a text letter".to_string(),
            });
        }
        match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                notes.push(format!(
                    "not valid UTF-8 (first bad byte at offset {at}); decoded with replacement characters, so offsets after it may shift"
                ));
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            }
        }
    };
    Ok(Source {
        origin,
        text: Text::new(text),
        notes,
    })
}

thread_local! {
    /// Whether this thread is inside the PDF library, whose panics [`pdf_text`] catches.
    static EXTRACTING_PDF: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Keeps the PDF library's panics off standard error. It panics on some malformed files (found by
/// fuzzing: `missing object reference`); [`pdf_text`] catches the panic and the file fails alone
/// with a `pdf` error, so the message would only be noise between results. Any other panic goes
/// to the hook installed before.
pub fn quiet_pdf_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXTRACTING_PDF.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

fn pdf_text(bytes: &[u8]) -> Result<String, ReadError> {
    // The PDF crate panics on some malformed files; a bad PDF must fail alone, not the run.
    EXTRACTING_PDF.with(|e| e.set(true));
    let result = std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes));
    EXTRACTING_PDF.with(|e| e.set(false));
    match result {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(ReadError {
            kind: ReadErrorKind::Pdf,
            message: format!("cannot extract the PDF's text: {e}"),
        }),
        Err(_) => Err(ReadError {
            kind: ReadErrorKind::Pdf,
            message: "cannot extract the PDF's text: the PDF is malformed".to_string(),
        }),
    }
}

/// Text letters have next to no control bytes; binary files have many. NUL bytes alone do not
/// make a file binary (PDF extraction leaves some), a high share of control bytes does.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    if sample.is_empty() {
        return false;
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    control * 10 > sample.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(name: &str) -> Origin {
        Origin::File(PathBuf::from(name))
    }

    #[test]
    fn utf8_passes_through() {
        let s = decode(origin("a.txt"), b"Upheld".to_vec()).unwrap();
        assert_eq!(s.text.original(), "Upheld");
        assert!(s.notes.is_empty());
    }

    #[test]
    fn invalid_utf8_is_decoded_with_a_note() {
        let s = decode(origin("a.txt"), b"caf\xe9 au lait".to_vec()).unwrap();
        assert!(s.text.original().starts_with("caf\u{fffd}"));
        assert!(s.notes[0].contains("offset 3"));
    }

    #[test]
    fn binary_is_refused() {
        let bytes: Vec<u8> = (0u8..=255).cycle().take(4096).collect();
        let e = decode(origin("a.txt"), bytes).unwrap_err();
        assert_eq!(e.kind, ReadErrorKind::Binary);
    }

    #[test]
    fn a_fake_pdf_is_refused() {
        let e = decode(origin("a.pdf"), b"just text".to_vec()).unwrap_err();
        assert_eq!(e.kind, ReadErrorKind::Pdf);
        let e = decode(origin("a.pdf"), b"%PDF-1.4 garbage".to_vec()).unwrap_err();
        assert_eq!(e.kind, ReadErrorKind::Pdf);
    }
}
