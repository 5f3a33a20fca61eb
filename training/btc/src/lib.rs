//! Training of the Bitcoin price model: fitting, evaluation and ONNX export.
//! What a trained model is (its stored metadata, the series, the bundled
//! history) lives one layer down, in `btc-forecast`, which the functions read.
//!
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

pub use pipeline::Trained;
