//! Wraps a function's axum `Router` with what every function needs, and runs it
//! on the Lambda runtime.
//!
//! Layers, outermost first:
//! 1. `observe`: assigns the request id, turns every error response into a
//!    problem+json body carrying that id, and writes one log line per request;
//! 2. panic catcher: a panic becomes a 500 problem, never a dropped connection;
//! 3. CORS for the configured origins (answers preflights);
//! 4. the body limit the extractors enforce.

use std::time::Instant;

use axum::{
    Router,
    body::Body,
    extract::{DefaultBodyLimit, MatchedPath, Request},
    middleware::{self, Next},
    response::Response,
};
use http::{HeaderName, HeaderValue, Method, StatusCode, header};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowOrigin, CorsLayer},
};

pub use crate::extract::{BodyLimit, DEFAULT_MAX_BODY_BYTES};
use crate::{
    config::{AllowedOrigins, HttpConfig},
    error::{PROBLEM_JSON, Problem, problem_response},
};

/// The request id header every response carries.
pub static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of the request being served: API Gateway's when it sent one, else the
/// caller's `x-request-id` when it is a sane token, else a fresh UUID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// Adds the shared layers to a function's router. Add routes and any fallback to
/// `router` first: axum applies layers only to what the router already has.
pub fn build_app(router: Router, config: &HttpConfig) -> Router {
    let limit = config.max_body_bytes;
    router
        .layer(DefaultBodyLimit::max(limit))
        .layer(cors(config))
        .layer(CatchPanicLayer::custom(|_panic| {
            // The payload of a panic may quote data; it is deliberately not logged.
            tracing::error!("handler panicked");
            problem_response(Problem::for_status(StatusCode::INTERNAL_SERVER_ERROR))
        }))
        .layer(middleware::from_fn(move |mut req: Request, next: Next| {
            req.extensions_mut().insert(BodyLimit(limit));
            observe(req, next)
        }))
}

/// Runs the app on the Lambda runtime (on AWS and under `cargo lambda watch`),
/// writing the request's EMF metrics to stdout after each invocation.
pub async fn run(router: Router, config: &HttpConfig) -> Result<(), lambda_http::Error> {
    use lambda_http::lambda_runtime::{Runtime, layers::TracingLayer};
    let collector = crate::metrics::init(&config.metrics)?;
    Runtime::new(lambda_http::Adapter::from(build_app(router, config)))
        .layer(TracingLayer::new())
        .layer(crate::metrics::EmfLayer::new(collector))
        .run()
        .await
}

/// Sets up logging: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON` (the template sets it),
/// readable text otherwise; level from `AWS_LAMBDA_LOG_LEVEL` or `RUST_LOG`.
///
/// The Lambda runtime crates are capped at DEBUG whatever the level: at TRACE
/// `lambda_runtime` logs every raw event, request bodies included, and request
/// bodies (text sent for redaction) must never reach a log.
pub fn init_logging() {
    use lambda_http::tracing::subscriber::{
        self,
        filter::{EnvFilter, LevelFilter},
    };
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let mut filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    for capped in ["lambda_runtime=debug", "lambda_http=debug"] {
        if let Ok(directive) = capped.parse() {
            filter = filter.add_directive(directive);
        }
    }
    let builder = subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter)
        .with_writer(std::io::stdout);
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    // A subscriber set earlier (a test's) stays; nothing to report then.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Panics log where they happened, never their message: a message may quote
/// what the code was slicing or parsing, and that can be request text. For
/// a function's `main` (tests keep the default hook and its messages).
pub fn log_panics_without_messages() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        tracing::error!(%location, "panicked (the message is not logged: it may quote request data)");
    }));
}

/// Whether a request, or the request a preflight announces, carries an
/// `Authorization` header: the bearer-token writes.
fn wants_credentials(parts: &http::request::Parts) -> bool {
    parts.headers.contains_key(header::AUTHORIZATION)
        || parts
            .headers
            .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|h| h.trim().eq_ignore_ascii_case("authorization"))
}

/// CORS: unauthenticated requests from `allowed_origins`; requests with an
/// `Authorization` header (writes) only from `write_origins`, an explicit list.
/// Browsers preflight every request with that header, so a page from any
/// other origin never gets to send one.
fn cors(config: &HttpConfig) -> CorsLayer {
    let reads = config.allowed_origins.clone();
    let writes = config.write_origins.0.clone();
    let origin = AllowOrigin::predicate(move |origin, parts| {
        if wants_credentials(parts) {
            writes.contains(origin)
        } else {
            match &reads {
                AllowedOrigins::Any => true,
                AllowedOrigins::List(list) => list.contains(origin),
            }
        }
    });
    CorsLayer::new()
        .allow_origin(origin)
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            HeaderName::from_static("idempotency-key"),
            REQUEST_ID_HEADER.clone(),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::ALLOW,
            REQUEST_ID_HEADER.clone(),
        ])
        .max_age(std::time::Duration::from_secs(600))
}

async fn observe(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = request_id_of(&req);
    req.extensions_mut().insert(request_id.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|matched| matched.as_str().to_owned());
    let request_bytes = content_length(req.headers());

    let response = next.run(req).await;
    let mut response = finish_problem(response, &request_id, &path, &method);
    if let Ok(value) = HeaderValue::from_str(&request_id.0) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    add_security_headers(response.headers_mut());

    let status = response.status().as_u16();
    let latency = started.elapsed();
    crate::metrics::record_request(status, latency);
    let latency_ms = latency.as_secs_f64() * 1000.0;
    let response_bytes = http_body::Body::size_hint(response.body())
        .exact()
        .unwrap_or_else(|| content_length(response.headers()));
    // The path is logged only as the matched route template: raw paths can carry
    // identifiers, and bodies are never logged at all.
    let route = route.as_deref().unwrap_or("<unmatched>");
    if status >= 500 {
        tracing::error!(request_id = %request_id.0, method = %method, route, status, latency_ms, request_bytes, response_bytes, "request");
    } else {
        tracing::info!(request_id = %request_id.0, method = %method, route, status, latency_ms, request_bytes, response_bytes, "request");
    }
    response
}

/// Headers every response gets. A handler's own value wins where it set one
/// (the docs pages set their own Content-Security-Policy, items and assets
/// their own Cache-Control).
fn add_security_headers(headers: &mut http::HeaderMap) {
    let defaults = [
        // The API serves data, not pages: nothing may be loaded or framed.
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        // API Gateway serves only HTTPS; browsers should never try plain HTTP.
        (
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ),
        // Responses may hold personal data (entities) or change at any time:
        // no shared or browser cache keeps them unless a handler says so.
        (header::CACHE_CONTROL, "no-store"),
    ];
    for (name, value) in defaults {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
}

fn content_length(headers: &http::HeaderMap) -> u64 {
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Makes every error response a problem document with the request id in it.
fn finish_problem(
    response: Response,
    request_id: &RequestId,
    path: &str,
    method: &Method,
) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, _body) = response.into_parts();
    let mut problem = match parts.extensions.remove::<Problem>() {
        Some(problem) => problem,
        // A bare status from axum or tower-http: whatever body it had (plain
        // text from a rejection) is replaced, so no internal wording leaks.
        None => Problem::for_status(status),
    };
    problem.request_id = Some(request_id.0.clone());
    problem.instance = Some(path.to_owned());
    let body = if method == Method::HEAD {
        Vec::new()
    } else {
        problem.to_json()
    };
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    parts.extensions.insert(problem);
    Response::from_parts(parts, Body::from(body))
}

fn request_id_of(req: &Request) -> RequestId {
    use lambda_http::request::RequestContext;
    let from_gateway = req
        .extensions()
        .get::<RequestContext>()
        .and_then(|context| match context {
            RequestContext::ApiGatewayV2(ctx) => ctx.request_id.clone(),
            RequestContext::ApiGatewayV1(ctx) => ctx.request_id.clone(),
            _ => None,
        });
    let from_lambda = || {
        req.extensions()
            .get::<lambda_http::Context>()
            .map(|ctx| ctx.request_id.clone())
            .filter(|id| !id.is_empty())
    };
    let from_header = || {
        req.headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|id| is_sane_request_id(id))
            .map(str::to_owned)
    };
    RequestId(
        from_gateway
            .or_else(from_lambda)
            .or_else(from_header)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    )
}

/// A caller-chosen id is echoed into logs, so it must not be able to forge log lines.
fn is_sane_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use crate::{error::ApiError, extract::ValidJson};

    #[derive(Debug, serde::Deserialize, garde::Validate)]
    #[serde(deny_unknown_fields)]
    struct Echo {
        #[garde(length(chars, min = 1, max = 10))]
        word: String,
    }

    fn app() -> Router {
        let router = Router::new()
            .route("/ok", get(|| async { "fine" }))
            .route(
                "/echo",
                post(|ValidJson(echo): ValidJson<Echo>| async move { echo.word }),
            )
            .route(
                "/fail",
                get(|| async {
                    Err::<(), _>(ApiError::internal(std::io::Error::other(
                        "db password=hunter2",
                    )))
                }),
            )
            .route(
                "/panic",
                get(|| async {
                    if true {
                        panic!("boom with user data");
                    }
                }),
            );
        let config = HttpConfig {
            max_body_bytes: 64,
            ..HttpConfig::default()
        };
        build_app(router, &config)
    }

    async fn send(req: http::Request<Body>) -> (StatusCode, http::HeaderMap, serde_json::Value) {
        let response = app().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, headers, body)
    }

    fn get_req(path: &str) -> http::Request<Body> {
        http::Request::get(path).body(Body::empty()).unwrap()
    }

    fn post_json(body: &str) -> http::Request<Body> {
        http::Request::post("/echo")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    }

    fn assert_problem(
        status: StatusCode,
        headers: &http::HeaderMap,
        body: &serde_json::Value,
        expected: u16,
    ) {
        assert_eq!(status.as_u16(), expected, "{body}");
        assert_eq!(headers[header::CONTENT_TYPE], PROBLEM_JSON);
        assert_eq!(body["status"], expected);
        assert!(
            body["type"]
                .as_str()
                .unwrap()
                .starts_with(crate::error::PROBLEM_TYPE_PREFIX)
        );
        assert_eq!(
            body["request_id"].as_str().unwrap(),
            headers[&REQUEST_ID_HEADER].to_str().unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_route_is_a_404_problem() {
        let (status, headers, body) = send(get_req("/nope")).await;
        assert_problem(status, &headers, &body, 404);
        assert_eq!(body["instance"], "/nope");
    }

    #[tokio::test]
    async fn wrong_method_is_a_405_problem_with_allow() {
        let req = http::Request::delete("/ok").body(Body::empty()).unwrap();
        let (status, headers, body) = send(req).await;
        assert_problem(status, &headers, &body, 405);
        let allow = headers[header::ALLOW].to_str().unwrap();
        assert!(allow.contains("GET"), "{allow}");
    }

    #[tokio::test]
    async fn malformed_json_wrong_type_and_oversized_bodies() {
        let (status, headers, body) = send(post_json("{\"word\": ")).await;
        assert_problem(status, &headers, &body, 400);

        let (status, headers, body) = send(post_json(r#"{"word": 5}"#)).await;
        assert_problem(status, &headers, &body, 422);
        assert_eq!(
            body["errors"][0]["loc"],
            serde_json::json!(["body", "word"])
        );

        let (status, headers, body) = send(post_json(r#"{"word": ""}"#)).await;
        assert_problem(status, &headers, &body, 422);

        let big = format!(r#"{{"word": "{}"}}"#, "a".repeat(100));
        let (status, headers, body) = send(post_json(&big)).await;
        assert_problem(status, &headers, &body, 413);
        assert!(body["detail"].as_str().unwrap().contains("64 bytes"));

        let req = http::Request::post("/echo")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("word"))
            .unwrap();
        let (status, headers, body) = send(req).await;
        assert_problem(status, &headers, &body, 415);
    }

    #[tokio::test]
    async fn internal_errors_and_panics_do_not_leak() {
        for path in ["/fail", "/panic"] {
            let (status, headers, body) = send(get_req(path)).await;
            assert_problem(status, &headers, &body, 500);
            let text = body.to_string();
            assert!(
                !text.contains("hunter2") && !text.contains("user data"),
                "{text}"
            );
        }
    }

    #[tokio::test]
    async fn request_id_is_echoed_when_sane_and_replaced_when_not() {
        let req = http::Request::get("/ok")
            .header(&REQUEST_ID_HEADER, "abc-123")
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(req).await.unwrap();
        assert_eq!(response.headers()[&REQUEST_ID_HEADER], "abc-123");

        let req = http::Request::get("/ok")
            .header(&REQUEST_ID_HEADER, "evil id with spaces")
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(req).await.unwrap();
        let id = response.headers()[&REQUEST_ID_HEADER].to_str().unwrap();
        assert_eq!(id.len(), 36, "{id}");
    }

    #[tokio::test]
    async fn cors_preflight_is_answered() {
        let req = http::Request::options("/echo")
            .header(header::ORIGIN, "https://app.example")
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,authorization",
            )
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(req).await.unwrap();
        assert!(response.status().is_success(), "{}", response.status());
        // Any origin may read, but a write (with Authorization) from an origin
        // not in CORS_WRITE_ORIGINS is not allowed.
        assert!(
            !response
                .headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        );

        let preflight = |origin: &str, headers: &str| {
            http::Request::options("/echo")
                .header(header::ORIGIN, origin)
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .header(header::ACCESS_CONTROL_REQUEST_HEADERS, headers)
                .body(Body::empty())
                .unwrap()
        };
        let response = app()
            .oneshot(preflight("https://app.example", "content-type"))
            .await
            .unwrap();
        assert_eq!(
            response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://app.example"
        );

        let config = HttpConfig {
            write_origins: "https://admin.example".parse().unwrap(),
            ..HttpConfig::default()
        };
        let admin = build_app(
            Router::new().route("/echo", post(|| async { "ok" })),
            &config,
        );
        let response = admin
            .clone()
            .oneshot(preflight(
                "https://admin.example",
                "Authorization, content-type",
            ))
            .await
            .unwrap();
        assert_eq!(
            response.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN],
            "https://admin.example"
        );
        let response = admin
            .oneshot(preflight("https://evil.example", "authorization"))
            .await
            .unwrap();
        assert!(
            !response
                .headers()
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        );
    }

    #[tokio::test]
    async fn every_response_has_the_security_headers_and_handlers_may_override() {
        let cached = Router::new().route(
            "/cached",
            get(|| async { ([(header::CACHE_CONTROL, "public, max-age=60")], "x") }),
        );
        let custom = build_app(cached, &HttpConfig::default());
        for (app, path, status, cache_control) in [
            (app(), "/ok", 200, "no-store"),
            (app(), "/nope", 404, "no-store"),
            (app(), "/fail", 500, "no-store"),
            (custom, "/cached", 200, "public, max-age=60"),
        ] {
            let response = app.oneshot(get_req(path)).await.unwrap();
            assert_eq!(response.status(), status, "{path}");
            let headers = response.headers();
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
            assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
            assert_eq!(headers[header::REFERRER_POLICY], "no-referrer", "{path}");
            assert!(
                headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
                "{path}"
            );
            assert_eq!(
                headers[header::CONTENT_SECURITY_POLICY],
                "default-src 'none'; frame-ancestors 'none'",
                "{path}"
            );
            assert_eq!(headers[header::CACHE_CONTROL], cache_control, "{path}");
        }
    }

    #[tokio::test]
    async fn head_error_responses_have_no_body() {
        let req = http::Request::head("/nope").body(Body::empty()).unwrap();
        let response = app().oneshot(req).await.unwrap();
        assert_eq!(response.status(), 404);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        assert!(bytes.is_empty());
    }
}
