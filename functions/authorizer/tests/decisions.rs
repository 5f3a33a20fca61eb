//! The authorizer's decisions on API Gateway HTTP API authorizer events (the
//! shape `sam local generate-event apigateway authorizer` and AWS send).

#![allow(clippy::unwrap_used)] // a panic is the failure report

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use serde_json::json;

const TOKEN: &str = "authorizer-test-token-0123";

fn event(authorization: Option<&str>) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut headers = json!({"content-type": "application/json", "host": "api.example.com"});
    if let Some(value) = authorization {
        headers["authorization"] = json!(value);
    }
    serde_json::from_value(json!({
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": "arn:aws:execute-api:us-east-1:123456789012:abcdef123/$default/POST/items",
        "identitySource": authorization.map(|a| vec![a]),
        "routeKey": "POST /items",
        "rawPath": "/items",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef123",
            "domainName": "api.example.com",
            "domainPrefix": "api",
            "http": {"method": "POST", "path": "/items", "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "curl/8"},
            "requestId": "id",
            "routeKey": "POST /items",
            "stage": "$default",
            "time": "29/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64
        }
    }))
    .unwrap()
}

#[test]
fn only_the_right_bearer_token_is_authorized() {
    let token = TOKEN.parse().unwrap();
    let decide = |header: Option<&str>| {
        // What API Gateway reads: the simple response's JSON.
        let decision = serde_json::to_value(authorizer::authorize(&token, &event(header))).unwrap();
        assert_eq!(decision["context"], json!({}), "{decision}");
        decision["isAuthorized"].clone()
    };
    assert_eq!(decide(Some(&format!("Bearer {TOKEN}"))), json!(true));
    assert_eq!(decide(Some(&format!("bearer {TOKEN}"))), json!(true));
    assert_eq!(decide(None), json!(false));
    assert_eq!(decide(Some("Bearer wrong-token-0123456789")), json!(false));
    assert_eq!(decide(Some(&format!("Basic {TOKEN}"))), json!(false));
    assert_eq!(decide(Some(&format!("Bearer {TOKEN}x"))), json!(false));
    assert_eq!(decide(Some("")), json!(false));
}
