//! HTTP handlers of the predict function.

use std::sync::Arc;

use axum::{Json, extract::State};
use btc_model::{ModelMeta, series::format_date};
use serde::{Deserialize, Serialize};
use shared::{ApiError, FieldError, LocPart, ValidJson};

use crate::{
    Registry,
    model::{LoadedModel, Source},
};

/// Longest `closes` list accepted, whatever the model's window.
pub const MAX_CLOSES: usize = 366;

/// What to forecast from. An empty object forecasts from the stored history.
#[derive(Debug, Deserialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({}))]
pub struct PredictRequest {
    /// The last `window` daily closes in USD, oldest first (`window` is in
    /// `GET /predict/model`). Omit to forecast from the latest stored history.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = MAX_CLOSES)))]
    #[schema(schema_with = closes_schema)]
    closes: Option<Vec<f64>>,
}

fn closes_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0)),
        )
        .min_items(Some(1))
        .max_items(Some(MAX_CLOSES))
        .description(Some(
            "The last `window` daily closes in USD, oldest first (`window` is in \
             `GET /predict/model`). Omit, or send null, to forecast from the stored history.",
        ))
        .into()
}

/// Where the next close is expected to fall.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PredictionInterval)]
pub struct Interval {
    pub coverage: f64,
    pub low: f64,
    pub high: f64,
}

/// A forecast of the next daily close.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PredictResponse {
    pub predicted_close: f64,
    pub last_close: f64,
    pub predicted_log_return: f64,
    pub horizon_days: u32,
    /// Range the next close fell in for `coverage` of held-out days.
    pub interval: Interval,
    pub model_version: String,
    /// Where the closes came from: `request` or `history`.
    #[schema(value_type = String, examples("history"))]
    pub input: &'static str,
    /// Date of the last close used, when it came from the stored history.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub as_of: Option<String>,
}

fn unavailable() -> ApiError {
    ApiError::Unavailable {
        retry_after_secs: 5,
        detail: "No model is loaded right now; retry shortly.".into(),
    }
}

async fn served(registry: &Registry) -> Result<Arc<LoadedModel>, ApiError> {
    registry.model().await.ok_or_else(unavailable)
}

/// Forecast tomorrow's Bitcoin close.
///
/// From the closes sent, or from the latest stored history when the body is
/// `{}`. The answer carries the model version and a prediction interval whose
/// coverage was measured on held-out days.
#[utoipa::path(
    post,
    path = "/predict",
    tag = "predict",
    request_body = PredictRequest,
    responses(
        (status = 200, description = "The forecast.", body = PredictResponse),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn predict(
    State(registry): State<Arc<Registry>>,
    ValidJson(request): ValidJson<PredictRequest>,
) -> Result<Json<PredictResponse>, ApiError> {
    let model = served(&registry).await?;
    let window = model.meta.window;
    let (closes, input, as_of) = match request.closes {
        Some(closes) => {
            check_closes(&closes, window)?;
            (closes, "request", None)
        }
        None => {
            let history = registry.history().await;
            if history.len() < window {
                return Err(unavailable());
            }
            let closes = history.closes[history.len() - window..].to_vec();
            (closes, "history", Some(format_date(history.end())))
        }
    };
    let forecast = shared::metrics::timed_inference(&model.meta.name, || model.forecast(&closes))
        .map_err(ApiError::internal)?;
    if !(forecast.log_return.is_finite() && forecast.next_close.is_finite()) {
        // Extreme inputs can overflow; say so rather than return nonsense.
        return Err(ApiError::validation(
            vec!["body".into(), "closes".into()],
            "value_error",
            "These closes give no finite forecast; check their magnitude",
        ));
    }
    let last_close = closes[window - 1];
    let interval = &model.meta.interval;
    Ok(Json(PredictResponse {
        predicted_close: forecast.next_close,
        last_close,
        predicted_log_return: forecast.log_return,
        horizon_days: model.meta.horizon_days,
        interval: Interval {
            coverage: interval.coverage,
            low: last_close * (forecast.log_return + interval.low_log_return).exp(),
            high: last_close * (forecast.log_return + interval.high_log_return).exp(),
        },
        model_version: model.meta.version.clone(),
        input,
        as_of,
    }))
}

fn check_closes(closes: &[f64], window: usize) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if closes.len() != window {
        errors.push(FieldError::new(
            vec!["body".into(), "closes".into()],
            "length_error",
            format!("must hold exactly {window} daily closes (the model's window), oldest first"),
        ));
    }
    for (index, close) in closes.iter().enumerate() {
        if !(close.is_finite() && *close > 0.0) {
            errors.push(FieldError::new(
                vec!["body".into(), "closes".into(), LocPart::Index(index)],
                "value_error",
                "must be a positive price in USD",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The served model: its metadata, held-out metrics and baselines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ForecastModel)]
pub struct ModelInfo {
    #[serde(flatten)]
    pub meta: ModelMeta,
    pub source: Source,
}

/// Describe the served forecasting model.
#[utoipa::path(
    get,
    path = "/predict/model",
    tag = "predict",
    responses(
        (status = 200, description = "The model.", body = ModelInfo),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn model_info(
    State(registry): State<Arc<Registry>>,
) -> Result<Json<ModelInfo>, ApiError> {
    let model = served(&registry).await?;
    Ok(Json(ModelInfo {
        meta: model.meta.clone(),
        source: model.source,
    }))
}
