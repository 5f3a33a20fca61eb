//! Test harness: the real cafe router, with the shared layers, on a fresh table
//! of the dynalite server that `scripts/test.sh` starts (`DYNAMODB_ENDPOINT`).

#![allow(dead_code, clippy::unwrap_used)] // helpers shared by several test files

use axum::{Router, body::Body};
use cafe::{AppState, store::Store};
use http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const TOKEN: &str = "test-token-0123456789";

pub fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").expect(
        "DYNAMODB_ENDPOINT is not set: run `cargo xtask test integration`, which starts \
         dynalite, or start one and export DYNAMODB_ENDPOINT=http://127.0.0.1:PORT",
    )
}

/// A router on its own new table, so tests run in parallel.
pub async fn app() -> Router {
    app_on(&endpoint()).await
}

pub async fn app_on(endpoint: &str) -> Router {
    let table = format!("cafe-test-{}", uuid());
    let store = Store::connect(Some(endpoint), &table).await;
    if std::env::var("DYNAMODB_ENDPOINT").is_ok_and(|server| server == endpoint) {
        store.ensure_table().await.expect("create the test table");
    }
    let state = AppState::new(store, TOKEN.parse().unwrap(), "EUR".parse().unwrap());
    shared::build_app(cafe::router(state), &shared::config::HttpConfig::default())
}

fn uuid() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}-{}", std::process::id())
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(
            self.header("content-type"),
            "application/problem+json",
            "{}",
            self.body
        );
        assert_eq!(self.body["status"], status);
        self
    }

    /// A 503 problem with `Retry-After` that names no internals (the
    /// DynamoDB endpoint): how the cafe answers while its store is down.
    pub fn assert_unavailable(&self) -> &Self {
        self.assert_problem(503);
        assert!(!self.header("retry-after").is_empty(), "Retry-After");
        assert!(
            !self.body.to_string().contains("127.0.0.1"),
            "no internals in {}",
            self.body
        );
        self
    }

    /// The `loc`s of a 422's errors.
    pub fn locs(&self) -> Vec<Value> {
        self.body["errors"]
            .as_array()
            .map(|errors| errors.iter().map(|e| e["loc"].clone()).collect())
            .unwrap_or_default()
    }
}

pub struct Call {
    request: http::request::Builder,
    body: Body,
}

pub fn call(method: Method, uri: &str) -> Call {
    Call {
        request: Request::builder().method(method).uri(uri),
        body: Body::empty(),
    }
}

impl Call {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    pub fn auth(self) -> Self {
        self.header("authorization", &format!("Bearer {TOKEN}"))
    }

    pub fn json(mut self, body: Value) -> Self {
        self.request = self
            .request
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(body.to_string());
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.request = self.request.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    pub async fn send(self, app: &Router) -> Reply {
        let request = self.request.body(self.body).unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw,
        }
    }
}

/// Creates an item and returns its JSON.
pub async fn create(app: &Router, body: Value) -> Value {
    let reply = call(Method::POST, "/items")
        .auth()
        .json(body)
        .send(app)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body
}

/// Every item, following cursors.
pub async fn list_all(app: &Router, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut uri = format!("/items?{query}");
        if let Some(cursor) = &cursor {
            uri.push_str(&format!("&cursor={cursor}"));
        }
        let reply = call(Method::GET, &uri).send(app).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        items.extend(reply.body["items"].as_array().unwrap().iter().cloned());
        match reply.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
}

/// The repository root, read when the test runs (cargo sets
/// `CARGO_MANIFEST_DIR` then), so a test binary built in another checkout that
/// shares the target directory reads this checkout's files.
pub fn repo_root() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}
