//! Lambda entry point of the train function.

use std::sync::Arc;

use shared::config::{HttpConfig, ProcessEnv};

#[tokio::main]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
    shared::log_panics_without_messages();
    let http = HttpConfig::from_env(&ProcessEnv)?;
    let config = train::Config::from_env(&ProcessEnv)?;
    let state = train::state_from_config(&config).await?;
    shared::run(train::router(Arc::new(state)), &http).await
}
