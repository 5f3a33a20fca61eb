//! The API's route table: which function serves each (method, path).
//!
//! `template.yaml` is the source of truth. This table exists so that the health
//! function, which API Gateway calls for every request no route matches (the
//! `$default` route), can answer 405 with `Allow` for a known path instead of a
//! blanket 404. `tests/tests/route_agreement.rs` fails when this table, the
//! template and the `cargo lambda watch` router in Cargo.toml disagree.

use std::sync::OnceLock;

use http::Method;

/// One API Gateway route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// Path in API Gateway syntax (`/items/{id}`), which matchit also reads.
    pub path: &'static str,
    /// The function (and binary) that serves it.
    pub function: &'static str,
}

const fn route(method: &'static str, path: &'static str, function: &'static str) -> Route {
    Route {
        method,
        path,
        function,
    }
}

/// The function API Gateway sends unmatched requests to.
pub const DEFAULT_ROUTE_FUNCTION: &str = "health";

/// Every route of the API, in template order.
pub const ROUTES: &[Route] = &[
    route("GET", "/", "health"),
    route("HEAD", "/", "health"),
    route("GET", "/items", "cafe"),
    route("HEAD", "/items", "cafe"),
    route("POST", "/items", "cafe"),
    route("GET", "/items/{id}", "cafe"),
    route("HEAD", "/items/{id}", "cafe"),
    route("PUT", "/items/{id}", "cafe"),
    route("PATCH", "/items/{id}", "cafe"),
    route("DELETE", "/items/{id}", "cafe"),
    route("POST", "/predict", "predict"),
    route("GET", "/predict/model", "predict"),
    route("HEAD", "/predict/model", "predict"),
    route("POST", "/train", "train"),
    route("POST", "/entities", "entities"),
    route("GET", "/entities/models", "entities"),
    route("HEAD", "/entities/models", "entities"),
    route("POST", "/entities/restore", "entities"),
    route("GET", "/openapi.json", "docs"),
    route("GET", "/docs", "docs"),
    route("GET", "/docs/{asset}", "docs"),
    route("GET", "/redoc", "docs"),
];

/// The methods served at `path`, or `None` when no route has this path.
pub fn allowed_methods(path: &str) -> Option<&'static [Method]> {
    static ROUTER: OnceLock<matchit::Router<Vec<Method>>> = OnceLock::new();
    let router = ROUTER.get_or_init(|| {
        let mut by_path: Vec<(&str, Vec<Method>)> = Vec::new();
        for route in ROUTES {
            let method = route.method.parse().unwrap_or(Method::GET);
            match by_path.iter_mut().find(|(path, _)| *path == route.path) {
                Some((_, methods)) => methods.push(method),
                None => by_path.push((route.path, vec![method])),
            }
        }
        let mut router = matchit::Router::new();
        for (path, methods) in by_path {
            // Paths are constants checked by the route-agreement test.
            let _ = router.insert(path, methods);
        }
        router
    });
    router.at(path).ok().map(|matched| matched.value.as_slice())
}

/// The distinct functions of the API, in table order.
pub fn functions() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for route in ROUTES {
        if !names.contains(&route.function) {
            names.push(route.function);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_paths_list_their_methods() {
        assert_eq!(allowed_methods("/"), Some(&[Method::GET, Method::HEAD][..]));
        assert_eq!(allowed_methods("/no/such/path"), None);
    }

    #[test]
    fn every_method_parses() {
        for route in ROUTES {
            assert!(route.method.parse::<Method>().is_ok(), "{route:?}");
            assert!(route.path.starts_with('/'), "{route:?}");
        }
    }
}
