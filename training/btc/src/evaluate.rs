//! Scoring one-day-ahead forecasts on a stretch of the series (the back-test
//! scores every horizon: [`crate::backtest::score`]).

use btc_forecast::meta::Metrics;

/// Scores `predict` (window of closes -> predicted next log return) on the days
/// `from..to` of `closes`, each predicted from the `window` closes before it.
pub fn score<F>(closes: &[f64], window: usize, from: usize, to: usize, mut predict: F) -> Metrics
where
    F: FnMut(&[f64]) -> f64,
{
    let mut abs_err = 0.0;
    let mut pct_err = 0.0;
    let mut direction_hits = 0usize;
    let mut direction_calls = 0usize;
    let from = from.max(window);
    for t in from..to {
        let previous = closes[t - 1];
        let predicted_return = predict(&closes[t - window..t]);
        let predicted = previous * predicted_return.exp();
        let actual = closes[t];
        abs_err += (predicted - actual).abs();
        pct_err += ((predicted - actual) / actual).abs();
        let actual_move = actual - previous;
        if predicted_return != 0.0 && actual_move != 0.0 {
            direction_calls += 1;
            if (predicted_return > 0.0) == (actual_move > 0.0) {
                direction_hits += 1;
            }
        }
    }
    let days = to.saturating_sub(from);
    let n = days.max(1) as f64;
    Metrics {
        mae_usd: abs_err / n,
        mape_pct: 100.0 * pct_err / n,
        direction_accuracy: (direction_calls > 0)
            .then(|| direction_hits as f64 / direction_calls as f64),
        days,
    }
}

/// The `q` quantile (0..=1) of `values`, by linear interpolation.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    quantile_of_sorted(&sorted, q)
}

/// [`quantile`] of values already sorted ascending (no copy, no sort: the
/// back-test asks for many quantiles of each window).
pub fn quantile_of_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let position = q.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn naive_forecast_error_is_the_daily_move() {
        let closes = [100.0, 110.0, 99.0, 99.0];
        let m = score(&closes, 1, 1, 4, |_| 0.0);
        assert_eq!(m.days, 3);
        assert!((m.mae_usd - (10.0 + 11.0 + 0.0) / 3.0).abs() < 1e-12);
        assert_eq!(m.direction_accuracy, None);
    }

    #[test]
    fn quantiles_interpolate() {
        let v = [3.0, 1.0, 2.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 1.0), 5.0);
        assert!((quantile(&v, 0.1) - 1.4).abs() < 1e-12);
    }
}
