//! A corpus of hostile request bodies sent to every route that reads one: the
//! real routers with the shared layers, the real models and a real dynalite
//! (`DYNAMODB_ENDPOINT`, started by scripts/test.sh). Every body must get a 4xx
//! problem (never a 5xx or a panic), no answer may echo the body, and nothing
//! may be stored.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::sync::Arc;

use api_tests::repo_root;
use axum::{Router, body::Body};
use http::{Method, Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "adversarial-test-token-0123";
/// Put into bodies so an echo of the input would show in the answer.
const MARKER: &str = "ZZMARKERZZ";

fn endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").expect(
        "DYNAMODB_ENDPOINT is not set: run `cargo xtask test integration`, which starts dynalite",
    )
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}-{nanos:x}-{}", std::process::id())
}

/// Bodies no route accepts, whatever its fields; `field` is the route's main
/// field, so the field-level cases reach its own rules.
fn corpus(field: &str) -> Vec<(String, Vec<u8>)> {
    let text = |name: &str, body: String| (name.to_owned(), body.into_bytes());
    vec![
        text("empty body", String::new()),
        text("not JSON", format!("{MARKER} not json")),
        text("truncated JSON", format!("{{\"{field}\": \"{MARKER}")),
        text("array instead of object", format!("[\"{MARKER}\"]")),
        text("string instead of object", format!("\"{MARKER}\"")),
        text("null body", "null".into()),
        text("number body", "1e999".into()),
        text(
            "deeply nested arrays",
            "[".repeat(100_000) + &"]".repeat(100_000),
        ),
        text(
            "deeply nested objects",
            format!("{{\"{field}\":").repeat(50_000) + "1" + &"}".repeat(50_000),
        ),
        (
            "invalid UTF-8".into(),
            [
                format!("{{\"{field}\": \"").into_bytes(),
                vec![0xff, 0xfe, 0xc0, 0x80],
                b"\"}".to_vec(),
            ]
            .concat(),
        ),
        text(
            "lone surrogate",
            format!("{{\"{field}\": \"{MARKER}\\ud800\"}}"),
        ),
        text(
            "duplicate key",
            format!("{{\"{field}\": \"{MARKER}\", \"{field}\": \"{MARKER}\"}}"),
        ),
        text("wrong type: number", format!("{{\"{field}\": 12345}}")),
        text(
            "wrong type: object",
            format!("{{\"{field}\": {{\"{MARKER}\": 1}}}}"),
        ),
        text("wrong type: boolean", format!("{{\"{field}\": true}}")),
        text("unknown field", format!("{{\"unexpected\": \"{MARKER}\"}}")),
        text(
            "huge string",
            format!("{{\"{field}\": \"{}\"}}", "a".repeat(3 * 1024 * 1024)),
        ),
        text("number out of range", format!("{{\"{field}\": [1e400]}}")),
        text(
            "NUL bytes in a key",
            format!("{{\"{field}\u{0}\": \"{MARKER}\"}}"),
        ),
    ]
}

struct Target {
    name: &'static str,
    method: Method,
    path: String,
    field: &'static str,
    app: Router,
}

async fn send(target: &Target, body: Vec<u8>) -> (u16, String, String) {
    let request = Request::builder()
        .method(target.method.clone())
        .uri(&target.path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(body))
        .unwrap();
    let response = target.app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        content_type,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn http_config() -> shared::config::HttpConfig {
    shared::config::HttpConfig::default()
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn hostile_bodies_get_4xx_problems_and_change_nothing() {
    // cafe, with one item to aim PUT and PATCH at
    let store = cafe::store::Store::connect(Some(&endpoint()), &unique("adversarial-cafe")).await;
    store.ensure_table().await.unwrap();
    let state = cafe::AppState::new(store, TOKEN.parse().unwrap(), "EUR".parse().unwrap());
    let cafe_app = shared::build_app(cafe::router(state), &http_config());
    let seed = Request::post("/items")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::from(
            json!({"name": "Tea", "price": "2.00"}).to_string(),
        ))
        .unwrap();
    let response = cafe_app.clone().oneshot(seed).await.unwrap();
    assert_eq!(response.status(), 201);
    let item: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    let item_path = format!("/items/{}", item["id"].as_str().unwrap());

    // predict: bundled model only
    let predict_config = predict::Config {
        model_dir: repo_root().join("models"),
        table: None,
        dynamodb_endpoint: None,
        create_table: false,
        refresh_every: std::time::Duration::from_secs(3600),
    };
    let registry = predict::registry_from_config(&predict_config)
        .await
        .unwrap();
    let predict_app = shared::build_app(predict::router(Arc::new(registry)), &http_config());

    // train, on its own table
    let btc_table = unique("adversarial-btc");
    let train_config = train::Config {
        model_dir: repo_root().join("models"),
        table: btc_table.clone(),
        dynamodb_endpoint: Some(endpoint()),
        create_table: true,
        api_token: api_token::TokenSource::Inline(TOKEN.parse().unwrap()),
    };
    let train_state = train::state_from_config(&train_config).await.unwrap();
    let train_app = shared::build_app(train::router(Arc::new(train_state)), &http_config());

    // entities, with the real packs
    let catalog = entities::Catalog::discover(&repo_root().join("models"));
    let entities_app = shared::build_app(
        entities::router(
            Arc::new(catalog),
            Arc::new(entities::Secrets::new(
                Some(api_token::TokenSource::Inline(TOKEN.parse().unwrap())),
                Some(entities::secrets::KeySource::Inline(
                    "adversarial-bodies-redaction-key-0123456789"
                        .parse()
                        .unwrap(),
                )),
            )),
        ),
        &shared::config::HttpConfig {
            max_body_bytes: entities::MAX_BODY_BYTES,
            ..http_config()
        },
    );

    let targets = [
        Target {
            name: "cafe",
            method: Method::POST,
            path: "/items".into(),
            field: "name",
            app: cafe_app.clone(),
        },
        Target {
            name: "cafe",
            method: Method::PUT,
            path: item_path.clone(),
            field: "name",
            app: cafe_app.clone(),
        },
        Target {
            name: "cafe",
            method: Method::PATCH,
            path: item_path.clone(),
            field: "name",
            app: cafe_app.clone(),
        },
        Target {
            name: "predict",
            method: Method::POST,
            path: "/predict".into(),
            field: "closes",
            app: predict_app,
        },
        Target {
            name: "train",
            method: Method::POST,
            path: "/train".into(),
            field: "closes",
            app: train_app,
        },
        Target {
            name: "entities",
            method: Method::POST,
            path: "/entities".into(),
            field: "text",
            app: entities_app.clone(),
        },
        Target {
            name: "entities",
            method: Method::POST,
            path: "/entities/restore".into(),
            field: "text",
            app: entities_app,
        },
    ];

    let mut failures = Vec::new();
    let mut sent = 0;
    for target in &targets {
        for (case, body) in corpus(target.field) {
            sent += 1;
            let (status, content_type, answer) = send(target, body).await;
            let what = format!("{} {} {}: {case}", target.name, target.method, target.path);
            if !(400..500).contains(&status) {
                failures.push(format!("{what}: status {status}"));
            }
            if content_type != shared::error::PROBLEM_JSON {
                failures.push(format!("{what}: content type {content_type:?}"));
            }
            if answer.contains(MARKER) {
                failures.push(format!("{what}: the answer echoes the body"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Nothing stored: the one item unchanged, no closes posted.
    let response = cafe_app
        .clone()
        .oneshot(Request::get("/items").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let page: Value =
        serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes()).unwrap();
    assert_eq!(page["items"], json!([item]), "the menu is unchanged");
    let btc = btc_store::BtcStore::connect(Some(&endpoint()), &btc_table).await;
    assert!(
        btc.prices().await.unwrap().is_empty(),
        "no closes were stored"
    );
}
