//! Model selection, fitting, evaluation and packaging, shared by the training
//! program (`btc-train`) and the `train` function.
//!
//! Forecast: for each horizon `h` in `1..=MAX_HORIZON` days, the cumulative log
//! return from the last close to the close `h` days later, from the log returns
//! of the last `window - 1` days, by one ridge regression per horizon (direct
//! multi-step forecasting: no forecast is fed back as an input); the predicted
//! close is the last close times `exp(predicted return)`. Prediction intervals
//! come from a rolling-origin back-test ([`crate::backtest`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, macros::date};

use crate::{
    backtest::{self, Backtest},
    evaluate::{Metrics, score},
    onnx,
    ridge::{self, Linear},
    series::{DailySeries, format_date},
};

/// Candidate windows (number of closes) and penalties tried by selection.
pub const WINDOWS: [usize; 9] = [2, 3, 4, 6, 8, 11, 15, 22, 31];
pub const LAMBDAS: [f64; 6] = [0.1, 1.0, 10.0, 100.0, 1_000.0, 10_000.0];
/// The first years are a different market (cents to dollars, thin trading):
/// where to start fitting is a choice too.
pub const TRAIN_STARTS: [Date; 3] = [
    date!(2013 - 01 - 01),
    date!(2016 - 01 - 01),
    date!(2019 - 01 - 01),
];
pub const VALIDATION_FROM: Date = date!(2022 - 01 - 01);
pub const TEST_FROM: Date = date!(2024 - 01 - 01);
/// Held-out days a re-fit is judged on.
pub const REFIT_HOLDOUT_DAYS: usize = 365;
/// Days ahead a forecast may reach: one model per horizon.
pub const MAX_HORIZON: usize = 7;
/// Central interval levels calibrated for every horizon, ascending.
pub const LEVELS: [f64; 4] = [0.50, 0.80, 0.90, 0.95];
/// The level of the single interval of the first response format.
pub const DEFAULT_LEVEL: f64 = 0.90;
/// Layout of [`ModelMeta`]; a reader refuses metadata of another layout.
pub const META_FORMAT: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hyper {
    /// Number of daily closes the model reads (its input length).
    pub window: usize,
    pub lambda: f64,
    #[serde(with = "date_text")]
    #[schema(value_type = String, format = Date)]
    pub train_start: Date,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Baselines {
    /// Tomorrow's close equals today's.
    pub naive: Metrics,
    /// Today's close grown by the mean daily log return of the fitting range.
    pub drift: Metrics,
}

/// Inclusive range of days.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DateRange {
    #[serde(with = "date_text")]
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[serde(with = "date_text")]
    #[schema(value_type = String, format = Date)]
    pub to: Date,
}

/// Everything known about a model: what `config.json` holds and
/// `GET /predict/model` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ModelMeta {
    /// Layout of this document (2: several horizons, calibrated intervals).
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

impl ModelMeta {
    /// What must hold for the metadata to be served; the reason otherwise.
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
        if horizons == 0 || horizons > 366 {
            return Err("max_horizon_days must be 1 to 366".into());
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
    pub fn interval(&self, horizon: usize, level: f64) -> Option<&backtest::IntervalCalibration> {
        self.backtest
            .horizons
            .get(horizon.checked_sub(1)?)?
            .intervals
            .iter()
            .find(|i| (i.level - level).abs() < 1e-9)
    }
}

/// A fitted model with its ONNX bytes.
#[derive(Debug, Clone)]
pub struct Trained {
    pub meta: ModelMeta,
    pub onnx: Vec<u8>,
}

/// One row of the selection table, for the model card.
#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub hyper: Hyper,
    pub validation_mae_usd: f64,
}

/// The log returns a model with `window` closes reads.
pub fn features(window_closes: &[f64]) -> Vec<f64> {
    window_closes
        .windows(2)
        .map(|pair| (pair[1] / pair[0]).ln())
        .collect()
}

pub fn predict_log_return(model: &Linear, window_closes: &[f64]) -> f64 {
    model.predict(&features(window_closes))
}

fn index_at_or_after(series: &DailySeries, date: Date) -> usize {
    series
        .index_of(date)
        .unwrap_or(if date < series.start { 0 } else { series.len() })
}

/// Fits the one-day model on targets `t` in `[max(start + window, window), end)`.
pub fn fit(series: &DailySeries, hyper: &Hyper, end: usize) -> Option<Linear> {
    fit_horizon(series, hyper, end, 1)
}

/// Fits the `horizon`-day model: for each origin `t` from
/// `max(start + window, window)` whose target day `t - 1 + horizon` is before
/// `end`, the log return from close `t - 1` to that day.
pub fn fit_horizon(
    series: &DailySeries,
    hyper: &Hyper,
    end: usize,
    horizon: usize,
) -> Option<Linear> {
    let from = index_at_or_after(series, hyper.train_start) + hyper.window;
    let closes = &series.closes;
    let last_origin = (end.min(closes.len()) + 1).checked_sub(horizon)?;
    let (rows, targets): (Vec<Vec<f64>>, Vec<f64>) = (from.max(hyper.window)..last_origin)
        .map(|t| {
            (
                features(&closes[t - hyper.window..t]),
                (closes[t - 1 + horizon] / closes[t - 1]).ln(),
            )
        })
        .unzip();
    if rows.len() < 10 * hyper.window {
        return None;
    }
    ridge::fit(&rows, &targets, hyper.lambda)
}

/// One model per horizon `1..=MAX_HORIZON`, fitted on data before `end`.
pub fn fit_all(series: &DailySeries, hyper: &Hyper, end: usize) -> Option<Vec<Linear>> {
    (1..=MAX_HORIZON)
        .map(|horizon| fit_horizon(series, hyper, end, horizon))
        .collect()
}

/// Mean daily log return over the days `from..to` (0 for an empty range).
pub(crate) fn mean_log_return(series: &DailySeries, from: usize, to: usize) -> f64 {
    let closes = &series.closes;
    let from = from.max(1);
    let to = to.min(closes.len());
    (from..to)
        .map(|t| (closes[t] / closes[t - 1]).ln())
        .sum::<f64>()
        / to.saturating_sub(from).max(1) as f64
}

/// Tries every candidate, fitting before `VALIDATION_FROM` and scoring on
/// `VALIDATION_FROM..TEST_FROM`; returns the best and the whole table.
pub fn select(series: &DailySeries) -> Option<(Hyper, Vec<Candidate>)> {
    let val_from = index_at_or_after(series, VALIDATION_FROM);
    let val_to = index_at_or_after(series, TEST_FROM);
    let mut table = Vec::new();
    for train_start in TRAIN_STARTS {
        for window in WINDOWS {
            for lambda in LAMBDAS {
                let hyper = Hyper {
                    window,
                    lambda,
                    train_start,
                };
                let Some(model) = fit(series, &hyper, val_from) else {
                    continue;
                };
                let metrics = score(&series.closes, window, val_from, val_to, |w| {
                    predict_log_return(&model, w)
                });
                table.push(Candidate {
                    hyper,
                    validation_mae_usd: metrics.mae_usd,
                });
            }
        }
    }
    let best = table
        .iter()
        .min_by(|a, b| a.validation_mae_usd.total_cmp(&b.validation_mae_usd))?
        .hyper;
    Some((best, table))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How a model is packaged: which fits it serves and what measures it.
struct Packaging<'a> {
    hyper: Hyper,
    /// The coefficients served, one per horizon, fitted on data before `served_end`.
    served: Vec<Linear>,
    served_end: usize,
    /// The one-day model `metrics` describe, fitted on data before `eval_fit_end`.
    evaluated: &'a Linear,
    eval_fit_end: usize,
    /// One-day metrics and baselines are measured on `from..to`.
    from: usize,
    to: usize,
    metrics_of: &'a str,
}

/// Scores the one-day model and the baselines, back-tests every horizon and
/// packages the served coefficients.
fn package(series: &DailySeries, p: Packaging<'_>) -> Option<Trained> {
    let Packaging {
        hyper,
        served,
        served_end,
        evaluated,
        eval_fit_end,
        from,
        to,
        metrics_of,
    } = p;
    let closes = &series.closes;
    let fit_from = index_at_or_after(series, hyper.train_start);
    let metrics = score(closes, hyper.window, from, to, |w| {
        predict_log_return(evaluated, w)
    });
    let drift = mean_log_return(series, fit_from, eval_fit_end);
    let baselines = Baselines {
        naive: score(closes, hyper.window, from, to, |_| 0.0),
        drift: score(closes, hyper.window, from, to, |_| drift),
    };
    // Every horizon back-tested on the same days as the one-day metrics.
    let backtest = backtest::run(series, &hyper, from, to)?;
    let fitted_on = DateRange {
        from: series.date_at(fit_from),
        to: series.date_at(served_end - 1),
    };
    let doc = format!(
        "BTC/USD log returns 1 to {} days ahead from the last {} daily closes; one ridge per horizon (lambda {}) fitted on {}..{}.",
        served.len(),
        hyper.window,
        hyper.lambda,
        format_date(fitted_on.from),
        format_date(fitted_on.to)
    );
    let onnx = onnx::export(&served, &doc);
    let onnx_sha256 = sha256_hex(&onnx);
    let data_sha256 = sha256_hex(series.to_csv().as_bytes());
    let version = format!(
        "{}-{}",
        format_date(fitted_on.to).replace('-', ""),
        &onnx_sha256[..8]
    );
    let meta = ModelMeta {
        format: META_FORMAT,
        name: "btc".into(),
        task: "regression".into(),
        version,
        window: hyper.window,
        min_closes: hyper.window,
        max_horizon_days: served.len() as u32,
        features: format!(
            "the {} daily log return(s) between the last {} closes",
            hyper.window - 1,
            hyper.window
        ),
        target: "log return from the last close to the close 1 to max_horizon_days days later, one model per horizon".into(),
        hyper,
        coefficients: served,
        fitted_on,
        evaluated_on: DateRange {
            from: series.date_at(from),
            to: series.date_at(to - 1),
        },
        metrics_of: metrics_of.into(),
        metrics,
        baselines,
        backtest,
        onnx_sha256,
        data_sha256,
    };
    meta.check().ok()?;
    Some(Trained { meta, onnx })
}

/// The bundled model: selected on 2022-2023, fitted on data before 2024,
/// evaluated on 2024 onwards, which neither selection nor fit saw; every
/// horizon and interval back-tested on 2024 onwards too.
pub fn train_bundled(series: &DailySeries) -> Option<(Trained, Vec<Candidate>)> {
    let (hyper, table) = select(series)?;
    let test_from = index_at_or_after(series, TEST_FROM);
    let served = fit_all(series, &hyper, test_from)?;
    let evaluated = served.first()?.clone();
    let trained = package(
        series,
        Packaging {
            hyper,
            served,
            served_end: test_from,
            evaluated: &evaluated,
            eval_fit_end: test_from,
            from: test_from,
            to: series.len(),
            metrics_of: "the served coefficients",
        },
    )?;
    Some((trained, table))
}

/// Why a re-fit was not published.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RefitError {
    #[error("too little data to fit a window of {window} closes")]
    TooLittleData { window: usize },
    #[error(
        "the re-fitted model's held-out error ({candidate_mae_usd:.2} USD) is worse than the current model's ({current_mae_usd:.2} USD) on {from}..{to}"
    )]
    Worse {
        candidate_mae_usd: f64,
        current_mae_usd: f64,
        from: String,
        to: String,
    },
}

/// A re-fit that passed its check, and the served model's error it was judged against.
#[derive(Debug, Clone)]
pub struct Refit {
    pub trained: Trained,
    pub current_mae_usd: f64,
}

/// Re-fits `current`'s hyper-parameters on `series`. The candidate is fitted
/// on all but the last `REFIT_HOLDOUT_DAYS` and compared with `current` there;
/// only if it is at least as good are the coefficients re-fitted on everything
/// and returned for publishing.
pub fn refit(series: &DailySeries, current: &ModelMeta) -> Result<Refit, RefitError> {
    let hyper = current.hyper;
    let too_little = RefitError::TooLittleData {
        window: hyper.window,
    };
    let len = series.len();
    let holdout_from = len
        .checked_sub(REFIT_HOLDOUT_DAYS)
        .ok_or(too_little.clone())?;
    let current_one_day = current.coefficients.first().ok_or(too_little.clone())?;
    let candidate = fit(series, &hyper, holdout_from).ok_or(too_little.clone())?;
    let closes = &series.closes;
    let candidate_mae = score(closes, hyper.window, holdout_from, len, |w| {
        predict_log_return(&candidate, w)
    })
    .mae_usd;
    let current_mae = score(closes, hyper.window, holdout_from, len, |w| {
        predict_log_return(current_one_day, w)
    })
    .mae_usd;
    if candidate_mae > current_mae {
        return Err(RefitError::Worse {
            candidate_mae_usd: candidate_mae,
            current_mae_usd: current_mae,
            from: format_date(series.date_at(holdout_from)),
            to: format_date(series.date_at(len - 1)),
        });
    }
    let served = fit_all(series, &hyper, len).ok_or(too_little.clone())?;
    let trained = package(
        series,
        Packaging {
            hyper,
            served,
            served_end: len,
            evaluated: &candidate,
            eval_fit_end: holdout_from,
            from: holdout_from,
            to: len,
            metrics_of: "the same hyper-parameters fitted on data before the held-out range; the served coefficients were then re-fitted on all data",
        },
    )
    .ok_or(too_little)?;
    Ok(Refit {
        trained,
        current_mae_usd: current_mae,
    })
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
