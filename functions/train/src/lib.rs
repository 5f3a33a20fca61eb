//! The train function: `POST /train` (bearer token) accepts new daily closes,
//! stores them, re-fits the model with the served model's hyper-parameters and
//! publishes the result, unless it is worse than the served model on the last
//! year of data.
//!
//! Predictions are never blocked: this function only writes a new version and
//! then moves the `current` pointer with a compare-and-set; the predict function
//! picks the new version up on its next refresh.

use std::{path::PathBuf, sync::Arc};

use axum::{Json, Router, extract::State, http::StatusCode};
use btc_api::{Backtest, Baselines, DateRange, Metrics};
use btc_forecast::{
    DailySeries, ModelMeta,
    series::{SeriesError, parse_date},
};
use btc_store::{BtcStore, StoreError};
use btc_training::pipeline::{self, RefitError};
use serde::{Deserialize, Serialize};
use shared::{
    ApiError, FieldError, LocPart, ValidJson,
    auth::{Authorized, BearerToken, HasBearerToken},
    config::{ConfigError, Env, optional_url, or_default, required},
};
use utoipa_axum::{router::OpenApiRouter, routes};

/// Most rows one request may post (ten years of days).
pub const MAX_ROWS: usize = 3660;

#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of model packs (`MODEL_DIR`); the bundled model is `<MODEL_DIR>/btc`.
    pub model_dir: PathBuf,
    /// Table of published models and posted closes (`BTC_TABLE`).
    pub table: String,
    pub dynamodb_endpoint: Option<String>,
    /// Create the table when missing (`BTC_CREATE_TABLE`, local servers only).
    pub create_table: bool,
    /// Where the token the route requires comes from (`API_TOKEN` or
    /// `API_TOKEN_SECRET_ARN`).
    pub api_token: api_token::TokenSource,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            model_dir: or_default(env, "MODEL_DIR", PathBuf::from("/opt/models"))?,
            table: required(env, "BTC_TABLE")?,
            dynamodb_endpoint: optional_url(env, "DYNAMODB_ENDPOINT")?,
            create_table: or_default(env, "BTC_CREATE_TABLE", false)?,
            api_token: api_token::TokenSource::from_env(env)?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("bundled model metadata {path}: {reason}")]
    Bundled { path: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Token(#[from] api_token::TokenError),
}

pub struct AppState {
    store: BtcStore,
    token: BearerToken,
    /// The bundled model's metadata: the reference until a version is published.
    bundled: ModelMeta,
    bundled_history: DailySeries,
}

impl AppState {
    pub fn new(store: BtcStore, token: BearerToken, bundled: ModelMeta) -> Self {
        let bundled_history = btc_forecast::bundled_history();
        Self {
            store,
            token,
            bundled,
            bundled_history,
        }
    }
}

impl HasBearerToken for AppState {
    fn bearer_token(&self) -> &BearerToken {
        &self.token
    }
}

/// Cold-start work: read the bundled metadata, connect the store.
pub async fn state_from_config(config: &Config) -> Result<AppState, InitError> {
    let path = config.model_dir.join("btc/config.json");
    let bundled: ModelMeta = std::fs::read(&path)
        .map_err(|e| e.to_string())
        .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
        .map_err(|reason| InitError::Bundled {
            path: path.display().to_string(),
            reason,
        })?;
    let token = config.api_token.resolve(None).await?;
    let store = BtcStore::connect(config.dynamodb_endpoint.as_deref(), &config.table).await;
    if config.create_table {
        store.ensure_table().await?;
    }
    Ok(AppState::new(store, token, bundled))
}

/// The routes with their OpenAPI operations, from one list: a handler is
/// served exactly when its `#[utoipa::path]` is in the document.
fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(train))
}

pub fn router(state: Arc<AppState>) -> Router {
    routes().with_state(state).into()
}

/// This function's part of the API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

#[derive(Debug, Deserialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"closes": [{"date": "2026-11-28", "close": 91234.5}]}))]
pub struct TrainRequest {
    /// New daily closes; days already known must repeat the known close, new
    /// days must follow the last known day without a gap.
    #[garde(length(min = 1, max = MAX_ROWS), dive)]
    #[schema(min_items = 1, max_items = 3660)]
    closes: Vec<CloseRow>,
}

/// One day's close.
#[derive(Debug, Deserialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseRow {
    /// `YYYY-MM-DD`.
    #[garde(length(min = 10, max = 10))]
    #[schema(format = Date, min_length = 10, max_length = 10)]
    date: String,
    /// USD.
    #[garde(skip)]
    #[schema(exclusive_minimum = 0)]
    close: f64,
}

/// The published model version and how it compares.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrainResponse {
    pub version: String,
    pub previous_version: String,
    pub rows_received: usize,
    pub rows_added: usize,
    pub fitted_on: DateRange,
    pub evaluated_on: DateRange,
    pub metrics: Metrics,
    pub baselines: Baselines,
    /// Held-out error of the model that was served before, on the same days.
    pub previous_mae_usd: f64,
    /// The new model's rolling-origin back-test: every horizon and interval
    /// level, calibrated before the held-out year and measured on it.
    pub backtest: Backtest,
}

fn map_store(err: StoreError) -> ApiError {
    match err {
        StoreError::Unavailable(reason) => ApiError::store_unavailable("model", &reason),
        other => ApiError::internal(other),
    }
}

fn row_error(index: usize, field: &str, kind: &str, msg: String) -> ApiError {
    ApiError::Validation(vec![FieldError::new(
        vec![
            "body".into(),
            "closes".into(),
            LocPart::Index(index),
            field.into(),
        ],
        kind,
        msg,
    )])
}

/// Add daily closes and re-fit the forecasting model.
///
/// The closes are stored first. The model is then re-fitted with the served
/// model's hyper-parameters and published only if it is no worse than the
/// served one on the last year of data (else 409, closes kept). The predict
/// function serves the new version within its refresh interval.
#[utoipa::path(
    post,
    path = "/train",
    tag = "predict",
    security(("bearer" = [])),
    request_body = TrainRequest,
    responses(
        (status = 201, description = "A new model version is published.", body = TrainResponse),
        (status = 409, response = shared::openapi::Conflict),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
async fn train(
    State(state): State<Arc<AppState>>,
    _auth: Authorized,
    ValidJson(request): ValidJson<TrainRequest>,
) -> Result<(StatusCode, Json<TrainResponse>), ApiError> {
    // Parse every row, reporting every bad one.
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(request.closes.len());
    for (index, row) in request.closes.iter().enumerate() {
        let loc = |field: &str| {
            vec![
                LocPart::from("body"),
                "closes".into(),
                LocPart::Index(index),
                field.into(),
            ]
        };
        let date = parse_date(&row.date);
        if date.is_none() {
            errors.push(FieldError::new(
                loc("date"),
                "value_error",
                "must be a date like 2026-06-04",
            ));
        }
        if !(row.close.is_finite() && row.close > 0.0) {
            errors.push(FieldError::new(
                loc("close"),
                "value_error",
                "must be a positive price in USD",
            ));
        }
        if let Some(date) = date {
            rows.push((date, row.close));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }

    let stored = state.store.prices().await.map_err(map_store)?;
    let history = state
        .bundled_history
        .merged(&stored)
        .map_err(|e| ApiError::internal(std::io::Error::other(format!("stored closes: {e}"))))?;
    let merged = history.merged(&rows).map_err(|err| match err {
        SeriesError::Disagrees { index, date, known } => row_error(
            index,
            "close",
            "conflicting_close",
            format!("{date} is already recorded with close {known}; a day's close cannot change"),
        ),
        SeriesError::Duplicate { index, date } => row_error(
            index,
            "date",
            "duplicate_date",
            format!("{date} appears more than once with different closes"),
        ),
        SeriesError::Gap {
            index,
            date,
            expected,
        } => row_error(
            index,
            "date",
            "gap",
            format!("{date} would leave a gap: the next day the series needs is {expected}"),
        ),
        SeriesError::NotPositive { index } => row_error(
            index,
            "close",
            "value_error",
            "must be a positive price in USD".into(),
        ),
        other => ApiError::internal(std::io::Error::other(other.to_string())),
    })?;
    let added: Vec<_> = rows
        .iter()
        .copied()
        .filter(|(date, _)| history.index_of(*date).is_none())
        .collect();
    state.store.put_prices(&added).await.map_err(map_store)?;

    let pointer = state.store.current().await.map_err(map_store)?;
    let current: ModelMeta = match &pointer {
        Some(pointer) => {
            let stored = state.store.load(pointer).await.map_err(map_store)?;
            match serde_json::from_str::<ModelMeta>(&stored.meta_json)
                .map_err(|e| e.to_string())
                .and_then(|meta| meta.check().map(|()| meta))
            {
                Ok(meta) => meta,
                Err(reason) => {
                    // A version published by an older release (another metadata
                    // layout): predict cannot serve it either and serves the
                    // bundled model, so the re-fit is judged against that.
                    tracing::warn!(version = %pointer.version, reason = %reason, "published model unreadable; judging the re-fit against the bundled model");
                    state.bundled.clone()
                }
            }
        }
        None => state.bundled.clone(),
    };

    let current_for_fit = current.clone();
    let refit = tokio::task::spawn_blocking(move || pipeline::refit(&merged, &current_for_fit))
        .await
        .map_err(ApiError::internal)?
        .map_err(|err| match err {
            RefitError::Worse { .. } => ApiError::Conflict {
                detail: format!("Closes stored; model not published: {err}."),
            },
            RefitError::TooLittleData { .. } => ApiError::Conflict {
                detail: format!("Closes stored; model not published: {err}."),
            },
        })?;
    let trained = refit.trained;

    let meta_json = serde_json::to_string(&trained.meta).map_err(ApiError::internal)?;
    state
        .store
        .publish(
            &trained.meta.version,
            &trained.onnx,
            &meta_json,
            pointer.as_ref().map(|p| p.version.as_str()),
        )
        .await
        .map_err(|err| match err {
            StoreError::Conflict => ApiError::Conflict {
                detail:
                    "Another training run published a model first; retry to train on top of it."
                        .into(),
            },
            other => map_store(other),
        })?;
    tracing::info!(version = %trained.meta.version, previous = %current.version, "published model");

    Ok((
        StatusCode::CREATED,
        Json(TrainResponse {
            version: trained.meta.version.clone(),
            previous_version: current.version,
            rows_received: rows.len(),
            rows_added: added.len(),
            fitted_on: DateRange::from(&trained.meta.fitted_on),
            evaluated_on: DateRange::from(&trained.meta.evaluated_on),
            metrics: Metrics::from(&trained.meta.metrics),
            baselines: Baselines::from(&trained.meta.baselines),
            previous_mae_usd: refit.current_mae_usd,
            backtest: Backtest::from(&trained.meta.backtest),
        }),
    ))
}
