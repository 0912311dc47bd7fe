//! Many regexes from the rule files, compiled once and run together.
//!
//! Nearly every rule pattern begins with one of a few literal words (`no documentation`,
//! `lumbar`). Those starting literals, of all patterns of a set together, go into an
//! Aho-Corasick automaton; walking it from each word start of a text gives every place where
//! some pattern could begin, and only there is that pattern's regex run, anchored. A letter
//! therefore costs one linear scan per set, whatever the number of patterns, and the regexes run
//! a handful of times.
//!
//! Both automata run on the text in ASCII lower case, compiled from patterns whose upper-case
//! letters are dropped: a case-insensitive `a` is then one byte, not two, and the lazy DFA's
//! transition table, whose width is the number of byte classes, is half as wide. The few
//! patterns that cannot run this way (no finite set of starting literals, as `\w+ pain`, or
//! case-sensitive upper case, as `(?-i:MED)`) are searched on their own.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex, OnceLock};

use aho_corasick::automaton::Automaton;
use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, MatchKind};
use regex::{Regex, RegexBuilder};
use regex_automata::nfa::thompson;
use regex_automata::{Input, PatternID, hybrid, meta, util::syntax};
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Repetition,
};

use super::source::{RuleError, RuleFile};

/// Compiled size limit for one pattern: generous for real phrase lists, small enough that a
/// 100,000-alternative regex is refused with a diagnostic instead of eating memory.
const PATTERN_SIZE_LIMIT: usize = 1 << 20;

/// The least memory the transition cache of a set's lazy DFA may take, per thread; full, it is
/// cleared and refilled. A cache smaller than the states real letters need is cleared over and
/// over (rebuilding states took a quarter of the run at 512 KB); a larger one grows with the
/// states a set visits (8 MB for every set took 76 MB a run: bench/RESULTS.md).
const DFA_CACHE: usize = 1536 * 1024;

/// More for a set whose automaton is larger: at 1.5 MB the concepts (23,000 NFA states) cleared
/// their cache 190 times in 1,000 letters; at this much a state they use 4.5 MB and never do.
const DFA_CACHE_PER_NFA_STATE: usize = 320;

/// Starting literals are cut to this many bytes. Whole phrases would make the literal automaton
/// as large as the rule text (87,000 states for the concepts); twelve bytes pick out a word or
/// two, and the anchored DFA checks the rest. With eight the DFA tried a quarter more places,
/// to reject them (`was not` for `was not documented`): 970,000 against 771,000 in 1,000 letters.
const STARTING_LITERAL_LEN: usize = 12;

/// One pattern as written in a rule file, with who owns it and where it stands.
pub struct PatternSource<'a> {
    pub owner: usize,
    pub pattern: &'a str,
    pub path: String,
}

/// A set of case-insensitive, word-bounded patterns, each owned by an entry of a rule list.
#[derive(Debug, Clone)]
pub struct PatternSet {
    owners: Vec<usize>,
    /// The patterns found through their starting literals.
    filtered: Option<Arc<Filtered>>,
    /// The patterns searched on their own, each everywhere.
    unfiltered: Vec<u32>,
    /// Every pattern as one regex, for the patterns searched on their own, for the rare text the
    /// lazy DFA cannot run on (a Unicode `\B` meeting non-ASCII text), and for text that folds
    /// to ASCII (see [`folds_to_ascii`]); compiled when first needed, except for the first.
    solo: Vec<OnceLock<meta::Regex>>,
    prepared: Vec<String>,
}

/// The patterns of a set that have starting literals, as Aho-Corasick automata over those
/// literals and one lazy DFA with a start state per pattern, all in ASCII lower case.
#[derive(Debug)]
struct Filtered {
    /// The starting literals that begin with an ASCII letter or digit, walked from each word
    /// start. A match that begins inside a word is never kept ([`is_word_bounded`]), so only word
    /// starts can begin one, and a walk from there stays near the automaton's root, where a scan
    /// of every byte wandered over all of it (12% of the run went to such scans).
    word_starts: Option<Starts<aho_corasick::nfa::contiguous::NFA>>,
    /// The other starting literals (`#`, `(`), found wherever they stand.
    elsewhere: Option<Starts<AhoCorasick>>,
    dfa: hybrid::dfa::DFA,
    /// For each DFA pattern, its index in the set.
    patterns: Vec<u32>,
    /// Transition caches, one per thread running the DFA.
    caches: Mutex<Vec<hybrid::dfa::Cache>>,
}

/// Starting literals in an automaton, each with the DFA patterns that may begin with it.
#[derive(Debug)]
struct Starts<A> {
    automaton: A,
    patterns: Vec<Vec<u32>>,
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
        let invalid = |s: &PatternSource, message: String| {
            file.error(
                &s.path,
                format!("invalid pattern: {message}"),
                Some(PATTERN_HELP.into()),
            )
        };
        let too_large = |e: String| {
            vec![file.error(
                "",
                format!("the patterns of this file together are too large: {e}"),
                Some("split long alternations into separate, shorter patterns".into()),
            )]
        };
        let mut errors = Vec::new();
        let mut prepared = Vec::new();
        // Each pattern for the text in lower case, with its starting literals, if it has them.
        let mut starts = Vec::new();
        for s in &sources {
            match prepare(s.pattern) {
                Ok((p, hir)) => {
                    prepared.push(p);
                    starts.push(
                        lower_case_only(&hir).and_then(|hir| {
                            starting_literals(&hir).map(|literals| (hir, literals))
                        }),
                    );
                }
                Err(message) => errors.push(invalid(s, message)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let solo: Vec<OnceLock<meta::Regex>> = prepared.iter().map(|_| OnceLock::new()).collect();
        let mut lowered = Vec::new();
        let mut unfiltered = Vec::new();
        for (index, ((s, p), starts)) in sources.iter().zip(&prepared).zip(starts).enumerate() {
            match starts {
                Some((hir, starts)) => lowered.push((index as u32, hir, starts)),
                None => {
                    let re = build_meta(std::slice::from_ref(p), PATTERN_SIZE_LIMIT)
                        .map_err(|m| vec![invalid(s, m)])?;
                    // Set once, here: the lock is new.
                    let _ = solo[index].set(re);
                    unfiltered.push(index as u32);
                }
            }
        }
        let filtered = if lowered.is_empty() {
            None
        } else {
            Some(Filtered::build(&lowered).map(Arc::new).map_err(|e| {
                // Only on failure: find the patterns that are too large on their own.
                let culprits: Vec<RuleError> = sources
                    .iter()
                    .zip(&prepared)
                    .filter_map(|(s, p)| {
                        build_meta(std::slice::from_ref(p), PATTERN_SIZE_LIMIT)
                            .err()
                            .map(|m| invalid(s, m))
                    })
                    .collect();
                if culprits.is_empty() {
                    too_large(e)
                } else {
                    culprits
                }
            })?)
        };
        Ok(PatternSet {
            owners: sources.iter().map(|s| s.owner).collect(),
            filtered,
            unfiltered,
            solo,
            prepared,
        })
    }

    /// Every word-bounded match in `text[range]`, sorted by position; offsets are into `text`.
    pub fn find_all(&self, text: &str, range: Range<usize>) -> Vec<PatternMatch> {
        let hay = &text[range.clone()];
        let mut out = Vec::new();
        let mut push = |pattern: u32, words: Vec<Range<usize>>| {
            out.extend(words.into_iter().map(|m| PatternMatch {
                owner: self.owners[pattern as usize],
                range: range.start + m.start..range.start + m.end,
            }));
        };
        if folds_to_ascii(hay) {
            // Rare enough to search every pattern on its own.
            for pattern in 0..self.owners.len() as u32 {
                push(pattern, self.search_alone(pattern, hay));
            }
        } else {
            if let Some(filtered) = &self.filtered {
                let lower = hay.to_ascii_lowercase();
                let candidates = filtered.candidates(&lower);
                // One cache for the whole text: taken and given back once, not per pattern.
                let mut cache = filtered.take_cache();
                for group in candidates.chunk_by(|a, b| a.0 == b.0) {
                    let pattern = group[0].0;
                    let found = filtered.search_at(&mut cache, group, &lower, |input| {
                        self.solo(filtered.patterns[pattern as usize])
                            .search(&input.clone().anchored(regex_automata::Anchored::Yes))
                            .map(|m| m.end())
                    });
                    push(filtered.patterns[pattern as usize], found);
                }
                filtered.give_back(cache);
            }
            for &pattern in &self.unfiltered {
                push(pattern, self.search_alone(pattern, hay));
            }
        }
        out.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end), m.owner));
        out
    }

    /// The whole-word matches of one pattern, searched everywhere in `hay` on its own.
    fn search_alone(&self, pattern: u32, hay: &str) -> Vec<Range<usize>> {
        let re = self.solo(pattern);
        words_from(hay, |at| {
            re.search(&Input::new(hay).range(at..)).map(|m| m.range())
        })
    }

    fn solo(&self, pattern: u32) -> &meta::Regex {
        self.solo[pattern as usize].get_or_init(|| {
            build_meta(
                std::slice::from_ref(&self.prepared[pattern as usize]),
                usize::MAX,
            )
            .expect("the pattern compiled as part of its set")
        })
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

/// A rule pattern made ready to compile (ASCII classes, word boundaries), with its syntax as the
/// regex parser reads it, case-insensitive. Refuses a pattern that does not parse or that
/// matches the empty string (it would match everywhere).
fn prepare(pattern: &str) -> Result<(String, Hir), String> {
    if pattern.trim().is_empty() {
        return Err("empty pattern (it would match everywhere)".into());
    }
    let prepared = word_bounded(&ascii_classes(pattern));
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .build()
        .parse(&prepared)
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
    Ok((prepared, hir))
}

/// Compiles one rule pattern now: case-insensitive, whole words, with the size limit.
pub fn compile_one(pattern: &str) -> Result<Regex, String> {
    compile_as_written(&prepare(pattern)?.0)
}

/// Compiles a pattern exactly as written (its author marks word boundaries): case-insensitive,
/// with the size limit and ASCII `\w`, `\d`, `\s` and `\b` as in the rule patterns. For
/// patterns whose own ends matter, such as a list that runs to a full stop.
pub fn compile_as_written(pattern: &str) -> Result<Regex, String> {
    build(&ascii_classes(pattern), true)
}

/// Compiles a pattern exactly as written, case and all (`(?i)` in it ignores case), with the size
/// limit: for letter headings, set in capitals, whose words also occur in lower case in prose.
pub fn compile_exact(pattern: &str) -> Result<Regex, String> {
    build(pattern, false)
}

fn build(pattern: &str, case_insensitive: bool) -> Result<Regex, String> {
    if pattern.trim().is_empty() {
        return Err("empty pattern (it would match everywhere)".into());
    }
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
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

/// The matches of several patterns read as one list: at each place the earliest match wins, the
/// first pattern listed where two start together, and reading goes on after it. This is what one
/// alternation of the patterns would find, were their group names allowed to repeat, so that
/// each pattern of a rule file's list can name its groups alike (`n`, `day`). Each match comes
/// with the index of its pattern.
pub fn first_of<'p, 'h>(
    patterns: &'p [Regex],
    hay: &'h str,
) -> impl Iterator<Item = (usize, regex::Captures<'h>)> + use<'p, 'h> {
    // Each pattern's next match from where reading stands, found once and kept until passed;
    // only the match read is asked for its groups, which costs several times a search.
    let mut next: Vec<Option<Option<Range<usize>>>> = (0..patterns.len()).map(|_| None).collect();
    let mut at = 0;
    std::iter::from_fn(move || {
        if at > hay.len() {
            return None;
        }
        let mut best: Option<(usize, usize)> = None;
        for (i, re) in patterns.iter().enumerate() {
            let stale = match &next[i] {
                None => true,
                Some(Some(m)) => m.start < at,
                Some(None) => false,
            };
            if stale {
                next[i] = Some(re.find_at(hay, at).map(|m| m.range()));
            }
            if let Some(Some(m)) = &next[i]
                && best.is_none_or(|(_, s)| m.start < s)
            {
                best = Some((i, m.start));
            }
        }
        let (i, start) = best?;
        next[i] = None;
        let found = patterns[i].captures_at(hay, start)?;
        let end = found.get(0).map_or(start, |m| m.end());
        // An empty match moves on by one character, as the regex crate's own iterators do.
        at = if end > start {
            end
        } else {
            hay[end..]
                .chars()
                .next()
                .map_or(hay.len() + 1, |c| end + c.len_utf8())
        };
        Some((i, found))
    })
}

/// The patterns of the list at `key` of a rule file, each compiled by `compile`: one that does
/// not compile, or lacks a named group the caller reads, is an error at its own place.
pub fn compile_list<S: AsRef<str>>(
    file: &RuleFile,
    key: &str,
    patterns: impl IntoIterator<Item = S>,
    compile: impl Fn(&str) -> Result<Regex, String>,
    groups: &[&str],
    errors: &mut Vec<RuleError>,
) -> Vec<Regex> {
    let mut out = Vec::new();
    for (i, p) in patterns.into_iter().enumerate() {
        let at = format!("{key}[{i}]");
        match compile(p.as_ref()) {
            Ok(re) => match groups
                .iter()
                .find(|g| !re.capture_names().any(|n| n == Some(**g)))
            {
                None => out.push(re),
                Some(g) => errors.push(file.error(
                    &at,
                    format!("the pattern has no group `{g}`"),
                    Some(format!("name it (?P<{g}>...)")),
                )),
            },
            Err(m) => errors.push(file.error(&at, format!("invalid pattern: {m}"), None)),
        }
    }
    out
}

/// Prepared patterns compiled together, within a size limit.
fn build_meta(prepared: &[String], size_limit: usize) -> Result<meta::Regex, String> {
    meta::Regex::builder()
        .syntax(syntax::Config::new().case_insensitive(true))
        .configure(
            meta::Config::new()
                .nfa_size_limit(Some(size_limit))
                // Matches are a few words long; a full DFA costs more to build than it saves.
                .dfa(false)
                // Only where a match is, never its groups: the NFA needs no group capture states.
                .which_captures(thompson::WhichCaptures::Implicit),
        )
        .build_many(prepared)
        .map_err(|e| match e.size_limit() {
            Some(limit) => format!("the pattern compiles to more than {limit} bytes"),
            None => e.to_string(),
        })
}

/// The pattern for text in ASCII lower case: every ASCII upper-case letter dropped, and the
/// Kelvin sign and the long s, which text with them never reaches ([`folds_to_ascii`]). `None`
/// when the pattern matches an upper-case letter that it does not also match in lower case.
fn lower_case_only(hir: &Hir) -> Option<Hir> {
    let subs = |hirs: &[Hir]| hirs.iter().map(lower_case_only).collect::<Option<Vec<_>>>();
    Some(match hir.kind() {
        HirKind::Literal(literal) if literal.0.iter().any(u8::is_ascii_uppercase) => return None,
        HirKind::Empty | HirKind::Literal(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Class(Class::Unicode(class)) => {
            if !lower_case_too(
                class
                    .ranges()
                    .iter()
                    .map(|r| (r.start().into(), r.end().into())),
            ) {
                return None;
            }
            let mut kept = class.clone();
            kept.difference(&ClassUnicode::new([
                ClassUnicodeRange::new('A', 'Z'),
                ClassUnicodeRange::new('\u{17F}', '\u{17F}'),
                ClassUnicodeRange::new('\u{212A}', '\u{212A}'),
            ]));
            match kept.to_byte_class() {
                Some(ascii) => Hir::class(Class::Bytes(ascii)),
                None => ascii_or_any_beyond(&kept),
            }
        }
        HirKind::Class(Class::Bytes(class)) => {
            if !lower_case_too(
                class
                    .ranges()
                    .iter()
                    .map(|r| (r.start().into(), r.end().into())),
            ) {
                return None;
            }
            let mut kept = class.clone();
            kept.difference(&ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]));
            Hir::class(Class::Bytes(kept))
        }
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(lower_case_only(&r.sub)?),
            ..r.clone()
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(lower_case_only(&c.sub)?),
            ..c.clone()
        }),
        HirKind::Concat(hirs) => Hir::concat(subs(hirs)?),
        HirKind::Alternation(hirs) => Hir::alternation(subs(hirs)?),
    })
}

/// A class of characters, some of them beyond ASCII: its ASCII characters, or any character
/// beyond ASCII (a lead byte and its continuation bytes). Letters are English prose, where such
/// a class (`[^.;]`, `[^o\W]`) nearly always stands for any character, and a class of all of
/// Unicode compiles each repetition of it (`{0,160}`) to dozens of UTF-8 states, which made the
/// lazy DFA of a set clear its cache over and over.
fn ascii_or_any_beyond(class: &ClassUnicode) -> Hir {
    let ascii = ClassBytes::new(class.ranges().iter().filter_map(|r| {
        let start = u32::from(r.start());
        (start < 0x80).then(|| {
            let end = u32::from(r.end()).min(0x7F);
            ClassBytesRange::new(start as u8, end as u8)
        })
    }));
    let bytes = |from, to| {
        Hir::class(Class::Bytes(ClassBytes::new([ClassBytesRange::new(
            from, to,
        )])))
    };
    let beyond = Hir::concat(vec![
        bytes(0xC0, 0xFF),
        Hir::repetition(Repetition {
            min: 1,
            max: Some(3),
            greedy: true,
            sub: Box::new(bytes(0x80, 0xBF)),
        }),
    ]);
    if ascii.ranges().is_empty() {
        beyond
    } else {
        Hir::alternation(vec![Hir::class(Class::Bytes(ascii)), beyond])
    }
}

/// Whether a character class, given as its ranges of code points, holds the lower case of every
/// upper-case letter it holds.
fn lower_case_too(ranges: impl Iterator<Item = (u32, u32)> + Clone) -> bool {
    let holds = |c: u8| {
        ranges
            .clone()
            .any(|(start, end)| (start..=end).contains(&u32::from(c)))
    };
    (b'A'..=b'Z').all(|c| !holds(c) || holds(c.to_ascii_lowercase()))
}

/// The literals every match of a lower-case pattern begins with, or `None` when they are not a
/// finite set of non-empty strings.
fn starting_literals(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let seq = Extractor::new()
        .kind(ExtractKind::Prefix)
        .limit_literal_len(STARTING_LITERAL_LEN)
        .extract(hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    let mut out: Vec<Vec<u8>> = literals.iter().map(|l| l.as_bytes().to_vec()).collect();
    out.sort();
    out.dedup();
    Some(out)
}

/// Whether a text holds the Kelvin sign or the long s, which a case-insensitive pattern matches
/// as `k` and `s` but the lower-case automata do not. Letter text never does: folding spells
/// them `K` and `s` (text.rs).
fn folds_to_ascii(hay: &str) -> bool {
    !hay.is_ascii() && hay.contains(['\u{212A}', '\u{17F}'])
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

impl Filtered {
    /// `patterns`: each pattern's index in the set, its lower-case form and starting literals.
    fn build(patterns: &[(u32, Hir, Vec<Vec<u8>>)]) -> Result<Filtered, String> {
        let hirs: Vec<&Hir> = patterns.iter().map(|(_, hir, _)| hir).collect();
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(PATTERN_SIZE_LIMIT * 16))
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_many_from_hir(&hirs)
            .map_err(|e| e.to_string())?;
        let dfa = hybrid::dfa::DFA::builder()
            .configure(
                hybrid::dfa::Config::new()
                    .match_kind(regex_automata::MatchKind::LeftmostFirst)
                    .starts_for_each_pattern(true)
                    .unicode_word_boundary(true)
                    .cache_capacity(DFA_CACHE.max(nfa.states().len() * DFA_CACHE_PER_NFA_STATE))
                    // A set of many patterns needs more for its start states alone.
                    .skip_cache_capacity_check(true)
                    // Anchored searches of a few words add states over few bytes: the lazy DFA
                    // would judge itself inefficient and give up, which must not happen here.
                    .minimum_cache_clear_count(None),
            )
            .build_from_nfa(nfa)
            .map_err(|e| e.to_string())?;
        let mut literals: HashMap<&[u8], Vec<u32>> = HashMap::new();
        for (local, (_, _, starts)) in patterns.iter().enumerate() {
            for literal in starts {
                literals.entry(literal).or_default().push(local as u32);
            }
        }
        // Sorted, so that the automata and therefore the run are the same every time.
        let mut literals: Vec<(&[u8], Vec<u32>)> = literals.into_iter().collect();
        literals.sort();
        let (at_word_starts, elsewhere): (Vec<_>, Vec<_>) = literals
            .into_iter()
            .partition(|(literal, _)| literal[0].is_ascii_alphanumeric());
        let word_starts = Starts::build(at_word_starts, |literals| {
            aho_corasick::nfa::contiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .build(literals)
        })?;
        let elsewhere = Starts::build(elsewhere, |literals| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(literals)
        })?;
        Ok(Filtered {
            word_starts,
            elsewhere,
            dfa,
            patterns: patterns.iter().map(|(index, _, _)| *index).collect(),
            caches: Mutex::new(Vec::new()),
        })
    }

    /// Where in `lower` each DFA pattern may begin: (pattern, offset), sorted.
    fn candidates(&self, lower: &str) -> Vec<(u32, u32)> {
        let mut candidates = Vec::new();
        if let Some(Starts {
            automaton,
            patterns,
        }) = &self.word_starts
        {
            let bytes = lower.as_bytes();
            let root = automaton
                .start_state(Anchored::Yes)
                .expect("built for anchored walks");
            let word_starts = bytes.iter().enumerate().scan(false, |in_word, (at, byte)| {
                let was_in_word = std::mem::replace(in_word, byte.is_ascii_alphanumeric());
                Some((*in_word && !was_in_word).then_some(at))
            });
            for start in word_starts.flatten() {
                let mut state = root;
                for (end, &byte) in bytes.iter().enumerate().skip(start) {
                    state = automaton.next_state(Anchored::Yes, state, byte);
                    if automaton.is_dead(state) {
                        break;
                    }
                    if !automaton.is_match(state) {
                        continue;
                    }
                    for index in 0..automaton.match_len(state) {
                        let literal = automaton.match_pattern(state, index);
                        // A state also holds the literals that end where it does but begin later.
                        if automaton.pattern_len(literal) == end + 1 - start {
                            let begun = patterns[literal.as_usize()].iter();
                            candidates.extend(begun.map(|&pattern| (pattern, start as u32)));
                        }
                    }
                }
            }
        }
        if let Some(Starts {
            automaton,
            patterns,
        }) = &self.elsewhere
        {
            for m in automaton.find_overlapping_iter(lower) {
                for &pattern in &patterns[m.pattern().as_usize()] {
                    candidates.push((pattern, m.start() as u32));
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
    }

    /// A transition cache of this thread's own until it is given back.
    fn take_cache(&self) -> hybrid::dfa::Cache {
        self.caches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop()
            .unwrap_or_else(|| self.dfa.create_cache())
    }

    fn give_back(&self, cache: hybrid::dfa::Cache) {
        self.caches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(cache);
    }

    /// The whole-word matches of one DFA pattern, trying it only at its `candidates` ((pattern,
    /// offset), sorted); `fallback` gives a match's end where the lazy DFA cannot run.
    fn search_at(
        &self,
        cache: &mut hybrid::dfa::Cache,
        candidates: &[(u32, u32)],
        lower: &str,
        fallback: impl Fn(&Input) -> Option<usize>,
    ) -> Vec<Range<usize>> {
        let Some(&(pattern, _)) = candidates.first() else {
            return Vec::new();
        };
        let anchored =
            regex_automata::Anchored::Pattern(PatternID::new_unchecked(pattern as usize));
        let mut next = 0;
        words_from(lower, |at| {
            next += candidates[next..].partition_point(|&(_, start)| (start as usize) < at);
            while let Some(&(_, start)) = candidates.get(next) {
                let start = start as usize;
                next += 1;
                let input = Input::new(lower).range(start..).anchored(anchored);
                let end = match self.dfa.try_search_fwd(cache, &input) {
                    // A class beyond ASCII matches by bytes (`ascii_or_any_beyond`): a
                    // match that ends inside a character takes it whole.
                    Ok(end) => end.map(|m| {
                        let mut end = m.offset();
                        while !lower.is_char_boundary(end) {
                            end += 1;
                        }
                        end
                    }),
                    Err(_) => fallback(&input),
                };
                if let Some(end) = end {
                    return Some(start..end);
                }
            }
            None
        })
    }
}

impl<A> Starts<A> {
    /// `literals` (with the patterns each begins) in an automaton `build` makes of them; `None`
    /// when there are none.
    fn build<E: ToString>(
        literals: Vec<(&[u8], Vec<u32>)>,
        build: impl FnOnce(Vec<&[u8]>) -> Result<A, E>,
    ) -> Result<Option<Starts<A>>, String> {
        if literals.is_empty() {
            return Ok(None);
        }
        let (literals, patterns): (Vec<&[u8]>, Vec<Vec<u32>>) = literals.into_iter().unzip();
        let automaton = build(literals).map_err(|e| e.to_string())?;
        Ok(Some(Starts {
            automaton,
            patterns,
        }))
    }
}

/// Matches of `re` that stand as whole words: not preceded or followed by a letter or digit when
/// the match itself begins or ends with one. A match that fails is retried one character later,
/// so a word-bounded match overlapping a rejected one is still found.
pub fn find_words(re: &Regex, hay: &str) -> Vec<Range<usize>> {
    words_from(hay, |at| re.find_at(hay, at).map(|m| m.range()))
}

/// The whole-word matches given by `next`, which returns the leftmost match starting at or after
/// an offset of `hay`.
fn words_from(hay: &str, mut next: impl FnMut(usize) -> Option<Range<usize>>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at <= hay.len() {
        let Some(m) = next(at) else { break };
        if m.is_empty() {
            at = next_char(hay, m.end);
            continue;
        }
        if is_word_bounded(hay, m.clone()) {
            at = m.end;
            out.push(m);
        } else {
            at = next_char(hay, m.start);
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

    /// As one alternation would: the earliest match, the first pattern at a tie, then on.
    #[test]
    fn first_of_reads_patterns_as_one_alternation() {
        let patterns = [
            Regex::new(r"(?P<n>\d+) a day").unwrap(),
            Regex::new(r"(?P<n>\d+) a").unwrap(),
            Regex::new(r"every").unwrap(),
        ];
        let found: Vec<(usize, &str)> = first_of(&patterns, "every 2 a day, 3 a week")
            .map(|(i, c)| (i, c.get(0).unwrap().as_str()))
            .collect();
        assert_eq!(found, [(2, "every"), (0, "2 a day"), (1, "3 a")]);
        assert_eq!(first_of(&patterns, "none here").count(), 0);
    }

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

    /// A class of characters beyond ASCII runs on bytes: a match takes whole the characters it
    /// reaches, and finds what the class of characters would.
    #[test]
    fn a_class_beyond_ascii_matches_whole_characters() {
        let s = set(&["pain[^.;]{0,12}?relief", "zorb[^o\\W]x"]);
        let text = "pain eased — relief. zorbéx and zorbox.";
        let found: Vec<&str> = s
            .find_all(text, 0..text.len())
            .iter()
            .map(|m| &text[m.range.clone()])
            .collect();
        assert_eq!(found, vec!["pain eased — relief", "zorbéx"]);
        // Near miss: the gap stops at the full stop, whatever comes after it.
        let text = "pain. é relief";
        assert!(s.find_all(text, 0..text.len()).is_empty());
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
    fn a_pattern_begins_where_a_word_does_unless_it_begins_with_punctuation() {
        let s = set(&["pain", "-year-old", r"\d+ visits"]);
        let text = "backpain, pain; a 45-year-old had 12 visits, x12 visits, \u{e9}pain";
        assert_eq!(
            found(&s, text),
            vec![(0, "pain"), (1, "-year-old"), (2, "12 visits")]
        );
    }

    fn found<'t>(s: &PatternSet, text: &'t str) -> Vec<(usize, &'t str)> {
        s.find_all(text, 0..text.len())
            .into_iter()
            .map(|m| (m.owner, &text[m.range]))
            .collect()
    }

    #[test]
    fn case_insensitive_patterns_run_in_lower_case() {
        let s = set(&[
            "Lumbar [A-Z]+",
            "(?-i:MED|MME)s?",
            "(?-u:[xy])-rays?",
            "(?-iu:[A-Z])-scan",
        ]);
        assert_eq!(
            s.unfiltered,
            vec![1, 3],
            "upper case alone is searched on its own"
        );
        assert_eq!(
            found(
                &s,
                "LUMBAR spine, lumbar MRI; MEDs and meds; X-rays, x-ray, C-scan, c-scan"
            ),
            vec![
                (0, "LUMBAR spine"),
                (0, "lumbar MRI"),
                (1, "MEDs"),
                (2, "X-rays"),
                (2, "x-ray"),
                (3, "C-scan")
            ]
        );
    }

    #[test]
    fn where_the_lazy_dfa_cannot_run_the_pattern_runs_alone() {
        // A Unicode `\B` stops the lazy DFA at the first non-ASCII byte.
        let s = set(&["zzz", r"pre\Bop é note"]);
        assert_eq!(found(&s, "the preop é note"), vec![(1, "preop é note")]);
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

    /// The literal prefilter and the anchored DFA find what each pattern finds on its own, on
    /// every sample letter, with every concept pattern of the default rules.
    #[test]
    fn the_set_finds_what_each_pattern_finds_alone() {
        let rules = crate::rules::RuleSet::for_tests();
        let patterns: Vec<&str> = rules
            .concepts
            .concepts
            .iter()
            .flat_map(|c| c.patterns.iter().map(String::as_str))
            .collect();
        let s = set(&patterns);
        let alone: Vec<Regex> = patterns.iter().map(|p| compile_one(p).unwrap()).collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("cases");
        let mut letters: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        letters.sort();
        // The two letters that fold to ASCII ones take the slow path; it must agree too.
        letters.push(letters[0].replace('k', "\u{212a}").replace('s', "\u{17f}"));
        let mut compared = 0;
        for text in &letters {
            let mut expected: Vec<PatternMatch> = alone
                .iter()
                .enumerate()
                .flat_map(|(i, re)| {
                    find_words(re, text)
                        .into_iter()
                        .map(move |range| PatternMatch { owner: i, range })
                })
                .collect();
            expected.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end), m.owner));
            compared += expected.len();
            assert_eq!(s.find_all(text, 0..text.len()), expected);
        }
        assert!(compared > 300, "only {compared} matches compared");
    }
}
