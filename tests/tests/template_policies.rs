//! Least privilege in template.yaml: each function's IAM policy grants named
//! actions on its own resources only, functions without a store get no policy,
//! and no secret is written into the template.

#![allow(clippy::unwrap_used)] // a panic is the failure report

use api_tests::repo_root;
use serde_json::{Value, json};

fn template() -> Value {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).unwrap();
    serde_norway::from_str(&text).unwrap()
}

fn functions(template: &Value) -> Vec<(String, Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(name, resource)| (name.clone(), resource["Properties"].clone()))
        .collect()
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// A resource is acceptable when it is one of the stack's own resources: a
/// `GetAtt` ARN, or `${X.Arn}/index/*` (a table's indexes).
fn resource_problem(resource: &Value) -> Option<String> {
    match resource {
        Value::Object(intrinsic) if intrinsic.contains_key("Fn::GetAtt") => None,
        Value::Object(intrinsic) => match intrinsic.get("Fn::Sub").and_then(Value::as_str) {
            Some(sub) if sub.starts_with("${") && sub.ends_with(".Arn}/index/*") => None,
            Some(sub) if sub.starts_with("${") && !sub.contains('*') => None,
            _ => Some(format!("resource {resource} is not one of the stack's own")),
        },
        other => Some(format!("literal resource {other}")),
    }
}

fn violations(template: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for (function, properties) in functions(template) {
        let policies = as_list(&properties["Policies"]);
        let uses_a_table = properties["Environment"]["Variables"]
            .as_object()
            .is_some_and(|vars| vars.keys().any(|name| name.ends_with("_TABLE")));
        if !uses_a_table && !policies.is_empty() {
            found.push(format!("{function} has no table but has a policy"));
        }
        for policy in policies {
            if !policy.is_object() {
                found.push(format!(
                    "{function}: managed policy {policy}; write the statements"
                ));
                continue;
            }
            for statement in as_list(&policy["Statement"]) {
                if statement["Effect"] != "Allow" {
                    found.push(format!("{function}: {statement}"));
                }
                for action in as_list(&statement["Action"]) {
                    if action.as_str().is_none_or(|a| a.contains('*')) {
                        found.push(format!("{function}: wildcard action {action}"));
                    }
                }
                let resources = as_list(&statement["Resource"]);
                if resources.is_empty() {
                    found.push(format!("{function}: statement without Resource"));
                }
                found.extend(
                    resources
                        .iter()
                        .filter_map(resource_problem)
                        .map(|problem| format!("{function}: {problem}")),
                );
            }
        }
        for (name, value) in properties["Environment"]["Variables"]
            .as_object()
            .into_iter()
            .flatten()
        {
            let secret_like = ["TOKEN", "SECRET", "PASSWORD", "KEY"]
                .iter()
                .any(|word| name.contains(word));
            let reference = value["Fn::Sub"]
                .as_str()
                .is_some_and(|sub| sub.starts_with("{{resolve:secretsmanager:"))
                || value.get("Ref").is_some();
            if secret_like && !reference {
                found.push(format!("{function}: {name} must come from Secrets Manager"));
            }
        }
    }
    found
}

#[test]
fn template_grants_least_privilege_and_holds_no_secret() {
    let found = violations(&template());
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The check itself must notice each kind of violation.
#[test]
fn wildcards_literals_and_plain_secrets_are_caught() {
    let mut template = template();
    let cafe = &mut template["Resources"]["CafeFunction"]["Properties"];
    cafe["Policies"][0]["Statement"][0]["Action"] = json!(["dynamodb:*"]);
    cafe["Policies"][0]["Statement"][0]["Resource"] = json!(["*"]);
    cafe["Environment"]["Variables"]["API_TOKEN"] = json!("hunter2-hunter2-hunter2");
    template["Resources"]["HealthFunction"]["Properties"]["Policies"] =
        json!(["AmazonDynamoDBFullAccess"]);
    let found = violations(&template).join("\n");
    for expected in [
        "wildcard action",
        "literal resource",
        "API_TOKEN must come from Secrets Manager",
        "HealthFunction has no table but has a policy",
    ] {
        assert!(
            found.contains(expected),
            "{expected} not caught in:\n{found}"
        );
    }
}
