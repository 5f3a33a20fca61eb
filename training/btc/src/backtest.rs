//! Rolling-origin back-tests: many forecast origins, each forecast made by
//! models fitted only on the days before it, scored per horizon against the
//! naive and drift baselines, and used to calibrate prediction intervals.
//!
//! An origin `t` is the first unknown day: the forecaster knows closes
//! `..t` and predicts the cumulative log return to day `t - 1 + h` for each
//! horizon `h` in `1..=MAX_HORIZON`. The models are re-fitted every
//! `refit_every` origins on everything before the block's first origin, as a
//! deployment that re-trains monthly would be.
//!
//! Intervals are conformal, on a trailing window: the residuals of the
//! forecasts resolved in the `CALIBRATION_DAYS` before an origin give that
//! origin's quantiles, so coverage is always measured on outcomes the quantiles
//! never saw, and the served quantiles are those of the last `CALIBRATION_DAYS`
//! of data. Residuals are standardised by the volatility the forecaster could
//! see (the standard deviation of the last `VOLATILITY_WINDOW` daily log
//! returns, times `sqrt(h)`), so an interval widens in a turbulent month and
//! narrows in a calm one; the unscaled quantiles are kept beside them for
//! histories too short to measure volatility. `training/btc/EXPERIMENTS.md`
//! has the variants this was chosen from (on 2022-2023, before the test years).

use btc_forecast::{
    interval::{VOLATILITY_WINDOW, volatility},
    meta::{Backtest, HorizonResult, IntervalCalibration},
};
use btc_forecast::{
    meta::{Hyper, LEVELS, Linear, Metrics},
    series::DailySeries,
};

use crate::{
    evaluate::quantile_of_sorted,
    pipeline::{MAX_HORIZON, fit_all, mean_log_return},
};

/// Origins between two re-fits of the back-tested models.
pub const REFIT_EVERY: usize = 30;
/// Days of resolved forecasts whose residuals calibrate an interval.
pub const CALIBRATION_DAYS: usize = 365;

/// One forecast of the back-test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// First unknown day (index into the series).
    pub origin: usize,
    pub horizon: usize,
    /// Predicted cumulative log return from day `origin - 1` to `origin - 1 + horizon`.
    pub predicted: f64,
    /// The drift baseline's prediction: `horizon` times the fitting range's mean daily log return.
    pub drift: f64,
    /// What happened.
    pub actual: f64,
    /// Volatility of the returns before the origin (see [`volatility`]).
    pub volatility: f64,
}

impl Point {
    fn scale(&self) -> f64 {
        self.volatility * (self.horizon as f64).sqrt()
    }
}

/// Forecasts for every origin in `from..to` whose target day is before `to`,
/// grouped by horizon (index `h - 1`). `None` when a block cannot be fitted.
pub fn rolling(
    series: &DailySeries,
    hyper: &Hyper,
    from: usize,
    to: usize,
    refit_every: usize,
) -> Option<Vec<Vec<Point>>> {
    let closes = &series.closes;
    let from = from.max(hyper.window).max(VOLATILITY_WINDOW + 1);
    let to = to.min(closes.len());
    let fit_from =
        series
            .index_of(hyper.train_start)
            .unwrap_or(if hyper.train_start < series.start {
                0
            } else {
                series.len()
            });
    let mut by_horizon = vec![Vec::new(); MAX_HORIZON];
    let mut block = from;
    while block < to {
        let models = fit_all(series, hyper, block)?;
        let daily_drift = mean_log_return(series, fit_from, block);
        for origin in block..(block + refit_every.max(1)).min(to) {
            let known = &closes[..origin];
            let last = closes[origin - 1];
            let input = &known[origin - hyper.window..];
            let volatility = volatility(known)?;
            for (index, model) in models.iter().enumerate() {
                let horizon = index + 1;
                let target = origin - 1 + horizon;
                if target >= to {
                    break;
                }
                by_horizon[index].push(Point {
                    origin,
                    horizon,
                    predicted: crate::pipeline::predict_log_return(model, input),
                    drift: daily_drift * horizon as f64,
                    actual: (closes[target] / last).ln(),
                    volatility,
                });
            }
        }
        block += refit_every.max(1);
    }
    Some(by_horizon)
}

/// Errors of `predict` (a point -> predicted cumulative log return) in USD
/// of the forecast close.
pub fn score<F>(closes: &[f64], points: &[Point], predict: F) -> Metrics
where
    F: Fn(&Point) -> f64,
{
    let mut abs_err = 0.0;
    let mut pct_err = 0.0;
    let mut direction_hits = 0usize;
    let mut direction_calls = 0usize;
    for point in points {
        let last = closes[point.origin - 1];
        let actual = closes[point.origin - 1 + point.horizon];
        let predicted_return = predict(point);
        let predicted = last * predicted_return.exp();
        abs_err += (predicted - actual).abs();
        pct_err += ((predicted - actual) / actual).abs();
        if predicted_return != 0.0 && actual != last {
            direction_calls += 1;
            if (predicted_return > 0.0) == (actual > last) {
                direction_hits += 1;
            }
        }
    }
    let n = points.len().max(1) as f64;
    Metrics {
        mae_usd: abs_err / n,
        mape_pct: 100.0 * pct_err / n,
        direction_accuracy: (direction_calls > 0)
            .then(|| direction_hits as f64 / direction_calls as f64),
        days: points.len(),
    }
}

/// The quantiles of one level, scaled and unscaled, from the sorted
/// standardised (`z`) and raw residuals of one calibration window.
fn quantiles(z: &[f64], raw: &[f64], level: f64) -> [f64; 4] {
    let tail = (1.0 - level) / 2.0;
    [
        quantile_of_sorted(z, tail),
        quantile_of_sorted(z, 1.0 - tail),
        quantile_of_sorted(raw, tail),
        quantile_of_sorted(raw, 1.0 - tail),
    ]
}

/// The residuals (standardised, raw), each sorted ascending, of `points` (one
/// horizon, in origin order) resolved before `origin` and made at most
/// `CALIBRATION_DAYS` before it. Within one horizon both bounds are monotone in
/// a point's origin, so the window is one contiguous run found by bisection:
/// the back-test asks for thousands of windows.
fn trailing(points: &[Point], origin: usize) -> (Vec<f64>, Vec<f64>) {
    let first = points.partition_point(|p| p.origin + CALIBRATION_DAYS < origin);
    let end = points.partition_point(|p| p.origin - 1 + p.horizon < origin);
    let window = points.get(first..end.max(first)).unwrap_or_default();
    let (mut z, mut raw): (Vec<f64>, Vec<f64>) = window
        .iter()
        .map(|p| ((p.actual - p.predicted) / p.scale(), p.actual - p.predicted))
        .unzip();
    z.sort_by(f64::total_cmp);
    raw.sort_by(f64::total_cmp);
    (z, raw)
}

/// Every level of one horizon: the served quantiles from the forecasts
/// resolved in the last `CALIBRATION_DAYS` before `served_from`, and coverage
/// on `evaluation`, each point's interval calibrated on its own trailing window
/// of `points` (which must reach `CALIBRATION_DAYS` before the first).
pub fn calibrate(
    points: &[Point],
    evaluation: &[Point],
    served_from: usize,
) -> Vec<IntervalCalibration> {
    let mut inside = vec![[0usize; 2]; LEVELS.len()];
    for p in evaluation {
        let (z, raw) = trailing(points, p.origin);
        let residual = p.actual - p.predicted;
        for (count, level) in inside.iter_mut().zip(LEVELS) {
            let [low_z, high_z, low_raw, high_raw] = quantiles(&z, &raw, level);
            let scaled = residual / p.scale();
            count[0] += usize::from(low_z <= scaled && scaled <= high_z);
            count[1] += usize::from(low_raw <= residual && residual <= high_raw);
        }
    }
    let (z, raw) = trailing(points, served_from);
    let n = evaluation.len().max(1) as f64;
    LEVELS
        .iter()
        .zip(inside)
        .map(|(level, [scaled, unscaled])| {
            let [low_z, high_z, low_log_return, high_log_return] = quantiles(&z, &raw, *level);
            IntervalCalibration {
                level: *level,
                low_z,
                high_z,
                coverage: scaled as f64 / n,
                low_log_return,
                high_log_return,
                unscaled_coverage: unscaled as f64 / n,
            }
        })
        .collect()
}

/// Back-tests `hyper` on the origins `evaluate_from..to` (forecasts resolved
/// before `to`), with each interval calibrated on the `CALIBRATION_DAYS`
/// before its origin; the served quantiles are those of the last
/// `CALIBRATION_DAYS` before `to`.
pub fn run(
    series: &DailySeries,
    hyper: &Hyper,
    evaluate_from: usize,
    to: usize,
) -> Option<Backtest> {
    let to = to.min(series.len());
    let from = evaluate_from.checked_sub(CALIBRATION_DAYS + MAX_HORIZON)?;
    let forecasts = rolling(series, hyper, from, to, REFIT_EVERY)?;
    let closes = &series.closes;
    let horizons = forecasts
        .iter()
        .enumerate()
        .map(|(index, points)| {
            let evaluation: Vec<Point> = points
                .iter()
                .filter(|p| p.origin >= evaluate_from)
                .copied()
                .collect();
            if evaluation.is_empty() {
                return None;
            }
            Some(HorizonResult {
                horizon_days: (index + 1) as u32,
                model: score(closes, &evaluation, |p| p.predicted),
                naive: score(closes, &evaluation, |_| 0.0),
                drift: score(closes, &evaluation, |p| p.drift),
                intervals: calibrate(points, &evaluation, to),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let range = |from: usize, to: usize| btc_forecast::meta::DateRange {
        from: series.date_at(from),
        to: series.date_at(to - 1),
    };
    Some(Backtest {
        method: format!(
            "rolling origin: every day a forecast of each horizon, by models re-fitted every {REFIT_EVERY} days on all data before the origin"
        ),
        refit_every_days: REFIT_EVERY,
        volatility_window: VOLATILITY_WINDOW,
        calibration: format!(
            "quantiles of the residuals of the forecasts resolved in the {CALIBRATION_DAYS} days before the origin, divided by the volatility of the last {VOLATILITY_WINDOW} daily log returns times sqrt(horizon)"
        ),
        calibrated_on: range(to.saturating_sub(CALIBRATION_DAYS), to),
        evaluated_on: range(evaluate_from, to),
        horizons,
    })
}

/// The models' cumulative log-return forecasts, one per horizon.
pub fn predict_all(models: &[Linear], window_closes: &[f64]) -> Vec<f64> {
    models
        .iter()
        .map(|model| crate::pipeline::predict_log_return(model, window_closes))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(origin: usize, actual: f64, predicted: f64) -> Point {
        Point {
            origin,
            horizon: 1,
            predicted,
            drift: 0.0,
            actual,
            volatility: 0.01,
        }
    }

    #[test]
    fn each_window_is_what_a_scan_of_every_point_selects_at_every_horizon() {
        for horizon in 1..=MAX_HORIZON {
            let points: Vec<Point> = (0..900)
                .map(|i| Point {
                    horizon,
                    ..point(1000 + i, ((i * 37) % 101) as f64 * 0.001, 0.05)
                })
                .collect();
            for origin in [
                900,
                1000,
                1001,
                1000 + horizon,
                1200,
                1365 + horizon,
                1899,
                1900,
                2400,
            ] {
                // The definition: made within CALIBRATION_DAYS, resolved before the origin.
                let mut expected: Vec<f64> = points
                    .iter()
                    .filter(|p| {
                        p.origin + CALIBRATION_DAYS >= origin && p.origin - 1 + p.horizon < origin
                    })
                    .map(|p| p.actual - p.predicted)
                    .collect();
                expected.sort_by(f64::total_cmp);
                assert_eq!(
                    trailing(&points, origin).1,
                    expected,
                    "horizon {horizon}, origin {origin}"
                );
            }
        }
    }

    #[test]
    fn intervals_are_calibrated_on_the_trailing_window_only() {
        // Residuals 0.001 * i around a prediction of 0.05, one origin a day.
        let points: Vec<Point> = (0..1000)
            .map(|i| point(1000 + i, (i % 101) as f64 * 0.001, 0.05))
            .collect();
        let (z, raw) = trailing(&points, 1500);
        // Origins 1135..=1499 (made within 365 days, resolved before 1500),
        // as a plain scan of every point selects them.
        let mut expected: Vec<f64> = points
            .iter()
            .filter(|p| (1135..1500).contains(&p.origin))
            .map(|p| p.actual - p.predicted)
            .collect();
        expected.sort_by(f64::total_cmp);
        assert_eq!(raw.len(), 365);
        assert_eq!(raw, expected);
        assert!(
            z.iter()
                .zip(&raw)
                .all(|(z, raw)| (z - raw / 0.01).abs() < 1e-9)
        );
        // Before any point resolves, and after every window has aged out.
        assert_eq!(trailing(&points, 1000).0.len(), 0);
        assert_eq!(trailing(&points, 5000).0.len(), 0);

        let evaluation: Vec<Point> = points[600..].to_vec();
        let calibrated = calibrate(&points, &evaluation, 2000);
        assert_eq!(calibrated.len(), LEVELS.len());
        for c in &calibrated {
            assert!(c.low_z < 0.0 && c.high_z > 0.0);
            // A stationary sample: coverage close to each level.
            assert!((c.coverage - c.level).abs() < 0.03, "{c:?}");
            assert!((c.unscaled_coverage - c.coverage).abs() < 1e-12);
        }
        let c = &calibrated[1];
        let (low, high) = btc_forecast::interval::interval(c, 0.0, 4, Some(0.01));
        assert!((low - 0.02 * c.low_z).abs() < 1e-12 && (high - 0.02 * c.high_z).abs() < 1e-12);
        let (low, high) = btc_forecast::interval::interval(c, 0.01, 4, None);
        assert!((low - (0.01 + c.low_log_return)).abs() < 1e-12);
        assert!((high - (0.01 + c.high_log_return)).abs() < 1e-12);
    }
}
