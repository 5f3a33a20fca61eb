//! Redaction for real workloads, through the real router and model packs:
//! batches, an operator per type with parameters, consistent pseudonyms,
//! the cost receipt (`usage`, `Server-Timing`) and the residual check.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use axum::body::Body;
use common::{app, post};
use http::Request;
use serde_json::{Value, json};
use tower::ServiceExt;

fn error_locs(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| (e["loc"].to_string(), e["type"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn a_batch_answers_each_text_in_order_with_shared_options() {
    let texts = [
        "Mail jane@example.com today.",
        "Nothing personal here.",
        "Card 4111 1111 1111 1111 expired.",
    ];
    let types = ["EMAIL_ADDRESS", "CREDIT_CARD", "PERSON"];
    let (status, body) =
        post(json!({"texts": texts, "operator": "replace", "model_size": "fast", "types": types}))
            .await;
    assert_eq!(status, 200, "{body}");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["anonymized_text"], "Mail <EMAIL_ADDRESS> today.");
    assert_eq!(results[1]["entities"], json!([]));
    assert_eq!(results[2]["anonymized_text"], "Card <CREDIT_CARD> expired.");
    assert_eq!(body["usage"]["texts"], 3);
    let characters: usize = texts.iter().map(|t| t.chars().count()).sum();
    assert_eq!(body["usage"]["characters"], characters);
    assert!(body["usage"]["tokens"].as_u64().unwrap() > 0);
    assert!(
        body.get("entities").is_none(),
        "a batch answers with results only"
    );

    // Each result equals the answer to the same text sent alone.
    for (text, result) in texts.iter().zip(results) {
        let (_, alone) = post(
            json!({"text": text, "operator": "replace", "model_size": "fast", "types": types}),
        )
        .await;
        assert_eq!(alone["entities"], result["entities"]);
        assert_eq!(alone["anonymized_text"], result["anonymized_text"]);
    }
}

#[tokio::test]
async fn bad_batches_are_422s_naming_the_item() {
    let (status, body) = post(json!({"texts": ["fine", "", "fine"]})).await;
    assert_eq!(status, 422);
    assert_eq!(error_locs(&body)[0].0, r#"["body","texts",1]"#);

    let (status, body) = post(json!({"texts": vec!["x"; 65]})).await;
    assert_eq!(status, 422, "{body}");

    let big = "a".repeat(60_000);
    let (status, body) = post(json!({"texts": [big, big]})).await;
    assert_eq!(status, 422);
    assert_eq!(
        error_locs(&body),
        [(r#"["body","texts"]"#.to_owned(), "too_long".to_owned())]
    );

    let (status, body) = post(json!({"text": "a", "texts": ["b"]})).await;
    assert_eq!(status, 422);
    assert_eq!(error_locs(&body)[0].1, "text_and_texts");
    let (status, body) = post(json!({"model_size": "fast"})).await;
    assert_eq!(status, 422);
    assert_eq!(
        error_locs(&body)[0],
        (r#"["body","text"]"#.to_owned(), "missing".to_owned())
    );
}

#[tokio::test]
async fn an_operator_per_type_with_parameters() {
    let (status, body) = post(json!({
        "text": "Jane Doe paid with 4111 1111 1111 1111 on 2024-05-01, mail jane@example.com.",
        "model_size": "fast",
        "operators": {
            "DEFAULT": {"type": "replace"},
            "CREDIT_CARD": {"type": "mask", "masking_char": "*", "chars_to_mask": 14},
            "DATE": {"type": "keep"},
            "EMAIL_ADDRESS": {"type": "hash", "algorithm": "sha512", "salt": "s", "length": 24},
        },
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    let redacted = body["anonymized_text"].as_str().unwrap();
    assert!(
        redacted.starts_with("<PERSON> paid with ************** 1111 on 2024-05-01, mail "),
        "{redacted}"
    );
    let digest = redacted.trim_end_matches('.').rsplit(' ').next().unwrap();
    assert_eq!(digest.len(), 24);
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()));
}

#[tokio::test]
async fn operators_that_do_not_fit_are_422s_naming_them() {
    for (operators, loc, kind) in [
        (
            json!({"NOT_A_TYPE": {"type": "keep"}}),
            r#"["body","operators","NOT_A_TYPE"]"#,
            "unknown_entity_type",
        ),
        (
            json!({"CREDIT_CARD": {"type": "mask", "chars_to_mask": 0}}),
            r#"["body","operators","CREDIT_CARD","chars_to_mask"]"#,
            "invalid_operator_parameter",
        ),
        (
            json!({"PERSON": {"type": "hash", "length": 65}}),
            r#"["body","operators","PERSON","length"]"#,
            "invalid_operator_parameter",
        ),
    ] {
        let (status, body) = post(json!({"text": "Jane Doe", "operators": operators})).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(error_locs(&body), [(loc.to_owned(), kind.to_owned())]);
    }
    // A parameter of another operator, and an unknown operator.
    for operators in [
        json!({"PERSON": {"type": "replace", "masking_char": "*"}}),
        json!({"PERSON": {"type": "shred"}}),
        json!({"PERSON": {"type": "mask", "masking_char": "**"}}),
    ] {
        let (status, body) = post(json!({"text": "Jane Doe", "operators": operators})).await;
        assert_eq!(status, 422, "{operators}: {body}");
    }
    // The request's own types are valid keys.
    let (status, body) = post(json!({
        "text": "EMP-123456",
        "model_size": "fast",
        "recognizers": [{"type": "EMPLOYEE_ID", "patterns": [{"regex": "EMP-\\d{6}"}]}],
        "operators": {"EMPLOYEE_ID": {"type": "replace", "new_value": "[staff]"}},
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["anonymized_text"], "[staff]");
}

#[tokio::test]
async fn pseudonyms_are_consistent_across_a_batch() {
    let (status, body) = post(json!({
        "texts": ["Mail jane@example.com or bob@example.org.", "Reply to JANE@example.com."],
        "model_size": "fast",
        "types": ["EMAIL_ADDRESS"],
        "operator": "pseudonym",
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["pseudonym_scope"], "request");
    let results = body["results"].as_array().unwrap();
    assert_eq!(
        results[0]["anonymized_text"],
        "Mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_2>."
    );
    assert_eq!(results[1]["anonymized_text"], "Reply to <EMAIL_ADDRESS_1>.");

    let (_, plain) = post(json!({"text": "Mail jane@example.com.", "model_size": "fast"})).await;
    assert!(plain.get("pseudonym_scope").is_none());
}

#[tokio::test]
async fn the_residual_check_counts_what_stays_readable() {
    let text = "Mail jane@example.com, card 4111 1111 1111 1111.";
    let (_, masked) = post(json!({"text": text, "model_size": "fast"})).await;
    assert_eq!(
        masked["residual"],
        json!({"pattern_matches": 0, "types": []})
    );
    let (_, kept) = post(json!({
        "text": text,
        "model_size": "fast",
        "operators": {"EMAIL_ADDRESS": {"type": "keep"}},
    }))
    .await;
    assert_eq!(
        kept["residual"],
        json!({"pattern_matches": 1, "types": ["EMAIL_ADDRESS"]})
    );
}

#[tokio::test]
async fn usage_and_server_timing() {
    let request = Request::post("/entities")
        .header("content-type", "application/json")
        .body(Body::from(
            json!({"text": "Jane Doe, jane@example.com"}).to_string(),
        ))
        .unwrap();
    let response = app().oneshot(request).await.unwrap();
    let timing = response.headers()["server-timing"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        timing.starts_with("model;dur=")
            && timing.contains(", patterns;dur=")
            && timing.contains(", total;dur="),
        "{timing}"
    );
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let body: Value = serde_json::from_slice(&bytes).unwrap();
    let usage = &body["usage"];
    assert_eq!(usage["texts"], 1);
    assert_eq!(usage["characters"], 26);
    assert!(usage["model_ms"].as_f64().unwrap() > 0.0);
    assert!(usage["total_ms"].as_f64().unwrap() >= usage["model_ms"].as_f64().unwrap());
}
