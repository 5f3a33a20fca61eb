//! For any text: every span is the text between its offsets (code points),
//! spans do not overlap, and masking keeps the length in code points.

#![allow(clippy::unwrap_used)] // a panic is the failure report

mod common;

use common::{assert_offsets, post};
use proptest::prelude::*;
use serde_json::json;

fn text_strategy() -> impl Strategy<Value = String> {
    // Mixes arbitrary characters with fragments that trigger recognizers.
    let fragment = prop_oneof![
        "\\PC{0,30}",
        Just("jane@example.com".to_owned()),
        Just("4111 1111 1111 1111".to_owned()),
        Just("(415) 555-2671".to_owned()),
        Just("Sarah Johnson".to_owned()),
        Just(" 😀 ".to_owned()),
        Just("e\u{301}".to_owned()),
        Just("GB82 WEST 1234 5698 7654 32".to_owned()),
    ];
    proptest::collection::vec(fragment, 1..8).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn spans_are_exact_disjoint_and_masking_keeps_length(text in text_strategy()) {
        prop_assume!(!text.is_empty());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (status, body) = runtime.block_on(post(json!({"text": text})));
        prop_assert_eq!(status, 200, "{}", body);
        assert_offsets(&text, &body);
        prop_assert_eq!(body["anonymized_text"].as_str().unwrap().chars().count(), text.chars().count());
    }
}
