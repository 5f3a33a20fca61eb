//! Loads the real personal-data pack (built by models/build_packs.py) and runs it.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::path::PathBuf;

use token_classifier::TokenClassifier;

#[test]
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
