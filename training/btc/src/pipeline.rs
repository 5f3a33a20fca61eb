//! Model selection, fitting, evaluation and packaging, shared by the training
//! program (`btc-train`) and the `train` function.
//!
//! Forecast: for each horizon `h` in `1..=MAX_HORIZON` days, the cumulative log
//! return from the last close to the close `h` days later, from the log returns
//! of the last `window - 1` days, by one ridge regression per horizon (direct
//! multi-step forecasting: no forecast is fed back as an input); the predicted
//! close is the last close times `exp(predicted return)`. Prediction intervals
//! come from a rolling-origin back-test ([`crate::backtest`]).

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::{Date, macros::date};

use btc_forecast::meta::{Baselines, DateRange, Hyper, META_FORMAT, ModelMeta};
use btc_forecast::{
    meta::Linear,
    series::{DailySeries, format_date},
};

use crate::{backtest, evaluate::score, onnx, ridge};

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
