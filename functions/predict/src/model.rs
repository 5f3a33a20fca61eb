//! A loaded model: its metadata and a tract plan, optimised once.

use std::sync::Arc;

use btc_model::ModelMeta;
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

/// One forecast, as the model computed it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Forecast {
    pub log_return: f64,
    pub next_close: f64,
}

impl LoadedModel {
    pub fn load(onnx: &[u8], meta: ModelMeta, source: Source) -> Result<Self, ModelError> {
        let unreadable = |e: TractError| ModelError::Unreadable(format!("{e:#}"));
        if meta.window < 2 {
            return Err(ModelError::Unreadable(
                "window must be at least 2 closes".into(),
            ));
        }
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
        if !(probe.log_return.is_finite() && probe.next_close.is_finite()) {
            return Err(ModelError::Unreadable(
                "model gives non-finite forecasts".into(),
            ));
        }
        Ok(model)
    }

    /// Forecasts from exactly `meta.window` positive closes, oldest first.
    pub fn forecast(&self, closes: &[f64]) -> Result<Forecast, ModelError> {
        let run = |e: TractError| ModelError::Run(format!("{e:#}"));
        let input = tract_ndarray::Array2::from_shape_vec((1, closes.len()), closes.to_vec())
            .map_err(|e| ModelError::Run(e.to_string()))?;
        let outputs = self
            .plan
            .run(tvec!(Tensor::from(input).into()))
            .map_err(run)?;
        let scalar = |index: usize| -> Result<f64, ModelError> {
            outputs
                .get(index)
                .ok_or_else(|| ModelError::Run("missing output".into()))?
                .to_plain_array_view::<f64>()
                .map_err(run)?
                .iter()
                .next()
                .copied()
                .ok_or_else(|| ModelError::Run("empty output".into()))
        };
        Ok(Forecast {
            log_return: scalar(0)?,
            next_close: scalar(1)?,
        })
    }
}
