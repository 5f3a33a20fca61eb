//! The one error type every handler returns, rendered as RFC 9457 problem+json.
//!
//! A handler returns `Result<_, ApiError>`; `IntoResponse` turns the error into a
//! status, the headers that status needs (`Allow`, `Retry-After`, ...) and a
//! [`Problem`] body. The request middleware ([`crate::app`]) later adds the request
//! id and the instance path, so handlers never have to thread them through.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use serde::Serialize;

/// Media type of every non-2xx body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Problem `type` URIs are tag URIs (RFC 4151): stable, unique, and not pretending
/// to be a web page that may disappear. The slug after the prefix is the contract.
pub const PROBLEM_TYPE_PREFIX: &str = "tag:serverless-ml-api,2026:problem:";

/// One element of a `loc`: an object key or an array index, as FastAPI reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum LocPart {
    Key(String),
    Index(usize),
}

impl LocPart {
    /// Longest key echoed back in a `loc`.
    pub const MAX_ECHOED_KEY_CHARS: usize = 64;

    /// A key the client sent, as a `loc` may show it: names that look like a
    /// field (letters, digits, `_`, `-`, `.`; at most 64 characters) are
    /// echoed, so a typo can be found; anything else (an e-mail address, a
    /// sentence, a 10 kB key) becomes `<key>`, since a key is client data too.
    pub fn client_key(key: &str) -> Self {
        // The empty key is echoed too: it holds nothing and says exactly what is wrong.
        let field_like = key.chars().count() <= Self::MAX_ECHOED_KEY_CHARS
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        LocPart::Key(if field_like { key } else { "<key>" }.to_owned())
    }
}

impl From<&str> for LocPart {
    fn from(key: &str) -> Self {
        LocPart::Key(key.to_owned())
    }
}

impl From<usize> for LocPart {
    fn from(index: usize) -> Self {
        LocPart::Index(index)
    }
}

/// One failed check of a request, in the shape of FastAPI's 422 items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(example = json!({"loc": ["body", "price"], "msg": "Field required", "type": "missing"}))]
pub struct FieldError {
    /// Where the bad value is: `["body", "price"]`, `["query", "limit"]`, ...
    pub loc: Vec<LocPart>,
    /// A human sentence. Never contains the submitted value (it may be personal data).
    pub msg: String,
    /// A stable machine-readable kind, e.g. `missing`, `extra_forbidden`, `too_long`.
    #[serde(rename = "type")]
    pub kind: String,
}

impl FieldError {
    pub fn new(loc: Vec<LocPart>, kind: impl Into<String>, msg: impl Into<String>) -> Self {
        Self {
            loc,
            msg: msg.into(),
            kind: kind.into(),
        }
    }
}

/// An RFC 9457 problem document: the body of every error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "tag:serverless-ml-api,2026:problem:validation-error",
    "title": "Unprocessable Entity",
    "status": 422,
    "detail": "The request has 1 invalid field(s); see `errors`.",
    "instance": "/items",
    "request_id": "9b2f3c1e-6a55-4a8e-9d43-2b1f0c8e7a10",
    "errors": [{"loc": ["body", "price"], "msg": "Field required", "type": "missing"}]
}))]
pub struct Problem {
    /// What kind of problem: `tag:serverless-ml-api,2026:problem:<slug>`; the
    /// slug is the stable, machine-readable part.
    #[serde(rename = "type")]
    #[schema(pattern = "^tag:serverless-ml-api,2026:problem:[a-z-]+$")]
    pub type_uri: String,
    /// The HTTP reason phrase of `status`.
    pub title: String,
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// A sentence for humans. Never contains submitted values.
    pub detail: String,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Quote it when reporting a problem; the function's log line has it too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The individual failures of a 422, FastAPI style.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(slug: &str, status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("{PROBLEM_TYPE_PREFIX}{slug}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            request_id: None,
            errors: Vec::new(),
        }
    }

    /// The problem for a bare error status that came without a body of ours (an
    /// unmatched route, a method the router lacks, a body over the limit, ...).
    pub fn for_status(status: StatusCode) -> Self {
        let (slug, detail) = match status {
            StatusCode::NOT_FOUND => ("not-found", "No resource exists at this path."),
            StatusCode::METHOD_NOT_ALLOWED => (
                "method-not-allowed",
                "This path does not support this method; see the Allow header.",
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                "payload-too-large",
                "The request body is larger than this endpoint accepts.",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => (
                "unsupported-media-type",
                "The request body has a content type this endpoint does not accept.",
            ),
            StatusCode::REQUEST_TIMEOUT => ("timeout", "The request took too long."),
            s if s.is_server_error() => (
                "internal-error",
                "The server failed to handle this request. It has been logged; retrying may help.",
            ),
            _ => ("http-error", "The request could not be handled."),
        };
        Self::new(slug, status, detail)
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serialising a struct of strings and numbers cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Why a request failed. Each variant maps to one status and one problem `type`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request validation failed")]
    Validation(Vec<FieldError>),
    #[error("malformed JSON: {detail}")]
    MalformedJson { detail: String },
    #[error("unsupported media type")]
    UnsupportedMediaType { expected: &'static str },
    #[error("body larger than {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: usize },
    #[error("not found: {detail}")]
    NotFound { detail: String },
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<Method> },
    #[error("missing credentials")]
    Unauthorized,
    #[error("credentials rejected")]
    Forbidden,
    #[error("conflict: {detail}")]
    Conflict { detail: String },
    #[error("precondition failed: {detail}")]
    PreconditionFailed { detail: String },
    #[error("service unavailable: {detail}")]
    Unavailable {
        retry_after_secs: u32,
        detail: String,
    },
    /// Anything unexpected. The source is logged, never shown to the client.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// `Retry-After` of [`ApiError::store_unavailable`]: the SDK has already
/// retried within the request, so one second is enough for a throttle to lift
/// and short enough that a client is not kept waiting after an outage ends.
pub const STORE_RETRY_AFTER_SECS: u32 = 1;

impl ApiError {
    pub fn validation(loc: Vec<LocPart>, kind: &str, msg: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(loc, kind, msg)])
    }

    pub fn internal(source: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(source))
    }

    /// A DynamoDB-backed store that did not answer (throttled, unreachable,
    /// slow) after the SDK's own bounded retries: 503 with the same
    /// `Retry-After` from every function. `what` names the store for the
    /// client ("menu", "model"); `reason` (an error code or the SDK's
    /// context, never request data) goes to the log only.
    pub fn store_unavailable(what: &str, reason: &str) -> Self {
        tracing::warn!(reason, "DynamoDB unavailable");
        ApiError::Unavailable {
            retry_after_secs: STORE_RETRY_AFTER_SECS,
            detail: format!("The {what} store is temporarily unavailable; retry shortly."),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        match self {
            ApiError::Validation(errors) => {
                let mut p = Problem::new(
                    "validation-error",
                    status,
                    format!(
                        "The request has {} invalid field(s); see `errors`.",
                        errors.len()
                    ),
                );
                p.errors = errors.clone();
                p
            }
            ApiError::MalformedJson { detail } => Problem::new(
                "malformed-json",
                status,
                format!("The body is not valid JSON ({detail})."),
            ),
            ApiError::UnsupportedMediaType { expected } => Problem::new(
                "unsupported-media-type",
                status,
                format!("Send the body with `Content-Type: {expected}`."),
            ),
            ApiError::PayloadTooLarge { limit_bytes } => Problem::new(
                "payload-too-large",
                status,
                format!("The body exceeds the limit of {limit_bytes} bytes."),
            ),
            ApiError::NotFound { detail } => Problem::new("not-found", status, detail.clone()),
            ApiError::MethodNotAllowed { .. } => Problem::for_status(status),
            ApiError::Unauthorized => Problem::new(
                "unauthorized",
                status,
                "This operation needs a bearer token: send `Authorization: Bearer <token>`.",
            ),
            ApiError::Forbidden => Problem::new(
                "forbidden",
                status,
                "The bearer token is not valid for this operation.",
            ),
            ApiError::Conflict { detail } => Problem::new("conflict", status, detail.clone()),
            ApiError::PreconditionFailed { detail } => {
                Problem::new("precondition-failed", status, detail.clone())
            }
            ApiError::Unavailable { detail, .. } => {
                Problem::new("service-unavailable", status, detail.clone())
            }
            ApiError::Internal(_) => Problem::for_status(status),
        }
    }
}

/// Builds the HTTP response for a problem, keeping `headers` of the original.
pub(crate) fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, problem.to_json()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    // Kept so the request middleware can add the request id and re-render.
    response.extensions_mut().insert(problem);
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(source) = &self {
            // The source may hold SDK or model messages: log them, show nothing.
            tracing::error!(error = %source, "internal error");
        }
        let mut response = problem_response(self.problem());
        let headers = response.headers_mut();
        match &self {
            ApiError::MethodNotAllowed { allow } => {
                if let Ok(value) = HeaderValue::from_str(&join_methods(allow)) {
                    headers.insert(header::ALLOW, value);
                }
            }
            ApiError::Unavailable {
                retry_after_secs, ..
            } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
            }
            ApiError::Unauthorized => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::Forbidden => {
                headers.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
            }
            _ => {}
        }
        response
    }
}

/// `GET, HEAD, POST`: the value of an `Allow` header.
pub fn join_methods(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_lists_each_field_error() {
        let err = ApiError::Validation(vec![
            FieldError::new(
                vec!["body".into(), "price".into()],
                "missing",
                "Field required",
            ),
            FieldError::new(
                vec!["query".into(), 0.into()],
                "int_parsing",
                "Input should be an integer",
            ),
        ]);
        let body: serde_json::Value = serde_json::from_slice(&err.problem().to_json()).unwrap();
        assert_eq!(body["status"], 422);
        assert_eq!(
            body["type"],
            "tag:serverless-ml-api,2026:problem:validation-error"
        );
        assert_eq!(
            body["errors"][0]["loc"],
            serde_json::json!(["body", "price"])
        );
        assert_eq!(body["errors"][0]["type"], "missing");
        assert_eq!(body["errors"][1]["loc"], serde_json::json!(["query", 0]));
    }

    #[test]
    fn internal_error_hides_its_source() {
        let err = ApiError::internal(std::io::Error::other("secret table name xyz"));
        let problem = err.problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("xyz"));
        assert!(
            !String::from_utf8(problem.to_json())
                .unwrap()
                .contains("xyz")
        );
    }

    #[test]
    fn unavailable_sets_retry_after_and_unauthorized_sets_challenge() {
        let response = ApiError::Unavailable {
            retry_after_secs: 3,
            detail: "busy".into(),
        }
        .into_response();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()[header::RETRY_AFTER], "3");
        assert_eq!(response.headers()[header::CONTENT_TYPE], PROBLEM_JSON);

        let response = ApiError::Unauthorized.into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn method_not_allowed_lists_allowed_methods() {
        let response = ApiError::MethodNotAllowed {
            allow: vec![Method::GET, Method::HEAD],
        }
        .into_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
    }
}
