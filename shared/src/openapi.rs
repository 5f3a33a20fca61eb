//! OpenAPI pieces every function's document shares.
//!
//! Each function annotates its own handlers (`#[utoipa::path]`) and lists only
//! what is specific to them. What the shared HTTP layer does for every route is
//! added here, by rule, so the document says what the code does:
//!
//! - [`complete_operations`] gives every operation the error responses the shared
//!   extractors and middleware produce (400/413/415/422 for a body, 422 for
//!   parameters, 401/403 where a bearer token is required, 500 everywhere);
//! - [`add_head_operations`] documents the `HEAD` routes, which axum answers with
//!   the `GET` handler minus the body;
//! - the problem+json responses are components named after the failure
//!   ([`NotFound`], [`Unavailable`], ...) that annotations refer to with
//!   `response = shared::openapi::NotFound`.

use utoipa::{
    PartialSchema, ToResponse, ToSchema,
    openapi::{
        Components, Content, OpenApi, RefOr, Response, ResponseBuilder,
        header::HeaderBuilder,
        path::{Operation, PathItem},
        schema::{ObjectBuilder, Ref, Type},
        security::{Http, HttpAuthScheme, SecurityScheme},
    },
};

use crate::error::{PROBLEM_JSON, Problem};

/// Name of the bearer security scheme; write routes annotate
/// `security(("bearer" = []))`.
pub const BEARER_SCHEME: &str = "bearer";

fn problem_content() -> Content {
    Content::new(Some(Ref::from_schema_name(Problem::name())))
}

/// A problem response whose example has the right `type` and `status`.
fn problem_response(description: &str, status: u16, slug: &str, detail: &str) -> ResponseBuilder {
    let title = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|status| status.canonical_reason())
        .unwrap_or("Error");
    let example = serde_json::json!({
        "type": format!("{}{slug}", crate::error::PROBLEM_TYPE_PREFIX),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "/items/01JQ3ZK8V4N6T2W9Y5B7C1D3E5",
        "request_id": "9b2f3c1e-6a55-4a8e-9d43-2b1f0c8e7a10",
    });
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, {
            let mut content = problem_content();
            content.example = Some(example);
            content
        })
}

fn seconds_header(description: &str) -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        ))
        .description(Some(description))
        .build()
}

fn challenge_header() -> utoipa::openapi::Header {
    HeaderBuilder::new()
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some("The bearer challenge (RFC 6750)."))
        .build()
}

/// Declares a unit struct per problem response, usable in annotations as
/// `(status = 404, response = NotFound)`, and the list of all of them.
macro_rules! problem_responses {
    ($($name:ident ($status:literal, $slug:literal, $detail:literal) => $description:literal
        $(, $header:literal : $make_header:expr)?;)*) => {
        $(
            #[doc = $description]
            pub struct $name;

            impl<'r> ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<Response>) {
                    #[allow(unused_mut)]
                    let mut response = problem_response($description, $status, $slug, $detail);
                    $( response = response.header($header, $make_header); )?
                    (stringify!($name), response.build().into())
                }
            }
        )*

        /// Every problem response, for the document's `components.responses`.
        pub fn problem_response_components() -> Vec<(String, RefOr<Response>)> {
            vec![$({
                let (name, response) = <$name as ToResponse>::response();
                (name.to_owned(), response)
            }),*]
        }
    };
}

problem_responses! {
    MalformedJson (400, "malformed-json", "The body is not valid JSON (EOF while parsing an object at line 1 column 9).")
        => "The body is not valid JSON, or not a JSON object.";
    PayloadTooLarge (413, "payload-too-large", "The body exceeds the limit of 1048576 bytes.")
        => "The body is larger than this endpoint accepts; `detail` states the limit.";
    UnsupportedMediaType (415, "unsupported-media-type", "Send the body with `Content-Type: application/json`.")
        => "The body is not sent as `application/json`.";
    ValidationError (422, "validation-error", "The request has 1 invalid field(s); see `errors`.")
        => "A field, parameter or header fails its rules; `errors` lists each with its `loc`.";
    Unauthorized (401, "unauthorized", "This operation needs a bearer token: send `Authorization: Bearer <token>`.")
        => "No bearer token was sent.", "WWW-Authenticate": challenge_header();
    Forbidden (403, "forbidden", "The bearer token is not valid for this operation.")
        => "The bearer token is wrong.", "WWW-Authenticate": challenge_header();
    NotFound (404, "not-found", "No item has the id 01JQ3ZK8V4N6T2W9Y5B7C1D3E5.")
        => "No resource has this id.";
    Conflict (409, "conflict", "The item is being changed by other requests right now; retry.")
        => "Concurrent writes kept this one from completing; retry.";
    PreconditionFailed (412, "precondition-failed", "The item has changed (its ETag is now \"3\"); fetch it again and retry.")
        => "`If-Match` does not match the resource's current `ETag`.";
    Unavailable (503, "service-unavailable", "The menu store is temporarily unavailable; retry shortly.")
        => "A dependency (the database, a model) is unavailable; retry after `Retry-After` seconds.",
        "Retry-After": seconds_header("Seconds to wait before retrying.");
    InternalError (500, "internal-error", "The server failed to handle this request. It has been logged; retrying may help.")
        => "The function failed unexpectedly. Nothing internal is disclosed; `request_id` identifies the log line.";
}

/// The schemas the shared responses refer to: `Problem` and what it nests.
pub fn problem_schemas() -> Vec<(String, RefOr<utoipa::openapi::schema::Schema>)> {
    let mut schemas = vec![(
        Problem::name().into_owned(),
        <Problem as PartialSchema>::schema(),
    )];
    <Problem as ToSchema>::schemas(&mut schemas);
    schemas
}

/// Adds the shared schemas, responses and the bearer scheme to `components`.
pub fn add_shared_components(components: &mut Components) {
    for (name, schema) in problem_schemas() {
        components.schemas.insert(name, schema);
    }
    for (name, response) in problem_response_components() {
        components.responses.insert(name, response);
    }
    let mut bearer = Http::new(HttpAuthScheme::Bearer);
    bearer.description = Some(
        "The API token (`API_TOKEN` locally; in AWS, the Secrets Manager secret \
         the stack's `ApiTokenSecretArn` names, checked by the API's Lambda \
         authorizer and again by the function). Required by every write route."
            .into(),
    );
    components
        .security_schemes
        .insert(BEARER_SCHEME.into(), RefOr::T(SecurityScheme::Http(bearer)));
}

fn reference(name: &str) -> RefOr<Response> {
    RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
}

fn add_response(operation: &mut Operation, status: &str, name: &str) {
    operation
        .responses
        .responses
        .entry(status.to_owned())
        .or_insert_with(|| reference(name));
}

/// Gives each operation the responses the shared layer produces for it.
pub fn complete_operations(document: &mut OpenApi) {
    for item in document.paths.paths.values_mut() {
        for operation in operations_mut(item) {
            let has_body = operation.request_body.is_some();
            let has_parameters = operation
                .parameters
                .as_ref()
                .is_some_and(|parameters| !parameters.is_empty());
            let secured = operation
                .security
                .as_ref()
                .is_some_and(|requirements| !requirements.is_empty());
            if has_body {
                add_response(operation, "400", "MalformedJson");
                add_response(operation, "413", "PayloadTooLarge");
                add_response(operation, "415", "UnsupportedMediaType");
            }
            if has_body || has_parameters {
                add_response(operation, "422", "ValidationError");
            }
            if secured {
                add_response(operation, "401", "Unauthorized");
                add_response(operation, "403", "Forbidden");
            }
            add_response(operation, "500", "InternalError");
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        item.get.as_mut(),
        item.put.as_mut(),
        item.post.as_mut(),
        item.delete.as_mut(),
        item.options.as_mut(),
        item.head.as_mut(),
        item.patch.as_mut(),
        item.trace.as_mut(),
    ]
    .into_iter()
    .flatten()
}

/// Documents `HEAD` at each of `paths` as its `GET` without response bodies.
/// A path without a `GET` is left alone (the route test then reports it).
pub fn add_head_operations<'a>(document: &mut OpenApi, paths: impl IntoIterator<Item = &'a str>) {
    let shared_responses = document
        .components
        .as_ref()
        .map(|components| components.responses.clone())
        .unwrap_or_default();
    for path in paths {
        let Some(item) = document.paths.paths.get_mut(path) else {
            continue;
        };
        let Some(get) = &item.get else { continue };
        let mut head = get.clone();
        head.operation_id = head.operation_id.map(|id| format!("head_{id}"));
        head.summary = head
            .summary
            .map(|summary| format!("{summary} (headers only)"));
        for response in head.responses.responses.values_mut() {
            // A shared response is a reference to one with a body: inline it
            // without the body, which HEAD never has.
            if let RefOr::Ref(reference) = response
                && let Some(RefOr::T(shared)) = reference
                    .ref_location
                    .rsplit('/')
                    .next()
                    .and_then(|name| shared_responses.get(name))
            {
                *response = RefOr::T(shared.clone());
            }
            if let RefOr::T(response) = response {
                response.content.clear();
            }
        }
        item.head = Some(head);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::openapi::{OpenApiBuilder, path::HttpMethod, path::OperationBuilder};

    #[test]
    fn operations_get_the_shared_responses_by_rule() {
        let post = OperationBuilder::new()
            .request_body(Some(utoipa::openapi::request_body::RequestBody::new()))
            .security(utoipa::openapi::security::SecurityRequirement::new::<
                &str,
                [&str; 0],
                &str,
            >(BEARER_SCHEME, []))
            .build();
        let get = OperationBuilder::new().build();
        let mut document = OpenApiBuilder::new()
            .paths(
                utoipa::openapi::PathsBuilder::new()
                    .path("/a", PathItem::new(HttpMethod::Post, post))
                    .path("/b", PathItem::new(HttpMethod::Get, get)),
            )
            .build();
        complete_operations(&mut document);
        let statuses = |path: &str, method: fn(&PathItem) -> &Option<Operation>| {
            let item = &document.paths.paths[path];
            method(item)
                .as_ref()
                .map(|op| op.responses.responses.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(
            statuses("/a", |item| &item.post),
            ["400", "401", "403", "413", "415", "422", "500"]
        );
        assert_eq!(statuses("/b", |item| &item.get), ["500"]);
    }

    #[test]
    fn each_example_has_the_type_and_status_the_error_renders() {
        use crate::ApiError;
        let cases = [
            (
                "MalformedJson",
                ApiError::MalformedJson { detail: "x".into() },
            ),
            (
                "PayloadTooLarge",
                ApiError::PayloadTooLarge { limit_bytes: 1 },
            ),
            (
                "UnsupportedMediaType",
                ApiError::UnsupportedMediaType {
                    expected: "application/json",
                },
            ),
            ("ValidationError", ApiError::Validation(Vec::new())),
            ("Unauthorized", ApiError::Unauthorized),
            ("Forbidden", ApiError::Forbidden),
            ("NotFound", ApiError::NotFound { detail: "x".into() }),
            ("Conflict", ApiError::Conflict { detail: "x".into() }),
            (
                "PreconditionFailed",
                ApiError::PreconditionFailed { detail: "x".into() },
            ),
            (
                "Unavailable",
                ApiError::Unavailable {
                    retry_after_secs: 1,
                    detail: "x".into(),
                },
            ),
            (
                "InternalError",
                ApiError::internal(std::io::Error::other("x")),
            ),
        ];
        let responses: std::collections::BTreeMap<_, _> =
            problem_response_components().into_iter().collect();
        assert_eq!(responses.len(), cases.len());
        for (name, error) in cases {
            let RefOr::T(response) = &responses[name] else {
                panic!("{name} is inline")
            };
            let content = response.content[PROBLEM_JSON].clone();
            let RefOr::T(content) = content else {
                panic!("{name}")
            };
            let example = content.example.expect("example");
            let problem = error.problem();
            assert_eq!(example["type"], problem.type_uri, "{name}");
            assert_eq!(example["status"], problem.status, "{name}");
        }
    }

    #[test]
    fn every_shared_response_refers_to_a_known_schema() {
        let mut components = Components::new();
        add_shared_components(&mut components);
        assert!(components.schemas.contains_key("Problem"));
        assert!(components.schemas.contains_key("FieldError"));
        assert!(components.responses.contains_key("Unavailable"));
        assert!(components.security_schemes.contains_key(BEARER_SCHEME));
    }
}
