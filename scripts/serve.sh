#!/usr/bin/env bash
# Serves the whole API on http://127.0.0.1:9000 through `cargo lambda watch`,
# installing what is missing first. Ctrl-C stops everything it started.
#
#   PORT=9000                  where the API listens
#   DATA_DIR=.data             where dynalite keeps its data (survives restarts)
#   API_TOKEN=...              bearer token for write routes (a dev default is used if unset)
#   REDACTION_KEY=...          entities' key for keyed pseudonyms and encrypt/restore
#                              (a dev default is used if unset and no REDACTION_KEY_SECRET_ARN)
#   CORS_ALLOWED_ORIGINS='*'   origins browsers may call from
#   SERVE_RELEASE=1            build functions in release mode (for load runs)
#   SERVE_CONCURRENCY=1        instances per function cargo-lambda may run at once
#   SERVE_RELOAD=1             rebuild and restart functions when code changes (0: never)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT="${PORT:-9000}"
DATA_DIR="${DATA_DIR:-$ROOT/.data}"
ensure_tools

if [[ -z "${API_TOKEN:-}" ]]; then
  export API_TOKEN="local-dev-token-change-me"
  log "API_TOKEN not set; write routes accept 'Authorization: Bearer $API_TOKEN'"
fi
if [[ -z "${REDACTION_KEY:-}" && -z "${REDACTION_KEY_SECRET_ARN:-}" ]]; then
  # Local only: a deployment keeps its key in Secrets Manager (README, Redaction key).
  export REDACTION_KEY="local-dev-redaction-key-change-me-0123456789"
  log "REDACTION_KEY not set; using a development key (pseudonyms and tokens made with it are not secret)"
fi
export MODEL_DIR="${MODEL_DIR:-$ROOT/models}"
export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-*}"

DYNALITE_PID="" WATCH_PID=""
cleanup() {
  trap - INT TERM EXIT
  log "stopping"
  stop_group "$WATCH_PID" INT
  stop_group "$DYNALITE_PID" TERM
}
trap cleanup INT TERM EXIT

if [[ -d "$ROOT/functions/cafe" || -d "$ROOT/functions/train" ]]; then
  DB_PORT="${DYNAMODB_PORT:-8000}"
  log "starting dynalite on 127.0.0.1:$DB_PORT (data in ${DATA_DIR#"$ROOT/"}/dynamodb)"
  DYNALITE_LOG="$DATA_DIR/dynalite.log" start_dynalite "$DB_PORT" "$DATA_DIR/dynamodb"
  export DYNAMODB_ENDPOINT="http://127.0.0.1:$DB_PORT"
  export CAFE_TABLE="${CAFE_TABLE:-cafe-items}"
  # Locally the cafe function creates its table on first start (on AWS,
  # CloudFormation owns it).
  export CAFE_CREATE_TABLE=true
  export BTC_TABLE="${BTC_TABLE:-btc-models}" BTC_CREATE_TABLE=true
  # Look for newly trained models often: a local run is for trying things.
  export MODEL_REFRESH_SECS="${MODEL_REFRESH_SECS:-2}"
fi

log "serving the API on http://127.0.0.1:$PORT (functions build on first request)"
cd "$ROOT"
set -m
# --disable-cors: the functions answer CORS themselves, as they do on AWS.
watch_args=(-A 127.0.0.1 -P "$PORT" --disable-cors --concurrency "${SERVE_CONCURRENCY:-1}")
[[ "${SERVE_RELEASE:-0}" == 1 ]] && watch_args+=(--release)
[[ "${SERVE_RELOAD:-1}" == 0 ]] && watch_args+=(--ignore-changes)
cargo lambda watch "${watch_args[@]}" &
WATCH_PID=$!
set +m
wait "$WATCH_PID" || true
