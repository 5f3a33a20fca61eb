//! Train-then-predict end to end: the real train and predict routers, with
//! the shared layers, on one dynalite table.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::{sync::Arc, time::Duration};

use axum::{Router, body::Body};
use btc_forecast::{BUNDLED_CSV, DailySeries, ModelMeta, interval, series::format_date};
use btc_store::BtcStore;
use btc_training::pipeline;
use futures::future::join_all;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const TOKEN: &str = "train-test-token-0123456789";

fn model_dir() -> std::path::PathBuf {
    manifest_dir().join("../../models")
}

fn bundled_meta() -> ModelMeta {
    serde_json::from_slice(&std::fs::read(model_dir().join("btc/config.json")).unwrap()).unwrap()
}

struct Apps {
    train: Router,
    predict: Router,
    /// The predict function's registry: tests refresh it when they need the
    /// newest published model instead of waiting for the background task.
    registry: Arc<predict::Registry>,
    store: BtcStore,
}

async fn apps() -> Apps {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").expect(
        "DYNAMODB_ENDPOINT is not set: run `cargo xtask test integration`, which starts dynalite",
    );
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let table = format!("btc-test-{nanos:x}-{}", std::process::id());
    let store = BtcStore::connect(Some(&endpoint), &table).await;
    store.ensure_table().await.unwrap();
    let http = shared::config::HttpConfig::default();
    let train_state = train::AppState::new(store.clone(), TOKEN.parse().unwrap(), bundled_meta());
    let predict_config = predict::Config {
        model_dir: model_dir(),
        table: Some(table),
        dynamodb_endpoint: Some(endpoint),
        create_table: false,
        // No background task runs here: tests call `refresh` themselves.
        refresh_every: Duration::from_secs(3600),
    };
    let registry = Arc::new(
        predict::registry_from_config(&predict_config)
            .await
            .unwrap(),
    );
    Apps {
        train: shared::build_app(train::router(Arc::new(train_state)), &http),
        predict: shared::build_app(predict::router(registry.clone()), &http),
        registry,
        store,
    }
}

async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    body: Option<Value>,
    auth: bool,
) -> (StatusCode, Value) {
    let mut request = Request::builder().method(method).uri(uri);
    if auth {
        request = request.header("authorization", format!("Bearer {TOKEN}"));
    }
    let request = match body {
        Some(body) => request
            .header("content-type", "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn series() -> DailySeries {
    DailySeries::from_csv(BUNDLED_CSV).unwrap()
}

/// `days` new closes after the bundled series, gently oscillating.
fn new_rows(days: usize) -> Vec<Value> {
    let s = series();
    let last = *s.closes.last().unwrap();
    (1..=days)
        .map(|k| {
            let date = s.end() + time::Duration::days(k as i64);
            let close = (last * (1.0 + 0.01 * (k as f64 * 0.7).sin())).round();
            json!({"date": format_date(date), "close": close})
        })
        .collect()
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn predictions_match_the_training_program() {
    let apps = apps().await;
    let meta = bundled_meta();
    let s = series();
    for t in [s.len() - 1, s.len() - 100, s.len() - 500] {
        let window = &s.closes[t - meta.window..t];
        let (status, body) = send(
            &apps.predict,
            Method::POST,
            "/predict",
            Some(json!({"closes": window})),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let expected_return = pipeline::predict_log_return(&meta.coefficients[0], window);
        let expected = window[meta.window - 1] * expected_return.exp();
        let got = body["predicted_close"].as_f64().unwrap();
        assert_eq!(
            body["forecasts"][0]["predicted_close"],
            body["predicted_close"]
        );
        assert_eq!(body["horizon_days"], 1);
        assert_eq!(body["interval_scaling"], "unscaled");
        assert!(
            ((got - expected) / expected).abs() < 1e-9,
            "{got} vs {expected}"
        );
        assert!((body["predicted_log_return"].as_f64().unwrap() - expected_return).abs() < 1e-9);
        assert_eq!(body["model_version"], meta.version);
        assert_eq!(body["input"], "request");
        let (low, high) = (
            body["interval"]["low"].as_f64().unwrap(),
            body["interval"]["high"].as_f64().unwrap(),
        );
        assert!(low < got && got < high);
    }

    // Without closes: the latest stored history.
    let (status, body) = send(
        &apps.predict,
        Method::POST,
        "/predict",
        Some(json!({})),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["input"], "history");
    assert_eq!(body["as_of"], format_date(s.end()));
    assert_eq!(body["last_close"], *s.closes.last().unwrap());
    assert_eq!(body["interval_scaling"], "volatility");
    assert_eq!(
        body["forecasts"][0]["date"],
        format_date(s.end() + time::Duration::days(1))
    );

    let (status, body) = send(&apps.predict, Method::GET, "/predict/model", None, false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], meta.version);
    assert_eq!(body["source"], "bundled");
    assert_eq!(body["window"], meta.window);
    assert_eq!(body["min_closes"], meta.min_closes);
    assert_eq!(body["max_horizon_days"], 7);
    assert_eq!(body["levels"], json!([50.0, 80.0, 90.0, 95.0]));
    assert_eq!(body["backtest"]["horizons"].as_array().unwrap().len(), 7);
    assert!(body["metrics"]["mae_usd"].as_f64().unwrap() > 0.0);
    assert!(body["baselines"]["naive"]["mae_usd"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn invalid_predict_bodies_are_422_at_the_field() {
    let apps = apps().await;
    let window = bundled_meta().window;
    let good = vec![100.0; window];
    let mut negative = good.clone();
    negative[0] = -5.0;
    let mut zero = good.clone();
    zero[window - 1] = 0.0;
    for (body, loc) in [
        (
            json!({"closes": vec![100.0; window - 1]}),
            json!(["body", "closes"]),
        ),
        (json!({"closes": []}), json!(["body", "closes"])),
        (
            json!({"closes": good, "horizon_days": 8}),
            json!(["body", "horizon_days"]),
        ),
        (
            json!({"closes": good, "horizon_days": 0}),
            json!(["body", "horizon_days"]),
        ),
        (
            json!({"closes": good, "levels": [90, 85]}),
            json!(["body", "levels", 1]),
        ),
        (
            json!({"closes": good, "levels": []}),
            json!(["body", "levels"]),
        ),
        (
            json!({"closes": good, "levels": [50, 80, 90, 95, 90]}),
            json!(["body", "levels"]),
        ),
        (json!({"closes": negative}), json!(["body", "closes", 0])),
        (
            json!({"closes": zero}),
            json!(["body", "closes", window - 1]),
        ),
        (
            json!({"closes": ["100", "101"]}),
            json!(["body", "closes", 0]),
        ),
        (
            json!({"closes": good, "horizon": 2}),
            json!(["body", "horizon"]),
        ),
        (
            json!({"closes": vec![100.0; 400]}),
            json!(["body", "closes"]),
        ),
    ] {
        let (status, reply) = send(
            &apps.predict,
            Method::POST,
            "/predict",
            Some(body.clone()),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert_eq!(reply["errors"][0]["loc"], loc, "{body}: {reply}");
    }
    // Too few closes says how many are needed.
    let (_, reply) = send(
        &apps.predict,
        Method::POST,
        "/predict",
        Some(json!({"closes": vec![100.0; window - 1]})),
        false,
    )
    .await;
    let msg = reply["errors"][0]["msg"].as_str().unwrap();
    assert!(msg.contains(&format!("at least {window}")), "{msg}");
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn any_history_from_the_window_up_is_accepted_and_the_most_recent_closes_are_used() {
    let apps = apps().await;
    let meta = bundled_meta();
    let s = series();
    let forecast = |closes: Vec<f64>, horizon: u32| {
        let app = apps.predict.clone();
        async move {
            let (status, body) = send(
                &app,
                Method::POST,
                "/predict",
                Some(json!({"closes": closes, "horizon_days": horizon, "levels": [50, 95]})),
                false,
            )
            .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    let end = s.len() - 200;
    let history: Vec<f64> = s.closes[end - 40..end].to_vec();
    let long = forecast(history.clone(), 7).await;
    let short = forecast(history[40 - meta.window..].to_vec(), 7).await;
    // The same point forecasts: the model reads the last `window` closes.
    for day in 0..7 {
        assert_eq!(
            long["forecasts"][day]["predicted_close"],
            short["forecasts"][day]["predicted_close"]
        );
    }
    assert_eq!(long["closes_used"], interval::VOLATILITY_WINDOW + 1);
    assert_eq!(long["interval_scaling"], "volatility");
    assert_eq!(short["closes_used"], meta.window);
    assert_eq!(short["interval_scaling"], "unscaled");

    // Each day ahead against the training program, with the served intervals.
    let last = *history.last().unwrap();
    let volatility = interval::volatility(&history);
    assert!(volatility.is_some());
    for day in 1..=7usize {
        let got = &long["forecasts"][day - 1];
        assert_eq!(got["day"], day);
        let expected_return =
            pipeline::predict_log_return(&meta.coefficients[day - 1], &history[40 - meta.window..]);
        assert!((got["predicted_log_return"].as_f64().unwrap() - expected_return).abs() < 1e-9);
        for (index, level) in [0.5, 0.95].into_iter().enumerate() {
            let calibration = meta.interval(day, level).unwrap();
            let (low, high) = interval::interval(calibration, expected_return, day, volatility);
            let interval = &got["intervals"][index];
            assert_eq!(interval["level"], 100.0 * level);
            let close = |v: &Value| v.as_f64().unwrap();
            assert!((close(&interval["low"]) / (last * low.exp()) - 1.0).abs() < 1e-9);
            assert!((close(&interval["high"]) / (last * high.exp()) - 1.0).abs() < 1e-9);
            assert_eq!(close(&interval["measured_coverage"]), calibration.coverage);
            assert!(close(&interval["low"]) < close(&got["predicted_close"]));
        }
        // The 95 % interval holds the 50 % one.
        let width = |i: usize| {
            got["intervals"][i]["high"].as_f64().unwrap()
                - got["intervals"][i]["low"].as_f64().unwrap()
        };
        assert!(width(1) > width(0));
    }
    // Unscaled intervals say the coverage their own method measured.
    let unscaled = &short["forecasts"][0]["intervals"][1]["measured_coverage"];
    assert_eq!(
        unscaled.as_f64().unwrap(),
        meta.interval(1, 0.95).unwrap().unscaled_coverage
    );
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn training_publishes_a_version_that_predict_then_serves() {
    let apps = apps().await;
    let before = bundled_meta().version;
    let rows = new_rows(30);
    let last_date = rows.last().unwrap()["date"].clone();

    // Predictions run while training does; each gets one version or the other.
    let predictions = join_all((0..30).map(|_| {
        let app = apps.predict.clone();
        async move { send(&app, Method::POST, "/predict", Some(json!({})), false).await }
    }));
    let training = send(
        &apps.train,
        Method::POST,
        "/train",
        Some(json!({"closes": rows})),
        true,
    );
    let (predictions, (status, trained)) = tokio::join!(predictions, training);
    assert_eq!(status, StatusCode::CREATED, "{trained}");
    let after = trained["version"].as_str().unwrap().to_owned();
    assert_eq!(
        trained["backtest"]["horizons"].as_array().unwrap().len(),
        7,
        "{trained}"
    );
    assert_ne!(after, before);
    assert_eq!(trained["previous_version"], before);
    assert_eq!(trained["rows_added"], 30);
    assert!(
        trained["metrics"]["mae_usd"].as_f64().unwrap()
            <= trained["previous_mae_usd"].as_f64().unwrap()
    );
    for (status, body) in &predictions {
        assert_eq!(*status, StatusCode::OK, "{body}");
        let version = body["model_version"].as_str().unwrap();
        assert!(version == before || version == after, "{version}");
    }

    // The background task would pick it up within MODEL_REFRESH_SECS.
    apps.registry.refresh().await.unwrap();
    let (_, info) = send(&apps.predict, Method::GET, "/predict/model", None, false).await;
    assert_eq!(info["version"], after);
    assert_eq!(info["source"], "published");
    let (_, forecast) = send(
        &apps.predict,
        Method::POST,
        "/predict",
        Some(json!({})),
        false,
    )
    .await;
    assert_eq!(forecast["model_version"], after);
    assert_eq!(forecast["as_of"], last_date);

    // The served prediction is the published coefficients' own.
    let meta: ModelMeta = serde_json::from_value(info.clone()).unwrap();
    let window = vec![60000.0, 61000.0, 60500.0, 62000.0][..meta.window.min(4)].to_vec();
    if window.len() == meta.window {
        let (_, body) = send(
            &apps.predict,
            Method::POST,
            "/predict",
            Some(json!({"closes": window})),
            false,
        )
        .await;
        let expected = pipeline::predict_log_return(&meta.coefficients[0], &window);
        assert!((body["predicted_log_return"].as_f64().unwrap() - expected).abs() < 1e-9);
    }

    // Sending the same rows again is harmless: nothing new, nothing conflicting.
    let (status, again) = send(
        &apps.train,
        Method::POST,
        "/train",
        Some(json!({"closes": new_rows(30)})),
        true,
    )
    .await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::CONFLICT,
        "{again}"
    );
    assert_eq!(apps.store.prices().await.unwrap().len(), 30);
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn a_worse_model_is_not_published_and_says_why() {
    let apps = apps().await;
    // Serve a model fitted on everything, including the days a re-fit is judged
    // on: no honest re-fit can beat it there.
    let s = series();
    let mut strong = bundled_meta();
    strong.coefficients = pipeline::fit_all(&s, &strong.hyper, s.len()).unwrap();
    strong.version = "in-sample-reference".into();
    let onnx = btc_training::onnx::export(&strong.coefficients, "reference");
    let pointer = apps
        .store
        .publish(
            &strong.version,
            &onnx,
            &serde_json::to_string(&strong).unwrap(),
            None,
        )
        .await
        .unwrap();
    strong.onnx_sha256 = pointer.sha256;

    let (status, body) = send(
        &apps.train,
        Method::POST,
        "/train",
        Some(json!({"closes": new_rows(1)})),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let detail = body["detail"].as_str().unwrap();
    assert!(detail.contains("worse than the current model"), "{detail}");
    assert!(detail.contains("USD"), "{detail}");
    assert_eq!(
        apps.store.current().await.unwrap().unwrap().version,
        "in-sample-reference"
    );
    apps.registry.refresh().await.unwrap();
    let (_, info) = send(&apps.predict, Method::GET, "/predict/model", None, false).await;
    assert_eq!(info["version"], "in-sample-reference");
}

#[tokio::test]
#[ignore = "integration: needs dynalite; run `cargo xtask test integration`"]
async fn rows_that_would_corrupt_the_series_are_refused_and_nothing_is_stored() {
    let apps = apps().await;
    let s = series();
    let next = format_date(s.end() + time::Duration::days(1));
    let known = format_date(s.end());
    let known_close = *s.closes.last().unwrap();
    for (rows, loc) in [
        (
            json!([{"date": format_date(s.end() + time::Duration::days(3)), "close": 1.0}]),
            json!(["body", "closes", 0, "date"]),
        ),
        (
            json!([{"date": known, "close": known_close * 2.0}]),
            json!(["body", "closes", 0, "close"]),
        ),
        (
            json!([{"date": next, "close": 1.0}, {"date": next, "close": 2.0}]),
            json!(["body", "closes", 1, "date"]),
        ),
        (
            json!([{"date": next, "close": -1.0}]),
            json!(["body", "closes", 0, "close"]),
        ),
        (
            json!([{"date": next, "close": 0}]),
            json!(["body", "closes", 0, "close"]),
        ),
        (
            json!([{"date": "06/04/2026", "close": 1.0}]),
            json!(["body", "closes", 0, "date"]),
        ),
        (
            json!([{"date": "2026-13-01", "close": 1.0}]),
            json!(["body", "closes", 0, "date"]),
        ),
        (
            json!([{"date": next, "close": 1.0, "volume": 3}]),
            json!(["body", "closes", 0, "volume"]),
        ),
        (json!([]), json!(["body", "closes"])),
    ] {
        let (status, body) = send(
            &apps.train,
            Method::POST,
            "/train",
            Some(json!({"closes": rows})),
            true,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{rows}: {body}");
        assert_eq!(body["errors"][0]["loc"], loc, "{rows}: {body}");
    }
    let (status, _) = send(
        &apps.train,
        Method::POST,
        "/train",
        Some(json!({"closes": new_rows(1)})),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        apps.store.prices().await.unwrap().is_empty(),
        "nothing stored"
    );
    assert!(
        apps.store.current().await.unwrap().is_none(),
        "nothing published"
    );
}

/// This package's folder. Read when the program runs (cargo sets it for `cargo
/// run`, `cargo test` and `cargo bench`), so an artifact built in another
/// checkout sharing the target directory still finds this checkout's files.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
