//! Bearer-token check for write routes, configured by `API_TOKEN`.
//!
//! On AWS an API Gateway authorizer checks tokens first; this check runs in the
//! function too, so the local run and the tests enforce exactly the same rule.
//! Comparison is constant-time over SHA-256 digests, which also hides the length.

use axum::extract::FromRequestParts;
use http::{header, request::Parts};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::ApiError;

/// The expected token, kept only as a digest.
#[derive(Clone)]
pub struct BearerToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(<redacted>)")
    }
}

/// Tokens shorter than this are refused at start-up: guessable secrets are worse
/// than a clear configuration error.
pub const MIN_TOKEN_CHARS: usize = 16;

impl std::str::FromStr for BearerToken {
    type Err = String;

    fn from_str(token: &str) -> Result<Self, Self::Err> {
        if token.chars().count() < MIN_TOKEN_CHARS {
            return Err(format!("must be at least {MIN_TOKEN_CHARS} characters"));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("must be printable ASCII without spaces".into());
        }
        Ok(Self {
            digest: Sha256::digest(token.as_bytes()).into(),
        })
    }
}

impl BearerToken {
    /// Checks an `Authorization` header value.
    pub fn check(&self, authorization: Option<&http::HeaderValue>) -> Result<(), ApiError> {
        let Some(value) = authorization else {
            return Err(ApiError::Unauthorized);
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then_some(token.trim())
            })
            .ok_or(ApiError::Unauthorized)?;
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        if bool::from(digest.ct_eq(&self.digest)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

/// State that can hand out the configured token.
pub trait HasBearerToken {
    fn bearer_token(&self) -> &BearerToken;
}

impl<T: HasBearerToken> HasBearerToken for std::sync::Arc<T> {
    fn bearer_token(&self) -> &BearerToken {
        T::bearer_token(self)
    }
}

/// Extractor proving the request carried the right bearer token.
#[derive(Debug, Clone, Copy)]
pub struct Authorized;

impl<S> FromRequestParts<S> for Authorized
where
    S: HasBearerToken + Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        state
            .bearer_token()
            .check(parts.headers.get(header::AUTHORIZATION))
            .map(|()| Authorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(value: &str) -> http::HeaderValue {
        value.parse().unwrap()
    }

    #[test]
    fn right_wrong_and_missing_tokens() {
        let token: BearerToken = "correct-horse-battery".parse().unwrap();
        assert!(
            token
                .check(Some(&header("Bearer correct-horse-battery")))
                .is_ok()
        );
        assert!(
            token
                .check(Some(&header("bearer correct-horse-battery")))
                .is_ok()
        );
        assert!(matches!(token.check(None), Err(ApiError::Unauthorized)));
        assert!(matches!(
            token.check(Some(&header("Basic abc"))),
            Err(ApiError::Unauthorized)
        ));
        assert!(matches!(
            token.check(Some(&header("Bearer correct-horse-batterY"))),
            Err(ApiError::Forbidden)
        ));
    }

    #[test]
    fn weak_tokens_are_refused_and_never_printed() {
        assert!("short".parse::<BearerToken>().is_err());
        assert!("has a space inside it".parse::<BearerToken>().is_err());
        let token: BearerToken = "correct-horse-battery".parse().unwrap();
        assert!(!format!("{token:?}").contains("horse"));
    }
}
