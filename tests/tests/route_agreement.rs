//! template.yaml is the source of truth for routes; `cargo xtask gen` writes
//! the `cargo lambda watch` router in Cargo.toml and the route table in
//! `shared` from it. These tests fail when a generated file is stale or edited
//! by hand, when the router routes differently than API Gateway would, and
//! when the function crates or the OpenAPI document drift from the template.

#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

use std::collections::BTreeSet;

use api_tests::{Template, check_watch_router, repo_root};
use sam_template::{render_route_table, render_watch_router, replace_watch_router};

fn template() -> String {
    std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml")
}

fn cargo_toml() -> String {
    std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("Cargo.toml")
}

fn template_routes(yaml: &str) -> Result<Template, sam_template::TemplateError> {
    Template::parse(yaml)
}

#[test]
fn generated_files_are_what_cargo_xtask_gen_writes() {
    let template = template_routes(&template()).unwrap();
    let cargo = cargo_toml();
    let block = render_watch_router(&template).unwrap();
    assert!(
        replace_watch_router(&cargo, &block) == cargo,
        "Cargo.toml's watch router is stale: run `cargo xtask gen`"
    );
    let table =
        std::fs::read_to_string(repo_root().join("shared/src/routes/generated.rs")).unwrap();
    assert!(
        render_route_table(&template).unwrap() == table,
        "shared/src/routes/generated.rs is stale: run `cargo xtask gen`"
    );
}

#[test]
fn cargo_watch_router_mirrors_template() {
    if let Err(diff) = check_watch_router(&template(), &cargo_toml()) {
        panic!("Cargo.toml's watch router disagrees with template.yaml:\n{diff}");
    }
}

#[test]
fn shared_route_table_mirrors_template() {
    let template = template_routes(&template()).unwrap();
    let table: api_tests::RouteMap = shared::routes::ROUTES
        .iter()
        .map(|r| {
            (
                (r.method.to_owned(), r.path.to_owned()),
                r.function.to_owned(),
            )
        })
        .collect();
    if let Some(diff) =
        api_tests::describe_difference(&template.routes, &table, "shared::routes::ROUTES")
    {
        panic!("shared/src/routes.rs disagrees with template.yaml:\n{diff}");
    }
    assert_eq!(
        template.default_function.as_deref(),
        Some(shared::routes::DEFAULT_ROUTE_FUNCTION),
        "the $default route's function"
    );
}

#[test]
fn every_function_crate_has_a_template_entry_and_back() {
    let crates: BTreeSet<String> = std::fs::read_dir(repo_root().join("functions"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let template = template_routes(&template()).unwrap();
    assert_eq!(
        crates,
        template.binaries(),
        "functions/<name> crates and template.yaml functions must match one to one"
    );
    for name in &crates {
        let manifest =
            std::fs::read_to_string(repo_root().join("functions").join(name).join("Cargo.toml"))
                .unwrap();
        let manifest: toml::Table = manifest.parse().unwrap();
        let bins: Vec<&str> = manifest
            .get("bin")
            .and_then(|b| b.as_array())
            .map(|bins| {
                bins.iter()
                    .filter_map(|b| b.get("name")?.as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(
            bins,
            vec![name.as_str()],
            "functions/{name} must build exactly one binary named {name}"
        );
    }
}

#[test]
fn template_uses_long_form_intrinsics_only() {
    // Short forms (!Ref, !Sub, !GetAtt) are YAML tags that plain parsers reject.
    for (number, line) in template().lines().enumerate() {
        let code = line.split('#').next().unwrap_or_default();
        assert!(
            !code.contains(" !"),
            "template.yaml:{}: use the long form of intrinsic functions",
            number + 1
        );
    }
}

/// The check itself must notice drift in either direction.
#[test]
fn a_route_added_to_only_one_side_is_caught() {
    let template = template();
    let cargo = cargo_toml();

    let extra_event = "        Extra:\n          Type: HttpApi\n          Properties:\n            ApiId:\n              Ref: HttpApi\n            Method: POST\n            Path: /extra\n";
    let anchor = "        RootHead:\n";
    assert!(template.contains(anchor));
    let template_with_extra = template.replacen(anchor, &format!("{extra_event}{anchor}"), 1);
    let diff = check_watch_router(&template_with_extra, &cargo)
        .unwrap_err()
        .to_string();
    assert!(
        diff.contains("missing in Cargo.toml: POST /extra"),
        "{diff}"
    );

    let anchor = "\"/{*proxy}\" = \"health\"";
    assert!(cargo.contains(anchor));
    let cargo_with_extra = cargo.replacen(
        anchor,
        &format!("\"/extra\" = [{{ method = \"POST\", function = \"health\" }}]\n{anchor}"),
        1,
    );
    let diff = check_watch_router(&template, &cargo_with_extra)
        .unwrap_err()
        .to_string();
    assert!(diff.contains("only in Cargo.toml: POST /extra"), "{diff}");
}

#[test]
fn openapi_document_has_exactly_the_template_routes() {
    let template = template_routes(&template()).unwrap();
    let document: serde_json::Value =
        serde_json::from_str(&openapi_document::document_json().unwrap()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let routed: BTreeSet<(String, String)> = template.routes.keys().cloned().collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "OpenAPI vs template.yaml: undocumented routes {missing:?}, documented but not routed {extra:?}"
    );
}
