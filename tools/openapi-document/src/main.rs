//! `openapi-document`: prints the API's OpenAPI document; `--write` renews the
//! copy the docs function serves, `--check` fails when that copy is stale.

use std::process::ExitCode;

fn main() -> ExitCode {
    let json = match openapi_document::document_json() {
        Ok(json) => json,
        Err(err) => {
            eprintln!("openapi-document: {err}");
            return ExitCode::FAILURE;
        }
    };
    let path = openapi_document::committed_path();
    match std::env::args().nth(1).as_deref() {
        None => {
            print!("{json}");
            ExitCode::SUCCESS
        }
        Some("--write") => match std::fs::write(&path, json) {
            Ok(()) => {
                eprintln!("wrote {}", path.display());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("openapi-document: cannot write {}: {err}", path.display());
                ExitCode::FAILURE
            }
        },
        Some("--check") => {
            if std::fs::read_to_string(&path).is_ok_and(|committed| committed == json) {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "{} is stale: run `cargo run -p openapi-document -- --write`",
                    path.display()
                );
                ExitCode::FAILURE
            }
        }
        Some(other) => {
            eprintln!("usage: openapi-document [--write | --check] (got {other:?})");
            ExitCode::from(2)
        }
    }
}
