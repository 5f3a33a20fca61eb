//! The real `health` binary under a local Lambda runtime API: the answer
//! API Gateway would get, and the function's EMF metrics on stdout.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use std::time::Duration;

use lambda_harness::{Launch, cold_start, emf_documents, events};

#[tokio::test]
async fn answers_through_the_runtime_api_and_emits_request_metrics() {
    let launch = Launch {
        program: env!("CARGO_BIN_EXE_health").into(),
        env: [(
            "AWS_LAMBDA_FUNCTION_NAME".to_owned(),
            "stack-health".to_owned(),
        )]
        .into(),
        ..Launch::default()
    };
    let event = events::http_request("GET", "/", &[], None);
    let missing = events::http_request("GET", "/no/such/route", &[], None);
    let (start, later) = cold_start(
        "stack-health",
        &launch,
        &event,
        &[missing],
        Duration::from_secs(30),
    )
    .await
    .unwrap();
    assert_eq!(start.reply.http_status(), Some(200), "{}", start.stderr);
    assert_eq!(later[0].http_status(), Some(404));
    assert!(start.peak_rss_kib.is_some_and(|kib| kib > 0));

    let docs = emf_documents(&start.stdout);
    let classes: Vec<&str> = docs
        .iter()
        .filter(|doc| doc.get("Responses").is_some())
        .filter_map(|doc| doc["StatusClass"].as_str())
        .collect();
    assert_eq!(classes, ["2xx", "4xx"], "{docs:?}");
    assert!(docs.iter().all(|doc| doc["FunctionName"] == "stack-health"));
    assert!(docs.iter().any(|doc| doc["ColdStart"] == 1), "{docs:?}");
}

/// Every line the function writes to stdout is one whole JSON document (a log
/// line or an EMF batch), however many invocations and log lines from other
/// threads: CloudWatch drops a line that two writers interleaved, and with it
/// the metrics it carried.
#[tokio::test]
async fn every_stdout_line_is_one_whole_json_document() {
    let launch = Launch {
        program: env!("CARGO_BIN_EXE_health").into(),
        env: [
            ("AWS_LAMBDA_FUNCTION_NAME", "stack-health"),
            ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ("AWS_LAMBDA_LOG_LEVEL", "TRACE"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into(),
        ..Launch::default()
    };
    let event = events::http_request("GET", "/", &[], None);
    let later = vec![event.clone(); 200];
    let (start, replies) = cold_start(
        "stack-health",
        &launch,
        &event,
        &later,
        Duration::from_secs(60),
    )
    .await
    .unwrap();
    assert!(replies.iter().all(|r| r.http_status() == Some(200)));
    let broken: Vec<&str> = start
        .stdout
        .lines()
        .filter(|line| serde_json::from_str::<serde_json::Value>(line).is_err())
        .collect();
    assert!(
        broken.is_empty(),
        "lines that are not one JSON document: {broken:#?}"
    );
    let docs = emf_documents(&start.stdout);
    assert_eq!(docs.iter().filter(|doc| doc["ColdStart"] == 1).count(), 1);
    let requests: u64 = docs.iter().filter_map(|doc| doc["Requests"].as_u64()).sum();
    assert_eq!(requests, 201, "{docs:?}");
}
