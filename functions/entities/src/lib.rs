//! The entities function: find named entities and personal data, and redact.
//!
//! - `POST /entities`: `{text | texts, model_size?, model_language?, types?,
//!   score_threshold?, operator?, operators?, allow_list?, allow_list_match?,
//!   recognizers?, countries?, explain?}` -> `{entities, anonymized_text,
//!   residual, models, usage}` (a batch: `{results: [...], models, usage}`);
//! - `GET /entities/models`: the packs, the size/language choices and every
//!   recognizer.
//! - `POST /entities/restore` (write token): `{text | texts}` with the
//!   `encrypt` operator's tokens -> the values they hold.
//!
//! Privacy: the request text, the entities and the anonymized text are never
//! logged, traced or put in an error body. The only log line per request is the
//! shared one (method, route, status, latency, sizes).

pub mod address;
pub mod analyze;
pub mod anonymize;
pub mod catalog;
mod handlers;
pub mod key;
mod listing;
pub mod pipeline;
pub mod request;
pub mod response;
pub mod restore;
pub mod secrets;
pub mod steering;
pub mod steering_cache;

use std::{path::PathBuf, sync::Arc};

use axum::{Router, extract::FromRef};
use shared::config::{ConfigError, Env, or_default};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use catalog::Catalog;
pub use secrets::Secrets;

/// Longest text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 100_000;

/// The model size and language a request gets when it names none.
pub const DEFAULT_MODEL_SIZE: &str = "sm";
pub const DEFAULT_MODEL_LANGUAGE: &str = "en";

/// Largest request body: room for a text of [`MAX_TEXT_CHARS`] characters
/// even when each is written as a JSON escaped surrogate pair (12 bytes), plus
/// the other fields. Anything longer is refused by the text's own 422 or by
/// this 413, both naming their bound.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of model packs (`MODEL_DIR`).
    pub model_dir: PathBuf,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            model_dir: or_default(env, "MODEL_DIR", PathBuf::from("/opt/models"))?,
        })
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "entities", description = "Named entities and personal data found and redacted, by ONNX token classifiers and validated patterns."))
)]
pub struct EntitiesApi;

/// What the handlers share: the model packs and the deployment's secrets.
#[derive(Clone)]
pub struct AppState {
    pub catalog: Arc<Catalog>,
    pub secrets: Arc<Secrets>,
    pub steering: Arc<steering_cache::SteeringCache>,
}

impl FromRef<AppState> for Arc<steering_cache::SteeringCache> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.steering)
    }
}

impl FromRef<AppState> for Arc<Catalog> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.catalog)
    }
}

impl FromRef<AppState> for Arc<Secrets> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.secrets)
    }
}

/// The routes. `secrets` may be empty ([`Secrets::default`]): keyed
/// operators then answer 422 and restore 503.
pub fn router(catalog: Arc<Catalog>, secrets: Arc<Secrets>) -> Router {
    routes()
        .with_state(AppState {
            catalog,
            secrets,
            steering: Arc::default(),
        })
        .into()
}

/// The routes with their OpenAPI operations, from one list: a handler is
/// served exactly when its `#[utoipa::path]` is in the document.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(EntitiesApi::openapi())
        .routes(routes!(handlers::find_entities))
        .routes(routes!(listing::list_models))
        .routes(routes!(restore::restore))
}

/// This function's part of the API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}
