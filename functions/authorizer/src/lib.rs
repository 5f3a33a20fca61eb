//! The HTTP API's Lambda authorizer for write routes (payload format 2.0,
//! simple responses): `{"isAuthorized": true}` only for `Authorization:
//! Bearer <token>` with the token from Secrets Manager.
//!
//! API Gateway answers a request without the header itself (401) and a denied
//! one with 403, before any function runs; the functions then check the same
//! token again (`shared::auth`), so a misconfigured route cannot open a write.
//! Neither the token nor any header value is ever logged.

use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request,
};
use shared::auth::BearerToken;

/// The simple response, with an empty `context` (API Gateway passes it to the
/// function; this authorizer adds nothing).
pub type Decision =
    ApiGatewayV2CustomAuthorizerSimpleResponse<serde_json::Map<String, serde_json::Value>>;

/// The authorizer's answer to one request.
pub fn authorize(token: &BearerToken, request: &ApiGatewayV2CustomAuthorizerV2Request) -> Decision {
    let allowed = token
        .check(
            request
                .headers
                .get(lambda_http::http::header::AUTHORIZATION),
        )
        .is_ok();
    tracing::info!(
        route = request.route_key.as_deref().unwrap_or_default(),
        allowed,
        "authorizer decision"
    );
    // The type is non-exhaustive: built from its default, then decided.
    let mut decision = Decision::default();
    decision.is_authorized = allowed;
    decision
}
