//! Extractors that parse and validate a request in one step and fail with a
//! FastAPI-style 422 whose `loc` points at each bad field.
//!
//! Shape errors (wrong type, missing or unknown field) come from serde, located by
//! `serde_path_to_error`; value rules (lengths, ranges, patterns) come from `garde`,
//! which reports every failing field at once. Messages never quote the submitted
//! value: request bodies may hold personal data, and error bodies get logged and
//! cached by clients and proxies.

use axum::extract::{FromRequest, FromRequestParts, Request};
use bytes::Bytes;
use http::{header, request::Parts};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError, LocPart};

/// Default limit for request bodies: far above any legitimate request of this API,
/// far below what would strain a 128 MB function.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The body limit in force (set by `app::build_app`), visible to extractors
/// for their 413 messages.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body of type `T`, deserialized strictly and validated.
#[derive(Debug, Clone)]
pub struct ValidJson<T>(pub T);

/// Query parameters of type `T`, deserialized strictly and validated.
#[derive(Debug, Clone)]
pub struct ValidQuery<T>(pub T);

impl<S, T> FromRequest<S> for ValidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !has_json_content_type(req.headers()) {
            return Err(ApiError::UnsupportedMediaType {
                expected: "application/json",
            });
        }
        let limit = body_limit_of(&req);
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::PayloadTooLarge { limit_bytes: limit })?;
        let value: T = parse_json(&body)?;
        validate(&value, "body")?;
        Ok(ValidJson(value))
    }
}

impl<S, T> FromRequestParts<S> for ValidQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned + garde::Validate<Context = ()>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        let value: T = serde_path_to_error::deserialize(deserializer).map_err(|err| {
            let path = loc_of(err.path());
            ApiError::Validation(vec![shape_error("query", path, &err.inner().to_string())])
        })?;
        validate(&value, "query")?;
        Ok(ValidQuery(value))
    }
}

/// The body limit in force for this request, for the 413 message.
fn body_limit_of(req: &Request) -> usize {
    req.extensions()
        .get::<BodyLimit>()
        .map_or(DEFAULT_MAX_BODY_BYTES, |limit| limit.0)
}

fn has_json_content_type(headers: &http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON document into `T`, classifying failures as 400 (not JSON at all)
/// or 422 (JSON of the wrong shape, with the `loc` of the offending field).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    // Every body of this API is an object. serde would also accept a struct
    // written as an array of its fields, which no client should rely on.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(
            match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
                Err(err) => ApiError::MalformedJson {
                    detail: position_of(&err),
                },
                Ok(_) => ApiError::validation(
                    vec![LocPart::Key("body".into())],
                    "type_error",
                    "Input should be a JSON object",
                ),
            },
        );
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let inner = err.inner();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::Validation(vec![shape_error(
                "body",
                loc_of(err.path()),
                &inner.to_string(),
            )]),
            _ => ApiError::MalformedJson {
                detail: position_of(inner),
            },
        }
    })?;
    deserializer.end().map_err(|err| ApiError::MalformedJson {
        detail: position_of(&err),
    })?;
    Ok(value)
}

/// Deserializes an already-parsed JSON value (e.g. the result of a merge patch)
/// strictly, with the same 422 locations as a body.
pub fn from_json_value<T: DeserializeOwned>(
    value: serde_json::Value,
    root: &str,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        ApiError::Validation(vec![shape_error(
            root,
            loc_of(err.path()),
            &err.inner().to_string(),
        )])
    })
}

fn position_of(err: &serde_json::Error) -> String {
    if err.is_eof() {
        "unexpected end of input".to_owned()
    } else {
        format!("line {} column {}", err.line(), err.column())
    }
}

/// Runs `garde` rules and reports every failure with its location under `root`.
pub fn validate<T: garde::Validate<Context = ()>>(value: &T, root: &str) -> Result<(), ApiError> {
    let Err(report) = value.validate() else {
        return Ok(());
    };
    let errors = report
        .iter()
        .map(|(path, error)| {
            let mut loc = vec![LocPart::Key(root.to_owned())];
            // garde stores path components innermost first; `__iter` is the only way
            // to read them without re-parsing the Display form.
            for (kind, component) in path.__iter().rev() {
                match (kind, component.parse::<usize>()) {
                    // `inner` rules (Option, newtypes) add a nameless component.
                    (garde::error::Kind::None, _) => {}
                    (garde::error::Kind::Index, Ok(index)) => loc.push(LocPart::Index(index)),
                    _ => loc.push(LocPart::Key(component.to_string())),
                }
            }
            FieldError::new(loc, "value_error", error.message())
        })
        .collect();
    Err(ApiError::Validation(errors))
}

fn loc_of(path: &serde_path_to_error::Path) -> Vec<LocPart> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(LocPart::Index(*index)),
            Segment::Map { key } | Segment::Enum { variant: key } => Some(LocPart::client_key(key)),
            Segment::Unknown => None,
        })
        .collect()
}

fn truncate(s: &str, max_chars: usize) -> String {
    s.chars().take(max_chars).collect()
}

/// Turns a serde message into a FastAPI-like item without echoing the value.
///
/// serde's messages look like "invalid type: string \"<value>\", expected u32" or
/// "missing field `name`"; only the parts that come from our own types (field names,
/// the `expected` clause) are kept.
fn shape_error(root: &str, path: Vec<LocPart>, message: &str) -> FieldError {
    let mut loc = vec![LocPart::Key(root.to_owned())];
    loc.extend(
        path.into_iter()
            .filter(|part| part != &LocPart::Key("?".into())),
    );
    let message = message.split(" at line ").next().unwrap_or(message);

    if let Some(field) = backticked(message, "missing field `") {
        loc.push(LocPart::Key(field));
        return FieldError::new(loc, "missing", "Field required");
    }
    if message.starts_with("unknown field `") {
        // serde_path_to_error already put the unknown key at the end of the path.
        return FieldError::new(loc, "extra_forbidden", "Extra inputs are not permitted");
    }
    if let Some(field) = backticked(message, "duplicate field `") {
        loc.push(LocPart::client_key(&field));
        return FieldError::new(loc, "duplicate_field", "Field given more than once");
    }
    let expected = message
        .split_once(", expected ")
        .map(|(_, expected)| expected.to_owned());
    let kind = if message.starts_with("invalid type") {
        "type_error"
    } else if message.starts_with("unknown variant") {
        "enum"
    } else if message.starts_with("invalid length") {
        "length_error"
    } else {
        "value_error"
    };
    let msg = match expected {
        Some(expected) => format!("Input should be {expected}"),
        // Custom messages from our own Deserialize impls are written not to quote input.
        None if kind == "value_error" => message.to_owned(),
        None => "Input has the wrong shape".to_owned(),
    };
    FieldError::new(loc, kind, msg)
}

fn backticked(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next().map(|s| truncate(s, 64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, garde::Validate)]
    #[serde(deny_unknown_fields)]
    struct Order {
        #[garde(length(chars, min = 1, max = 5))]
        name: String,
        #[garde(range(min = 1, max = 10))]
        quantity: u32,
        #[garde(dive)]
        #[serde(default)]
        lines: Vec<Line>,
    }

    #[derive(Debug, Deserialize, garde::Validate)]
    #[serde(deny_unknown_fields)]
    struct Line {
        #[garde(length(min = 1))]
        sku: String,
    }

    fn errors_of(body: &str) -> Vec<FieldError> {
        match parse_json::<Order>(body.as_bytes()).and_then(|order| {
            validate(&order, "body")?;
            Ok(order)
        }) {
            Err(ApiError::Validation(errors)) => errors,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn loc_json(error: &FieldError) -> serde_json::Value {
        serde_json::to_value(&error.loc).unwrap()
    }

    #[test]
    fn missing_field_is_located_at_the_field() {
        let errors = errors_of(r#"{"name": "tea"}"#);
        assert_eq!(errors.len(), 1);
        assert_eq!(loc_json(&errors[0]), json!(["body", "quantity"]));
        assert_eq!(errors[0].kind, "missing");
    }

    #[test]
    fn unknown_field_is_rejected_with_its_key() {
        let errors = errors_of(r#"{"name": "tea", "quantity": 1, "colour": "red"}"#);
        assert_eq!(loc_json(&errors[0]), json!(["body", "colour"]));
        assert_eq!(errors[0].kind, "extra_forbidden");
    }

    #[test]
    fn an_unknown_key_that_is_no_field_name_is_not_echoed() {
        for key in ["sarah@example.com", "my name is Sarah", &"k".repeat(65)] {
            let body = json!({"name": "tea", "quantity": 1, key: "x"}).to_string();
            let errors = errors_of(&body);
            assert_eq!(loc_json(&errors[0]), json!(["body", "<key>"]), "{key}");
            assert_eq!(errors[0].kind, "extra_forbidden");
        }
    }

    #[test]
    fn wrong_type_does_not_echo_the_value() {
        let errors = errors_of(r#"{"name": "tea", "quantity": "my secret"}"#);
        assert_eq!(loc_json(&errors[0]), json!(["body", "quantity"]));
        assert_eq!(errors[0].kind, "type_error");
        assert!(!errors[0].msg.contains("secret"), "{}", errors[0].msg);
    }

    #[test]
    fn nested_errors_carry_array_indices() {
        let errors =
            errors_of(r#"{"name": "tea", "quantity": 1, "lines": [{"sku": "a"}, {"sku": 3}]}"#);
        assert_eq!(loc_json(&errors[0]), json!(["body", "lines", 1, "sku"]));
    }

    #[test]
    fn value_rules_report_every_failing_field() {
        let errors = errors_of(r#"{"name": "", "quantity": 99, "lines": [{"sku": ""}]}"#);
        let locs: Vec<_> = errors.iter().map(loc_json).collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(locs.contains(&json!(["body", "name"])));
        assert!(locs.contains(&json!(["body", "quantity"])));
        assert!(locs.contains(&json!(["body", "lines", 0, "sku"])));
    }

    #[test]
    fn syntax_errors_are_malformed_json_not_validation() {
        for body in [
            r#"{"name": "#,
            "not json",
            r#"{"name": "a", "quantity": 1} trailing"#,
            "",
        ] {
            assert!(
                matches!(
                    parse_json::<Order>(body.as_bytes()),
                    Err(ApiError::MalformedJson { .. })
                ),
                "{body}"
            );
        }
    }

    #[test]
    fn json_content_types_are_recognised() {
        let mut headers = http::HeaderMap::new();
        assert!(!has_json_content_type(&headers));
        for (value, ok) in [
            ("application/json", true),
            ("application/json; charset=utf-8", true),
            ("application/merge-patch+json", true),
            ("text/plain", false),
            ("application/x-www-form-urlencoded", false),
        ] {
            headers.insert(header::CONTENT_TYPE, value.parse().unwrap());
            assert_eq!(has_json_content_type(&headers), ok, "{value}");
        }
    }

    proptest::proptest! {
        /// Any bytes at all, or any JSON-like text, give a value or a 4xx
        /// problem: parsing and error shaping never panic.
        #[test]
        fn parsing_any_bytes_never_panics(body in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            check_parse(&body)?;
        }

        #[test]
        fn parsing_json_like_text_never_panics(body in r#"[{}\[\]",:0-9a-z\\u.eE+-]{0,120}"#) {
            check_parse(body.as_bytes())?;
        }
    }

    fn check_parse(body: &[u8]) -> Result<(), proptest::test_runner::TestCaseError> {
        if let Err(err) = parse_json::<Order>(body).and_then(|order| validate(&order, "body")) {
            let status = err.status().as_u16();
            proptest::prop_assert!((400..500).contains(&status), "status {status}");
            let problem = err.problem();
            for error in &problem.errors {
                proptest::prop_assert!(!error.msg.is_empty());
            }
        }
        Ok(())
    }
}
