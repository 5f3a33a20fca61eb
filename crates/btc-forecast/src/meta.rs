//! The stored metadata of a model: what `config.json` and a published version
//! hold. Training writes it (`btc-training`), functions read it and check it
//! before serving; the HTTP response types are the functions' own.

use serde::{Deserialize, Serialize};
use time::Date;

/// Layout of [`ModelMeta`]; a reader refuses metadata of another layout.
pub const META_FORMAT: u32 = 2;
/// Central interval levels every horizon of a pack calibrates, ascending.
pub const LEVELS: [f64; 4] = [0.50, 0.80, 0.90, 0.95];
/// Most days ahead any stored model may claim to forecast.
pub const MAX_STORED_HORIZON: u32 = 366;

/// Everything known about a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Layout of this document (2: several horizons, calibrated intervals).
    pub format: u32,
    pub name: String,
    pub task: String,
    pub version: String,
    /// Closes the model reads, oldest first: the most recent of those sent.
    pub window: usize,
    /// Fewest closes a forecast needs.
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
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    /// Number of daily closes the model reads (its input length).
    pub window: usize,
    pub lambda: f64,
    #[serde(with = "date_text")]
    pub train_start: Date,
}

/// A linear model `y = bias + weights · x` on raw (unstandardised) features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Linear {
    pub weights: Vec<f64>,
    pub bias: f64,
}

impl Linear {
    pub fn predict(&self, x: &[f64]) -> f64 {
        self.bias + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>()
    }

    pub fn is_finite(&self) -> bool {
        self.bias.is_finite() && self.weights.iter().all(|w| w.is_finite())
    }
}

/// Errors of close forecasts over a test range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Baselines {
    /// Tomorrow's close equals today's.
    pub naive: Metrics,
    /// Today's close grown by the mean daily log return of the fitting range.
    pub drift: Metrics,
}

/// Inclusive range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateRange {
    #[serde(with = "date_text")]
    pub from: Date,
    #[serde(with = "date_text")]
    pub to: Date,
}

/// What a rolling-origin back-test measured, per horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Forecasts made and resolved in this range are scored, each interval
    /// calibrated only on outcomes known before its origin.
    pub evaluated_on: DateRange,
    /// One per horizon, `1..=max_horizon_days`.
    pub horizons: Vec<HorizonResult>,
}

/// Back-test results of one horizon on the evaluation range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HorizonResult {
    pub horizon_days: u32,
    /// This model's forecasts of the close `horizon_days` ahead.
    pub model: Metrics,
    /// The close `horizon_days` ahead equals the last one.
    pub naive: Metrics,
    /// The last close grown by the fitting range's mean daily log return.
    pub drift: Metrics,
    /// One per level in [`LEVELS`], ascending.
    pub intervals: Vec<IntervalCalibration>,
}

/// The central `level` interval of one horizon, as quantiles of residuals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

impl ModelMeta {
    /// What must hold for the metadata to be served; the reason otherwise.
    /// Readers call this before anything indexes by the metadata's numbers.
    pub fn check(&self) -> Result<(), String> {
        if self.format != META_FORMAT {
            return Err(format!(
                "metadata format {} (this reader knows {META_FORMAT})",
                self.format
            ));
        }
        if self.window < 2 {
            return Err("window must be at least 2 closes".into());
        }
        if self.min_closes < self.window {
            return Err("min_closes is below the window".into());
        }
        let horizons = self.max_horizon_days as usize;
        if horizons == 0 || self.max_horizon_days > MAX_STORED_HORIZON {
            return Err(format!(
                "max_horizon_days must be 1 to {MAX_STORED_HORIZON}"
            ));
        }
        if self.coefficients.len() != horizons || self.backtest.horizons.len() != horizons {
            return Err("coefficients and back-test must hold one entry per horizon".into());
        }
        if self
            .coefficients
            .iter()
            .any(|c| c.weights.len() != self.window - 1 || !c.is_finite())
        {
            return Err("each horizon's model must have window - 1 finite weights".into());
        }
        for (index, horizon) in self.backtest.horizons.iter().enumerate() {
            if horizon.horizon_days as usize != index + 1 {
                return Err("back-test horizons must be 1, 2, ... in order".into());
            }
            let levels: Vec<f64> = horizon.intervals.iter().map(|i| i.level).collect();
            if levels != LEVELS {
                return Err(format!(
                    "horizon {} must calibrate the levels {LEVELS:?}",
                    index + 1
                ));
            }
            let sound = |low: f64, high: f64| low.is_finite() && high.is_finite() && low <= high;
            if horizon
                .intervals
                .iter()
                .any(|i| !sound(i.low_z, i.high_z) || !sound(i.low_log_return, i.high_log_return))
            {
                return Err(format!("horizon {} has an unusable interval", index + 1));
            }
        }
        Ok(())
    }

    /// The calibration of `level` at `horizon` days, if there is one.
    pub fn interval(&self, horizon: usize, level: f64) -> Option<&IntervalCalibration> {
        self.backtest
            .horizons
            .get(horizon.checked_sub(1)?)?
            .intervals
            .iter()
            .find(|i| (i.level - level).abs() < 1e-9)
    }
}

mod date_text {
    use serde::{Deserialize, Deserializer, Serializer, de};
    use time::Date;

    pub fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&crate::series::format_date(*date))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = String::deserialize(deserializer)?;
        crate::series::parse_date(&text)
            .ok_or_else(|| de::Error::custom("expected a date like 2024-01-31"))
    }
}
