//! Lambda entry point of the authorizer: read the token once, then decide.

use std::{sync::Arc, time::Instant};

use lambda_http::{
    LambdaEvent,
    aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request,
    lambda_runtime::{Runtime, layers::TracingLayer},
    service_fn,
};
use shared::{config::ProcessEnv, metrics::MetricsConfig};

#[tokio::main]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
    shared::log_panics_without_messages();
    let source = api_token::TokenSource::from_env(&ProcessEnv)?;
    let token = Arc::new(source.resolve(None).await?);
    let collector = shared::metrics::init(&MetricsConfig::from_env(&ProcessEnv)?)?;
    let handler = service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let token = Arc::clone(&token);
            async move {
                let started = Instant::now();
                let decision = authorizer::authorize(&token, &event.payload);
                // A denial counts as a 403, as API Gateway answers it.
                let status = if decision.is_authorized { 200 } else { 403 };
                shared::metrics::record_request(status, started.elapsed());
                Ok::<_, lambda_http::Error>(decision)
            }
        },
    );
    Runtime::new(handler)
        .layer(TracingLayer::new())
        .layer(shared::metrics::EmfLayer::new(collector))
        .run()
        .await
}
