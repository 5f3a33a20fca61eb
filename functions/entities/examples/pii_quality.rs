//! Measures personal-data quality on the synthetic labelled set
//! (`pii_synthetic`): the personal-data transformer alone, and the
//! whole service at each model size (its packs, the pattern recognizers and
//! the overlap rule), with the share of ordinary characters it masks.
//!
//!     cargo run --release -p entities --example pii_quality            # print the tables
//!     cargo run --release -p entities --example pii_quality -- --write # also record them
//!     cargo run --release -p entities --example pii_quality -- --misses fast # list what a size misses
//!
//! `--write` stores the transformer's figures in
//! models/pii-en-rampart/config.json (`quality`, served by GET
//! /entities/models) and its table in models/pii-en-rampart/QUALITY.md, and
//! the service tables in functions/entities/QUALITY.md. The test
//! `recorded_pii_quality_is_current` fails when the pack's recorded figures no
//! longer match a fresh measurement.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a tool: a panic is the failure report

use std::{path::PathBuf, sync::Arc};

use axum::body::Body;
use http_body_util::BodyExt;
use pii_synthetic::{self as synthetic, Predicted};
use serde_json::{Value, json};
use token_classifier::TokenClassifier;
use tower::ServiceExt;

const SEED: u64 = synthetic::RECORDED_SEED;
const CASES: usize = synthetic::RECORDED_CASES;

fn models() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../../models")
}

/// The service's findings for every case at one size, through the router.
async fn service_findings(
    app: &axum::Router,
    cases: &[synthetic::Case],
    size: &str,
) -> Vec<Vec<Predicted>> {
    let mut found = Vec::new();
    for case in cases {
        let request = http::Request::post("/entities")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"text": case.text, "model_size": size}).to_string(),
            ))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let body: Value =
            serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes())
                .unwrap();
        found.push(
            body["entities"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| Predicted {
                    start: e["start"].as_u64().unwrap() as usize,
                    end: e["end"].as_u64().unwrap() as usize,
                    entity_type: e["type"].as_str().unwrap().to_owned(),
                })
                .collect(),
        );
    }
    found
}

/// The types the synthetic set labels: a finding of another type (DATE,
/// ORG...) is not personal data here.
fn personal_only(found: &[Vec<Predicted>], cases: &[synthetic::Case]) -> Vec<Vec<Predicted>> {
    let kinds: std::collections::BTreeSet<&str> = cases
        .iter()
        .flat_map(|c| c.gold.iter().map(|g| g.entity_type))
        .collect();
    found
        .iter()
        .map(|f| {
            f.iter()
                .filter(|p| kinds.contains(p.entity_type.as_str()))
                .cloned()
                .collect()
        })
        .collect()
}

/// Every gold span not found with its exact span and type, marked by whether
/// its non-space characters are all masked anyway, with the findings near it
/// (synthetic text only: this is how to see what a size gets wrong before
/// changing its model).
fn print_misses(cases: &[synthetic::Case], found: &[Vec<Predicted>]) {
    for (case, predicted) in cases.iter().zip(found) {
        // Offsets count code points, as the API's do.
        let chars: Vec<char> = case.text.chars().collect();
        let slice = |start: usize, end: usize| chars[start..end].iter().collect::<String>();
        for gold in &case.gold {
            let exact = predicted.iter().any(|p| {
                (p.start, p.end, p.entity_type.as_str()) == (gold.start, gold.end, gold.entity_type)
            });
            if exact {
                continue;
            }
            let masked = (gold.start..gold.end)
                .all(|i| chars[i] == ' ' || predicted.iter().any(|p| p.start <= i && i < p.end));
            let near: Vec<String> = predicted
                .iter()
                .filter(|p| p.start < gold.end + 2 && gold.start < p.end + 2)
                .map(|p| format!("{}={:?}", p.entity_type, slice(p.start, p.end)))
                .collect();
            println!(
                "{:<15} {:<8} {:?} in {:?}: {}",
                gold.entity_type,
                if masked { "masked" } else { "MISSED" },
                slice(gold.start, gold.end),
                case.text,
                near.join(", ")
            );
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let write = args.iter().any(|a| a == "--write");
    let misses = args
        .iter()
        .position(|a| a == "--misses")
        .and_then(|i| args.get(i + 1).cloned());
    let cases = synthetic::cases(SEED, CASES);
    if let Some(size) = misses {
        let catalog = Arc::new(entities::Catalog::discover(&models()));
        let app = entities::router(Arc::clone(&catalog), Arc::default());
        let found = service_findings(&app, &cases, &size).await;
        print_misses(&cases, &found);
        return;
    }
    let pack_dir = models().join("pii-en-rampart");
    let pack = TokenClassifier::load(&pack_dir).unwrap();
    let pack_alone = synthetic::measure_pack(&pack, &cases).unwrap();
    let pack_report = format!(
        "# pii-en-rampart: measured quality\n\n\
         Written by `cargo run --release -p entities --example pii_quality -- --write`; checked by \
         the test `recorded_pii_quality_is_current`. The set: {CASES} synthetic sentences (seed \
         {SEED}, `tools/pii-synthetic/src/lib.rs`) from {} templates with made-up names, \
         addresses, emails, phone numbers, cards, IBANs, SSNs, IPs and URLs at known offsets. \
         Synthetic text is easier than real text, and the names and templates are few: read these \
         as a regression baseline, not as accuracy on real data. \"redacted\": share of gold spans \
         whose every character some finding covers, whatever its type (what masking needs). Rows \
         marked (no gold) are types the set does not label. The service's figures at each size \
         (this pack serves at `lg`) are in functions/entities/QUALITY.md.\n\n\
         ## The model pack alone\n\n{}",
        synthetic::TEMPLATE_COUNT,
        synthetic::table(&pack_alone),
    );
    println!("{pack_report}");

    let catalog = Arc::new(entities::Catalog::discover(&models()));
    let sizes: Vec<String> = catalog
        .choices()
        .into_iter()
        // `fast` is another name for the default size: the same packs.
        .filter(|c| c.model_language == "en" && c.model_size != entities::catalog::FAST_SIZE)
        .map(|c| c.model_size)
        .collect();
    let app = entities::router(Arc::clone(&catalog), Arc::default());
    let mut service_report = format!(
        "# POST /entities: personal data on the synthetic set, per model size\n\n\
         Written by `cargo run --release -p entities --example pii_quality -- --write`. The set: \
         {CASES} synthetic sentences (seed {SEED}, `tools/pii-synthetic/src/lib.rs`, {} templates; never trained \
         on: the students' personal-data training text comes from training/ner/pii_text.py, other \
         templates and other value lists). Each size runs its model packs, the validated patterns \
         and the overlap rule, as a request with that `model_size` does. \"redacted\": share of \
         gold spans whose every character some finding covers, whatever its type. \"Ordinary \
         characters masked\": non-space characters outside every gold span that a finding covers \
         (with every type the service reports, and with only the set's personal-data types).\n",
        synthetic::TEMPLATE_COUNT,
    );
    for size in &sizes {
        let packs: Vec<String> = catalog
            .select(size, "en")
            .unwrap_or_default()
            .iter()
            .map(|p| p.config.name.clone())
            .collect();
        let found = service_findings(&app, &cases, size).await;
        let (masked, ordinary) = synthetic::ordinary_masked(&cases, &found);
        let (masked_pii, _) = synthetic::ordinary_masked(&cases, &personal_only(&found, &cases));
        service_report.push_str(&format!(
            "\n## `model_size: \"{size}\"` ({})\n\n{}\nOrdinary characters masked: {masked} of \
             {ordinary} ({:.2} %) with every type; {masked_pii} ({:.2} %) with the personal-data \
             types only.\n",
            packs.join(" + "),
            synthetic::table(&synthetic::score(&cases, &found)),
            100.0 * masked as f64 / ordinary.max(1) as f64,
            100.0 * masked_pii as f64 / ordinary.max(1) as f64,
        ));
    }
    println!("{service_report}");
    if write {
        let config_path = pack_dir.join("config.json");
        // Through the typed config, so the file keeps its field order.
        let mut config: token_classifier::PackConfig =
            serde_json::from_slice(&std::fs::read(&config_path).unwrap()).unwrap();
        config.quality = synthetic::quality_json(&pack_alone, SEED, CASES);
        std::fs::write(
            &config_path,
            serde_json::to_string_pretty(&config).unwrap() + "\n",
        )
        .unwrap();
        std::fs::write(pack_dir.join("QUALITY.md"), pack_report).unwrap();
        let service_path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("QUALITY.md");
        std::fs::write(&service_path, service_report).unwrap();
        println!(
            "wrote {}, its QUALITY.md and {}",
            config_path.display(),
            service_path.display()
        );
    }
}
