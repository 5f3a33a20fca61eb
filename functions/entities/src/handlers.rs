//! The `POST /entities` handler: parse, check, run the pipeline off the
//! async executor, answer with the findings, the cost and `Server-Timing`.

use std::{sync::Arc, time::Instant};

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, header::HeaderName},
    response::IntoResponse,
};
use shared::{ApiError, FieldError, LocPart, ValidJson};

use crate::{
    Catalog, Secrets,
    anonymize::{OperatorError, Operators, PseudonymScope, Pseudonyms},
    pipeline::{self, Cost, LoadedPack, Options},
    request::EntitiesRequest,
    response::{BatchResponse, EntitiesAnswer, EntitiesResponse, ModelUsed, Receipt, Usage},
    steering::Steering,
    steering_cache::SteeringCache,
};

/// The request's recognizers, allow list and countries, compiled, or taken
/// from the cache when an earlier request brought the same ones.
fn steering(cache: &SteeringCache, request: &EntitiesRequest) -> Result<Arc<Steering>, ApiError> {
    let compile = || {
        Steering::compile(
            request.recognizers.as_deref(),
            request.allow_list.as_deref(),
            request.allow_list_match,
            request.countries.as_deref(),
        )
    };
    if request.recognizers.is_none() && request.allow_list.is_none() {
        // Nothing to compile: a country filter alone is a list lookup.
        return compile().map(Arc::new);
    }
    let key = serde_json::to_string(&(
        &request.recognizers,
        &request.allow_list,
        request.allow_list_match,
        &request.countries,
    ))
    .map_err(ApiError::internal)?;
    cache.get_or_compile(key, compile)
}

/// A failed model run as a 500 whose logged source names only what failed:
/// a tokenizer's or a model's own message may quote the request's text.
fn classify_failed(error: token_classifier::ClassifyError) -> ApiError {
    let what = match error {
        token_classifier::ClassifyError::Tokenizer(_) => "the tokenizer failed on a request text",
        token_classifier::ClassifyError::Model(_) => "a model run failed on a request text",
    };
    ApiError::internal(std::io::Error::other(what))
}

/// Find named entities and personal data in a text (or a batch), and redact them.
///
/// Model findings, validated patterns (emails, phone numbers, cards with a
/// valid Luhn digit, IBANs, US SSNs, national identifiers, IP addresses,
/// URLs) and the request's own recognizers are merged into one span per
/// region: validated pattern matches and the request's recognizers win over
/// model predictions, then the higher score, then the longer span. Each type
/// is redacted by its operator. Nothing of the text is ever logged.
#[utoipa::path(
    post,
    path = "/entities",
    tag = "entities",
    request_body = EntitiesRequest,
    responses(
        (status = 200, description = "The findings and the redacted text (with `texts`, one result per text).", body = EntitiesAnswer,
         headers(("Server-Timing" = String, description = "Where the time went: `model`, `patterns` and `total`, in ms."))),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn find_entities(
    State(catalog): State<Arc<Catalog>>,
    State(secrets): State<Arc<Secrets>>,
    State(compiled): State<Arc<SteeringCache>>,
    ValidJson(mut request): ValidJson<EntitiesRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let started = Instant::now();
    let (texts, batch) = request.take_texts()?;
    let packs = catalog
        .select(&request.model_size, &request.model_language)
        .ok_or_else(|| unknown_choice(&catalog, &request))?;
    let steering = steering(&compiled, &request)?;
    let own_types: Vec<String> = request
        .recognizers
        .iter()
        .flatten()
        .map(|r| r.entity_type.clone())
        .collect();
    let known = |t: &str| {
        pii_patterns::entity_types().contains(&t)
            || packs.iter().any(|p| p.reports(t))
            || own_types.iter().any(|o| o == t)
    };
    let operators = Operators::new(
        request.operator,
        request.operators.as_ref(),
        &known,
        secrets.has_key(),
    )
    .map_err(operator_errors)?;
    let key = if operators.needs_key() {
        secrets.key().await?.cloned()
    } else {
        None
    };

    let mut loaded = Vec::with_capacity(packs.len());
    let mut models = Vec::with_capacity(packs.len());
    for pack in &packs {
        let classifier = pack.classifier().await.map_err(|_| ApiError::Unavailable {
            retry_after_secs: crate::catalog::RETRY_FAILED_LOAD.as_secs() as u32,
            detail: format!(
                "The model pack {} failed to load; it has been logged.",
                pack.config.name
            ),
        })?;
        loaded.push(LoadedPack {
            name: pack.config.name.clone(),
            classifier,
        });
        models.push(ModelUsed {
            name: pack.config.name.clone(),
            version: pack.config.version.clone(),
            role: pack.config.role.clone(),
        });
    }
    let pseudonym_scope = match operators.pseudonym_scopes().as_slice() {
        [] => None,
        [PseudonymScope::Request] => Some("request"),
        [PseudonymScope::Deployment] => Some("deployment"),
        _ => Some("mixed"),
    };
    let key_id = key.as_ref().map(crate::key::RedactionKey::id);
    let options = Options {
        packs: loaded,
        steering,
        operators,
        types: request.types.take(),
        threshold: request.score_threshold.unwrap_or(0.0),
        explain: request.explain,
        salt: *uuid::Uuid::new_v4().as_bytes(),
        key,
    };
    let characters = texts.iter().map(|t| t.chars().count()).sum();
    let count = texts.len();
    // Tokenising, inference and matching run right here, on the runtime's
    // one thread (main.rs): Lambda hands an instance one invocation at a
    // time, so there is nothing else for the thread to do meanwhile, and
    // moving the work to a blocking thread and back cost about a quarter of
    // a 15-token request (BENCHMARKS.md). A panic is still caught here.
    let (results, cost) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let mut pseudonyms = Pseudonyms::default();
        let mut total = Cost::default();
        let mut results = Vec::with_capacity(texts.len());
        for text in &texts {
            let (result, cost) = pipeline::run(&options, text, &mut pseudonyms)?;
            total += cost;
            results.push(result);
        }
        Ok::<_, token_classifier::ClassifyError>((results, total))
    }))
    // A panic's message may quote the text it was slicing: log only the fact.
    .map_err(|_| ApiError::internal(std::io::Error::other("the analysis task panicked")))?
    .map_err(classify_failed)?;

    let ms = |d: std::time::Duration| (d.as_secs_f64() * 1e6).round() / 1e3;
    let usage = Usage {
        texts: count,
        characters,
        tokens: cost.tokens,
        model_ms: ms(cost.model),
        pattern_ms: ms(cost.patterns),
        total_ms: ms(started.elapsed()),
    };
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "model;dur={}, patterns;dur={}, total;dur={}",
        usage.model_ms, usage.pattern_ms, usage.total_ms
    )) {
        headers.insert(HeaderName::from_static("server-timing"), value);
    }
    let receipt = Receipt {
        operator: request.operator,
        pseudonym_scope,
        key_id,
        models,
        usage,
    };
    let answer = if batch {
        EntitiesAnswer::Batch(BatchResponse { results, receipt })
    } else {
        // One text in, one result out.
        let Some(result) = results.into_iter().next() else {
            return Err(ApiError::internal(std::io::Error::other(
                "a single text gave no result",
            )));
        };
        EntitiesAnswer::One(EntitiesResponse { result, receipt })
    };
    Ok((headers, Json(answer)))
}

fn operator_errors(errors: Vec<OperatorError>) -> ApiError {
    ApiError::Validation(
        errors
            .into_iter()
            .map(|e| {
                if e.key.is_empty() {
                    // The shorthand `operator` itself.
                    let loc = vec![LocPart::from("body"), LocPart::from("operator")];
                    return FieldError::new(loc, "operator_unavailable", e.reason);
                }
                let mut loc = vec![LocPart::from("body"), LocPart::from("operators")];
                loc.push(LocPart::client_key(&e.key));
                if !e.parameter.is_empty() {
                    loc.push(LocPart::from(e.parameter));
                }
                let kind = if e.parameter.is_empty() {
                    "unknown_entity_type"
                } else {
                    "invalid_operator_parameter"
                };
                FieldError::new(loc, kind, e.reason)
            })
            .collect(),
    )
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
    ApiError::Validation(vec![FieldError::new(loc(field), "unknown_model", msg)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_model_run_logs_nothing_of_the_text() {
        for error in [
            token_classifier::ClassifyError::Tokenizer("cannot split 'Jane Doe'".into()),
            token_classifier::ClassifyError::Model("shape of 'Jane Doe'".into()),
        ] {
            let ApiError::Internal(source) = classify_failed(error) else {
                panic!("not an internal error");
            };
            assert!(!source.to_string().contains("Jane"), "{source}");
        }
    }
}
