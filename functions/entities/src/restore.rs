//! `POST /entities/restore`: encryption tokens back into text, for holders of
//! the write token.
//!
//! A text redacted with the `encrypt` operator carries `<enc:TYPE:...>`
//! tokens; this route replaces each with the value it sealed and leaves the
//! rest of the text as it is. One token that does not open (altered, cut,
//! made under another key or for another type) refuses the whole request
//! with a 422 that says where and why: a partly restored text is never
//! returned. Nothing of the texts, the tokens or the values is logged.

use std::sync::Arc;

use axum::{
    Json,
    extract::{FromRef, FromRequestParts, State},
};
use http::{header, request::Parts};
use serde::{Deserialize, Serialize};
use shared::{ApiError, FieldError, LocPart, ValidJson};

use crate::{
    key::{OpenError, RedactionKey, find_tokens},
    request::{MAX_BATCH_TEXTS, one_or_batch, string_list},
    secrets::Secrets,
};

/// Most characters of a restore request, in all its texts: what the body
/// limit (2 MiB) holds even when every character is written as an escaped
/// surrogate pair (12 bytes), so a longer text is always a 422 naming this
/// bound, never a 413. A token costs about 80 characters more than its value:
/// restore a longer redacted text in parts, cut anywhere outside a token
/// (tokens are independent of each other).
pub const MAX_RESTORE_CHARS: usize = 170_000;

/// Most bad tokens a 422 lists.
const MAX_REPORTED: usize = 10;

/// Proof that the request carries the write token. Checked before the body
/// is read, as on the other write routes.
#[derive(Debug, Clone, Copy)]
pub struct WriteTokenChecked;

fn not_configured() -> ApiError {
    ApiError::Unavailable {
        retry_after_secs: 3600,
        detail: "POST /entities/restore is not configured on this deployment: it needs the write \
                 token (API_TOKEN or API_TOKEN_SECRET_ARN) and a redaction key (REDACTION_KEY or \
                 REDACTION_KEY_SECRET_ARN)."
            .into(),
    }
}

impl<S> FromRequestParts<S> for WriteTokenChecked
where
    Arc<Secrets>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let secrets = Arc::<Secrets>::from_ref(state);
        let token = secrets.token().await?.ok_or_else(not_configured)?;
        token.check(parts.headers.get(header::AUTHORIZATION))?;
        Ok(Self)
    }
}

/// Texts with encryption tokens to turn back into the values they hold.
#[derive(Debug, Deserialize, garde::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "Ticket from <PERSON_3b1f0c8e2d4a6b7c> (<enc:EMAIL_ADDRESS:AZ3k...>)"}))]
pub struct RestoreRequest {
    /// One text (up to 170,000 characters; restore longer ones in parts cut
    /// outside a token). Send `text` or `texts`.
    #[serde(default)]
    #[garde(inner(length(chars, min = 1, max = MAX_RESTORE_CHARS)))]
    #[schema(min_length = 1, max_length = 170_000)]
    pub text: Option<String>,
    /// A batch: up to 64 texts, 170,000 characters in all; one result per
    /// text, in order.
    #[serde(default)]
    #[garde(inner(length(min = 1, max = MAX_BATCH_TEXTS), inner(length(chars, min = 1, max = MAX_RESTORE_CHARS))))]
    #[schema(schema_with = restore_texts_schema)]
    pub texts: Option<Vec<String>>,
}

fn restore_texts_schema() -> utoipa::openapi::schema::Schema {
    string_list(
        (1, MAX_BATCH_TEXTS),
        (1, MAX_RESTORE_CHARS),
        true,
        "A batch: up to 64 texts, 170,000 characters in all; one result per text, in order. Send `text` or `texts`, not both.",
    )
}

/// One text restored.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Restored {
    /// The text with every token replaced by its value.
    pub text: String,
    /// How many tokens were replaced.
    pub restored: usize,
}

/// The answer to a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RestoredBatch {
    pub results: Vec<Restored>,
}

/// One text's answer or a batch's.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum RestoreAnswer {
    One(Restored),
    Batch(RestoredBatch),
}

/// A token that did not open: where it is and why.
#[derive(Debug)]
struct BadToken {
    start: usize,
    end: usize,
    why: OpenError,
}

/// `text` with its tokens opened, or the tokens that did not open.
fn restore_text(key: &RedactionKey, text: &str) -> Result<Restored, Vec<BadToken>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut bad = Vec::new();
    let mut at = 0;
    let tokens = find_tokens(&chars);
    for token in &tokens {
        out.extend(&chars[at..token.start]);
        match key.open(&token.entity_type, &token.payload) {
            Ok(value) => out.push_str(&value),
            Err(why) => bad.push(BadToken {
                start: token.start,
                end: token.end,
                why,
            }),
        }
        at = token.end;
    }
    out.extend(&chars[at..]);
    if bad.is_empty() {
        Ok(Restored {
            text: out,
            restored: tokens.len(),
        })
    } else {
        Err(bad)
    }
}

/// Turn encryption tokens back into text (write token required).
///
/// Replaces every `<enc:TYPE:...>` token that the `encrypt` operator of
/// `POST /entities` wrote with the value it holds. A token that was altered,
/// cut, moved to another type or made under another key (a rotated key, or
/// another deployment) refuses the whole request with a 422 listing where
/// (code-point offsets) and why; nothing is partly restored. Nothing of the
/// texts is ever logged.
#[utoipa::path(
    post,
    path = "/entities/restore",
    tag = "entities",
    security(("bearer" = [])),
    request_body = RestoreRequest,
    responses(
        (status = 200, description = "The texts with their tokens opened (with `texts`, one result per text).", body = RestoreAnswer),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn restore(
    State(secrets): State<Arc<Secrets>>,
    _auth: WriteTokenChecked,
    ValidJson(request): ValidJson<RestoreRequest>,
) -> Result<Json<RestoreAnswer>, ApiError> {
    let key = secrets.key().await?.ok_or_else(not_configured)?;
    let loc = |field: &str| vec![LocPart::from("body"), LocPart::from(field)];
    let (texts, batch) = one_or_batch(request.text, request.texts, MAX_RESTORE_CHARS)?;
    let mut results = Vec::with_capacity(texts.len());
    let mut errors = Vec::new();
    for (index, text) in texts.iter().enumerate() {
        match restore_text(key, text) {
            Ok(restored) => results.push(restored),
            Err(bad) => {
                for token in bad {
                    let mut at = loc(if batch { "texts" } else { "text" });
                    if batch {
                        at.push(LocPart::Index(index));
                    }
                    errors.push(FieldError::new(
                        at,
                        "invalid_token",
                        format!(
                            "the token at characters {}..{} does not open: {}",
                            token.start, token.end, token.why
                        ),
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED);
        return Err(ApiError::Validation(errors));
    }
    Ok(Json(if batch {
        RestoreAnswer::Batch(RestoredBatch { results })
    } else {
        match results.pop() {
            Some(one) => RestoreAnswer::One(one),
            None => {
                return Err(ApiError::internal(std::io::Error::other(
                    "a single text gave no result",
                )));
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_open_in_place_and_bad_ones_are_located() {
        let key: RedactionKey = "an-example-secret-of-at-least-32-characters"
            .parse()
            .unwrap();
        let text = format!(
            "Dear {}, we wrote to {}.",
            key.seal("PERSON", "Zoë"),
            key.seal("EMAIL_ADDRESS", "zoe@example.com")
        );
        let restored = restore_text(&key, &text).unwrap();
        assert_eq!(restored.text, "Dear Zoë, we wrote to zoe@example.com.");
        assert_eq!(restored.restored, 2);

        let plain = restore_text(&key, "no tokens <enc: here").unwrap();
        assert_eq!(
            (plain.text.as_str(), plain.restored),
            ("no tokens <enc: here", 0)
        );

        let moved = text.replacen("<enc:PERSON:", "<enc:LOCATION:", 1);
        let bad = restore_text(&key, &moved).err().unwrap();
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].start, 5);
        assert_eq!(bad[0].why, OpenError::Tampered);
    }
}
