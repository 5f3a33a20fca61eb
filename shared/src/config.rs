//! Configuration from environment variables, read once at cold start.
//!
//! A missing or malformed variable stops the function before it serves anything,
//! with a message naming the variable: a Lambda init error is far easier to
//! diagnose than a function that answers wrongly.

use std::str::FromStr;

pub use crate::env::{ConfigError, Env, ProcessEnv, optional, optional_url, or_default, required};

/// Which browser origins may call the API (`CORS_ALLOWED_ORIGINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `*`: any origin may read; credentials are never sent cross-origin anyway
    /// because the API uses bearer tokens, not cookies.
    Any,
    List(Vec<http::HeaderValue>),
}

impl FromStr for AllowedOrigins {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.trim() == "*" {
            return Ok(AllowedOrigins::Any);
        }
        let origins = raw
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                let uri: http::Uri = origin
                    .parse()
                    .map_err(|_| format!("`{origin}` is not an origin"))?;
                if uri.scheme().is_none() || uri.host().is_none() || uri.path() != "/" || origin.ends_with('/') {
                    return Err(format!(
                        "`{origin}` is not an origin like https://example.com (scheme and host, no path)"
                    ));
                }
                http::HeaderValue::from_str(origin).map_err(|_| format!("`{origin}` is not a valid header value"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if origins.is_empty() {
            return Err("give `*` or a comma-separated list of origins".into());
        }
        Ok(AllowedOrigins::List(origins))
    }
}

/// Origins that may make authenticated (bearer-token) cross-origin requests
/// (`CORS_WRITE_ORIGINS`): an explicit list, never `*`; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOrigins(pub Vec<http::HeaderValue>);

impl FromStr for WriteOrigins {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.parse::<AllowedOrigins>()? {
            AllowedOrigins::Any => Err(
                "`*` is not allowed for authenticated requests: list the origins of the apps that write"
                    .into(),
            ),
            AllowedOrigins::List(origins) => Ok(Self(origins)),
        }
    }
}

/// Settings every function's HTTP layer uses.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Origins that may call the API cross-origin without credentials.
    pub allowed_origins: AllowedOrigins,
    /// Origins that may also send an `Authorization` header cross-origin.
    pub write_origins: WriteOrigins,
    /// Largest request body accepted, in bytes (`MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Where the EMF metrics go and under which function name.
    pub metrics: crate::metrics::MetricsConfig,
}

impl HttpConfig {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Self::from_env_with_body_limit(env, crate::extract::DEFAULT_MAX_BODY_BYTES)
    }

    /// As [`HttpConfig::from_env`], for a function whose bodies are larger by
    /// nature: `default_max_body_bytes` applies when `MAX_BODY_BYTES` is unset,
    /// so a local run and the template agree without per-function variables.
    pub fn from_env_with_body_limit(
        env: &impl Env,
        default_max_body_bytes: usize,
    ) -> Result<Self, ConfigError> {
        let max_body_bytes = or_default(env, "MAX_BODY_BYTES", default_max_body_bytes)?;
        // API Gateway refuses payloads over 6 MB (10 MB for HTTP APIs before base64).
        if max_body_bytes == 0 || max_body_bytes > 6 * 1024 * 1024 {
            return Err(ConfigError::Malformed {
                name: "MAX_BODY_BYTES",
                reason: "must be between 1 and 6291456 (the Lambda payload limit)".into(),
            });
        }
        Ok(Self {
            allowed_origins: or_default(env, "CORS_ALLOWED_ORIGINS", AllowedOrigins::Any)?,
            write_origins: or_default(env, "CORS_WRITE_ORIGINS", WriteOrigins::default())?,
            max_body_bytes,
            metrics: crate::metrics::MetricsConfig::from_env(env)?,
        })
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            allowed_origins: AllowedOrigins::Any,
            write_origins: WriteOrigins::default(),
            max_body_bytes: crate::extract::DEFAULT_MAX_BODY_BYTES,
            metrics: crate::metrics::MetricsConfig::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_malformed_variables_are_named() {
        let env = [("MAX_BODY_BYTES", "lots")];
        let err = HttpConfig::from_env(&env).unwrap_err();
        assert!(err.to_string().contains("MAX_BODY_BYTES"), "{err}");

        let err = required::<String>(&[("OTHER", "x")], "API_TOKEN").unwrap_err();
        assert_eq!(err, ConfigError::Missing { name: "API_TOKEN" });
        assert!(err.to_string().contains("API_TOKEN"));
    }

    #[test]
    fn write_origins_are_a_list_never_any() {
        let err = HttpConfig::from_env(&[("CORS_WRITE_ORIGINS", "*")]).unwrap_err();
        assert!(err.to_string().contains("CORS_WRITE_ORIGINS"), "{err}");
        let config =
            HttpConfig::from_env(&[("CORS_WRITE_ORIGINS", "https://admin.example.com")]).unwrap();
        assert_eq!(config.write_origins.0, ["https://admin.example.com"]);
        assert!(
            HttpConfig::from_env(&[("X", "y")])
                .unwrap()
                .write_origins
                .0
                .is_empty()
        );
    }

    #[test]
    fn body_limit_is_bounded_by_lambda_payload_limit() {
        assert!(HttpConfig::from_env(&[("MAX_BODY_BYTES", "0")]).is_err());
        assert!(HttpConfig::from_env(&[("MAX_BODY_BYTES", "7000000")]).is_err());
        assert_eq!(
            HttpConfig::from_env(&[("MAX_BODY_BYTES", "2048")])
                .unwrap()
                .max_body_bytes,
            2048
        );
    }

    #[test]
    fn origins_parse_strictly() {
        assert_eq!("*".parse::<AllowedOrigins>(), Ok(AllowedOrigins::Any));
        assert!(matches!(
            "https://a.example, http://localhost:3000".parse::<AllowedOrigins>(),
            Ok(AllowedOrigins::List(list)) if list.len() == 2
        ));
        for bad in [
            "example.com",
            "https://a.example/path",
            "https://a.example/",
            ",",
        ] {
            assert!(bad.parse::<AllowedOrigins>().is_err(), "{bad}");
        }
    }

    #[test]
    fn empty_counts_as_unset() {
        let config = HttpConfig::from_env(&[("CORS_ALLOWED_ORIGINS", " ")]).unwrap();
        assert_eq!(config.allowed_origins, AllowedOrigins::Any);
    }
}
