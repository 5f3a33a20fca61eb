//! Keyed pseudonyms and reversible redaction through the real router and
//! packs: `encrypt` then `POST /entities/restore` gives every synthetic text
//! back; tampered, moved and foreign tokens are refused; the route needs the
//! write token; a deployment without a key refuses keyed operators.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use std::sync::Arc;

use common::{KEY, TOKEN, json_post, post, restore, send};
use entities::key::RedactionKey;
use http::StatusCode;
use pii_synthetic as synthetic;
use serde_json::{Value, json};

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

#[tokio::test]
async fn restore_of_encrypt_gives_every_synthetic_text_back() {
    let cases = synthetic::cases(synthetic::RECORDED_SEED, 256);
    // The validated patterns find every one of theirs on this set: none of
    // those values may stay readable.
    const VALIDATED: &[&str] = &[
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "IP_ADDRESS",
        "URL",
    ];
    // The default size (one word-level pass) on the whole part, `lg` (it runs
    // the transformer) on 64.
    for (size, count, chunk) in [("sm", cases.len(), 64), ("lg", 64, 32)] {
        for batch in cases[..count].chunks(chunk) {
            let texts: Vec<&str> = batch.iter().map(|c| c.text.as_str()).collect();
            let (status, body) = post(json!({
                "texts": texts,
                "model_size": size,
                "operator": "encrypt",
            }))
            .await;
            assert_eq!(status, 200, "{body}");
            assert!(body["key_id"].as_str().is_some_and(|id| id.len() == 8));
            let sealed: Vec<&str> = body["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["anonymized_text"].as_str().unwrap())
                .collect();
            for (case, sealed) in batch.iter().zip(&sealed) {
                for gold in case
                    .gold
                    .iter()
                    .filter(|g| VALIDATED.contains(&g.entity_type))
                {
                    let value: String = case
                        .text
                        .chars()
                        .skip(gold.start)
                        .take(gold.end - gold.start)
                        .collect();
                    assert!(!sealed.contains(&value), "{value:?} readable in {sealed:?}");
                }
            }
            let (status, opened) = restore(json!({"texts": sealed}), Some(&bearer())).await;
            assert_eq!(status, 200, "{opened}");
            let restored: Vec<&str> = opened["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["text"].as_str().unwrap())
                .collect();
            assert_eq!(restored, texts);
        }
    }
}

#[tokio::test]
async fn tampered_moved_and_foreign_tokens_are_refused_with_where() {
    let key: RedactionKey = KEY.parse().unwrap();
    let other: RedactionKey = "another-deployments-key-0123456789abcdef".parse().unwrap();
    let good = key.seal("PERSON", "Jane Doe");
    let moved = good.replacen("<enc:PERSON:", "<enc:LOCATION:", 1);
    let foreign = other.seal("PERSON", "Jane Doe");
    // A token cut short at an arbitrary place decodes by chance (1 in 16:
    // when the last kept character happens to carry no stray bits), so the
    // cuts here are chosen: one too short to hold a nonce and a tag, and one
    // whose middle four-character groups were taken out, which decodes and
    // then fails authentication like any other alteration.
    let payload = &good["<enc:PERSON:".len()..good.len() - 1];
    assert_eq!(
        payload.len(),
        71,
        "5 header, 24 nonce, 8 text, 16 tag bytes"
    );
    let short = format!("<enc:PERSON:{}>", &payload[..40]);
    let spliced = format!(
        "<enc:PERSON:{}{}>",
        &payload[..60],
        &payload[payload.len() - 3..]
    );
    for (bad, why) in [
        (moved, "altered"),
        (foreign, "another key"),
        (short, "not a token"),
        (spliced, "altered"),
    ] {
        let text = format!("Hello {bad}, and {good}.");
        let (status, body) = restore(json!({"text": text}), Some(&bearer())).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let error = &body["errors"][0];
        assert_eq!(error["loc"], json!(["body", "text"]));
        assert_eq!(error["type"], "invalid_token");
        let msg = error["msg"].as_str().unwrap();
        assert!(msg.contains("characters 6.."), "{msg}");
        assert!(msg.contains(why), "{msg}");
        assert!(!body.to_string().contains("Jane"));
    }
    // In a batch the index of the text is named.
    let (status, body) = restore(
        json!({"texts": ["nothing here", format!("x {}", other.seal("PERSON", "Jane"))]}),
        Some(&bearer()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["loc"], json!(["body", "texts", 1]));
    // Text without tokens comes back unchanged.
    let (status, body) = restore(json!({"text": "plain <enc: text"}), Some(&bearer())).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"text": "plain <enc: text", "restored": 0}));
}

#[tokio::test]
async fn restore_needs_the_write_token_before_reading_the_body() {
    let (status, body) = restore(json!({"text": "x"}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (status, _) = restore(json!({"text": "x"}), Some("Bearer wrong-token-0123456789")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Authentication comes first: a bad body without a token is 401, not 422.
    let (status, _) = restore(json!({"nonsense": 1}), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = restore(json!({"nonsense": 1}), Some(&bearer())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = restore(json!({"text": "a", "texts": ["b"]}), Some(&bearer())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A deployment with no secrets at all: the same packs, `Secrets::default()`.
async fn bare(uri: &str, body: Value, authorization: Option<&str>) -> (StatusCode, Value) {
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let app = shared::build_app(
        entities::router(
            Arc::new(entities::Catalog::discover(&models)),
            Arc::default(),
        ),
        &shared::config::HttpConfig::default(),
    );
    send(app, json_post(uri, &body, authorization)).await
}

#[tokio::test]
async fn without_a_key_keyed_operators_are_422_and_restore_is_503() {
    let text = "Mail jane@example.com";
    let (status, body) = bare(
        "/entities",
        json!({"text": text, "model_size": "fast", "operators": {"EMAIL_ADDRESS": {"type": "pseudonym", "scope": "deployment"}}}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        body["errors"][0]["loc"],
        json!(["body", "operators", "EMAIL_ADDRESS", "scope"])
    );
    assert!(
        body["errors"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("redaction key")
    );
    let (status, body) = bare(
        "/entities",
        json!({"text": text, "model_size": "fast", "operator": "encrypt"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["loc"], json!(["body", "operator"]));
    // Request-scoped pseudonyms need no key.
    let (status, body) = bare(
        "/entities",
        json!({"text": text, "model_size": "fast", "operator": "pseudonym"}),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["pseudonym_scope"], "request");
    assert!(body.get("key_id").is_none());
    let (status, body) = bare("/entities/restore", json!({"text": "x"}), Some(&bearer())).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("not configured"));
}

#[tokio::test]
async fn keyed_pseudonyms_link_across_requests() {
    let ask = |text: &'static str| {
        post(json!({
            "text": text,
            "model_size": "fast",
            "operators": {
                "DEFAULT": {"type": "pseudonym"},
                "EMAIL_ADDRESS": {"type": "pseudonym", "scope": "deployment"},
            },
        }))
    };
    let (status, first) = ask("Mail jane@example.com or bob@example.org").await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = ask("Is JANE@example.com  right?").await;
    assert_eq!(first["pseudonym_scope"], "mixed");
    let key: RedactionKey = KEY.parse().unwrap();
    assert_eq!(first["key_id"], key.id());
    let jane = key.pseudonym("EMAIL_ADDRESS", "jane@example.com");
    assert!(first["anonymized_text"].as_str().unwrap().contains(&jane));
    assert!(second["anonymized_text"].as_str().unwrap().contains(&jane));
    assert!(!first["anonymized_text"].as_str().unwrap().contains("jane@"));
}

#[tokio::test]
async fn an_over_long_restore_is_a_422_even_fully_escaped() {
    // One code point past the bound, every one an escaped surrogate pair: the
    // body still fits the function's limit, so the answer names the bound.
    let count = entities::restore::MAX_RESTORE_CHARS + 1;
    let body = format!("{{\"text\": \"{}\"}}", "\\ud83d\\ude00".repeat(count));
    assert!(body.len() < entities::MAX_BODY_BYTES);
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let app = shared::build_app(
        entities::router(
            Arc::new(entities::Catalog::discover(&models)),
            Arc::new(common::secrets()),
        ),
        &shared::config::HttpConfig {
            max_body_bytes: entities::MAX_BODY_BYTES,
            ..shared::config::HttpConfig::default()
        },
    );
    let request = http::Request::post("/entities/restore")
        .header("content-type", "application/json")
        .header("authorization", bearer())
        .body(axum::body::Body::from(body))
        .unwrap();
    let (status, answer) = send(app, request).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(answer["errors"][0]["loc"], json!(["body", "text"]));
}
