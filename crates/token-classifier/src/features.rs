//! Hashed word features, for packs whose model reads words rather than
//! sub-word ids (the distilled NER students of `training/ner`).
//!
//! This is the Rust half of one definition; the Python half is
//! `training/ner/features.py`, and the test `hashed_features_match_python`
//! compares both on a sample the pipeline recorded. Per word:
//!
//! - `norm`: the word lowercased (Unicode full lowercase);
//! - `prefix`: its first character, as written;
//! - `suffix`: the last three characters of `norm`;
//! - `shape`: per character `X` upper, `x` lower, `d` ASCII digit, the character
//!   itself if other ASCII, `o` otherwise; runs longer than 4 cut to 4.
//!
//! Each value picks a row of its table: FNV-1a 64 of the UTF-8 of
//! `name + "\u{1f}" + value`, modulo the table's rows.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Feature {
    Norm,
    Prefix,
    Suffix,
    Shape,
}

impl Feature {
    fn name(self) -> &'static str {
        match self {
            Feature::Norm => "norm",
            Feature::Prefix => "prefix",
            Feature::Suffix => "suffix",
            Feature::Shape => "shape",
        }
    }
}

/// One embedding table of the model: which feature indexes it, and its size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureTable {
    pub feature: Feature,
    pub rows: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut value = FNV_OFFSET;
    for part in parts {
        for byte in *part {
            value = (value ^ u64::from(*byte)).wrapping_mul(FNV_PRIME);
        }
    }
    value
}

fn shape(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = '\0';
    let mut run = 0;
    for c in word.chars() {
        let kind = if c.is_uppercase() {
            'X'
        } else if c.is_lowercase() {
            'x'
        } else if c.is_ascii_digit() {
            'd'
        } else if c.is_ascii() {
            c
        } else {
            'o'
        };
        run = if kind == last { run + 1 } else { 1 };
        last = kind;
        if run <= 4 {
            out.push(kind);
        }
    }
    out
}

fn last_chars(text: &str, count: usize) -> &str {
    let start = text
        .char_indices()
        .rev()
        .nth(count.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    &text[start..]
}

/// The feature's value for a word, as the Python pipeline computes it.
pub fn value(feature: Feature, word: &str) -> String {
    match feature {
        Feature::Norm => word.to_lowercase(),
        Feature::Prefix => word.chars().next().map(String::from).unwrap_or_default(),
        Feature::Suffix => last_chars(&word.to_lowercase(), 3).to_owned(),
        Feature::Shape => shape(word),
    }
}

/// The row of `table` that `word` selects.
pub fn row(table: &FeatureTable, word: &str) -> u64 {
    let value = value(table.feature, word);
    fnv1a(&[table.feature.name().as_bytes(), b"\x1f", value.as_bytes()]) % table.rows.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_awkward_words() {
        assert_eq!(value(Feature::Shape, "U.S"), "X.X");
        assert_eq!(value(Feature::Shape, "1,000.50"), "d,ddd.dd");
        assert_eq!(value(Feature::Shape, "Washington"), "Xxxxx");
        assert_eq!(value(Feature::Shape, "e\u{301}cole"), "xoxxxx");
        assert_eq!(value(Feature::Norm, "ΣΟΦΟΣ"), "σοφος");
        assert_eq!(value(Feature::Suffix, "Héllo"), "llo");
        assert_eq!(value(Feature::Suffix, "é"), "é");
        assert_eq!(value(Feature::Prefix, "😀x"), "😀");
        assert_eq!(value(Feature::Prefix, ""), "");
    }

    #[test]
    fn fnv1a_reference_values() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a(&[b""]), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(&[b"a"]), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a(&[b"foobar"]), 0x8594_4171_f739_67e8);
    }
}
