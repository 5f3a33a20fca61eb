//! A loaded model: its metadata and a tract plan, optimised once.

use std::sync::Arc;

use btc_forecast::ModelMeta;
use serde::Serialize;
use tract_onnx::prelude::*;

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model pack unreadable: {0}")]
    Unreadable(String),
    #[error("model failed to run: {0}")]
    Run(String),
}

/// Where the served model came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The pack shipped in the models layer.
    Bundled,
    /// A version published by `POST /train`.
    Published,
}

pub struct LoadedModel {
    pub meta: ModelMeta,
    pub source: Source,
    plan: Arc<TypedRunnableModel>,
}

impl std::fmt::Debug for LoadedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedModel")
            .field("version", &self.meta.version)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// The model's forecasts, one per horizon (`[h - 1]` is `h` days ahead).
#[derive(Debug, Clone, PartialEq)]
pub struct Forecast {
    /// Log return from the last close to the close `h` days later.
    pub log_returns: Vec<f64>,
    pub closes: Vec<f64>,
}

impl Forecast {
    pub fn is_finite(&self) -> bool {
        self.log_returns
            .iter()
            .chain(&self.closes)
            .all(|v| v.is_finite())
    }
}

impl LoadedModel {
    pub fn load(onnx: &[u8], meta: ModelMeta, source: Source) -> Result<Self, ModelError> {
        let unreadable = |e: TractError| ModelError::Unreadable(format!("{e:#}"));
        // Metadata read from the store is checked before anything indexes by it.
        meta.check().map_err(ModelError::Unreadable)?;
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &onnx[..])
            .map_err(unreadable)?
            .with_input_fact(0, f64::fact([1, meta.window]).into())
            .map_err(unreadable)?
            .into_optimized()
            .map_err(unreadable)?
            .into_runnable()
            .map_err(unreadable)?;
        let model = Self { meta, source, plan };
        // A model that cannot forecast a flat series is not served.
        let probe = model.forecast(&vec![100.0; model.meta.window])?;
        if probe.log_returns.len() != model.meta.max_horizon_days as usize {
            return Err(ModelError::Unreadable(
                "the graph's horizons differ from the metadata's".into(),
            ));
        }
        if !probe.is_finite() {
            return Err(ModelError::Unreadable(
                "model gives non-finite forecasts".into(),
            ));
        }
        Ok(model)
    }

    /// Forecasts from exactly `meta.window` positive closes, oldest first.
    pub fn forecast(&self, closes: &[f64]) -> Result<Forecast, ModelError> {
        if closes.len() != self.meta.window {
            return Err(ModelError::Run(format!(
                "{} closes for a window of {}",
                closes.len(),
                self.meta.window
            )));
        }
        let run = |e: TractError| ModelError::Run(format!("{e:#}"));
        let input = tract_ndarray::Array2::from_shape_vec((1, closes.len()), closes.to_vec())
            .map_err(|e| ModelError::Run(e.to_string()))?;
        let outputs = self
            .plan
            .run(tvec!(Tensor::from(input).into()))
            .map_err(run)?;
        let row = |index: usize| -> Result<Vec<f64>, ModelError> {
            Ok(outputs
                .get(index)
                .ok_or_else(|| ModelError::Run("missing output".into()))?
                .to_plain_array_view::<f64>()
                .map_err(run)?
                .iter()
                .copied()
                .collect())
        };
        Ok(Forecast {
            log_returns: row(0)?,
            closes: row(1)?,
        })
    }
}
