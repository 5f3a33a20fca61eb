//! `template.yaml` is the API's one route source. This crate reads it (the
//! functions, their HTTP routes and the `$default` route) and renders the two
//! tables generated from it:
//!
//! - [`render_watch_router`]: the `[workspace.metadata.lambda.watch.router]`
//!   block of `Cargo.toml`, which `cargo lambda watch` routes by;
//! - [`render_route_table`]: `shared/src/routes/generated.rs`, the table the
//!   health function answers 405 with `Allow` from.
//!
//! `cargo xtask gen` writes both; the route-agreement tests fail when a
//! committed copy differs from what this crate renders.

mod render;

use std::collections::{BTreeMap, BTreeSet};

pub use render::{
    WATCH_ROUTER_BEGIN, WATCH_ROUTER_END, render_route_table, render_watch_router,
    replace_watch_router,
};

/// Methods the local router spells out for each known path (cargo-lambda's
/// router cannot fall back on a method mismatch). QUERY is the new safe method
/// with a body, which some HTTP tools already send.
pub const HTTP_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY",
];

/// `(method, path) -> function`, the shape route tables are compared in.
pub type RouteMap = BTreeMap<(String, String), String>;

/// One `AWS::Serverless::Function` of the template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// Logical id in the template (`CafeFunction`).
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the crate and binary name.
    pub binary: String,
    /// Whether `Properties.Layers` holds `Ref: ModelsLayer`.
    pub uses_models_layer: bool,
}

/// What the template declares.
#[derive(Debug, Clone, Default)]
pub struct Template {
    /// Functions in binary-name order.
    pub functions: Vec<Function>,
    /// `(method, path) -> binary` of every HttpApi event with both.
    pub routes: RouteMap,
    /// Binary of the `$default` route (an HttpApi event with no path and method).
    pub default_function: Option<String>,
}

/// A template that cannot be read as the route source.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml does not parse: {0}")]
    Parse(String),
    #[error("template.yaml has no Resources")]
    NoResources,
    #[error("{0} has no Metadata.BuildProperties.Binary")]
    NoBinary(String),
    #[error("two $default routes: {0} and {1}")]
    TwoDefaults(String, String),
    #[error("{method} {path} is declared twice ({first}, {second})")]
    DuplicateRoute {
        method: String,
        path: String,
        first: String,
        second: String,
    },
    #[error("{0}: give both Method and Path, or neither")]
    HalfRoute(String),
    #[error("template.yaml has no $default route")]
    NoDefault,
}

impl Template {
    /// Reads a SAM template's text.
    pub fn parse(yaml: &str) -> Result<Self, TemplateError> {
        let doc: serde_json::Value =
            serde_norway::from_str(yaml).map_err(|e| TemplateError::Parse(e.to_string()))?;
        let resources = doc["Resources"]
            .as_object()
            .ok_or(TemplateError::NoResources)?;
        let mut out = Template::default();
        for (logical_id, resource) in resources {
            if resource["Type"] != "AWS::Serverless::Function" {
                continue;
            }
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .ok_or_else(|| TemplateError::NoBinary(logical_id.clone()))?
                .to_owned();
            let uses_models_layer = resource["Properties"]["Layers"]
                .as_array()
                .is_some_and(|layers| layers.iter().any(|l| l["Ref"] == "ModelsLayer"));
            out.functions.push(Function {
                logical_id: logical_id.clone(),
                binary: binary.clone(),
                uses_models_layer,
            });
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
                            return Err(TemplateError::TwoDefaults(other, binary));
                        }
                    }
                    (Some(method), Some(path)) => {
                        let key = (method.to_ascii_uppercase(), path.to_owned());
                        if let Some(first) = out.routes.insert(key.clone(), binary.clone()) {
                            return Err(TemplateError::DuplicateRoute {
                                method: key.0,
                                path: key.1,
                                first,
                                second: binary,
                            });
                        }
                    }
                    _ => return Err(TemplateError::HalfRoute(format!("{logical_id}.{event_id}"))),
                }
            }
        }
        out.functions.sort_by(|a, b| a.binary.cmp(&b.binary));
        Ok(out)
    }

    /// Binary names of every function.
    pub fn binaries(&self) -> BTreeSet<String> {
        self.functions.iter().map(|f| f.binary.clone()).collect()
    }

    /// The `$default` function, which a generated table cannot do without.
    pub fn default_function(&self) -> Result<&str, TemplateError> {
        self.default_function
            .as_deref()
            .ok_or(TemplateError::NoDefault)
    }

    /// What the watch router must route: every template route, and every other
    /// method of a template path to the `$default` function (API Gateway falls
    /// through to `$default` on a method mismatch; cargo-lambda's router does
    /// not). The `/{*proxy}` catch-all for unknown paths is added on rendering.
    pub fn watch_routes(&self) -> Result<RouteMap, TemplateError> {
        let default = self.default_function()?;
        let mut routes = self.routes.clone();
        let paths: BTreeSet<&String> = self.routes.keys().map(|(_, path)| path).collect();
        for path in paths {
            for method in HTTP_METHODS {
                routes
                    .entry((method.to_owned(), path.clone()))
                    .or_insert_with(|| default.to_owned());
            }
        }
        Ok(routes)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "
Resources:
  ModelsLayer:
    Type: AWS::Serverless::LayerVersion
  HealthFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: health
    Properties:
      Events:
        Default:
          Type: HttpApi
          Properties:
            ApiId:
              Ref: HttpApi
        Root:
          Type: HttpApi
          Properties:
            Method: get
            Path: /
  PredictFunction:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: predict
    Properties:
      Layers:
        - Ref: ModelsLayer
      Events:
        Predict:
          Type: HttpApi
          Properties:
            Method: POST
            Path: /predict
";

    #[test]
    fn reads_functions_routes_layers_and_the_default() {
        let template = Template::parse(TEMPLATE).unwrap();
        assert_eq!(template.default_function.as_deref(), Some("health"));
        assert_eq!(
            template
                .routes
                .get(&("GET".into(), "/".into()))
                .map(String::as_str),
            Some("health")
        );
        let layered: Vec<_> = template
            .functions
            .iter()
            .map(|f| (f.binary.as_str(), f.uses_models_layer))
            .collect();
        assert_eq!(layered, [("health", false), ("predict", true)]);
    }

    #[test]
    fn other_methods_of_a_known_path_go_to_the_default() {
        let routes = Template::parse(TEMPLATE).unwrap().watch_routes().unwrap();
        assert_eq!(routes.len(), 2 * HTTP_METHODS.len());
        assert_eq!(routes[&("POST".into(), "/predict".into())], "predict");
        assert_eq!(routes[&("GET".into(), "/predict".into())], "health");
    }

    #[test]
    fn broken_templates_are_named() {
        let twice = TEMPLATE.replace("Path: /predict", "Path: /");
        let twice = twice.replace("Method: POST", "Method: GET");
        assert!(matches!(
            Template::parse(&twice),
            Err(TemplateError::DuplicateRoute { .. })
        ));
        let half = TEMPLATE.replace("            Method: POST\n", "");
        assert!(matches!(
            Template::parse(&half),
            Err(TemplateError::HalfRoute(id)) if id == "PredictFunction.Predict"
        ));
    }
}
