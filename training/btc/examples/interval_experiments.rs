//! Interval calibration experiments (training/btc/EXPERIMENTS.md): which way of
//! sizing intervals holds its nominal coverage on days it never saw.
//!
//! Every variant uses the same rolling-origin forecasts of the bundled model's
//! hyper-parameters. Variants are chosen on the validation origins
//! (2022-2023) and only then read on the test origins (2024 onwards).
//!
//!     cargo run --release -p btc-training --example interval_experiments

#![allow(clippy::unwrap_used)] // a panic is the failure report

use btc_forecast::{BUNDLED_CSV, DailySeries, LEVELS};
use btc_training::{
    backtest::{Point, REFIT_EVERY, rolling},
    evaluate::quantile,
    pipeline::{self, MAX_HORIZON, TEST_FROM, VALIDATION_FROM},
};

#[derive(Clone, Copy, Debug)]
enum Scale {
    None,
    Window(usize),
    Ewma(f64),
}

#[derive(Clone, Copy, Debug)]
enum Calibration {
    /// The residuals of a fixed range before the scored one.
    Fixed,
    /// The residuals resolved in the last `days` before each origin.
    Trailing(usize),
}

fn scale(closes: &[f64], origin: usize, horizon: usize, how: Scale) -> f64 {
    let known = &closes[..origin];
    let returns: Vec<f64> = known.windows(2).map(|p| (p[1] / p[0]).ln()).collect();
    let sd = match how {
        Scale::None => return 1.0,
        Scale::Window(n) => {
            let r = &returns[returns.len() - n..];
            let mean = r.iter().sum::<f64>() / n as f64;
            (r.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
        }
        Scale::Ewma(lambda) => {
            // RiskMetrics: variance_t = lambda variance_{t-1} + (1 - lambda) r_t^2,
            // started on the 250 returns before.
            let r = &returns[returns.len() - 250..];
            let mut variance = r.iter().map(|x| x * x).sum::<f64>() / r.len() as f64;
            for x in r {
                variance = lambda * variance + (1.0 - lambda) * x * x;
            }
            variance.sqrt()
        }
    };
    sd.max(1e-4) * (horizon as f64).sqrt()
}

/// Coverage per level of `scored` points, calibrated as `calibration` says
/// from `all` (every back-tested point of the same horizon, in origin order).
fn coverage(
    closes: &[f64],
    all: &[Point],
    scored: &[Point],
    fixed: &[Point],
    how: Scale,
    calibration: Calibration,
) -> Vec<f64> {
    let z = |p: &Point| (p.actual - p.predicted) / scale(closes, p.origin, p.horizon, how);
    let fixed_z: Vec<f64> = fixed.iter().map(z).collect();
    let all_z: Vec<(usize, usize, f64)> = all
        .iter()
        .map(|p| (p.origin, p.origin - 1 + p.horizon, z(p)))
        .collect();
    LEVELS
        .iter()
        .map(|level| {
            let tail = (1.0 - level) / 2.0;
            let inside = scored
                .iter()
                .filter(|p| {
                    let sample: Vec<f64> = match calibration {
                        Calibration::Fixed => fixed_z.clone(),
                        Calibration::Trailing(days) => all_z
                            .iter()
                            .filter(|(origin, target, _)| {
                                *target < p.origin && *origin + days >= p.origin
                            })
                            .map(|(_, _, z)| *z)
                            .collect(),
                    };
                    let (low, high) = (quantile(&sample, tail), quantile(&sample, 1.0 - tail));
                    let v = z(p);
                    low <= v && v <= high
                })
                .count();
            inside as f64 / scored.len() as f64
        })
        .collect()
}

fn main() {
    let series = DailySeries::from_csv(BUNDLED_CSV).unwrap();
    let (hyper, _) = pipeline::select(&series).unwrap();
    let index = |d| series.index_of(d).unwrap();
    let (val_from, test_from) = (index(VALIDATION_FROM), index(TEST_FROM));
    // Forecasts from 2019: the trailing calibrations need two years of history.
    let early = index(time::macros::date!(2019 - 01 - 01));
    let pre_val = index(time::macros::date!(2020 - 01 - 01));
    let all = rolling(&series, &hyper, early, series.len(), REFIT_EVERY).unwrap();
    // Errors per horizon on the validation origins: where does the ridge beat
    // predicting no change before the test years are looked at?
    let validation = btc_training::backtest::run(&series, &hyper, val_from, test_from).unwrap();
    println!("| horizon | validation model / naive MAE | drift / naive |");
    println!("| --- | --- | --- |");
    for h in &validation.horizons {
        println!(
            "| {} | {:.4} | {:.4} |",
            h.horizon_days,
            h.model.mae_usd / h.naive.mae_usd,
            h.drift.mae_usd / h.naive.mae_usd
        );
    }
    if std::env::args().any(|a| a == "--errors-only") {
        return;
    }
    let closes = &series.closes;
    let variants: Vec<(Scale, Calibration)> = vec![
        (Scale::None, Calibration::Fixed),
        (Scale::Window(30), Calibration::Fixed),
        (Scale::Window(90), Calibration::Fixed),
        (Scale::Ewma(0.94), Calibration::Fixed),
        (Scale::None, Calibration::Trailing(365)),
        (Scale::Window(30), Calibration::Trailing(365)),
        (Scale::Window(30), Calibration::Trailing(730)),
        (Scale::Window(90), Calibration::Trailing(365)),
        (Scale::Ewma(0.94), Calibration::Trailing(365)),
        (Scale::Ewma(0.97), Calibration::Trailing(365)),
        (Scale::Ewma(0.97), Calibration::Trailing(730)),
    ];
    println!(
        "| scale | calibration | period | worst gap (points) | mean gap | coverage at 50/80/90/95 %, horizon 1 | horizon 7 |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (how, calibration) in variants {
        for (period, from, to, fixed_from, fixed_to) in [
            (
                "validation 2022-2023",
                val_from,
                test_from,
                pre_val,
                val_from,
            ),
            (
                "test 2024-2026",
                test_from,
                series.len(),
                val_from,
                test_from,
            ),
        ] {
            let mut worst: f64 = 0.0;
            let mut total = 0.0;
            let mut count = 0.0;
            let mut first = String::new();
            let mut last = String::new();
            for (h, points) in all.iter().enumerate() {
                // Scored: origin and target inside the period.
                let scored: Vec<Point> = points
                    .iter()
                    .filter(|p| p.origin >= from && p.origin - 1 + p.horizon < to)
                    .copied()
                    .collect();
                let fixed: Vec<Point> = points
                    .iter()
                    .filter(|p| p.origin >= fixed_from && p.origin - 1 + p.horizon < fixed_to)
                    .copied()
                    .collect();
                let c = coverage(closes, points, &scored, &fixed, how, calibration);
                for (got, level) in c.iter().zip(LEVELS) {
                    let gap = (got - level).abs() * 100.0;
                    worst = worst.max(gap);
                    total += gap;
                    count += 1.0;
                }
                let text = c
                    .iter()
                    .map(|v| format!("{:.1}", 100.0 * v))
                    .collect::<Vec<_>>()
                    .join(" / ");
                if h == 0 {
                    first = text;
                } else if h == MAX_HORIZON - 1 {
                    last = text;
                }
            }
            println!(
                "| {how:?} | {calibration:?} | {period} | {worst:.1} | {:.1} | {first} | {last} |",
                total / count
            );
        }
    }
}
