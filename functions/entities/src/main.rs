//! Lambda entry point of the entities function.

use std::sync::Arc;

use shared::config::{HttpConfig, ProcessEnv};

// One thread: Lambda sends an instance one invocation at a time, and the
// analysis runs inline (handlers.rs), so worker threads would only add
// wake-ups between them.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
    shared::log_panics_without_messages();
    let http = HttpConfig::from_env_with_body_limit(&ProcessEnv, entities::MAX_BODY_BYTES)?;
    let config = entities::Config::from_env(&ProcessEnv)?;
    let secrets = entities::Secrets::from_env(&ProcessEnv)?;
    let catalog = entities::Catalog::discover(&config.model_dir);
    catalog
        .warm_up(
            entities::DEFAULT_MODEL_SIZE,
            entities::DEFAULT_MODEL_LANGUAGE,
        )
        .await;
    shared::run(
        entities::router(Arc::new(catalog), Arc::new(secrets)),
        &http,
    )
    .await
}
