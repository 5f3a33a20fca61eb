//! The entities function's two optional secrets, read on first use.
//!
//! - The write token (`API_TOKEN` or `API_TOKEN_SECRET_ARN`, as for the other
//!   write routes): `POST /entities/restore` requires it.
//! - The redaction key (`REDACTION_KEY` or `REDACTION_KEY_SECRET_ARN`):
//!   keyed pseudonyms and the `encrypt` operator need it ([`crate::key`]).
//!
//! A deployment without one of them serves everything else; what needs it
//! answers 422 (an operator this deployment cannot apply) or 503 (restore).
//! Secrets Manager is read on first use, not at cold start, so a container
//! that never needs a secret never pays for the read; a failed read is not
//! remembered, so the next request tries again.

use api_token::{TokenSource, read_secret, secret_arn};
use shared::{
    ApiError,
    auth::BearerToken,
    config::{ConfigError, Env, optional},
};
use tokio::sync::OnceCell;

use crate::key::RedactionKey;

/// Where the redaction key is.
#[derive(Debug, Clone)]
pub enum KeySource {
    Inline(RedactionKey),
    Secret { arn: String },
}

/// The function's secret sources, each resolved once.
#[derive(Debug, Default)]
pub struct Secrets {
    token_source: Option<TokenSource>,
    key_source: Option<KeySource>,
    token: OnceCell<BearerToken>,
    key: OnceCell<RedactionKey>,
}

/// How long a client waits before retrying when a secret could not be read.
const RETRY_SECRET_SECS: u32 = 2;

fn unavailable(what: &str) -> ApiError {
    ApiError::Unavailable {
        retry_after_secs: RETRY_SECRET_SECS,
        detail: format!("The {what} could not be read; it has been logged."),
    }
}

impl Secrets {
    pub fn new(token_source: Option<TokenSource>, key_source: Option<KeySource>) -> Self {
        Self {
            token_source,
            key_source,
            ..Self::default()
        }
    }

    /// Both sources from the environment; each is optional, but a variable
    /// that is set must be well formed, and not both forms of one secret.
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let token_source = TokenSource::from_env_if_set(env)?;
        let inline: Option<RedactionKey> = optional(env, "REDACTION_KEY")?;
        let arn = secret_arn(env, "REDACTION_KEY_SECRET_ARN")?;
        let key_source = match (inline, arn) {
            (Some(key), None) => Some(KeySource::Inline(key)),
            (None, Some(arn)) => Some(KeySource::Secret { arn }),
            (None, None) => None,
            (Some(_), Some(_)) => {
                return Err(ConfigError::Malformed {
                    name: "REDACTION_KEY",
                    reason: "set REDACTION_KEY or REDACTION_KEY_SECRET_ARN, not both".into(),
                });
            }
        };
        Ok(Self::new(token_source, key_source))
    }

    /// Whether this deployment has a redaction key (resolved or not).
    pub fn has_key(&self) -> bool {
        self.key_source.is_some()
    }

    /// The redaction key; `None` when the deployment has none.
    pub async fn key(&self) -> Result<Option<&RedactionKey>, ApiError> {
        let Some(source) = &self.key_source else {
            return Ok(None);
        };
        self.key
            .get_or_try_init(|| async {
                match source {
                    KeySource::Inline(key) => Ok(key.clone()),
                    KeySource::Secret { arn } => {
                        let value = read_secret(arn, None).await.map_err(|e| {
                            tracing::error!(error = %e, "redaction key unavailable");
                            unavailable("redaction key")
                        })?;
                        value.parse().map_err(|reason: String| {
                            tracing::error!(secret = %arn, %reason, "redaction key secret is unusable");
                            unavailable("redaction key")
                        })
                    }
                }
            })
            .await
            .map(Some)
    }

    /// The write token; `None` when the deployment has none.
    pub async fn token(&self) -> Result<Option<&BearerToken>, ApiError> {
        let Some(source) = &self.token_source else {
            return Ok(None);
        };
        self.token
            .get_or_try_init(|| async {
                source.resolve(None).await.map_err(|e| {
                    tracing::error!(error = %e, "write token unavailable");
                    unavailable("write token")
                })
            })
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "an-example-secret-of-at-least-32-characters";

    #[test]
    fn every_secret_is_optional_but_must_be_well_formed() {
        let none = Secrets::from_env(&[("OTHER", "x")]).unwrap();
        assert!(!none.has_key());
        assert!(none.token_source.is_none());
        let both = Secrets::from_env(&[("API_TOKEN", "0123456789abcdef"), ("REDACTION_KEY", KEY)])
            .unwrap();
        assert!(both.has_key());
        assert!(both.token_source.is_some());
        let arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:key-AbCdEf";
        assert!(
            Secrets::from_env(&[("REDACTION_KEY_SECRET_ARN", arn)])
                .unwrap()
                .has_key()
        );
        let short = Secrets::from_env(&[("REDACTION_KEY", "short")]).unwrap_err();
        assert!(short.to_string().contains("at least 32"), "{short}");
        assert!(!short.to_string().contains("short\""));
        let twice = Secrets::from_env(&[("REDACTION_KEY", KEY), ("REDACTION_KEY_SECRET_ARN", arn)]);
        assert!(twice.unwrap_err().to_string().contains("not both"));
        let weak_token = Secrets::from_env(&[("API_TOKEN", "short")]);
        assert!(weak_token.is_err());
    }

    #[tokio::test]
    async fn inline_secrets_resolve_without_a_network() {
        let secrets =
            Secrets::from_env(&[("API_TOKEN", "0123456789abcdef"), ("REDACTION_KEY", KEY)])
                .unwrap();
        assert!(secrets.key().await.unwrap().is_some());
        assert!(secrets.token().await.unwrap().is_some());
        let none = Secrets::default();
        assert!(none.key().await.unwrap().is_none());
        assert!(none.token().await.unwrap().is_none());
    }
}
