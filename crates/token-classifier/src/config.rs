//! `config.json` of a model pack: what the model predicts and how to run it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::features::FeatureTable;

/// What the model reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PackInput {
    /// Sub-word ids from `tokenizer.json` between `[CLS]` and `[SEP]`
    /// (inputs `input_ids`, `attention_mask`, `token_type_ids`): transformers.
    #[default]
    SubwordIds,
    /// One token per word from `tokenizer.json`, each turned into one row per
    /// table (input `features`, `[1, S, tables]`): see [`crate::features`].
    HashedWords { tables: Vec<FeatureTable> },
}

/// How each word's label is chosen from the model's scores.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decoding {
    /// Each word's most likely label on its own.
    #[default]
    Greedy,
    /// The most likely sequence in which every `I-X` continues an `X`
    /// ([`crate::constrained`]).
    Constrained,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackConfig {
    pub name: String,
    pub version: String,
    /// Always `token-classification` for packs this crate loads.
    pub task: String,
    /// `ner` (general entities) or `pii` (personal data).
    pub role: String,
    pub language: String,
    /// `sm`, `lg`, ...: what a request's `model_size` selects.
    pub size: String,
    /// Output labels in logit order, e.g. `O`, `B-PERSON`, `I-PERSON`.
    pub labels: Vec<String>,
    /// Model label type -> API entity type (`GIVEN_NAME` -> `PERSON`). Types
    /// not listed keep their own name.
    #[serde(default)]
    pub entity_types: BTreeMap<String, String>,
    /// Longest input the model takes, special tokens included.
    pub max_tokens: usize,
    /// Tokens per window (special tokens excluded) for long texts.
    pub window_tokens: usize,
    /// Tokens shared by neighbouring windows, so no entity is cut.
    pub window_overlap_tokens: usize,
    /// Minimum probability of a token's label to count.
    pub threshold: f32,
    pub licence: String,
    pub source: String,
    /// What the model reads; sub-word ids when absent.
    #[serde(default)]
    pub input: PackInput,
    /// How labels are chosen; greedy when absent.
    #[serde(default, skip_serializing_if = "is_greedy")]
    pub decoding: Decoding,
    /// Measured quality, as the model card reports it.
    #[serde(default)]
    pub quality: serde_json::Value,
}

fn is_greedy(decoding: &Decoding) -> bool {
    *decoding == Decoding::Greedy
}

impl PackConfig {
    /// Checks what the runtime relies on, so a bad pack fails at load time.
    pub fn check(&self) -> Result<(), String> {
        if self.task != "token-classification" {
            return Err(format!("task is {}, not token-classification", self.task));
        }
        if self.labels.is_empty() {
            return Err("no labels".into());
        }
        if self.window_tokens == 0 || self.window_tokens + 2 > self.max_tokens {
            return Err(
                "window_tokens must be at least 1 and leave room for 2 special tokens".into(),
            );
        }
        if self.window_overlap_tokens * 2 >= self.window_tokens {
            return Err("window_overlap_tokens must be under half of window_tokens".into());
        }
        if let PackInput::HashedWords { tables } = &self.input
            && (tables.is_empty() || tables.iter().any(|t| t.rows == 0))
        {
            return Err("hashed-words input needs tables with at least one row each".into());
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err("threshold must be within 0..=1".into());
        }
        Ok(())
    }

    /// The API type of a model label type.
    pub fn api_type<'a>(&'a self, model_type: &'a str) -> &'a str {
        self.entity_types
            .get(model_type)
            .map_or(model_type, String::as_str)
    }
}
