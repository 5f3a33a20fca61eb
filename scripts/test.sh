#!/usr/bin/env bash
# Installs what is missing and runs every test: formatting, clippy (warnings are
# errors), the Rust test suites against a real dynalite, dependency licences and
# sources (cargo-deny), the template linters, and an end-to-end run of the
# README's serve command over HTTP with the contract tests, and the Lambda
# packages (arm64 release zips; a cold build adds about 20 minutes once).
#
#   CARGO_TARGET_DIR   reuse a build directory (CI points it at a cache)
#
# Faster tiers for development (tools/xtask/src/tiers.rs): `cargo test` or
# `cargo xtask test` (unit: nothing to install), `cargo xtask test integration`
# (dynalite and the model packs, installed and started for it).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_tools

OFFLINE_HOME=""
cleanup() { [[ -z "$OFFLINE_HOME" ]] || rm -rf "$OFFLINE_HOME"; }
trap cleanup EXIT

step() { log "$1"; }

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

# The integration tier: a fresh in-memory dynalite on a free port (each test
# makes its own table, so they run in parallel) and every test, the
# `#[ignore]`d ones that need it included (tools/xtask/src/tiers.rs).
step "Rust tests, every tier (cargo xtask test integration)"
if cargo nextest --version >/dev/null 2>&1; then
  cargo xtask test integration -- --profile ci
else
  cargo xtask test integration
fi

step "cargo deny: licences, bans, sources (deny.toml), offline against a fresh CARGO_HOME"
ensure_cargo_deny
ensure_crates
# Proof that the offline step reads only what this command fetches: it runs
# against an empty CARGO_HOME that only `cargo fetch --locked` filled, so a
# crate the fetch misses fails here, not on a user's first run. (~10 s)
OFFLINE_HOME="$(mktemp -d)"
CARGO_HOME="$OFFLINE_HOME" cargo fetch --locked --quiet
PATH="$(dirname "$(command -v cargo-deny)"):$PATH" CARGO_HOME="$OFFLINE_HOME" \
  cargo deny --offline check licenses bans sources
rm -rf "$OFFLINE_HOME"
if compgen -G "${CARGO_HOME:-$HOME/.cargo}/advisory-dbs/*/.git" >/dev/null; then
  step "cargo deny: advisories (local RustSec database, not refreshed)"
  cargo deny --offline check advisories
else
  log "cargo deny advisories: SKIPPED - no RustSec advisory database on this machine, and this network cannot fetch one; run 'cargo deny fetch' where it can, then this step checks it"
fi

step "cfn-lint template.yaml"
cfn-lint template.yaml

step "sam validate --lint"
sam validate --lint --template-file template.yaml

step "Lambda packages: arm64 zips of every function and the models layer, within Lambda's limits"
"$ROOT/scripts/package.sh"

step "end-to-end: the README's run command over HTTP"
"$ROOT/scripts/smoke-serve.sh"

step "all tests passed"
