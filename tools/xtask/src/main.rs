//! `cargo xtask`: the project's developer tasks, in Rust rather than shell.
//!
//! ```text
//! cargo xtask gen [--check]          regenerate what template.yaml and the handlers drive
//! cargo xtask test [unit]            unit tests: no server, no downloads
//! cargo xtask test integration       + dynalite and the model packs, started for you
//! cargo xtask test full              everything CI runs (./scripts/test.sh)
//! cargo xtask functions              the template's functions, one per line
//! cargo xtask package-report OUT     zip the models layer, check every artefact's size
//! ```
//!
//! Arguments after `--` go to the test runner (`cargo xtask test unit -- -p cafe`).

mod generate;
mod package;
mod tiers;

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

const USAGE: &str = "usage:
  cargo xtask gen [--check] [--routes-only]
                                  regenerate the route table, the watch router and openapi.json
                                  from template.yaml and the handlers (--check: fail when stale;
                                  --routes-only: skip openapi.json, which builds every function)
  cargo xtask test [TIER] [-- ARGS]
                                  TIER: unit (default; no server needed), integration (starts
                                  dynalite, builds the model packs, runs every test), full
                                  (./scripts/test.sh: what CI runs)
  cargo xtask functions           the template's functions: `binary layer|-` per line";

/// The repository root (this crate lives in `tools/xtask/`). Read from the
/// variable `cargo run` sets, not the compile-time one: two checkouts sharing
/// a target directory (a CI clone beside a working tree) share one binary,
/// since cargo hashes path packages relative to their workspace, and a
/// compiled-in path would send `gen` to write into the other checkout.
fn repo_root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (own, passed) = match args.iter().position(|a| a == "--") {
        Some(at) => (&args[..at], &args[at + 1..]),
        None => (&args[..], &[][..]),
    };
    let own: Vec<&str> = own.iter().map(String::as_str).collect();
    let root = repo_root();
    let result = match own.as_slice() {
        ["gen", flags @ ..]
            if flags
                .iter()
                .all(|f| ["--check", "--routes-only"].contains(f)) =>
        {
            generate::run(
                &root,
                flags.contains(&"--check"),
                !flags.contains(&"--routes-only"),
            )
        }
        ["test"] | ["test", "unit"] => tiers::unit(&root, passed),
        ["test", "integration"] => tiers::integration(&root, passed),
        ["test", "full"] => tiers::full(&root),
        ["functions"] => generate::functions(&root),
        ["package-report", out] => package::report(&root, Path::new(out), None),
        ["package-report", out, result] => {
            package::report(&root, Path::new(out), Some(Path::new(result)))
        }
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
