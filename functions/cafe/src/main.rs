//! Lambda entry point of the cafe function.

use shared::config::{HttpConfig, ProcessEnv};

#[tokio::main]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
    shared::log_panics_without_messages();
    let http = HttpConfig::from_env(&ProcessEnv)?;
    let config = cafe::Config::from_env(&ProcessEnv)?;
    let state = cafe::state_from_config(&config).await?;
    shared::run(cafe::router(state), &http).await
}
