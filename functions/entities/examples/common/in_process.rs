//! `POST /entities` through the real router and the shared layers, in
//! process (no HTTP): one definition for the benches and examples that time
//! or measure it (`#[path]`-included; not an example of its own).

use std::sync::Arc;

use axum::{Router, body::Body, body::Bytes};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The entities function's router with the shared layers, on `catalog`.
pub fn app(catalog: entities::Catalog) -> Router {
    shared::build_app(
        entities::router(Arc::new(catalog), Arc::default()),
        &shared::config::HttpConfig::default(),
    )
}

/// Posts `body` to `/entities`; the answer must be a 200.
pub async fn post(app: &Router, body: String) -> Bytes {
    let request = http::Request::post("/entities")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    response.into_body().collect().await.unwrap().to_bytes()
}
