//! An HTTP front for a pool of function processes: each HTTP request becomes
//! an API Gateway (HTTP API, payload 2.0) event handed to whichever instance
//! polls first, and the proxy response it returns becomes the HTTP response,
//! as API Gateway and Lambda do. Each instance serves one request at a time.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Request, State},
    http::{HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use base64::Engine;
use serde_json::{Value, json};

use crate::{HarnessError, RuntimeApi, events};

/// Largest request body accepted, as API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// The router that turns HTTP requests into invocations on `api`.
pub fn router(api: Arc<RuntimeApi>, timeout: Duration) -> Router {
    Router::new()
        .fallback(
            move |State(api): State<Arc<RuntimeApi>>, request: Request| async move {
                match forward(&api, request, timeout).await {
                    Ok(response) => response,
                    Err(error) => (StatusCode::BAD_GATEWAY, error.to_string()).into_response(),
                }
            },
        )
        .with_state(api)
}

async fn forward(
    api: &RuntimeApi,
    request: Request,
    timeout: Duration,
) -> Result<Response, HarnessError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|e| HarnessError::Proxy(e.to_string()))?;
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let mut event = match std::str::from_utf8(&body) {
        Ok(text) if !body.is_empty() => {
            events::http_request(parts.method.as_str(), &path, &header_refs, Some(text))
        }
        Ok(_) => events::http_request(parts.method.as_str(), &path, &header_refs, None),
        Err(_) => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(&body);
            let mut event =
                events::http_request(parts.method.as_str(), &path, &header_refs, Some(&encoded));
            event["isBase64Encoded"] = json!(true);
            event
        }
    };
    event["requestContext"]["requestId"] = json!(uuid_like());
    let reply = api.invoke(&event, timeout).await?;
    if reply.is_error {
        return Err(HarnessError::Proxy(format!(
            "the function failed: {}",
            String::from_utf8_lossy(&reply.body)
        )));
    }
    proxy_response(&reply.body)
}

/// A fresh id per request, as API Gateway gives (not cryptographic).
fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("front-{:016x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// An API Gateway proxy response document as an HTTP response.
fn proxy_response(document: &[u8]) -> Result<Response, HarnessError> {
    let document: Value = serde_json::from_slice(document)?;
    let status = document["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| HarnessError::Proxy("response without a valid statusCode".into()))?;
    let body = match document["body"].as_str() {
        Some(text) if document["isBase64Encoded"] == true => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| HarnessError::Proxy(e.to_string()))?,
        ),
        Some(text) => Bytes::from(text.to_owned()),
        None => Bytes::new(),
    };
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(multi) = document["multiValueHeaders"].as_object() {
        for (name, values) in multi {
            let values = values.as_array().into_iter().flatten();
            headers
                .entry(name.to_ascii_lowercase())
                .or_default()
                .extend(values.filter_map(|v| v.as_str().map(str::to_owned)));
        }
    }
    if let Some(single) = document["headers"].as_object() {
        for (name, value) in single {
            let entry = headers.entry(name.to_ascii_lowercase()).or_default();
            if let (true, Some(value)) = (entry.is_empty(), value.as_str()) {
                entry.push(value.to_owned());
            }
        }
    }
    for (name, values) in headers {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in values {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().append(name.clone(), value);
            }
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a panic is the failure report

    use super::*;

    #[tokio::test]
    async fn proxy_responses_become_http_responses() {
        let document = json!({
            "statusCode": 201,
            "headers": {"content-type": "application/json", "x-one": "a"},
            "multiValueHeaders": {"x-one": ["a"], "set-cookie": ["a=1", "b=2"]},
            "body": base64::engine::general_purpose::STANDARD.encode([0u8, 159, 146, 150]),
            "isBase64Encoded": true
        });
        let response = proxy_response(&serde_json::to_vec(&document).unwrap()).unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(response.headers().get_all("x-one").iter().count(), 1);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], &[0u8, 159, 146, 150]);

        assert!(proxy_response(br#"{"body": "no status"}"#).is_err());
    }

    #[test]
    fn events_split_the_query_string() {
        let event = events::http_request("GET", "/items?limit=2&x=y", &[], None);
        assert_eq!(event["rawPath"], "/items");
        assert_eq!(event["rawQueryString"], "limit=2&x=y");
        assert_eq!(event["requestContext"]["http"]["method"], "GET");
    }
}
