//! Lambda entry point of the predict function.

use std::sync::Arc;

use shared::config::{HttpConfig, ProcessEnv};

#[tokio::main]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
    shared::log_panics_without_messages();
    let http = HttpConfig::from_env(&ProcessEnv)?;
    let config = predict::Config::from_env(&ProcessEnv)?;
    let registry = Arc::new(predict::registry_from_config(&config).await?);
    predict::Registry::start_refreshing(&registry);
    shared::run(predict::router(registry), &http).await
}
