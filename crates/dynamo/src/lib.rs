//! What every DynamoDB store of the API shares.
//!
//! - [`client`]: bounded waits, so a slow or absent DynamoDB turns into an error
//!   (and a 503) in seconds, well inside a function's timeout, not a hang;
//! - [`classify`]: what an SDK error means for the caller;
//! - [`ensure_table`]: a store's table on a local server.

use std::time::Duration;

mod table;
pub use table::{TableSpec, ensure_table};

use aws_sdk_dynamodb::{
    Client,
    error::{ProvideErrorMetadata, SdkError},
};

/// What went wrong with a DynamoDB call, as far as a caller cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// A conditional write's condition was false.
    ConditionFailed,
    /// Throttled, unreachable, slow, failing or missing table: retry later.
    Unavailable(String),
    /// Anything else: a bug or a misconfiguration.
    Other(String),
}

pub fn classify<E, R>(err: &SdkError<E, R>) -> ErrorKind
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let context = || aws_smithy_types::error::display::DisplayErrorContext(err).to_string();
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            ErrorKind::Unavailable(context())
        }
        SdkError::ServiceError(service) => match service.err().code().unwrap_or_default() {
            "ConditionalCheckFailedException" => ErrorKind::ConditionFailed,
            code @ ("ProvisionedThroughputExceededException"
            | "ThrottlingException"
            | "RequestLimitExceeded"
            | "InternalServerError"
            | "ServiceUnavailable"
            | "ResourceNotFoundException") => ErrorKind::Unavailable(code.to_owned()),
            code => ErrorKind::Other(format!(
                "{code}: {}",
                service.err().message().unwrap_or_default()
            )),
        },
        _ => ErrorKind::Other(context()),
    }
}

/// A client for `endpoint` (a local server) or AWS, with per-attempt and total
/// timeouts and three attempts.
pub async fn client(
    endpoint: Option<&str>,
    attempt_timeout: Duration,
    total_timeout: Duration,
) -> Client {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500))
        .operation_attempt_timeout(attempt_timeout)
        .operation_timeout(total_timeout)
        .build();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .timeout_config(timeouts)
        .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3));
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    Client::new(&loader.load().await)
}
