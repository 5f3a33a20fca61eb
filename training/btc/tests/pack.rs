//! The committed pack in models/btc is exactly what the training program
//! produces, and tract, running its ONNX graph, reproduces the training
//! program's predictions.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;

use btc_forecast::{BUNDLED_CSV, DailySeries, LEVELS, ModelMeta};
use btc_training::pipeline;
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
        "models/btc/model.onnx is stale: run `cargo run --release -p btc-training --bin btc-train`"
    );
    let committed: ModelMeta =
        serde_json::from_slice(&std::fs::read(pack_dir().join("config.json")).unwrap()).unwrap();
    assert_eq!(committed, first.meta, "models/btc/config.json is stale");
}

#[test]
fn tract_reproduces_the_training_programs_predictions_at_every_horizon() {
    let meta: ModelMeta =
        serde_json::from_slice(&std::fs::read(pack_dir().join("config.json")).unwrap()).unwrap();
    meta.check().unwrap();
    let horizons = meta.max_horizon_days as usize;
    assert_eq!(horizons, pipeline::MAX_HORIZON);
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
        let input =
            tract_ndarray::Array2::from_shape_vec((1, meta.window), window.to_vec()).unwrap();
        let outputs = model.run(tvec!(Tensor::from(input).into())).unwrap();
        let log_returns = outputs[0].to_plain_array_view::<f64>().unwrap();
        let closes = outputs[1].to_plain_array_view::<f64>().unwrap();
        assert_eq!(log_returns.shape(), [1, horizons]);
        for h in 0..horizons {
            let expected_return = pipeline::predict_log_return(&meta.coefficients[h], window);
            let expected_close = window[meta.window - 1] * expected_return.exp();
            let (got_return, got_close) = (log_returns[[0, h]], closes[[0, h]]);
            assert!(
                (got_return - expected_return).abs() < 1e-6,
                "day {t}, horizon {}: {got_return} vs {expected_return}",
                h + 1
            );
            assert!(
                ((got_close - expected_close) / expected_close).abs() < 1e-6,
                "day {t}, horizon {}",
                h + 1
            );
        }
        checked += 1;
    }
    assert!(checked > 800, "checked {checked} held-out days");
}

#[test]
fn the_back_test_covers_every_horizon_and_level_out_of_sample() {
    let meta: ModelMeta =
        serde_json::from_slice(&std::fs::read(pack_dir().join("config.json")).unwrap()).unwrap();
    let b = &meta.backtest;
    // Every horizon is back-tested on the one-day metrics' days; the served
    // quantiles are those of the latest year (each back-tested interval was
    // calibrated on the year before its own origin: backtest's unit tests).
    assert_eq!(b.evaluated_on, meta.evaluated_on);
    assert_eq!(b.calibrated_on.to, b.evaluated_on.to);
    assert_eq!(
        (b.calibrated_on.to - b.calibrated_on.from).whole_days() + 1,
        btc_training::backtest::CALIBRATION_DAYS as i64
    );
    for h in &b.horizons {
        // A forecast of every evaluation day whose outcome is known.
        assert!(h.model.days > 800, "{} days", h.model.days);
        assert_eq!(h.model.days, h.naive.days);
        let levels: Vec<f64> = h.intervals.iter().map(|i| i.level).collect();
        assert_eq!(levels, LEVELS);
        for pair in h.intervals.windows(2) {
            // Wider levels are wider intervals.
            assert!(pair[0].low_z >= pair[1].low_z && pair[0].high_z <= pair[1].high_z);
            assert!(pair[0].coverage <= pair[1].coverage);
        }
    }
}

/// This package's folder. Read when the program runs (cargo sets it for `cargo
/// run`, `cargo test` and `cargo bench`), so an artifact built in another
/// checkout sharing the target directory still finds this checkout's files.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
