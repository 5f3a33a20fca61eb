//! Hand-written cases over the real model pack and pattern recognizers.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use common::{assert_offsets, found, get, post};
use http::StatusCode;
use serde_json::json;

async fn analyze(text: &str) -> serde_json::Value {
    let (status, body) = post(json!({"text": text})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_offsets(text, &body);
    assert_eq!(
        body["anonymized_text"].as_str().unwrap().chars().count(),
        text.chars().count(),
        "mask keeps length"
    );
    body
}

/// The names of the model packs an answer says it used.
fn model_names(body: &serde_json::Value) -> Vec<&str> {
    body["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect()
}

fn has(body: &serde_json::Value, kind: &str, text: &str) -> bool {
    found(body).iter().any(|(k, t)| k == kind && t == text)
}

#[tokio::test]
async fn the_original_response_shape_with_masking() {
    let text = "Contact me at jane.doe@example.com please.";
    let body = analyze(text).await;
    assert!(
        has(&body, "EMAIL_ADDRESS", "jane.doe@example.com"),
        "{body}"
    );
    assert_eq!(
        body["anonymized_text"],
        "Contact me at XXXXXXXXXXXXXXXXXXXX please."
    );
    // The default size is one word-level pass: no transformer.
    assert_eq!(model_names(&body), ["ner-en-sm"]);
    let entity = &body["entities"][0];
    for key in ["start", "end", "type", "text", "score", "source"] {
        assert!(entity.get(key).is_some(), "{key} missing: {entity}");
    }
}

#[tokio::test]
#[ignore = "integration: needs the pii-en-rampart pack (models/build_packs.py); run `cargo xtask test integration`"]
async fn each_size_runs_its_packs_and_only_lg_runs_the_transformer() {
    for (size, packs) in [
        ("sm", &["ner-en-sm"][..]),
        ("lg", &["ner-en-lg", "pii-en-rampart"][..]),
        ("fast", &["ner-en-sm"][..]),
    ] {
        let (status, body) =
            post(json!({"text": "Hi, I am Sarah Johnson.", "model_size": size})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut models = model_names(&body);
        models.sort_unstable();
        assert_eq!(models, packs, "{size}");
        assert!(has(&body, "PERSON", "Sarah Johnson"), "{size}: {body}");
    }
}

#[tokio::test]
async fn self_disclosed_names_and_addresses() {
    let text = "Hi, my name is Sarah Johnson and I live at 742 Evergreen Terrace, Springfield.";
    for size in ["sm", "lg", "fast"] {
        let (status, body) = post(json!({"text": text, "model_size": size})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_offsets(text, &body);
        assert_self_disclosure_found(&body);
    }
    // Lowercase, as people write in chats: the student learnt that register.
    let (_, body) =
        post(json!({"text": "hi im sarah johnson, my address is 742 evergreen terrace"})).await;
    assert!(
        found(&body)
            .iter()
            .any(|(k, t)| k == "PERSON" && t.contains("sarah")),
        "{body}"
    );
}

fn assert_self_disclosure_found(body: &serde_json::Value) {
    assert!(
        found(body)
            .iter()
            .any(|(k, t)| k == "PERSON" && t.contains("Sarah")),
        "{body}"
    );
    assert!(
        found(body)
            .iter()
            .any(|(k, t)| k == "STREET_ADDRESS" && t.contains("Evergreen")),
        "{body}"
    );
}

#[tokio::test]
async fn validated_numbers() {
    let text = "Card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, SSN 536-22-1234, call (415) 555-2671, server 192.168.0.12.";
    let body = analyze(text).await;
    assert!(has(&body, "CREDIT_CARD", "4111 1111 1111 1111"), "{body}");
    assert!(
        has(&body, "IBAN_CODE", "GB82 WEST 1234 5698 7654 32"),
        "{body}"
    );
    assert!(has(&body, "US_SSN", "536-22-1234"), "{body}");
    assert!(has(&body, "PHONE_NUMBER", "(415) 555-2671"), "{body}");
    assert!(has(&body, "IP_ADDRESS", "192.168.0.12"), "{body}");

    // Numbers that only look right are not reported by the pattern recognizers.
    let body = analyze("Card 4111 1111 1111 1112 and SSN 000-22-1234.").await;
    assert!(
        !found(&body)
            .iter()
            .any(|(k, _)| k == "CREDIT_CARD" || k == "US_SSN"),
        "{body}"
    );
}

#[tokio::test]
async fn offsets_are_code_points_with_accents_emoji_and_combining_marks() {
    let text = "Émile 👩‍💻 wrote from e\u{301}mile@example.fr — or zoë@exämple.de 🎉";
    let body = analyze(text).await;
    let emails: Vec<_> = found(&body)
        .into_iter()
        .filter(|(k, _)| k == "EMAIL_ADDRESS")
        .collect();
    assert!(!emails.is_empty(), "{body}");
}

#[tokio::test]
async fn nothing_to_find() {
    let body = analyze("The cat sat on the mat.").await;
    assert_eq!(body["entities"], json!([]), "{body}");
    assert_eq!(body["anonymized_text"], "The cat sat on the mat.");
}

#[tokio::test]
async fn operators_types_and_threshold() {
    let text = "Mail jane.doe@example.com or call (415) 555-2671.";
    let (_, body) = post(json!({"text": text, "operator": "replace"})).await;
    assert_eq!(
        body["anonymized_text"], "Mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>.",
        "{body}"
    );
    let (_, body) = post(json!({"text": text, "operator": "redact"})).await;
    assert_eq!(body["anonymized_text"], "Mail  or call .");
    let (_, body) = post(json!({"text": text, "operator": "hash"})).await;
    assert!(!body["anonymized_text"].as_str().unwrap().contains("jane"));
    let (_, body) = post(json!({"text": text, "types": ["PHONE_NUMBER"]})).await;
    assert_eq!(
        found(&body),
        vec![("PHONE_NUMBER".to_owned(), "(415) 555-2671".to_owned())]
    );
    let (_, body) = post(json!({"text": text, "score_threshold": 0.9})).await;
    assert!(
        body["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["score"].as_f64().unwrap() >= 0.9),
        "{body}"
    );
    let (_, body) = post(json!({"text": text, "score_threshold": 1.0})).await;
    assert_eq!(
        found(&body),
        vec![(
            "EMAIL_ADDRESS".to_owned(),
            "jane.doe@example.com".to_owned()
        )],
        "{body}"
    );
}

#[tokio::test]
async fn long_texts_lose_and_duplicate_nothing_at_window_boundaries() {
    // Entities at many positions relative to the 128-token windows.
    let mut text = String::new();
    let mut expected = Vec::new();
    for i in 0..60 {
        text.push_str(&"The quarterly report was filed on time without issues. ".repeat(i % 4 + 1));
        let email = format!("user{i}@example.org");
        text.push_str(&format!("Write to {email} about it. "));
        expected.push(email);
    }
    let body = analyze(&text).await;
    let emails: Vec<String> = found(&body)
        .into_iter()
        .filter(|(k, _)| k == "EMAIL_ADDRESS")
        .map(|(_, t)| t)
        .collect();
    assert_eq!(emails, expected);

    // Model-found entities too: a name repeated across many windows.
    let sentence = "Please send the invoice to Sarah Johnson today. ";
    let filler = "Nothing else in this paragraph matters at all for anyone. ";
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&filler.repeat(i % 3));
        text.push_str(sentence);
    }
    let body = analyze(&text).await;
    let people = found(&body)
        .into_iter()
        .filter(|(k, t)| k == "PERSON" && t.contains("Sarah"))
        .count();
    let single = analyze(sentence).await;
    let per_sentence = found(&single)
        .into_iter()
        .filter(|(k, t)| k == "PERSON" && t.contains("Sarah"))
        .count();
    assert_eq!(people, 40 * per_sentence, "{body}");
}

#[tokio::test]
async fn a_100000_character_text_is_analysed() {
    let unit = "Ünïcødé text with an address: ada@example.com and nothing else 😀. ";
    let mut text = unit.repeat(100_000 / unit.chars().count() + 1);
    text = text.chars().take(100_000).collect();
    let body = analyze(&text).await;
    assert!(found(&body).len() >= 1400, "{}", found(&body).len());
}

#[tokio::test]
#[ignore = "integration: needs the pii-en-rampart pack (models/build_packs.py); run `cargo xtask test integration`"]
async fn packs_are_listed_with_labels_licence_and_choices() {
    let (status, body) = get("/entities/models").await;
    assert_eq!(status, StatusCode::OK);
    let pack = body["packs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "pii-en-rampart")
        .unwrap();
    assert_eq!(pack["model_language"], "en");
    assert!(pack["licence"].as_str().unwrap().contains("CC-BY-4.0"));
    assert!(
        pack["entity_types"]
            .as_array()
            .unwrap()
            .contains(&json!("PERSON"))
    );
    assert!(pack["model_bytes"].as_u64().unwrap() > 1_000_000);
    let choices = body["choices"].as_array().unwrap();
    for (size, packs) in [("sm", json!(["ner-en-sm"])), ("fast", json!(["ner-en-sm"]))] {
        assert!(
            choices.contains(&json!({"model_size": size, "model_language": "en", "packs": packs})),
            "{choices:?}"
        );
    }
    assert!(
        choices.contains(
            &json!({"model_size": "lg", "model_language": "en", "packs": ["ner-en-lg", "pii-en-rampart"]})
        ),
        "{choices:?}"
    );
    assert!(
        body["pattern_recognizers"]
            .as_array()
            .unwrap()
            .contains(&json!("IBAN_CODE"))
    );
}

#[tokio::test]
async fn unknown_packs_are_422_listing_what_exists() {
    let (status, body) = post(json!({"text": "hello", "model_size": "xl"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["loc"], json!(["body", "model_size"]));
    assert!(
        body["errors"][0]["msg"].as_str().unwrap().contains("sm/en"),
        "{body}"
    );
    let (status, body) = post(json!({"text": "bonjour", "model_language": "fr"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["loc"], json!(["body", "model_language"]));
}

#[tokio::test]
async fn invalid_requests() {
    for (body, loc) in [
        (json!({"text": ""}), json!(["body", "text"])),
        (json!({}), json!(["body", "text"])),
        (
            json!({"text": "a".repeat(100_001)}),
            json!(["body", "text"]),
        ),
        (
            json!({"text": "a", "operator": "shred"}),
            json!(["body", "operator"]),
        ),
        (
            json!({"text": "a", "score_threshold": 1.5}),
            json!(["body", "score_threshold"]),
        ),
        (json!({"text": "a", "types": []}), json!(["body", "types"])),
        (json!({"text": "a", "lang": "en"}), json!(["body", "lang"])),
        (json!({"text": 5}), json!(["body", "text"])),
    ] {
        let (status, reply) = post(body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{reply}");
        assert_eq!(reply["errors"][0]["loc"], loc, "{reply}");
    }
    let (_, reply) = post(json!({"text": "a".repeat(100_001)})).await;
    assert!(
        reply["errors"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("100000"),
        "{reply}"
    );
}

#[tokio::test]
async fn general_entities_at_each_size() {
    let text = "Barack Obama was born in Honolulu, Hawaii, on August 4, 1961.";
    for size in ["sm", "lg"] {
        let (status, body) = post(json!({"text": text, "model_size": size})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_offsets(text, &body);
        let models: Vec<&str> = body["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect();
        assert!(
            models.contains(&format!("ner-en-{size}").as_str()),
            "{models:?}"
        );
        let found = found(&body);
        assert!(
            found.iter().any(|(k, t)| k == "DATE" && t.contains("1961")),
            "{size}: {found:?}"
        );
        assert!(
            found.iter().any(|(k, t)| k == "GPE" && t == "Honolulu"),
            "{size}: {found:?}"
        );
        assert!(
            found.iter().any(|(_, t)| t.contains("Obama")),
            "{size}: {found:?}"
        );
    }
}

#[test]
#[ignore = "integration: needs the pii-en-rampart pack (models/build_packs.py); run `cargo xtask test integration`"]
fn a_personal_data_pack_alone_serves_no_size() {
    // Catalogs of copied packs: which (size, language) each deployment lists.
    let choices = |packs: &[&str]| {
        let dir = std::env::temp_dir().join(format!(
            "entities-choices-{}-{}",
            std::process::id(),
            packs.join("-")
        ));
        for pack in packs {
            let source = common::manifest_dir().join("../../models").join(pack);
            std::fs::create_dir_all(dir.join(pack)).unwrap();
            for file in ["config.json", "model.onnx"] {
                std::fs::copy(source.join(file), dir.join(pack).join(file)).unwrap();
            }
        }
        let catalog = entities::Catalog::discover(&dir);
        let found: Vec<(String, Vec<String>)> = catalog
            .choices()
            .into_iter()
            .map(|c| (c.model_size, c.packs))
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        found
    };
    assert_eq!(choices(&["pii-en-rampart"]), []);
    let student = vec!["ner-en-sm".to_owned()];
    assert_eq!(
        choices(&["ner-en-sm", "pii-en-rampart"]),
        [("fast".into(), student.clone()), ("sm".into(), student)]
    );
}
