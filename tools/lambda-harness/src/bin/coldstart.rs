//! Cold starts of every function, and of the Python reference (FastAPI +
//! spaCy under awslambdaric + Mangum), each started fresh `--runs` times
//! through the same local runtime API and asked the same question.
//!
//! ```text
//! coldstart --bin-dir target/release --models models \
//!   --dynamodb-endpoint http://127.0.0.1:8000 --text-file bench/entities/texts/30.txt \
//!   [--reference-python .cache/venv-bench/bin/python --reference-dir bench/reference] \
//!   [--runs 10] [--only entities] [--out results.json]
//! ```
//!
//! Prints a table and writes every measured run as JSON.

use std::{collections::BTreeMap, path::PathBuf, process::ExitCode, time::Duration};

use lambda_harness::{ColdStart, Launch, cold_start, events};
use serde::Serialize;
use serde_json::{Value, json};

const TOKEN: &str = "coldstart-harness-token-0123456789";
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
struct Options {
    bin_dir: PathBuf,
    models: PathBuf,
    dynamodb_endpoint: String,
    text: String,
    reference_python: Option<PathBuf>,
    reference_dir: Option<PathBuf>,
    runs: usize,
    only: Vec<String>,
    out: Option<PathBuf>,
    /// Print what each function wrote in its last start (logs, metrics).
    verbose: bool,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        runs: 10,
        ..Options::default()
    };
    let mut text_file = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bin-dir" => options.bin_dir = value()?.into(),
            "--models" => options.models = value()?.into(),
            "--dynamodb-endpoint" => options.dynamodb_endpoint = value()?,
            "--text-file" => text_file = Some(PathBuf::from(value()?)),
            "--reference-python" => options.reference_python = Some(value()?.into()),
            "--reference-dir" => options.reference_dir = Some(value()?.into()),
            "--runs" => {
                options.runs = value()?
                    .parse()
                    .map_err(|_| "--runs takes a number".to_owned())?;
            }
            "--only" => options.only.push(value()?),
            "--out" => options.out = Some(value()?.into()),
            "--verbose" => options.verbose = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let text_file = text_file.ok_or("--text-file is required")?;
    options.text = std::fs::read_to_string(&text_file)
        .map_err(|e| format!("{}: {e}", text_file.display()))?
        .trim()
        .to_owned();
    if options.bin_dir.as_os_str().is_empty() || options.dynamodb_endpoint.is_empty() {
        return Err("--bin-dir and --dynamodb-endpoint are required".to_owned());
    }
    Ok(options)
}

/// One function (or the reference) and the question it is asked.
struct Case {
    name: &'static str,
    launch: Launch,
    event: Value,
    /// Sent once in an unmeasured start first (creates tables, seeds an item).
    setup: Option<(BTreeMap<String, String>, Vec<Value>)>,
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn cases(options: &Options) -> Vec<Case> {
    let bin = |name: &str| options.bin_dir.join(name);
    let models = options.models.display().to_string();
    let dynamo = options.dynamodb_endpoint.as_str();
    let json_body = [("content-type", "application/json")];
    let auth = format!("Bearer {TOKEN}");
    let entities_body = json!({ "text": options.text }).to_string();
    let mut cases = vec![
        Case {
            name: "health",
            launch: Launch {
                program: bin("health"),
                ..Launch::default()
            },
            event: events::http_request("GET", "/", &[], None),
            setup: None,
        },
        Case {
            name: "docs",
            launch: Launch {
                program: bin("docs"),
                ..Launch::default()
            },
            event: events::http_request("GET", "/openapi.json", &[], None),
            setup: None,
        },
        Case {
            name: "authorizer",
            launch: Launch {
                program: bin("authorizer"),
                env: env(&[("API_TOKEN", TOKEN)]),
                ..Launch::default()
            },
            event: events::authorizer_request(&auth),
            setup: None,
        },
        Case {
            name: "cafe",
            launch: Launch {
                program: bin("cafe"),
                env: env(&[
                    ("API_TOKEN", TOKEN),
                    ("CAFE_TABLE", "coldstart-cafe"),
                    ("DYNAMODB_ENDPOINT", dynamo),
                ]),
                ..Launch::default()
            },
            event: events::http_request("GET", "/items?limit=10", &[], None),
            setup: Some((
                env(&[("CAFE_CREATE_TABLE", "true")]),
                vec![events::http_request(
                    "POST",
                    "/items",
                    &[
                        ("content-type", "application/json"),
                        ("authorization", &auth),
                    ],
                    Some(r#"{"name":"Flat white","price":"3.20","category":"coffee"}"#),
                )],
            )),
        },
        Case {
            name: "predict",
            launch: Launch {
                program: bin("predict"),
                env: env(&[
                    ("MODEL_DIR", &models),
                    ("BTC_TABLE", "coldstart-btc"),
                    ("DYNAMODB_ENDPOINT", dynamo),
                ]),
                ..Launch::default()
            },
            event: events::http_request(
                "POST",
                "/predict",
                &json_body,
                Some(r#"{"closes":[91000.5,91800.25]}"#),
            ),
            setup: Some((env(&[("BTC_CREATE_TABLE", "true")]), vec![])),
        },
        Case {
            name: "entities",
            launch: Launch {
                program: bin("entities"),
                env: env(&[("MODEL_DIR", &models)]),
                ..Launch::default()
            },
            event: events::http_request("POST", "/entities", &json_body, Some(&entities_body)),
            setup: None,
        },
    ];
    if let (Some(python), Some(dir)) = (&options.reference_python, &options.reference_dir) {
        let reference = || Launch {
            program: python.clone(),
            args: vec![
                "-m".into(),
                "awslambdaric".into(),
                "lambda_app.handler".into(),
            ],
            env: env(&[
                ("LAMBDA_TASK_ROOT", &dir.display().to_string()),
                ("_HANDLER", "lambda_app.handler"),
                ("OMP_NUM_THREADS", "1"),
                ("OPENBLAS_NUM_THREADS", "1"),
            ]),
            current_dir: Some(dir.clone()),
        };
        cases.push(Case {
            name: "python-fastapi-spacy GET /",
            launch: reference(),
            event: events::http_request("GET", "/", &[], None),
            setup: None,
        });
        cases.push(Case {
            name: "python-fastapi-spacy POST /entities",
            launch: reference(),
            event: events::http_request("POST", "/entities", &json_body, Some(&entities_body)),
            setup: None,
        });
    }
    cases
        .into_iter()
        .filter(|case| {
            options.only.is_empty() || options.only.iter().any(|o| case.name.starts_with(o))
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct Summary {
    name: &'static str,
    runs: usize,
    http_status: Option<u16>,
    first_response_ms: Stats,
    init_ms: Stats,
    peak_rss_mib: Stats,
    first_response_runs_ms: Vec<f64>,
}

#[derive(Debug, Serialize)]
struct Stats {
    median: f64,
    p90: f64,
    min: f64,
    max: f64,
}

fn stats(values: &[f64]) -> Stats {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| {
        // Nearest rank: the value below which a share q of the runs fall.
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
        sorted.get(rank - 1).copied().unwrap_or(f64::NAN)
    };
    let median = if sorted.len().is_multiple_of(2) && !sorted.is_empty() {
        (sorted[sorted.len() / 2 - 1] + sorted[sorted.len() / 2]) / 2.0
    } else {
        at(0.5)
    };
    Stats {
        median,
        p90: at(0.9),
        min: sorted.first().copied().unwrap_or(f64::NAN),
        max: sorted.last().copied().unwrap_or(f64::NAN),
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn measure(case: &Case, runs: usize, verbose: bool) -> Result<Summary, String> {
    if let Some((extra, events)) = &case.setup {
        let mut launch = case.launch.clone();
        launch.env.extend(extra.clone());
        cold_start(case.name, &launch, &case.event, events, TIMEOUT)
            .await
            .map_err(|e| format!("{} setup: {e}", case.name))?;
    }
    let mut starts: Vec<ColdStart> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (start, _) = cold_start(case.name, &case.launch, &case.event, &[], TIMEOUT)
            .await
            .map_err(|e| format!("{}: {e}", case.name))?;
        let ok = !start.reply.is_error && start.reply.http_status().is_none_or(|s| s < 400);
        if !ok {
            return Err(format!(
                "{}: answered {:?} {}\nstderr: {}",
                case.name,
                start.reply.http_status(),
                String::from_utf8_lossy(&start.reply.body),
                start.stderr
            ));
        }
        starts.push(start);
    }
    if let (true, Some(last)) = (verbose, starts.last()) {
        eprintln!(
            "--- {} stdout\n{}--- {} stderr\n{}",
            case.name, last.stdout, case.name, last.stderr
        );
    }
    let first: Vec<f64> = starts.iter().map(|s| ms(s.first_response)).collect();
    let init: Vec<f64> = starts.iter().map(|s| ms(s.init)).collect();
    let rss: Vec<f64> = starts
        .iter()
        .filter_map(|s| s.peak_rss_kib)
        .map(|k| k as f64 / 1024.0)
        .collect();
    Ok(Summary {
        name: case.name,
        runs,
        http_status: starts.first().and_then(|s| s.reply.http_status()),
        first_response_ms: stats(&first),
        init_ms: stats(&init),
        peak_rss_mib: stats(&rss),
        first_response_runs_ms: first,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("coldstart: {message}");
            return ExitCode::from(2);
        }
    };
    let mut summaries = Vec::new();
    println!(
        "| function | runs | first response: median (p90, min-max) | init: median | peak RSS: median |"
    );
    println!("| --- | --- | --- | --- | --- |");
    for case in cases(&options) {
        match measure(&case, options.runs, options.verbose).await {
            Ok(s) => {
                println!(
                    "| {} | {} | {:.1} ms ({:.1}, {:.1}-{:.1}) | {:.1} ms | {:.1} MiB |",
                    s.name,
                    s.runs,
                    s.first_response_ms.median,
                    s.first_response_ms.p90,
                    s.first_response_ms.min,
                    s.first_response_ms.max,
                    s.init_ms.median,
                    s.peak_rss_mib.median
                );
                summaries.push(s);
            }
            Err(message) => {
                eprintln!("coldstart: {message}");
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(out) = &options.out {
        let written = serde_json::to_vec_pretty(&summaries)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(out, json));
        if let Err(e) = written {
            eprintln!("coldstart: {}: {e}", out.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
