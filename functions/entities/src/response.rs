//! The answer of `POST /entities`.

use serde::Serialize;

use crate::{analyze::Explanation, anonymize::Operator};

/// One finding. Offsets count Unicode code points, as Python and spaCy do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntityOut {
    /// First code point of the entity.
    pub start: usize,
    /// One past its last code point.
    pub end: usize,
    /// The entity type, e.g. `PERSON` or `EMAIL_ADDRESS`.
    #[serde(rename = "type")]
    pub entity_type: String,
    /// `text[start..end]` of the request.
    pub text: String,
    /// Confidence from 0 to 1 (validated patterns score 1 or close to it).
    #[schema(minimum = 0, maximum = 1)]
    pub score: f32,
    /// The recognizer: a model pack's, a pattern recognizer's or a request
    /// recognizer's name.
    pub source: String,
    /// Why it was found; present when the request has `explain: true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// A model that took part in the answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelUsed {
    pub name: String,
    pub version: String,
    pub role: String,
}

/// The findings of one text and the text with them redacted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TextResult {
    /// Sorted by start; offsets are Unicode code points.
    pub entities: Vec<EntityOut>,
    pub anonymized_text: String,
    pub residual: Residual,
}

/// The residual check: the validated patterns run again over
/// `anonymized_text`. Anything they find there is still readable (an
/// operator such as `keep`, or a mask that leaves enough digits, can leave
/// it); zero is the goal.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Residual {
    /// Validated pattern matches left in `anonymized_text`.
    pub pattern_matches: usize,
    /// Their types, sorted, each once.
    pub types: Vec<String>,
}

/// What the request cost.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Usage {
    pub texts: usize,
    /// Characters (Unicode code points) analysed.
    pub characters: usize,
    /// Tokens the model packs read, summed over packs.
    pub tokens: usize,
    /// Milliseconds in the model packs.
    pub model_ms: f64,
    /// Milliseconds in the pattern recognizers (built-in and the request's).
    pub pattern_ms: f64,
    /// Milliseconds from the parsed request to the answer.
    pub total_ms: f64,
}

/// What every answer carries besides its findings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// The shorthand operator of the request (`operators` may override it).
    pub operator: Operator,
    /// Present when an operator writes pseudonyms: `request` (numbers are
    /// consistent within this request and its batch, never across requests),
    /// `deployment` (keyed: the same in every request while the key stays),
    /// or `mixed` when types use different scopes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pseudonym_scope: Option<&'static str>,
    /// The public id of the redaction key, when keyed pseudonyms or
    /// `encrypt` were used: it changes when the key is rotated (earlier
    /// pseudonyms then no longer match, earlier tokens no longer open).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    pub models: Vec<ModelUsed>,
    pub usage: Usage,
}

/// The answer to one `text`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntitiesResponse {
    #[serde(flatten)]
    pub result: TextResult,
    #[serde(flatten)]
    pub receipt: Receipt,
}

/// The answer to a batch (`texts`): one result per text, in order.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchResponse {
    pub results: Vec<TextResult>,
    #[serde(flatten)]
    pub receipt: Receipt,
}

/// One text's answer or a batch's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum EntitiesAnswer {
    One(EntitiesResponse),
    Batch(BatchResponse),
}
