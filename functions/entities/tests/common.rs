//! The real entities router over the packs in models/ (built by
//! models/build_packs.py, which scripts/test.sh runs).

#![allow(dead_code, clippy::unwrap_used)]

use std::{
    io::Write,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{Router, body::Body};
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The write token and redaction key of the test app.
pub const TOKEN: &str = "entities-test-write-token";
pub const KEY: &str = "entities-test-redaction-key-0123456789abcdef";

pub fn secrets() -> entities::Secrets {
    entities::Secrets::new(
        Some(api_token::TokenSource::Inline(TOKEN.parse().unwrap())),
        Some(entities::secrets::KeySource::Inline(KEY.parse().unwrap())),
    )
}

pub fn app() -> Router {
    // One catalog per test binary: a pack loads once, as in a warm container.
    static CATALOG: OnceLock<Arc<entities::Catalog>> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| {
        let dir = manifest_dir().join("../../models");
        let catalog = entities::Catalog::discover(&dir);
        assert!(
            !catalog.packs.is_empty(),
            "no model pack in models/: run ./scripts/test.sh (or python3 models/build_packs.py)"
        );
        Arc::new(catalog)
    });
    shared::build_app(
        entities::router(Arc::clone(catalog), Arc::new(secrets())),
        &shared::config::HttpConfig::default(),
    )
}

/// Sends `request` to `app` and reads the status and JSON body.
pub async fn send(app: Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// A JSON `POST` to `uri`, with `authorization` (e.g. `Bearer <TOKEN>`) when given.
pub fn json_post(uri: &str, body: &Value, authorization: Option<&str>) -> Request<Body> {
    let mut request = Request::post(uri).header("content-type", "application/json");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.body(Body::from(body.to_string())).unwrap()
}

pub async fn post(body: Value) -> (StatusCode, Value) {
    send(app(), json_post("/entities", &body, None)).await
}

/// `POST /entities/restore` with `authorization` when given.
pub async fn restore(body: Value, authorization: Option<&str>) -> (StatusCode, Value) {
    send(app(), json_post("/entities/restore", &body, authorization)).await
}

pub async fn get(uri: &str) -> (StatusCode, Value) {
    send(app(), Request::get(uri).body(Body::empty()).unwrap()).await
}

/// `(type, text)` of every entity in a response.
pub fn found(body: &Value) -> Vec<(String, String)> {
    body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Every span's text is the text between its offsets, in code points.
pub fn assert_offsets(text: &str, body: &Value) {
    let chars: Vec<char> = text.chars().collect();
    let mut last_end = 0;
    for entity in body["entities"].as_array().unwrap() {
        let (start, end) = (
            entity["start"].as_u64().unwrap() as usize,
            entity["end"].as_u64().unwrap() as usize,
        );
        assert!(start < end && end <= chars.len(), "{entity}");
        assert!(start >= last_end, "overlapping or unsorted: {entity}");
        let slice: String = chars[start..end].iter().collect();
        assert_eq!(slice, entity["text"].as_str().unwrap());
        last_end = end;
    }
}

/// This package's folder. Read when the program runs (cargo sets it for `cargo
/// run`, `cargo test` and `cargo bench`), so an artifact built in another
/// checkout sharing the target directory still finds this checkout's files.
pub fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A log writer that keeps every line, for tests that read the logs.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
