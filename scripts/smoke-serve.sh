#!/usr/bin/env bash
# End-to-end check of the README's run command: starts scripts/serve.sh in its
# own session on free ports, calls the API over real HTTP, stops it with SIGINT
# as Ctrl-C would, and checks that no process it started is left behind.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT="$(free_port)"
DB_PORT="$(free_port)"
DATA_DIR="$(mktemp -d)"
LOG="$DATA_DIR/serve.log"
failures=0
check() { # check NAME CONDITION...
  local name="$1"; shift
  if "$@"; then echo "ok   - $name"; else echo "FAIL - $name"; failures=$((failures + 1)); fi
}

# Job control on: otherwise bash starts background commands with SIGINT ignored,
# and the script could not be stopped the way Ctrl-C stops it in a terminal.
set -m
PORT="$PORT" DYNAMODB_PORT="$DB_PORT" DATA_DIR="$DATA_DIR" "$ROOT/scripts/serve.sh" >"$LOG" 2>&1 &
SERVE_PID=$!
set +m
# With job control the script leads its own process group. serve.sh starts its
# children in process groups of their own, so leftovers are looked for by
# session-less ancestry: every descendant of the script.
descendants() { local p; for p in $(pgrep -P "$1" 2>/dev/null); do echo "$p"; descendants "$p"; done; }
ALL_PIDS=""
finish() {
  kill -KILL $ALL_PIDS 2>/dev/null || true
  rm -rf "$DATA_DIR"
}
trap finish EXIT

BASE="http://127.0.0.1:$PORT"
# The first request compiles the function in debug mode: allow for a cold build.
if ! wait_for 600 "$BASE/"; then
  echo "FAIL - the API did not answer on $BASE within 600 s; log:"; tail -50 "$LOG"; exit 1
fi

body="$(curl -s "$BASE/")"
check "GET / is 200 JSON with status ok" \
  test "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$BASE/")" = "200 application/json"
check "GET / reports status ok" grep -q '"status":"ok"' <<<"$body"
check "unknown path is a 404 problem+json" \
  test "$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$BASE/no/such/path")" = "404 application/problem+json"
check "wrong method is a 405 with Allow" \
  grep -qi '^allow: GET' <(curl -s -D - -o /dev/null -X DELETE "$BASE/")
check "HEAD / is 200" test "$(curl -s -o /dev/null -I -w '%{http_code}' "$BASE/")" = "200"
check "CORS preflight is answered" \
  grep -qi '^access-control-allow-origin: \*' <(curl -s -D - -o /dev/null -X OPTIONS \
    -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: GET' "$BASE/")

# Stop it the way Ctrl-C does and make sure nothing is left running.
ALL_PIDS="$SERVE_PID $(descendants "$SERVE_PID" | tr '\n' ' ')"
kill -INT "$SERVE_PID"
for _ in $(seq 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.1; done
sleep 0.5
left="$(for p in $ALL_PIDS; do ps -o pid=,args= -p "$p" 2>/dev/null || true; done)"
check "SIGINT stops the run command" bash -c "! kill -0 $SERVE_PID 2>/dev/null"
check "no process is left behind" test -z "$left"
[[ -z "$left" ]] || echo "left behind: $left"
check "nothing listens on the API port any more" bash -c "! curl -s -o /dev/null --max-time 1 $BASE/"

echo "smoke: $((6 + 3 - failures)) passed, $failures failed"
[[ "$failures" == 0 ]] || { echo "--- serve log"; tail -40 "$LOG"; exit 1; }
