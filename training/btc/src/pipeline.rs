//! Model selection, fitting, evaluation and packaging, shared by the training
//! program (`btc-train`) and the `train` function.
//!
//! Forecast: the next day's log return from the log returns of the last
//! `window - 1` days, by ridge regression; the predicted close is the last close
//! times `exp(predicted return)`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, macros::date};

use crate::{
    evaluate::{Metrics, quantile, residuals, score},
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
/// Central share of held-out residuals the prediction interval covers.
pub const INTERVAL: f64 = 0.90;

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
    pub name: String,
    pub task: String,
    pub version: String,
    /// Closes the model reads, oldest first.
    pub window: usize,
    pub features: String,
    pub target: String,
    pub horizon_days: u32,
    pub hyper: Hyper,
    pub coefficients: Linear,
    /// Data the served coefficients were fitted on.
    pub fitted_on: DateRange,
    /// Data the metrics were measured on; never seen by the fit they describe.
    pub evaluated_on: DateRange,
    /// Which fit the metrics describe.
    pub metrics_of: String,
    pub metrics: Metrics,
    pub baselines: Baselines,
    /// Residual log-return quantiles for the prediction interval.
    pub interval: Interval,
    pub onnx_sha256: String,
    pub data_sha256: String,
}

/// Quantiles of held-out residual log returns that bound a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ResidualInterval)]
pub struct Interval {
    pub coverage: f64,
    pub low_log_return: f64,
    pub high_log_return: f64,
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

/// Fits on targets `t` in `[max(start + window, window), end)`.
pub fn fit(series: &DailySeries, hyper: &Hyper, end: usize) -> Option<Linear> {
    let from = index_at_or_after(series, hyper.train_start) + hyper.window;
    let closes = &series.closes;
    let (rows, targets): (Vec<Vec<f64>>, Vec<f64>) = (from.max(hyper.window)..end)
        .map(|t| {
            (
                features(&closes[t - hyper.window..t]),
                (closes[t] / closes[t - 1]).ln(),
            )
        })
        .unzip();
    if rows.len() < 10 * hyper.window {
        return None;
    }
    ridge::fit(&rows, &targets, hyper.lambda)
}

fn mean_log_return(series: &DailySeries, from: usize, to: usize) -> f64 {
    let closes = &series.closes;
    let from = from.max(1);
    (from..to)
        .map(|t| (closes[t] / closes[t - 1]).ln())
        .sum::<f64>()
        / (to - from).max(1) as f64
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

/// Scores `model` and the baselines on `from..to`, and packages `served`.
#[allow(clippy::too_many_arguments)]
fn package(
    series: &DailySeries,
    hyper: Hyper,
    served: Linear,
    served_end: usize,
    evaluated: &Linear,
    eval_fit_end: usize,
    from: usize,
    to: usize,
    metrics_of: &str,
) -> Trained {
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
    let residual = residuals(closes, hyper.window, from, to, |w| {
        predict_log_return(evaluated, w)
    });
    let tail = (1.0 - INTERVAL) / 2.0;
    let interval = Interval {
        coverage: INTERVAL,
        low_log_return: quantile(&residual, tail),
        high_log_return: quantile(&residual, 1.0 - tail),
    };
    let fitted_on = DateRange {
        from: series.date_at(fit_from),
        to: series.date_at(served_end - 1),
    };
    let doc = format!(
        "Next-day BTC/USD log return from the last {} daily closes; ridge (lambda {}) fitted on {}..{}.",
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
    Trained {
        meta: ModelMeta {
            name: "btc".into(),
            task: "regression".into(),
            version,
            window: hyper.window,
            features: format!(
                "the {} daily log return(s) between the last {} closes",
                hyper.window - 1,
                hyper.window
            ),
            target: "log return of the next daily close".into(),
            horizon_days: 1,
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
            interval,
            onnx_sha256,
            data_sha256,
        },
        onnx,
    }
}

/// The bundled model: selected on 2022-2023, fitted on data before 2024,
/// evaluated on 2024 onwards, which neither selection nor fit saw.
pub fn train_bundled(series: &DailySeries) -> Option<(Trained, Vec<Candidate>)> {
    let (hyper, table) = select(series)?;
    let test_from = index_at_or_after(series, TEST_FROM);
    let model = fit(series, &hyper, test_from)?;
    let trained = package(
        series,
        hyper,
        model.clone(),
        test_from,
        &model,
        test_from,
        test_from,
        series.len(),
        "the served coefficients",
    );
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
    let candidate = fit(series, &hyper, holdout_from).ok_or(too_little.clone())?;
    let closes = &series.closes;
    let candidate_mae = score(closes, hyper.window, holdout_from, len, |w| {
        predict_log_return(&candidate, w)
    })
    .mae_usd;
    let current_mae = score(closes, hyper.window, holdout_from, len, |w| {
        predict_log_return(&current.coefficients, w)
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
    let served = fit(series, &hyper, len).ok_or(too_little)?;
    let trained = package(
        series,
        hyper,
        served,
        len,
        &candidate,
        holdout_from,
        holdout_from,
        len,
        "the same hyper-parameters fitted on data before the held-out range; the served coefficients were then re-fitted on all data",
    );
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
