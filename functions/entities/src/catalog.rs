//! The model packs this deployment has, found under `MODEL_DIR` at cold start.
//! A pack's model is loaded on first use and kept for the container's life. A
//! pack that fails to load (missing or corrupt files) is logged and answered
//! with 503s; the load is tried again after [`RETRY_FAILED_LOAD`], so the
//! function recovers once the files are readable, without a restart.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use serde::Serialize;
use std::time::{Duration, Instant};
use token_classifier::{PackConfig, TokenClassifier};
use tokio::sync::{Mutex, OnceCell};

/// The size that ran the default's student alone while the default still ran
/// the transformer; kept so that clients of that release keep working. It now
/// runs what the default size runs.
pub const FAST_SIZE: &str = "fast";

/// Sizes that run the language's personal-data transformer beside their
/// word-level student. The default does not: its student learnt personal
/// data and is one pass (functions/entities/QUALITY.md has what each size
/// redacts, BENCHMARKS.md what each costs).
pub const TRANSFORMER_SIZES: &[&str] = &["lg"];

/// How long a pack that failed to load is answered with 503s before the next
/// attempt (also the `Retry-After` of those answers).
pub const RETRY_FAILED_LOAD: Duration = Duration::from_secs(30);

pub struct Pack {
    pub dir: PathBuf,
    pub config: PackConfig,
    pub model_bytes: u64,
    loaded: OnceCell<Arc<TokenClassifier>>,
    /// When the last load failed; loads are serialised by this lock.
    failed_at: Mutex<Option<Instant>>,
    retry_after: Duration,
}

impl Pack {
    /// The API types its labels map to, sorted, each once.
    pub fn entity_types(&self) -> Vec<String> {
        let config = &self.config;
        let mut types: Vec<String> = config
            .labels
            .iter()
            .filter(|l| *l != "O")
            .map(|l| l.split_once('-').map_or(l.as_str(), |(_, t)| t))
            .map(|t| config.api_type(t).to_owned())
            .collect();
        types.sort();
        types.dedup();
        types
    }

    /// Whether it can report `api_type`.
    pub fn reports(&self, api_type: &str) -> bool {
        self.entity_types().iter().any(|t| t == api_type)
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded.initialized()
    }

    /// The loaded model; loads it on first use, off the async executor. After
    /// a failure, answers `Err` without trying again until `retry_after` has
    /// passed.
    pub async fn classifier(&self) -> Result<Arc<TokenClassifier>, String> {
        if let Some(classifier) = self.loaded.get() {
            return Ok(Arc::clone(classifier));
        }
        let mut failed_at = self.failed_at.lock().await;
        if let Some(classifier) = self.loaded.get() {
            return Ok(Arc::clone(classifier));
        }
        if failed_at.is_some_and(|at| at.elapsed() < self.retry_after) {
            return Err("the pack failed to load recently".into());
        }
        let dir = self.dir.clone();
        let started = Instant::now();
        let result = tokio::task::spawn_blocking(move || TokenClassifier::load(&dir))
            .await
            .map_err(|e| e.to_string())
            .and_then(|loaded| loaded.map_err(|e| e.to_string()));
        match result {
            Ok(classifier) => {
                tracing::info!(pack = %self.config.name, load_ms = started.elapsed().as_millis() as u64, "model pack loaded");
                *failed_at = None;
                let classifier = Arc::new(classifier);
                // Only this lock's holder sets the cell, so it is empty here.
                let _ = self.loaded.set(Arc::clone(&classifier));
                Ok(classifier)
            }
            Err(err) => {
                tracing::error!(pack = %self.config.name, error = %err, retry_in_s = self.retry_after.as_secs(), "model pack failed to load; answering 503 until it loads");
                *failed_at = Some(Instant::now());
                Err(err)
            }
        }
    }
}

pub struct Catalog {
    pub packs: Vec<Arc<Pack>>,
}

/// Languages and sizes a request may ask for, and the model packs each
/// runs (besides the validated patterns, which run at every size). At `sm`
/// (default; `fast` is another name for it) the word-level student alone,
/// one pass (about a millisecond per 100 words); at `lg` a wider student and
/// the 6-layer personal-data transformer (tens of milliseconds per 100
/// words): BENCHMARKS.md has the measured figures.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub model_size: String,
    pub model_language: String,
    /// Names of the model packs a request with this size and language runs.
    pub packs: Vec<String>,
}

impl Catalog {
    /// Reads every `*/config.json` under `dir` that describes a token
    /// classifier. A folder whose config is unreadable is reported and skipped;
    /// its model files are only touched on first use.
    pub fn discover(dir: &Path) -> Self {
        Self::discover_with_retry(dir, RETRY_FAILED_LOAD)
    }

    /// As [`Catalog::discover`], retrying failed loads after `retry_after`.
    pub fn discover_with_retry(dir: &Path, retry_after: Duration) -> Self {
        let mut packs = Vec::new();
        let Ok(entries) = std::fs::read_dir(dir) else {
            tracing::error!(dir = %dir.display(), "MODEL_DIR is not readable: only pattern recognizers are available");
            return Self { packs };
        };
        let mut folders: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
        folders.sort();
        for folder in folders {
            let config_path = folder.join("config.json");
            let Ok(bytes) = std::fs::read(&config_path) else {
                continue;
            };
            let is_classifier = serde_json::from_slice::<serde_json::Value>(&bytes)
                .is_ok_and(|v| v["task"] == "token-classification");
            if !is_classifier {
                continue;
            }
            let config = serde_json::from_slice::<PackConfig>(&bytes)
                .map_err(|e| e.to_string())
                .and_then(|config| config.check().map(|()| config));
            match config {
                Ok(config) => {
                    let model_bytes = std::fs::metadata(folder.join("model.onnx"))
                        .map(|m| m.len())
                        .unwrap_or(0);
                    if model_bytes == 0 {
                        tracing::error!(pack = %config.name, "model.onnx is missing: run scripts/serve.sh or models/build_packs.py");
                        continue;
                    }
                    packs.push(Arc::new(Pack {
                        dir: folder,
                        config,
                        model_bytes,
                        loaded: OnceCell::new(),
                        failed_at: Mutex::new(None),
                        retry_after,
                    }));
                }
                Err(err) => {
                    tracing::error!(dir = %folder.display(), error = %err, "invalid model pack config; skipped")
                }
            }
        }
        Self { packs }
    }

    /// Loads, at cold start, what a request with the default size and
    /// language needs, concurrently: its packs and the pattern recognizers
    /// (compiled patterns, phone metadata). Lambda runs this before the first
    /// event (with provisioned concurrency, before any user waits); the first
    /// request then pays only its own analysis. A pack that fails here is
    /// logged and retried on demand, as without warm-up.
    pub async fn warm_up(&self, size: &str, language: &str) {
        let started = Instant::now();
        let patterns = tokio::task::spawn_blocking(pii_patterns::warm_up);
        let packs = self.select(size, language).unwrap_or_default();
        let loads = packs.iter().map(|pack| pack.classifier());
        let (_, loaded) = tokio::join!(patterns, futures::future::join_all(loads));
        tracing::info!(
            packs = loaded.iter().filter(|r| r.is_ok()).count(),
            failed = loaded.iter().filter(|r| r.is_err()).count(),
            warm_up_ms = started.elapsed().as_millis() as u64,
            "warmed up"
        );
    }

    /// Every (size, language) a request may name, with its packs.
    pub fn choices(&self) -> Vec<Choice> {
        let mut keys: Vec<(&str, &str)> = self
            .packs
            .iter()
            // A personal-data pack joins a size's student; it is no size alone.
            .filter(|p| p.config.role != "pii")
            .flat_map(|p| {
                let language = p.config.language.as_str();
                // `fast` exists where the default size has a student.
                let fast =
                    (p.config.size == crate::DEFAULT_MODEL_SIZE).then_some((FAST_SIZE, language));
                std::iter::once((p.config.size.as_str(), language)).chain(fast)
            })
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .map(|(size, language)| Choice {
                model_size: size.to_owned(),
                model_language: language.to_owned(),
                packs: self
                    .select(size, language)
                    .unwrap_or_default()
                    .iter()
                    .map(|p| p.config.name.clone())
                    .collect(),
            })
            .collect()
    }

    /// The packs that serve (size, language): the packs of that size and
    /// language, plus the language's personal-data packs (the transformer)
    /// at [`TRANSFORMER_SIZES`]; [`FAST_SIZE`] is the default size. `None`
    /// when nothing serves that size and language.
    pub fn select(&self, size: &str, language: &str) -> Option<Vec<Arc<Pack>>> {
        let base = if size == FAST_SIZE {
            crate::DEFAULT_MODEL_SIZE
        } else {
            size
        };
        let with_pii = TRANSFORMER_SIZES.contains(&base);
        let exact = self.packs.iter().any(|p| {
            p.config.size == base
                && p.config.language == language
                && (with_pii || p.config.role != "pii")
        });
        exact.then(|| {
            self.packs
                .iter()
                .filter(|p| {
                    p.config.language == language
                        && if p.config.role == "pii" {
                            with_pii
                        } else {
                            p.config.size == base
                        }
                })
                .cloned()
                .collect()
        })
    }
}
