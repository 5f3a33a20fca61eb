//! A caller's regular expression, compiled in two steps so that a short text
//! never pays for more than it uses.
//!
//! Why: building a `regex` crate matcher compiles the pattern twice (a
//! forward NFA, and a reverse one for the lazy DFA to find where a match
//! starts), and for Unicode classes that costs more than analysing a short
//! text at the default size: `\w{1,5}` takes about 1.5 ms, half of it the
//! reverse NFA. So a pattern is first compiled forward only, searched with
//! the PikeVM and the bounded backtracker (both linear in the text), which is
//! what the size check needs anyway; the full matcher (lazy DFA, reverse
//! suffix and inner-literal searches) is built the first time a text longer
//! than [`LONG_TEXT_BYTES`] comes, where its cost is small next to the
//! analysis of that text, and is then kept with the pattern.

use std::sync::OnceLock;

use regex_automata::{
    meta::{self, BuildError},
    util::syntax,
};

use super::{DFA_CACHE_BYTES, MAX_NESTING, PatternError, describe};

/// Texts up to this many bytes are searched by the forward-only matcher.
/// Past it the full matcher pays for itself: the forward-only one costs up
/// to about 0.1 ms per KiB for the largest patterns, the full one about 1 ms
/// to build and microseconds per KiB to run.
pub const LONG_TEXT_BYTES: usize = 2 * 1024;

/// A caller's pattern, compiled under the request's limits.
#[derive(Debug, Clone)]
pub struct Pattern {
    source: String,
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

fn build(source: &str, config: meta::Config) -> Result<meta::Regex, Box<BuildError>> {
    meta::Builder::new()
        .syntax(syntax_config())
        .configure(config)
        .build(source)
        .map_err(Box::new)
}

impl Pattern {
    /// Compiles `source` forward only, with an NFA of at most `size_limit`
    /// bytes; errors never quote the pattern.
    pub(crate) fn compile(source: &str, size_limit: usize) -> Result<Self, PatternError> {
        let config = meta::Config::new()
            .nfa_size_limit(Some(size_limit))
            .hybrid(false)
            .onepass(false)
            .dfa(false);
        let quick = build(source, config).map_err(|e| {
            if let Some(limit) = e.size_limit() {
                PatternError::TooLarge { limit }
            } else if let Some(syntax) = e.syntax_error() {
                let message = syntax.to_string();
                if message.contains("maximum number of nested") {
                    PatternError::TooDeep { limit: MAX_NESTING }
                } else {
                    PatternError::Syntax(describe(&message))
                }
            } else {
                PatternError::Syntax("the pattern cannot be compiled".into())
            }
        })?;
        Ok(Self {
            source: source.to_owned(),
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
                build(&self.source, config).ok()
            })
            .as_ref()
            .unwrap_or(&self.quick)
    }

    /// Byte spans of the non-overlapping matches in `text`, leftmost first
    /// (the `regex` crate's semantics).
    pub fn find_iter<'a>(&'a self, text: &'a str) -> impl Iterator<Item = (usize, usize)> + 'a {
        self.matcher_for(text)
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
    }

    /// Does the pattern match anywhere in `text`?
    pub fn is_match(&self, text: &str) -> bool {
        self.matcher_for(text).is_match(text)
    }

    /// The heap size of the compiled forward program (what a request's
    /// budget is charged).
    pub fn compiled_bytes(&self) -> usize {
        self.quick.memory_usage()
    }

    /// Has the full matcher been built (for tests and measurements)?
    pub fn has_full_matcher(&self) -> bool {
        self.full.get().is_some_and(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_texts_find_the_same_matches() {
        let pattern = Pattern::compile(r"\bEMP-\d{6}\b", 64 * 1024).unwrap();
        let short = "EMP-123456 and EMP-654321, not XEMP-111111";
        let found: Vec<_> = pattern.find_iter(short).collect();
        assert_eq!(found, [(0, 10), (15, 25)]);
        assert!(!pattern.has_full_matcher());
        let long = format!("{} {short}", "filler ".repeat(LONG_TEXT_BYTES / 7 + 1));
        let offset = long.len() - short.len();
        let found_long: Vec<_> = pattern.find_iter(&long).collect();
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
        let pattern = Pattern::compile(r"\w+", 256 * 1024).unwrap();
        let text = "Zoë Núñez";
        let words: Vec<&str> = pattern.find_iter(text).map(|(s, e)| &text[s..e]).collect();
        assert_eq!(words, ["Zoë", "Núñez"]);
    }

    fn piece() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let atom = prop::sample::select(vec![
            "a", "b", "é", r"\d", r"\w", "[a-c]", ".", r"\s", r"\b", "(?i)a",
        ]);
        let quantifier = prop::sample::select(vec!["", "*", "+", "?", "{1,3}", "*?"]);
        (atom, quantifier).prop_map(|(a, q)| format!("(?:{a}){q}"))
    }

    proptest::proptest! {
        /// Forward-only on short texts, the full matcher on long ones: both
        /// find what the `regex` crate finds.
        #[test]
        fn both_matchers_agree_with_the_regex_crate(
            pieces in proptest::collection::vec(piece(), 1..5),
            alternative in proptest::option::of(piece()),
            text in "[ab1é_ \\-]{0,40}",
        ) {
            let mut source = pieces.concat();
            if let Some(other) = alternative {
                source = format!("{source}|{other}");
            }
            let pattern = Pattern::compile(&source, 128 * 1024).unwrap();
            let reference = regex::Regex::new(&source).unwrap();
            let long = text.repeat(LONG_TEXT_BYTES / text.len().max(1) + 2);
            for haystack in [text.as_str(), long.as_str()] {
                let ours: Vec<(usize, usize)> = pattern.find_iter(haystack).collect();
                let theirs: Vec<(usize, usize)> =
                    reference.find_iter(haystack).map(|m| (m.start(), m.end())).collect();
                proptest::prop_assert_eq!(ours, theirs);
                proptest::prop_assert_eq!(pattern.is_match(haystack), reference.is_match(haystack));
            }
        }
    }
}
