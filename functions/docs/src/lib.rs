//! The docs function: the API's OpenAPI document and its interactive pages.
//!
//! - `GET /openapi.json`: the one OpenAPI 3.1 document of every function's
//!   routes, generated from the handlers' annotations by `tools/openapi-document`
//!   and embedded at build time (a test fails when the committed file is stale);
//! - `GET /docs`: Swagger UI, with "Try it out" against this deployment;
//! - `GET /redoc`: Redoc;
//! - `GET /docs/{asset}`: the pages' scripts and styles, served from the binary
//!   (no CDN, nothing downloaded at build time).

pub mod assets;
pub mod pages;

use std::sync::OnceLock;

use axum::{
    Router,
    body::Body,
    extract::Path,
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use sha2::{Digest, Sha256};
use shared::ApiError;
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

/// The committed document; `cargo run -p openapi-document -- --write` renews it.
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

/// Name of the start-up script, served beside the vendored files.
const SWAGGER_INITIALIZER: &str = "swagger-initializer.js";

/// Assets never change within a deployment; a day of caching is a good balance
/// with new deployments (the `ETag` makes revalidation cheap).
const ASSET_CACHE_CONTROL: &str = "public, max-age=86400";

/// The routes with their OpenAPI operations, from one list: a handler is
/// served exactly when its `#[utoipa::path]` is in the document.
fn routes() -> OpenApiRouter {
    OpenApiRouter::with_openapi(DocsApi::openapi())
        .routes(routes!(openapi_document))
        .routes(routes!(swagger_ui))
        .routes(routes!(asset))
        .routes(routes!(redoc))
}

pub fn router() -> Router {
    routes().into()
}

/// This function's part of the API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// The OpenAPI 3.1 document of the whole API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "docs",
    responses(
        (status = 200, description = "The document.", content_type = "application/json",
            body = Object,
            headers(("ETag" = String, description = "Digest of the document."))),
        (status = 304, description = "Not modified: the `ETag` sent is current."),
    )
)]
pub async fn openapi_document(request: axum::extract::Request) -> Response {
    let headers = request.headers();
    match stage_prefix(request.extensions()) {
        None => {
            static ETAG: OnceLock<String> = OnceLock::new();
            let etag = ETAG.get_or_init(|| quoted_digest(OPENAPI_JSON.as_bytes()));
            cached(
                headers,
                etag,
                "application/json",
                "no-cache",
                Bytes::from_static(OPENAPI_JSON.as_bytes()),
            )
        }
        Some(prefix) => {
            let document = with_server_prefix(&prefix);
            let etag = quoted_digest(&document);
            cached(headers, &etag, "application/json", "no-cache", document)
        }
    }
}

/// `/<stage>` when API Gateway serves the API under a named stage (the
/// template's `$default` stage has no prefix; nor does a local run).
fn stage_prefix(extensions: &http::Extensions) -> Option<String> {
    use lambda_http::request::RequestContext;
    let context = extensions.get::<RequestContext>()?;
    let stage = if let RequestContext::ApiGatewayV2(context) = context {
        context.stage.clone()
    } else if let RequestContext::ApiGatewayV1(context) = context {
        context.stage.clone()
    } else {
        None
    }?;
    let plain = !stage.is_empty()
        && stage != "$default"
        && stage
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    plain.then(|| format!("/{stage}"))
}

/// The document with its server URL under `prefix`.
fn with_server_prefix(prefix: &str) -> Bytes {
    let Ok(mut document) = serde_json::from_str::<serde_json::Value>(OPENAPI_JSON) else {
        return Bytes::from_static(OPENAPI_JSON.as_bytes());
    };
    document["servers"] = serde_json::json!([{"url": prefix, "description": "This deployment"}]);
    Bytes::from(serde_json::to_vec_pretty(&document).unwrap_or_default())
}

/// Swagger UI: browse the API and try its operations.
#[utoipa::path(
    get,
    path = "/docs",
    tag = "docs",
    responses((status = 200, description = "The Swagger UI page.", content_type = "text/html", body = String))
)]
pub async fn swagger_ui() -> Response {
    page(pages::SWAGGER_UI_HTML)
}

/// Redoc: the API reference as one readable page.
#[utoipa::path(
    get,
    path = "/redoc",
    tag = "docs",
    responses((status = 200, description = "The Redoc page.", content_type = "text/html", body = String))
)]
pub async fn redoc() -> Response {
    page(pages::REDOC_HTML)
}

/// A script, style sheet or icon of the docs pages.
#[utoipa::path(
    get,
    path = "/docs/{asset}",
    tag = "docs",
    params(("asset" = String, Path, description = "File name.",
        example = "swagger-ui.css")),
    responses(
        // No content schema: these are scripts, styles and images, not data.
        (status = 200, description = "The file (`text/javascript`, `text/css` or `image/png`), gzip-encoded when the client accepts it.",
            headers(("ETag" = String, description = "Digest of the file."))),
        (status = 304, description = "Not modified: the `ETag` sent is current."),
        (status = 404, response = shared::openapi::NotFound),
    )
)]
pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Result<Response, ApiError> {
    if name == SWAGGER_INITIALIZER {
        static ETAG: OnceLock<String> = OnceLock::new();
        let etag = ETAG.get_or_init(|| quoted_digest(pages::SWAGGER_INITIALIZER_JS.as_bytes()));
        return Ok(cached(
            &headers,
            etag,
            "text/javascript; charset=utf-8",
            ASSET_CACHE_CONTROL,
            Bytes::from_static(pages::SWAGGER_INITIALIZER_JS.as_bytes()),
        ));
    }
    let not_found = || ApiError::NotFound {
        detail: "The docs pages have no file of this name.".into(),
    };
    let asset = assets::find(&name).ok_or_else(not_found)?;
    let etag = format!("\"{}\"", asset.etag().unwrap_or_default());
    if shared::conditional::if_none_match(&headers, &etag) {
        return Ok(not_modified_response(&etag, ASSET_CACHE_CONTROL));
    }
    let gzip = accepts_gzip(&headers);
    let body = if gzip {
        Body::from(asset.gzipped)
    } else {
        Body::from(asset.inflated().ok_or_else(not_found)?.to_vec())
    };
    let mut response = Response::new(body);
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if gzip {
        response_headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    response_headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    insert_validators(response_headers, &etag, ASSET_CACHE_CONTROL);
    Ok(response)
}

fn page(html: &'static str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(pages::PAGE_CSP),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response()
}

fn cached(
    headers: &HeaderMap,
    etag: &str,
    content_type: &'static str,
    cache_control: &'static str,
    body: Bytes,
) -> Response {
    if shared::conditional::if_none_match(headers, etag) {
        return not_modified_response(etag, cache_control);
    }
    let mut response = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    insert_validators(response.headers_mut(), etag, cache_control);
    response
}

fn not_modified_response(etag: &str, cache_control: &'static str) -> Response {
    let mut response = StatusCode::NOT_MODIFIED.into_response();
    insert_validators(response.headers_mut(), etag, cache_control);
    response
}

fn insert_validators(headers: &mut HeaderMap, etag: &str, cache_control: &'static str) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
}

fn quoted_digest(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether `Accept-Encoding` admits gzip (RFC 9110 §12.5.3: listed, or `*`,
/// without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or_default();
            let refused = parts.any(|param| {
                param
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "docs", description = "This document and its interactive pages."))
)]
pub struct DocsApi;

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    #[test]
    fn gzip_acceptance_follows_rfc_9110() {
        assert!(accepts_gzip(&headers(&[(
            "accept-encoding",
            "gzip, deflate, br"
        )])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "br;q=1, *")])));
        assert!(accepts_gzip(&headers(&[("accept-encoding", "GZIP;q=0.5")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "gzip;q=0")])));
        assert!(!accepts_gzip(&headers(&[("accept-encoding", "identity")])));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn a_named_stage_prefixes_the_server_url() {
        use lambda_http::{
            aws_lambda_events::apigw::ApiGatewayV2httpRequestContext, request::RequestContext,
        };
        let mut extensions = http::Extensions::new();
        assert_eq!(stage_prefix(&extensions), None, "local run");
        let mut context = ApiGatewayV2httpRequestContext::default();
        context.stage = Some("$default".into());
        extensions.insert(RequestContext::ApiGatewayV2(context.clone()));
        assert_eq!(stage_prefix(&extensions), None);
        context.stage = Some("prod".into());
        extensions.insert(RequestContext::ApiGatewayV2(context));
        assert_eq!(stage_prefix(&extensions).as_deref(), Some("/prod"));
        let document: serde_json::Value =
            serde_json::from_slice(&with_server_prefix("/prod")).expect("JSON");
        assert_eq!(document["servers"][0]["url"], "/prod");
        assert_eq!(
            document["paths"],
            serde_json::from_str::<serde_json::Value>(OPENAPI_JSON).expect("JSON")["paths"]
        );
    }

    #[test]
    fn the_embedded_document_is_openapi_3_1_json() {
        let document: serde_json::Value = serde_json::from_str(OPENAPI_JSON).expect("JSON");
        assert_eq!(document["openapi"], "3.1.0");
    }
}
