//! Lambda entry point of the docs function.

use shared::config::{HttpConfig, ProcessEnv};

#[tokio::main]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
    shared::log_panics_without_messages();
    let http = HttpConfig::from_env(&ProcessEnv)?;
    shared::run(docs::router(), &http).await
}
