//! The `Idempotency-Key` protocol of `POST /items`: the header's rules, and
//! what the store keeps of a key and a body (hashes, never the text).

use http::{HeaderMap, HeaderName};
use sha2::{Digest, Sha256};
use shared::ApiError;

use crate::model::ItemInput;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");
const IDEMPOTENCY_KEY_MAX_CHARS: usize = 255;

/// The request's key, `None` without the header, a 422 when it breaks the rules.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let key = value.to_str().ok().map(str::trim).filter(|key| {
        (1..=IDEMPOTENCY_KEY_MAX_CHARS).contains(&key.len())
            && key.bytes().all(|b| b.is_ascii_graphic())
    });
    match key {
        Some(key) => Ok(Some(key.to_owned())),
        None => Err(ApiError::validation(
            vec!["header".into(), "idempotency-key".into()],
            "value_error",
            format!(
                "must be 1-{IDEMPOTENCY_KEY_MAX_CHARS} printable ASCII characters without spaces"
            ),
        )),
    }
}

pub fn key_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Identifies a create body; the same key with another body is refused.
pub fn fingerprint(input: &ItemInput) -> String {
    hex(&Sha256::digest(
        serde_json::to_vec(input).unwrap_or_default(),
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
