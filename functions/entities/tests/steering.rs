//! Recognizers a caller steers, through the real router and model packs:
//! allow lists, the request's own deny lists and patterns with context,
//! explanations, national identifiers and the `countries` filter, and the
//! bounds that keep hostile patterns and lists from running unbounded.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use common::{get, post};
use serde_json::{Value, json};

fn found<'a>(body: &'a Value, kind: &str) -> Vec<&'a str> {
    body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .map(|e| e["text"].as_str().unwrap())
        .collect()
}

fn entity<'a>(body: &'a Value, text: &str) -> &'a Value {
    body["entities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["text"] == text)
        .unwrap_or_else(|| panic!("{text:?} not found in {body}"))
}

fn error_locs(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["loc"].to_string(), e["type"].as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn allow_lists_drop_findings_of_any_recognizer() {
    let text = "Jane Doe wrote to support@example.com and to Bob Stone.";
    let (status, plain) = post(json!({"text": text})).await;
    assert_eq!(status, 200);
    assert!(found(&plain, "EMAIL_ADDRESS").contains(&"support@example.com"));
    assert!(found(&plain, "PERSON").contains(&"Jane Doe"), "{plain}");

    let (status, allowed) = post(json!({
        "text": text,
        "allow_list": ["support@example.com", "Jane Doe"],
    }))
    .await;
    assert_eq!(status, 200);
    assert!(found(&allowed, "EMAIL_ADDRESS").is_empty(), "{allowed}");
    assert!(
        !found(&allowed, "PERSON").contains(&"Jane Doe"),
        "{allowed}"
    );
    assert!(
        found(&allowed, "PERSON").contains(&"Bob Stone"),
        "{allowed}"
    );
    assert!(
        allowed["anonymized_text"]
            .as_str()
            .unwrap()
            .contains("support@example.com")
    );

    let (status, by_regex) = post(json!({
        "text": text,
        "allow_list": ["[a-z]+@example\\.com", "(?i)jane.*"],
        "allow_list_match": "regex",
    }))
    .await;
    assert_eq!(status, 200);
    assert!(found(&by_regex, "EMAIL_ADDRESS").is_empty(), "{by_regex}");
    assert!(
        !found(&by_regex, "PERSON").contains(&"Jane Doe"),
        "{by_regex}"
    );
}

#[tokio::test]
async fn request_recognizers_with_context_and_explanations() {
    let text = "Employee EMP-123456 from Acme Corp met EMP-654321 at the Acme Corp office, card 4111 1111 1111 1111.";
    let (status, body) = post(json!({
        "text": text,
        "model_size": "fast",
        "explain": true,
        "recognizers": [
            {"type": "EMPLOYEE_ID", "name": "employee_ids",
             "patterns": [{"name": "emp", "regex": "\\bEMP-\\d{6}\\b", "score": 0.3}],
             "context": ["employee"]},
            {"type": "CUSTOMER", "deny_list": ["acme corp"]},
        ],
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(found(&body, "EMPLOYEE_ID"), ["EMP-123456", "EMP-654321"]);
    assert_eq!(found(&body, "CUSTOMER"), ["Acme Corp", "Acme Corp"]);

    let near = entity(&body, "EMP-123456");
    assert_eq!(near["source"], "employee_ids");
    assert_eq!(near["explanation"]["kind"], "request_pattern");
    assert_eq!(near["explanation"]["pattern"], "emp");
    assert_eq!(near["explanation"]["context_word"], "employee");
    assert!((near["explanation"]["raw_score"].as_f64().unwrap() - 0.3).abs() < 1e-6);
    assert!((near["score"].as_f64().unwrap() - 0.65).abs() < 1e-6);
    let far = entity(&body, "EMP-654321");
    assert!(far["explanation"].get("context_word").is_none());
    assert!((far["score"].as_f64().unwrap() - 0.3).abs() < 1e-6);

    let customer = entity(&body, "Acme Corp");
    assert_eq!(customer["explanation"]["kind"], "deny_list");
    assert_eq!(customer["source"], "request_recognizer_1");

    let card = entity(&body, "4111 1111 1111 1111");
    assert_eq!(card["explanation"]["kind"], "pattern");
    assert!(
        card["explanation"]["validation"]
            .as_str()
            .unwrap()
            .contains("Luhn")
    );

    // Without `explain` there is no explanation.
    let (_, plain) = post(json!({"text": text, "model_size": "fast"})).await;
    assert!(
        plain["entities"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("explanation").is_none())
    );
}

#[tokio::test]
async fn model_findings_explain_their_labels() {
    let (status, body) = post(json!({
        "text": "Yesterday Margaret Thornbury flew to Boston.",
        "explain": true,
        "model_size": "fast",
    }))
    .await;
    assert_eq!(status, 200);
    let person = entity(&body, "Margaret Thornbury");
    assert_eq!(person["explanation"]["kind"], "model");
    assert!(
        !person["explanation"]["model_types"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(person["explanation"].get("validation").is_none());
}

#[tokio::test]
async fn national_identifiers_and_the_countries_filter() {
    let text = "NHS number 943 476 5919; DNI 12345678Z; codice fiscale RSSMRA85T10A562S; \
                Steuer-ID 86095742719; SIN 130 692 544; Aadhaar 2345 6789 0124; TFN 123 456 782; \
                NINO AB 12 34 56 C; NIR 2 55 08 14 168 025 38; NIE X1234567L; \
                driving licence MORGA753116SM9IJ; passport \
                L898902C36UTO7408122F1204159ZE184226B<<<<<10.";
    let (status, body) = post(json!({"text": text, "model_size": "fast"})).await;
    assert_eq!(status, 200);
    for (kind, value) in [
        ("UK_NHS", "943 476 5919"),
        ("ES_NIF", "12345678Z"),
        ("IT_FISCAL_CODE", "RSSMRA85T10A562S"),
        ("DE_TAX_ID", "86095742719"),
        ("CA_SIN", "130 692 544"),
        ("IN_AADHAAR", "2345 6789 0124"),
        ("AU_TFN", "123 456 782"),
        ("UK_NINO", "AB 12 34 56 C"),
        ("FR_NIR", "2 55 08 14 168 025 38"),
        ("ES_NIE", "X1234567L"),
        ("UK_DRIVING_LICENCE", "MORGA753116SM9IJ"),
        ("PASSPORT", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"),
    ] {
        assert_eq!(found(&body, kind), [value], "{kind}: {body}");
    }

    let (status, only_gb) =
        post(json!({"text": text, "model_size": "fast", "countries": ["gb"]})).await;
    assert_eq!(status, 200);
    assert_eq!(found(&only_gb, "UK_NHS"), ["943 476 5919"]);
    assert!(found(&only_gb, "ES_NIF").is_empty() && found(&only_gb, "IN_AADHAAR").is_empty());

    let (status, bad) = post(json!({"text": text, "countries": ["GB", "ZZ"]})).await;
    assert_eq!(status, 422);
    assert_eq!(
        error_locs(&bad),
        [(
            r#"["body","countries",1]"#.to_owned(),
            "unknown_country".to_owned()
        )]
    );
}

#[tokio::test]
async fn look_alikes_of_national_identifiers_stay_unmasked() {
    for text in [
        "Invoice 943 476 5919 is due.",      // valid NHS shape, no context
        "NHS number 943 476 5918 is wrong.", // bad check digit
        "Order 130 692 544 shipped.",        // valid SIN, no context
        "El DNI 12345678A no existe.",       // bad letter
        "Licence MORGA713116SM9IJ expired.", // month 13
        "MRZ L898902C36UTO7408122F1204159ZE184226B<<<<<11", // bad composite
    ] {
        let (status, body) = post(json!({
            "text": text,
            "model_size": "fast",
            "types": ["UK_NHS", "CA_SIN", "ES_NIF", "UK_DRIVING_LICENCE", "PASSPORT"],
        }))
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["entities"], json!([]), "{text}: {body}");
    }
}

#[tokio::test]
async fn every_recognizer_is_listed_with_its_validation() {
    let (status, body) = get("/entities/models").await;
    assert_eq!(status, 200);
    let recognizers = body["recognizers"].as_array().unwrap();
    let nhs = recognizers.iter().find(|r| r["name"] == "uk_nhs").unwrap();
    assert_eq!(nhs["country"], "GB");
    assert_eq!(nhs["context_required"], true);
    assert!(nhs["validation"].as_str().unwrap().contains("mod 11"));
    assert_eq!(nhs["languages"], json!(["*"]));
    assert!(recognizers.iter().any(|r| r["kind"] == "model"));
    let types = body["pattern_recognizers"].as_array().unwrap();
    assert!(types.contains(&json!("IN_AADHAAR")));
}

#[tokio::test]
async fn bad_or_hostile_patterns_are_422s_naming_them() {
    let text = "Margaret Thornbury, EMP-123456";
    let recognizer = |regex: &str| json!({"type": "EMPLOYEE_ID", "patterns": [{"regex": regex}]});
    for (regex, kind) in [
        ("(EMP", "invalid_pattern"),
        ("(?<=EMP)\\d+", "invalid_pattern"), // look-behind: not linear time
        ("(a)\\1", "invalid_pattern"),       // back-reference
        ("\\w{1,50}", "pattern_too_large"),
        ("((((((((((((((((((a))))))))))))))))))", "pattern_too_deep"),
    ] {
        let (status, body) = post(json!({
            "text": text,
            "recognizers": [recognizer("\\bEMP-\\d{6}\\b"), recognizer(regex)],
        }))
        .await;
        assert_eq!(status, 422, "{regex}: {body}");
        assert_eq!(
            error_locs(&body),
            [(
                r#"["body","recognizers",1,"patterns",0,"regex"]"#.to_owned(),
                kind.to_owned()
            )],
            "{regex}"
        );
        assert!(!body.to_string().contains("Thornbury"));
    }

    for (request, kind) in [
        (
            json!([{"type": "employee id", "patterns": [{"regex": "x"}]}]),
            "invalid_entity_type",
        ),
        (json!([{"type": "EMPTY"}]), "empty_recognizer"),
        (
            json!((0..17).map(|_| recognizer("a")).collect::<Vec<_>>()),
            "too_many_patterns",
        ),
        (
            json!([{"type": "NAMES", "deny_list": (0..1000).map(|i| format!("name{i:04}{}", "x".repeat(20))).collect::<Vec<_>>()}]),
            "deny_lists_too_long",
        ),
    ] {
        let (status, body) = post(json!({"text": text, "recognizers": request})).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            error_locs(&body).iter().any(|(_, k)| k == kind),
            "{kind}: {body}"
        );
    }

    let (status, body) = post(json!({
        "text": text,
        "recognizers": [{"type": "NAMES", "deny_list": ["x".repeat(101)]}],
    }))
    .await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test]
async fn a_requests_patterns_share_one_compiled_size_budget() {
    let text = "EMP-AB123456 joined.";
    // Sixteen ordinary patterns fit together.
    let patterns: Vec<_> = (0..16)
        .map(|i| json!({"name": format!("p{i}"), "regex": "\\bEMP-[A-Z]{2}\\d{6}\\b"}))
        .collect();
    let (status, body) = post(json!({
        "text": text,
        "recognizers": [{"type": "EMPLOYEE_ID", "patterns": patterns}],
    }))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(found(&body, "EMPLOYEE_ID"), ["EMP-AB123456"]);
    // Large ones take it in order: the one that no longer fits is named.
    let big = json!({"regex": "\\w{1,6}"});
    let (status, body) = post(json!({
        "text": text,
        "recognizers": [
            {"type": "FIRST", "patterns": [big]},
            {"type": "SECOND", "patterns": [big]},
        ],
    }))
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        error_locs(&body),
        [(
            r#"["body","recognizers",1,"patterns",0,"regex"]"#.to_owned(),
            "pattern_too_large".to_owned()
        )]
    );
    // Cut to ASCII they share a smaller budget, which only long counted
    // repetitions reach; the message says which budget it was.
    let long = json!({"regex": "(?-u:\\w){1,300}"});
    let (status, body) = post(json!({
        "text": text,
        "recognizers": [{"type": "LONG", "patterns": [long, long]}],
    }))
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        error_locs(&body),
        [(
            r#"["body","recognizers",0,"patterns",1,"regex"]"#.to_owned(),
            "pattern_too_large".to_owned()
        )]
    );
    assert!(body.to_string().contains("cut to ASCII"), "{body}");
}

#[tokio::test]
async fn patterns_and_lists_at_their_bounds_still_answer_a_long_text() {
    // The largest deny list and a catastrophic-for-backtracking pattern over
    // a 100,000-character text: bounded work, a normal answer.
    let text: String = "Zoë Müller wrote to aaaaaaaaaaaaaaaaaaaa about EMP-123456. "
        .chars()
        .cycle()
        .take(100_000)
        .collect();
    let deny: Vec<String> = (0..1000)
        .map(|i| format!("Zoë{i:04}abcdefghijkl"))
        .collect();
    let (status, body) = post(json!({
        "text": text,
        "model_size": "fast",
        "recognizers": [
            {"type": "NAMES", "deny_list": deny},
            {"type": "EVIL", "patterns": [{"regex": "(a+)+!"}, {"regex": "(a|aa)*!"}]},
            {"type": "EMPLOYEE_ID", "patterns": [{"regex": "\\bEMP-\\d{6}\\b"}]},
        ],
    }))
    .await;
    assert_eq!(status, 200);
    assert!(found(&body, "EMPLOYEE_ID").len() > 1000);
    assert!(found(&body, "EVIL").is_empty());
}

#[tokio::test]
async fn one_instance_never_answers_a_changed_set_from_the_cache() {
    // One router: one instance's cache, across requests.
    let app = common::app();
    let text = "Employee EMP-123456 joined; Jane Doe approved.";
    let body = |score: f64, allow: &str, deny: &str| {
        json!({
            "text": text,
            "recognizers": [
                {"type": "EMPLOYEE_ID", "patterns": [{"regex": "\\bEMP-\\d{6}\\b", "score": score}]},
                {"type": "APPROVER", "deny_list": [deny]},
            ],
            "allow_list": [allow],
        })
    };
    let send = |body: Value| common::send(app.clone(), common::json_post("/entities", &body, None));
    let (_, first) = send(body(0.3, "nobody", "Jane Doe")).await;
    let (_, again) = send(body(0.3, "nobody", "Jane Doe")).await;
    assert_eq!(first["entities"], again["entities"]);
    assert!((entity(&first, "EMP-123456")["score"].as_f64().unwrap() - 0.3).abs() < 1e-6);
    // Any change is another set: compiled anew, never the cached one.
    let (_, rescored) = send(body(0.9, "nobody", "Jane Doe")).await;
    assert!((entity(&rescored, "EMP-123456")["score"].as_f64().unwrap() - 0.9).abs() < 1e-6);
    let (_, allowed) = send(body(0.3, "EMP-123456", "Jane Doe")).await;
    assert!(found(&allowed, "EMPLOYEE_ID").is_empty(), "{allowed}");
    let (_, other_list) = send(body(0.3, "nobody", "approved")).await;
    assert_eq!(found(&other_list, "APPROVER"), ["approved"]);
    // A set that fails to compile is refused each time, never cached as good.
    for _ in 0..2 {
        let (status, refused) = send(json!({
            "text": text,
            "recognizers": [{"type": "X", "patterns": [{"regex": "(a"}]}],
        }))
        .await;
        assert_eq!(status, 422, "{refused}");
    }
}
