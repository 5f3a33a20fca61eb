//! Helpers for the workspace-level tests: reading the routes out of
//! `template.yaml` and out of the `cargo lambda watch` router in `Cargo.toml`.

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The repository root (this crate lives in `tests/`).
pub fn repo_root() -> PathBuf {
    // Read at run time (cargo sets it for tests), so a test binary built in
    // another checkout that shares the target directory reads this checkout.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// `(method, path) -> function`, the shape all three route tables are compared in.
pub type RouteMap = BTreeMap<(String, String), String>;

/// Methods the local router must spell out for each known path.
pub const HTTP_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY",
];

/// What the template declares.
#[derive(Debug, Default)]
pub struct TemplateRoutes {
    pub routes: RouteMap,
    /// Function of the `$default` route (an HttpApi event with no path and method).
    pub default_function: Option<String>,
    /// Binary name of every `AWS::Serverless::Function`.
    pub functions: BTreeSet<String>,
}

/// A disagreement between route tables, or a file that cannot be read as one.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RouteError(pub String);

fn err(msg: impl Into<String>) -> RouteError {
    RouteError(msg.into())
}

/// Reads the routes out of a SAM template's text.
pub fn template_routes(yaml: &str) -> Result<TemplateRoutes, RouteError> {
    let doc: serde_json::Value = serde_norway::from_str(yaml)
        .map_err(|e| err(format!("template.yaml does not parse: {e}")))?;
    let resources = doc["Resources"]
        .as_object()
        .ok_or_else(|| err("template.yaml has no Resources"))?;
    let mut out = TemplateRoutes::default();
    for (logical_id, resource) in resources {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .ok_or_else(|| {
                err(format!(
                    "{logical_id} has no Metadata.BuildProperties.Binary"
                ))
            })?
            .to_owned();
        out.functions.insert(binary.clone());
        let Some(events) = resource["Properties"]["Events"].as_object() else {
            continue;
        };
        for (event_id, event) in events {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let props = &event["Properties"];
            match (props["Method"].as_str(), props["Path"].as_str()) {
                (None, None) => {
                    if let Some(other) = out.default_function.replace(binary.clone()) {
                        return Err(err(format!("two $default routes: {other} and {binary}")));
                    }
                }
                (Some(method), Some(path)) => {
                    let key = (method.to_ascii_uppercase(), path.to_owned());
                    if let Some(other) = out.routes.insert(key.clone(), binary.clone()) {
                        return Err(err(format!("{key:?} declared twice ({other}, {binary})")));
                    }
                }
                _ => {
                    return Err(err(format!(
                        "{logical_id}.{event_id}: give both Method and Path, or neither"
                    )));
                }
            }
        }
    }
    Ok(out)
}

/// The router of `[workspace.metadata.lambda.watch.router]`: `(method, path) ->
/// function` for method-specific entries, and `path -> function` for entries
/// that take every method.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct WatchRoutes {
    pub routes: RouteMap,
    pub any_method: BTreeMap<String, String>,
}

pub fn watch_routes(cargo_toml: &str) -> Result<WatchRoutes, RouteError> {
    let doc: toml::Table = cargo_toml
        .parse()
        .map_err(|e| err(format!("Cargo.toml does not parse: {e}")))?;
    let router = doc
        .get("workspace")
        .and_then(|w| w.get("metadata"))
        .and_then(|m| m.get("lambda"))
        .and_then(|l| l.get("watch"))
        .and_then(|w| w.get("router"))
        .and_then(|r| r.as_table())
        .ok_or_else(|| err("Cargo.toml has no [workspace.metadata.lambda.watch.router]"))?;
    let mut out = WatchRoutes::default();
    for (path, entry) in router {
        match entry {
            toml::Value::String(function) => {
                out.any_method.insert(path.clone(), function.clone());
            }
            toml::Value::Array(items) => {
                for item in items {
                    let method = item.get("method").and_then(|m| m.as_str());
                    let function = item.get("function").and_then(|f| f.as_str());
                    let (Some(method), Some(function)) = (method, function) else {
                        return Err(err(format!(
                            "router entry for {path} needs method and function"
                        )));
                    };
                    let key = (method.to_ascii_uppercase(), path.clone());
                    if out
                        .routes
                        .insert(key.clone(), function.to_owned())
                        .is_some()
                    {
                        return Err(err(format!("{key:?} listed twice in Cargo.toml")));
                    }
                }
            }
            _ => {
                return Err(err(format!(
                    "router entry for {path} is neither a string nor a list"
                )));
            }
        }
    }
    Ok(out)
}

/// What the watch router must be for `template`: every template route; every
/// other method of a template path sent to the `$default` function (API Gateway
/// falls through to `$default` on a method mismatch, cargo-lambda's router does
/// not); and a `/{*proxy}` catch-all standing for `$default`.
pub fn expected_watch_routes(template: &TemplateRoutes) -> Result<WatchRoutes, RouteError> {
    let default = template
        .default_function
        .clone()
        .ok_or_else(|| err("template.yaml has no $default route"))?;
    let mut routes = template.routes.clone();
    let paths: BTreeSet<&String> = template.routes.keys().map(|(_, path)| path).collect();
    for path in paths {
        for method in HTTP_METHODS {
            routes
                .entry((method.to_owned(), path.clone()))
                .or_insert_with(|| default.clone());
        }
    }
    Ok(WatchRoutes {
        routes,
        any_method: BTreeMap::from([("/{*proxy}".to_owned(), default)]),
    })
}

/// Describes how two route maps differ, or `None` when they agree.
pub fn describe_difference(
    expected: &RouteMap,
    actual: &RouteMap,
    actual_name: &str,
) -> Option<String> {
    let mut lines = Vec::new();
    for (key, function) in expected {
        match actual.get(key) {
            None => lines.push(format!(
                "missing in {actual_name}: {} {} -> {function}",
                key.0, key.1
            )),
            Some(other) if other != function => lines.push(format!(
                "{} {} goes to {other} in {actual_name}, to {function} in template.yaml",
                key.0, key.1
            )),
            Some(_) => {}
        }
    }
    for (key, function) in actual {
        if !expected.contains_key(key) {
            lines.push(format!(
                "only in {actual_name}: {} {} -> {function}",
                key.0, key.1
            ));
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Checks that `cargo_toml`'s watch router mirrors `template_yaml`.
pub fn check_watch_router(template_yaml: &str, cargo_toml: &str) -> Result<(), RouteError> {
    let template = template_routes(template_yaml)?;
    let expected = expected_watch_routes(&template)?;
    let actual = watch_routes(cargo_toml)?;
    let mut problems = Vec::new();
    if let Some(diff) = describe_difference(&expected.routes, &actual.routes, "Cargo.toml") {
        problems.push(diff);
    }
    if expected.any_method != actual.any_method {
        problems.push(format!(
            "catch-all entries differ: expected {:?}, Cargo.toml has {:?}",
            expected.any_method, actual.any_method
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(err(problems.join("\n")))
    }
}
