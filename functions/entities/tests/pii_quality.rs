//! The personal-data pack's recorded quality (config.json `quality`, served by
//! GET /entities/models) is what a fresh measurement on the synthetic set gives.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;

use pii_synthetic as synthetic;
use token_classifier::TokenClassifier;

#[test]
#[ignore = "integration: needs the pii-en-rampart pack (models/build_packs.py); run `cargo xtask test integration`"]
fn recorded_pii_quality_is_current() {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../../models/pii-en-rampart");
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let recorded = &config["quality"]["per_type"];
    assert!(
        recorded.as_object().is_some_and(|m| !m.is_empty()),
        "no recorded quality: run `cargo run -p entities --example pii_quality -- --write`"
    );
    let cases = synthetic::cases(synthetic::RECORDED_SEED, synthetic::RECORDED_CASES);
    let pack = TokenClassifier::load(&dir).unwrap();
    let fresh = synthetic::quality_json(
        &synthetic::measure_pack(&pack, &cases).unwrap(),
        synthetic::RECORDED_SEED,
        synthetic::RECORDED_CASES,
    );
    // Floating-point kernels may differ by CPU; a label flip on one of 600
    // sentences moves a figure by well under 0.01.
    for (kind, figures) in fresh["per_type"].as_object().unwrap() {
        for metric in ["precision", "recall", "f1", "redacted"] {
            let now = figures[metric].as_f64().unwrap();
            let then = recorded[kind][metric].as_f64().unwrap_or(f64::NAN);
            assert!(
                (now - then).abs() <= 0.01,
                "{kind} {metric}: recorded {then}, measured {now}: run `cargo run -p entities --example pii_quality -- --write`"
            );
        }
    }
}
