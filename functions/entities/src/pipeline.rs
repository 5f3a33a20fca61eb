//! One text's analysis, the same for a single text and for each text of a
//! batch: the model packs, the built-in patterns and the request's own
//! recognizers, then the request's filters (types, threshold, allow list)
//! and one finding per region; then the redaction and its residual check.
//!
//! Everything here is CPU work, run on a blocking thread by the handler.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use token_classifier::{ClassifyError, TokenClassifier};

use crate::{
    address,
    analyze::{Explanation, Finding, pattern_findings, resolve_overlaps},
    anonymize::{Operators, Pseudonyms, Writer, anonymize},
    key::RedactionKey,
    response::{EntityOut, Residual, TextResult},
    steering::Steering,
};

/// A pack the request runs, loaded.
pub struct LoadedPack {
    pub name: String,
    pub classifier: Arc<TokenClassifier>,
}

/// What a request asks of every text.
pub struct Options {
    pub packs: Vec<LoadedPack>,
    pub steering: Arc<Steering>,
    pub operators: Operators,
    pub types: Option<Vec<String>>,
    pub threshold: f32,
    pub explain: bool,
    /// The request's random salt, for `hash` without a salt of its own.
    pub salt: [u8; 16],
    /// The deployment's redaction key, when the request's operators need it.
    pub key: Option<RedactionKey>,
}

/// Where one text's time went, and how many tokens the packs read.
#[derive(Debug, Default, Clone, Copy)]
pub struct Cost {
    pub model: Duration,
    pub patterns: Duration,
    pub tokens: usize,
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, other: Self) {
        self.model += other.model;
        self.patterns += other.patterns;
        self.tokens += other.tokens;
    }
}

fn model_findings(
    options: &Options,
    text: &str,
    chars: &[char],
    cost: &mut Cost,
) -> Result<Vec<Finding>, ClassifyError> {
    let mut found = Vec::new();
    for pack in &options.packs {
        let started = Instant::now();
        let (spans, tokens) = shared::metrics::timed_inference(&pack.name, || {
            pack.classifier.classify_counting_tokens(text)
        })?;
        cost.model += started.elapsed();
        cost.tokens += tokens;
        let spans = address::assemble(chars, &pack.classifier.config().language, spans);
        found.extend(spans.into_iter().map(|(span, rule)| Finding {
            start: span.start,
            end: span.end,
            score: span.score,
            source: pack.name.clone(),
            validated: false,
            explanation: Explanation {
                kind: "model",
                recognizer: pack.name.clone(),
                pattern: None,
                model_types: span.model_types,
                rule,
                validation: None,
                context_word: None,
                raw_score: span.score,
                score: span.score,
            },
            entity_type: span.entity_type,
        }));
    }
    Ok(found)
}

/// One text, analysed and redacted. `pseudonyms` is shared by the texts of
/// one request.
pub fn run(
    options: &Options,
    text: &str,
    pseudonyms: &mut Pseudonyms,
) -> Result<(TextResult, Cost), ClassifyError> {
    let mut cost = Cost::default();
    let chars: Vec<char> = text.chars().collect();
    let mut candidates = model_findings(options, text, &chars, &mut cost)?;
    let started = Instant::now();
    let countries = options.steering.countries.as_deref();
    candidates.extend(pattern_findings(text, countries));
    candidates.extend(options.steering.findings(text));
    cost.patterns += started.elapsed();
    candidates.retain(|f| {
        // Every slice below is by these offsets: a recognizer's empty or
        // out-of-range span is dropped here, never indexed.
        f.start < f.end
            && f.end <= chars.len()
            && f.score >= options.threshold
            && options
                .types
                .as_ref()
                .is_none_or(|types| types.contains(&f.entity_type))
    });
    if options.steering.has_allow_list() {
        candidates.retain(|f| {
            let found: String = chars[f.start..f.end].iter().collect();
            !options.steering.allows(&found)
        });
    }
    let findings = resolve_overlaps(candidates);
    let mut writer = Writer {
        salt: &options.salt,
        pseudonyms,
        key: options.key.as_ref(),
    };
    let anonymized_text = anonymize(text, &findings, &options.operators, &mut writer);

    let started = Instant::now();
    let countries: Option<Vec<&str>> = countries.map(|c| c.iter().map(String::as_str).collect());
    let left = pii_patterns::find(&anonymized_text, countries.as_deref());
    cost.patterns += started.elapsed();
    let mut types: Vec<String> = left.iter().map(|m| m.entity_type.to_owned()).collect();
    types.sort();
    types.dedup();
    let residual = Residual {
        pattern_matches: left.len(),
        types,
    };

    let entities = findings
        .into_iter()
        .map(|f| EntityOut {
            text: chars[f.start..f.end].iter().collect(),
            start: f.start,
            end: f.end,
            entity_type: f.entity_type,
            score: f.score,
            source: f.source,
            explanation: options.explain.then_some(f.explanation),
        })
        .collect();
    Ok((
        TextResult {
            entities,
            anonymized_text,
            residual,
        },
        cost,
    ))
}
