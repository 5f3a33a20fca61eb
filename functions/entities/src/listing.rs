//! `GET /entities/models`: the packs, the size/language choices and every
//! recognizer.

use std::sync::Arc;

use axum::{Json, extract::State};
use serde::Serialize;

use crate::{Catalog, Secrets, catalog::Choice};

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
    /// Whether this deployment has a redaction key: keyed pseudonyms
    /// (`scope: deployment`) and `encrypt` are available, and `POST
    /// /entities/restore` can open tokens.
    pub redaction_key: bool,
}

/// List the model packs and recognizers.
#[utoipa::path(
    get,
    path = "/entities/models",
    tag = "entities",
    responses((status = 200, description = "What this deployment can recognise.", body = ModelsResponse))
)]
pub async fn list_models(
    State(catalog): State<Arc<Catalog>>,
    State(secrets): State<Arc<Secrets>>,
) -> Json<ModelsResponse> {
    let packs: Vec<PackInfo> = catalog
        .packs
        .iter()
        .map(|pack| {
            let config = &pack.config;
            PackInfo {
                name: config.name.clone(),
                version: config.version.clone(),
                role: config.role.clone(),
                model_size: config.size.clone(),
                model_language: config.language.clone(),
                entity_types: pack.entity_types(),
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
        redaction_key: secrets.has_key(),
    })
}
