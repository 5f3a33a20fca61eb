//! CloudWatch metrics in embedded metric format (EMF): JSON documents on
//! stdout that CloudWatch Logs turns into metrics, with no API call and no
//! extra latency in the request path. The `metrics` facade records; the
//! `metrics_cloudwatch_embedded` collector renders one document per label set,
//! which [`EmfLayer`] writes after every invocation.
//!
//! What every function emits, in namespace `METRICS_NAMESPACE` (default
//! `ServerlessMlApi`) with dimension `FunctionName`:
//! - `Requests` (Count): every request;
//! - `Responses` (Count) by `StatusClass` (`2xx` ... `5xx`): errors by class;
//! - `Latency` (Milliseconds): handler time, the template's p99 alarm reads it;
//! - `ColdStart` (Count): once per execution environment;
//! - `InferenceTime` (Milliseconds) by `Model`, from the functions that run models.
//!
//! Labels are fixed words and model pack names, never request data.

use std::time::Duration;

use metrics::Unit;
use metrics_cloudwatch_embedded::Collector;

use crate::env::{ConfigError, Env, or_default};

mod lambda_layer;
pub use lambda_layer::{COLD_START, EmfLayer, EmfService, FlushAfter, REQUEST_ID_PROPERTY};

pub const DEFAULT_NAMESPACE: &str = "ServerlessMlApi";
/// The dimension every metric carries; the template's alarms select on it.
pub const FUNCTION_DIMENSION: &str = "FunctionName";

pub const REQUESTS: &str = "Requests";
pub const RESPONSES: &str = "Responses";
pub const LATENCY: &str = "Latency";
pub const INFERENCE_TIME: &str = "InferenceTime";

/// Namespace and function name of the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsConfig {
    /// CloudWatch namespace (`METRICS_NAMESPACE`).
    pub namespace: String,
    /// The `FunctionName` dimension: Lambda's `AWS_LAMBDA_FUNCTION_NAME`, which
    /// the template's alarms select on.
    pub function_name: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            namespace: DEFAULT_NAMESPACE.to_owned(),
            function_name: "local".to_owned(),
        }
    }
}

impl MetricsConfig {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            namespace: or_default(env, "METRICS_NAMESPACE", DEFAULT_NAMESPACE.to_owned())?,
            function_name: or_default(env, "AWS_LAMBDA_FUNCTION_NAME", "local".to_owned())?,
        })
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not install the metrics recorder: {0}")]
pub struct MetricsError(String);

/// Installs the process-wide EMF collector for function `function_name`.
/// Call once, at start-up, before serving; [`EmfLayer`] writes what it collects.
pub fn init(config: &MetricsConfig) -> Result<&'static Collector, MetricsError> {
    let collector = metrics_cloudwatch_embedded::Builder::new()
        .cloudwatch_namespace(config.namespace.clone())
        .with_dimension(FUNCTION_DIMENSION, config.function_name.clone())
        .init()
        .map_err(|e| MetricsError(e.to_string()))?;
    metrics::describe_counter!(REQUESTS, Unit::Count, "requests served");
    metrics::describe_counter!(RESPONSES, Unit::Count, "responses by status class");
    metrics::describe_histogram!(LATENCY, Unit::Milliseconds, "time in the handler");
    metrics::describe_histogram!(INFERENCE_TIME, Unit::Milliseconds, "time running a model");
    Ok(collector)
}

/// The status class label of a status code: `2xx`, `4xx`, ...
pub fn status_class(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records one served request. A no-op until `init` installed a recorder
/// (tests, local tools).
pub fn record_request(status: u16, latency: Duration) {
    metrics::counter!(REQUESTS).increment(1);
    metrics::counter!(RESPONSES, "StatusClass" => status_class(status)).increment(1);
    metrics::histogram!(LATENCY).record(latency.as_secs_f64() * 1000.0);
}

/// Runs `inference` (one run of model `model`, a pack name, never request
/// data) and records how long it took, whatever it returns.
pub fn timed_inference<T>(model: &str, inference: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let result = inference();
    metrics::histogram!(INFERENCE_TIME, "Model" => model.to_owned())
        .record(started.elapsed().as_secs_f64() * 1000.0);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_classes() {
        assert_eq!(status_class(200), "2xx");
        assert_eq!(status_class(204), "2xx");
        assert_eq!(status_class(304), "3xx");
        assert_eq!(status_class(422), "4xx");
        assert_eq!(status_class(503), "5xx");
        assert_eq!(status_class(600), "5xx");
    }
}
