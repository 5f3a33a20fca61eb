//! Lambda entry point of the entities function.

use std::sync::Arc;

use shared::config::{HttpConfig, ProcessEnv};

#[tokio::main]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
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
