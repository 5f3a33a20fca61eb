//! Helpers for the workspace-level tests: the repository root, and the
//! `cargo lambda watch` router read back out of `Cargo.toml` (template.yaml
//! itself is read by the `sam-template` crate, which also renders that router).

use std::{
    collections::BTreeMap,
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

pub use sam_template::{RouteMap, Template, describe_difference};

/// A disagreement between route tables, or a file that cannot be read as one.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RouteError(pub String);

fn err(msg: impl Into<String>) -> RouteError {
    RouteError(msg.into())
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

/// Checks that `cargo_toml`'s watch router mirrors `template_yaml`.
pub fn check_watch_router(template_yaml: &str, cargo_toml: &str) -> Result<(), RouteError> {
    let template = Template::parse(template_yaml).map_err(|e| err(e.to_string()))?;
    let expected = template.watch_routes().map_err(|e| err(e.to_string()))?;
    let default = template
        .default_function()
        .map_err(|e| err(e.to_string()))?;
    let expected_any = BTreeMap::from([("/{*proxy}".to_owned(), default.to_owned())]);
    let actual = watch_routes(cargo_toml)?;
    let mut problems = Vec::new();
    if let Some(diff) = describe_difference(&expected, &actual.routes, "Cargo.toml") {
        problems.push(diff);
    }
    if expected_any != actual.any_method {
        problems.push(format!(
            "catch-all entries differ: expected {expected_any:?}, Cargo.toml has {:?}",
            actual.any_method
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(err(problems.join("\n")))
    }
}
