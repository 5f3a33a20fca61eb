//! Trains the bundled Bitcoin model and writes the pack to `models/btc/`:
//! `model.onnx`, `config.json` and `MODEL_CARD.md`. Deterministic: the same data
//! gives the same bytes.
//!
//!     cargo run --release -p btc-model --bin btc-train [-- OUT_DIR]

use std::{fmt::Write as _, path::PathBuf, process::ExitCode};

use btc_model::{
    BUNDLED_CSV, DailySeries,
    evaluate::Metrics,
    pipeline::{self, Candidate, ModelMeta},
    series::format_date,
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
    let card = model_card(meta, &table, &series);
    let written = std::fs::create_dir_all(&out)
        .and_then(|()| std::fs::write(out.join("model.onnx"), &trained.onnx))
        .and_then(|()| std::fs::write(out.join("config.json"), config))
        .and_then(|()| std::fs::write(out.join("MODEL_CARD.md"), card));
    if let Err(err) = written {
        eprintln!("writing {}: {err}", out.display());
        return ExitCode::FAILURE;
    }
    println!(
        "model {} (window {}, lambda {}, from {}): held-out MAE {:.2} USD vs naive {:.2} ({:.4}x); {} candidates in {:.0?}; wrote {}",
        meta.version,
        meta.window,
        meta.hyper.lambda,
        format_date(meta.hyper.train_start),
        meta.metrics.mae_usd,
        meta.baselines.naive.mae_usd,
        meta.metrics.mae_usd / meta.baselines.naive.mae_usd,
        table.len(),
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

fn model_card(meta: &ModelMeta, table: &[Candidate], series: &DailySeries) -> String {
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
        r#"# BTC/USD next-day model (`btc`)

Written by `cargo run --release -p btc-model --bin btc-train`; every number below
comes from that program's run on the bundled data. Do not edit by hand.

| | |
| --- | --- |
| version | `{version}` |
| task | next-day log return of the BTC/USD daily close, one step ahead |
| input | the last {window} daily closes, oldest first (`closes`, double[1, {window}]) |
| features | {features} |
| model | ridge regression, lambda {lambda} on standardised features, intercept unpenalised |
| fitted on | {fit_from} to {fit_to} |
| evaluated on | {eval_from} to {eval_to} ({days} days, never seen by selection or fit) |
| ONNX | opset 17, float64, operators Log, Slice, Sub, MatMul, Add, Exp, Mul; sha256 `{onnx_sha}` |
| data | `training/btc/data/btc_usd_daily_close.csv`, {rows} rows {data_from} to {data_to}, from the crates.io package `btctax-adapters` 0.18.0 (MIT OR Unlicense); sha256 of the series `{data_sha}` |

## Held-out results

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

Prediction interval: the {coverage:.0} % central range of held-out residual log
returns, {low:+.5} to {high:+.5}; `/predict` applies it to each forecast.

## Selection

Window (closes), lambda and first training day were chosen on the validation
range 2022-01-01..2023-12-31 (fit on data before it) among {candidates}
candidates; the five best:

| window | lambda | train from | validation MAE (USD) |
| --- | --- | --- | --- |
{top}
Re-fits through `POST /train` keep these hyper-parameters, are judged on the last
365 days against the current model, and are published only if no worse.
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
        coverage = 100.0 * meta.interval.coverage,
        low = meta.interval.low_log_return,
        high = meta.interval.high_log_return,
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
