//! Deny lists: literal entries found in a lower-cased text, leftmost-longest,
//! without building anything a short text does not need.
//!
//! Why two ways: an Aho-Corasick automaton finds every entry in one pass,
//! but building one for the largest list a request may bring (1,000
//! entries, 20,000 characters) takes about a millisecond, more than
//! analysing a short text. A short text is indexed instead: every place in
//! it with the four bytes that start there, sorted, so each entry finds the
//! places it may start at in one binary search and is compared only there
//! (a vectorised `memchr::memmem` search per entry, built for each entry,
//! took six times as long over a 15-token text). Texts up to
//! [`LONG_TEXT_BYTES`] are searched that way, and the automaton is built
//! the first time a longer one comes and kept with the list. Both give the
//! same matches.

use std::cell::OnceCell;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Input, MatchKind};

use super::pattern::LONG_TEXT_BYTES;

/// Past this many occurrences per byte of text, a short text is searched
/// with the automaton too: searching entry by entry would collect more spans
/// than the automaton costs to build.
const MAX_OCCURRENCES_PER_BYTE: usize = 4;

/// Past this many places compared per byte of text (entries that share
/// their first four bytes with many places of it), likewise.
const MAX_COMPARISONS_PER_BYTE: usize = 32;

/// Lower-cased entries (each once) and, once a text needed it, their
/// automaton.
#[derive(Debug, Clone)]
pub(crate) struct DenyList {
    entries: Vec<String>,
    /// `None` inside when it cannot be built (never within the request
    /// limits); the entry-by-entry search serves every text then.
    automaton: OnceLock<Option<AhoCorasick>>,
}

/// A candidate match: byte offsets in the lower-cased text.
pub(crate) type Span = (usize, usize);

impl DenyList {
    /// `None` when no entry is left after trimming.
    pub(crate) fn new(mut entries: Vec<String>) -> Option<Self> {
        entries.sort_unstable();
        entries.dedup();
        (!entries.is_empty()).then(|| Self {
            entries,
            automaton: OnceLock::new(),
        })
    }

    fn automaton(&self) -> Option<&AhoCorasick> {
        self.automaton
            .get_or_init(|| {
                // Leftmost-longest: "New York City" wins over "New York".
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&self.entries)
                    .ok()
            })
            .as_ref()
    }

    /// The leftmost-longest match starting at or after `at`, from the sorted
    /// list of every occurrence of every entry.
    fn next_in(occurrences: &[Span], at: usize) -> Option<Span> {
        let first = occurrences.partition_point(|(start, _)| *start < at);
        occurrences.get(first).copied()
    }

    /// Every occurrence of every entry in `lowered`, overlapping ones too,
    /// sorted by start and, at one start, longest first; `None` when there
    /// are more than `most` (entries like "a", "aa", "aaa" over "aaaa..."
    /// would make millions, where the automaton is the bounded way) or when
    /// finding them would compare more than `most_comparisons` places.
    fn occurrences(
        &self,
        lowered: &LoweredText,
        most: usize,
        most_comparisons: usize,
    ) -> Option<Vec<Span>> {
        let haystack = lowered.text.as_bytes();
        let places = lowered.places();
        let mut all = Vec::new();
        let mut comparisons = 0usize;
        for entry in &self.entries {
            let needle = entry.as_bytes();
            for at in places.starting_like(needle) {
                comparisons += 1;
                if comparisons > most_comparisons {
                    return None;
                }
                // An entry starts with a whole character, so it never
                // matches from inside one.
                if haystack[at..].starts_with(needle) {
                    all.push((at, at + needle.len()));
                    if all.len() > most {
                        return None;
                    }
                }
            }
        }
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        Some(all)
    }

    /// Calls `accept` with the leftmost-longest match in `lowered`, then with
    /// the one at or after the offset `accept` returned (past the match when
    /// it was taken, the next character when it was not), to the end.
    pub(crate) fn scan(&self, text: &LoweredText, mut accept: impl FnMut(Span) -> usize) {
        let lowered = text.text.as_str();
        let bounded = if lowered.len() <= LONG_TEXT_BYTES {
            self.occurrences(
                text,
                MAX_OCCURRENCES_PER_BYTE * lowered.len() + 64,
                MAX_COMPARISONS_PER_BYTE * lowered.len() + 4096,
            )
        } else {
            None
        };
        let (automaton, occurrences) = match bounded {
            Some(found) => (None, found),
            None => match self.automaton() {
                Some(automaton) => (Some(automaton), Vec::new()),
                // It could not be built (never within the request limits):
                // every occurrence, however many.
                None => (
                    None,
                    self.occurrences(text, usize::MAX, usize::MAX)
                        .unwrap_or_default(),
                ),
            },
        };
        let mut at = 0;
        while at < lowered.len() {
            let found = match automaton {
                Some(automaton) => automaton
                    .find(Input::new(lowered).span(at..lowered.len()))
                    .map(|m| (m.start(), m.end())),
                None => Self::next_in(&occurrences, at),
            };
            let Some(span) = found else {
                break;
            };
            at = accept(span);
        }
    }

    /// Has the automaton been built (for tests and measurements)?
    #[cfg(test)]
    pub(crate) fn has_automaton(&self) -> bool {
        self.automaton.get().is_some_and(Option::is_some)
    }
}

/// A lower-cased text, and its [`Places`] once a deny list needed them:
/// every deny list of a request searches the same one, so the text is
/// lowered and indexed once per request, not once per list.
#[derive(Debug)]
pub(crate) struct LoweredText {
    text: String,
    places: OnceCell<Places>,
}

impl LoweredText {
    pub(crate) fn new(text: String) -> Self {
        Self {
            text,
            places: OnceCell::new(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    fn places(&self) -> &Places {
        self.places.get_or_init(|| Places::of(self.text.as_bytes()))
    }
}

/// Every place of a text with the four bytes that start there (fewer at the
/// end, padded with zero bytes), sorted: the places where a given prefix
/// starts are one run of it.
#[derive(Debug)]
struct Places {
    /// Big-endian, so that sorting them sorts the byte strings.
    sorted: Vec<(u32, usize)>,
}

/// The first four bytes of `bytes` as a big-endian number, the missing ones
/// as `pad`.
fn prefix_key(bytes: &[u8], pad: u8) -> u32 {
    let mut key = [pad; 4];
    for (slot, byte) in key.iter_mut().zip(bytes) {
        *slot = *byte;
    }
    u32::from_be_bytes(key)
}

impl Places {
    fn of(haystack: &[u8]) -> Self {
        let mut sorted: Vec<(u32, usize)> = (0..haystack.len())
            .map(|at| (prefix_key(&haystack[at..], 0), at))
            .collect();
        sorted.sort_unstable();
        Self { sorted }
    }

    /// The places whose first bytes are those of `needle` (its first four,
    /// or all of a shorter one), and a few more at the end of the text where
    /// padding made them look alike: the caller compares each.
    fn starting_like(&self, needle: &[u8]) -> impl Iterator<Item = usize> + '_ {
        let low = prefix_key(needle, 0);
        let high = if needle.len() >= 4 {
            low
        } else {
            prefix_key(needle, u8::MAX)
        };
        let first = self.sorted.partition_point(|(key, _)| *key < low);
        self.sorted[first..]
            .iter()
            .take_while(move |(key, _)| *key <= high)
            .map(|(_, at)| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(list: &DenyList, text: &str) -> Vec<Span> {
        let mut found = Vec::new();
        list.scan(&LoweredText::new(text.to_owned()), |span| {
            found.push(span);
            span.1
        });
        found
    }

    #[test]
    fn both_ways_find_the_same_leftmost_longest_matches() {
        let entries = ["new york", "new york city", "york", "ann", "anne", "zoë"];
        let list = DenyList::new(entries.iter().map(|e| (*e).to_owned()).collect()).unwrap();
        let text = "ann met anne in new york city and zoë in york; annex";
        let short = spans(&list, text);
        assert!(!list.has_automaton());
        let filler = "x".repeat(LONG_TEXT_BYTES);
        let long = format!("{filler} {text}");
        let offset = filler.len() + 1;
        let long_spans: Vec<Span> = spans(&list, &long)
            .into_iter()
            .map(|(s, e)| (s - offset, e - offset))
            .collect();
        assert!(list.has_automaton());
        assert_eq!(short, long_spans);
        let words: Vec<&str> = short.iter().map(|(s, e)| &text[*s..*e]).collect();
        assert_eq!(
            words,
            ["ann", "anne", "new york city", "zoë", "york", "anne"]
        );
    }

    #[test]
    fn overlapping_entries_over_a_repetitive_text_use_the_automaton() {
        // "a", "aa", ... over "aaa...": tens of thousands of occurrences.
        let entries: Vec<String> = (1..=100).map(|n| "a".repeat(n)).collect();
        let list = DenyList::new(entries).unwrap();
        let text = "a".repeat(LONG_TEXT_BYTES);
        let found = spans(&list, &text);
        assert!(list.has_automaton());
        // Leftmost-longest, taken every time: runs of 100.
        assert_eq!(found.len(), LONG_TEXT_BYTES.div_ceil(100));
        assert_eq!(found[0], (0, 100));
    }

    proptest::proptest! {
        /// The index of a short text finds what the automaton finds, with
        /// entries shorter than the four bytes it indexes, entries that share
        /// their first bytes, and characters of several bytes.
        #[test]
        fn the_index_and_the_automaton_agree(
            entries in proptest::collection::vec("[abé ]{1,6}", 1..12),
            text in "[abéx ]{0,40}",
        ) {
            let list = DenyList::new(entries.clone()).unwrap();
            let indexed = spans(&list, &text);
            let automaton = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&entries)
                .unwrap();
            let expected: Vec<Span> = automaton
                .find_iter(&text)
                .map(|m| (m.start(), m.end()))
                .collect();
            proptest::prop_assert_eq!(indexed, expected);
        }
    }

    #[test]
    fn entries_sharing_a_prefix_with_much_of_the_text_use_the_automaton() {
        // Each of 1,000 entries starts like every place of the text: more
        // comparisons than the automaton costs.
        let entries: Vec<String> = (0..1_000).map(|i| format!("aaaa{i}")).collect();
        let list = DenyList::new(entries).unwrap();
        let text = "a".repeat(200);
        assert!(spans(&list, &text).is_empty());
        assert!(list.has_automaton());
    }

    #[test]
    fn lists_sharing_one_indexed_text_find_what_each_finds_alone() {
        let first = DenyList::new(vec!["ann".into(), "new york".into()]).unwrap();
        let second = DenyList::new(vec!["york".into(), "zoë".into()]).unwrap();
        let text = "ann and zoë in new york";
        let shared = LoweredText::new(text.to_owned());
        for list in [&first, &second] {
            let mut found = Vec::new();
            list.scan(&shared, |span| {
                found.push(span);
                span.1
            });
            assert_eq!(found, spans(list, text));
        }
        assert!(shared.places.get().is_some());
    }

    #[test]
    fn a_rejected_match_retries_from_the_next_character() {
        let list = DenyList::new(vec!["aa".into()]).unwrap();
        let mut seen = Vec::new();
        list.scan(&LoweredText::new("aaa".into()), |span| {
            seen.push(span);
            span.0 + 1
        });
        assert_eq!(seen, [(0, 2), (1, 3)]);
    }
}
