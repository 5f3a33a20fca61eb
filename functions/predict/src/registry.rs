//! Which model is served, and the price history, kept fresh from DynamoDB.
//!
//! The bundled pack is loaded at cold start, and when a table is configured
//! the published model and the posted closes are read once then too. After
//! that a background task refreshes every `refresh_every`: it reads the
//! published-model pointer and the posted closes, loads, checksum-verifies and
//! optimises a new version, and only then replaces what is served in a single
//! swap of one snapshot (model and history together), so a request reads one
//! complete snapshot and never waits for DynamoDB. Any failure keeps what is
//! served and is logged.
//!
//! On Lambda the task only runs while the sandbox is thawed: after a long idle
//! spell the first request is answered from the snapshot it finds while the
//! task refreshes beside it.

use std::{
    path::Path,
    sync::{Arc, RwLock, Weak},
    time::Duration,
};

use btc_forecast::{DailySeries, ModelMeta};
use btc_store::BtcStore;
use tokio::sync::Mutex;

use crate::model::{LoadedModel, ModelError, Source};

/// Shortest pause between two background refreshes, whatever is configured.
const MIN_REFRESH_PAUSE: Duration = Duration::from_millis(100);

pub struct Registry {
    served: RwLock<Snapshot>,
    store: Option<BtcStore>,
    refresh_every: Duration,
    /// One refresh at a time (the cold-start one and the background task).
    refreshing: Mutex<()>,
    bundled_history: DailySeries,
}

/// What a request reads: the model and the history of one refresh.
#[derive(Clone)]
pub struct Snapshot {
    pub model: Option<Arc<LoadedModel>>,
    pub history: Arc<DailySeries>,
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
        let bundled_history = btc_forecast::bundled_history();
        Self {
            served: RwLock::new(Snapshot {
                model,
                history: Arc::new(bundled_history.clone()),
            }),
            store,
            refresh_every,
            refreshing: Mutex::new(()),
            bundled_history,
        }
    }

    /// What is served now. Never waits on I/O.
    pub fn snapshot(&self) -> Snapshot {
        match self.served.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Refreshes every `refresh_every` in the background while `registry`
    /// lives; nothing to do without a table.
    pub fn start_refreshing(registry: &Arc<Self>) {
        if registry.store.is_none() {
            return;
        }
        let weak: Weak<Self> = Arc::downgrade(registry);
        let pause = registry.refresh_every.max(MIN_REFRESH_PAUSE);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(pause).await;
                let Some(registry) = weak.upgrade() else {
                    return;
                };
                if let Err(err) = registry.refresh().await {
                    tracing::warn!(error = %err, "model refresh failed; serving the loaded model");
                }
            }
        });
    }

    /// Reads the published pointer and the posted closes now and swaps in
    /// the result. Without a table there is nothing to read.
    pub async fn refresh(&self) -> Result<(), String> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let _one_at_a_time = self.refreshing.lock().await;
        let pointer = store.current().await.map_err(|e| e.to_string())?;
        let rows = store.prices().await.map_err(|e| e.to_string())?;
        let history = self
            .bundled_history
            .merged(&rows)
            .map_err(|e| format!("stored closes: {e}"))?;
        let current = self.snapshot();
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
        *served = Snapshot {
            model,
            history: Arc::new(history),
        };
        Ok(())
    }
}
