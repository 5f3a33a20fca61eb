//! HTTP handlers of the predict function.

use std::sync::Arc;

use axum::{Json, extract::State};
use btc_api::ModelDescription;
use btc_forecast::{
    LEVELS,
    interval::{self, VOLATILITY_WINDOW},
    series::format_date,
};
use serde::{Deserialize, Serialize};
use shared::{ApiError, FieldError, LocPart, ValidJson};

use crate::{Registry, model::Source};

/// The level of the single interval of the first response format.
pub const DEFAULT_LEVEL: f64 = 0.90;
/// Longest `closes` list accepted, whatever the model's window.
pub const MAX_CLOSES: usize = 366;
/// Most days ahead any request may ask for (the served model's own limit,
/// `max_horizon_days`, is checked after).
pub const MAX_HORIZON_DAYS: u32 = 366;

/// What to forecast from, how far ahead and with which intervals. An empty
/// object forecasts one day ahead from the stored history with a 90 % interval.
#[derive(Debug, Deserialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"horizon_days": 7, "levels": [80, 95]}))]
pub struct PredictRequest {
    /// Daily closes in USD, oldest first: any number from `min_closes` (in
    /// `GET /predict/model`) up; the most recent are used. Omit to forecast
    /// from the latest stored history.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = MAX_CLOSES)))]
    #[schema(schema_with = closes_schema)]
    closes: Option<Vec<f64>>,
    /// Days ahead to forecast, each day one forecast: 1 to the model's
    /// `max_horizon_days` (7). Default 1.
    #[serde(default)]
    #[garde(inner(range(min = 1, max = MAX_HORIZON_DAYS)))]
    #[schema(minimum = 1, maximum = 366, example = 7)]
    horizon_days: Option<u32>,
    /// Central interval levels in percent, each one of the model's `levels`
    /// (50, 80, 90, 95). Default `[90]`.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = 4)))]
    #[schema(min_items = 1, max_items = 4, example = json!([80, 95]))]
    levels: Option<Vec<f64>>,
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
            "Daily closes in USD, oldest first: at least `min_closes` (in `GET /predict/model`); \
             the most recent `window` feed the model and, when at least 31 are sent, the last 31 \
             size the intervals. Omit, or send null, to forecast from the stored history.",
        ))
        .into()
}

/// Where a close is expected to fall, at one level.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LevelInterval {
    /// Nominal level, percent.
    pub level: f64,
    pub low: f64,
    pub high: f64,
    /// Share of back-tested outcomes at this level and horizon that fell
    /// inside an interval sized the same way, on days the calibration never saw.
    pub measured_coverage: f64,
}

/// The forecast of one day ahead.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayForecast {
    /// Days after the last close.
    pub day: u32,
    /// The forecast day, when the closes came from the stored history.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub date: Option<String>,
    pub predicted_close: f64,
    /// Log return from the last close to this day's.
    pub predicted_log_return: f64,
    /// One per requested level, in the order asked.
    pub intervals: Vec<LevelInterval>,
}

/// The interval of the first response format (one day ahead, 90 %).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = PredictionInterval)]
pub struct Interval {
    pub coverage: f64,
    pub low: f64,
    pub high: f64,
}

/// Forecasts of the closes 1 to `horizon_days` days ahead.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PredictResponse {
    /// Days ahead forecast.
    pub horizon_days: u32,
    /// One per day ahead, `day` 1 first.
    pub forecasts: Vec<DayForecast>,
    pub last_close: f64,
    /// How many of the closes (sent or stored) the forecast read.
    pub closes_used: usize,
    /// How the intervals were sized: `volatility` (by the standard deviation
    /// of the last 30 daily log returns) or `unscaled` (fewer than 31 closes).
    #[schema(value_type = String, examples("volatility"))]
    pub interval_scaling: &'static str,
    pub model_version: String,
    /// Where the closes came from: `request` or `history`.
    #[schema(value_type = String, examples("history"))]
    pub input: &'static str,
    /// Date of the last close used, when it came from the stored history.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub as_of: Option<String>,
    /// One day ahead (the first response format, kept for its clients; the
    /// same as `forecasts[0]`).
    pub predicted_close: f64,
    pub predicted_log_return: f64,
    /// The 90 % interval one day ahead (the first response format).
    pub interval: Interval,
}

fn unavailable() -> ApiError {
    ApiError::Unavailable {
        retry_after_secs: 5,
        detail: "No model is loaded right now; retry shortly.".into(),
    }
}

fn loc(parts: &[LocPart]) -> Vec<LocPart> {
    let mut loc = vec![LocPart::from("body")];
    loc.extend_from_slice(parts);
    loc
}

/// Forecast Bitcoin closes 1 to 7 days ahead.
///
/// From the closes sent (any number from the model's `min_closes`, the most
/// recent used), or from the latest stored history when `closes` is omitted.
/// Each day ahead gets a forecast and intervals at the levels asked for, with
/// the coverage each level measured in a rolling-origin back-test.
#[utoipa::path(
    post,
    path = "/predict",
    tag = "predict",
    request_body = PredictRequest,
    responses(
        (status = 200, description = "The forecasts.", body = PredictResponse),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn predict(
    State(registry): State<Arc<Registry>>,
    ValidJson(request): ValidJson<PredictRequest>,
) -> Result<Json<PredictResponse>, ApiError> {
    // One snapshot: the model and the history of the same refresh.
    let snapshot = registry.snapshot();
    let model = snapshot.model.ok_or_else(unavailable)?;
    let meta = &model.meta;
    let mut errors = Vec::new();
    let horizon = request.horizon_days.unwrap_or(1);
    if horizon > meta.max_horizon_days {
        errors.push(FieldError::new(
            loc(&["horizon_days".into()]),
            "value_error",
            format!(
                "this model forecasts at most {} days ahead",
                meta.max_horizon_days
            ),
        ));
    }
    let levels = request
        .levels
        .unwrap_or_else(|| vec![100.0 * DEFAULT_LEVEL]);
    for (index, level) in levels.iter().enumerate() {
        if meta.interval(1, level / 100.0).is_none() {
            errors.push(FieldError::new(
                loc(&["levels".into(), LocPart::Index(index)]),
                "value_error",
                format!("must be one of the calibrated levels {}", percents()),
            ));
        }
    }
    let needed = meta.window.max(VOLATILITY_WINDOW + 1);
    let (closes, input, as_of) = match request.closes {
        Some(closes) => {
            errors.extend(check_closes(&closes, meta.min_closes));
            (closes, "request", None)
        }
        None => {
            let history = snapshot.history;
            if history.len() < meta.min_closes {
                return Err(unavailable());
            }
            let from = history.len() - needed.min(history.len());
            (
                history.closes[from..].to_vec(),
                "history",
                Some(history.end()),
            )
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let closes = &closes[closes.len() - needed.min(closes.len())..];
    let inputs = closes
        .len()
        .checked_sub(meta.window)
        .and_then(|from| closes.get(from..));
    let (Some(&last_close), Some(inputs)) = (closes.last(), inputs) else {
        return Err(unavailable());
    };
    let forecast = shared::metrics::timed_inference(&meta.name, || model.forecast(inputs))
        .map_err(ApiError::internal)?;
    let volatility = interval::volatility(closes);
    let scaled = volatility.is_some();
    // The interval of `calibration` around `log_return`, `day` days ahead, in USD.
    let bounds = |calibration, log_return, day| {
        let (low, high) = interval::interval(calibration, log_return, day, volatility);
        (last_close * low.exp(), last_close * high.exp())
    };
    let no_finite_forecast = || {
        // Extreme inputs can overflow; say so rather than return nonsense.
        ApiError::validation(
            loc(&["closes".into()]),
            "value_error",
            "These closes give no finite forecast; check their magnitude",
        )
    };
    let mut forecasts = Vec::with_capacity(horizon as usize);
    for day in 1..=horizon as usize {
        let (Some(&log_return), Some(&close)) = (
            forecast.log_returns.get(day - 1),
            forecast.closes.get(day - 1),
        ) else {
            return Err(unavailable());
        };
        let mut intervals = Vec::with_capacity(levels.len());
        for level in &levels {
            let Some(calibration) = meta.interval(day, level / 100.0) else {
                return Err(unavailable());
            };
            let (low, high) = bounds(calibration, log_return, day);
            intervals.push(LevelInterval {
                level: *level,
                low,
                high,
                measured_coverage: if scaled {
                    calibration.coverage
                } else {
                    calibration.unscaled_coverage
                },
            });
        }
        let finite = close.is_finite()
            && log_return.is_finite()
            && intervals
                .iter()
                .all(|i| i.low.is_finite() && i.high.is_finite());
        if !finite {
            return Err(no_finite_forecast());
        }
        forecasts.push(DayForecast {
            day: day as u32,
            date: as_of.map(|end| format_date(end + time::Duration::days(day as i64))),
            predicted_close: close,
            predicted_log_return: log_return,
            intervals,
        });
    }
    let (Some(first), Some(first_calibration)) =
        (forecasts.first(), meta.interval(1, DEFAULT_LEVEL))
    else {
        return Err(unavailable());
    };
    let (low, high) = bounds(first_calibration, first.predicted_log_return, 1);
    let interval = Interval {
        coverage: DEFAULT_LEVEL,
        low,
        high,
    };
    if !(interval.low.is_finite() && interval.high.is_finite()) {
        return Err(no_finite_forecast());
    }
    Ok(Json(PredictResponse {
        horizon_days: horizon,
        predicted_close: first.predicted_close,
        predicted_log_return: first.predicted_log_return,
        interval,
        forecasts,
        last_close,
        closes_used: if scaled { closes.len() } else { meta.window },
        interval_scaling: if scaled { "volatility" } else { "unscaled" },
        model_version: meta.version.clone(),
        input,
        as_of: as_of.map(format_date),
    }))
}

/// The calibrated levels as a client writes them, percent.
fn level_percents() -> Vec<f64> {
    LEVELS.iter().map(|l| (100.0 * l).round()).collect()
}

/// The calibrated levels for a message: `50, 80, 90, 95`.
fn percents() -> String {
    level_percents()
        .iter()
        .map(|l| l.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_closes(closes: &[f64], min_closes: usize) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if closes.len() < min_closes {
        errors.push(FieldError::new(
            loc(&["closes".into()]),
            "length_error",
            format!(
                "needs at least {min_closes} daily closes, oldest first (sent {}); 31 or more also size the intervals by recent volatility",
                closes.len()
            ),
        ));
    }
    for (index, close) in closes.iter().enumerate() {
        if !(close.is_finite() && *close > 0.0) {
            errors.push(FieldError::new(
                loc(&["closes".into(), LocPart::Index(index)]),
                "value_error",
                "must be a positive price in USD",
            ));
        }
    }
    errors
}

/// The served model: its metadata, held-out metrics, back-test and baselines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ForecastModel)]
pub struct ModelInfo {
    #[serde(flatten)]
    pub model: ModelDescription,
    pub source: Source,
    /// Most closes a request may send.
    pub max_closes: usize,
    /// The interval levels a request may ask for, percent.
    pub levels: Vec<f64>,
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
    let model = registry.snapshot().model.ok_or_else(unavailable)?;
    Ok(Json(ModelInfo {
        model: ModelDescription::from(&model.meta),
        source: model.source,
        max_closes: MAX_CLOSES,
        levels: level_percents(),
    }))
}
