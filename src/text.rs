//! Letter text: the original as read, a whitespace-folded copy for matching, and the map between.
//!
//! Letters come out of PDFs with their line breaks, blank lines between wrapped lines, page footers,
//! form feeds, hyphenated breaks and missing spaces after periods. Every pattern in imrlint runs on
//! the folded copy, where all of that reads as plain prose, and every match is mapped back to byte
//! offsets in the original so that a diagnostic points at the real place in the file.

use std::borrow::Cow;
use std::ops::Range;

use serde::Serialize;

/// A byte offset in the original text, as read. Every pattern works on the folded copy, whose
/// offsets are plain `usize`; an original offset has a type of its own so that the two kinds
/// cannot be mixed unnoticed. [`Text::span`] and [`Text::folded_offset`] convert between them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Original(pub usize);

/// A piece of the original text: byte offsets plus the 1-based line and column of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Span {
    pub start: Original,
    pub end: Original,
    pub line: usize,
    pub column: usize,
}

impl Span {
    /// Its bytes in the original text.
    pub fn range(&self) -> Range<usize> {
        self.start.0..self.end.0
    }
}

/// How one run of folded bytes relates to the original.
#[derive(Debug, Clone, Copy)]
struct Segment {
    folded: usize,
    original: usize,
    /// `None`: the run is a verbatim copy. `Some(end)`: the run replaces `original..end`
    /// (a whitespace run, a typographic quote, a ligature, or nothing at all for an inserted space).
    replaced_until: Option<usize>,
}

/// The original text, its folded copy and the offset map between them.
#[derive(Debug, Clone)]
pub struct Text {
    original: String,
    folded: String,
    segments: Vec<Segment>,
    line_starts: Vec<usize>,
}

impl Text {
    pub fn new(original: String) -> Text {
        let line_starts = std::iter::once(0)
            .chain(original.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let dropped = running_lines(&original);
        let (folded, segments) = Folder::fold(&original, &dropped);
        Text {
            original,
            folded,
            segments,
            line_starts,
        }
    }

    pub fn original(&self) -> &str {
        &self.original
    }

    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// The original text of a range of original offsets.
    pub fn original_of(&self, range: Range<Original>) -> &str {
        &self.original[range.start.0..range.end.0]
    }

    /// The original span of a range of the folded text.
    pub fn span(&self, folded: Range<usize>) -> Span {
        let start = self.original_of_byte(folded.start).start;
        let end = if folded.end > folded.start {
            self.original_of_byte(folded.end - 1).end
        } else {
            start
        };
        self.span_of_original(Original(start)..Original(end.max(start)))
    }

    /// A span over original offsets, with its line and column.
    pub fn span_of_original(&self, range: Range<Original>) -> Span {
        let (line, column) = self.line_column(range.start);
        Span {
            start: range.start,
            end: range.end,
            line,
            column,
        }
    }

    /// 1-based line and column (in characters) of an original byte offset.
    pub fn line_column(&self, offset: Original) -> (usize, usize) {
        let offset = offset.0.min(self.original.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .original
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        (line + 1, column)
    }

    /// The folded offset of an original offset (the start of whatever it was folded into).
    pub fn folded_offset(&self, original: Original) -> usize {
        let original = original.0;
        let i = self
            .segments
            .partition_point(|s| s.original <= original)
            .saturating_sub(1);
        let Some(seg) = self.segments.get(i) else {
            return 0;
        };
        let next_folded = self
            .segments
            .get(i + 1)
            .map_or(self.folded.len(), |n| n.folded);
        match seg.replaced_until {
            None => (seg.folded + original.saturating_sub(seg.original)).min(next_folded),
            Some(_) => seg.folded,
        }
    }

    fn original_of_byte(&self, folded: usize) -> Range<usize> {
        if self.segments.is_empty() {
            return self.original.len()..self.original.len();
        }
        let i = self
            .segments
            .partition_point(|s| s.folded <= folded)
            .saturating_sub(1);
        let seg = self.segments[i];
        match seg.replaced_until {
            None => {
                let o = seg.original + (folded - seg.folded);
                let o = o.min(self.original.len());
                o..(o + 1).min(self.original.len())
            }
            Some(end) => seg.original..end,
        }
    }

    /// Original byte ranges of the lines (without their line break).
    pub fn lines(&self) -> impl Iterator<Item = Range<Original>> + '_ {
        self.line_starts.iter().enumerate().map(|(i, &start)| {
            let end = self
                .line_starts
                .get(i + 1)
                .map_or(self.original.len(), |&n| n - 1);
            let end = if end > start && self.original.as_bytes()[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            Original(start)..Original(end.max(start))
        })
    }
}

/// Builds the folded copy and its segment map in one pass over the original.
struct Folder<'a> {
    original: &'a str,
    folded: String,
    segments: Vec<Segment>,
    /// The letter's words, lowercased; built the first time a hyphenated break needs it.
    vocabulary: Option<std::collections::HashSet<Cow<'a, str>>>,
}

impl<'a> Folder<'a> {
    fn fold(original: &'a str, dropped: &[Range<usize>]) -> (String, Vec<Segment>) {
        let mut f = Folder {
            original,
            folded: String::with_capacity(original.len()),
            segments: Vec::new(),
            vocabulary: None,
        };
        let mut drops = dropped.iter().peekable();
        let mut i = 0;
        while i < original.len() {
            if let Some(d) = drops.peek() {
                if i >= d.end {
                    drops.next();
                    continue;
                }
                if i >= d.start {
                    // A dropped line reads as a line break.
                    f.space(d.start..d.end);
                    i = d.end;
                    drops.next();
                    continue;
                }
            }
            // Lower-case letters and digits, most of a letter, go over as they are, a run at a
            // time.
            let until = drops.peek().map_or(original.len(), |d| d.start);
            let run = original.as_bytes()[i..until]
                .iter()
                .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                .count();
            if run > 0 {
                f.verbatim(i, run);
                i += run;
                continue;
            }
            let c = original[i..].chars().next().unwrap_or(' ');
            let len = c.len_utf8();
            if is_space(c) {
                let mut j = i + len;
                while let Some(n) = original[j..].chars().next() {
                    if !is_space(n) || drops.peek().is_some_and(|d| j >= d.start) {
                        break;
                    }
                    j += n.len_utf8();
                }
                let broke_line = original[i..j].contains(['\n', '\r', '\x0c']);
                let after = original[j..].chars().next();
                let hyphenated = broke_line
                    && f.folded.ends_with('-')
                    && f.folded[..f.folded.len() - 1]
                        .chars()
                        .next_back()
                        .is_some_and(|p| p.is_alphanumeric())
                    && after.is_some_and(|a| a.is_lowercase() || a.is_ascii_digit());
                if hyphenated {
                    // `right-\nsided` reads `right-sided`: the break is dropped, the hyphen kept,
                    // unless the letter spells the joined word elsewhere (`improve-\nment`).
                    if f.is_broken_word(&original[j..]) {
                        f.folded.pop();
                        if f.segments
                            .last()
                            .is_some_and(|s| s.folded == f.folded.len())
                        {
                            f.segments.pop();
                        }
                    }
                } else {
                    f.space(i..j);
                }
                i = j;
                continue;
            }
            if let Some(plain) = plain_form(c) {
                f.replace(i..i + len, plain);
            } else if is_invisible(c) {
                // Soft hyphens, zero-width marks and NULs vanish from the folded copy.
            } else {
                if c.is_uppercase() && f.missing_sentence_space() {
                    f.replace(i..i, " ");
                }
                f.verbatim(i, len);
            }
            i += len;
        }
        while f.folded.ends_with(' ') {
            f.folded.pop();
        }
        (f.folded, f.segments)
    }

    fn verbatim(&mut self, at: usize, len: usize) {
        let folded = self.folded.len();
        let continues = self
            .segments
            .last()
            .is_some_and(|s| s.replaced_until.is_none() && s.original + (folded - s.folded) == at);
        if !continues {
            self.segments.push(Segment {
                folded,
                original: at,
                replaced_until: None,
            });
        }
        self.folded.push_str(&self.original[at..at + len]);
    }

    fn replace(&mut self, original: Range<usize>, with: &str) {
        self.segments.push(Segment {
            folded: self.folded.len(),
            original: original.start,
            replaced_until: Some(original.end),
        });
        self.folded.push_str(with);
    }

    fn space(&mut self, original: Range<usize>) {
        if self.folded.is_empty() || self.folded.ends_with(' ') {
            return;
        }
        if &self.original[original.clone()] == " " {
            self.verbatim(original.start, 1);
        } else {
            self.replace(original, " ");
        }
    }

    /// Whether the word before the folded copy's trailing hyphen and the word at the start of
    /// `rest` form, joined, a word the letter uses elsewhere.
    fn is_broken_word(&mut self, rest: &str) -> bool {
        let head: String = self.folded[..self.folded.len() - 1]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let tail: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
        if head.is_empty() || tail.is_empty() {
            return false;
        }
        let original = self.original;
        let vocabulary = self.vocabulary.get_or_insert_with(|| {
            original
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 3)
                // Most words are in lower case already: only the others are copied.
                .map(|w| {
                    match w
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    {
                        true => Cow::Borrowed(w),
                        false => Cow::Owned(w.to_lowercase()),
                    }
                })
                .collect()
        });
        vocabulary.contains(format!("{head}{tail}").to_lowercase().as_str())
    }

    /// `2001.In a report`: a sentence ended with no space after its period. Initials (`U.S.`) and
    /// decimals are left alone: the period must follow a word of two or more letters or digits.
    fn missing_sentence_space(&self) -> bool {
        let Some(before) = self.folded.strip_suffix('.') else {
            return false;
        };
        let word: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric())
            .collect();
        word.chars().count() >= 2
            && word.chars().any(|c| c.is_lowercase() || c.is_ascii_digit())
            && !before[..before.len() - word.len()].ends_with('.')
    }
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{a0}'
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{feff}' | '\0')
}

/// Typographic characters that letters use interchangeably with plain ones.
fn plain_form(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{2018}' | '\u{2019}' | '\u{201b}' | '\u{2032}' => "'",
        '\u{201c}' | '\u{201d}' | '\u{201f}' | '\u{2033}' => "\"",
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2212}' => "-",
        '\u{fb00}' => "ff",
        '\u{fb01}' => "fi",
        '\u{fb02}' => "fl",
        '\u{fb03}' => "ffi",
        '\u{fb04}' => "ffl",
        '\u{2026}' => "...",
        // Letters that case-fold to ASCII ones: the Kelvin sign and the long s.
        '\u{212a}' => "K",
        '\u{17f}' => "s",
        _ => return None,
    })
}

/// Lines that belong to the page, not the letter: page footers (`Page 2 of 4`) and the running
/// header repeated at the top of each page. They are folded away like whitespace.
fn running_lines(original: &str) -> Vec<Range<usize>> {
    let lines: Vec<Range<usize>> = {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, b) in original.bytes().enumerate() {
            if b == b'\n' || b == b'\x0c' {
                out.push(start..i);
                start = i + 1;
            }
        }
        out.push(start..original.len());
        out
    };
    let trimmed = |r: &Range<usize>| original[r.clone()].trim();
    let mut dropped = Vec::new();
    let mut page_break_at = Vec::new();
    for (n, r) in lines.iter().enumerate() {
        if is_page_footer(trimmed(r)) {
            dropped.push(r.clone());
            page_break_at.push(n);
        } else if r.end < original.len() && original.as_bytes()[r.end] == b'\x0c' {
            page_break_at.push(n);
        }
    }
    // A short line just after a page break that already stood earlier in the letter is the
    // page's running header (case number, letterhead).
    for &n in &page_break_at {
        let mut seen_text = 0;
        for r in lines.iter().skip(n + 1) {
            let t = trimmed(r);
            if t.is_empty() || is_page_footer(t) {
                continue;
            }
            seen_text += 1;
            if seen_text > 2 {
                break;
            }
            let repeated = t.len() <= 100
                && lines
                    .iter()
                    .take_while(|e| e.start < r.start)
                    .any(|e| trimmed(e) == t);
            if repeated && !dropped.contains(r) {
                dropped.push(r.clone());
            }
        }
    }
    dropped.sort_by_key(|r| r.start);
    dropped
}

fn is_page_footer(line: &str) -> bool {
    let mut words = line.split_whitespace();
    let first = words.next();
    let Some(first) = first else { return false };
    if !first.eq_ignore_ascii_case("page") {
        return false;
    }
    let rest: Vec<&str> = words.collect();
    let number = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    match rest.as_slice() {
        [n] => number(n),
        [n, of, m] => number(n) && of.eq_ignore_ascii_case("of") && number(m),
        _ => false,
    }
}

/// Sentences of a folded range: folded byte ranges, split at `.`, `?`, `!` followed by a space,
/// except after abbreviations and initials. Letter prose is regular enough for this.
pub fn sentences(folded: &str, within: Range<usize>) -> Vec<Range<usize>> {
    let text = &folded[within.clone()];
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if matches!(b, b'.' | b'?' | b'!' | b';')
            && bytes.get(i + 1) == Some(&b' ')
            && ends_sentence(text, i)
        {
            push_trimmed(&mut out, text, start..i + 1, within.start);
            start = i + 2;
            i += 2;
            continue;
        }
        i += 1;
    }
    push_trimmed(&mut out, text, start..text.len(), within.start);
    out
}

fn push_trimmed(out: &mut Vec<Range<usize>>, text: &str, r: Range<usize>, base: usize) {
    let s = &text[r.clone()];
    let lead = s.len() - s.trim_start().len();
    let trail = s.len() - s.trim_end().len();
    if r.end - r.start > lead + trail {
        out.push(base + r.start + lead..base + r.end - trail);
    }
}

fn ends_sentence(text: &str, at: usize) -> bool {
    if text.as_bytes()[at] == b';' {
        return true;
    }
    let next = text[at + 2..].chars().next();
    if next.is_some_and(|c| c.is_lowercase()) {
        return false;
    }
    let word: &str = text[..at]
        .rsplit(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or("");
    let bare = word.trim_start_matches(['"', '\'']);
    const ABBREVIATIONS: &[&str] = &[
        "dr", "mr", "mrs", "ms", "vs", "no", "approx", "e.g", "i.e", "etc", "fig", "st", "jr",
        "sr", "inc", "ca",
    ];
    if ABBREVIATIONS.iter().any(|a| bare.eq_ignore_ascii_case(a)) {
        return false;
    }
    // An initial (`J. Smith`) or a dotted abbreviation (`p.r.n.`).
    !(bare.chars().count() == 1 && bare.chars().all(|c| c.is_uppercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(s: &str) -> String {
        Text::new(s.to_string()).folded().to_string()
    }

    #[test]
    fn folds_line_breaks_and_blank_lines() {
        assert_eq!(
            fold("the request for \n\nclonazepam 1 mg #90 \r\n is not"),
            "the request for clonazepam 1 mg #90 is not"
        );
    }

    #[test]
    fn keeps_hyphen_of_a_broken_compound() {
        assert_eq!(
            fold("right-\nsided pain on 10-\n17-2016"),
            "right-sided pain on 10-17-2016"
        );
        assert_eq!(fold("pain -\nThe"), "pain - The");
    }

    #[test]
    fn joins_a_word_the_letter_spells_whole_elsewhere() {
        assert_eq!(
            fold("functional improvement. No improve-\nment and a follow-\nup"),
            "functional improvement. No improvement and a follow-up"
        );
    }

    #[test]
    fn adds_the_space_a_sentence_lost() {
        assert_eq!(
            fold("of October 5, 2001.In a report"),
            "of October 5, 2001. In a report"
        );
        assert_eq!(fold("surgery.The attorney"), "surgery. The attorney");
        assert_eq!(
            fold("the U.S. Army and 0.5mg.90"),
            "the U.S. Army and 0.5mg.90"
        );
    }

    #[test]
    fn drops_page_footers_and_running_headers() {
        let letter = "Case Number: CM17-1\nfirst page text\nPage 1 of 2\n\x0cCase Number: CM17-1\nsecond page";
        assert_eq!(
            fold(letter),
            "Case Number: CM17-1 first page text second page"
        );
    }

    #[test]
    fn plain_quotes_and_ligatures() {
        assert_eq!(
            fold("the applicant\u{2019}s \u{fb01}le"),
            "the applicant's file"
        );
        assert_eq!(fold("\u{212a}nee pain, \u{17f}pasm"), "Knee pain, spasm");
    }

    #[test]
    fn spans_map_back_to_the_original() {
        let original = "Clonazepam 1 mg \n\n#90 with \r\n1 refill:  Upheld";
        let text = Text::new(original.to_string());
        let f = text.folded();
        let at = f.find("#90 with 1 refill").unwrap();
        let span = text.span(at..at + "#90 with 1 refill".len());
        assert_eq!(&original[span.range()], "#90 with \r\n1 refill");
        assert_eq!((span.line, span.column), (3, 1));
        let back = text.folded_offset(span.start)..text.folded_offset(span.end);
        assert_eq!(&f[back], "#90 with 1 refill");
    }

    #[test]
    fn spans_across_replaced_characters() {
        let original = "the applicant\u{2019}s file";
        let text = Text::new(original.to_string());
        let at = text.folded().find("applicant's").unwrap();
        let span = text.span(at..at + "applicant's".len());
        assert_eq!(&original[span.range()], "applicant\u{2019}s");
    }

    #[test]
    fn splits_sentences_but_not_abbreviations() {
        let s = "Dr. Smith saw him on 01/02/2014. Pain was 5/10. No change was noted; he returned.";
        let parts: Vec<&str> = sentences(s, 0..s.len())
            .into_iter()
            .map(|r| &s[r])
            .collect();
        assert_eq!(
            parts,
            vec![
                "Dr. Smith saw him on 01/02/2014.",
                "Pain was 5/10.",
                "No change was noted;",
                "he returned."
            ]
        );
    }
}
