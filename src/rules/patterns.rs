//! Many regexes from the rule files, compiled once and run together.
//!
//! A `RegexSet` pass tells which of a set's patterns occur in a text at all; only those are then
//! run to find where. Most patterns never occur in a given letter, so a letter costs one pass per
//! set plus a little for the few that do.

use std::ops::Range;
use std::sync::OnceLock;

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::source::{RuleError, RuleFile};

/// Compiled size limit for one pattern: generous for real phrase lists, small enough that a
/// 100,000-alternative regex is refused with a diagnostic instead of eating memory.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// One pattern as written in a rule file, with who owns it and where it stands.
pub struct PatternSource<'a> {
    pub owner: usize,
    pub pattern: &'a str,
    pub path: String,
}

/// A set of case-insensitive, word-bounded patterns, each owned by an entry of a rule list.
///
/// Loading checks every pattern's syntax and builds the set; a pattern's own regex is compiled the
/// first time the set says it occurs, so patterns that never occur in a run cost nothing more.
#[derive(Debug, Clone)]
pub struct PatternSet {
    set: RegexSet,
    prepared: Vec<String>,
    regexes: Vec<OnceLock<Regex>>,
    owners: Vec<usize>,
}

/// A match of one pattern: which entry owns it, and where (folded byte offsets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternMatch {
    pub owner: usize,
    pub range: Range<usize>,
}

const PATTERN_HELP: &str = "patterns use the Rust regex syntax (no look-around, no back-references); test it with `imrlint rules check`";

impl PatternSet {
    pub fn compile(
        file: &RuleFile,
        sources: Vec<PatternSource>,
    ) -> Result<PatternSet, Vec<RuleError>> {
        let mut errors = Vec::new();
        let mut prepared = Vec::new();
        let mut owners = Vec::new();
        for s in &sources {
            match prepare(s.pattern) {
                Ok(p) => {
                    prepared.push(p);
                    owners.push(s.owner);
                }
                Err(message) => errors.push(file.error(
                    &s.path,
                    format!("invalid pattern: {message}"),
                    Some(PATTERN_HELP.into()),
                )),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let set = RegexSetBuilder::new(&prepared)
            .case_insensitive(true)
            .size_limit(PATTERN_SIZE_LIMIT * 16)
            .build()
            .map_err(|e| {
                // Only on failure: find the patterns that are too large on their own.
                let culprits: Vec<RuleError> = sources
                    .iter()
                    .filter_map(|s| {
                        compile_one(s.pattern).err().map(|m| {
                            file.error(
                                &s.path,
                                format!("invalid pattern: {m}"),
                                Some(PATTERN_HELP.into()),
                            )
                        })
                    })
                    .collect();
                if culprits.is_empty() {
                    vec![file.error(
                        "",
                        format!("the patterns of this file together are too large: {e}"),
                        Some("split long alternations into separate, shorter patterns".into()),
                    )]
                } else {
                    culprits
                }
            })?;
        Ok(PatternSet {
            set,
            regexes: prepared.iter().map(|_| OnceLock::new()).collect(),
            prepared,
            owners,
        })
    }

    fn regex(&self, i: usize) -> &Regex {
        self.regexes[i].get_or_init(|| {
            RegexBuilder::new(&self.prepared[i])
                .case_insensitive(true)
                .build()
                .expect("the pattern compiled as part of its set")
        })
    }

    /// Every word-bounded match in `text[range]`, sorted by position; offsets are into `text`.
    pub fn find_all(&self, text: &str, range: Range<usize>) -> Vec<PatternMatch> {
        let hay = &text[range.clone()];
        let mut out = Vec::new();
        if self.prepared.is_empty() {
            return out;
        }
        for i in self.set.matches(hay).iter() {
            for m in find_words(self.regex(i), hay) {
                out.push(PatternMatch {
                    owner: self.owners[i],
                    range: range.start + m.start..range.start + m.end,
                });
            }
        }
        out.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end), m.owner));
        out
    }

    /// Like [`find_all`](Self::find_all), keeping only the longest of overlapping matches
    /// (the earliest when they start together).
    pub fn find_longest(&self, text: &str, range: Range<usize>) -> Vec<PatternMatch> {
        longest(self.find_all(text, range), |_, _| true)
    }

    /// Like [`find_longest`](Self::find_longest), but matches of different owners may overlap
    /// (one phrase can mention two concepts).
    pub fn find_longest_per_owner(&self, text: &str, range: Range<usize>) -> Vec<PatternMatch> {
        longest(self.find_all(text, range), |a, b| a.owner == b.owner)
    }
}

/// The longest matches, dropping any that overlap a longer one it `competes` with.
pub fn longest(
    mut all: Vec<PatternMatch>,
    competes: impl Fn(&PatternMatch, &PatternMatch) -> bool,
) -> Vec<PatternMatch> {
    all.sort_by_key(|m| {
        (
            std::cmp::Reverse(m.range.end - m.range.start),
            m.range.start,
        )
    });
    let mut kept: Vec<PatternMatch> = Vec::new();
    for m in all {
        let overlapped = kept
            .iter()
            .any(|k| competes(k, &m) && k.range.start < m.range.end && m.range.start < k.range.end);
        if !overlapped {
            kept.push(m);
        }
    }
    kept.sort_by_key(|m| (m.range.start, m.owner));
    kept
}

/// A rule pattern made ready to compile: ASCII classes, word boundaries. Checks its syntax and
/// refuses a pattern that matches the empty string (it would match everywhere).
fn prepare(pattern: &str) -> Result<String, String> {
    if pattern.trim().is_empty() {
        return Err("empty pattern (it would match everywhere)".into());
    }
    let ascii = ascii_classes(pattern);
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(&ascii)
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string()
        })?;
    if hir.properties().minimum_len() == Some(0) {
        return Err("the pattern matches the empty string (it would match everywhere)".into());
    }
    Ok(word_bounded(&ascii))
}

/// Compiles one rule pattern now: case-insensitive, with the size limit.
pub fn compile_one(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(&prepare(pattern)?)
        .case_insensitive(true)
        .size_limit(PATTERN_SIZE_LIMIT)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(limit) => {
                format!("the pattern compiles to more than {limit} bytes")
            }
            other => other
                .to_string()
                .lines()
                .last()
                .unwrap_or("")
                .trim()
                .to_string(),
        })
}

/// The pattern with `\w`, `\d`, `\s` and `\b` made ASCII. Letters are English prose, and the
/// Unicode forms of these classes make a set of a few hundred patterns compile to many megabytes.
fn ascii_classes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(n) = chars.next() else {
                    out.push(c);
                    break;
                };
                let ascii = match (n, in_class) {
                    ('w', false) => "[0-9A-Za-z_]",
                    ('w', true) => "0-9A-Za-z_",
                    ('d', false) => "[0-9]",
                    ('d', true) => "0-9",
                    ('s', false) => "[\\t-\\r ]",
                    ('s', true) => "\\t-\\r ",
                    ('b', false) => "(?-u:\\b)",
                    _ => {
                        out.push(c);
                        out.push(n);
                        continue;
                    }
                };
                out.push_str(ascii);
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal.
                if chars.peek() == Some(&'^') {
                    out.push(chars.next().unwrap_or('^'));
                }
                if chars.peek() == Some(&']') {
                    out.push(chars.next().unwrap_or(']'));
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// The pattern with `\b` at each end of each top-level alternative that begins or ends with a
/// word character. Rust regexes take the first alternative that matches, so without the anchors
/// `tests?|testing` would match `test` in `testing`, fail the word check and never try `testing`.
/// Ends that are not word characters (`#90`) are left to the check after matching.
fn word_bounded(pattern: &str) -> String {
    let mut parts = Vec::new();
    let (mut depth, mut in_class, mut escaped, mut start) = (0i32, false, false, 0);
    for (i, c) in pattern.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth -= 1,
            '|' if !in_class && depth == 0 => {
                parts.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&pattern[start..]);
    parts
        .iter()
        .map(|p| {
            let head = p
                .trim_start_matches(['(', '^'])
                .trim_start_matches("?:")
                .trim_start_matches("?i)")
                .trim_start_matches(['(', ':', '?']);
            let tail = p.trim_end_matches([')', '?', '*', '+']);
            let word_start = head.starts_with(|c: char| c.is_alphanumeric() || c == '[')
                || head.starts_with("\\d")
                || head.starts_with("\\w");
            let word_end = tail.ends_with(|c: char| c.is_alphanumeric() || c == ']')
                || tail.ends_with("\\d")
                || tail.ends_with("\\w");
            format!(
                "{}(?:{p}){}",
                if word_start { r"(?-u:\b)" } else { "" },
                if word_end { r"(?-u:\b)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// Matches of `re` that stand as whole words: not preceded or followed by a letter or digit when
/// the match itself begins or ends with one. A match that fails is retried one character later,
/// so a word-bounded match overlapping a rejected one is still found.
pub fn find_words(re: &Regex, hay: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at <= hay.len() {
        let Some(m) = re.find_at(hay, at) else { break };
        if m.is_empty() {
            at = next_char(hay, m.end());
            continue;
        }
        if is_word_bounded(hay, m.range()) {
            out.push(m.range());
            at = m.end();
        } else {
            at = next_char(hay, m.start());
        }
    }
    out
}

fn next_char(s: &str, at: usize) -> usize {
    at + s[at..].chars().next().map_or(1, char::len_utf8)
}

pub fn is_word_bounded(hay: &str, r: Range<usize>) -> bool {
    let word = |c: char| c.is_alphanumeric();
    let first = hay[r.clone()].chars().next();
    let last = hay[r.clone()].chars().next_back();
    let before = hay[..r.start].chars().next_back();
    let after = hay[r.end..].chars().next();
    let cuts_before = first.is_some_and(word) && before.is_some_and(word);
    let cuts_after = last.is_some_and(word) && after.is_some_and(word);
    !(cuts_before || cuts_after)
}

/// The patterns of a list of entries, each owned by its entry's index; `key` and `field` name
/// them in diagnostics (`concepts[3].patterns[1]`).
pub fn named_patterns<'a>(
    key: &'a str,
    field: &'a str,
    lists: impl Iterator<Item = &'a Vec<String>> + 'a,
) -> Vec<PatternSource<'a>> {
    lists
        .enumerate()
        .flat_map(move |(i, ps)| {
            ps.iter().enumerate().map(move |(j, p)| PatternSource {
                owner: i,
                pattern: p,
                path: format!("{key}[{i}].{field}[{j}]"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(patterns: &[&str]) -> PatternSet {
        let file = RuleFile::new("t.yaml", "");
        PatternSet::compile(
            &file,
            patterns
                .iter()
                .enumerate()
                .map(|(i, p)| PatternSource {
                    owner: i,
                    pattern: p,
                    path: String::new(),
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn matches_whole_words_only() {
        let s = set(&["spasm", "#\\d+"]);
        let text = "spasms and spasm, #90";
        let found: Vec<&str> = s
            .find_all(text, 0..text.len())
            .iter()
            .map(|m| &text[m.range.clone()])
            .collect();
        assert_eq!(found, vec!["spasm", "#90"]);
    }

    #[test]
    fn retries_after_a_rejected_match() {
        // `b-c` cuts the word `ab`; the overlapping `c d` after the hyphen is a whole word.
        let re = Regex::new("(?i)b-c|c d").unwrap();
        assert_eq!(find_words(&re, "ab-c d"), vec![3..6]);
    }

    #[test]
    fn a_longer_alternative_is_tried_when_a_shorter_one_cuts_a_word() {
        let s = set(&["tests?|testing", "#\\d+|x\\d+"]);
        let text = "urine drug testing #6";
        let found: Vec<&str> = s
            .find_all(text, 0..text.len())
            .iter()
            .map(|m| &text[m.range.clone()])
            .collect();
        assert_eq!(found, vec!["testing", "#6"]);
        assert_eq!(
            word_bounded("tests?|(?:#)?x"),
            r"(?-u:\b)(?:tests?)(?-u:\b)|(?:(?:#)?x)(?-u:\b)"
        );
    }

    #[test]
    fn classes_are_ascii() {
        assert_eq!(
            ascii_classes(r"(?:\w+ ){0,2}[\w-]\d\.\b"),
            r"(?:[0-9A-Za-z_]+ ){0,2}[0-9A-Za-z_-][0-9]\.(?-u:\b)"
        );
    }

    #[test]
    fn refuses_patterns_that_match_everything() {
        assert!(compile_one("a*").is_err());
        assert!(compile_one("  ").is_err());
        assert!(compile_one("(unclosed").is_err());
    }

    #[test]
    fn refuses_huge_patterns() {
        let huge = (0..100_000)
            .map(|i| format!("w{i}"))
            .collect::<Vec<_>>()
            .join("|");
        assert!(compile_one(&huge).unwrap_err().contains("more than"));
    }
}
