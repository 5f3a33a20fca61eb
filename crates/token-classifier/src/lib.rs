//! Token-classification model packs: load once, classify texts of any length.
//!
//! A pack is a folder with `model.onnx` (inputs `input_ids`, `attention_mask`
//! and optionally `token_type_ids`, output logits `[1, S, labels]`; or, for
//! word-level packs, `features` `[1, S, tables]`, see [`features`]),
//! `tokenizer.json` and `config.json` ([`PackConfig`]). Offsets in the results
//! are Unicode code points, as Python and spaCy count them.

pub mod classifier;
pub mod config;
pub mod constrained;
pub mod decode;
pub mod dequantize;
pub mod features;

pub use classifier::{ClassifyError, PackError, TokenClassifier};
pub use config::{Decoding, PackConfig, PackInput};
pub use decode::Span;
