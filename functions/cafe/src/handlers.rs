//! HTTP handlers: parse and check the request, call the store, shape the answer.
//! The request and response bodies are in `dto`, the idempotency protocol's
//! pieces in `idempotency`, the page cursor in `cursor`.

use axum::{
    Json,
    extract::{Path, State},
    response::{IntoResponse, Response},
};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use shared::{
    ApiError, FieldError, LocPart, ValidJson, ValidQuery,
    auth::Authorized,
    conditional::IfMatch,
    extract::{from_json_value, validate},
};
use time::OffsetDateTime;

use crate::{
    AppState,
    cursor::{decode_cursor, encode_cursor},
    dto::{ItemPage, ListQuery, MergePatch},
    idempotency::{IDEMPOTENT_REPLAYED, fingerprint, idempotency_key, key_hash},
    model::{Item, ItemId, ItemInput},
    store::{Claim, ListFilter, StoreError},
};

/// Read-modify-write attempts of an update without `If-Match` before giving up.
const UPDATE_ATTEMPTS: usize = 5;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(reason) => ApiError::store_unavailable("menu", &reason),
            other => ApiError::internal(other),
        }
    }
}

// ---------------------------------------------------------------- create

/// Create a menu item.
///
/// Send an `Idempotency-Key` to make retries safe: a retry with the same key and
/// body answers with the item the first attempt created (and
/// `Idempotent-Replayed: true`); the same key with another body is a 422.
#[utoipa::path(
    post,
    path = "/items",
    tag = "cafe",
    security(("bearer" = [])),
    params(
        ("Idempotency-Key" = Option<String>, Header,
            description = "1-255 printable ASCII characters, unique per intended item; kept for 24 hours."),
    ),
    request_body = ItemInput,
    responses(
        (status = 201, description = "Created (or replayed, with `Idempotent-Replayed: true`).", body = Item,
            headers(
                ("Location" = String, description = "Path of the new item."),
                ("ETag" = String, description = "The item's version, for `If-Match`."),
            )),
        (status = 409, response = shared::openapi::Conflict),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn create_item(
    State(state): State<AppState>,
    _auth: Authorized,
    headers: HeaderMap,
    ValidJson(input): ValidJson<ItemInput>,
) -> Result<Response, ApiError> {
    let input = input.normalized();
    let now = OffsetDateTime::now_utc();
    let store = state.store();
    let idempotency = idempotency_key(&headers)?.map(|key| (key_hash(&key), fingerprint(&input)));

    let mut item_id = ItemId::new();
    if let Some((key_hash, fingerprint)) = &idempotency {
        match store
            .claim_idempotency_key(key_hash, item_id, fingerprint, now)
            .await?
        {
            Claim::Fresh => {}
            Claim::Existing {
                item_id: claimed,
                fingerprint: claimed_fingerprint,
                completed,
            } => {
                if &claimed_fingerprint != fingerprint {
                    return Err(ApiError::validation(
                        vec!["header".into(), "idempotency-key".into()],
                        "idempotency_key_reused",
                        "This Idempotency-Key was already used with a different body; use a new key.",
                    ));
                }
                if let Some(existing) = store.get(claimed).await? {
                    return Ok(created(&existing, true));
                }
                if completed {
                    return Err(ApiError::Conflict {
                        detail:
                            "The item created with this Idempotency-Key has since been deleted."
                                .into(),
                    });
                }
                // An earlier attempt claimed the key but did not create the item
                // (it failed or is still running): create it under the same id,
                // so whichever attempt writes first wins and both answer alike.
                item_id = claimed;
            }
        }
    }

    let item = Item::create(item_id, input, state.default_currency(), now);
    match store.put_new(&item).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed) if idempotency.is_some() => {
            // A concurrent retry with the same key wrote it first.
            let existing = store.get(item_id).await?.ok_or_else(|| {
                ApiError::internal(StoreError::Other("created item not readable".into()))
            })?;
            return Ok(created(&existing, true));
        }
        Err(err) => return Err(err.into()),
    }
    if let Some((key_hash, _)) = &idempotency
        && let Err(err) = store.complete_idempotency_key(key_hash).await
    {
        // The item exists; only the deleted-then-retried edge case is affected.
        tracing::warn!(error = %err, "could not mark idempotency key completed");
    }
    Ok(created(&item, false))
}

fn created(item: &Item, replayed: bool) -> Response {
    let mut response = (StatusCode::CREATED, Json(item)).into_response();
    let headers = response.headers_mut();
    if let Ok(location) = HeaderValue::from_str(&format!("/items/{}", item.id)) {
        headers.insert(header::LOCATION, location);
    }
    insert_etag(headers, item);
    if replayed {
        headers.insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

// ---------------------------------------------------------------- list

/// List menu items.
///
/// Items come in creation order, `limit` at a time; pass `next_cursor` back as
/// `cursor` for the next page. Filters combine.
#[utoipa::path(
    get,
    path = "/items",
    tag = "cafe",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of items.", body = ItemPage),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn list_items(
    State(state): State<AppState>,
    ValidQuery(query): ValidQuery<ListQuery>,
) -> Result<Json<ItemPage>, ApiError> {
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = ListFilter {
        category: query.category,
        is_offer: query.is_offer,
    };
    let page = state
        .store()
        .list(&filter, query.limit as usize, after)
        .await?;
    Ok(Json(ItemPage {
        items: page.items,
        next_cursor: page.next_after.map(encode_cursor),
    }))
}

// ---------------------------------------------------------------- read

/// Read one menu item.
#[utoipa::path(
    get,
    path = "/items/{id}",
    tag = "cafe",
    params(
        ("id" = ItemId, Path, description = "The item's id."),
        ("If-None-Match" = Option<String>, Header, description = "An `ETag` you hold; 304 when it is still current."),
    ),
    responses(
        (status = 200, description = "The item.", body = Item,
            headers(("ETag" = String, description = "The item's version, for `If-Match` and `If-None-Match`."))),
        (status = 304, description = "Not modified: the `ETag` sent is current.",
            headers(("ETag" = String, description = "The item's version."))),
        (status = 404, response = shared::openapi::NotFound),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn get_item(
    State(state): State<AppState>,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw_id)?;
    let item = state.store().get(id).await?.ok_or_else(|| not_found(id))?;
    if shared::conditional::if_none_match(&headers, &item.etag()) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        insert_etag(response.headers_mut(), &item);
        return Ok(response);
    }
    Ok(item_response(&item))
}

fn item_response(item: &Item) -> Response {
    let mut response = Json(item).into_response();
    insert_etag(response.headers_mut(), item);
    response
}

fn insert_etag(headers: &mut HeaderMap, item: &Item) {
    if let Ok(etag) = HeaderValue::from_str(&item.etag()) {
        headers.insert(header::ETAG, etag);
    }
    // Clients may cache an item but must revalidate it (cheaply, with its ETag).
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

fn parse_id(raw: &str) -> Result<ItemId, ApiError> {
    raw.parse().map_err(|msg: &str| {
        ApiError::validation(vec!["path".into(), "id".into()], "value_error", msg)
    })
}

fn not_found(id: ItemId) -> ApiError {
    ApiError::NotFound {
        detail: format!("No item has the id {id}."),
    }
}

// ---------------------------------------------------------------- conditions

fn stale(item_etag: Option<String>) -> ApiError {
    ApiError::PreconditionFailed {
        detail: match item_etag {
            Some(etag) => {
                format!("The item has changed (its ETag is now {etag}); fetch it again and retry.")
            }
            None => {
                "The item has changed since the ETag in If-Match; fetch it again and retry.".into()
            }
        },
    }
}

// ---------------------------------------------------------------- update

/// Applies `change` to the current item and writes the result only if nobody
/// wrote in between (conditional on the version read). With `If-Match`, a
/// concurrent write means the client's view is stale: 412. Without it, the
/// change is re-applied to the fresh item, a few times at most.
async fn update_item<F>(
    state: &AppState,
    id: ItemId,
    if_match: Option<IfMatch>,
    change: F,
) -> Result<Item, ApiError>
where
    F: Fn(&Item) -> Result<ItemInput, ApiError>,
{
    let store = state.store();
    for _ in 0..UPDATE_ATTEMPTS {
        let current = store.get(id).await?.ok_or_else(|| not_found(id))?;
        if let Some(condition) = &if_match
            && !condition.matches(&current.etag())
        {
            return Err(stale(Some(current.etag())));
        }
        let input = change(&current)?.normalized();
        if input == current.input().normalized() {
            return Ok(current); // nothing changes: no write, same version
        }
        let updated = current.replaced(input, state.default_currency(), OffsetDateTime::now_utc());
        match store.replace(&updated, current.version).await {
            Ok(()) => return Ok(updated),
            Err(StoreError::ConditionFailed) if if_match.is_some() => return Err(stale(None)),
            Err(StoreError::ConditionFailed) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(ApiError::Conflict {
        detail: "The item is being changed by other requests right now; retry.".into(),
    })
}

/// Replace a menu item.
///
/// Send the item's `ETag` in `If-Match` so a concurrent change is not overwritten
/// (412 instead). Without it, the last write wins.
#[utoipa::path(
    put,
    path = "/items/{id}",
    tag = "cafe",
    security(("bearer" = [])),
    params(
        ("id" = ItemId, Path, description = "The item's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on, or `*`."),
    ),
    request_body = ItemInput,
    responses(
        (status = 200, description = "The item as stored.", body = Item,
            headers(("ETag" = String, description = "The item's new version."))),
        (status = 404, response = shared::openapi::NotFound),
        (status = 409, response = shared::openapi::Conflict),
        (status = 412, response = shared::openapi::PreconditionFailed),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn replace_item(
    State(state): State<AppState>,
    _auth: Authorized,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    ValidJson(input): ValidJson<ItemInput>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw_id)?;
    let item = update_item(&state, id, IfMatch::from_headers(&headers), |_| {
        Ok(input.clone())
    })
    .await?;
    Ok(item_response(&item))
}

/// Change some fields of a menu item (JSON merge patch, RFC 7396).
///
/// Members replace the item's fields; `null` removes an optional one. The result
/// must be a valid item. `If-Match` works as for `PUT`.
#[utoipa::path(
    patch,
    path = "/items/{id}",
    tag = "cafe",
    security(("bearer" = [])),
    params(
        ("id" = ItemId, Path, description = "The item's id."),
        ("If-Match" = Option<String>, Header, description = "The `ETag` the change is based on, or `*`."),
    ),
    request_body(content(
        (MergePatch = "application/merge-patch+json"),
        (MergePatch = "application/json"),
    )),
    responses(
        (status = 200, description = "The item as stored.", body = Item,
            headers(("ETag" = String, description = "The item's new version."))),
        (status = 404, response = shared::openapi::NotFound),
        (status = 409, response = shared::openapi::Conflict),
        (status = 412, response = shared::openapi::PreconditionFailed),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn patch_item(
    State(state): State<AppState>,
    _auth: Authorized,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
    ValidJson(patch): ValidJson<MergePatch>,
) -> Result<Response, ApiError> {
    let id = parse_id(&raw_id)?;
    // A member naming no field is a client mistake even when it is `null`
    // (which RFC 7396 would silently ignore): say so, as for any other body.
    let unknown: Vec<FieldError> = patch
        .0
        .keys()
        .filter(|key| !ItemInput::FIELDS.contains(&key.as_str()))
        .map(|key| {
            FieldError::new(
                vec!["body".into(), LocPart::client_key(key)],
                "extra_forbidden",
                "Extra inputs are not permitted",
            )
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Validation(unknown));
    }
    let patch = serde_json::Value::Object(patch.0);
    // No rule of an item relates two fields, so a member that is invalid on any
    // item is invalid on this one: check the patch on a stand-in first, and
    // answer 422 before reading the item or weighing If-Match, as PUT does.
    apply_patch(&STAND_IN, &patch)?;
    let item = update_item(&state, id, IfMatch::from_headers(&headers), |current| {
        let current = serde_json::to_value(current.input()).map_err(ApiError::internal)?;
        apply_patch(&current, &patch)
    })
    .await?;
    Ok(item_response(&item))
}

/// A valid item body that every patch can be tried on.
static STAND_IN: std::sync::LazyLock<serde_json::Value> =
    std::sync::LazyLock::new(|| serde_json::json!({"name": "stand-in", "price": "0.00"}));

/// `patch` merged into `document`, parsed and checked as a whole item.
fn apply_patch(
    document: &serde_json::Value,
    patch: &serde_json::Value,
) -> Result<ItemInput, ApiError> {
    let mut document = document.clone();
    json_patch::merge(&mut document, patch);
    let input: ItemInput = from_json_value(document, "body")?;
    validate(&input, "body")?;
    Ok(input)
}

// ---------------------------------------------------------------- delete

/// Delete a menu item.
#[utoipa::path(
    delete,
    path = "/items/{id}",
    tag = "cafe",
    security(("bearer" = [])),
    params(
        ("id" = ItemId, Path, description = "The item's id."),
        ("If-Match" = Option<String>, Header, description = "Delete only if the item is still at this `ETag`."),
    ),
    responses(
        (status = 204, description = "Deleted."),
        (status = 404, response = shared::openapi::NotFound),
        (status = 412, response = shared::openapi::PreconditionFailed),
        (status = 503, response = shared::openapi::Unavailable),
    )
)]
pub async fn delete_item(
    State(state): State<AppState>,
    _auth: Authorized,
    Path(raw_id): Path<String>,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&raw_id)?;
    let store = state.store();
    let expected_version = match IfMatch::from_headers(&headers) {
        None => None,
        Some(condition) => {
            let current = store.get(id).await?.ok_or_else(|| not_found(id))?;
            if !condition.matches(&current.etag()) {
                return Err(stale(Some(current.etag())));
            }
            Some(current.version)
        }
    };
    match store.delete(id, expected_version).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(StoreError::ConditionFailed) if expected_version.is_some() => Err(stale(None)),
        Err(StoreError::ConditionFailed) => Err(not_found(id)),
        Err(err) => Err(err.into()),
    }
}
