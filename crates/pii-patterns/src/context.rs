//! Context words: a word written near a candidate ("NHS number 943 476 5919")
//! makes it likelier to be what the pattern says, as in Presidio.
//!
//! The rule, for built-in and request recognizers alike:
//!
//! - The window is the [`WORDS_BEFORE`] words before the candidate and the
//!   [`WORDS_AFTER`] words after it, within [`WINDOW_CHARS`] characters on
//!   each side. A word is a run of letters and digits; everything else
//!   separates words. Case is ignored.
//! - A context entry may be several words ("social insurance"); they must
//!   appear in that order, next to each other, on one side of the candidate.
//! - An entry word of four or more characters matches a text word that starts
//!   with it ("patient" matches "patients"); a shorter one must be equal
//!   ("sin" does not match "since").
//! - When an entry matches, the score becomes `score + CONTEXT_BOOST`, at
//!   least [`MIN_SCORE_WITH_CONTEXT`] and at most 1.

/// Words searched before a candidate.
pub const WORDS_BEFORE: usize = 5;
/// Words searched after a candidate.
pub const WORDS_AFTER: usize = 2;
/// How far the window reaches on each side, in characters, whatever the words.
pub const WINDOW_CHARS: usize = 120;
/// Added to a candidate's score when a context word is near.
pub const CONTEXT_BOOST: f32 = 0.35;
/// The least score of a candidate with a context word near.
pub const MIN_SCORE_WITH_CONTEXT: f32 = 0.4;

/// The score of a candidate once a context word was found near it.
pub fn boosted(score: f32) -> f32 {
    (score + CONTEXT_BOOST).clamp(MIN_SCORE_WITH_CONTEXT, 1.0)
}

/// Context entries, split into lower-case words once.
#[derive(Debug, Clone, Default)]
pub struct Context {
    entries: Vec<(String, Vec<String>)>,
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

fn word_matches(entry: &str, word: &str) -> bool {
    if entry.chars().count() >= 4 {
        word.starts_with(entry)
    } else {
        word == entry
    }
}

fn contains_phrase(window: &[String], phrase: &[String]) -> bool {
    !phrase.is_empty()
        && window
            .windows(phrase.len())
            .any(|w| w.iter().zip(phrase).all(|(t, e)| word_matches(e, t)))
}

impl Context {
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Self {
        Self {
            entries: entries
                .iter()
                .map(|e| (e.as_ref().to_owned(), words(e.as_ref()).collect()))
                .filter(|(_, w): &(String, Vec<String>)| !w.is_empty())
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first entry found near `text[start..end]` (byte offsets).
    pub fn near(&self, text: &str, start: usize, end: usize) -> Option<&str> {
        if self.entries.is_empty() {
            return None;
        }
        let before_from = text[..start]
            .char_indices()
            .rev()
            .take(WINDOW_CHARS)
            .last()
            .map_or(start, |(i, _)| i);
        let mut before: Vec<String> = words(&text[before_from..start]).collect();
        // The first word may be cut by the character bound; it still counts.
        let skip = before.len().saturating_sub(WORDS_BEFORE);
        before.drain(..skip);
        let after_to = text[end..]
            .char_indices()
            .nth(WINDOW_CHARS)
            .map_or(text.len(), |(i, _)| end + i);
        let after: Vec<String> = words(&text[end..after_to]).take(WORDS_AFTER).collect();
        self.entries
            .iter()
            .find(|(_, phrase)| contains_phrase(&before, phrase) || contains_phrase(&after, phrase))
            .map(|(entry, _)| entry.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(entries: &[&str], text: &str, candidate: &str) -> Option<String> {
        let start = text.find(candidate).unwrap();
        Context::new(entries)
            .near(text, start, start + candidate.len())
            .map(str::to_owned)
    }

    #[test]
    fn words_before_and_after_within_the_window() {
        let entries = ["nhs", "social insurance", "patient"];
        assert_eq!(
            near(&entries, "My NHS number: 943 476 5919.", "943 476 5919").as_deref(),
            Some("nhs")
        );
        assert_eq!(
            near(
                &entries,
                "The patients' ids are 943 476 5919",
                "943 476 5919"
            )
            .as_deref(),
            Some("patient")
        );
        assert_eq!(
            near(&entries, "943 476 5919 (NHS)", "943 476 5919").as_deref(),
            Some("nhs")
        );
        assert_eq!(
            near(&entries, "Social Insurance no. 046 454 286", "046 454 286").as_deref(),
            Some("social insurance")
        );
    }

    #[test]
    fn far_short_or_split_words_do_not_count() {
        let entries = ["nhs", "sin", "social insurance"];
        assert_eq!(
            near(
                &entries,
                "NHS one two three four five 943 476 5919",
                "943 476 5919"
            ),
            None
        );
        assert_eq!(
            near(&entries, "Since then 046 454 286", "046 454 286"),
            None
        );
        assert_eq!(
            near(&entries, "social 046 454 286 insurance", "046 454 286"),
            None
        );
        assert_eq!(
            near(&entries, "943 476 5919 is what one two nhs", "943 476 5919"),
            None
        );
    }

    #[test]
    fn the_window_is_bounded_in_characters() {
        let text = format!("nhs{}943 476 5919", " ".repeat(WINDOW_CHARS + 5));
        assert_eq!(near(&["nhs"], &text, "943 476 5919"), None);
    }

    #[test]
    fn boosting_clamps() {
        assert!((boosted(0.5) - 0.85).abs() < 1e-6);
        assert!((boosted(0.01) - 0.4).abs() < 1e-6);
        assert!((boosted(0.9) - 1.0).abs() < 1e-6);
    }
}
