//! The committed document is the generated one, and the rules hold on it.

use openapi_document::{committed_path, document_json};

#[test]
fn committed_document_is_current() {
    let generated = document_json().expect("document assembles");
    let committed = std::fs::read_to_string(committed_path()).expect("committed document");
    assert!(
        committed == generated,
        "functions/docs/openapi.json is stale: run `cargo run -p openapi-document -- --write` \
         and commit the result"
    );
}

#[test]
fn every_operation_has_an_id_a_summary_and_a_tag_and_ids_are_unique() {
    let document: serde_json::Value =
        serde_json::from_str(&document_json().expect("document")).expect("JSON");
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let what = format!("{method} {path}");
            let id = operation["operationId"].as_str().expect(&what);
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            assert!(operation["summary"].is_string(), "{what} has no summary");
            assert!(operation["tags"][0].is_string(), "{what} has no tag");
            assert!(operation["responses"]["500"].is_object(), "{what}");
        }
    }
}

#[test]
fn write_routes_require_the_bearer_token_and_reads_do_not() {
    let document: serde_json::Value =
        serde_json::from_str(&document_json().expect("document")).expect("JSON");
    let secured = |path: &str, method: &str| {
        document["paths"][path][method]["security"]
            .as_array()
            .is_some_and(|list| list.iter().any(|req| req.get("bearer").is_some()))
    };
    for (path, method) in [
        ("/items", "post"),
        ("/items/{id}", "put"),
        ("/items/{id}", "patch"),
        ("/items/{id}", "delete"),
        ("/train", "post"),
    ] {
        assert!(secured(path, method), "{method} {path} must need the token");
        assert!(
            document["paths"][path][method]["responses"]["401"].is_object(),
            "{method} {path} documents 401"
        );
    }
    for (path, method) in [
        ("/items", "get"),
        ("/items/{id}", "get"),
        ("/predict", "post"),
        ("/entities", "post"),
    ] {
        assert!(!secured(path, method), "{method} {path} is public");
    }
}
