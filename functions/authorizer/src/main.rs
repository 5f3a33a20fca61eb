//! Lambda entry point of the authorizer: read the token once, then decide.

use std::sync::Arc;

use lambda_http::{
    LambdaEvent, aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request, service_fn,
};
use shared::config::ProcessEnv;

#[tokio::main]
async fn main() -> Result<(), shared::BoxError> {
    shared::init_logging();
    let source = api_token::TokenSource::from_env(&ProcessEnv)?;
    let token = Arc::new(source.resolve(None).await?);
    lambda_http::lambda_runtime::run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let token = Arc::clone(&token);
            async move { Ok::<_, lambda_http::Error>(authorizer::authorize(&token, &event.payload)) }
        },
    ))
    .await
}
