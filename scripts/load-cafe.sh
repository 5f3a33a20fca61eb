#!/usr/bin/env bash
# Bounded load run against the local cafe API (release build under cargo lambda
# watch, dynalite on a scratch directory): seeds 200 items, then runs a mixed
# read/write workload with wrk and prints latency percentiles and errors.
#
#   DURATION=20s CONNECTIONS=4 CONCURRENCY=2 ./scripts/load-cafe.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DURATION="${DURATION:-20s}"
CONNECTIONS="${CONNECTIONS:-4}"
CONCURRENCY="${CONCURRENCY:-2}"
command -v wrk >/dev/null || { log "installing wrk (Debian package)"; apt-get install -y -qq wrk >/dev/null; }

PORT="$(free_port)" DB_PORT="$(free_port)" WORK="$(mktemp -d)"
export API_TOKEN="load-test-token-$RANDOM$RANDOM"
BASE="http://127.0.0.1:$PORT"
set -m
PORT="$PORT" DYNAMODB_PORT="$DB_PORT" DATA_DIR="$WORK" SERVE_RELEASE=1 SERVE_RELOAD=0 SERVE_CONCURRENCY="$CONCURRENCY" \
  with_default_sigint "$ROOT/scripts/serve.sh" >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
set +m
trap 'kill -INT $SERVE_PID 2>/dev/null; wait $SERVE_PID 2>/dev/null; rm -rf "$WORK"' EXIT

log "building release functions and starting (first start compiles; can take minutes)"
# Each function compiles on its first request: wait for both.
for path in / /items; do
  wait_for 1800 "$BASE$path" || { tail -40 "$WORK/serve.log"; die "API did not start"; }
done
for _ in $(seq 200); do
  curl -s --max-time 10 -X POST "$BASE/items" -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Seed","price":"2.50","category":"seed"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
done > "$WORK/ids"
# Warm every function instance before measuring.
wrk -t1 -c "$CONNECTIONS" -d 3s -s "$ROOT/bench/load/cafe.lua" "$BASE" -- "$WORK/ids" >/dev/null
log "measuring: $DURATION, $CONNECTIONS connections, $CONCURRENCY function instances"
wrk -t2 -c "$CONNECTIONS" -d "$DURATION" --latency -s "$ROOT/bench/load/cafe.lua" "$BASE" -- "$WORK/ids" | tee "$WORK/wrk.out"
grep '^RESULT' "$WORK/wrk.out" | sed 's/^RESULT //' > "${RESULT_FILE:-/dev/stdout}"
