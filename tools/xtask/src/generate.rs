//! `cargo xtask gen`: every file generated from template.yaml and the
//! handlers' annotations, in one command.

use std::{path::Path, process::Command};

use sam_template::{Template, render_route_table, render_watch_router, replace_watch_router};

pub fn template(root: &Path) -> Result<Template, String> {
    let path = root.join("template.yaml");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Template::parse(&text).map_err(|e| e.to_string())
}

/// The route files as they should be: `(path relative to root, contents)`.
fn route_files(root: &Path) -> Result<Vec<(&'static str, String)>, String> {
    let template = template(root)?;
    let cargo_path = root.join("Cargo.toml");
    let cargo = std::fs::read_to_string(&cargo_path)
        .map_err(|e| format!("cannot read {}: {e}", cargo_path.display()))?;
    let block = render_watch_router(&template).map_err(|e| e.to_string())?;
    Ok(vec![
        ("Cargo.toml", replace_watch_router(&cargo, &block)),
        (
            "shared/src/routes/generated.rs",
            render_route_table(&template).map_err(|e| e.to_string())?,
        ),
    ])
}

pub fn run(root: &Path, check: bool, openapi: bool) -> Result<(), String> {
    let mut stale = Vec::new();
    for (relative, wanted) in route_files(root)? {
        let path = root.join(relative);
        if std::fs::read_to_string(&path).is_ok_and(|now| now == wanted) {
            continue;
        }
        if check {
            stale.push(relative);
        } else {
            std::fs::write(&path, wanted)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("wrote {relative}");
        }
    }
    // The OpenAPI document comes from the handlers' annotations, so it is built
    // by the crate that links every function (after the route table above).
    if !openapi {
        return finish(stale, check);
    }
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["run", "--quiet", "--locked", "-p", "openapi-document", "--"])
        .arg(if check { "--check" } else { "--write" })
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        stale.push("functions/docs/openapi.json");
    }
    finish(stale, check)
}

fn finish(stale: Vec<&str>, check: bool) -> Result<(), String> {
    if stale.is_empty() {
        Ok(())
    } else if check {
        Err(format!(
            "stale generated files: {}; run `cargo xtask gen`",
            stale.join(", ")
        ))
    } else {
        Err("openapi-document failed".into())
    }
}

/// One line per function: its binary and whether it mounts the models layer
/// (what scripts/package.sh builds and sizes).
pub fn functions(root: &Path) -> Result<(), String> {
    for function in template(root)?.functions {
        let layer = if function.uses_models_layer {
            "layer"
        } else {
            "-"
        };
        println!("{} {layer}", function.binary);
    }
    Ok(())
}
