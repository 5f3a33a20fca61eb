//! The cafe function's configuration, from the environment.

use api_token::TokenSource;
use shared::config::{ConfigError, Env, optional_url, or_default, required};

use crate::model::Currency;

#[derive(Debug, Clone)]
pub struct Config {
    /// DynamoDB table (`CAFE_TABLE`).
    pub table: String,
    /// Endpoint of a local DynamoDB-compatible server (`DYNAMODB_ENDPOINT`,
    /// e.g. `http://127.0.0.1:8000`); unset on AWS.
    pub dynamodb_endpoint: Option<String>,
    /// Create the table at cold start when missing (`CAFE_CREATE_TABLE`); for
    /// local servers only.
    pub create_table: bool,
    /// Currency of items created without one (`DEFAULT_CURRENCY`, default USD).
    pub default_currency: Currency,
    /// Where the token write routes require comes from (`API_TOKEN` or
    /// `API_TOKEN_SECRET_ARN`).
    pub api_token: TokenSource,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            table: required(env, "CAFE_TABLE")?,
            dynamodb_endpoint: optional_url(env, "DYNAMODB_ENDPOINT")?,
            create_table: or_default(env, "CAFE_CREATE_TABLE", false)?,
            default_currency: or_default(
                env,
                "DEFAULT_CURRENCY",
                "USD".parse().map_err(|e: &str| ConfigError::Malformed {
                    name: "DEFAULT_CURRENCY",
                    reason: e.into(),
                })?,
            )?,
            api_token: TokenSource::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_variables_are_named_when_missing() {
        let err = Config::from_env(&[("API_TOKEN", "0123456789abcdef")]).unwrap_err();
        assert!(err.to_string().contains("CAFE_TABLE"), "{err}");
        let err = Config::from_env(&[("CAFE_TABLE", "t")]).unwrap_err();
        assert!(err.to_string().contains("API_TOKEN"), "{err}");
        let err = Config::from_env(&[("CAFE_TABLE", "t"), ("API_TOKEN", "short")]).unwrap_err();
        assert!(err.to_string().contains("at least 16"), "{err}");
    }

    #[test]
    fn malformed_values_are_refused() {
        let base = [
            ("CAFE_TABLE", "t"),
            ("API_TOKEN", "0123456789abcdef"),
            ("DEFAULT_CURRENCY", "XXQ"),
        ];
        assert!(
            Config::from_env(&base)
                .unwrap_err()
                .to_string()
                .contains("DEFAULT_CURRENCY")
        );
        let env = [
            ("CAFE_TABLE", "t"),
            ("API_TOKEN", "0123456789abcdef"),
            ("DYNAMODB_ENDPOINT", "127.0.0.1:8000"),
        ];
        assert!(
            Config::from_env(&env)
                .unwrap_err()
                .to_string()
                .contains("DYNAMODB_ENDPOINT")
        );
        let env = [("CAFE_TABLE", "t"), ("API_TOKEN", "0123456789abcdef")];
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.default_currency.code(), "USD");
        assert!(!config.create_table);
    }
}
