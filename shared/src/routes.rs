//! The API's route table: which function serves each (method, path).
//!
//! `template.yaml` is the source of truth: `cargo xtask gen` writes the table
//! into `routes/generated.rs` (and the `cargo lambda watch` router into
//! Cargo.toml); `tests/tests/route_agreement.rs` fails when either is stale.
//! The table exists so that the health function, which API Gateway calls for
//! every request no route matches (the `$default` route), can answer 405 with
//! `Allow` for a known path instead of a blanket 404.

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

impl Route {
    pub const fn new(method: &'static str, path: &'static str, function: &'static str) -> Self {
        Self {
            method,
            path,
            function,
        }
    }
}

mod generated;
pub use generated::{DEFAULT_ROUTE_FUNCTION, ROUTES};

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
