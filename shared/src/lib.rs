//! Library code every Lambda function of the API shares.
//!
//! - [`error`]: the one error type, rendered as RFC 9457 problem+json;
//! - [`extract`]: strict JSON/query extractors with FastAPI-style 422s;
//! - [`app`]: the layers every function gets (request id, logging, CORS, limits)
//!   and the Lambda entry point;
//! - [`env`]: reading environment variables (a leaf: imports nothing of the crate);
//! - [`config`]: the HTTP layer's configuration, with clear start-up errors;
//! - [`auth`]: the bearer-token check for write routes;
//! - [`conditional`]: `If-None-Match` evaluation;
//! - [`routes`]: the route table generated from `template.yaml`;
//! - [`openapi`]: the document parts every function shares;
//! - [`metrics`]: CloudWatch EMF metrics (requests, status classes, latency,
//!   inference time).

pub mod app;
pub mod auth;
pub mod conditional;
pub mod config;
pub mod env;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod openapi;
pub mod routes;

/// The error type a Lambda `main` returns.
pub type BoxError = lambda_http::Error;

pub use app::{RequestId, build_app, init_logging, log_panics_without_messages, run};
pub use error::{ApiError, FieldError, LocPart, Problem};
pub use extract::{ValidJson, ValidQuery};
