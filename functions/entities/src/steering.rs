//! What a request adds to the recognizers and takes away from their
//! findings: its own deny lists and patterns, an allow list, and the
//! countries whose national identifiers run.
//!
//! Everything a request brings is checked and compiled here, before any
//! recognizer runs, so a bad pattern is a 422 naming it and changes nothing.
//! The bounds (counts, lengths, compiled sizes) are `pii_patterns::custom`'s.

use std::collections::HashSet;

use pii_patterns::custom::{
    self, CustomPattern, CustomRecognizer, MAX_CONTEXT_CHARS, MAX_CONTEXT_ENTRIES,
    MAX_DENY_ENTRIES, MAX_DENY_ENTRY_CHARS, MAX_PATTERN_CHARS, MAX_RECOGNIZERS, Pattern,
    PatternError, PreparedText,
};
use serde::{Deserialize, Serialize};
use shared::{ApiError, FieldError, LocPart};

use crate::analyze::{Explanation, Finding};

/// Most entries of an allow list.
pub const MAX_ALLOW_ENTRIES: usize = 1_000;
/// Longest allow-list entry, in characters.
pub const MAX_ALLOW_ENTRY_CHARS: usize = 200;

/// How allow-list entries are compared with a finding's text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AllowListMatch {
    /// The finding's whole text equals an entry, case and all.
    #[default]
    Exact,
    /// The finding's whole text matches an entry, a regular expression (the
    /// `regex` crate's syntax: linear time, no look-around or
    /// back-references; `(?i)` ignores case). Entries count toward the
    /// request's patterns.
    Regex,
}

/// A regular expression of a request recognizer.
#[derive(Debug, Deserialize, Serialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestPattern {
    /// Shown in explanations; defaults to `patterns[<index>]`.
    #[serde(default)]
    #[garde(inner(length(chars, min = 1, max = 64)))]
    #[schema(min_length = 1, max_length = 64)]
    pub name: Option<String>,
    /// A regular expression in the `regex` crate's syntax (linear-time
    /// matching: no look-around, no back-references), up to 500 characters and
    /// a bounded compiled size. Matches as written: add `\b` or `(?i)` as
    /// needed.
    #[garde(length(chars, min = 1, max = MAX_PATTERN_CHARS))]
    #[schema(min_length = 1, max_length = 500)]
    pub regex: String,
    /// Score of its matches, 0 to 1 (context words raise it).
    #[serde(default = "half")]
    #[garde(range(min = 0.0, max = 1.0))]
    #[schema(minimum = 0, maximum = 1, default = 0.5)]
    pub score: f32,
}

fn half() -> f32 {
    0.5
}

fn one() -> f32 {
    1.0
}

/// A recognizer the request brings: a deny list, patterns, or both, all
/// reporting one entity type.
#[derive(Debug, Deserialize, Serialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "type": "EMPLOYEE_ID",
    "patterns": [{"name": "emp", "regex": "\\bEMP-\\d{6}\\b", "score": 0.6}],
    "context": ["employee", "staff"]
}))]
pub struct RequestRecognizer {
    /// The entity type it reports: capital letters, digits and underscores,
    /// starting with a letter, up to 40 characters (e.g. `EMPLOYEE_ID`).
    #[serde(rename = "type")]
    #[garde(skip)]
    #[schema(min_length = 1, max_length = 40, pattern = "^[A-Z][A-Z0-9_]{0,39}$")]
    pub entity_type: String,
    /// Shown as `source` and in explanations; defaults to
    /// `request_recognizer_<index>`.
    #[serde(default)]
    #[garde(inner(length(chars, min = 1, max = 64)))]
    #[schema(min_length = 1, max_length = 64)]
    pub name: Option<String>,
    /// Words or phrases reported wherever they appear as whole words, case
    /// ignored: up to 1,000 entries of up to 100 characters, 20,000
    /// characters over all the request's lists.
    #[serde(default)]
    #[garde(length(max = MAX_DENY_ENTRIES), inner(length(chars, min = 1, max = MAX_DENY_ENTRY_CHARS)))]
    #[schema(schema_with = deny_list_schema)]
    pub deny_list: Vec<String>,
    /// Score of deny-list matches, 0 to 1.
    #[serde(default = "one")]
    #[garde(range(min = 0.0, max = 1.0))]
    #[schema(minimum = 0, maximum = 1, default = 1.0)]
    pub deny_list_score: f32,
    /// Regular expressions; the request may have 16 in all.
    #[serde(default)]
    #[garde(length(max = custom::MAX_PATTERNS), dive)]
    #[schema(max_items = 16)]
    pub patterns: Vec<RequestPattern>,
    /// Words that raise a match's score when near it (the 5 words before or
    /// 2 after): `score + 0.35`, at least 0.4, at most 1.
    #[serde(default)]
    #[garde(length(max = MAX_CONTEXT_ENTRIES), inner(length(chars, min = 1, max = MAX_CONTEXT_CHARS)))]
    #[schema(schema_with = context_schema)]
    pub context: Vec<String>,
}

fn deny_list_schema() -> utoipa::openapi::schema::Schema {
    crate::request::string_list(
        (0, MAX_DENY_ENTRIES),
        (1, MAX_DENY_ENTRY_CHARS),
        false,
        "Words or phrases reported wherever they appear as whole words, case ignored: up to 1,000 entries of up to 100 characters, 20,000 characters over all the request's lists.",
    )
}

fn context_schema() -> utoipa::openapi::schema::Schema {
    crate::request::string_list(
        (0, MAX_CONTEXT_ENTRIES),
        (1, MAX_CONTEXT_CHARS),
        false,
        "Words that raise a match's score when near it (the 5 words before or 2 after): `score + 0.35`, at least 0.4, at most 1.",
    )
}

/// A request's additions and removals, checked and compiled.
#[derive(Debug, Default)]
pub struct Steering {
    recognizers: Vec<CustomRecognizer>,
    allow_exact: HashSet<String>,
    allow_regex: Vec<Pattern>,
    /// Upper-case ISO 3166 codes, or `None` for every country.
    pub countries: Option<Vec<String>>,
}

fn loc(parts: &[LocPart]) -> Vec<LocPart> {
    let mut loc = vec![LocPart::from("body")];
    loc.extend_from_slice(parts);
    loc
}

fn key(k: &str) -> LocPart {
    LocPart::from(k)
}

fn pattern_error(at: Vec<LocPart>, error: &PatternError) -> FieldError {
    let kind = match error {
        PatternError::Syntax(_) => "invalid_pattern",
        PatternError::TooLarge { .. } | PatternError::TooLargeCutToAscii { .. } => {
            "pattern_too_large"
        }
        PatternError::TooDeep { .. } => "pattern_too_deep",
    };
    FieldError::new(at, kind, error.to_string())
}

fn valid_type_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl Steering {
    /// Checks what the request brings against the bounds and compiles it.
    /// Every problem is reported, each at its `loc`.
    pub fn compile(
        recognizers: Option<&[RequestRecognizer]>,
        allow_list: Option<&[String]>,
        allow_list_match: AllowListMatch,
        countries: Option<&[String]>,
    ) -> Result<Self, ApiError> {
        let mut errors = Vec::new();
        let recognizers = recognizers.unwrap_or_default();
        let allow_list = allow_list.unwrap_or_default();
        let allow_patterns = if allow_list_match == AllowListMatch::Regex {
            allow_list.len()
        } else {
            0
        };
        let pattern_count =
            recognizers.iter().map(|r| r.patterns.len()).sum::<usize>() + allow_patterns;
        if pattern_count > custom::MAX_PATTERNS {
            errors.push(FieldError::new(
                loc(&[key("recognizers")]),
                "too_many_patterns",
                format!(
                    "the request has {pattern_count} patterns (its recognizers' and a regex allow list's together); at most {} are allowed",
                    custom::MAX_PATTERNS
                ),
            ));
        }
        if recognizers.len() > MAX_RECOGNIZERS {
            errors.push(FieldError::new(
                loc(&[key("recognizers")]),
                "too_long",
                format!("at most {MAX_RECOGNIZERS} recognizers are allowed"),
            ));
        }
        let deny_chars: usize = recognizers
            .iter()
            .flat_map(|r| &r.deny_list)
            .map(|e| e.chars().count())
            .sum();
        if deny_chars > custom::MAX_DENY_CHARS {
            errors.push(FieldError::new(
                loc(&[key("recognizers")]),
                "deny_lists_too_long",
                format!(
                    "the deny lists have {deny_chars} characters in all; at most {} are allowed",
                    custom::MAX_DENY_CHARS
                ),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        // The request's patterns, then a regex allow list, share one budget.
        let mut budget = custom::CompileBudget::default();

        let mut compiled = Vec::with_capacity(recognizers.len());
        for (i, spec) in recognizers.iter().enumerate() {
            let at = |parts: &[LocPart]| {
                let mut l = vec![key("recognizers"), LocPart::Index(i)];
                l.extend_from_slice(parts);
                loc(&l)
            };
            if !valid_type_name(&spec.entity_type) {
                errors.push(FieldError::new(
                    at(&[key("type")]),
                    "invalid_entity_type",
                    "an entity type is 1 to 40 capital letters, digits and underscores, starting with a letter (e.g. EMPLOYEE_ID)",
                ));
            }
            if spec.deny_list.is_empty() && spec.patterns.is_empty() {
                errors.push(FieldError::new(
                    at(&[]),
                    "empty_recognizer",
                    "a recognizer needs a deny_list or patterns",
                ));
            }
            let mut patterns = Vec::with_capacity(spec.patterns.len());
            for (j, pattern) in spec.patterns.iter().enumerate() {
                match budget.compile(&pattern.regex) {
                    Ok(regex) => patterns.push(CustomPattern {
                        name: pattern
                            .name
                            .clone()
                            .unwrap_or_else(|| format!("patterns[{j}]")),
                        regex,
                        score: pattern.score,
                    }),
                    Err(e) => errors.push(pattern_error(
                        at(&[key("patterns"), LocPart::Index(j), key("regex")]),
                        &e,
                    )),
                }
            }
            let name = spec
                .name
                .clone()
                .unwrap_or_else(|| format!("request_recognizer_{i}"));
            compiled.push(CustomRecognizer::new(
                name,
                spec.entity_type.clone(),
                &spec.deny_list,
                spec.deny_list_score,
                patterns,
                &spec.context,
            ));
        }

        let mut allow_regex = Vec::new();
        let mut allow_exact = HashSet::new();
        match allow_list_match {
            AllowListMatch::Exact => allow_exact.extend(allow_list.iter().cloned()),
            AllowListMatch::Regex => {
                for (i, entry) in allow_list.iter().enumerate() {
                    match budget.compile(&format!("^(?:{entry})$")) {
                        Ok(regex) => allow_regex.push(regex),
                        Err(e) => errors.push(pattern_error(
                            loc(&[key("allow_list"), LocPart::Index(i)]),
                            &e,
                        )),
                    }
                }
            }
        }

        let known = pii_patterns::countries();
        let countries = countries.map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, code)| {
                    let upper = code.to_ascii_uppercase();
                    if known.contains(&upper.as_str()) {
                        Some(upper)
                    } else {
                        errors.push(FieldError::new(
                            loc(&[key("countries"), LocPart::Index(i)]),
                            "unknown_country",
                            format!(
                                "no national identifiers of this country are recognised; known (ISO 3166 alpha-2): {}",
                                known.join(", ")
                            ),
                        ));
                        None
                    }
                })
                .collect()
        });

        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Self {
            recognizers: compiled,
            allow_exact,
            allow_regex,
            countries,
        })
    }

    /// The request recognizers' findings in `text`.
    pub fn findings(&self, text: &str) -> Vec<Finding> {
        // Lowered, indexed and counted once for every recognizer.
        let prepared = PreparedText::new(text);
        self.recognizers
            .iter()
            .flat_map(|r| r.find_in(&prepared))
            .map(|m| Finding {
                start: m.start,
                end: m.end,
                entity_type: m.entity_type.to_owned(),
                score: m.score,
                source: m.recognizer.to_owned(),
                // The caller said so: ranked with the validated patterns.
                validated: true,
                explanation: Explanation {
                    kind: if m.pattern.is_some() {
                        "request_pattern"
                    } else {
                        "deny_list"
                    },
                    recognizer: m.recognizer.to_owned(),
                    pattern: m.pattern.map(str::to_owned),
                    model_types: Vec::new(),
                    rule: None,
                    validation: None,
                    context_word: m.context.map(str::to_owned),
                    raw_score: m.raw_score,
                    score: m.score,
                },
            })
            .collect()
    }

    pub fn has_allow_list(&self) -> bool {
        !self.allow_exact.is_empty() || !self.allow_regex.is_empty()
    }

    /// Whether a finding with this text is allowed (dropped).
    pub fn allows(&self, finding_text: &str) -> bool {
        self.allow_exact.contains(finding_text)
            || self.allow_regex.iter().any(|r| r.is_match(finding_text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recognizer(entity_type: &str, regex: &str) -> RequestRecognizer {
        RequestRecognizer {
            entity_type: entity_type.into(),
            name: None,
            deny_list: vec![],
            deny_list_score: 1.0,
            patterns: vec![RequestPattern {
                name: None,
                regex: regex.into(),
                score: 0.5,
            }],
            context: vec![],
        }
    }

    fn locs(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => errors
                .iter()
                .map(|e| format!("{:?} {}", e.loc, e.kind))
                .collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn bad_patterns_are_named_by_their_loc() {
        let specs = [
            recognizer("EMPLOYEE_ID", r"\bEMP-\d{6}\b"),
            recognizer("x", "(a"),
        ];
        let errors =
            locs(Steering::compile(Some(&specs), None, AllowListMatch::Exact, None).unwrap_err());
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].contains("Index(1), Key(\"type\")")
                && errors[0].ends_with("invalid_entity_type")
        );
        assert!(
            errors[1].contains("Index(1), Key(\"patterns\"), Index(0), Key(\"regex\")")
                && errors[1].ends_with("invalid_pattern")
        );
    }

    #[test]
    fn allow_lists_exact_and_regex() {
        let exact =
            Steering::compile(None, Some(&["Jane".into()]), AllowListMatch::Exact, None).unwrap();
        assert!(exact.allows("Jane") && !exact.allows("jane") && !exact.allows("Jane Doe"));
        let regex = Steering::compile(
            None,
            Some(&["(?i)jane( doe)?".into()]),
            AllowListMatch::Regex,
            None,
        )
        .unwrap();
        assert!(regex.allows("JANE") && regex.allows("jane doe") && !regex.allows("Jane Smith"));
        let bad =
            Steering::compile(None, Some(&["(".into()]), AllowListMatch::Regex, None).unwrap_err();
        assert!(locs(bad)[0].contains("Key(\"allow_list\"), Index(0)"));
    }

    #[test]
    fn countries_are_checked_and_normalised() {
        let ok = Steering::compile(
            None,
            None,
            AllowListMatch::Exact,
            Some(&["gb".into(), "ES".into()]),
        )
        .unwrap();
        assert_eq!(ok.countries, Some(vec!["GB".to_owned(), "ES".to_owned()]));
        let bad = Steering::compile(
            None,
            None,
            AllowListMatch::Exact,
            Some(&["GB".into(), "XX".into()]),
        )
        .unwrap_err();
        assert!(locs(bad)[0].contains("Key(\"countries\"), Index(1)"));
    }

    #[test]
    fn too_many_patterns_is_refused_before_compiling() {
        let specs: Vec<RequestRecognizer> = (0..custom::MAX_PATTERNS + 1)
            .map(|_| recognizer("A", "a"))
            .collect();
        let errors =
            locs(Steering::compile(Some(&specs), None, AllowListMatch::Exact, None).unwrap_err());
        assert!(
            errors.iter().any(|e| e.ends_with("too_many_patterns")),
            "{errors:?}"
        );
    }
}
