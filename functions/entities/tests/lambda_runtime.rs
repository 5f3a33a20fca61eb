//! The real `entities` binary, started the way Lambda starts it (a fresh
//! process polling a runtime API) and asked about personal data: it answers,
//! its stdout carries the EMF metrics (cold start, requests, model inference
//! time per pack), every stdout line is one whole JSON document, and nothing
//! of the text reaches stdout or stderr.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::time::Duration;

use lambda_harness::{Launch, cold_start, emf_documents, events};
use serde_json::{Value, json};

#[tokio::test]
async fn a_cold_start_answers_emits_metrics_and_logs_no_text() {
    let secrets = [
        "Margaret Thornbury",
        "m.thornbury@example.net",
        "4111 1111 1111 1111",
    ];
    let body = json!({
        "text": format!("I am {}, mail {} and card {}.", secrets[0], secrets[1], secrets[2])
    })
    .to_string();
    let launch = Launch {
        program: env!("CARGO_BIN_EXE_entities").into(),
        env: [
            (
                "MODEL_DIR".to_owned(),
                format!("{}/../../models", env!("CARGO_MANIFEST_DIR")),
            ),
            (
                "AWS_LAMBDA_FUNCTION_NAME".to_owned(),
                "stack-entities".to_owned(),
            ),
            ("AWS_LAMBDA_LOG_LEVEL".to_owned(), "TRACE".to_owned()),
            ("AWS_LAMBDA_LOG_FORMAT".to_owned(), "JSON".to_owned()),
        ]
        .into(),
        ..Launch::default()
    };
    let event = events::http_request(
        "POST",
        "/entities",
        &[("content-type", "application/json")],
        Some(&body),
    );
    let bad = events::http_request(
        "POST",
        "/entities",
        &[("content-type", "application/json")],
        Some(&json!({"text": secrets[0], "model_size": "xl"}).to_string()),
    );
    let (start, later) = cold_start(
        "stack-entities",
        &launch,
        &event,
        &[bad],
        Duration::from_secs(120),
    )
    .await
    .unwrap();

    assert_eq!(start.reply.http_status(), Some(200), "{}", start.stderr);
    let reply: Value = serde_json::from_slice(&start.reply.body).unwrap();
    let answer: Value = serde_json::from_str(reply["body"].as_str().unwrap()).unwrap();
    assert!(
        !answer["entities"].as_array().unwrap().is_empty(),
        "{answer}"
    );
    assert_eq!(later[0].http_status(), Some(422));
    assert!(start.init < start.first_response);

    // Log lines from the warm-up and the runtime's client threads interleave
    // with the metrics; each must still be one whole JSON line.
    let broken: Vec<&str> = start
        .stdout
        .lines()
        .filter(|line| serde_json::from_str::<Value>(line).is_err())
        .collect();
    assert!(
        broken.is_empty(),
        "not one JSON document per line: {broken:#?}"
    );
    let docs = emf_documents(&start.stdout);
    let has = |metric: &str, check: &dyn Fn(&Value) -> bool| {
        docs.iter().any(|doc| {
            doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .is_some_and(|ms| ms.iter().any(|m| m["Name"] == metric))
                && doc["FunctionName"] == "stack-entities"
                && check(doc)
        })
    };
    assert!(has("ColdStart", &|doc| doc["ColdStart"] == 1), "{docs:?}");
    assert!(has("Requests", &|_| true), "{docs:?}");
    assert!(
        has("Responses", &|doc| doc["StatusClass"] == "4xx"),
        "{docs:?}"
    );
    assert!(
        has("InferenceTime", &|doc| doc["Model"] == "ner-en-sm"),
        "{docs:?}"
    );
    for secret in secrets {
        assert!(
            !start.stdout.contains(secret),
            "stdout has {secret}: {}",
            start
                .stdout
                .lines()
                .filter(|l| l.contains(secret))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(!start.stderr.contains(secret), "stderr has {secret}");
    }
}
