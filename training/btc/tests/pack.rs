//! The committed pack in models/btc is exactly what the training program
//! produces, and tract, running its ONNX graph, reproduces the training
//! program's predictions.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;

use btc_model::{BUNDLED_CSV, DailySeries, ModelMeta, pipeline};
use tract_onnx::prelude::*;

fn pack_dir() -> PathBuf {
    manifest_dir().join("../../models/btc")
}

#[test]
fn committed_pack_is_reproduced_byte_for_byte() {
    let series = DailySeries::from_csv(BUNDLED_CSV).unwrap();
    let (first, _) = pipeline::train_bundled(&series).unwrap();
    let (second, _) = pipeline::train_bundled(&series).unwrap();
    assert_eq!(first.onnx, second.onnx, "training is deterministic");

    let committed_onnx = std::fs::read(pack_dir().join("model.onnx")).unwrap();
    assert!(
        committed_onnx == first.onnx,
        "models/btc/model.onnx is stale: run `cargo run --release -p btc-model --bin btc-train`"
    );
    let committed: ModelMeta =
        serde_json::from_slice(&std::fs::read(pack_dir().join("config.json")).unwrap()).unwrap();
    assert_eq!(committed, first.meta, "models/btc/config.json is stale");
}

#[test]
fn tract_reproduces_the_training_programs_predictions() {
    let meta: ModelMeta =
        serde_json::from_slice(&std::fs::read(pack_dir().join("config.json")).unwrap()).unwrap();
    let model = tract_onnx::onnx()
        .model_for_path(pack_dir().join("model.onnx"))
        .unwrap()
        .with_input_fact(0, f64::fact([1, meta.window]).into())
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();

    let series = DailySeries::from_csv(BUNDLED_CSV).unwrap();
    let from = series.index_of(meta.evaluated_on.from).unwrap();
    let mut checked = 0;
    for t in from..series.len() {
        let window = &series.closes[t - meta.window..t];
        let expected_return = pipeline::predict_log_return(&meta.coefficients, window);
        let expected_close = window[meta.window - 1] * expected_return.exp();
        let input =
            tract_ndarray::Array2::from_shape_vec((1, meta.window), window.to_vec()).unwrap();
        let outputs = model.run(tvec!(Tensor::from(input).into())).unwrap();
        let log_return = outputs[0].to_plain_array_view::<f64>().unwrap()[[0, 0]];
        let next_close = outputs[1].to_plain_array_view::<f64>().unwrap()[[0, 0]];
        assert!(
            (log_return - expected_return).abs() < 1e-6,
            "day {t}: {log_return} vs {expected_return}"
        );
        assert!(
            ((next_close - expected_close) / expected_close).abs() < 1e-6,
            "day {t}"
        );
        checked += 1;
    }
    assert!(checked > 800, "checked {checked} held-out days");
}

/// This package's folder. Read when the program runs (cargo sets it for `cargo
/// run`, `cargo test` and `cargo bench`), so an artifact built in another
/// checkout sharing the target directory still finds this checkout's files.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
