//! One prediction: the model run alone, the whole handler (JSON in, routing,
//! validation, model, JSON out, shared layers) one day and one week ahead, and
//! the cold-start model load.
//!
//!     cargo bench -p predict --bench predict

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::{hint::black_box, path::PathBuf, sync::Arc, time::Duration};

use axum::body::Body;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn pack() -> PathBuf {
    manifest_dir().join("../../models/btc")
}

fn benches(c: &mut Criterion) {
    let model = predict::registry::load_pack(&pack()).unwrap();
    let closes: Vec<f64> = (0..model.meta.window)
        .map(|i| 64_000.0 + 100.0 * i as f64)
        .collect();
    c.bench_function("predict/model_run", |b| {
        b.iter(|| model.forecast(black_box(&closes)).unwrap())
    });

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let config = predict::Config {
        model_dir: pack().parent().unwrap().to_path_buf(),
        table: None,
        dynamodb_endpoint: None,
        create_table: false,
        refresh_every: Duration::from_secs(3600),
    };
    let registry = runtime
        .block_on(predict::registry_from_config(&config))
        .unwrap();
    let app = shared::build_app(
        predict::router(Arc::new(registry)),
        &shared::config::HttpConfig::default(),
    );
    // Horizon 1 from the model's window (the first contract), then a week
    // ahead at four levels from the 40 closes a user typically holds.
    let history: Vec<f64> = (0..40)
        .map(|i| 64_000.0 * (1.0 + 0.01 * (i as f64 * 0.7).sin()))
        .collect();
    for (name, body) in [
        ("predict/handler", serde_json::json!({ "closes": closes })),
        (
            "predict/handler_7_days_4_levels_40_closes",
            serde_json::json!({ "closes": history, "horizon_days": 7, "levels": [50, 80, 90, 95] }),
        ),
    ] {
        let body = body.to_string();
        c.bench_function(name, |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let request = http::Request::post("/predict")
                        .header("content-type", "application/json")
                        .body(Body::from(body.clone()))
                        .unwrap();
                    let response = app.clone().oneshot(request).await.unwrap();
                    assert_eq!(response.status(), 200);
                    black_box(response.into_body().collect().await.unwrap().to_bytes())
                })
            })
        });
    }

    c.bench_function("predict/load_model_pack", |b| {
        b.iter(|| predict::registry::load_pack(black_box(&pack())).unwrap())
    });
}

criterion_group!(predict_benches, benches);
criterion_main!(predict_benches);

/// This package's folder. Read when the program runs (cargo sets it for `cargo
/// run`, `cargo test` and `cargo bench`), so an artifact built in another
/// checkout sharing the target directory still finds this checkout's files.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
