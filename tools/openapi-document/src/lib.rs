//! The API's one OpenAPI document, assembled from each function's own.
//!
//! Every function describes its routes with `#[utoipa::path]` on the handlers;
//! this crate merges those parts, refusing two parts that define the same
//! operation or the same schema name differently, and applies the shared rules
//! of [`shared::openapi`] (error responses, `HEAD` routes, bearer security).
//! The docs function serves the result, committed as `functions/docs/openapi.json`.

use std::path::PathBuf;

use utoipa::openapi::{
    self, ComponentsBuilder, InfoBuilder, LicenseBuilder, OpenApiBuilder, ServerBuilder,
    path::PathItem,
};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("{path} {method} is defined by two functions")]
    DuplicateOperation { path: String, method: &'static str },
    #[error("two different schemas are named {0}; give one `#[schema(as = ...)]`")]
    SchemaNameClash(String),
    #[error("two different responses are named {0}")]
    ResponseNameClash(String),
}

const DESCRIPTION: &str = "\
Machine-learning and CRUD endpoints as Rust AWS Lambda functions behind one \
API Gateway HTTP API: a cafe menu in DynamoDB, a Bitcoin close forecaster and a \
named-entity and personal-data redactor, both running ONNX models in-process.

**Errors** are RFC 9457 `application/problem+json` documents with a stable \
`type`; a 422 lists every failed field in `errors` with its `loc`, as FastAPI does.

**Writes** (cafe create/update/delete, `POST /train`) need `Authorization: Bearer \
<token>`; use *Authorize* above. Reads, `/predict` and `/entities` are public and \
rate-limited by API Gateway.";

/// Where each function's document part comes from, in the order of the routes
/// table.
fn parts() -> Vec<openapi::OpenApi> {
    vec![
        health::openapi(),
        cafe::openapi(),
        predict::openapi(),
        train::openapi(),
        entities::openapi(),
        docs::openapi(),
    ]
}

/// The whole API's document.
pub fn document() -> Result<openapi::OpenApi, DocumentError> {
    let mut document = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("serverless-ml-api")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(DESCRIPTION))
                .license(Some(
                    LicenseBuilder::new()
                        .name("MIT OR Apache-2.0")
                        .identifier(Some("MIT OR Apache-2.0"))
                        .build(),
                )),
        )
        // The API's root on the host the document came from. The docs function
        // puts the stage in front when the API is served under a named stage.
        .servers(Some([ServerBuilder::new()
            .url("/")
            .description(Some("This deployment"))
            .build()]))
        .components(Some(ComponentsBuilder::new().build()))
        .build();
    for part in parts() {
        merge(&mut document, part)?;
    }
    let components = document.components.get_or_insert_with(Default::default);
    shared::openapi::add_shared_components(components);
    shared::openapi::complete_operations(&mut document);
    let head_paths = shared::routes::ROUTES
        .iter()
        .filter(|route| route.method == "HEAD")
        .map(|route| route.path);
    shared::openapi::add_head_operations(&mut document, head_paths);
    Ok(document)
}

/// The document as the docs function serves it: pretty JSON, newline-terminated.
pub fn document_json() -> Result<String, DocumentError> {
    let json = serde_json::to_string_pretty(&document()?).unwrap_or_default();
    Ok(json + "\n")
}

/// The committed copy the docs function embeds.
pub fn committed_path() -> PathBuf {
    manifest_dir().join("../../functions/docs/openapi.json")
}

fn merge(into: &mut openapi::OpenApi, part: openapi::OpenApi) -> Result<(), DocumentError> {
    for (path, item) in part.paths.paths {
        match into.paths.paths.get_mut(&path) {
            None => {
                into.paths.paths.insert(path, item);
            }
            Some(existing) => merge_path_item(&path, existing, item)?,
        }
    }
    if let Some(components) = part.components {
        let target = into.components.get_or_insert_with(Default::default);
        for (name, schema) in components.schemas {
            match target.schemas.get(&name) {
                Some(known) if !same(known, &schema) => {
                    return Err(DocumentError::SchemaNameClash(name));
                }
                _ => {
                    target.schemas.insert(name, schema);
                }
            }
        }
        for (name, response) in components.responses {
            match target.responses.get(&name) {
                Some(known) if !same(known, &response) => {
                    return Err(DocumentError::ResponseNameClash(name));
                }
                _ => {
                    target.responses.insert(name, response);
                }
            }
        }
    }
    let tags = into.tags.get_or_insert_with(Vec::new);
    for tag in part.tags.unwrap_or_default() {
        if !tags.iter().any(|known| known.name == tag.name) {
            tags.push(tag);
        }
    }
    Ok(())
}

fn merge_path_item(
    path: &str,
    existing: &mut PathItem,
    item: PathItem,
) -> Result<(), DocumentError> {
    let slots = [
        ("GET", &mut existing.get, item.get),
        ("PUT", &mut existing.put, item.put),
        ("POST", &mut existing.post, item.post),
        ("DELETE", &mut existing.delete, item.delete),
        ("OPTIONS", &mut existing.options, item.options),
        ("HEAD", &mut existing.head, item.head),
        ("PATCH", &mut existing.patch, item.patch),
        ("TRACE", &mut existing.trace, item.trace),
    ];
    for (method, slot, operation) in slots {
        if let Some(operation) = operation {
            if slot.is_some() {
                return Err(DocumentError::DuplicateOperation {
                    path: path.to_owned(),
                    method,
                });
            }
            *slot = Some(operation);
        }
    }
    Ok(())
}

fn same<T: serde::Serialize>(a: &T, b: &T) -> bool {
    serde_json::to_value(a).ok() == serde_json::to_value(b).ok()
}

/// This package's folder. Read when the program runs (cargo sets it for `cargo
/// run`, `cargo test` and `cargo bench`), so an artifact built in another
/// checkout sharing the target directory still finds this checkout's files.
fn manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
