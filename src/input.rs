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

/// The letters named by the command line, in order: each path as given, folders and globs
/// expanded and sorted, files that `keep` refuses left out. Paths that do not exist and folders
/// that cannot be read are failures in their place, not dropped.
///
/// A month of letters is hundreds of thousands of files, and the list lives for the whole run:
/// each name is kept once, relative to the folder walked, in one buffer (about 35 bytes a letter,
/// where a `PathBuf` each took over 100), so memory does not grow with the size of the batch.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The paths as given (for a glob, the folder before its first wildcard).
    roots: Vec<PathBuf>,
    /// Names below their root, one after another.
    names: String,
    /// Names below their root that are not UTF-8.
    other_names: Vec<PathBuf>,
    failures: Vec<(PathBuf, String)>,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    root: u32,
    kind: EntryKind,
}

#[derive(Debug, Clone, Copy)]
enum EntryKind {
    /// The root itself is the file.
    Root,
    /// A file below the root, named by `names[start..end]`.
    Named {
        start: u32,
        end: u32,
    },
    /// A file below the root, named by `other_names[i]`.
    OtherNamed(u32),
    /// `failures[i]`.
    Failed(u32),
    Stdin,
}

impl Inputs {
    pub fn expand(paths: &[PathBuf], keep: impl Fn(&Path) -> bool) -> Inputs {
        let mut inputs = Inputs::default();
        for path in paths {
            let root = inputs.roots.len() as u32;
            if path.as_os_str() == "-" {
                inputs.roots.push(path.clone());
                inputs.entries.push(Entry {
                    root,
                    kind: EntryKind::Stdin,
                });
            } else if !path.exists() && is_glob(path) {
                inputs.add_glob(path, &keep);
            } else if path.is_dir() {
                inputs.roots.push(path.clone());
                let first = inputs.entries.len();
                for entry in walkdir::WalkDir::new(path).follow_links(true) {
                    match entry {
                        Ok(e) if e.file_type().is_file() && is_letter_file(e.path()) => {
                            if keep(e.path()) {
                                inputs.add_below(root, path, e.path());
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let at = e.path().unwrap_or(path).to_path_buf();
                            let why = if e.loop_ancestor().is_some() {
                                "a symbolic link loops back to a folder above it; skipped"
                                    .to_string()
                            } else {
                                e.io_error()
                                    .map_or_else(|| e.to_string(), |io| io.to_string())
                            };
                            inputs.add_failure(root, at, why);
                        }
                    }
                }
                inputs.sort_from(first);
            } else if path.exists() {
                inputs.roots.push(path.clone());
                if keep(path) {
                    inputs.entries.push(Entry {
                        root,
                        kind: EntryKind::Root,
                    });
                }
            } else {
                inputs.roots.push(path.clone());
                inputs.add_failure(root, path.clone(), "no such file or folder".to_string());
            }
        }
        inputs
    }

    /// The letter files a quoted glob names (`'letters/2016-*/*.pdf'`, `'**/*.txt'`): the
    /// folder before the first wildcard is searched and every file is matched against the
    /// pattern.
    fn add_glob(&mut self, pattern: &Path, keep: impl Fn(&Path) -> bool) {
        let root = self.roots.len() as u32;
        let text = pattern.to_string_lossy();
        let matcher = match globset::GlobBuilder::new(&text)
            .literal_separator(true)
            .build()
        {
            Ok(g) => g.compile_matcher(),
            Err(e) => {
                self.roots.push(PathBuf::new());
                self.add_failure(root, pattern.to_path_buf(), format!("not a glob: {e}"));
                return;
            }
        };
        let folder: PathBuf = pattern
            .components()
            .take_while(|c| !is_glob(Path::new(c.as_os_str())))
            .collect();
        // The pattern is matched against the path as it writes it: without the `./` that a walk
        // of the current folder adds.
        let start = if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder.clone()
        };
        self.roots.push(folder.clone());
        let first = self.entries.len();
        let mut matched = false;
        for e in walkdir::WalkDir::new(&start)
            .follow_links(true)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
        {
            let below = e.path().strip_prefix(&start).unwrap_or(e.path());
            let path = folder.join(below);
            if matcher.is_match(&path) && is_letter_file(&path) {
                matched = true;
                if keep(&path) {
                    self.add_below(root, &folder, &path);
                }
            }
        }
        if !matched {
            self.add_failure(
                root,
                pattern.to_path_buf(),
                "the pattern matches no .txt or .pdf file".to_string(),
            );
        }
        self.sort_from(first);
    }

    /// A file at `path`, below `folder`, the root numbered `root`.
    fn add_below(&mut self, root: u32, folder: &Path, path: &Path) {
        let name = path.strip_prefix(folder).unwrap_or(path);
        let start = self.names.len();
        let kind = match name.to_str() {
            Some(text) => match (u32::try_from(start), u32::try_from(start + text.len())) {
                (Ok(start), Ok(end)) => {
                    self.names.push_str(text);
                    EntryKind::Named { start, end }
                }
                _ => {
                    return self.add_failure(
                        root,
                        path.to_path_buf(),
                        "more than 4 GB of file names in one run; split the run".to_string(),
                    );
                }
            },
            None => {
                self.other_names.push(name.to_path_buf());
                EntryKind::OtherNamed(self.other_names.len() as u32 - 1)
            }
        };
        self.entries.push(Entry { root, kind });
    }

    fn add_failure(&mut self, root: u32, at: PathBuf, why: String) {
        self.failures.push((at, why));
        self.entries.push(Entry {
            root,
            kind: EntryKind::Failed(self.failures.len() as u32 - 1),
        });
    }

    /// Sorts the entries from `first` on, all below one root, by their path.
    fn sort_from(&mut self, first: usize) {
        let mut entries = std::mem::take(&mut self.entries);
        entries[first..].sort_by(|a, b| self.below_root(a).cmp(self.below_root(b)));
        self.entries = entries;
    }

    /// An entry's path below its root.
    fn below_root(&self, e: &Entry) -> &Path {
        let root = &self.roots[e.root as usize];
        match e.kind {
            EntryKind::Named { start, end } => Path::new(&self.names[start as usize..end as usize]),
            EntryKind::OtherNamed(i) => &self.other_names[i as usize],
            EntryKind::Failed(i) => {
                let at = &self.failures[i as usize].0;
                at.strip_prefix(root).unwrap_or(at)
            }
            EntryKind::Root | EntryKind::Stdin => Path::new(""),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The `i`th letter, or why it cannot be read.
    pub fn get(&self, i: usize) -> Result<Origin, (PathBuf, String)> {
        let e = &self.entries[i];
        let root = &self.roots[e.root as usize];
        match e.kind {
            EntryKind::Root => Ok(Origin::File(root.clone())),
            EntryKind::Named { .. } | EntryKind::OtherNamed(_) => {
                Ok(Origin::File(root.join(self.below_root(e))))
            }
            EntryKind::Failed(i) => Err(self.failures[i as usize].clone()),
            EntryKind::Stdin => Ok(Origin::Stdin),
        }
    }
}

fn is_glob(path: &Path) -> bool {
    path.to_str()
        .is_some_and(|s| s.contains(['*', '?', '[', '{']))
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
/// fuzzing: `missing object reference`); `pdf_text` catches the panic and the file fails alone
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

    fn listed(inputs: &Inputs) -> Vec<String> {
        (0..inputs.len())
            .map(|i| match inputs.get(i) {
                Ok(o) => o.display_name(),
                Err((p, why)) => format!("{} ({why})", p.display()),
            })
            .collect()
    }

    #[test]
    fn folders_are_walked_in_path_order_and_failures_stay_in_place() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.txt",
            "a.txt",
            "a/z.pdf",
            "a/b/c.TXT",
            "a.b/x.txt",
            "notes.md",
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let root = dir.path().display().to_string();
        let inputs = Inputs::expand(
            &[
                dir.path().to_path_buf(),
                PathBuf::from("/no/such/letter.txt"),
                PathBuf::from("-"),
            ],
            |p| !p.ends_with("b.txt"),
        );
        assert_eq!(
            listed(&inputs),
            vec![
                // Path order, component by component: the folder `a` before `a.b` and `a.txt`.
                format!("{root}/a/b/c.TXT"),
                format!("{root}/a/z.pdf"),
                format!("{root}/a.b/x.txt"),
                format!("{root}/a.txt"),
                "/no/such/letter.txt (no such file or folder)".to_string(),
                "-".to_string(),
            ]
        );
    }

    #[test]
    fn a_glob_matches_paths_as_written_and_reports_matching_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["2016-01/b.txt", "2016-01/a.pdf", "2017-01/c.txt"] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        let root = dir.path().display().to_string();
        let inputs = Inputs::expand(
            &[
                dir.path().join("2016-*/*"),
                dir.path().join("2016-*/*.txt"),
                dir.path().join("*.docx"),
            ],
            |p| !p.ends_with("b.txt"),
        );
        assert_eq!(
            listed(&inputs),
            vec![
                format!("{root}/2016-01/a.pdf"),
                // `b.txt` matched and was left out: no failure for the second pattern.
                format!("{root}/*.docx (the pattern matches no .txt or .pdf file)"),
            ]
        );
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
