//! Finding entities: every recognizer's candidates, then one span per region.
//!
//! Overlap rule: candidates are ranked by (1) validated pattern matches and
//! the request's own recognizers before model predictions, since a checksum,
//! a numbering-plan check or the caller's explicit rule is stronger evidence
//! than a score; (2) higher score; (3) longer span; (4) earlier start.
//! Going down that ranking, a candidate is kept when it overlaps nothing kept
//! so far. The result is sorted by start and free of overlaps.

use serde::Serialize;

/// A found entity; offsets are code points into the request text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub start: usize,
    pub end: usize,
    #[serde(rename = "type")]
    pub entity_type: String,
    pub score: f32,
    /// Which recognizer found it: a pattern recognizer or a model pack.
    pub source: String,
    #[serde(skip)]
    pub validated: bool,
    #[serde(skip)]
    pub explanation: Explanation,
}

/// Why an entity was reported (`explain: true`). Never logged: it is about
/// the request's text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    /// `pattern` (a built-in validated pattern), `model` (a model pack),
    /// `request_pattern` or `deny_list` (the request's own recognizers).
    pub kind: &'static str,
    /// The recognizer's name: a pattern recognizer, a pack, or the request
    /// recognizer's `name`.
    pub recognizer: String,
    /// The request pattern's name, for `request_pattern`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The model's own label types the entity is made of (`GIVEN_NAME`,
    /// `SURNAME` for one PERSON), for `model`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub model_types: Vec<String>,
    /// The rule that joined or retyped the model's pieces, for `model`:
    /// `house number + street` or `street line` (a street address the model
    /// tagged as a number and a place, or as a place).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The check the match passed, for `pattern` (e.g. `Luhn check digit,
    /// issuer range and length`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<String>,
    /// The context entry found near the match, which raised its score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context_word: Option<String>,
    /// The recognizer's score before context.
    #[schema(minimum = 0, maximum = 1)]
    pub raw_score: f32,
    /// The score reported.
    #[schema(minimum = 0, maximum = 1)]
    pub score: f32,
}

/// The built-in pattern recognizers' findings: the global ones and the
/// national identifiers of `countries` (`None`: all).
pub fn pattern_findings(text: &str, countries: Option<&[String]>) -> Vec<Finding> {
    let countries: Option<Vec<&str>> = countries.map(|c| c.iter().map(String::as_str).collect());
    pii_patterns::find(text, countries.as_deref())
        .into_iter()
        .map(|m| Finding {
            start: m.start,
            end: m.end,
            entity_type: m.entity_type.to_owned(),
            score: m.score,
            source: m.recognizer.to_owned(),
            validated: true,
            explanation: Explanation {
                kind: "pattern",
                recognizer: m.recognizer.to_owned(),
                pattern: None,
                model_types: Vec::new(),
                rule: None,
                validation: Some(m.validation.to_owned()),
                context_word: m.context.map(str::to_owned),
                raw_score: m.raw_score,
                score: m.score,
            },
        })
        .collect()
}

/// Keeps one finding per region, by the rule above.
pub fn resolve_overlaps(mut candidates: Vec<Finding>) -> Vec<Finding> {
    candidates.sort_by(|a, b| {
        b.validated
            .cmp(&a.validated)
            .then(b.score.total_cmp(&a.score))
            .then(
                b.end
                    .saturating_sub(b.start)
                    .cmp(&a.end.saturating_sub(a.start)),
            )
            .then(a.start.cmp(&b.start))
            .then(a.entity_type.cmp(&b.entity_type))
    });
    let mut kept: Vec<Finding> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        if candidate.start >= candidate.end {
            continue;
        }
        // `kept` stays sorted by start, so only the neighbours can overlap.
        let at = kept.partition_point(|k| k.start < candidate.start);
        let overlaps_before = at > 0 && kept[at - 1].end > candidate.start;
        let overlaps_after = kept.get(at).is_some_and(|k| k.start < candidate.end);
        if !overlaps_before && !overlaps_after {
            kept.insert(at, candidate);
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(start: usize, end: usize, kind: &str, score: f32, validated: bool) -> Finding {
        Finding {
            start,
            end,
            entity_type: kind.into(),
            score,
            source: "t".into(),
            validated,
            explanation: Explanation::default(),
        }
    }

    #[test]
    fn validated_patterns_win_then_score_then_length() {
        let kept = resolve_overlaps(vec![
            finding(0, 10, "PERSON", 0.99, false),
            finding(2, 8, "EMAIL_ADDRESS", 0.5, true),
            finding(20, 25, "LOCATION", 0.6, false),
            finding(20, 30, "STREET_ADDRESS", 0.9, false),
            finding(40, 45, "A", 0.7, false),
            finding(40, 48, "B", 0.7, false),
        ]);
        let kinds: Vec<&str> = kept.iter().map(|f| f.entity_type.as_str()).collect();
        assert_eq!(kinds, ["EMAIL_ADDRESS", "STREET_ADDRESS", "B"]);
    }

    #[test]
    fn touching_spans_do_not_overlap() {
        let kept = resolve_overlaps(vec![
            finding(0, 5, "A", 0.9, false),
            finding(5, 9, "B", 0.9, false),
        ]);
        assert_eq!(kept.len(), 2);
    }
}
