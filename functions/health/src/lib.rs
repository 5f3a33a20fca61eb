//! The health function: `GET /` and `HEAD /` report that the API is up, and the
//! fallback answers for every request API Gateway routes to `$default` (no route
//! matched): 405 with `Allow` on a known path, 204 to a plain `OPTIONS`, else 404.

use std::{path::PathBuf, sync::Arc};

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
};
use http::{HeaderValue, Method, StatusCode, Uri, header};
use serde::Serialize;
use shared::{
    ApiError,
    config::{ConfigError, Env, optional},
    error::join_methods,
    routes,
};
use utoipa::OpenApi as _;
use utoipa_axum::{router::OpenApiRouter, routes};

/// What the health function reads from the environment.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where model packs live (`MODEL_DIR`); unset means this deployment has none.
    pub model_dir: Option<PathBuf>,
}

impl Config {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        Ok(Self {
            model_dir: optional(env, "MODEL_DIR")?,
        })
    }
}

/// The API's status: up, its version, functions, routes and model packs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Status {
    #[schema(examples("ok"))]
    pub status: &'static str,
    pub service: &'static str,
    pub version: &'static str,
    pub functions: Vec<FunctionInfo>,
    pub models: Vec<ModelInfo>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FunctionInfo {
    pub name: &'static str,
    pub routes: Vec<String>,
}

/// A model pack found under `MODEL_DIR`: the folder name and what its
/// `config.json` says about itself.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ModelInfo {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    tags((name = "health", description = "Liveness and what this deployment contains."))
)]
pub struct HealthApi;

/// Builds the router. The status is computed once: at cold start, not per request.
pub fn router(config: Config) -> Router {
    let status = Arc::new(Status {
        status: "ok",
        service: "serverless-ml-api",
        version: env!("CARGO_PKG_VERSION"),
        functions: function_infos(),
        models: config
            .model_dir
            .as_deref()
            .map(discover_models)
            .unwrap_or_default(),
    });
    routes().fallback(unmatched).with_state(status).into()
}

/// The routes with their OpenAPI operations, from one list: a handler is
/// served exactly when its `#[utoipa::path]` is in the document.
fn routes() -> OpenApiRouter<Arc<Status>> {
    OpenApiRouter::with_openapi(HealthApi::openapi()).routes(routes!(status_handler))
}

/// This function's part of the API's OpenAPI document.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

/// Report that the API is up.
///
/// Lists the deployment's functions with their routes and the model packs in its
/// models layer. Computed once per cold start.
#[utoipa::path(
    get,
    path = "/",
    tag = "health",
    responses((status = 200, description = "The API is up.", body = Status))
)]
pub async fn status_handler(State(status): State<Arc<Status>>) -> Json<Status> {
    Json(Status::clone(&status))
}

/// What API Gateway's `$default` route gets: anything no route matched.
async fn unmatched(method: Method, uri: Uri) -> Result<Response, ApiError> {
    match routes::allowed_methods(uri.path()) {
        Some(methods) if method == Method::OPTIONS => {
            let mut allow = methods.to_vec();
            allow.push(Method::OPTIONS);
            let value = HeaderValue::from_str(&join_methods(&allow)).map_err(ApiError::internal)?;
            Ok((StatusCode::NO_CONTENT, [(header::ALLOW, value)]).into_response())
        }
        Some(methods) => Err(ApiError::MethodNotAllowed {
            allow: methods.to_vec(),
        }),
        None => Err(ApiError::NotFound {
            detail: "No route exists at this path; GET / lists the API's functions and routes."
                .into(),
        }),
    }
}

fn function_infos() -> Vec<FunctionInfo> {
    routes::functions()
        .into_iter()
        .map(|name| FunctionInfo {
            name,
            routes: routes::ROUTES
                .iter()
                .filter(|route| route.function == name)
                .map(|route| format!("{} {}", route.method, route.path))
                .collect(),
        })
        .collect()
}

/// Lists the packs in `dir`. A missing or unreadable directory means no models:
/// health must answer even when the models layer is absent.
fn discover_models(dir: &std::path::Path) -> Vec<ModelInfo> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "MODEL_DIR is not readable; reporting no models");
        return Vec::new();
    };
    let mut models: Vec<ModelInfo> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("config.json").is_file())
        .map(|entry| {
            let config: serde_json::Value = std::fs::read(entry.path().join("config.json"))
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or_default();
            let text = |key: &str| config.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            ModelInfo {
                name: entry.file_name().to_string_lossy().into_owned(),
                version: text("version"),
                task: text("task"),
            }
        })
        .collect();
    models.sort_by(|a, b| a.name.cmp(&b.name));
    models
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn app() -> Router {
        shared::build_app(
            router(Config::default()),
            &shared::config::HttpConfig::default(),
        )
    }

    async fn call(method: Method, path: &str) -> (StatusCode, http::HeaderMap, Vec<u8>) {
        let req = http::Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let response = app().oneshot(req).await.unwrap();
        let (parts, body) = response.into_parts();
        (
            parts.status,
            parts.headers,
            body.collect().await.unwrap().to_bytes().to_vec(),
        )
    }

    #[tokio::test]
    async fn get_root_reports_status_and_functions() {
        let (status, headers, body) = call(Method::GET, "/").await;
        assert_eq!(status, 200);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(body["functions"][0]["name"], "health");
        assert_eq!(body["functions"][0]["routes"][0], "GET /");
    }

    #[tokio::test]
    async fn head_root_is_200_without_body() {
        let (status, _, body) = call(Method::HEAD, "/").await;
        assert_eq!(status, 200);
        assert!(body.is_empty());
    }

    #[tokio::test]
    async fn unknown_path_is_404_problem() {
        let (status, headers, body) = call(Method::GET, "/does/not/exist").await;
        assert_eq!(status, 404);
        assert_eq!(headers[header::CONTENT_TYPE], shared::error::PROBLEM_JSON);
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["status"], 404);
        assert!(body["request_id"].is_string());
    }

    #[tokio::test]
    async fn wrong_method_on_root_is_405_with_allow() {
        let (status, headers, _) = call(Method::DELETE, "/").await;
        assert_eq!(status, 405);
        assert_eq!(headers[header::CONTENT_TYPE], shared::error::PROBLEM_JSON);
        assert!(headers[header::ALLOW].to_str().unwrap().contains("GET"));
    }

    #[tokio::test]
    async fn models_are_discovered_from_config_files() {
        let dir = std::env::temp_dir().join(format!("health-models-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("btc")).unwrap();
        std::fs::create_dir_all(dir.join("not-a-pack")).unwrap();
        std::fs::write(
            dir.join("btc/config.json"),
            r#"{"version": "v3", "task": "regression"}"#,
        )
        .unwrap();
        let models = discover_models(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(models.len(), 1);
        assert_eq!(models[0].name, "btc");
        assert_eq!(models[0].version.as_deref(), Some("v3"));
        assert!(discover_models(std::path::Path::new("/no/such/dir")).is_empty());
    }
}
