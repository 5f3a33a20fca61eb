//! Loads the real personal-data pack (built by models/build_packs.py) and runs it.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;

use token_classifier::TokenClassifier;

#[test]
#[ignore = "integration: needs the pii-en-rampart pack (models/build_packs.py); run `cargo xtask test integration`"]
fn rampart_pack_loads_and_finds_a_self_disclosed_name() {
    // Read at run time, not compile time: a test binary built in another
    // checkout that shares the target directory must read this checkout's pack.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let dir = manifest_dir.join("../../models/pii-en-rampart");
    let classifier = match TokenClassifier::load(&dir) {
        Ok(classifier) => classifier,
        Err(err) => panic!("{err}\n(run python3 models/build_packs.py to fetch the pack)"),
    };
    let text = "Hello, my name is Sarah Johnson and my email is sarah@example.com.";
    let spans = classifier.classify(text).unwrap();
    let chars: Vec<char> = text.chars().collect();
    let found: Vec<(String, String)> = spans
        .iter()
        .map(|s| {
            (
                s.entity_type.clone(),
                chars[s.start..s.end].iter().collect(),
            )
        })
        .collect();
    assert!(
        found
            .iter()
            .any(|(k, t)| k == "PERSON" && t.contains("Sarah")),
        "{found:?}"
    );
    assert!(classifier.classify("").unwrap().is_empty());
}

/// Dequantising the 4-bit weights at load changes speed, not answers: the
/// same spans, scores within rounding, on texts with several entity kinds.
#[test]
#[ignore = "integration: needs the pii-en-rampart pack (models/build_packs.py); run `cargo xtask test integration`"]
fn dequantised_weights_give_the_answers_of_the_shipped_ones() {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    let dir = manifest_dir.join("../../models/pii-en-rampart");
    let fast = TokenClassifier::load(&dir).unwrap();
    let shipped = TokenClassifier::load_as_shipped(&dir).unwrap();
    for text in [
        "Hello, my name is Sarah Johnson and my email is sarah@example.com.",
        "Send the parcel to Maria Garcia, 42 Baker Street, London NW1 6XE, before Friday.",
        "Dr. Wei Zhang (born 12 March 1984) called +44 20 7946 0958 from Berlin.",
        "Nothing personal here: the weather was mild and the train was on time.",
    ] {
        let a = fast.classify(text).unwrap();
        let b = shipped.classify(text).unwrap();
        let key = |spans: &[token_classifier::decode::Span]| {
            spans
                .iter()
                .map(|s| (s.start, s.end, s.entity_type.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b), "{text}");
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x.score - y.score).abs() < 1e-3,
                "{text}: {} vs {}",
                x.score,
                y.score
            );
        }
    }
}
