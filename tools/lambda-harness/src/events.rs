//! Events as API Gateway sends them to Lambda (HTTP API, payload format 2.0):
//! the same shape `sam local generate-event apigateway http-api-proxy` makes.

use serde_json::{Value, json};

/// An HTTP API request event for `method path?query`, with `headers` (names in
/// lower case, as API Gateway sends them) and an optional text body.
pub fn http_request(
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Value {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut header_map = serde_json::Map::new();
    header_map.insert("host".into(), json!("api.example.com"));
    header_map.insert("user-agent".into(), json!("lambda-harness"));
    for (name, value) in headers {
        header_map.insert(name.to_ascii_lowercase(), json!(value));
    }
    if let Some(body) = body {
        header_map.insert("content-length".into(), json!(body.len().to_string()));
    }
    let route_key = "$default";
    json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": header_map,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "harness",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.9",
                "userAgent": "lambda-harness"
            },
            "requestId": "harness-request",
            "routeKey": route_key,
            "stage": "$default",
            "time": "29/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64
        },
        "body": body,
        "isBase64Encoded": false
    })
}

/// An HTTP API Lambda authorizer event (payload 2.0) for a write route.
pub fn authorizer_request(authorization: &str) -> Value {
    json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:harness/$default/POST/items",
        "identitySource": [authorization],
        "routeKey": "POST /items",
        "rawPath": "/items",
        "rawQueryString": "",
        "headers": {"authorization": authorization, "host": "api.example.com"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "harness",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": "POST", "path": "/items", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "lambda-harness"},
            "requestId": "harness-request",
            "routeKey": "POST /items",
            "stage": "$default",
            "time": "29/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64
        }
    })
}
