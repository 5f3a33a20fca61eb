//! Every function in template.yaml is watched: an alarm on its 5xx share and
//! one on its p99 latency, both reading the EMF metrics the function really
//! emits (namespace, metric and dimension names from `shared::metrics`, the
//! function name the template gives it), plus one on Lambda's own Errors.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use api_tests::repo_root;
use serde_json::Value;
use shared::metrics::{DEFAULT_NAMESPACE, FUNCTION_DIMENSION, LATENCY, REQUESTS, RESPONSES};

fn template() -> Value {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

/// The `FunctionName` dimension value an alarm's metric selects.
fn function_dimension(metric: &Value) -> Option<Value> {
    metric["Dimensions"]
        .as_array()?
        .iter()
        .find(|d| d["Name"] == FUNCTION_DIMENSION)
        .map(|d| d["Value"].clone())
}

#[test]
fn every_function_has_error_rate_latency_and_invocation_alarms() {
    let template = template();
    assert_eq!(
        template["Globals"]["Function"]["Environment"]["Variables"]["METRICS_NAMESPACE"],
        DEFAULT_NAMESPACE
    );
    let resources = template["Resources"].as_object().unwrap();
    let alarms: Vec<&Value> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::CloudWatch::Alarm")
        .map(|r| &r["Properties"])
        .collect();
    let functions: Vec<(&String, &Value)> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .collect();
    assert!(functions.len() >= 7);
    for (logical_id, function) in functions {
        let name = &function["Properties"]["FunctionName"];
        let error_rate = alarms.iter().find(|alarm| {
            alarm["Metrics"].as_array().is_some_and(|metrics| {
                metrics.iter().any(|m| {
                    let metric = &m["MetricStat"]["Metric"];
                    metric["MetricName"] == RESPONSES
                        && metric["Namespace"] == DEFAULT_NAMESPACE
                        && function_dimension(metric).as_ref() == Some(name)
                        && metric["Dimensions"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|d| d["Name"] == "StatusClass" && d["Value"] == "5xx")
                })
            })
        });
        let error_rate = error_rate.unwrap_or_else(|| panic!("{logical_id}: no 5xx-rate alarm"));
        let requests_too = error_rate["Metrics"].as_array().unwrap().iter().any(|m| {
            let metric = &m["MetricStat"]["Metric"];
            metric["MetricName"] == REQUESTS && function_dimension(metric).as_ref() == Some(name)
        });
        assert!(
            requests_too,
            "{logical_id}: the rate must divide by Requests"
        );

        let latency = alarms.iter().any(|alarm| {
            alarm["MetricName"] == LATENCY
                && alarm["Namespace"] == DEFAULT_NAMESPACE
                && alarm["ExtendedStatistic"] == "p99"
                && function_dimension(alarm).as_ref() == Some(name)
        });
        assert!(latency, "{logical_id}: no p99 latency alarm");

        let invocation_errors = alarms.iter().any(|alarm| {
            alarm["Namespace"] == "AWS/Lambda"
                && alarm["MetricName"] == "Errors"
                && function_dimension(alarm)
                    .is_some_and(|v| v["Ref"].as_str() == Some(logical_id.as_str()))
        });
        assert!(
            invocation_errors,
            "{logical_id}: no alarm on Lambda's Errors"
        );
    }
}
