//! Recognizers a request brings: deny lists and regular expressions of its
//! own, with context words.
//!
//! Why this is safe to run on anyone's input: the `regex` crate's engines
//! (`regex-automata`, used directly here) match in time linear in the text
//! (no look-around, no back-references; the backtracker remembers every
//! state it visited, so it never backtracks exponentially), and every pattern
//! is compiled under a size limit, so both compiling and matching are
//! bounded. Deny lists are literal strings,
//! found in a lower-cased copy of the text. The bounds are constants here; a
//! request over any of them is refused before anything runs. What a short
//! text pays is kept small by building only what it needs ([`pattern`],
//! [`deny`]).

mod deny;
pub mod pattern;
mod projection;

pub use pattern::{LONG_TEXT_BYTES, Pattern};

use std::cell::OnceCell;

use crate::{CharIndex, context::Context};

/// Most request recognizers.
pub const MAX_RECOGNIZERS: usize = 16;
/// Most patterns in one request, over all its recognizers.
pub const MAX_PATTERNS: usize = 16;
/// Longest pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 500;
/// The compiled size all patterns of one request share: their forward NFAs
/// as written, in `regex-automata`'s accounting, which is what compile time
/// follows (7-10 ns a byte on this project's machine type, so the whole
/// budget compiles in 1-1.5 ms; an ASCII text gets the patterns cut to ASCII,
/// which cost a few percent of that). The well-known classes (`\d`, `\w`,
/// `\s`, `\p{L}`...) are charged exactly what they compile to; any other
/// Unicode class an upper bound from its UTF-8 sequences, computed without
/// compiling it (15-17 % above for a class the size of `\w`, up to about
/// 1.6 times for smaller ones). Patterns take from it in order
/// ([`CompileBudget`]); one may use all of it, and sixteen ordinary ID
/// patterns (`\bEMP-[A-Z]{2}\d{6}\b`, 8.3 KiB each) fit together. Unicode
/// classes are what usually reach it: `\w` alone is about 18 KiB (`\w{1,6}`
/// fits, `\w{1,20}` does not), `[\w.-]` about 20 KiB, `\d` about 2 KiB,
/// `(?-u:\w)` and `[0-9]` under 1 KiB.
pub const TOTAL_COMPILED_BYTES: usize = 160 * 1024;
/// What the same patterns cut to ASCII may compile to together: what a
/// request's first ASCII text compiles, where a pattern as written is built
/// only for texts that need it. Large classes are small once cut to ASCII,
/// so this binds only long repetitions of ASCII classes
/// (`(?-u:\w){1,470}`, or sixteen of `(?-u:\w){1,38}`), whose programs as
/// written are no larger than cut to ASCII and compile at about 1.7 ns a
/// byte: the whole of it in about 0.1 ms. Sixteen ordinary ID patterns
/// (`\bEMP-[A-Z]{2}\d{6}\b`) take 1.2 KiB each of it.
pub const TOTAL_ASCII_COMPILED_BYTES: usize = 64 * 1024;
/// Most cache memory of one pattern's lazy DFA while it matches.
pub const DFA_CACHE_BYTES: usize = 512 * 1024;
/// Deepest nesting of groups and repetitions in a pattern.
pub const MAX_NESTING: u32 = 16;
/// Most entries of one deny list, and the longest entry in characters.
pub const MAX_DENY_ENTRIES: usize = 1_000;
pub const MAX_DENY_ENTRY_CHARS: usize = 100;
/// Most characters of all deny lists of one request together.
pub const MAX_DENY_CHARS: usize = 20_000;
/// Most context entries of one recognizer, and the longest in characters.
pub const MAX_CONTEXT_ENTRIES: usize = 32;
pub const MAX_CONTEXT_CHARS: usize = 60;

/// Why a pattern or list cannot run. The messages are written for the caller
/// who wrote the pattern; they never contain the request's text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PatternError {
    #[error("not a valid regular expression: {0}")]
    Syntax(String),
    #[error(
        "compiles to more than the {limit} bytes left of the request's {total} (all its patterns share them); simplify it (Unicode classes are large: `\\w{{1,20}}` is over the limit, `(?-u:\\w){{1,100}}` is not, and `[0-9]` is smaller than `\\d`)",
        total = TOTAL_COMPILED_BYTES
    )]
    TooLarge { limit: usize },
    #[error(
        "cut to ASCII, compiles to more than the {limit} bytes left of the request's {total} for that (all its patterns share them); use shorter repetitions (`(?-u:\\w){{1,470}}` is about the most one pattern may have; `+` and `{{40,}}` are small)",
        total = TOTAL_ASCII_COMPILED_BYTES
    )]
    TooLargeCutToAscii { limit: usize },
    #[error("nests groups and repetitions more than {limit} deep")]
    TooDeep { limit: u32 },
}

/// What is left of one request's [`TOTAL_COMPILED_BYTES`] and
/// [`TOTAL_ASCII_COMPILED_BYTES`] as its patterns compile, in the order
/// they come.
#[derive(Debug)]
pub struct CompileBudget {
    left: usize,
    ascii_left: usize,
}

impl Default for CompileBudget {
    fn default() -> Self {
        Self {
            left: TOTAL_COMPILED_BYTES,
            ascii_left: TOTAL_ASCII_COMPILED_BYTES,
        }
    }
}

impl CompileBudget {
    /// Compiles `pattern` within what is left, and takes what it uses.
    pub fn compile(&mut self, pattern: &str) -> Result<Pattern, PatternError> {
        let compiled = Pattern::compile(pattern, self.left, self.ascii_left)?;
        self.left = self.left.saturating_sub(compiled.compiled_bytes());
        self.ascii_left = self.ascii_left.saturating_sub(compiled.ascii_bytes());
        Ok(compiled)
    }

    /// Bytes left for the patterns still to come, as written.
    pub fn left(&self) -> usize {
        self.left
    }

    /// Bytes left for the patterns still to come, cut to ASCII.
    pub fn ascii_left(&self) -> usize {
        self.ascii_left
    }
}

/// Compiles one pattern with the whole of a request's budget.
pub fn compile_pattern(pattern: &str) -> Result<Pattern, PatternError> {
    CompileBudget::default().compile(pattern)
}

/// The `regex` crate's syntax error without the pattern it quotes (a
/// pattern may hold personal data, and errors never echo what was sent):
/// its `error:` line and where the caret points.
fn describe(message: &str) -> String {
    let lines: Vec<&str> = message.lines().collect();
    let what = lines
        .iter()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or("the pattern cannot be parsed");
    // The quoted pattern is indented by four spaces, the caret line below it.
    let at = lines
        .iter()
        .find(|l| l.trim_start().starts_with('^') && l.trim().chars().all(|c| c == '^'))
        .map(|l| {
            l.chars()
                .take_while(|c| *c == ' ')
                .count()
                .saturating_sub(4)
        });
    match at {
        Some(at) => format!("{what} (at character {})", at + 1),
        None => what.to_owned(),
    }
}

/// One regular expression of a request recognizer.
#[derive(Debug, Clone)]
pub struct CustomPattern {
    pub name: String,
    pub regex: Pattern,
    pub score: f32,
}

/// A request recognizer, compiled.
#[derive(Debug, Clone)]
pub struct CustomRecognizer {
    pub name: String,
    pub entity_type: String,
    deny: Option<deny::DenyList>,
    deny_score: f32,
    patterns: Vec<CustomPattern>,
    context: Context,
}

/// A match of a request recognizer; offsets are code points.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomMatch<'a> {
    pub start: usize,
    pub end: usize,
    pub entity_type: &'a str,
    pub recognizer: &'a str,
    /// The pattern's name, or `None` for a deny-list match.
    pub pattern: Option<&'a str>,
    /// The score before context.
    pub raw_score: f32,
    pub score: f32,
    /// The context entry found near the match.
    pub context: Option<&'a str>,
}

/// `text` lower-cased character by character, as [`lower`] does it (not
/// `str::to_lowercase`, whose final sigma would differ), for deny-list
/// entries, which need no way back.
fn lowercase(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut lowered = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            lowered.push(c.to_ascii_lowercase());
        } else {
            lowered.extend(c.to_lowercase());
        }
    }
    lowered
}

/// `text` lower-cased, and for every byte of it (and its end) the byte offset
/// in `text` of the character it came from (or of the next character, for
/// the end). One character may lower-case to several ('İ' to "i̇").
fn lower(text: &str) -> (String, Vec<usize>) {
    if text.is_ascii() {
        return (text.to_ascii_lowercase(), (0..=text.len()).collect());
    }
    let mut lowered = String::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len() + 1);
    for (at, c) in text.char_indices() {
        for l in c.to_lowercase() {
            lowered.push(l);
            origin.extend(std::iter::repeat_n(at, l.len_utf8()));
        }
    }
    origin.push(text.len());
    (lowered, origin)
}

/// One request's text, prepared for all its recognizers: lower-cased (with
/// the way back) and indexed the first time a deny list needs it, and its
/// character offsets the first time anything matches. Sixteen deny lists
/// over a 2 KiB text would otherwise lower and sort it sixteen times.
#[derive(Debug)]
pub struct PreparedText<'a> {
    text: &'a str,
    lowered: OnceCell<(deny::LoweredText, Vec<usize>)>,
    chars: OnceCell<CharIndex>,
}

impl<'a> PreparedText<'a> {
    pub fn new(text: &'a str) -> Self {
        Self {
            text,
            lowered: OnceCell::new(),
            chars: OnceCell::new(),
        }
    }

    fn lowered(&self) -> (&deny::LoweredText, &[usize]) {
        let (lowered, origin) = self.lowered.get_or_init(|| {
            let (lowered, origin) = lower(self.text);
            (deny::LoweredText::new(lowered), origin)
        });
        (lowered, origin)
    }

    fn chars(&self) -> &CharIndex {
        self.chars.get_or_init(|| CharIndex::new(self.text))
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl CustomRecognizer {
    /// A recognizer of `entity_type` from a deny list (matched as whole words,
    /// ignoring case, with `deny_score`) and patterns (matched as written).
    /// The caller checks the counts and lengths against the limits above.
    pub fn new<S: AsRef<str>>(
        name: String,
        entity_type: String,
        deny_list: &[S],
        deny_score: f32,
        patterns: Vec<CustomPattern>,
        context: &[S],
    ) -> Self {
        let entries: Vec<String> = deny_list
            .iter()
            .map(|e| lowercase(e.as_ref().trim()))
            .filter(|e| !e.is_empty())
            .collect();
        Self {
            name,
            entity_type,
            deny: deny::DenyList::new(entries),
            deny_score,
            patterns,
            context: Context::new(context),
        }
    }

    /// Every match in `text`. Deny-list entries match as whole words: an
    /// entry that begins (ends) with a letter or digit does not match after
    /// (before) one. Word boundaries are checked here rather than written
    /// into the pattern as `\b`, which would keep the fast matcher off
    /// non-ASCII text.
    pub fn find(&self, text: &str) -> Vec<CustomMatch<'_>> {
        self.find_in(&PreparedText::new(text))
    }

    /// Every match in a text prepared once for all of a request's
    /// recognizers, as [`CustomRecognizer::find`] finds them.
    pub fn find_in<'s>(&'s self, prepared: &PreparedText<'_>) -> Vec<CustomMatch<'s>> {
        let text = prepared.text;
        let mut spans: Vec<(usize, usize, Option<&str>, f32)> = Vec::new();
        if let Some(deny) = &self.deny {
            let (lowered_text, origin) = prepared.lowered();
            let lowered = lowered_text.as_str();
            deny.scan(lowered_text, |(m_start, m_end)| {
                // Back to the original text: the first byte of the character
                // each lower-cased byte came from.
                let start = origin[m_start];
                let end = origin[m_end];
                let matched = &text[start..end];
                let starts_word = matched.chars().next().is_some_and(is_word);
                let ends_word = matched.chars().next_back().is_some_and(is_word);
                let glued_before =
                    starts_word && text[..start].chars().next_back().is_some_and(is_word);
                let glued_after = ends_word && text[end..].chars().next().is_some_and(is_word);
                if !glued_before && !glued_after && start < end {
                    spans.push((start, end, None, self.deny_score));
                    m_end
                } else {
                    // Try again from the next character: a shorter entry, or
                    // the same one later, may still match here.
                    m_start + lowered[m_start..].chars().next().map_or(1, char::len_utf8)
                }
            });
        }
        for pattern in &self.patterns {
            for (start, end) in pattern.regex.find_all(text) {
                if start < end {
                    spans.push((start, end, Some(pattern.name.as_str()), pattern.score));
                }
            }
        }
        if spans.is_empty() {
            return Vec::new();
        }
        let chars = prepared.chars();
        spans
            .into_iter()
            .map(|(start, end, pattern, raw_score)| {
                let context = self.context.near(text, start, end);
                CustomMatch {
                    start: chars.at(start),
                    end: chars.at(end),
                    entity_type: &self.entity_type,
                    recognizer: &self.name,
                    pattern,
                    raw_score,
                    score: if context.is_some() {
                        crate::context::boosted(raw_score)
                    } else {
                        raw_score
                    },
                    context,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recognizer(deny: &[&str], patterns: &[(&str, f32)], context: &[&str]) -> CustomRecognizer {
        let patterns = patterns
            .iter()
            .enumerate()
            .map(|(i, (p, score))| CustomPattern {
                name: format!("p{i}"),
                regex: compile_pattern(p).unwrap(),
                score: *score,
            })
            .collect();
        let deny: Vec<String> = deny.iter().map(|s| (*s).to_owned()).collect();
        let context: Vec<String> = context.iter().map(|s| (*s).to_owned()).collect();
        CustomRecognizer::new(
            "mine".into(),
            "EMPLOYEE_ID".into(),
            &deny,
            1.0,
            patterns,
            &context,
        )
    }

    fn texts(r: &CustomRecognizer, text: &str) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        r.find(text)
            .iter()
            .map(|m| chars[m.start..m.end].iter().collect())
            .collect()
    }

    #[test]
    fn deny_lists_match_whole_words_ignoring_case() {
        let r = recognizer(&["Acme", "New York", "New York City", "C++"], &[], &[]);
        assert_eq!(
            texts(&r, "ACME and Acmeville; new york city, C++ and New Yorker"),
            ["ACME", "new york city", "C++"]
        );
        assert_eq!(texts(&r, "Zoë at acme"), ["acme"]);
        let r = recognizer(&["zoë", "münchen"], &[], &[]);
        // 'İ' lower-cases to two characters: offsets after it still hold.
        assert_eq!(texts(&r, "İ: ZOË left MÜNCHEN"), ["ZOË", "MÜNCHEN"]);
    }

    #[test]
    fn entries_and_texts_are_lowered_alike() {
        // Final sigma is where `str::to_lowercase` differs from lowering
        // character by character.
        for text in ["ΟΔΟΣ", "İstanbul", "ACME Corp", "Zoë", "ǅemal", ""] {
            assert_eq!(lowercase(text), lower(text).0, "{text}");
        }
        let (lowered, origin) = lower("AbC");
        assert_eq!((lowered.as_str(), origin), ("abc", vec![0, 1, 2, 3]));
    }

    #[test]
    fn deny_lists_retry_after_a_glued_match() {
        let r = recognizer(&["ann", "anne"], &[], &[]);
        assert_eq!(texts(&r, "joanne anne ann"), ["anne", "ann"]);
    }

    #[test]
    fn patterns_and_context() {
        let r = recognizer(&[], &[(r"\bEMP-\d{6}\b", 0.3)], &["employee"]);
        let text = "Employee EMP-123456 met with the team about EMP-654321";
        let found = r.find(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].context, Some("employee"));
        assert!((found[0].score - 0.65).abs() < 1e-6);
        assert_eq!(found[1].context, None);
        assert!((found[1].score - 0.3).abs() < 1e-6);
        assert_eq!(found[0].pattern, Some("p0"));
    }

    #[test]
    fn hostile_patterns_are_refused_or_linear() {
        assert!(matches!(
            compile_pattern(r"\w{1,100}"),
            Err(PatternError::TooLarge { .. })
        ));
        assert!(matches!(
            compile_pattern(r"(a{100}){100}"),
            Err(PatternError::TooLarge { .. } | PatternError::TooLargeCutToAscii { .. })
        ));
        assert!(matches!(
            compile_pattern(r"(a"),
            Err(PatternError::Syntax(_))
        ));
        assert!(matches!(
            compile_pattern(r"(?:a|b)*\1"),
            Err(PatternError::Syntax(_))
        ));
        assert!(matches!(
            compile_pattern(&format!("{}a{}", "(".repeat(40), ")".repeat(40))),
            Err(PatternError::TooDeep { .. })
        ));
        // Catastrophic for a backtracking engine, linear here.
        let r = recognizer(&[], &[("(a+)+$", 0.5)], &[]);
        let text = format!("{}!", "a".repeat(50_000));
        assert!(r.find(&text).is_empty());
    }

    #[test]
    fn the_size_limits_admit_what_their_documentation_says() {
        assert!(compile_pattern(r"\w{1,6}").is_ok());
        assert!(compile_pattern(r"(?-u:\w){1,100}").is_ok());
        assert!(compile_pattern(r"\w{1,20}").is_err());
        // Sixteen ordinary patterns share the budget.
        let mut budget = CompileBudget::default();
        for _ in 0..MAX_PATTERNS {
            budget.compile(r"\bEMP-[A-Z]{2}\d{6}\b").unwrap();
        }
        // Once it is spent, the next pattern is refused and says how much was
        // left.
        let mut budget = CompileBudget::default();
        budget.compile(r"\w{1,6}").unwrap();
        let left = budget.left();
        assert!(left < TOTAL_COMPILED_BYTES / 2);
        assert_eq!(
            budget.compile(r"\w{1,6}").unwrap_err(),
            PatternError::TooLarge { limit: left }
        );
    }

    #[test]
    fn long_ascii_repetitions_share_the_budget_cut_to_ascii() {
        // Two of these fit as written (160 KiB), one cut to ASCII (64 KiB:
        // the compiler's limit counts its states before it drops the empty
        // ones, so a little more than the program it leaves).
        let mut budget = CompileBudget::default();
        budget.compile(r"(?-u:\w){1,300}").unwrap();
        let left = budget.ascii_left();
        assert!(left < TOTAL_ASCII_COMPILED_BYTES * 2 / 3);
        assert!(budget.left() > TOTAL_COMPILED_BYTES / 2);
        assert_eq!(
            budget.compile(r"(?-u:\w){1,300}").unwrap_err(),
            PatternError::TooLargeCutToAscii { limit: left }
        );
        assert!(compile_pattern(r"(?-u:\w){1,470}").is_ok());
        assert!(compile_pattern(r"(?-u:\w){40,}").is_ok());
        assert!(matches!(
            compile_pattern(r"(?-u:\w){1,500}"),
            Err(PatternError::TooLargeCutToAscii { .. })
        ));
        // Sixteen ordinary ID patterns use a small part of it.
        let mut budget = CompileBudget::default();
        for _ in 0..MAX_PATTERNS {
            budget.compile(r"\bEMP-[A-Z]{2}\d{6}\b").unwrap();
        }
        assert!(budget.ascii_left() > TOTAL_ASCII_COMPILED_BYTES / 2);
    }

    #[test]
    fn empty_matches_are_skipped() {
        let r = recognizer(&[], &[("a*", 0.5)], &[]);
        assert_eq!(texts(&r, "baab"), ["aa"]);
    }
}
