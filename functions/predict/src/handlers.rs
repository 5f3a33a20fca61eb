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

#[derive(Debug, Deserialize, garde::Validate)]
#[serde(deny_unknown_fields)]
pub struct PredictRequest {
    /// The last `window` daily closes in USD, oldest first. Omit to forecast
    /// from the latest stored history.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = MAX_CLOSES)))]
    closes: Option<Vec<f64>>,
}

#[derive(Debug, Serialize)]
pub struct Interval {
    pub coverage: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Serialize)]
pub struct PredictResponse {
    pub predicted_close: f64,
    pub last_close: f64,
    pub predicted_log_return: f64,
    pub horizon_days: u32,
    /// Range the next close fell in for `coverage` of held-out days.
    pub interval: Interval,
    pub model_version: String,
    /// `request` or `history`.
    pub input: &'static str,
    /// Date of the last close used, when it came from the stored history.
    #[serde(skip_serializing_if = "Option::is_none")]
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
    let forecast = model.forecast(&closes).map_err(ApiError::internal)?;
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

#[derive(Debug, Serialize)]
pub struct ModelInfo {
    #[serde(flatten)]
    pub meta: ModelMeta,
    pub source: Source,
}

pub async fn model_info(
    State(registry): State<Arc<Registry>>,
) -> Result<Json<ModelInfo>, ApiError> {
    let model = served(&registry).await?;
    Ok(Json(ModelInfo {
        meta: model.meta.clone(),
        source: model.source,
    }))
}
