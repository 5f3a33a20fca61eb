//! Requests that go through the Lambda runtime's own event conversion: an API
//! Gateway HTTP API (payload v2) event, as `sam local generate-event apigateway
//! http-api-proxy` writes it, is fed to `lambda_http::Adapter` around the real
//! router, and the answer is the JSON API Gateway would receive.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use api_tests::repo_root;
use lambda_http::{Adapter, Context, LambdaEvent, request::LambdaRequest};
use serde_json::{Value, json};
use tower::{Service, ServiceExt};

/// An HTTP API v2 event for `method path` with an optional JSON body.
fn event(method: &str, path: &str, body: Option<&str>) -> LambdaRequest {
    let fixture =
        std::fs::read_to_string(repo_root().join("tests/fixtures/apigw-v2-http-api-proxy.json"))
            .unwrap();
    let mut event: Value = serde_json::from_str(&fixture).unwrap();
    event["rawPath"] = json!(path);
    event["rawQueryString"] = json!("");
    event["queryStringParameters"] = json!({});
    event["pathParameters"] = json!({});
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    event["requestContext"]["requestId"] = json!("apigw-req-42");
    event["routeKey"] = json!(format!("{method} {path}"));
    event["headers"] = json!({"content-type": "application/json", "origin": "https://app.example"});
    match body {
        Some(body) => {
            event["body"] = json!(body);
            event["isBase64Encoded"] = json!(false);
        }
        None => {
            event["body"] = Value::Null;
            event["isBase64Encoded"] = json!(false);
        }
    }
    serde_json::from_value(event).unwrap()
}

async fn invoke(payload: LambdaRequest) -> Value {
    let app = shared::build_app(
        health::router(health::Config::default()),
        &shared::config::HttpConfig::default(),
    );
    invoke_app(app, payload).await
}

async fn invoke_app(app: axum::Router, payload: LambdaRequest) -> Value {
    let mut adapter = Adapter::from(app);
    let response = adapter
        .ready()
        .await
        .unwrap()
        .call(LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap();
    serde_json::to_value(response).unwrap()
}

fn body_json(response: &Value) -> Value {
    serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap()
}

#[tokio::test]
async fn get_root_through_the_lambda_event_path() {
    let response = invoke(event("GET", "/", None)).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    assert_eq!(response["headers"]["content-type"], "application/json");
    // The request id API Gateway assigned is the one the response carries.
    assert_eq!(response["headers"]["x-request-id"], "apigw-req-42");
    // Any origin may read: CORS answers with the caller's own origin (and
    // `Vary: origin`, since writes are allowed from fewer origins).
    assert_eq!(
        response["headers"]["access-control-allow-origin"],
        "https://app.example"
    );
    let body = body_json(&response);
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn unmatched_request_through_the_lambda_event_path_is_a_problem() {
    let response = invoke(event("GET", "/nowhere", None)).await;
    assert_eq!(response["statusCode"], 404, "{response}");
    assert_eq!(
        response["headers"]["content-type"],
        "application/problem+json"
    );
    let body = body_json(&response);
    assert_eq!(body["request_id"], "apigw-req-42");
    assert_eq!(body["instance"], "/nowhere");

    let response = invoke(event("POST", "/", Some("{}"))).await;
    assert_eq!(response["statusCode"], 405, "{response}");
    assert_eq!(response["headers"]["allow"], "GET,HEAD");
}

#[tokio::test]
async fn predict_through_the_lambda_event_path_matches_the_training_program() {
    let config = predict::Config {
        model_dir: repo_root().join("models"),
        table: None,
        dynamodb_endpoint: None,
        create_table: false,
        refresh_every: std::time::Duration::from_secs(60),
    };
    let registry = predict::registry_from_config(&config).await.unwrap();
    let app = shared::build_app(
        predict::router(std::sync::Arc::new(registry)),
        &shared::config::HttpConfig::default(),
    );
    let meta: btc_forecast::ModelMeta =
        serde_json::from_slice(&std::fs::read(repo_root().join("models/btc/config.json")).unwrap())
            .unwrap();
    let closes: Vec<f64> = (0..meta.window)
        .map(|i| 60_000.0 + 250.0 * i as f64)
        .collect();
    let body = json!({ "closes": closes }).to_string();
    let response = invoke_app(app, event("POST", "/predict", Some(&body))).await;
    assert_eq!(response["statusCode"], 200, "{response}");
    let body = body_json(&response);
    let expected = btc_training::pipeline::predict_log_return(&meta.coefficients[0], &closes);
    assert!((body["predicted_log_return"].as_f64().unwrap() - expected).abs() < 1e-9);
    assert_eq!(body["model_version"], meta.version);
}
