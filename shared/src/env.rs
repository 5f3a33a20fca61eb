//! Reading environment variables: the one source of configuration, behind a
//! trait so tests pass a map. A leaf module: it imports nothing from the crate.

use std::{fmt::Display, str::FromStr};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("environment variable {name} is required but not set")]
    Missing { name: &'static str },
    #[error("environment variable {name} is malformed: {reason}")]
    Malformed { name: &'static str, reason: String },
}

/// Source of variables: the process environment in production, a map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    }
}

/// An optional variable; empty counts as unset.
pub fn optional<T>(env: &impl Env, name: &'static str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    match env.get(name).filter(|value| !value.trim().is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse()
            .map(Some)
            .map_err(|err: T::Err| ConfigError::Malformed {
                name,
                reason: err.to_string(),
            }),
    }
}

/// A variable that must be set.
pub fn required<T>(env: &impl Env, name: &'static str) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    optional(env, name)?.ok_or(ConfigError::Missing { name })
}

/// A variable with a default when unset.
pub fn or_default<T>(env: &impl Env, name: &'static str, default: T) -> Result<T, ConfigError>
where
    T: FromStr,
    T::Err: Display,
{
    Ok(optional(env, name)?.unwrap_or(default))
}

/// An optional `http://` or `https://` URL, such as a local server's endpoint
/// (`DYNAMODB_ENDPOINT`): without its scheme the SDK would fail later, on the
/// first request, with a message that does not name the variable.
pub fn optional_url(env: &impl Env, name: &'static str) -> Result<Option<String>, ConfigError> {
    let url: Option<String> = optional(env, name)?;
    match url {
        Some(url) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            Err(ConfigError::Malformed {
                name,
                reason: "must be a URL with its scheme, like http://127.0.0.1:8000".into(),
            })
        }
        url => Ok(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_need_their_scheme() {
        let ok = [("URL", "http://127.0.0.1:8000")];
        assert_eq!(
            optional_url(&ok, "URL"),
            Ok(Some("http://127.0.0.1:8000".into()))
        );
        assert_eq!(optional_url(&[("URL", " ")], "URL"), Ok(None));
        assert!(matches!(
            optional_url(&[("URL", "127.0.0.1:8000")], "URL"),
            Err(ConfigError::Malformed { name: "URL", .. })
        ));
    }
}
