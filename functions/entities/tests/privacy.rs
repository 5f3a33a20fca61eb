//! No request text, entity text or anonymized text reaches the logs: every log
//! line of a run over personal data is captured and searched.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use common::{Captured, KEY, TOKEN, post, restore};
use serde_json::json;

#[tokio::test]
async fn personal_data_never_reaches_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let secrets = [
        "Margaret Thornbury",
        "m.thornbury@example.net",
        "4111 1111 1111 1111",
        "536-22-1234",
        "GB82 WEST 1234 5698 7654 32",
        "(415) 555-2671",
        "1600 Pennsylvania Avenue",
    ];
    let text = format!(
        "I am {}, mail {} card {} ssn {} iban {} phone {} home {}.",
        secrets[0], secrets[1], secrets[2], secrets[3], secrets[4], secrets[5], secrets[6]
    );
    for operator in ["mask", "replace", "redact", "hash", "keep", "pseudonym"] {
        let (status, _) = post(json!({"text": text, "operator": operator})).await;
        assert_eq!(status, 200);
    }
    // A batch with an operator per type and parameters.
    let (status, _) = post(json!({
        "texts": [text, text],
        "operators": {
            "DEFAULT": {"type": "pseudonym"},
            "CREDIT_CARD": {"type": "mask", "masking_char": "*", "chars_to_mask": 12},
            "EMAIL_ADDRESS": {"type": "hash", "salt": secrets[0], "algorithm": "sha512"},
            "PHONE_NUMBER": {"type": "replace", "new_value": secrets[1]},
        },
    }))
    .await;
    assert_eq!(status, 200);
    // The request's own recognizers, an allow list and explanations.
    let (status, _) = post(json!({
        "text": text,
        "explain": true,
        "allow_list": [secrets[5]],
        "recognizers": [
            {"type": "SURNAME", "deny_list": ["Thornbury"], "context": ["I am"]},
            {"type": "SSN_LIKE", "patterns": [{"regex": "\\d{3}-\\d{2}-\\d{4}"}]},
        ],
    }))
    .await;
    assert_eq!(status, 200);
    // A bad pattern holding personal data is refused without quoting it.
    let (status, body4) = post(json!({
        "text": text,
        "recognizers": [{"type": "NAME", "patterns": [{"regex": "Margaret Thornbury("}]}],
    }))
    .await;
    assert_eq!(status, 422);
    // Failing requests must not echo or log the text either.
    let (status, body) = post(json!({"text": text, "model_size": "xl"})).await;
    assert_eq!(status, 422);
    let (status, body2) = post(json!({"text": text, "unexpected": secrets[0]})).await;
    assert_eq!(status, 422);
    let (status, body3) = post(json!({"text": secrets[1], "operator": secrets[0]})).await;
    assert_eq!(status, 422);
    let (status, body5) = post(json!({
        "text": text,
        "operators": {"PERSON": {"type": "replace", "new_value": secrets[0], "salt": secrets[1]}},
    }))
    .await;
    assert_eq!(status, 422);

    // Keyed pseudonyms and reversible redaction, then restore: right token,
    // a tampered token, no token.
    let (status, keyed) = post(json!({
        "text": text,
        "operators": {
            "DEFAULT": {"type": "encrypt"},
            "PERSON": {"type": "pseudonym", "scope": "deployment"},
        },
    }))
    .await;
    assert_eq!(status, 200);
    let sealed = keyed["anonymized_text"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {TOKEN}");
    let (status, opened) = restore(json!({"text": sealed}), Some(&bearer)).await;
    assert_eq!(status, 200, "{opened}");
    assert!(opened["text"].as_str().unwrap().contains(secrets[1]));
    let at = sealed.find("<enc:").unwrap() + 20;
    let mut tampered = sealed.clone();
    let flipped = if &sealed[at..=at] == "A" { "B" } else { "A" };
    tampered.replace_range(at..=at, flipped);
    let (status, body6) = restore(json!({"texts": [sealed, tampered]}), Some(&bearer)).await;
    assert_eq!(status, 422, "{body6}");
    let (status, body7) = restore(json!({"text": sealed}), None).await;
    assert_eq!(status, 401);
    let tokens: Vec<String> = sealed
        .split("<enc:")
        .skip(1)
        .filter_map(|t| t.split('>').next())
        .map(|t| t.rsplit(':').next().unwrap_or_default().to_owned())
        .collect();
    assert!(!tokens.is_empty());

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for value in tokens.iter().map(String::as_str).chain([KEY, TOKEN]) {
        assert!(
            !logs.contains(value),
            "a token or secret leaked into the logs"
        );
        for error_body in [&body6, &body7] {
            assert!(
                !error_body.to_string().contains(value),
                "leaked into {error_body}"
            );
        }
    }
    assert!(
        logs.contains("\"status\":200"),
        "the request lines were captured: {logs}"
    );
    for secret in secrets
        .iter()
        .chain(["Thornbury", "thornbury", "Pennsylvania"].iter())
    {
        assert!(!logs.contains(secret), "{secret:?} leaked into the logs");
        for error_body in [&body, &body2, &body3, &body4, &body5, &body6, &body7] {
            assert!(
                !error_body.to_string().contains(secret),
                "{secret:?} leaked into an error body: {error_body}"
            );
        }
    }
}
