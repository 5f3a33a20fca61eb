//! A model pack whose model file is corrupt: the load fails with one clear log
//! line naming the pack, requests get 503 problems with `Retry-After` (never a
//! guess from the other recognizers alone), and once the file is good again
//! the same catalog loads it and answers 200, without a restart.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::{sync::Arc, time::Duration};

use axum::body::Body;
use common::Captured;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn post(app: &axum::Router) -> (u16, Option<String>, Value) {
    let request = http::Request::post("/entities")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"text": "Angela Merkel visited Paris."}).to_string(),
        ))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, retry, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn a_corrupt_pack_gives_503s_and_recovers_when_fixed() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let source = common::manifest_dir().join("../../models/ner-en-sm");
    let dir = std::env::temp_dir().join(format!("entities-broken-pack-{}", std::process::id()));
    let pack = dir.join("ner-en-sm");
    std::fs::create_dir_all(&pack).unwrap();
    for file in ["config.json", "tokenizer.json"] {
        std::fs::copy(source.join(file), pack.join(file)).unwrap();
    }
    let good = std::fs::read(source.join("model.onnx")).unwrap();
    std::fs::write(pack.join("model.onnx"), &good[..good.len() / 3]).unwrap();

    let catalog = entities::Catalog::discover_with_retry(&dir, Duration::ZERO);
    let app = shared::build_app(
        entities::router(Arc::new(catalog), Arc::default()),
        &shared::config::HttpConfig::default(),
    );
    for _ in 0..2 {
        let (status, retry, body) = post(&app).await;
        assert_eq!(status, 503, "{body}");
        assert_eq!(retry.as_deref(), Some("30"));
        assert_eq!(body["status"], 503);
        let detail = body["detail"].as_str().unwrap();
        assert!(
            detail.contains("ner-en-sm") && !detail.contains(&*dir.to_string_lossy()),
            "{detail}"
        );
    }
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let failures: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("model pack failed to load"))
        .collect();
    assert_eq!(failures.len(), 2, "one line per attempt:\n{logs}");
    assert!(failures[0].contains("ner-en-sm"), "{}", failures[0]);
    assert!(!logs.contains("Angela"), "request text in the logs");

    std::fs::write(pack.join("model.onnx"), &good).unwrap();
    let (status, _, body) = post(&app).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["models"].to_string().contains("ner-en-sm"), "{body}");
    std::fs::remove_dir_all(&dir).ok();
}
