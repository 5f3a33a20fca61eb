//! The bearer token of the write routes, from wherever this deployment keeps it.
//!
//! - Locally and in tests: `API_TOKEN`, the token itself.
//! - On AWS: `API_TOKEN_SECRET_ARN`, a Secrets Manager secret whose
//!   `SecretString` is the token. It is read once at cold start with the
//!   function's own role (the template grants `secretsmanager:GetSecretValue`
//!   on that one secret), so the token is never in the template, the code or
//!   the function's configuration. A rotated secret reaches new containers.
//!
//! Exactly one of the two must be set; a function refuses to start otherwise.
//!
//! [`read_secret`] and [`secret_arn`] are the same mechanism for any other
//! deployment secret (the entities function's redaction key).

use std::time::Duration;

use shared::{
    auth::BearerToken,
    config::{ConfigError, Env, optional},
};

/// Where the token is.
#[derive(Debug, Clone)]
pub enum TokenSource {
    Inline(BearerToken),
    Secret { arn: String },
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The secret could not be read; the message names the secret, never its value.
    #[error("API token secret {arn} could not be read: {reason}")]
    Unreadable { arn: String, reason: String },
    #[error("API token secret {arn} does not hold a usable token: {reason}")]
    Invalid { arn: String, reason: String },
}

/// A Secrets Manager secret that could not be read or holds no string.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The message names the secret, never its value.
    #[error("secret {arn} could not be read: {reason}")]
    Unreadable { arn: String, reason: String },
    #[error("secret {arn} has no SecretString (binary secrets are not supported)")]
    NotAString { arn: String },
}

/// The optional environment variable `name`, which must hold a secret's ARN.
pub fn secret_arn(env: &impl Env, name: &'static str) -> Result<Option<String>, ConfigError> {
    match optional::<String>(env, name)? {
        Some(arn) if !arn.starts_with("arn:") => Err(ConfigError::Malformed {
            name,
            reason: "must be the secret's ARN (arn:aws:secretsmanager:...)".into(),
        }),
        arn => Ok(arn),
    }
}

/// The `SecretString` of the secret `arn`, read with the function's own role
/// (a few tens of ms: call it once per container). `endpoint` overrides the
/// Secrets Manager endpoint.
pub async fn read_secret(arn: &str, endpoint: Option<&str>) -> Result<String, SecretError> {
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_millis(500))
        .operation_timeout(Duration::from_secs(3))
        .build();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).timeout_config(timeouts);
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint);
    }
    let client = aws_sdk_secretsmanager::Client::new(&loader.load().await);
    let output = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| SecretError::Unreadable {
            arn: arn.to_owned(),
            reason: aws_sdk_secretsmanager::error::DisplayErrorContext(&e).to_string(),
        })?;
    let value = output
        .secret_string()
        .ok_or_else(|| SecretError::NotAString {
            arn: arn.to_owned(),
        })?
        .to_owned();
    tracing::info!(secret = %arn, "secret read from Secrets Manager");
    Ok(value)
}

impl TokenSource {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Self::from_env_if_set(env)?.ok_or(ConfigError::Missing { name: "API_TOKEN" })
    }

    /// As [`TokenSource::from_env`] for a function whose token is optional:
    /// `None` when neither variable is set.
    pub fn from_env_if_set(env: &impl Env) -> Result<Option<Self>, ConfigError> {
        let inline: Option<BearerToken> = optional(env, "API_TOKEN")?;
        let arn = secret_arn(env, "API_TOKEN_SECRET_ARN")?;
        match (inline, arn) {
            (Some(token), None) => Ok(Some(Self::Inline(token))),
            (None, Some(arn)) => Ok(Some(Self::Secret { arn })),
            (Some(_), Some(_)) => Err(ConfigError::Malformed {
                name: "API_TOKEN",
                reason: "set API_TOKEN or API_TOKEN_SECRET_ARN, not both".into(),
            }),
            (None, None) => Ok(None),
        }
    }

    /// The token; reads the secret when there is one (a few tens of ms, once
    /// per container). `endpoint` overrides the Secrets Manager endpoint.
    pub async fn resolve(&self, endpoint: Option<&str>) -> Result<BearerToken, TokenError> {
        let arn = match self {
            Self::Inline(token) => return Ok(token.clone()),
            Self::Secret { arn } => arn,
        };
        let value = read_secret(arn, endpoint).await.map_err(|e| match e {
            SecretError::Unreadable { arn, reason } => TokenError::Unreadable { arn, reason },
            SecretError::NotAString { arn } => TokenError::Invalid {
                arn,
                reason: "no SecretString (binary secrets are not supported)".into(),
            },
        })?;
        let token = value.trim().parse().map_err(|reason| TokenError::Invalid {
            arn: arn.clone(),
            reason,
        })?;
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_source() {
        assert!(matches!(
            TokenSource::from_env(&[("API_TOKEN", "0123456789abcdef")]),
            Ok(TokenSource::Inline(_))
        ));
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-AbCdEf";
        assert!(matches!(
            TokenSource::from_env(&[("API_TOKEN_SECRET_ARN", arn)]),
            Ok(TokenSource::Secret { .. })
        ));
        let both = TokenSource::from_env(&[
            ("API_TOKEN", "0123456789abcdef"),
            ("API_TOKEN_SECRET_ARN", arn),
        ]);
        assert!(both.unwrap_err().to_string().contains("not both"));
        let none = TokenSource::from_env(&[("OTHER", "x")]);
        assert!(none.unwrap_err().to_string().contains("API_TOKEN"));
        let short = TokenSource::from_env(&[("API_TOKEN", "short")]);
        assert!(short.unwrap_err().to_string().contains("at least 16"));
        let name = TokenSource::from_env(&[("API_TOKEN_SECRET_ARN", "my-secret")]);
        assert!(name.unwrap_err().to_string().contains("ARN"));
    }

    #[tokio::test]
    async fn an_unreachable_secret_names_the_secret_not_a_value() {
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbCdEf".to_owned();
        let source = TokenSource::Secret { arn: arn.clone() };
        // A closed local port: fails fast, as an unreachable endpoint would.
        let err = source
            .resolve(Some("http://127.0.0.1:9"))
            .await
            .unwrap_err();
        assert!(err.to_string().contains(&arn), "{err}");
    }
}
