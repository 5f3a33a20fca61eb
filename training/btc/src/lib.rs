//! The Bitcoin price model: data, fitting, evaluation and ONNX export.
//!
//! - [`series`]: a gap-free daily series and safe merging of new rows;
//! - [`ridge`]: closed-form ridge regression;
//! - [`evaluate`]: MAE, MAPE and direction accuracy against baselines;
//! - [`backtest`]: rolling-origin back-tests per horizon and interval calibration;
//! - [`pipeline`]: selection, fitting and packaging of a model;
//! - [`onnx`]: the model as an ONNX graph tract can run.

pub mod backtest;
pub mod evaluate;
pub mod onnx;
pub mod pipeline;
pub mod ridge;
pub mod series;

pub use pipeline::{ModelMeta, Trained};
pub use series::DailySeries;

/// The bundled data set (see `training/btc/data/SOURCE.md`).
pub const BUNDLED_CSV: &str = include_str!("../data/btc_usd_daily_close.csv");

/// The bundled data set, parsed. It is part of the binary and a test checks it
/// parses, so the empty fallback (which a function would serve as "no history")
/// is never reached from a request.
pub fn bundled_history() -> DailySeries {
    DailySeries::from_csv(BUNDLED_CSV).unwrap_or(DailySeries {
        start: time::Date::MIN,
        closes: Vec::new(),
    })
}
