//! The interval around a forecast, from a horizon's calibrated quantiles.
//!
//! Training calibrates the quantiles (`training/btc/src/backtest.rs`); a
//! function serving the model sizes each interval with the same two functions,
//! so the coverage a back-test measured is the coverage of what is served.

use crate::meta::IntervalCalibration;

/// Daily log returns whose standard deviation scales the intervals.
pub const VOLATILITY_WINDOW: usize = 30;
/// Volatility below this is treated as this (a flat history would otherwise
/// give an interval of zero width).
pub const VOLATILITY_FLOOR: f64 = 1e-4;

/// The standard deviation of the last `VOLATILITY_WINDOW` daily log returns
/// of `closes` (oldest first), floored; `None` when `closes` is too short.
pub fn volatility(closes: &[f64]) -> Option<f64> {
    let n = closes.len();
    if n < VOLATILITY_WINDOW + 1 {
        return None;
    }
    let returns: Vec<f64> = closes[n - VOLATILITY_WINDOW - 1..]
        .windows(2)
        .map(|pair| (pair[1] / pair[0]).ln())
        .collect();
    let mean = returns.iter().sum::<f64>() / returns.len() as f64;
    let variance =
        returns.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (returns.len() - 1) as f64;
    let sd = variance.sqrt();
    sd.is_finite().then_some(sd.max(VOLATILITY_FLOOR))
}

/// The interval `[low, high]` (cumulative log return) around `predicted` at
/// `horizon` days, scaled by `volatility` when the history allowed measuring it.
pub fn interval(
    calibration: &IntervalCalibration,
    predicted: f64,
    horizon: usize,
    volatility: Option<f64>,
) -> (f64, f64) {
    match volatility {
        Some(volatility) => {
            let scale = volatility * (horizon as f64).sqrt();
            (
                predicted + scale * calibration.low_z,
                predicted + scale * calibration.high_z,
            )
        }
        None => (
            predicted + calibration.low_log_return,
            predicted + calibration.high_log_return,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volatility_needs_a_full_window_and_is_floored() {
        assert_eq!(volatility(&[100.0; VOLATILITY_WINDOW]), None);
        assert_eq!(
            volatility(&[100.0; VOLATILITY_WINDOW + 1]),
            Some(VOLATILITY_FLOOR)
        );
        // Alternating +-1 % moves: standard deviation about 0.01.
        let closes: Vec<f64> = (0..=VOLATILITY_WINDOW)
            .map(|i| if i % 2 == 0 { 100.0 } else { 101.0 })
            .collect();
        let sd = volatility(&closes).unwrap();
        assert!((sd - 0.01).abs() < 0.001, "{sd}");
    }

    #[test]
    fn the_interval_scales_with_volatility_and_the_square_root_of_the_horizon() {
        let calibration = IntervalCalibration {
            level: 0.9,
            low_z: -2.0,
            high_z: 1.0,
            coverage: 0.9,
            low_log_return: -0.05,
            high_log_return: 0.04,
            unscaled_coverage: 0.9,
        };
        assert_eq!(
            interval(&calibration, 0.01, 4, Some(0.1)),
            (0.01 - 0.4, 0.01 + 0.2)
        );
        assert_eq!(
            interval(&calibration, 0.01, 4, None),
            (0.01 - 0.05, 0.01 + 0.04)
        );
    }
}
