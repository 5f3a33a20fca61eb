//! Trains the bundled Bitcoin model and writes the pack to `models/btc/`:
//! `model.onnx`, `config.json` and `MODEL_CARD.md`. Deterministic: the same data
//! gives the same bytes.
//!
//!     cargo run --release -p btc-training --bin btc-train [-- OUT_DIR]

use std::{fmt::Write as _, path::PathBuf, process::ExitCode};

use btc_forecast::{
    BUNDLED_CSV, DailySeries, LEVELS, ModelMeta,
    meta::{Backtest, Metrics},
    series::format_date,
};
use btc_training::{
    backtest,
    pipeline::{self, Candidate},
};

fn main() -> ExitCode {
    let out = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../models/btc"));
    let series = match DailySeries::from_csv(BUNDLED_CSV) {
        Ok(series) => series,
        Err(err) => {
            eprintln!("bundled data: {err}");
            return ExitCode::FAILURE;
        }
    };
    let started = std::time::Instant::now();
    let Some((trained, table)) = pipeline::train_bundled(&series) else {
        eprintln!("no candidate could be fitted");
        return ExitCode::FAILURE;
    };
    let elapsed = started.elapsed();
    let meta = &trained.meta;
    let config = serde_json::to_string_pretty(meta).unwrap_or_default() + "\n";
    let validation = series
        .index_of(pipeline::VALIDATION_FROM)
        .zip(series.index_of(pipeline::TEST_FROM))
        .and_then(|(from, to)| backtest::run(&series, &meta.hyper, from, to));
    let Some(validation) = validation else {
        eprintln!("the validation back-test could not be run");
        return ExitCode::FAILURE;
    };
    let card = model_card(meta, &table, &series, &validation);
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("model.onnx"), &trained.onnx))
        .and_then(|()| std::fs::write(out.join("config.json"), config))
        .and_then(|()| std::fs::write(out.join("MODEL_CARD.md"), card));
    if let Err(err) = written {
        eprintln!("writing {}: {err}", out.display());
        return ExitCode::FAILURE;
    }
    println!(
        "model {} (window {}, lambda {}, from {}): held-out MAE {:.2} USD vs naive {:.2} ({:.4}x); {} candidates and a {}-horizon back-test in {:.0?}; wrote {}",
        meta.version,
        meta.window,
        meta.hyper.lambda,
        format_date(meta.hyper.train_start),
        meta.metrics.mae_usd,
        meta.baselines.naive.mae_usd,
        meta.metrics.mae_usd / meta.baselines.naive.mae_usd,
        table.len(),
        meta.max_horizon_days,
        elapsed,
        out.display()
    );
    ExitCode::SUCCESS
}

fn row(name: &str, m: &Metrics, naive: &Metrics) -> String {
    let direction = m
        .direction_accuracy
        .map_or("n/a (never predicts a move)".to_owned(), |d| {
            format!("{:.1} %", 100.0 * d)
        });
    format!(
        "| {name} | {:.2} | {:.4} | {:.3} % | {direction} |\n",
        m.mae_usd,
        m.mae_usd / naive.mae_usd,
        m.mape_pct
    )
}

/// The back-test tables: errors per horizon (with the same back-test on the
/// validation years beside them), then interval coverage.
fn backtest_tables(meta: &ModelMeta, validation: &Backtest) -> String {
    let b = &meta.backtest;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| horizon (days) | forecasts | model MAE (USD) | naive MAE | drift MAE | model / naive | drift / naive | model direction | validation {}..{}: model / naive |",
        format_date(validation.evaluated_on.from),
        format_date(validation.evaluated_on.to)
    );
    let _ = writeln!(
        out,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    );
    for (h, v) in b.horizons.iter().zip(&validation.horizons) {
        let direction = h
            .model
            .direction_accuracy
            .map_or("n/a".to_owned(), |d| format!("{:.1} %", 100.0 * d));
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.4} | {:.4} | {direction} | {:.4} |",
            h.horizon_days,
            h.model.days,
            h.model.mae_usd,
            h.naive.mae_usd,
            h.drift.mae_usd,
            h.model.mae_usd / h.naive.mae_usd,
            h.drift.mae_usd / h.naive.mae_usd,
            v.model.mae_usd / v.naive.mae_usd,
        );
    }
    let levels = LEVELS;
    let _ = write!(
        out,
        "\nInterval coverage on the evaluation range (nominal level: observed share of outcomes inside; scaled by the volatility of the last {} daily returns, as served when a request sends at least {} closes / unscaled, as served for shorter histories):\n\n| horizon (days) |",
        b.volatility_window,
        b.volatility_window + 1
    );
    for level in levels {
        let _ = write!(out, " {:.0} % |", 100.0 * level);
    }
    let _ = write!(out, " worst gap (scaled) |\n| --- |");
    for _ in levels {
        let _ = write!(out, " --- |");
    }
    let _ = writeln!(out, " --- |");
    for h in &b.horizons {
        let _ = write!(out, "| {} |", h.horizon_days);
        let mut worst: f64 = 0.0;
        for i in &h.intervals {
            worst = worst.max((i.coverage - i.level).abs());
            let _ = write!(
                out,
                " {:.1} / {:.1} |",
                100.0 * i.coverage,
                100.0 * i.unscaled_coverage
            );
        }
        let _ = writeln!(out, " {:.1} points |", 100.0 * worst);
    }
    out
}

/// What the back-test says, in words: where the model beats the naive
/// forecast and whether the intervals hold their levels.
fn backtest_verdict(meta: &ModelMeta, validation: &Backtest) -> String {
    let horizons = &meta.backtest.horizons;
    let better: Vec<String> = horizons
        .iter()
        .filter(|h| h.model.mae_usd < h.naive.mae_usd)
        .map(|h| h.horizon_days.to_string())
        .collect();
    let worst = horizons
        .iter()
        .flat_map(|h| h.intervals.iter().map(move |i| (h.horizon_days, i)))
        .max_by(|a, b| {
            (a.1.coverage - a.1.level)
                .abs()
                .total_cmp(&(b.1.coverage - b.1.level).abs())
        });
    let errors = if better.is_empty() {
        "The model is no better than the naive forecast at any horizon.".to_owned()
    } else if better.len() == horizons.len() {
        let best = horizons
            .iter()
            .map(|h| h.model.mae_usd / h.naive.mae_usd)
            .fold(f64::INFINITY, f64::min);
        format!(
            "The model's error is below the naive forecast's at every horizon, by at most {:.1} %: a small edge.",
            100.0 * (1.0 - best)
        )
    } else {
        format!(
            "The model's error is below the naive forecast's only at horizon(s) {} (days); elsewhere predicting no change is as good or better.",
            better.join(", ")
        )
    };
    let coverage = match worst {
        Some((h, i)) => format!(
            " The served (scaled) intervals' largest miss is {:.1} points, at {:.0} % and {h} day(s): observed {:.1} %.",
            100.0 * (i.coverage - i.level).abs(),
            100.0 * i.level,
            100.0 * i.coverage
        ),
        None => String::new(),
    };
    let validation_better = validation
        .horizons
        .iter()
        .filter(|h| h.model.mae_usd < h.naive.mae_usd)
        .count();
    let robustness = if validation_better < validation.horizons.len() {
        format!(
            " The edge is not robust: the same back-test on the validation years beats the naive forecast at {validation_better} of {} horizons.",
            validation.horizons.len()
        )
    } else {
        String::new()
    };
    errors + &robustness + &coverage
}

fn model_card(
    meta: &ModelMeta,
    table: &[Candidate],
    series: &DailySeries,
    validation: &Backtest,
) -> String {
    let naive = &meta.baselines.naive;
    let ratio = meta.metrics.mae_usd / naive.mae_usd;
    let verdict = if ratio < 0.99 {
        format!(
            "{:.1} % lower than the naive forecast's",
            100.0 * (1.0 - ratio)
        )
    } else if ratio <= 1.0 {
        format!(
            "only {:.2} % lower than the naive forecast's: no practical improvement",
            100.0 * (1.0 - ratio)
        )
    } else {
        format!(
            "{:.2} % higher than the naive forecast's: worse than predicting no change",
            100.0 * (ratio - 1.0)
        )
    };
    let mut best: Vec<&Candidate> = table.iter().collect();
    best.sort_by(|a, b| a.validation_mae_usd.total_cmp(&b.validation_mae_usd));
    let mut top = String::new();
    for c in best.iter().take(5) {
        let _ = writeln!(
            top,
            "| {} | {} | {} | {:.2} |",
            c.hyper.window,
            c.hyper.lambda,
            format_date(c.hyper.train_start),
            c.validation_mae_usd
        );
    }
    format!(
        r#"# BTC/USD forecasts 1 to {horizons} days ahead (`btc`)

Written by `cargo run --release -p btc-training --bin btc-train`; every number below
comes from that program's run on the bundled data. Do not edit by hand.

| | |
| --- | --- |
| version | `{version}` |
| task | log return of the BTC/USD daily close 1 to {horizons} days ahead, one model per horizon (direct forecasts) |
| input | the last {window} daily closes, oldest first (`closes`, double[1, {window}]); `/predict` takes any longer history and uses its most recent closes |
| features | {features} |
| model | {horizons} ridge regressions, lambda {lambda} on standardised features, intercept unpenalised |
| fitted on | {fit_from} to {fit_to} |
| evaluated on | {eval_from} to {eval_to} ({days} days, never seen by selection or fit) |
| ONNX | opset 17, float64, operators Log, Slice, Sub, MatMul, Add, Exp, Mul; outputs `log_returns` and `forecast_closes`, double[1, {horizons}]; sha256 `{onnx_sha}` |
| data | `crates/btc-forecast/data/btc_usd_daily_close.csv`, {rows} rows {data_from} to {data_to}, from the crates.io package `btctax-adapters` 0.18.0 (MIT OR Unlicense); sha256 of the series `{data_sha}` |

## Held-out results, one day ahead (the served coefficients)

| forecaster | MAE (USD) | MAE / naive | MAPE | direction accuracy |
| --- | --- | --- | --- | --- |
{model_row}{naive_row}{drift_row}
The model's error is {verdict}.

**Read this before relying on it.** The bundled prices behave like daily
snapshots or averages rather than exchange closes: consecutive daily log returns
are positively autocorrelated, which a linear model on recent returns exploits.
On true closing prices, where returns are close to unpredictable, the same model
would be expected to do no better than the naive forecast. This is a demonstration
of serving a reproducible model, not investment advice.

## Rolling-origin back-test, every horizon

{method}, on the days {bt_from}..{bt_to}. Intervals: {calibration}
(conformal on a trailing window: each back-tested interval was calibrated only
on outcomes known before its origin, so the coverage below is out of sample;
the served quantiles are those of the forecasts resolved {cal_from}..{cal_to}).
Dividing by recent volatility widens intervals in turbulent months; the
variants this was chosen from, on 2022-2023 before these years were read, are
in `training/btc/EXPERIMENTS.md`.

{backtest}
{bt_verdict}

## Selection

Window (closes), lambda and first training day were chosen on the validation
range 2022-01-01..2023-12-31 (fit on data before it) among {candidates}
candidates; the five best:

| window | lambda | train from | validation MAE (USD) |
| --- | --- | --- | --- |
{top}
Re-fits through `POST /train` keep these hyper-parameters, are judged (one day
ahead) on the last 365 days against the current model, and are published only if
no worse; every horizon and interval is back-tested the same way on those 365
days, and the served quantiles come from them.
"#,
        version = meta.version,
        window = meta.window,
        features = meta.features,
        lambda = meta.hyper.lambda,
        fit_from = format_date(meta.fitted_on.from),
        fit_to = format_date(meta.fitted_on.to),
        eval_from = format_date(meta.evaluated_on.from),
        eval_to = format_date(meta.evaluated_on.to),
        days = meta.metrics.days,
        onnx_sha = meta.onnx_sha256,
        rows = series.len(),
        data_from = format_date(series.start),
        data_to = format_date(series.end()),
        data_sha = meta.data_sha256,
        model_row = row("ridge (this model)", &meta.metrics, naive),
        naive_row = row("naive: tomorrow = today", naive, naive),
        drift_row = row("drift: mean daily return", &meta.baselines.drift, naive),
        horizons = meta.max_horizon_days,
        method = meta.backtest.method,
        cal_from = format_date(meta.backtest.calibrated_on.from),
        cal_to = format_date(meta.backtest.calibrated_on.to),
        bt_from = format_date(meta.backtest.evaluated_on.from),
        bt_to = format_date(meta.backtest.evaluated_on.to),
        calibration = meta.backtest.calibration,
        backtest = backtest_tables(meta, validation),
        bt_verdict = backtest_verdict(meta, validation),
        candidates = table.len(),
    )
}

/// This package's folder. Read when the program runs (cargo sets it for `cargo
/// run`, `cargo test` and `cargo bench`), so an artifact built in another
/// checkout sharing the target directory still finds this checkout's files.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
