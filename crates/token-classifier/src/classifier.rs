//! Running a token-classification pack: tokenizer and ONNX model, loaded and
//! optimised once, then any number of texts of any length.

use std::{path::Path, sync::Arc};

use tokenizers::Tokenizer;
use tract_onnx::prelude::*;

use crate::{
    config::{Decoding, PackConfig, PackInput},
    constrained::{self, Transitions},
    decode::{self, Span, TokenPrediction},
    features,
};

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("invalid pack: {0}")]
    Invalid(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
    #[error("model failed: {0}")]
    Model(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Ids,
    Mask,
    TypeIds,
    /// Hashed word features `[1, S, tables]` (word-level packs).
    Features,
}

pub struct TokenClassifier {
    config: PackConfig,
    tokenizer: Tokenizer,
    plan: Arc<TypedRunnableModel>,
    inputs: Vec<Input>,
    /// `[CLS]` and `[SEP]` ids around each window; `None` for word-level packs.
    special: Option<(u32, u32)>,
    model_bytes: u64,
    /// Label transitions for `decoding: constrained`; `None` when greedy.
    transitions: Option<Transitions>,
}

impl std::fmt::Debug for TokenClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenClassifier")
            .field("name", &self.config.name)
            .field("version", &self.config.version)
            .finish_non_exhaustive()
    }
}

fn unreadable(path: &Path, reason: impl std::fmt::Display) -> PackError {
    PackError::Unreadable {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

impl TokenClassifier {
    /// Loads `dir/config.json`, `dir/tokenizer.json` and `dir/model.onnx`, and
    /// optimises the model for any sequence length. Slow (tens to hundreds of
    /// milliseconds): do it once per container, off the async executor.
    /// 4-bit weights are dequantised to fp32 once here (see
    /// [`crate::dequantize`]), which makes inference 3-4x faster.
    pub fn load(dir: &Path) -> Result<Self, PackError> {
        Self::load_with(dir, true)
    }

    /// Loads the pack with its weights exactly as shipped (for comparisons).
    pub fn load_as_shipped(dir: &Path) -> Result<Self, PackError> {
        Self::load_with(dir, false)
    }

    fn load_with(dir: &Path, dequantize: bool) -> Result<Self, PackError> {
        let config_path = dir.join("config.json");
        let config: PackConfig = std::fs::read(&config_path)
            .map_err(|e| unreadable(&config_path, e))
            .and_then(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| unreadable(&config_path, e))
            })?;
        config.check().map_err(PackError::Invalid)?;

        let tokenizer_path = dir.join("tokenizer.json");
        let tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| unreadable(&tokenizer_path, e))?;
        let feature_count = match &config.input {
            PackInput::SubwordIds => None,
            PackInput::HashedWords { tables } => Some(tables.len()),
        };
        let special = if feature_count.is_some() {
            None
        } else {
            let find = |names: &[&str]| names.iter().find_map(|name| tokenizer.token_to_id(name));
            let cls = find(&["[CLS]", "<s>"])
                .ok_or_else(|| PackError::Invalid("tokenizer has no [CLS]".into()))?;
            let sep = find(&["[SEP]", "</s>"])
                .ok_or_else(|| PackError::Invalid("tokenizer has no [SEP]".into()))?;
            Some((cls, sep))
        };

        let model_path = dir.join("model.onnx");
        let model_bytes = std::fs::metadata(&model_path)
            .map_err(|e| unreadable(&model_path, e))?
            .len();
        let tract_err = |e: TractError| unreadable(&model_path, format!("{e:#}"));
        let onnx = tract_onnx::onnx()
            .with_ignore_output_shapes(true)
            .with_ignore_value_info(true);
        let mut proto = onnx.proto_model_for_path(&model_path).map_err(tract_err)?;
        if dequantize && let Some(graph) = proto.graph.as_mut() {
            crate::dequantize::dequantize_matmul_nbits(graph);
        }
        let mut model = onnx.model_for_proto_model(&proto).map_err(tract_err)?;
        let mut inputs = Vec::new();
        for (index, outlet) in model
            .input_outlets()
            .map_err(tract_err)?
            .to_vec()
            .into_iter()
            .enumerate()
        {
            let name = model.node(outlet.node).name.clone();
            let input = match (name.as_str(), feature_count) {
                ("input_ids", None) => Input::Ids,
                ("attention_mask", None) => Input::Mask,
                ("token_type_ids", None) => Input::TypeIds,
                ("features", Some(_)) => Input::Features,
                (other, _) => {
                    return Err(PackError::Invalid(format!(
                        "unexpected model input {other} for this pack's input kind"
                    )));
                }
            };
            inputs.push(input);
            let sequence = TDim::from(model.symbols.sym("S"));
            let fact = match feature_count {
                Some(count) => InferenceFact::dt_shape(
                    i64::datum_type(),
                    [TDim::from(1), sequence, TDim::from(count)],
                ),
                None => InferenceFact::dt_shape(i64::datum_type(), [TDim::from(1), sequence]),
            };
            model.set_input_fact(index, fact).map_err(tract_err)?;
        }
        let required = if feature_count.is_some() {
            Input::Features
        } else {
            Input::Ids
        };
        if !inputs.contains(&required) {
            return Err(PackError::Invalid(format!(
                "the model has no {required:?} input"
            )));
        }
        let plan = model
            .into_optimized()
            .map_err(tract_err)?
            .into_runnable()
            .map_err(tract_err)?;
        let transitions =
            (config.decoding == Decoding::Constrained).then(|| Transitions::new(&config.labels));
        Ok(Self {
            config,
            tokenizer,
            plan,
            inputs,
            special,
            model_bytes,
            transitions,
        })
    }

    pub fn config(&self) -> &PackConfig {
        &self.config
    }

    pub fn model_bytes(&self) -> u64 {
        self.model_bytes
    }

    /// Finds the entities of `text`; offsets are code points. CPU-bound and
    /// linear in the text's length: call it from a blocking thread.
    pub fn classify(&self, text: &str) -> Result<Vec<Span>, ClassifyError> {
        self.classify_counting_tokens(text).map(|(spans, _)| spans)
    }

    /// As [`TokenClassifier::classify`], with the number of tokens the model
    /// read (what a request's `usage` reports).
    pub fn classify_counting_tokens(
        &self,
        text: &str,
    ) -> Result<(Vec<Span>, usize), ClassifyError> {
        let encoding = self
            .tokenizer
            .encode_char_offsets(text, false)
            .map_err(|e| ClassifyError::Tokenizer(e.to_string()))?;
        let ids = encoding.get_ids();
        if ids.is_empty() {
            return Ok((Vec::new(), 0));
        }
        let offsets = encoding.get_offsets();
        let words: Vec<u32> = encoding
            .get_word_ids()
            .iter()
            .enumerate()
            .map(|(i, word)| word.unwrap_or(u32::MAX - i as u32))
            .collect();
        let chars: Vec<char> = text.chars().collect();
        let (rows, tables) = self.feature_rows(&chars, offsets);
        let mut spans = Vec::new();
        for (from, to) in plan_windows(
            &words,
            self.config.window_tokens,
            self.config.window_overlap_tokens,
        ) {
            let window = Window {
                ids: &ids[from..to],
                rows: rows.get(from * tables..to * tables).unwrap_or_default(),
                tables,
                offsets: &offsets[from..to],
                words: &words[from..to],
            };
            let predictions = self.predict_window(&window)?;
            spans.extend(decode::decode(&chars, &predictions, &self.config));
        }
        Ok((decode::merge_windows(spans), ids.len()))
    }

    /// Each token's feature rows, token after token (`tokens x tables`,
    /// row-major, as the model's `features` input lays them out), and the
    /// number of tables; empty and 0 for sub-word packs.
    fn feature_rows(&self, chars: &[char], offsets: &[(usize, usize)]) -> (Vec<i64>, usize) {
        let PackInput::HashedWords { tables } = &self.config.input else {
            return (Vec::new(), 0);
        };
        let mut rows = Vec::with_capacity(offsets.len() * tables.len());
        for (start, end) in offsets {
            let word: String = chars
                .get(*start..*end)
                .map(|c| c.iter().collect())
                .unwrap_or_default();
            // Rows are below the table size, which the model's own embedding
            // tables fix far under i64::MAX.
            rows.extend(
                tables
                    .iter()
                    .map(|table| features::row(table, &word) as i64),
            );
        }
        (rows, tables.len())
    }

    fn predict_window(&self, window: &Window) -> Result<Vec<TokenPrediction>, ClassifyError> {
        let model_err = |e: TractError| ClassifyError::Model(format!("{e:#}"));
        let shape_err = |e: tract_ndarray::ShapeError| ClassifyError::Model(e.to_string());
        // Sub-word packs see [CLS] window [SEP]; word-level packs the window alone.
        let (length, first) = match self.special {
            Some(_) => (window.ids.len() + 2, 1),
            None => (window.ids.len(), 0),
        };
        let tensor = |values: Vec<i64>| -> Result<TValue, ClassifyError> {
            Ok(tract_ndarray::Array2::from_shape_vec((1, length), values)
                .map_err(shape_err)?
                .into_tensor()
                .into())
        };
        let mut sequence = Vec::with_capacity(length);
        if let Some((cls, sep)) = self.special {
            sequence.push(i64::from(cls));
            sequence.extend(window.ids.iter().map(|id| i64::from(*id)));
            sequence.push(i64::from(sep));
        }
        let mut feed = TVec::new();
        for input in &self.inputs {
            feed.push(match input {
                Input::Ids => tensor(sequence.clone())?,
                Input::Mask => tensor(vec![1; length])?,
                Input::TypeIds => tensor(vec![0; length])?,
                Input::Features => tract_ndarray::Array3::from_shape_vec(
                    (1, length, window.tables),
                    window.rows.to_vec(),
                )
                .map_err(shape_err)?
                .into_tensor()
                .into(),
            });
        }
        let outputs = self.plan.run(feed).map_err(model_err)?;
        let logits = outputs
            .first()
            .ok_or_else(|| ClassifyError::Model("no output".into()))?
            .to_plain_array_view::<f32>()
            .map_err(model_err)?;
        let labels = self.config.labels.len();
        if logits.shape() != [1, length, labels] {
            return Err(ClassifyError::Model(format!(
                "logits have shape {:?}, expected [1, {length}, {labels}]",
                logits.shape()
            )));
        }
        let mut predictions = Vec::with_capacity(window.ids.len());
        // Log-probabilities of each word's first token, for constrained decoding.
        let mut word_rows: Vec<f32> = Vec::new();
        let mut first_tokens: Vec<usize> = Vec::new();
        for (i, ((start, end), word)) in window.offsets.iter().zip(window.words).enumerate() {
            let row: Vec<f32> = (0..labels).map(|l| logits[[0, i + first, l]]).collect();
            let (label, probability) = best_label(&row);
            if self.transitions.is_some() && (i == 0 || window.words[i - 1] != *word) {
                word_rows.extend(constrained::log_softmax(&row));
                first_tokens.push(i);
            }
            predictions.push(TokenPrediction {
                start: *start,
                end: *end,
                word: *word,
                label,
                probability,
            });
        }
        if let Some(transitions) = &self.transitions {
            // Only a word's first token decides its label (decode::words).
            let path = transitions.best_path(&word_rows, labels);
            for ((w, token), label) in first_tokens.iter().enumerate().zip(path) {
                if let Some(p) = predictions.get_mut(*token) {
                    p.label = label;
                    p.probability = word_rows[w * labels + label].exp();
                }
            }
        }
        Ok(predictions)
    }
}

/// One window's slice of a text's tokens.
struct Window<'a> {
    ids: &'a [u32],
    /// Feature rows of the window's tokens, `tables` per token (word-level
    /// packs only).
    rows: &'a [i64],
    tables: usize,
    offsets: &'a [(usize, usize)],
    words: &'a [u32],
}

/// The most likely label and its softmax probability.
fn best_label(logits: &[f32]) -> (usize, f32) {
    let (best, max) =
        logits
            .iter()
            .copied()
            .enumerate()
            .fold(
                (0, f32::NEG_INFINITY),
                |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
            );
    let total: f32 = logits.iter().map(|v| (v - max).exp()).sum();
    (best, 1.0 / total)
}

/// Splits `words.len()` tokens into windows of at most `size` tokens that
/// overlap by about `overlap`, each starting at a word's first token so no
/// window opens mid-word. Every token is in some window; starts always advance.
pub fn plan_windows(words: &[u32], size: usize, overlap: usize) -> Vec<(usize, usize)> {
    let count = words.len();
    let mut windows = Vec::new();
    let mut start = 0;
    loop {
        let end = (start + size).min(count);
        windows.push((start, end));
        if end == count {
            return windows;
        }
        let mut next = end.saturating_sub(overlap).max(start + 1);
        while next > start + 1 && words[next] == words[next - 1] {
            next -= 1;
        }
        start = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn softmax_of_the_best_label() {
        let (label, p) = best_label(&[0.0, 2.0, 0.0]);
        assert_eq!(label, 1);
        assert!((p - 2f32.exp() / (2.0 + 2f32.exp())).abs() < 1e-6);
    }

    #[test]
    fn windows_cover_everything_and_start_on_words() {
        let words: Vec<u32> = vec![0, 0, 1, 2, 2, 2, 3, 4, 5, 5, 6];
        let windows = plan_windows(&words, 4, 1);
        assert_eq!(windows.first().map(|w| w.0), Some(0));
        assert_eq!(windows.last().map(|w| w.1), Some(words.len()));
        for pair in windows.windows(2) {
            assert!(pair[1].0 > pair[0].0 && pair[1].0 <= pair[0].1);
            assert!(
                pair[1].0 == 0
                    || words[pair[1].0] != words[pair[1].0 - 1]
                    || pair[1].0 == pair[0].0 + 1
            );
        }
    }

    proptest! {
        #[test]
        fn windows_always_cover_all_tokens(words in proptest::collection::vec(0u32..5, 1..300), size in 2usize..40, overlap_frac in 0usize..50) {
            let mut words = words;
            for i in 1..words.len() { words[i] = words[i - 1] + words[i].min(1); }
            let overlap = (size * overlap_frac / 100).min(size / 2 - (size % 2 == 0) as usize);
            let windows = plan_windows(&words, size, overlap);
            let mut covered = vec![false; words.len()];
            for (from, to) in &windows {
                prop_assert!(to - from <= size);
                for c in &mut covered[*from..*to] { *c = true; }
            }
            prop_assert!(covered.iter().all(|c| *c));
        }
    }
}
