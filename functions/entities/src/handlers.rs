//! HTTP handlers of the entities function.

use std::sync::Arc;

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use shared::{ApiError, LocPart, ValidJson};

use crate::{
    Catalog, MAX_TEXT_CHARS,
    analyze::{Explanation, Finding, pattern_findings, resolve_overlaps},
    anonymize::{Operator, anonymize},
    catalog::Choice,
    steering::{
        AllowListMatch, MAX_ALLOW_ENTRIES, MAX_ALLOW_ENTRY_CHARS, RequestRecognizer, Steering,
    },
};

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
        "text": "Employee EMP-123456 (Acme Corp) asked Jane about NHS number 943 476 5919.",
        "recognizers": [
            {"type": "EMPLOYEE_ID", "name": "employee_ids", "patterns": [{"regex": "\\bEMP-\\d{6}\\b", "score": 0.6}], "context": ["employee"]},
            {"type": "CUSTOMER", "deny_list": ["Acme Corp"]}
        ],
        "allow_list": ["Jane"],
        "countries": ["GB"],
        "explain": true,
        "model_size": "fast"
    })
))]
pub struct EntitiesRequest {
    /// The text to analyse: 1 to 100,000 characters (Unicode code points).
    #[garde(length(chars, min = 1, max = MAX_TEXT_CHARS))]
    #[schema(min_length = 1, max_length = 100_000)]
    text: String,
    /// Model size; `GET /entities/models` lists the sizes available and the
    /// packs each runs. `sm`: a word-level student for named entities and
    /// personal data plus a 6-layer personal-data transformer (tens of
    /// milliseconds per 100 words); `lg`: the same with a wider student;
    /// `fast`: the `sm` student alone, one pass, no transformer (about a
    /// millisecond per 100 words, somewhat lower personal-data recall).
    #[serde(default = "default_size")]
    #[garde(length(chars, min = 1, max = 16))]
    #[schema(default = "sm", min_length = 1, max_length = 16)]
    model_size: String,
    /// Model language; `GET /entities/models` lists the languages available.
    #[serde(default = "default_language")]
    #[garde(length(chars, min = 1, max = 16))]
    #[schema(default = "en", min_length = 1, max_length = 16)]
    model_language: String,
    /// Only report these entity types (e.g. `["PERSON", "EMAIL_ADDRESS"]`).
    #[serde(default)]
    #[garde(inner(length(min = 1, max = 64), inner(length(chars, min = 1, max = 40))))]
    #[schema(schema_with = types_schema)]
    types: Option<Vec<String>>,
    /// Drop findings scored below this (0 to 1).
    #[serde(default)]
    #[garde(inner(range(min = 0.0, max = 1.0)))]
    #[schema(minimum = 0, maximum = 1)]
    score_threshold: Option<f32>,
    #[serde(default)]
    #[garde(skip)]
    operator: Operator,
    /// Findings whose text is on this list are dropped, whichever recognizer
    /// found them (up to 1,000 entries of up to 200 characters).
    #[serde(default)]
    #[garde(inner(length(max = MAX_ALLOW_ENTRIES), inner(length(chars, min = 1, max = MAX_ALLOW_ENTRY_CHARS))))]
    #[schema(max_items = 1000)]
    allow_list: Option<Vec<String>>,
    /// How allow-list entries are compared with a finding's whole text.
    #[serde(default)]
    #[garde(skip)]
    allow_list_match: AllowListMatch,
    /// The request's own recognizers: deny lists and regular expressions, with
    /// context words (up to 16 recognizers and 16 patterns in all). Their
    /// matches rank with the validated patterns, above model predictions.
    #[serde(default)]
    #[garde(dive)]
    #[schema(max_items = 16)]
    recognizers: Option<Vec<RequestRecognizer>>,
    /// Run the national identifiers of these countries only (ISO 3166
    /// alpha-2, e.g. `["GB", "ES"]`); `GET /entities/models` lists them. The
    /// global patterns (e-mail, phone, card, IBAN, IP, URL) always run.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = 32), inner(length(chars, min = 1, max = 8))))]
    #[schema(min_items = 1, max_items = 32)]
    countries: Option<Vec<String>>,
    /// Say for each entity which recognizer found it, with which pattern,
    /// model label or validation, and its raw and final scores.
    #[serde(default)]
    #[garde(skip)]
    explain: bool,
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

/// What was found and the text with it redacted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntitiesResponse {
    /// Sorted by start; offsets are Unicode code points.
    pub entities: Vec<EntityOut>,
    pub anonymized_text: String,
    pub operator: Operator,
    pub models: Vec<ModelUsed>,
}

/// Find named entities and personal data in a text, and redact them.
///
/// Model findings and validated patterns (emails, phone numbers, cards with a
/// valid Luhn digit, IBANs, US SSNs, IP addresses, URLs) are merged into one
/// span per region: validated pattern matches win over model predictions, then
/// the higher score, then the longer span. Nothing of the text is ever logged.
#[utoipa::path(
    post,
    path = "/entities",
    tag = "entities",
    request_body = EntitiesRequest,
    responses(
        (status = 200, description = "The findings and the redacted text.", body = EntitiesResponse),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn find_entities(
    State(catalog): State<Arc<Catalog>>,
    ValidJson(request): ValidJson<EntitiesRequest>,
) -> Result<Json<EntitiesResponse>, ApiError> {
    let packs = catalog
        .select(&request.model_size, &request.model_language)
        .ok_or_else(|| unknown_choice(&catalog, &request))?;
    let steering = Arc::new(Steering::compile(
        request.recognizers.as_deref(),
        request.allow_list.as_deref(),
        request.allow_list_match,
        request.countries.as_deref(),
    )?);
    let text = Arc::new(request.text);

    let mut candidates = Vec::new();
    let mut models = Vec::new();
    for pack in &packs {
        let classifier = pack.classifier().await.map_err(|_| ApiError::Unavailable {
            retry_after_secs: crate::catalog::RETRY_FAILED_LOAD.as_secs() as u32,
            detail: format!(
                "The model pack {} failed to load; it has been logged.",
                pack.config.name
            ),
        })?;
        let input = Arc::clone(&text);
        let runner = Arc::clone(&classifier);
        let model = pack.config.name.clone();
        // Tokenising and inference are CPU work: off the async executor.
        let spans = tokio::task::spawn_blocking(move || {
            shared::metrics::timed_inference(&model, || runner.classify(&input))
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
        candidates.extend(spans.into_iter().map(|span| Finding {
            start: span.start,
            end: span.end,
            score: span.score,
            source: pack.config.name.clone(),
            validated: false,
            explanation: Explanation {
                kind: "model",
                recognizer: pack.config.name.clone(),
                pattern: None,
                model_types: span.model_types,
                validation: None,
                context_word: None,
                raw_score: span.score,
                score: span.score,
            },
            entity_type: span.entity_type,
        }));
        models.push(ModelUsed {
            name: pack.config.name.clone(),
            version: pack.config.version.clone(),
            role: pack.config.role.clone(),
        });
    }
    let input = Arc::clone(&text);
    let patterns = Arc::clone(&steering);
    candidates.extend(
        tokio::task::spawn_blocking(move || {
            let mut found = pattern_findings(&input, patterns.countries.as_deref());
            found.extend(patterns.findings(&input));
            found
        })
        .await
        .map_err(ApiError::internal)?,
    );

    let threshold = request.score_threshold.unwrap_or(0.0);
    candidates.retain(|f| {
        f.score >= threshold
            && request
                .types
                .as_ref()
                .is_none_or(|types| types.contains(&f.entity_type))
    });
    let chars: Vec<char> = text.chars().collect();
    if steering.has_allow_list() {
        candidates.retain(|f| {
            let found: String = chars[f.start..f.end].iter().collect();
            !steering.allows(&found)
        });
    }
    let findings = resolve_overlaps(candidates);

    let salt = uuid::Uuid::new_v4();
    let anonymized_text = anonymize(&text, &findings, request.operator, salt.as_bytes());
    let entities = findings
        .into_iter()
        .map(|f| EntityOut {
            text: chars[f.start..f.end].iter().collect(),
            start: f.start,
            end: f.end,
            entity_type: f.entity_type,
            score: f.score,
            source: f.source,
            explanation: request.explain.then_some(f.explanation),
        })
        .collect();
    Ok(Json(EntitiesResponse {
        entities,
        anonymized_text,
        operator: request.operator,
        models,
    }))
}

fn unknown_choice(catalog: &Catalog, request: &EntitiesRequest) -> ApiError {
    let available: Vec<String> = catalog
        .choices()
        .iter()
        .map(|c| format!("{}/{}", c.model_size, c.model_language))
        .collect();
    let loc = |field: &str| vec![LocPart::from("body"), LocPart::from(field)];
    let msg = if available.is_empty() {
        "no model pack is installed: only patterns would run, so nothing can be chosen".to_owned()
    } else {
        format!(
            "no model pack has this size and language; available (size/language): {}",
            available.join(", ")
        )
    };
    let field = if catalog
        .choices()
        .iter()
        .any(|c| c.model_language == request.model_language)
    {
        "model_size"
    } else {
        "model_language"
    };
    ApiError::Validation(vec![shared::FieldError::new(
        loc(field),
        "unknown_model",
        msg,
    )])
}

/// A model pack this deployment has.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PackInfo {
    pub name: String,
    pub version: String,
    pub role: String,
    pub model_size: String,
    pub model_language: String,
    pub entity_types: Vec<String>,
    pub model_bytes: u64,
    pub licence: String,
    pub source: String,
    /// Measured quality, as the pack's model card reports it.
    #[schema(value_type = Object)]
    pub quality: serde_json::Value,
    pub loaded: bool,
}

/// A recognizer: a validated pattern or a model pack.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RecognizerInfo {
    pub name: String,
    /// `pattern` or `model`.
    pub kind: &'static str,
    pub entity_types: Vec<String>,
    /// Languages it works in; patterns work in any (`*`).
    pub languages: Vec<String>,
    /// ISO 3166 alpha-2 country of a national identifier (the request's
    /// `countries` chooses them); absent for recognizers of every country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<&'static str>,
    /// The check every match passes; absent for models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub validation: Option<&'static str>,
    /// Score of a match before context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Words that raise the score when near a match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub context: Vec<&'static str>,
    /// Matches are reported only with a context word near them (bare digit
    /// runs whose only evidence is one check digit).
    pub context_required: bool,
}

/// The model packs, the `model_size`/`model_language` choices and every
/// recognizer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModelsResponse {
    pub packs: Vec<PackInfo>,
    pub choices: Vec<Choice>,
    /// The entity types the validated patterns report.
    #[schema(value_type = Vec<String>)]
    pub pattern_recognizers: Vec<&'static str>,
    pub recognizers: Vec<RecognizerInfo>,
}

/// List the model packs and recognizers.
#[utoipa::path(
    get,
    path = "/entities/models",
    tag = "entities",
    responses((status = 200, description = "What this deployment can recognise.", body = ModelsResponse))
)]
pub async fn list_models(State(catalog): State<Arc<Catalog>>) -> Json<ModelsResponse> {
    let packs: Vec<PackInfo> = catalog
        .packs
        .iter()
        .map(|pack| {
            let config = &pack.config;
            let mut types: Vec<String> = config
                .labels
                .iter()
                .filter(|l| *l != "O")
                .map(|l| l.split_once('-').map_or(l.as_str(), |(_, t)| t))
                .map(|t| config.api_type(t).to_owned())
                .collect();
            types.sort();
            types.dedup();
            PackInfo {
                name: config.name.clone(),
                version: config.version.clone(),
                role: config.role.clone(),
                model_size: config.size.clone(),
                model_language: config.language.clone(),
                entity_types: types,
                model_bytes: pack.model_bytes,
                licence: config.licence.clone(),
                source: config.source.clone(),
                quality: config.quality.clone(),
                loaded: pack.is_loaded(),
            }
        })
        .collect();
    let mut recognizers: Vec<RecognizerInfo> = pii_patterns::recognizers()
        .into_iter()
        .map(|r| RecognizerInfo {
            name: r.name.to_owned(),
            kind: "pattern",
            entity_types: vec![r.entity_type.to_owned()],
            languages: vec!["*".to_owned()],
            country: r.country,
            validation: Some(r.validation),
            score: Some(r.score),
            context: r.context.to_vec(),
            context_required: r.context_required,
        })
        .collect();
    recognizers.extend(packs.iter().map(|p| RecognizerInfo {
        name: p.name.clone(),
        kind: "model",
        entity_types: p.entity_types.clone(),
        languages: vec![p.model_language.clone()],
        country: None,
        validation: None,
        score: None,
        context: Vec::new(),
        context_required: false,
    }));
    Json(ModelsResponse {
        packs,
        choices: catalog.choices(),
        pattern_recognizers: pii_patterns::entity_types(),
        recognizers,
    })
}
