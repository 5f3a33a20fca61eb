//! The Rust word splitter and feature hashing agree bit for bit with the
//! Python training pipeline (`training/ner/features.py`), on the sample that
//! `training/ner/features_sample.py` recorded: 3,000 words of held-out text
//! plus awkward ones, and texts with their word offsets.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;

use serde_json::Value;
use token_classifier::features::{self, Feature, FeatureTable};
use tokenizers::Tokenizer;

fn data_dir() -> PathBuf {
    // Read at run time: the target directory is shared with other checkouts.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .join("tests/data")
}

fn sample() -> Value {
    serde_json::from_slice(&std::fs::read(data_dir().join("hashed_features.json")).unwrap())
        .unwrap()
}

const FEATURES: [(Feature, &str); 4] = [
    (Feature::Norm, "norm"),
    (Feature::Prefix, "prefix"),
    (Feature::Suffix, "suffix"),
    (Feature::Shape, "shape"),
];

#[test]
fn hashed_features_match_python() {
    let sample = sample();
    let tables: Vec<FeatureTable> = FEATURES
        .iter()
        .map(|(feature, name)| FeatureTable {
            feature: *feature,
            rows: sample["tables"][name].as_u64().unwrap(),
        })
        .collect();
    let words = sample["words"].as_array().unwrap();
    assert!(words.len() > 3000);
    let mut mismatches = Vec::new();
    for entry in words {
        let word = entry["word"].as_str().unwrap();
        for (i, (feature, name)) in FEATURES.iter().enumerate() {
            let value = features::value(*feature, word);
            let row = features::row(&tables[i], word);
            if value != entry["values"][name].as_str().unwrap()
                || row != entry["rows"][i].as_u64().unwrap()
            {
                mismatches.push(format!("{word:?} {name}: rust {value:?} row {row}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn word_splits_match_python() {
    let tokenizer = Tokenizer::from_file(data_dir().join("word_tokenizer.json")).unwrap();
    for entry in sample()["texts"].as_array().unwrap() {
        let text = entry["text"].as_str().unwrap();
        let encoding = tokenizer.encode_char_offsets(text, false).unwrap();
        let ours: Vec<(u64, u64)> = encoding
            .get_offsets()
            .iter()
            .map(|(s, e)| (*s as u64, *e as u64))
            .collect();
        let python: Vec<(u64, u64)> = entry["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| (w[0].as_u64().unwrap(), w[1].as_u64().unwrap()))
            .collect();
        assert_eq!(ours, python, "{text:?}");
        // One token per word: the runtime treats each token as a word.
        let words: Vec<Option<u32>> = encoding.get_word_ids().to_vec();
        let expected: Vec<Option<u32>> = (0..ours.len() as u32).map(Some).collect();
        assert_eq!(words, expected, "{text:?}");
    }
}
