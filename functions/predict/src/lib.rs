//! The predict function: BTC/USD forecasts 1 to 7 days ahead.
//!
//! - `POST /predict` with `{"closes": [...]}` (any number of daily closes from
//!   the model's `min_closes`, oldest first; the most recent are used) or `{}`
//!   to forecast from the latest stored history; `horizon_days` and `levels`
//!   choose how far ahead and which calibrated intervals;
//! - `GET /predict/model`: the served model's metadata, back-test and baselines.

mod handlers;
pub mod model;
pub mod registry;

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::Router;
use btc_store::BtcStore;
use shared::config::{ConfigError, Env, optional, optional_url, or_default};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use registry::Registry;

#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of model packs (`MODEL_DIR`); the model is `<MODEL_DIR>/btc`.
    pub model_dir: PathBuf,
    /// Table of published models and posted closes (`BTC_TABLE`); unset: only
    /// the bundled model and history are served.
    pub table: Option<String>,
    pub dynamodb_endpoint: Option<String>,
    /// Create the table when missing (`BTC_CREATE_TABLE`, local servers only).
    pub create_table: bool,
    /// How often the background refresh looks for a newly published model
    /// and posted closes (`MODEL_REFRESH_SECS`).
    pub refresh_every: Duration,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            model_dir: or_default(env, "MODEL_DIR", PathBuf::from("/opt/models"))?,
            table: optional(env, "BTC_TABLE")?,
            dynamodb_endpoint: optional_url(env, "DYNAMODB_ENDPOINT")?,
            create_table: or_default(env, "BTC_CREATE_TABLE", false)?,
            refresh_every: Duration::from_secs(or_default(env, "MODEL_REFRESH_SECS", 15u64)?),
        })
    }
}

/// How long the cold-start read of the published model may take before the
/// function starts on the bundled one (the background refresh then retries).
const FIRST_REFRESH_TIMEOUT: Duration = Duration::from_secs(3);

/// Loads the bundled pack, connects the store and reads the published model
/// and posted closes once: cold-start work. Call [`Registry::start_refreshing`]
/// on the result to keep it fresh.
pub async fn registry_from_config(config: &Config) -> Result<Registry, btc_store::StoreError> {
    let store = match &config.table {
        Some(table) => {
            let store = BtcStore::connect(config.dynamodb_endpoint.as_deref(), table).await;
            if config.create_table {
                store.ensure_table().await?;
            }
            Some(store)
        }
        None => None,
    };
    let dir = config.model_dir.join("btc");
    let bundled = tokio::task::spawn_blocking(move || registry::load_pack(&dir))
        .await
        .unwrap_or_else(|e| Err(model::ModelError::Unreadable(e.to_string())));
    let registry = Registry::new(bundled, store, config.refresh_every);
    match tokio::time::timeout(FIRST_REFRESH_TIMEOUT, registry.refresh()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "first model refresh failed; serving the bundled model")
        }
        Err(_) => tracing::warn!("first model refresh timed out; serving the bundled model"),
    }
    Ok(registry)
}

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "predict", description = "BTC/USD close forecasts 1 to 7 days ahead, with back-tested intervals, from ridge models run as ONNX."))
)]
pub struct PredictApi;

/// The routes with their OpenAPI operations, from one list: a handler is
/// served exactly when its `#[utoipa::path]` is in the document.
fn routes() -> OpenApiRouter<Arc<Registry>> {
    OpenApiRouter::with_openapi(PredictApi::openapi())
        .routes(routes!(handlers::predict))
        .routes(routes!(handlers::model_info))
}

pub fn router(registry: Arc<Registry>) -> Router {
    routes().with_state(registry).into()
}

/// This function's part of the API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}
