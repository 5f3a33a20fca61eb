//! The predict function: next-day BTC/USD forecasts.
//!
//! - `POST /predict` with `{"closes": [...]}` (the model's window of daily
//!   closes, oldest first) or `{}` to forecast from the latest stored history;
//! - `GET /predict/model`: the served model's metadata, metrics and baselines.

mod handlers;
pub mod model;
pub mod registry;

use std::{path::PathBuf, sync::Arc, time::Duration};

use axum::{
    Router,
    routing::{get, post},
};
use btc_store::BtcStore;
use shared::config::{ConfigError, Env, optional, or_default};

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
    /// How often to look for a newly published model (`MODEL_REFRESH_SECS`).
    pub refresh_every: Duration,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            model_dir: or_default(env, "MODEL_DIR", PathBuf::from("/opt/models"))?,
            table: optional(env, "BTC_TABLE")?,
            dynamodb_endpoint: optional(env, "DYNAMODB_ENDPOINT")?,
            create_table: or_default(env, "BTC_CREATE_TABLE", false)?,
            refresh_every: Duration::from_secs(or_default(env, "MODEL_REFRESH_SECS", 15u64)?),
        })
    }
}

/// Loads the bundled pack and connects the store: cold-start work, done once.
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
    Ok(Registry::new(bundled, store, config.refresh_every))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(handlers::predict, handlers::model_info),
    tags((name = "predict", description = "Next-day BTC/USD close forecasts from a ridge model run as ONNX."))
)]
pub struct PredictApi;

pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/predict", post(handlers::predict))
        .route("/predict/model", get(handlers::model_info))
        .with_state(registry)
}
