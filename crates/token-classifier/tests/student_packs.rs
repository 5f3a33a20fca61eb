//! Every committed NER student pack (models/ner-*) loads in tract and
//! reproduces, on fixed sentences, the spans the training pipeline recorded
//! for it (`fixtures.json`, written by training/ner/export.py from the PyTorch
//! model). Checks the ONNX export, the hashed features and the span decoding
//! end to end.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;

use serde_json::Value;
use token_classifier::TokenClassifier;

fn repo_root() -> PathBuf {
    // Read at run time: the target directory is shared with other checkouts.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("../..")
}

fn json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn student_packs() -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = std::fs::read_dir(repo_root().join("models"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("fixtures.json").is_file())
        .collect();
    packs.sort();
    packs
}

#[test]
fn there_are_small_and_large_english_students() {
    let sizes: Vec<String> = student_packs()
        .iter()
        .map(|p| {
            json(&p.join("config.json"))["size"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(sizes.iter().any(|s| s == "sm"), "{sizes:?}");
    assert!(sizes.iter().any(|s| s == "lg"), "{sizes:?}");
}

#[test]
fn student_packs_match_the_pipeline() {
    let splitter =
        json(&repo_root().join("crates/token-classifier/tests/data/word_tokenizer.json"));
    for pack in student_packs() {
        assert_eq!(
            json(&pack.join("tokenizer.json")),
            splitter,
            "{}: not the shared word splitter",
            pack.display()
        );
        let classifier = TokenClassifier::load(&pack).unwrap();
        for case in json(&pack.join("fixtures.json")).as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            let found = classifier.classify(text).unwrap();
            let expected = case["entities"].as_array().unwrap();
            let describe = |start: usize, end: usize, kind: &str| {
                let piece: String = text.chars().skip(start).take(end - start).collect();
                format!("{kind} {start}..{end} {piece:?}")
            };
            let ours: Vec<String> = found
                .iter()
                .map(|s| describe(s.start, s.end, &s.entity_type))
                .collect();
            let theirs: Vec<String> = expected
                .iter()
                .map(|e| {
                    describe(
                        e["start"].as_u64().unwrap() as usize,
                        e["end"].as_u64().unwrap() as usize,
                        e["type"].as_str().unwrap(),
                    )
                })
                .collect();
            assert_eq!(ours, theirs, "{}: {text:?}", pack.display());
            for (span, e) in found.iter().zip(expected) {
                let score = e["score"].as_f64().unwrap() as f32;
                assert!(
                    (span.score - score).abs() < 1e-3,
                    "{}: {text:?}: score {} vs {score}",
                    pack.display(),
                    span.score
                );
            }
        }
    }
}
