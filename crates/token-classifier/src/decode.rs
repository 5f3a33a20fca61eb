//! From per-token predictions to entity spans. Pure functions: no model needed.
//!
//! 1. Sub-word tokens are aggregated to words: a word takes the label and
//!    probability of its first token (the convention BERT token classifiers are
//!    trained with).
//! 2. Words are decoded from BIO / BILOU / BIOES tags leniently: an `I-` that
//!    does not continue an entity of its type starts one, and a tag below the
//!    threshold ends the current entity. (Packs with `decoding: constrained`
//!    choose well-formed labels before this step: [`crate::constrained`].)
//! 3. Model types are mapped to API types, and neighbouring pieces of one API
//!    type with only whitespace between them are merged (a given name and a
//!    surname make one PERSON; building number and street one STREET_ADDRESS).

use crate::config::PackConfig;

/// One token's best label, with code-point offsets into the text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenPrediction {
    pub start: usize,
    pub end: usize,
    /// Index of the word the token belongs to.
    pub word: u32,
    pub label: usize,
    pub probability: f32,
}

/// An entity found in a text, offsets in code points.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub entity_type: String,
    pub score: f32,
    /// The model's own label types that make it up, in order (`GIVEN_NAME`,
    /// `SURNAME` for one PERSON), for explanations.
    pub model_types: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tag {
    Outside,
    Begin,
    Inside,
    Last,
    Unit,
}

/// Splits `B-PERSON` into its tag and type. Unknown shapes count as outside.
pub(crate) fn parse_label(label: &str) -> (Tag, &str) {
    if label == "O" || label.is_empty() {
        return (Tag::Outside, "");
    }
    match label.split_once('-') {
        Some(("B", kind)) => (Tag::Begin, kind),
        Some(("I", kind)) => (Tag::Inside, kind),
        Some(("L" | "E", kind)) => (Tag::Last, kind),
        Some(("U" | "S", kind)) => (Tag::Unit, kind),
        _ => (Tag::Unit, label),
    }
}

struct Word {
    start: usize,
    end: usize,
    label: usize,
    probability: f32,
}

fn words(tokens: &[TokenPrediction]) -> Vec<Word> {
    let mut words: Vec<(u32, Word)> = Vec::new();
    for token in tokens {
        match words.last_mut() {
            Some((id, word)) if *id == token.word => word.end = word.end.max(token.end),
            _ => words.push((
                token.word,
                Word {
                    start: token.start,
                    end: token.end,
                    label: token.label,
                    probability: token.probability,
                },
            )),
        }
    }
    words.into_iter().map(|(_, word)| word).collect()
}

/// Decodes one window's token predictions into spans of API types.
/// An entity being built while words are read.
struct Open<'a> {
    start: usize,
    end: usize,
    kind: &'a str,
    probabilities: Vec<f32>,
}

type Piece<'a> = (usize, usize, &'a str, Vec<f32>);

fn close<'a>(open: &mut Option<Open<'a>>, pieces: &mut Vec<Piece<'a>>) {
    if let Some(o) = open.take() {
        pieces.push((o.start, o.end, o.kind, o.probabilities));
    }
}

pub fn decode(text: &[char], tokens: &[TokenPrediction], config: &PackConfig) -> Vec<Span> {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut open: Option<Open> = None;
    for word in words(tokens) {
        let label = config.labels.get(word.label).map_or("O", String::as_str);
        let (tag, kind) = parse_label(label);
        // A probability that is not a finite number at or above the threshold
        // (NaN included) does not make an entity.
        if tag == Tag::Outside
            || !(word.probability.is_finite() && word.probability >= config.threshold)
        {
            close(&mut open, &mut pieces);
            continue;
        }
        let continues =
            matches!(tag, Tag::Inside | Tag::Last) && open.as_ref().is_some_and(|o| o.kind == kind);
        if continues {
            if let Some(o) = open.as_mut() {
                o.end = word.end;
                o.probabilities.push(word.probability);
            }
        } else {
            close(&mut open, &mut pieces);
            open = Some(Open {
                start: word.start,
                end: word.end,
                kind,
                probabilities: vec![word.probability],
            });
        }
        if matches!(tag, Tag::Last | Tag::Unit) {
            close(&mut open, &mut pieces);
        }
    }
    close(&mut open, &mut pieces);

    let mut spans: Vec<(Span, usize)> = Vec::new();
    for (start, end, kind, probabilities) in pieces {
        if end <= start {
            continue; // covers no character (e.g. a special token's empty offsets)
        }
        let entity_type = config.api_type(kind);
        let count = probabilities.len();
        let total: f32 = probabilities.iter().sum();
        if let Some((last, last_count)) = spans.last_mut()
            && last.entity_type == entity_type
            && last.end <= start
            && text[last.end..start].iter().all(|c| c.is_whitespace())
        {
            last.end = end;
            last.score = (last.score * *last_count as f32 + total) / (*last_count + count) as f32;
            *last_count += count;
            if !last.model_types.iter().any(|t| t == kind) {
                last.model_types.push(kind.to_owned());
            }
            continue;
        }
        spans.push((
            Span {
                start,
                end,
                entity_type: entity_type.to_owned(),
                score: total / count as f32,
                model_types: vec![kind.to_owned()],
            },
            count,
        ));
    }
    spans.into_iter().map(|(span, _)| span).collect()
}

/// Joins the spans of overlapping windows: overlapping spans of one type are
/// unioned (an entity cut at one window's edge is whole in the next), exact
/// duplicates collapse. The result is sorted and free of same-type overlaps.
pub fn merge_windows(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| (&a.entity_type, a.start, a.end).cmp(&(&b.entity_type, b.start, b.end)));
    let mut merged: Vec<Span> = Vec::with_capacity(spans.len());
    for span in spans {
        match merged.last_mut() {
            Some(last)
                if last.entity_type == span.entity_type
                    && span.start < last.end.max(last.start + 1) =>
            {
                last.end = last.end.max(span.end);
                last.score = last.score.max(span.score);
                for kind in span.model_types {
                    if !last.model_types.contains(&kind) {
                        last.model_types.push(kind);
                    }
                }
            }
            _ => merged.push(span),
        }
    }
    merged.sort_by(|a, b| (a.start, a.end, &a.entity_type).cmp(&(b.start, b.end, &b.entity_type)));
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(labels: &[&str]) -> PackConfig {
        PackConfig {
            name: "t".into(),
            version: "1".into(),
            task: "token-classification".into(),
            role: "pii".into(),
            language: "en".into(),
            size: "sm".into(),
            labels: labels.iter().map(|l| (*l).to_owned()).collect(),
            entity_types: [("GIVEN_NAME", "PERSON"), ("SURNAME", "PERSON")]
                .into_iter()
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
                .collect(),
            max_tokens: 16,
            window_tokens: 8,
            window_overlap_tokens: 2,
            threshold: 0.5,
            licence: String::new(),
            source: String::new(),
            quality: serde_json::Value::Null,
            input: crate::PackInput::default(),
            decoding: crate::Decoding::default(),
        }
    }

    fn token(
        start: usize,
        end: usize,
        word: u32,
        label: usize,
        probability: f32,
    ) -> TokenPrediction {
        TokenPrediction {
            start,
            end,
            word,
            label,
            probability,
        }
    }

    const LABELS: [&str; 5] = ["O", "B-GIVEN_NAME", "I-GIVEN_NAME", "B-SURNAME", "B-CITY"];

    #[test]
    fn given_name_and_surname_make_one_person() {
        let text: Vec<char> = "call Tim Cook now".chars().collect();
        let tokens = [
            token(0, 4, 0, 0, 0.9),
            token(5, 8, 1, 1, 0.9),
            token(9, 13, 2, 3, 0.7),
            token(14, 17, 3, 0, 0.9),
        ];
        let spans = decode(&text, &tokens, &config(&LABELS));
        assert_eq!(spans.len(), 1);
        assert_eq!(
            (spans[0].start, spans[0].end, spans[0].entity_type.as_str()),
            (5, 13, "PERSON")
        );
        assert!((spans[0].score - 0.8).abs() < 1e-6);
    }

    #[test]
    fn sub_words_take_the_first_tokens_label_and_extend_the_word() {
        let text: Vec<char> = "Zoë lives".chars().collect();
        // "Zoë" as two tokens of word 0; the second token's label is ignored.
        let tokens = [
            token(0, 2, 0, 1, 0.9),
            token(2, 3, 0, 0, 0.9),
            token(4, 9, 1, 0, 0.9),
        ];
        let spans = decode(&text, &tokens, &config(&LABELS));
        assert_eq!((spans[0].start, spans[0].end), (0, 3));
    }

    #[test]
    fn lenient_inside_without_begin_and_low_scores() {
        let text: Vec<char> = "a b c d".chars().collect();
        let tokens = [
            token(0, 1, 0, 2, 0.9),
            token(2, 3, 1, 2, 0.9),
            token(4, 5, 2, 4, 0.3),
            token(6, 7, 3, 4, 0.8),
        ];
        let spans = decode(&text, &tokens, &config(&LABELS));
        assert_eq!(spans.len(), 2, "{spans:?}");
        assert_eq!(
            (spans[0].start, spans[0].end, spans[0].entity_type.as_str()),
            (0, 3, "PERSON")
        );
        assert_eq!(
            (spans[1].start, spans[1].end, spans[1].entity_type.as_str()),
            (6, 7, "CITY")
        );
    }

    #[test]
    fn different_types_or_non_space_gaps_stay_apart() {
        let text: Vec<char> = "Ann, Bob".chars().collect();
        let tokens = [
            token(0, 3, 0, 1, 0.9),
            token(3, 4, 1, 0, 0.9),
            token(5, 8, 2, 1, 0.9),
        ];
        assert_eq!(decode(&text, &tokens, &config(&LABELS)).len(), 2);
    }

    #[test]
    fn windows_union_cut_entities_and_drop_duplicates() {
        let span = |start, end, t: &str| Span {
            start,
            end,
            entity_type: t.into(),
            score: 0.9,
            model_types: vec![t.into()],
        };
        let merged = merge_windows(vec![
            span(10, 14, "PERSON"),
            span(0, 3, "CITY"),
            span(10, 20, "PERSON"),
            span(0, 3, "CITY"),
            span(12, 15, "EMAIL"),
        ]);
        assert_eq!(
            merged,
            vec![
                span(0, 3, "CITY"),
                span(10, 20, "PERSON"),
                span(12, 15, "EMAIL")
            ]
        );
    }

    proptest::proptest! {
        /// Whatever a model predicts (labels out of range, NaN or infinite
        /// probabilities, any grouping of tokens into words), decoding and
        /// window merging never panic and keep every span inside the text with a
        /// finite score.
        #[test]
        fn decoding_never_panics_and_keeps_spans_in_the_text(
            text in "\\PC{0,60}",
            raw in proptest::collection::vec(
                (0usize..4, 0usize..4, 0usize..12, proptest::num::f32::ANY, proptest::bool::ANY),
                0..40,
            ),
        ) {
            let chars: Vec<char> = text.chars().collect();
            let mut at = 0;
            let mut word = 0u32;
            let mut tokens = Vec::new();
            for (gap, len, label, probability, new_word) in raw {
                let start = (at + gap).min(chars.len());
                let end = (start + len).min(chars.len());
                if new_word {
                    word += 1;
                }
                tokens.push(token(start, end, word, label, probability));
                at = end;
            }
            let labels = config(&[
                "O", "B-GIVEN_NAME", "I-GIVEN_NAME", "B-SURNAME", "I-SURNAME", "B-EMAIL", "L-EMAIL",
                "U-EMAIL",
            ]);
            let spans = decode(&chars, &tokens, &labels);
            for span in &spans {
                proptest::prop_assert!(span.start < span.end && span.end <= chars.len());
                proptest::prop_assert!(span.score.is_finite() && span.score >= labels.threshold);
            }
            let merged = merge_windows(spans);
            for pair in merged.windows(2) {
                proptest::prop_assert!((pair[0].start, pair[0].end) <= (pair[1].start, pair[1].end));
            }
            for span in &merged {
                proptest::prop_assert!(span.start <= span.end && span.end <= chars.len());
            }
        }
    }
}
