//! Measures personal-data quality on the synthetic labelled set
//! (`entities::synthetic`): the PII pack alone, and the whole service (every
//! pack of the default size, the pattern recognizers and the overlap rule).
//!
//!     cargo run -p entities --example pii_quality            # print the tables
//!     cargo run -p entities --example pii_quality -- --write # also record them
//!
//! `--write` stores the pack's figures in models/pii-en-rampart/config.json
//! (`quality`, served by GET /entities/models) and both tables in
//! models/pii-en-rampart/QUALITY.md. The test `recorded_pii_quality_is_current`
//! fails when the recorded figures no longer match a fresh measurement.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a tool: a panic is the failure report

use std::{path::PathBuf, sync::Arc};

use axum::body::Body;
use entities::synthetic::{self, Predicted, TypeScore};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use token_classifier::TokenClassifier;
use tower::ServiceExt;

const SEED: u64 = synthetic::RECORDED_SEED;
const CASES: usize = synthetic::RECORDED_CASES;

fn models() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../../models")
}

fn table(scores: &BTreeMap<String, TypeScore>) -> String {
    let mut out = String::from(
        "| type | gold spans | found (exact span and type) | precision | recall | F1 | redacted |\n|---|---|---|---|---|---|---|\n",
    );
    for (kind, s) in scores {
        if s.support == 0 {
            out.push_str(&format!(
                "| {kind} (no gold) | 0 | {} predicted | - | - | - | - |\n",
                s.predicted
            ));
            continue;
        }
        out.push_str(&format!(
            "| {kind} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            s.support,
            s.exact,
            s.precision(),
            s.recall(),
            s.f1(),
            s.redacted()
        ));
    }
    out
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let write = std::env::args().any(|a| a == "--write");
    let cases = synthetic::cases(SEED, CASES);
    let pack_dir = models().join("pii-en-rampart");
    let pack = TokenClassifier::load(&pack_dir).unwrap();
    let pack_alone = entities::synthetic::measure_pack(&pack, &cases).unwrap();

    let catalog = Arc::new(entities::Catalog::discover(&models()));
    let app = entities::router(catalog);
    let mut service = Vec::new();
    for case in &cases {
        let request = http::Request::post("/entities")
            .header("content-type", "application/json")
            .body(Body::from(json!({"text": case.text}).to_string()))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let body: Value =
            serde_json::from_slice(&response.into_body().collect().await.unwrap().to_bytes())
                .unwrap();
        service.push(
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
    let service = synthetic::score(&cases, &service);

    let report = format!(
        "# pii-en-rampart: measured quality\n\n\
         Written by `cargo run -p entities --example pii_quality -- --write`; checked by the test \
         `recorded_pii_quality_is_current`. The set: {CASES} synthetic sentences (seed {SEED}, \
         `functions/entities/src/synthetic.rs`) from {} templates with made-up names, addresses, \
         emails, phone numbers, cards, IBANs, SSNs, IPs and URLs at known offsets. Synthetic text is \
         easier than real text, and the names and templates are few: read these as a regression \
         baseline, not as accuracy on real data. \"redacted\": share of gold spans whose every \
         character some finding covers, whatever its type (what masking needs). Rows marked (no gold) \
         are types the set does not label, so their findings are not scored: the general NER pack's \
         DATE, TIME and GPE are mostly right (\"Friday\", \"3:30 pm\", a city it calls GPE where the \
         set says LOCATION), while TAX_ID and the like on order, room and version numbers are false \
         alarms.\n\n\
         ## The model pack alone\n\n{}\n\
         ## The service at the default size (model packs + validated patterns + overlap rule)\n\n{}",
        synthetic::TEMPLATE_COUNT,
        table(&pack_alone),
        table(&service),
    );
    println!("{report}");
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
        std::fs::write(pack_dir.join("QUALITY.md"), report).unwrap();
        println!("wrote {} and QUALITY.md", config_path.display());
    }
}
