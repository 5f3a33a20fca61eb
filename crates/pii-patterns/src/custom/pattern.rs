//! A caller's regular expression, compiled so that a text never pays for
//! more than it uses.
//!
//! Why: compiling a pattern as written can cost more than analysing a short
//! text at the default size. Two things make it costly, and each is built
//! only when a text needs it:
//!
//! - **Unicode classes.** A text of only ASCII characters is searched by the
//!   pattern with every class cut to ASCII ([`projection`]), which finds the
//!   same matches in it and compiles in a few percent of the time
//!   (`\d{1,56}`: 0.03 ms instead of 0.7). A text that is not ASCII is
//!   searched by the pattern cut to ASCII and that text's own characters;
//!   the pattern as written is built once instead, for the second such text
//!   when it is small ([`SHORT_TEXT_BUILD_BYTES`]) and for the first long
//!   text otherwise. The request's budget is charged what the pattern as
//!   written compiles to all the same ([`Pattern::compiled_bytes`]), and
//!   what it compiles to cut to ASCII, so what is refused does not depend
//!   on the text.
//! - **The full matcher.** The `regex` crate compiles a pattern twice (a
//!   forward NFA, and a reverse one for the lazy DFA to find where a match
//!   starts) and looks for literals to skip ahead with. Texts up to
//!   [`LONG_TEXT_BYTES`] are searched forward only, with the PikeVM and the
//!   bounded backtracker (both linear in the text); the full matcher is built
//!   the first time a longer text comes, where its cost is small next to the
//!   analysis of that text.
//!
//! [`projection`]: super::projection

use std::sync::OnceLock;

use regex_automata::{
    meta::{self, BuildError},
    util::syntax,
};
use regex_syntax::hir::Hir;

use super::projection::{self, Alphabet};
use super::{DFA_CACHE_BYTES, MAX_NESTING, PatternError, describe};

/// Texts up to this many bytes are searched by the forward-only matcher.
/// Past it the full matcher pays for itself: the forward-only one costs up
/// to about 0.1 ms per KiB for the largest patterns, the full one about 1 ms
/// to build and microseconds per KiB to run.
pub const LONG_TEXT_BYTES: usize = 2 * 1024;

/// The largest pattern as written that a short text builds (the second
/// one that is not ASCII), about 0.2 ms of compiling. A larger one is built
/// by the first long text, whose analysis costs more than that; until then
/// each short text that is not ASCII gets the pattern cut to its own
/// characters, which a short text keeps small, so that no short request
/// pays for compiling a large pattern as written (`\w{1,8}`: 0.6 ms).
const SHORT_TEXT_BUILD_BYTES: usize = 24 * 1024;

/// One program of the pattern (as written, or cut to an alphabet) and the
/// full matcher it grows when a long text comes.
#[derive(Debug, Clone)]
struct Program {
    hir: Hir,
    size_limit: usize,
    /// Forward NFA only: PikeVM and bounded backtracker.
    quick: meta::Regex,
    /// Everything the `regex` crate would build; `None` inside when it does
    /// not fit the limits (the reverse NFA can be larger than the forward
    /// one), and the quick matcher serves long texts too.
    full: OnceLock<Option<meta::Regex>>,
}

fn syntax_config() -> syntax::Config {
    syntax::Config::new().nest_limit(MAX_NESTING)
}

fn quick_config(size_limit: usize) -> meta::Config {
    // No literal prefilter: on a short text it saves little, and finding
    // one costs more than compiling the projected program.
    meta::Config::new()
        .nfa_size_limit(Some(size_limit))
        .auto_prefilter(false)
        .hybrid(false)
        .onepass(false)
        .dfa(false)
}

fn build(hir: &Hir, config: meta::Config) -> Result<meta::Regex, Box<BuildError>> {
    meta::Builder::new()
        .configure(config)
        .build_from_hir(hir)
        .map_err(Box::new)
}

impl Program {
    fn new(hir: Hir, size_limit: usize) -> Result<Self, Box<BuildError>> {
        let quick = build(&hir, quick_config(size_limit))?;
        Ok(Self {
            hir,
            size_limit,
            quick,
            full: OnceLock::new(),
        })
    }

    fn matcher_for(&self, text: &str) -> &meta::Regex {
        if text.len() <= LONG_TEXT_BYTES {
            return &self.quick;
        }
        self.full
            .get_or_init(|| {
                let config = meta::Config::new()
                    .nfa_size_limit(Some(self.size_limit))
                    .hybrid_cache_capacity(DFA_CACHE_BYTES);
                build(&self.hir, config).ok()
            })
            .as_ref()
            .unwrap_or(&self.quick)
    }
}

/// A caller's pattern, compiled under the request's limits.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The pattern as written.
    hir: Hir,
    /// What the pattern as written compiles to (the budget's charge).
    unicode_bytes: usize,
    size_limit: usize,
    /// Every class cut to ASCII: serves every ASCII text.
    ascii: Program,
    /// The pattern as written: built for the second text that is not ASCII
    /// (`None` inside if it does not fit after all, see [`Self::unicode`]).
    unicode: OnceLock<Option<Program>>,
    /// Set by the first text that is not ASCII.
    met_non_ascii: OnceLock<()>,
}

fn compile_error(error: &BuildError) -> PatternError {
    if let Some(limit) = error.size_limit() {
        PatternError::TooLarge { limit }
    } else {
        PatternError::Syntax("the pattern cannot be compiled".into())
    }
}

fn parse_error(error: &regex_syntax::Error) -> PatternError {
    let message = error.to_string();
    if message.contains("maximum number of nested") {
        PatternError::TooDeep { limit: MAX_NESTING }
    } else {
        PatternError::Syntax(describe(&message))
    }
}

impl Pattern {
    /// Compiles `source` within `size_limit` bytes (what the pattern as
    /// written compiles to) and `ascii_limit` (what it compiles to cut to
    /// ASCII); errors never quote the pattern.
    pub(crate) fn compile(
        source: &str,
        size_limit: usize,
        ascii_limit: usize,
    ) -> Result<Self, PatternError> {
        let hir = syntax::parse_with(source, &syntax_config()).map_err(|e| parse_error(&e))?;
        let ascii_hir = projection::project(&hir, &Alphabet::ascii());
        let ascii = Program::new(ascii_hir, ascii_limit.min(size_limit)).map_err(|e| {
            match e.size_limit() {
                // Over the limit cut to ASCII, which is the smaller one: the
                // pattern as written may still fit its own.
                Some(_) if ascii_limit < size_limit => {
                    PatternError::TooLargeCutToAscii { limit: ascii_limit }
                }
                _ => compile_error(&e),
            }
        })?;
        if ascii.quick.memory_usage() > ascii_limit {
            return Err(PatternError::TooLargeCutToAscii { limit: ascii_limit });
        }
        let unicode_bytes = projection::unicode_bytes(&hir, ascii.quick.memory_usage(), size_limit)
            .ok_or(PatternError::TooLarge { limit: size_limit })?;
        Ok(Self {
            hir,
            unicode_bytes,
            // The charge is never below the size (tested); the margin
            // keeps a pattern that fits from failing to build later should
            // the `regex` crate's accounting move a little.
            size_limit: size_limit.max(unicode_bytes + unicode_bytes / 8),
            ascii,
            unicode: OnceLock::new(),
            met_non_ascii: OnceLock::new(),
        })
    }

    /// The pattern as written, built once. Should it not fit after all
    /// (the charge is tested never to be below its size), texts get the
    /// program for their own characters instead, which finds the same
    /// matches.
    fn unicode(&self) -> Option<&Program> {
        self.unicode
            .get_or_init(|| Program::new(self.hir.clone(), self.size_limit).ok())
            .as_ref()
    }

    /// Byte spans of the non-overlapping matches in `text`, leftmost first
    /// (the `regex` crate's semantics).
    pub fn find_all(&self, text: &str) -> Vec<(usize, usize)> {
        let spans = |m: &meta::Regex| m.find_iter(text).map(|m| (m.start(), m.end())).collect();
        self.with_matcher(text, spans)
    }

    /// Does the pattern match anywhere in `text`?
    pub fn is_match(&self, text: &str) -> bool {
        self.with_matcher(text, |m| m.is_match(text))
    }

    fn with_matcher<T>(&self, text: &str, search: impl Fn(&meta::Regex) -> T) -> T {
        if text.is_ascii() {
            return search(self.ascii.matcher_for(text));
        }
        if let Some(Some(program)) = self.unicode.get() {
            return search(program.matcher_for(text));
        }
        let first_non_ascii = self.met_non_ascii.set(()).is_ok();
        let short = text.len() <= LONG_TEXT_BYTES;
        let build = !short || (!first_non_ascii && self.unicode_bytes <= SHORT_TEXT_BUILD_BYTES);
        if build && let Some(program) = self.unicode() {
            return search(program.matcher_for(text));
        }
        let own = projection::project(&self.hir, &Alphabet::of(text));
        match Program::new(own, self.size_limit) {
            Ok(program) => search(program.matcher_for(text)),
            // The projection is never larger than the pattern as written,
            // which fits; a text still gets searched.
            Err(_) => search(self.ascii.matcher_for(text)),
        }
    }

    /// What the pattern as written compiles to, forward only, in bytes of
    /// heap (what a request's budget is charged).
    pub fn compiled_bytes(&self) -> usize {
        self.unicode_bytes
    }

    /// What the pattern cut to ASCII compiles to (what a request's budget
    /// for that is charged).
    pub fn ascii_bytes(&self) -> usize {
        self.ascii.quick.memory_usage()
    }

    /// Has a full matcher been built (for tests and measurements)?
    pub fn has_full_matcher(&self) -> bool {
        let built = |p: &Program| p.full.get().is_some_and(Option::is_some);
        built(&self.ascii)
            || self
                .unicode
                .get()
                .and_then(Option::as_ref)
                .is_some_and(built)
    }

    /// Has the pattern as written been built (for tests and measurements)?
    pub fn has_unicode_program(&self) -> bool {
        self.unicode.get().is_some_and(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_texts_find_the_same_matches() {
        let pattern = Pattern::compile(r"\bEMP-\d{6}\b", 64 * 1024, 64 * 1024).unwrap();
        let short = "EMP-123456 and EMP-654321, not XEMP-111111";
        let found = pattern.find_all(short);
        assert_eq!(found, [(0, 10), (15, 25)]);
        assert!(!pattern.has_full_matcher());
        let long = format!("{} {short}", "filler ".repeat(LONG_TEXT_BYTES / 7 + 1));
        let offset = long.len() - short.len();
        let found_long = pattern.find_all(&long);
        assert!(pattern.has_full_matcher());
        let shifted: Vec<_> = found
            .iter()
            .map(|(s, e)| (s + offset, e + offset))
            .collect();
        assert_eq!(found_long, shifted);
        assert!(pattern.is_match(short) && pattern.is_match(&long));
    }

    #[test]
    fn unicode_classes_stay_unicode() {
        let pattern = Pattern::compile(r"\w+\s\d", 256 * 1024, 256 * 1024).unwrap();
        for text in ["Zoë Núñez ٣", "Zoë Núñez ٣", "Zoë Núñez ٣"] {
            let words: Vec<&str> = pattern
                .find_all(text)
                .into_iter()
                .map(|(s, e)| &text[s..e])
                .collect();
            assert_eq!(words, ["Núñez ٣"]);
        }
    }

    #[test]
    fn a_small_pattern_as_written_is_built_for_the_second_non_ascii_text() {
        let pattern = Pattern::compile(r"\d{1,6}q0", 160 * 1024, 160 * 1024).unwrap();
        assert!(pattern.compiled_bytes() <= SHORT_TEXT_BUILD_BYTES);
        assert!(pattern.is_match("call 123q0 now"));
        assert!(
            !pattern.has_unicode_program(),
            "ASCII text: the ASCII program"
        );
        assert!(pattern.is_match("Zoë: 123q0"));
        assert!(!pattern.has_unicode_program(), "first: its own characters");
        assert!(pattern.is_match("Zoë: ١٢٣q0"));
        assert!(pattern.has_unicode_program());
        assert!(!pattern.is_match("Zoë: q0"));
    }

    #[test]
    fn a_large_pattern_as_written_waits_for_a_long_text() {
        let pattern = Pattern::compile(r"\d{1,56}q0", 160 * 1024, 160 * 1024).unwrap();
        assert!(pattern.compiled_bytes() > SHORT_TEXT_BUILD_BYTES);
        for text in ["Zoë: 123q0", "Zoë: ١٢٣q0", "Zoë: ١٢٣q0 again"] {
            assert!(pattern.is_match(text));
            assert!(!pattern.has_unicode_program(), "short: its own characters");
        }
        let long = format!("{} ١٢٣q0", "Zoë ".repeat(LONG_TEXT_BYTES / 4));
        assert_eq!(pattern.find_all(&long).len(), 1);
        assert!(pattern.has_unicode_program());
        assert!(pattern.is_match("Zoë: ١٢٣q0"), "then it serves every text");
    }

    #[test]
    fn the_budget_is_charged_what_the_pattern_as_written_compiles_to() {
        for source in [
            r"\d{1,56}q0",
            r"\w{1,6}",
            r"\bEMP-[A-Z]{2}\d{6}\b",
            r"(?i)\w+@\w+",
        ] {
            let pattern = Pattern::compile(source, 160 * 1024, 160 * 1024).unwrap();
            let written = pattern.unicode().unwrap().quick.memory_usage();
            let charged = pattern.compiled_bytes();
            let error = (charged as f64 - written as f64).abs() / written as f64;
            assert!(error < 0.01, "{source}: charged {charged} for {written}");
            assert!(pattern.ascii.quick.memory_usage() * 4 < written, "{source}");
        }
    }

    fn piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let atom = prop::sample::select(vec![
            "a",
            "b",
            "é",
            r"\d",
            r"\w",
            "[a-c]",
            ".",
            r"\s",
            r"\b",
            r"\B",
            "(?i)a",
            "(?i)é",
            r"\p{L}",
            "[^a]",
            r"(?-u:\w)",
        ]);
        let quantifier = prop::sample::select(vec!["", "*", "+", "?", "{1,3}", "*?"]);
        (atom, quantifier).prop_map(|(a, q)| format!("(?:{a}){q}"))
    }

    proptest::proptest! {
        /// Every program a text may get (cut to ASCII, cut to the text's
        /// characters, as written; forward-only or full) finds what the
        /// `regex` crate finds.
        #[test]
        fn every_matcher_agrees_with_the_regex_crate(
            pieces in proptest::collection::vec(piece(), 1..5),
            alternative in proptest::option::of(piece()),
            text in "[ab1é_ \\-ÉëΩ٣]{0,40}",
        ) {
            let mut source = pieces.concat();
            if let Some(other) = alternative {
                source = format!("{source}|{other}");
            }
            let pattern = Pattern::compile(&source, 128 * 1024, 128 * 1024).unwrap();
            let reference = regex::Regex::new(&source).unwrap();
            let ascii: String = text.chars().filter(char::is_ascii).collect();
            let long = text.repeat(LONG_TEXT_BYTES / text.len().max(1) + 2);
            let long_ascii = ascii.repeat(LONG_TEXT_BYTES / ascii.len().max(1) + 2);
            // The same non-ASCII text twice: its own program, then the
            // pattern as written.
            for haystack in [&ascii, &text, &text, &long, &long_ascii] {
                let ours = pattern.find_all(haystack);
                let theirs: Vec<(usize, usize)> =
                    reference.find_iter(haystack).map(|m| (m.start(), m.end())).collect();
                proptest::prop_assert_eq!(ours, theirs);
                proptest::prop_assert_eq!(pattern.is_match(haystack), reference.is_match(haystack));
            }
        }
    }
}
