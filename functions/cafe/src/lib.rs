//! The cafe function: the menu as a REST resource in DynamoDB.
//!
//! | route | auth | what |
//! | --- | --- | --- |
//! | `POST /items` | bearer | create; `Idempotency-Key` makes retries safe |
//! | `GET /items` | - | list in creation order; `limit`, `cursor`, `category`, `is_offer` |
//! | `GET`/`HEAD /items/{id}` | - | read, with `ETag`; `If-None-Match` gives 304 |
//! | `PUT /items/{id}` | bearer | replace; `If-Match` for optimistic locking |
//! | `PATCH /items/{id}` | bearer | RFC 7396 merge patch; `If-Match` likewise |
//! | `DELETE /items/{id}` | bearer | delete; `If-Match` likewise |

pub mod config;
mod cursor;
pub mod dto;
mod handlers;
mod idempotency;
pub mod model;
pub mod openapi;
pub mod store;

use std::sync::Arc;

use axum::Router;
use shared::auth::{BearerToken, HasBearerToken};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

pub use config::Config;
use model::Currency;
use store::Store;

/// Everything a request needs, built once per container.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Store,
    token: BearerToken,
    default_currency: Currency,
}

impl AppState {
    pub fn new(store: Store, token: BearerToken, default_currency: Currency) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                token,
                default_currency,
            }),
        }
    }

    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    pub(crate) fn default_currency(&self) -> Currency {
        self.inner.default_currency
    }
}

impl HasBearerToken for AppState {
    fn bearer_token(&self) -> &BearerToken {
        &self.inner.token
    }
}

/// Connects to DynamoDB as configured and builds the state.
pub async fn state_from_config(config: &Config) -> Result<AppState, InitError> {
    let token = config.api_token.resolve(None).await?;
    let store = Store::connect(config.dynamodb_endpoint.as_deref(), &config.table).await;
    if config.create_table {
        store.ensure_table().await?;
    }
    Ok(AppState::new(store, token, config.default_currency))
}

/// Why a cold start failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Token(#[from] api_token::TokenError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
}

/// The routes with their OpenAPI operations, from one list: a handler is
/// served exactly when its `#[utoipa::path]` is in the document.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::CafeApi::openapi())
        .routes(routes!(handlers::create_item, handlers::list_items))
        .routes(routes!(
            handlers::get_item,
            handlers::replace_item,
            handlers::patch_item,
            handlers::delete_item
        ))
}

pub fn router(state: AppState) -> Router {
    routes().with_state(state).into()
}

/// This function's part of the API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}
