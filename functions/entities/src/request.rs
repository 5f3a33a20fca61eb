//! The body of `POST /entities`.

use std::collections::BTreeMap;

use serde::Deserialize;
use shared::{ApiError, FieldError, LocPart};

use crate::{
    MAX_TEXT_CHARS,
    anonymize::{Operator, OperatorSpec},
    steering::{AllowListMatch, MAX_ALLOW_ENTRIES, MAX_ALLOW_ENTRY_CHARS, RequestRecognizer},
};

/// Most texts of a batch.
pub const MAX_BATCH_TEXTS: usize = 64;

/// A text to analyse and how to redact what is found.
#[derive(Debug, Deserialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "text": "Call Jane Doe on +44 20 7946 0958 or mail jane@example.com.",
    "operator": "replace"
}))]
#[schema(examples(
    json!({
        "text": "Call Jane Doe on +44 20 7946 0958 or mail jane@example.com.",
        "operator": "replace"
    }),
    json!({
        "texts": ["Jane Doe paid with 4111 1111 1111 1111.", "Refund Jane Doe on 2024-05-01."],
        "operators": {
            "DEFAULT": {"type": "pseudonym"},
            "CREDIT_CARD": {"type": "mask", "masking_char": "*", "chars_to_mask": 12},
            "DATE": {"type": "keep"}
        }
    }),
    json!({
        "text": "Employee EMP-123456 (Acme Corp) asked Jane about NHS number 943 476 5919.",
        "recognizers": [
            {"type": "EMPLOYEE_ID", "name": "employee_ids", "patterns": [{"regex": "\\bEMP-\\d{6}\\b", "score": 0.6}], "context": ["employee"]},
            {"type": "CUSTOMER", "deny_list": ["Acme Corp"]}
        ],
        "allow_list": ["Jane"],
        "countries": ["GB"],
        "explain": true,
        "model_size": "fast"
    }),
    json!({
        "text": "Ticket from Jane Doe (jane@example.com): card 4111 1111 1111 1111 was charged twice.",
        "operators": {
            "DEFAULT": {"type": "encrypt"},
            "PERSON": {"type": "pseudonym", "scope": "deployment"}
        }
    })
))]
pub struct EntitiesRequest {
    /// The text to analyse: 1 to 100,000 characters (Unicode code points).
    /// Send `text` or `texts`, not both.
    #[serde(default)]
    #[garde(inner(length(chars, min = 1, max = MAX_TEXT_CHARS)))]
    #[schema(min_length = 1, max_length = 100_000)]
    pub text: Option<String>,
    /// A batch: up to 64 texts of 1 to 100,000 characters, 100,000 in all,
    /// analysed with the same options; the answer has one result per text,
    /// in order. Pseudonyms are shared across the batch.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = MAX_BATCH_TEXTS), inner(length(chars, min = 1, max = MAX_TEXT_CHARS))))]
    #[schema(schema_with = texts_schema)]
    pub texts: Option<Vec<String>>,
    /// Model size; `GET /entities/models` lists the sizes available and the
    /// packs each runs. `sm`: a word-level student for named entities and
    /// personal data, one pass, no transformer (about a millisecond per 100
    /// words); `lg`: a wider student plus a 6-layer personal-data transformer
    /// (tens of milliseconds per 100 words); `fast`: another name for `sm`,
    /// kept for clients of the release where `sm` ran the transformer.
    #[serde(default = "default_size")]
    #[garde(length(chars, min = 1, max = 16))]
    #[schema(default = "sm", min_length = 1, max_length = 16)]
    pub model_size: String,
    /// Model language; `GET /entities/models` lists the languages available.
    #[serde(default = "default_language")]
    #[garde(length(chars, min = 1, max = 16))]
    #[schema(default = "en", min_length = 1, max_length = 16)]
    pub model_language: String,
    /// Only report these entity types (e.g. `["PERSON", "EMAIL_ADDRESS"]`).
    #[serde(default)]
    #[garde(inner(length(min = 1, max = 64), inner(length(chars, min = 1, max = 40))))]
    #[schema(schema_with = types_schema)]
    pub types: Option<Vec<String>>,
    /// Drop findings scored below this (0 to 1).
    #[serde(default)]
    #[garde(inner(range(min = 0.0, max = 1.0)))]
    #[schema(minimum = 0, maximum = 1)]
    pub score_threshold: Option<f32>,
    /// The operator of every type (with its default parameters), unless
    /// `operators` names one.
    #[serde(default)]
    #[garde(skip)]
    pub operator: Operator,
    /// An operator per entity type, with parameters; `DEFAULT` for the types
    /// not named (else `operator`). E.g. `{"DEFAULT": {"type": "replace"},
    /// "CREDIT_CARD": {"type": "mask", "masking_char": "*", "chars_to_mask":
    /// 12}, "DATE": {"type": "keep"}}`. A key that no recognizer reports, or
    /// a parameter that does not fit its operator, is a 422 naming it (at
    /// most 64 keys).
    #[serde(default)]
    #[garde(inner(length(max = 64)))]
    pub operators: Option<BTreeMap<String, OperatorSpec>>,
    /// Findings whose text is on this list are dropped, whichever recognizer
    /// found them (up to 1,000 entries of up to 200 characters).
    #[serde(default)]
    #[garde(inner(length(max = MAX_ALLOW_ENTRIES), inner(length(chars, min = 1, max = MAX_ALLOW_ENTRY_CHARS))))]
    #[schema(schema_with = allow_list_schema)]
    pub allow_list: Option<Vec<String>>,
    /// How allow-list entries are compared with a finding's whole text.
    #[serde(default)]
    #[garde(skip)]
    pub allow_list_match: AllowListMatch,
    /// The request's own recognizers: deny lists and regular expressions, with
    /// context words (up to 16 recognizers and 16 patterns in all). Their
    /// matches rank with the validated patterns, above model predictions.
    #[serde(default)]
    #[garde(dive)]
    #[schema(max_items = 16)]
    pub recognizers: Option<Vec<RequestRecognizer>>,
    /// Run the national identifiers of these countries only (ISO 3166
    /// alpha-2, e.g. `["GB", "ES"]`); `GET /entities/models` lists them. The
    /// global patterns (e-mail, phone, card, IBAN, IP, URL) always run.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = 32), inner(length(chars, min = 1, max = 8))))]
    #[schema(min_items = 1, max_items = 32)]
    pub countries: Option<Vec<String>>,
    /// Say for each entity which recognizer found it, with which pattern,
    /// model label or validation, and its raw and final scores.
    #[serde(default)]
    #[garde(skip)]
    pub explain: bool,
}

/// A nullable list of strings with bounds, as garde checks them.
pub(crate) fn string_list(
    items: (usize, usize),
    chars: (usize, usize),
    nullable: bool,
    description: &str,
) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let kind = if nullable {
        SchemaType::from_iter([Type::Array, Type::Null])
    } else {
        SchemaType::Type(Type::Array)
    };
    ArrayBuilder::new()
        .schema_type(kind)
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(chars.0))
                .max_length(Some(chars.1)),
        )
        .min_items(Some(items.0))
        .max_items(Some(items.1))
        .description(Some(description))
        .into()
}

fn texts_schema() -> utoipa::openapi::schema::Schema {
    string_list(
        (1, MAX_BATCH_TEXTS),
        (1, MAX_TEXT_CHARS),
        true,
        "A batch: up to 64 texts of 1 to 100,000 characters, 100,000 in all, analysed with the same options; the answer has one result per text, in order. Pseudonyms are shared across the batch. Send `text` or `texts`, not both.",
    )
}

fn allow_list_schema() -> utoipa::openapi::schema::Schema {
    string_list(
        (0, MAX_ALLOW_ENTRIES),
        (1, MAX_ALLOW_ENTRY_CHARS),
        true,
        "Findings whose whole text is on this list are dropped, whichever recognizer found them (up to 1,000 entries of up to 200 characters).",
    )
}

fn types_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(40)),
        )
        .min_items(Some(1))
        .max_items(Some(64))
        .description(Some(
            "Only report these entity types (e.g. `[\"PERSON\", \"EMAIL_ADDRESS\"]`); null or absent for all.",
        ))
        .into()
}

fn default_size() -> String {
    crate::DEFAULT_MODEL_SIZE.into()
}

fn default_language() -> String {
    crate::DEFAULT_MODEL_LANGUAGE.into()
}

impl EntitiesRequest {
    /// The texts to analyse, and whether they came as a batch: exactly one of
    /// `text` and `texts`, at most [`MAX_TEXT_CHARS`] characters in all.
    pub fn take_texts(&mut self) -> Result<(Vec<String>, bool), ApiError> {
        one_or_batch(self.text.take(), self.texts.take(), MAX_TEXT_CHARS)
    }
}

/// Exactly one of `text` and `texts` (as texts, and whether a batch), with at
/// most `max_chars` characters in all: the rule of every route that takes
/// either.
pub(crate) fn one_or_batch(
    text: Option<String>,
    texts: Option<Vec<String>>,
    max_chars: usize,
) -> Result<(Vec<String>, bool), ApiError> {
    let loc = |field: &str| vec![LocPart::from("body"), LocPart::from(field)];
    let (texts, batch) = match (text, texts) {
        (Some(text), None) => (vec![text], false),
        (None, Some(texts)) => (texts, true),
        (Some(_), Some(_)) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                loc("texts"),
                "text_and_texts",
                "send `text` or `texts`, not both",
            )]));
        }
        (None, None) => {
            return Err(ApiError::Validation(vec![FieldError::new(
                loc("text"),
                "missing",
                "`text` (one text) or `texts` (a batch) is required",
            )]));
        }
    };
    let total: usize = texts.iter().map(|t| t.chars().count()).sum();
    if total > max_chars {
        return Err(ApiError::Validation(vec![FieldError::new(
            loc("texts"),
            "too_long",
            format!("the texts have {total} characters in all; at most {max_chars} are allowed"),
        )]));
    }
    Ok((texts, batch))
}
