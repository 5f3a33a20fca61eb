//! Entities latency by text length, on the texts of `bench/entities/texts/`
//! (about 15, 30, 120, 230 and 420 spaCy tokens), and the cold-start load:
//!
//! - `entities_load_model_pack`: `TokenClassifier::load` of models/pii-en-rampart
//!   (read the tokenizer and ONNX file, optimise the tract plan);
//! - `entities_handler/<size>`: `POST /entities` through the real router and the
//!   shared layers (JSON in, pack selection, model, pattern recognizers,
//!   overlap resolution, masking, JSON out), model already loaded;
//! - `entities_model/<size>`: the token classifier alone (tokenize, windows,
//!   inference, decode);
//! - `entities_patterns/<size>`: the validated pattern recognizers alone;
//! - `entities_load_student/<pack>`, `entities_student/<pack>/<size>`: the
//!   NER students of training/ner (models/ner-en-*), loaded and run alone.
//!
//!     cargo bench -p entities --bench entities
//!
//! `scripts/bench-entities.sh` runs this next to spaCy `en_core_web_sm` on the
//! same texts and writes the comparison.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::{hint::black_box, path::PathBuf, time::Duration};

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use token_classifier::TokenClassifier;

#[path = "../examples/common/in_process.rs"]
mod in_process;

/// (name, text): the name is the approximate size in spaCy tokens.
const TEXTS: [(&str, &str); 5] = [
    ("015", include_str!("../../../bench/entities/texts/015.txt")),
    ("030", include_str!("../../../bench/entities/texts/030.txt")),
    ("120", include_str!("../../../bench/entities/texts/120.txt")),
    ("230", include_str!("../../../bench/entities/texts/230.txt")),
    ("420", include_str!("../../../bench/entities/texts/420.txt")),
];

/// The packs folder: `models/`, or `ENTITIES_BENCH_MODEL_DIR` to time another
/// build of the packs (e.g. an fp32 rewrite of the quantised model).
fn models() -> PathBuf {
    std::env::var_os("ENTITIES_BENCH_MODEL_DIR").map_or_else(
        || {
            // Read at run time when cargo sets it, so a binary built in another
            // checkout sharing the target directory reads this one's packs.
            std::env::var_os("CARGO_MANIFEST_DIR")
                .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
                .join("../../models")
        },
        PathBuf::from,
    )
}

fn pack() -> PathBuf {
    models().join("pii-en-rampart")
}

/// Each text as both sides read it: without the file's final newline.
fn texts() -> impl Iterator<Item = (&'static str, &'static str)> {
    TEXTS
        .iter()
        .map(|(name, text)| (*name, text.trim_end_matches('\n')))
}

fn benches(c: &mut Criterion) {
    assert!(
        pack().join("model.onnx").is_file(),
        "{}/model.onnx is missing: run python3 models/build_packs.py",
        pack().display()
    );

    // Calls of 0.1 to 0.5 s: flat sampling (the same number of calls in every
    // sample) keeps the whole run to a few minutes.
    let mut group = c.benchmark_group("entities_load_model_pack");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("pii-en-rampart", |b| {
        b.iter(|| TokenClassifier::load(black_box(&pack())).unwrap())
    });
    group.finish();

    let classifier = TokenClassifier::load(&pack()).unwrap();
    let mut group = c.benchmark_group("entities_model");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(12));
    for (name, text) in texts() {
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| classifier.classify(black_box(text)).unwrap())
        });
    }
    group.finish();
    drop(classifier);

    // The general-purpose NER students (training/ner), each alone: load, then
    // latency by text length; compared with spaCy en_core_web_sm in the cards.
    for student in ["ner-en-sm", "ner-en-lg"] {
        let dir = models().join(student);
        if !dir.join("model.onnx").is_file() {
            continue;
        }
        let mut group = c.benchmark_group("entities_load_student");
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(5));
        group.bench_function(student, |b| {
            b.iter(|| TokenClassifier::load(black_box(&dir)).unwrap())
        });
        group.finish();
        let classifier = TokenClassifier::load(&dir).unwrap();
        let mut group = c.benchmark_group("entities_student");
        group
            .sample_size(30)
            .measurement_time(Duration::from_secs(5));
        for (name, text) in texts() {
            group.bench_with_input(BenchmarkId::new(student, name), text, |b, text| {
                b.iter(|| classifier.classify(black_box(text)).unwrap())
            });
        }
        group.finish();
    }

    let mut group = c.benchmark_group("entities_patterns");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(4));
    for (name, text) in texts() {
        group.bench_with_input(BenchmarkId::from_parameter(name), text, |b, text| {
            b.iter(|| entities::analyze::pattern_findings(black_box(text), None))
        });
    }
    group.finish();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let catalog = entities::Catalog::discover(&models());
    assert!(!catalog.packs.is_empty(), "no model pack in models/");
    let app = in_process::app(catalog);
    let post = |body: String| in_process::post(&app, body);
    // The pack loads on the first request, as in a fresh container: not measured.
    runtime.block_on(post(serde_json::json!({ "text": "warm-up" }).to_string()));

    let mut group = c.benchmark_group("entities_handler");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(20)
        .measurement_time(Duration::from_secs(12));
    for (name, text) in texts() {
        let body = serde_json::json!({ "text": text }).to_string();
        group.bench_with_input(BenchmarkId::from_parameter(name), &body, |b, body| {
            b.iter(|| black_box(runtime.block_on(post(body.clone()))))
        });
    }
    group.finish();
}

criterion_group!(entities_benches, benches);
criterion_main!(entities_benches);
