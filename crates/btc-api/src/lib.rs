//! What the predict and train responses say about a model.
//!
//! These are the API's own types, not the stored ones: each is built from
//! `btc_forecast`'s metadata by a `From` that names every field, so a renamed
//! or retyped stored field fails to compile here instead of changing the
//! responses, and a field added to the stored metadata stays private until it
//! is added here on purpose. The names match the stored ones today because the
//! first API exposed the stored document as it was; that is a choice now, not
//! a coupling.

use btc_forecast::{meta, series::format_date};
use serde::Serialize;

/// Everything a served model states about itself.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModelDescription {
    /// Layout of the stored metadata (2: several horizons, calibrated intervals).
    pub format: u32,
    pub name: String,
    pub task: String,
    pub version: String,
    /// Closes the model reads, oldest first: the most recent of those sent.
    pub window: usize,
    /// Fewest closes a forecast needs. With at least
    /// `backtest.volatility_window + 1` the intervals are scaled by the
    /// volatility of the closes sent; with fewer, unscaled intervals are used.
    pub min_closes: usize,
    /// Days ahead a forecast may reach.
    pub max_horizon_days: u32,
    pub features: String,
    pub target: String,
    pub hyper: Hyper,
    /// One linear model per horizon (`coefficients[h - 1]` predicts the log
    /// return from the last close to the close `h` days later).
    pub coefficients: Vec<Linear>,
    /// Data the served coefficients were fitted on.
    pub fitted_on: DateRange,
    /// Data `metrics` and `baselines` (one day ahead) were measured on; never
    /// seen by the fit they describe.
    pub evaluated_on: DateRange,
    /// Which fit the metrics describe.
    pub metrics_of: String,
    /// One day ahead, on `evaluated_on`.
    pub metrics: Metrics,
    pub baselines: Baselines,
    /// Every horizon and interval level, measured by a rolling-origin back-test.
    pub backtest: Backtest,
    pub onnx_sha256: String,
    pub data_sha256: String,
}

/// The hyper-parameters selection chose.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Hyper {
    /// Number of daily closes the model reads (its input length).
    pub window: usize,
    pub lambda: f64,
    #[schema(format = Date)]
    pub train_start: String,
}

/// A linear model `y = bias + weights · x` on the log returns of the window.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Linear {
    pub weights: Vec<f64>,
    pub bias: f64,
}

/// Errors of close forecasts over a test range.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Metrics {
    /// Mean absolute error of the predicted close, USD.
    pub mae_usd: f64,
    /// Mean absolute percentage error of the predicted close, %.
    pub mape_pct: f64,
    /// Share of days whose predicted direction (up/down) was right; `None` for a
    /// forecaster that never predicts a move (the naive baseline).
    pub direction_accuracy: Option<f64>,
    pub days: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Baselines {
    /// Tomorrow's close equals today's.
    pub naive: Metrics,
    /// Today's close grown by the mean daily log return of the fitting range.
    pub drift: Metrics,
}

/// Inclusive range of days.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DateRange {
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
}

/// What a rolling-origin back-test measured, per horizon.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Backtest {
    /// How the back-tested forecasts were made.
    pub method: String,
    pub refit_every_days: usize,
    /// Daily log returns whose standard deviation scales the intervals.
    pub volatility_window: usize,
    /// How the intervals are calibrated.
    pub calibration: String,
    /// The forecasts resolved in this range set the served quantiles.
    pub calibrated_on: DateRange,
    /// Forecasts made and resolved in this range are scored below, each
    /// interval calibrated only on outcomes known before its origin.
    pub evaluated_on: DateRange,
    /// One per horizon, `1..=max_horizon_days`.
    pub horizons: Vec<HorizonResult>,
}

/// Back-test results of one horizon on the evaluation range.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HorizonResult {
    pub horizon_days: u32,
    /// This model's forecasts of the close `horizon_days` ahead.
    pub model: Metrics,
    /// The close `horizon_days` ahead equals the last one.
    pub naive: Metrics,
    /// The last close grown by the fitting range's mean daily log return.
    pub drift: Metrics,
    /// One per calibrated level, ascending.
    pub intervals: Vec<IntervalCalibration>,
}

/// The central `level` interval of one horizon, as quantiles of residuals.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IntervalCalibration {
    /// Nominal coverage, e.g. `0.9`.
    pub level: f64,
    /// Quantiles of residuals divided by `volatility * sqrt(h)`: the interval
    /// is `predicted + volatility * sqrt(h) * [low_z, high_z]` (log return).
    pub low_z: f64,
    pub high_z: f64,
    /// Share of the evaluation range's outcomes inside the scaled interval.
    pub coverage: f64,
    /// Quantiles of the raw residual log returns, used when the history sent
    /// is too short to measure volatility.
    pub low_log_return: f64,
    pub high_log_return: f64,
    /// Share of the evaluation range's outcomes inside the unscaled interval.
    pub unscaled_coverage: f64,
}

impl From<&meta::ModelMeta> for ModelDescription {
    fn from(m: &meta::ModelMeta) -> Self {
        Self {
            format: m.format,
            name: m.name.clone(),
            task: m.task.clone(),
            version: m.version.clone(),
            window: m.window,
            min_closes: m.min_closes,
            max_horizon_days: m.max_horizon_days,
            features: m.features.clone(),
            target: m.target.clone(),
            hyper: Hyper::from(&m.hyper),
            coefficients: m.coefficients.iter().map(Linear::from).collect(),
            fitted_on: DateRange::from(&m.fitted_on),
            evaluated_on: DateRange::from(&m.evaluated_on),
            metrics_of: m.metrics_of.clone(),
            metrics: Metrics::from(&m.metrics),
            baselines: Baselines::from(&m.baselines),
            backtest: Backtest::from(&m.backtest),
            onnx_sha256: m.onnx_sha256.clone(),
            data_sha256: m.data_sha256.clone(),
        }
    }
}

impl From<&meta::Hyper> for Hyper {
    fn from(h: &meta::Hyper) -> Self {
        Self {
            window: h.window,
            lambda: h.lambda,
            train_start: format_date(h.train_start),
        }
    }
}

impl From<&meta::Linear> for Linear {
    fn from(l: &meta::Linear) -> Self {
        Self {
            weights: l.weights.clone(),
            bias: l.bias,
        }
    }
}

impl From<&meta::Metrics> for Metrics {
    fn from(m: &meta::Metrics) -> Self {
        Self {
            mae_usd: m.mae_usd,
            mape_pct: m.mape_pct,
            direction_accuracy: m.direction_accuracy,
            days: m.days,
        }
    }
}

impl From<&meta::Baselines> for Baselines {
    fn from(b: &meta::Baselines) -> Self {
        Self {
            naive: Metrics::from(&b.naive),
            drift: Metrics::from(&b.drift),
        }
    }
}

impl From<&meta::DateRange> for DateRange {
    fn from(r: &meta::DateRange) -> Self {
        Self {
            from: format_date(r.from),
            to: format_date(r.to),
        }
    }
}

impl From<&meta::Backtest> for Backtest {
    fn from(b: &meta::Backtest) -> Self {
        Self {
            method: b.method.clone(),
            refit_every_days: b.refit_every_days,
            volatility_window: b.volatility_window,
            calibration: b.calibration.clone(),
            calibrated_on: DateRange::from(&b.calibrated_on),
            evaluated_on: DateRange::from(&b.evaluated_on),
            horizons: b.horizons.iter().map(HorizonResult::from).collect(),
        }
    }
}

impl From<&meta::HorizonResult> for HorizonResult {
    fn from(h: &meta::HorizonResult) -> Self {
        Self {
            horizon_days: h.horizon_days,
            model: Metrics::from(&h.model),
            naive: Metrics::from(&h.naive),
            drift: Metrics::from(&h.drift),
            intervals: h.intervals.iter().map(IntervalCalibration::from).collect(),
        }
    }
}

impl From<&meta::IntervalCalibration> for IntervalCalibration {
    fn from(i: &meta::IntervalCalibration) -> Self {
        Self {
            level: i.level,
            low_z: i.low_z,
            high_z: i.high_z,
            coverage: i.coverage,
            low_log_return: i.low_log_return,
            high_log_return: i.high_log_return,
            unscaled_coverage: i.unscaled_coverage,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Today the description says what the stored document says, field for
    /// field: the committed pack's config.json serialises to the same JSON
    /// either way. (A deliberate divergence would change this test, on purpose.)
    #[test]
    fn the_description_of_the_committed_pack_matches_its_stored_document() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/btc/config.json");
        let stored: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        let meta: meta::ModelMeta = serde_json::from_value(stored.clone()).unwrap();
        let described = serde_json::to_value(ModelDescription::from(&meta)).unwrap();
        assert_eq!(described, stored);
    }
}
