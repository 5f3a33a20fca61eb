//! Which model is served, and the price history, kept fresh from DynamoDB.
//!
//! The bundled pack is loaded at cold start. Every `refresh_every` (checked on
//! the request path, by at most one request at a time) the registry reads the
//! published-model pointer and the posted closes; a new version is loaded,
//! checksum-verified and optimised before it replaces the old one in a single
//! pointer swap, so a request sees one complete model or the other. Any failure
//! keeps what is served and is logged.

use std::{
    path::Path,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use btc_model::{BUNDLED_CSV, DailySeries, ModelMeta};
use btc_store::BtcStore;
use tokio::sync::Mutex;

use crate::model::{LoadedModel, ModelError, Source};

pub struct Registry {
    served: RwLock<Served>,
    store: Option<BtcStore>,
    refresh_every: Duration,
    last_refresh: Mutex<Option<Instant>>,
    bundled_history: DailySeries,
}

/// What requests read: swapped as a whole.
#[derive(Clone)]
struct Served {
    model: Option<Arc<LoadedModel>>,
    history: Arc<DailySeries>,
}

/// Reads the bundled pack from `dir` (`model.onnx` + `config.json`).
pub fn load_pack(dir: &Path) -> Result<LoadedModel, ModelError> {
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .map_err(|e| ModelError::Unreadable(format!("{}: {e}", dir.join(name).display())))
    };
    let meta: ModelMeta = serde_json::from_slice(&read("config.json")?)
        .map_err(|e| ModelError::Unreadable(format!("config.json: {e}")))?;
    LoadedModel::load(&read("model.onnx")?, meta, Source::Bundled)
}

impl Registry {
    /// `bundled` is the pack's load result: a failure is logged and leaves the
    /// function answering 503 until a published model loads.
    pub fn new(
        bundled: Result<LoadedModel, ModelError>,
        store: Option<BtcStore>,
        refresh_every: Duration,
    ) -> Self {
        let model = match bundled {
            Ok(model) => Some(Arc::new(model)),
            Err(err) => {
                tracing::error!(error = %err, "bundled model pack failed to load; /predict answers 503 until a published model loads");
                None
            }
        };
        // The bundled CSV is part of the binary and checked by tests.
        let bundled_history = DailySeries::from_csv(BUNDLED_CSV).unwrap_or(DailySeries {
            start: time::Date::MIN,
            closes: Vec::new(),
        });
        Self {
            served: RwLock::new(Served {
                model,
                history: Arc::new(bundled_history.clone()),
            }),
            store,
            refresh_every,
            last_refresh: Mutex::new(None),
            bundled_history,
        }
    }

    fn served(&self) -> Served {
        match self.served.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The model to serve now (refreshing first when due), if any loads.
    pub async fn model(&self) -> Option<Arc<LoadedModel>> {
        self.refresh_if_due().await;
        self.served().model
    }

    /// The price history: bundled closes plus posted ones.
    pub async fn history(&self) -> Arc<DailySeries> {
        self.refresh_if_due().await;
        self.served().history
    }

    async fn refresh_if_due(&self) {
        let Some(store) = &self.store else { return };
        // One refresher at a time; the others serve what is loaded.
        let Ok(mut last) = self.last_refresh.try_lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < self.refresh_every) {
            return;
        }
        *last = Some(Instant::now());
        if let Err(err) = self.refresh(store).await {
            tracing::warn!(error = %err, "model refresh failed; serving the loaded model");
        }
    }

    async fn refresh(&self, store: &BtcStore) -> Result<(), String> {
        let pointer = store.current().await.map_err(|e| e.to_string())?;
        let rows = store.prices().await.map_err(|e| e.to_string())?;
        let history = self
            .bundled_history
            .merged(&rows)
            .map_err(|e| format!("stored closes: {e}"))?;
        let current = self.served();
        let model = match pointer {
            Some(pointer)
                if current.model.as_ref().map(|m| &m.meta.version) != Some(&pointer.version) =>
            {
                let stored = store.load(&pointer).await.map_err(|e| e.to_string())?;
                let meta: ModelMeta = serde_json::from_str(&stored.meta_json)
                    .map_err(|e| format!("metadata of {}: {e}", stored.version))?;
                // Optimising is CPU work: off the async executor.
                let loaded = tokio::task::spawn_blocking(move || {
                    LoadedModel::load(&stored.onnx, meta, Source::Published)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
                tracing::info!(version = %loaded.meta.version, "serving newly published model");
                Some(Arc::new(loaded))
            }
            _ => current.model,
        };
        let mut served = match self.served.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *served = Served {
            model,
            history: Arc::new(history),
        };
        Ok(())
    }
}
