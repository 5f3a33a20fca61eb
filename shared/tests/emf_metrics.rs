//! The EMF documents the shared layers produce for real requests through the
//! app: request count, responses by status class and latency, in the shape
//! CloudWatch accepts (one namespace, dimension sets naming the labels, a unit
//! per metric). Own test binary: the collector is process-wide.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use axum::{Router, body::Body, routing::get};
use serde_json::Value;
use shared::{ApiError, build_app, config::HttpConfig, metrics::MetricsConfig};
use tower::ServiceExt;

fn documents(collector: &metrics_cloudwatch_embedded::Collector) -> Vec<Value> {
    let mut out = Vec::new();
    collector.flush(&mut out).unwrap();
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The value of `metric` in the document whose dimensions are exactly `dims`.
fn value(documents: &[Value], metric: &str, dims: &[(&str, &str)]) -> Option<Value> {
    documents.iter().find_map(|doc| {
        let spec = &doc["_aws"]["CloudWatchMetrics"][0];
        let names: Vec<&str> = spec["Dimensions"][0]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let wanted: Vec<&str> = dims.iter().map(|(k, _)| *k).collect();
        let same = names.len() == wanted.len()
            && wanted.iter().all(|k| names.contains(k))
            && dims.iter().all(|(k, v)| doc[*k] == *v);
        let declared = spec["Metrics"]
            .as_array()?
            .iter()
            .any(|m| m["Name"] == metric);
        (same && declared).then(|| doc[metric].clone())
    })
}

#[tokio::test]
async fn requests_status_classes_and_latency_are_emitted_per_function() {
    let config = MetricsConfig {
        namespace: "TestNamespace".into(),
        function_name: "stack-health".into(),
    };
    let collector = shared::metrics::init(&config).unwrap();
    let router = Router::new().route("/ok", get(|| async { "fine" })).route(
        "/fail",
        get(|| async { Err::<(), _>(ApiError::internal(std::io::Error::other("boom"))) }),
    );
    let app = build_app(router, &HttpConfig::default());
    for path in ["/ok", "/ok", "/nope", "/fail"] {
        let request = http::Request::get(path).body(Body::empty()).unwrap();
        app.clone().oneshot(request).await.unwrap();
    }

    let docs = documents(collector);
    for doc in &docs {
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Namespace"], "TestNamespace",
            "{doc}"
        );
        assert!(doc["_aws"]["Timestamp"].is_u64(), "{doc}");
        assert_eq!(doc["FunctionName"], "stack-health", "{doc}");
    }
    let function = ("FunctionName", "stack-health");
    assert_eq!(
        value(&docs, "Requests", &[function]),
        Some(4.into()),
        "{docs:?}"
    );
    for (class, count) in [("2xx", 2), ("4xx", 1), ("5xx", 1)] {
        assert_eq!(
            value(&docs, "Responses", &[function, ("StatusClass", class)]),
            Some(count.into()),
            "{class}: {docs:?}"
        );
    }
    let latencies = value(&docs, "Latency", &[function]).unwrap();
    let latencies = latencies
        .as_array()
        .map_or_else(|| vec![latencies.clone()], Clone::clone);
    assert_eq!(latencies.len(), 4, "{latencies:?}");
    assert!(
        latencies
            .iter()
            .all(|v| v.as_f64().is_some_and(|ms| ms >= 0.0))
    );
    let units: Vec<(String, String)> = docs
        .iter()
        .flat_map(|doc| {
            doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .map(|m| {
            (
                m["Name"].as_str().unwrap_or_default().to_owned(),
                m["Unit"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        units.contains(&("Latency".into(), "Milliseconds".into())),
        "{units:?}"
    );
    assert!(
        units.contains(&("Requests".into(), "Count".into())),
        "{units:?}"
    );

    // Counters reset on flush: the next invocation reports only its own.
    let request = http::Request::get("/ok").body(Body::empty()).unwrap();
    app.oneshot(request).await.unwrap();
    let docs = documents(collector);
    assert_eq!(
        value(&docs, "Requests", &[function]),
        Some(1.into()),
        "{docs:?}"
    );
    assert_eq!(
        value(&docs, "Responses", &[function, ("StatusClass", "5xx")]),
        None,
        "{docs:?}"
    );
}
