//! Rule files as read: their text, where each YAML node stands, and diagnostics that point there.
//!
//! serde reads the files into plain types; a second, event-level pass over the same text records
//! where every node starts, so that an error found after deserializing (a bad regex, an unknown
//! class) can still point at the exact line and column in the YAML.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::de::DeserializeOwned;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::overlay::Tree;

/// A YAML rule file: its name as shown in diagnostics, its text, and where its nodes stand.
#[derive(Debug, Clone)]
pub struct RuleFile {
    pub name: String,
    pub text: Arc<String>,
    /// Where each node stands, found when a diagnostic first needs it: most runs need none, and
    /// the default rules' maps would take a third of their memory.
    nodes: Arc<std::sync::OnceLock<HashMap<String, Range<usize>>>>,
    /// Why the file is not read at all (an alias, nesting too deep), and where.
    refused: Option<(Range<usize>, String, String)>,
    /// For files read as one: the files and where each merged node came from, so that a
    /// problem found after merging is shown in the file and at the entry at fault.
    merged: Option<Arc<Merged>>,
}

/// Files read as one: the files, and the merged document whose nodes know their origin.
#[derive(Debug)]
struct Merged {
    files: Vec<RuleFile>,
    tree: Tree,
}

/// Rule files nest a few levels. Deeper nesting is refused before anything recursive reads the
/// file: the parsers recurse once per level, and a file of brackets would exhaust the stack.
const MAX_YAML_DEPTH: usize = 64;

/// The most nodes a rule file may stand for, aliases expanded: the default rules have tens of
/// thousands.
const MAX_YAML_NODES: usize = 1_000_000;

/// Largest rule file read. Real rule files are a few hundred KB at most; a bigger one is a mistake
/// or an attack on memory.
const MAX_RULE_FILE_BYTES: usize = 8 * 1024 * 1024;

impl RuleFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> RuleFile {
        let text = text.into();
        let refused = refuse_structure(&text);
        RuleFile {
            name: name.into(),
            text: Arc::new(text),
            nodes: Arc::default(),
            refused,
            merged: None,
        }
    }

    fn nodes(&self) -> &HashMap<String, Range<usize>> {
        self.nodes.get_or_init(|| {
            if self.refused.is_none() {
                locate_nodes(&self.text)
            } else {
                HashMap::new()
            }
        })
    }

    /// The files read as one into `tree` (see [`super::overlay`]). Its problems are shown in the
    /// file each node came from; the first file stands for the rest.
    pub fn merged(files: Vec<RuleFile>, tree: Tree) -> RuleFile {
        let mut first = files[0].clone();
        first.merged = Some(Arc::new(Merged { files, tree }));
        first
    }

    /// The file and path of a merged file's node (`drugs[140].class` may be `drugs[3].class` of
    /// the second file).
    fn origin(&self, path: &str) -> Option<(&RuleFile, String)> {
        let merged = self.merged.as_ref()?;
        let origin = merged.tree.origin(path);
        Some((&merged.files[origin.file], origin.path.clone()))
    }

    /// Each file the node at `path` has parts from (an entry and the later files that extend
    /// it), with the line it starts on there.
    pub fn places(&self, path: &str) -> Vec<(&str, usize)> {
        let line = |file: &RuleFile, local: &str| {
            file.locate(local)
                .map_or(1, |r| file.line_column(r.start).0)
        };
        match &self.merged {
            Some(merged) => merged
                .tree
                .origins_under(path)
                .into_iter()
                .map(|o| {
                    let file = &merged.files[o.file];
                    (file.name.as_str(), line(file, &o.path))
                })
                .collect(),
            None => vec![(self.name.as_str(), line(self, path))],
        }
    }

    /// The name of the file the node at `path` came from, and its path there: this file's,
    /// unless it was read with others.
    pub fn place(&self, path: &str) -> (&str, String) {
        match self.origin(path) {
            Some((file, local)) => (&file.name, local),
            None => (&self.name, path.to_string()),
        }
    }

    pub fn read(path: &Path) -> Result<RuleFile, RuleError> {
        let name = path.display().to_string();
        let fail = |message: String| RuleError {
            file: name.clone(),
            source_code: None,
            at: None,
            message,
            help: None,
        };
        let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        if meta.len() as usize > MAX_RULE_FILE_BYTES {
            return Err(fail(format!(
                "rule file is {} bytes, over the {MAX_RULE_FILE_BYTES}-byte limit",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
        Ok(RuleFile::new(name, text))
    }

    /// Deserializes the whole file, with a diagnostic at the place serde stopped.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, RuleError> {
        if let Some((at, message, help)) = &self.refused {
            return Err(self.error_at(Some(at.clone()), message.clone(), Some(help.clone())));
        }
        serde_yaml::from_str(&self.text).map_err(|e| {
            let at = e.location().map(|l| {
                let start = l.index().min(self.text.len());
                start..self.word_end(start)
            });
            let message = without_position(e.to_string());
            self.error_at(at, message.clone(), yaml_help(&message))
        })
    }

    /// A diagnostic at the node found at `path` (`drugs[3].brands[1]`), or at its nearest
    /// recorded parent.
    pub fn error(&self, path: &str, message: impl Into<String>, help: Option<String>) -> RuleError {
        if let Some((file, local)) = self.origin(path) {
            return file.error(&local, message, help);
        }
        self.error_at(self.locate(path), message.into(), help)
    }

    /// A `what` id at `path` that the file's list `list` does not declare, with the ids it does.
    pub fn undeclared<'a>(
        &self,
        path: &str,
        (what, list): (&str, &str),
        id: &str,
        declared: impl Iterator<Item = &'a str>,
    ) -> RuleError {
        self.error(
            path,
            format!("no {what} `{id}` in `{list}`"),
            Some(format!(
                "add it to `{list}`, or use one of: {}",
                declared.collect::<Vec<_>>().join(", ")
            )),
        )
    }

    /// The node path (`drugs[12]`) of the entry of the top-level list `list` whose `key` is
    /// `id`: where an entry's own problems are shown.
    pub fn entry(&self, list: &str, key: &str, id: &str) -> Option<String> {
        if let Some(merged) = &self.merged {
            return merged.tree.entry(list, key, id);
        }
        let suffix = format!(".{key}");
        self.nodes().iter().find_map(|(path, range)| {
            let index = path.strip_prefix(list)?.strip_suffix(suffix.as_str())?;
            let digits = index.strip_prefix('[')?.strip_suffix(']')?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value = &self.text[range.start..];
            let value = value.strip_prefix(['\'', '"']).unwrap_or(value);
            let after = value.strip_prefix(id)?;
            after
                .chars()
                .next()
                .is_none_or(|c| matches!(c, '\'' | '"' | '\n' | '\r' | ' ' | '#' | ',' | '}'))
                .then(|| format!("{list}{index}"))
        })
    }

    /// A diagnostic at `words` inside the node at `path` (the misspelled field of a
    /// condition), or at the node when they are not found in it.
    pub fn error_at_words(
        &self,
        path: &str,
        words: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) -> RuleError {
        if let Some((file, local)) = self.origin(path) {
            return file.error_at_words(&local, words, message, help);
        }
        let node = self.locate(path);
        let within = node.clone().and_then(|r| {
            let end = self.text[r.start..]
                .find("\n  - ")
                .map_or(self.text.len(), |e| r.start + e);
            let at = self.text[r.start..end].find(words)? + r.start;
            (!words.is_empty()).then_some(at..at + words.len())
        });
        self.error_at(within.or(node), message.into(), help)
    }

    /// Where the node at `path` stands.
    pub fn locate(&self, path: &str) -> Option<Range<usize>> {
        let mut p = path;
        loop {
            if let Some(r) = self.nodes().get(p) {
                return Some(r.clone());
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
        }
    }

    fn error_at(
        &self,
        at: Option<Range<usize>>,
        message: String,
        help: Option<String>,
    ) -> RuleError {
        RuleError {
            file: self.name.clone(),
            source_code: Some(NamedSource::new(self.name.clone(), self.text.clone())),
            at: at.map(|r| SourceSpan::new(r.start.into(), r.end - r.start)),
            message,
            help,
        }
    }

    fn word_end(&self, start: usize) -> usize {
        let rest = &self.text[start..];
        start
            + rest
                .find(['\n', ':', ','])
                .unwrap_or(rest.len())
                .max(1)
                .min(rest.len())
    }

    /// 1-based line and column of a byte offset, for messages and tests.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line, column)
    }
}

/// A serde_yaml message without the position it ends with: the diagnostic shows it.
pub(super) fn without_position(message: String) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

/// What to do about a problem serde found, by its message.
pub(super) fn yaml_help(m: &str) -> Option<String> {
    if m.contains("unknown field") {
        Some(
            "remove the key or correct its spelling; `imrlint schema` lists every allowed key"
                .into(),
        )
    } else if m.contains("missing field") {
        Some("add the missing key".into())
    } else if m.contains("invalid type") {
        Some("check the value's type against `imrlint schema`".into())
    } else {
        None
    }
}

/// A rule-file problem, shown by miette with the file, line and column.
#[derive(Debug, Clone)]
pub struct RuleError {
    pub file: String,
    pub source_code: Option<NamedSource<Arc<String>>>,
    pub at: Option<SourceSpan>,
    pub message: String,
    pub help: Option<String>,
}

impl RuleError {
    /// 1-based line and column of the error, if it points into the file.
    pub fn line_column(&self) -> Option<(usize, usize)> {
        let at = self.at?;
        let text = self.source_code.as_ref()?.inner();
        let before = &text[..at.offset().min(text.len())];
        Some((
            before.matches('\n').count() + 1,
            before.rsplit('\n').next().unwrap_or("").chars().count() + 1,
        ))
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line_column() {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for RuleError {}

impl Diagnostic for RuleError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("imrlint::rules"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source_code
            .as_ref()
            .map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let at = self.at?;
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(Some("here".to_string()), at),
        )))
    }
}

/// All the problems found in a rule set; loading reports every one, not just the first.
#[derive(Debug, Clone, Default)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} problem(s) in the rule files", self.0.len())
    }
}

impl std::error::Error for RuleErrors {}

impl Diagnostic for RuleErrors {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        Some(Box::new(self.0.iter().map(|e| e as &dyn Diagnostic)))
    }
}

/// Records the byte range of the value of every node, keyed by its path.
fn locate_nodes(text: &str) -> HashMap<String, Range<usize>> {
    struct Recorder<'t> {
        text: &'t str,
        /// Byte offset of each char index seen so far, filled lazily.
        char_to_byte: Vec<usize>,
        stack: Vec<Frame>,
        nodes: HashMap<String, Range<usize>>,
        depth: usize,
    }
    enum Frame {
        Map { path: String, key: Option<String> },
        Seq { path: String, next: usize },
    }
    impl Recorder<'_> {
        fn byte(&mut self, m: &Marker) -> usize {
            let want = m.index();
            while self.char_to_byte.len() <= want {
                let last = *self.char_to_byte.last().unwrap_or(&0);
                let next = if self.char_to_byte.is_empty() {
                    0
                } else {
                    last + self.text[last..].chars().next().map_or(1, char::len_utf8)
                };
                if next > self.text.len() {
                    return self.text.len();
                }
                self.char_to_byte.push(next);
            }
            self.char_to_byte[want].min(self.text.len())
        }

        /// The path of the node that starts now, advancing the parent's position.
        fn next_path(&mut self) -> Option<String> {
            match self.stack.last_mut() {
                None => Some(String::new()),
                Some(Frame::Seq { path, next }) => {
                    let p = format!("{path}[{next}]");
                    *next += 1;
                    Some(p)
                }
                Some(Frame::Map { path, key }) => key.take().map(|k| {
                    if path.is_empty() {
                        k
                    } else {
                        format!("{path}.{k}")
                    }
                }),
            }
        }

        fn scalar_value(&mut self, value: &str, start: usize) {
            let end = (start + value.len().max(1)).min(self.text.len());
            match self.next_path() {
                Some(p) => {
                    self.nodes.insert(p, start..end);
                }
                None => {
                    // A mapping key: remember it for the value that follows.
                    if let Some(Frame::Map { path, key }) = self.stack.last_mut() {
                        let full = if path.is_empty() {
                            value.to_string()
                        } else {
                            format!("{path}.{value}")
                        };
                        self.nodes.insert(format!("{full}@key"), start..end);
                        *key = Some(value.to_string());
                    }
                }
            }
        }
    }
    impl MarkedEventReceiver for Recorder<'_> {
        fn on_event(&mut self, ev: Event, mark: Marker) {
            let start = self.byte(&mark);
            match ev {
                Event::Scalar(value, ..) => self.scalar_value(&value, start),
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    self.depth += 1;
                    let path = self.next_path().unwrap_or_default();
                    self.nodes.entry(path.clone()).or_insert(start..start + 1);
                    self.stack.push(if matches!(ev, Event::SequenceStart(..)) {
                        Frame::Seq { path, next: 0 }
                    } else {
                        Frame::Map { path, key: None }
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    self.depth = self.depth.saturating_sub(1);
                    self.stack.pop();
                }
                Event::Alias(_) => {
                    self.next_path();
                }
                _ => {}
            }
        }
    }
    let mut recorder = Recorder {
        text,
        char_to_byte: Vec::new(),
        stack: Vec::new(),
        nodes: HashMap::new(),
        depth: 0,
    };
    let mut parser = Parser::new_from_str(text);
    // A file the event parser cannot read still gets serde's own diagnostic; node positions
    // are only a refinement.
    let _ = parser.load(&mut recorder, false);
    recorder.nodes
}

/// What makes a file unsafe to read further, and where: YAML aliases (`*name`) that expand the
/// document past [`MAX_YAML_NODES`] nodes (a few lines can stand for billions), or nesting deeper
/// than [`MAX_YAML_DEPTH`]. Read from the event stream, which the parser produces without
/// recursing, after a byte scan for runs of brackets, which the scanner handles slowly; syntax
/// errors are left to serde's diagnostic.
fn refuse_structure(text: &str) -> Option<(Range<usize>, String, String)> {
    let too_deep = |start: usize| {
        (
            start..(start + 1).min(text.len()),
            format!("the YAML nests more than {MAX_YAML_DEPTH} levels deep"),
            "rule files need a few levels; flatten the structure".to_string(),
        )
    };
    if let Some(at) = deep_brackets(text) {
        return Some(too_deep(at));
    }
    let mut parser = Parser::new_from_str(text);
    let byte = |mark: &Marker| {
        text.char_indices()
            .nth(mark.index())
            .map_or(text.len(), |(i, _)| i)
    };
    // Nodes the document stands for with its aliases expanded; the size of each anchored node.
    let mut total = 0usize;
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    let mut open: Vec<(usize, usize)> = Vec::new();
    loop {
        let (event, mark) = match parser.next_token() {
            Ok((Event::StreamEnd, _)) | Err(_) => return None,
            Ok(e) => e,
        };
        match event {
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                total += 1;
                open.push((anchor, total));
                if open.len() > MAX_YAML_DEPTH {
                    return Some(too_deep(byte(&mark)));
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some((anchor, start)) = open.pop()
                    && anchor > 0
                {
                    sizes.insert(anchor, total - start + 1);
                }
            }
            Event::Scalar(_, _, anchor, _) => {
                total += 1;
                if anchor > 0 {
                    sizes.insert(anchor, 1);
                }
            }
            Event::Alias(anchor) => total += sizes.get(&anchor).copied().unwrap_or(1),
            _ => {}
        }
        if total > MAX_YAML_NODES {
            let start = byte(&mark);
            return Some((
                start..(start + 1).min(text.len()),
                format!(
                    "with its aliases (`*name`) expanded, the YAML has more than {MAX_YAML_NODES} nodes"
                ),
                "write the values out instead of repeating aliases of aliases".to_string(),
            ));
        }
    }
}

/// Where flow brackets (`[`, `{`) outside quotes first nest deeper than [`MAX_YAML_DEPTH`].
fn deep_brackets(text: &str) -> Option<usize> {
    let (mut depth, mut quote) = (0usize, None);
    for (i, b) in text.bytes().enumerate() {
        match (quote, b) {
            (Some(q), _) if b == q => quote = None,
            (Some(_), _) => {}
            (None, b'\'' | b'"') => quote = Some(b),
            (None, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_YAML_DEPTH {
                    return Some(i);
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused_at_their_place() {
        assert!(
            RuleFile::new("t.yaml", "a: &x [1, 2]\nb: *x\n")
                .parse::<serde_yaml::Value>()
                .is_ok()
        );
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..=9 {
            bomb.push_str(&format!(
                "a{i}: &a{i} [{}]\n",
                vec![format!("*a{}", i - 1); 10].join(", ")
            ));
        }
        let e = RuleFile::new("t.yaml", bomb)
            .parse::<serde_yaml::Value>()
            .unwrap_err();
        assert!(e.message.contains("aliases"), "{}", e.message);
        assert_eq!(e.line_column().map(|(line, _)| line), Some(6));
        let deep = format!("a: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = RuleFile::new("t.yaml", deep)
            .parse::<serde_yaml::Value>()
            .unwrap_err();
        assert!(e.message.contains("levels deep"), "{}", e.message);
        assert!(
            RuleFile::new("t.yaml", "a: [[[1]]]\n")
                .parse::<serde_yaml::Value>()
                .is_ok()
        );
    }

    #[test]
    fn locates_nested_nodes() {
        let f = RuleFile::new(
            "t.yaml",
            "drugs:\n  - name: clonazepam\n    brands: [Klonopin, Other]\n  - name: x\n",
        );
        let at = f.locate("drugs[0].brands[1]").unwrap();
        assert_eq!(&f.text[at.clone()], "Other");
        assert_eq!(f.line_column(at.start), (3, 24));
        let at = f.locate("drugs[1].name").unwrap();
        assert_eq!(&f.text[at], "x");
        let key = f.locate("drugs[1].name@key").unwrap();
        assert_eq!(&f.text[key], "name");
    }

    #[test]
    fn falls_back_to_the_parent() {
        let f = RuleFile::new("t.yaml", "drugs:\n  - name: a\n");
        assert!(f.locate("drugs[0].brands[4]").is_some());
    }

    #[test]
    fn serde_errors_carry_a_location() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct T {
            a: u32,
        }
        let f = RuleFile::new("t.yaml", "a: 1\nb: 2\n");
        let e = f.parse::<T>().unwrap_err();
        assert_eq!(e.line_column(), Some((2, 1)));
        assert!(e.message.contains("unknown field `b`"));
    }
}
