//! Least privilege in template.yaml: each function's IAM policy grants named
//! actions on its own resources (or the secrets whose ARNs the stack takes as
//! parameters) only, functions
//! without a store or secret get no policy, no secret is written into the
//! template or resolved into a function's configuration, and exactly the
//! routes the OpenAPI document secures go through the authorizer.

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

/// The secrets whose full ARNs the stack takes as parameters.
const SECRET_PARAMETERS: &[&str] = &["ApiTokenSecretArn", "RedactionKeySecretArn"];

/// The values a property can take: both branches of an `Fn::If` (less
/// `AWS::NoValue`, which removes the property), else the value itself. The
/// checks below hold for every branch.
fn branches(value: &Value) -> Vec<Value> {
    match value.get("Fn::If").and_then(Value::as_array) {
        Some(parts) if parts.len() == 3 => parts[1..]
            .iter()
            .filter(|branch| branch.get("Ref") != Some(&json!("AWS::NoValue")))
            .flat_map(branches)
            .collect(),
        _ => vec![value.clone()],
    }
}

/// A resource is acceptable when it is one of the stack's own resources: a
/// `GetAtt` ARN, or `${X.Arn}/index/*` (a table's indexes); or a secret whose
/// full ARN the stack takes as a parameter.
fn resource_problem(resource: &Value) -> Option<String> {
    match resource {
        Value::Object(intrinsic) if intrinsic.contains_key("Fn::GetAtt") => None,
        Value::Object(intrinsic)
            if intrinsic
                .get("Ref")
                .and_then(Value::as_str)
                .is_some_and(|name| SECRET_PARAMETERS.contains(&name)) =>
        {
            None
        }
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
        let policies: Vec<Value> = as_list(&properties["Policies"])
            .iter()
            .flat_map(branches)
            .collect();
        let uses_a_resource = properties["Environment"]["Variables"]
            .as_object()
            .is_some_and(|vars| {
                vars.keys()
                    .any(|name| name.ends_with("_TABLE") || name.ends_with("_SECRET_ARN"))
            });
        if !uses_a_resource && !policies.is_empty() {
            found.push(format!(
                "{function} has no table or secret but has a policy"
            ));
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
            // Only a secret's ARN may be configured; a dynamic reference
            // ({{resolve:...}}) would copy the secret into the configuration.
            let resolves = value.to_string().contains("{{resolve:");
            let arn_reference = name.ends_with("_SECRET_ARN")
                && branches(value).iter().all(|v| v.get("Ref").is_some());
            if resolves || (secret_like && !arn_reference) {
                found.push(format!(
                    "{function}: {name} must be a Secrets Manager ARN read at run time"
                ));
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
    // A wildcard hidden in one branch of a condition is still one.
    template["Resources"]["EntitiesFunction"]["Properties"]["Policies"] = json!([{"Fn::If": [
        "HasRedactionKey",
        {"Statement": [{"Effect": "Allow", "Action": ["kms:*"], "Resource": [{"Ref": "RedactionKeySecretArn"}]}]},
        {"Ref": "AWS::NoValue"}
    ]}]);
    let found = violations(&template).join("\n");
    for expected in [
        "wildcard action",
        "EntitiesFunction: wildcard action",
        "literal resource",
        "API_TOKEN must be a Secrets Manager ARN read at run time",
        "HealthFunction has no table or secret but has a policy",
    ] {
        assert!(
            found.contains(expected),
            "{expected} not caught in:\n{found}"
        );
    }
}

/// (METHOD, path).
type Route = (String, String);

/// Every route in the template that names the authorizer, and every route.
fn template_routes(template: &Value) -> (Vec<Route>, Vec<Route>) {
    let (mut authorized, mut all) = (Vec::new(), Vec::new());
    for (_, properties) in functions(template) {
        for (_, event) in properties["Events"].as_object().into_iter().flatten() {
            let props = &event["Properties"];
            let (Some(method), Some(path)) = (props["Method"].as_str(), props["Path"].as_str())
            else {
                continue;
            };
            let route = (method.to_uppercase(), path.to_owned());
            if props["Auth"]["Authorizer"] == "BearerToken" {
                authorized.push(route.clone());
            }
            all.push(route);
        }
    }
    authorized.sort();
    all.sort();
    (authorized, all)
}

#[test]
fn the_authorizer_guards_exactly_the_secured_operations() {
    let template = template();
    let defined = template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]
        ["BearerToken"]["Identity"]["Headers"]
        .clone();
    assert_eq!(defined, json!(["Authorization"]), "authorizer definition");
    let (authorized, all) = template_routes(&template);
    let document: Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("functions/docs/openapi.json")).unwrap(),
    )
    .unwrap();
    let mut secured = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty())
            {
                secured.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    secured.sort();
    assert!(!secured.is_empty());
    assert_eq!(
        authorized, secured,
        "routes with the authorizer vs secured operations"
    );
    assert!(all.len() > authorized.len(), "reads stay public");
}
