#!/usr/bin/env bash
# End-to-end check of the README's run command: starts scripts/serve.sh on free
# ports, uses the API over real HTTP as the README shows, stops it with SIGINT as
# Ctrl-C would, checks that no process it started is left behind, then starts it
# again on the same data, checks that the menu survived, and runs the contract
# tests (scripts/contract-test.sh) against it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PORT="$(free_port)"
DB_PORT="$(free_port)"
DATA_DIR="$(mktemp -d)"
LOG="$DATA_DIR/serve.log"
BASE="http://127.0.0.1:$PORT"
export API_TOKEN="smoke-test-token-$RANDOM$RANDOM"
AUTH="Authorization: Bearer $API_TOKEN"
passed=0 failures=0
check() { # check NAME COMMAND...
  local name="$1"; shift
  if "$@"; then echo "ok   - $name"; passed=$((passed + 1)); else echo "FAIL - $name"; failures=$((failures + 1)); fi
}
status_of() { curl -s -o /dev/null -w '%{http_code} %{content_type}' "$@"; }
# Predicates for `check`: arguments are passed as data, never spliced into shell
# code, so a response body or a pid cannot change what is run.
not_running() { ! kill -0 "$1" 2>/dev/null; }
not_answering() { ! curl -s -o /dev/null --max-time 1 "$1"; }
one_of() { local value="$1" wanted; shift; for wanted; do [[ "$value" == "$wanted" ]] && return 0; done; return 1; }
lacks() { ! grep -qF -- "$2" <<<"$1"; }
# eventually SECONDS COMMAND...: COMMAND succeeds within SECONDS (polled), for
# what the API does in the background (predict's model refresh) instead of a
# fixed sleep that is too long on a fast machine and too short on a slow one.
eventually() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do (( SECONDS < deadline )) || return 1; sleep 0.2; done
}
left_behind() { local p; for p in $ALL_PIDS; do ps -o pid=,args= -p "$p" 2>/dev/null || true; done; }

descendants() { local p; for p in $(pgrep -P "$1" 2>/dev/null); do echo "$p"; descendants "$p"; done; }
SERVE_PID="" ALL_PIDS=""
finish() {
  kill -KILL $ALL_PIDS 2>/dev/null || true
  rm -rf "$DATA_DIR"
}
trap finish EXIT

start_serve() {
  # Job control on: otherwise bash starts background commands with SIGINT
  # ignored, and the script could not be stopped the way Ctrl-C stops it.
  set -m
  PORT="$PORT" DYNAMODB_PORT="$DB_PORT" DATA_DIR="$DATA_DIR" with_default_sigint "$ROOT/scripts/serve.sh" >>"$LOG" 2>&1 &
  SERVE_PID=$!
  set +m
  # The first request compiles the function in debug mode: allow for a cold build.
  if ! wait_for 900 "$BASE/"; then
    echo "FAIL - the API did not answer on $BASE; log:"; tail -50 "$LOG"; exit 1
  fi
}

stop_serve() {
  ALL_PIDS="$SERVE_PID $(descendants "$SERVE_PID" | tr '\n' ' ')"
  kill -INT "$SERVE_PID"
  check "SIGINT stops the run command" eventually 15 not_running "$SERVE_PID"
  # Its children get the same 15 s, polled, before any counts as left behind.
  eventually 15 test -z "$(left_behind)" || true
  local left
  left="$(left_behind)"
  check "no process is left behind" test -z "$left"
  [[ -z "$left" ]] || echo "left behind: $left"
  check "nothing listens on the API port any more" not_answering "$BASE/"
}

start_serve

body="$(curl -s "$BASE/")"
check "GET / is 200 JSON" test "$(status_of "$BASE/")" = "200 application/json"
check "GET / reports status ok" grep -q '"status":"ok"' <<<"$body"
check "unknown path is a 404 problem+json" test "$(status_of "$BASE/no/such/path")" = "404 application/problem+json"
check "wrong method on / is a 405 with Allow" grep -qi '^allow: GET' <(curl -s -D - -o /dev/null -X DELETE "$BASE/")
check "wrong method on /items is a 405 with Allow" grep -qi '^allow: GET, HEAD, POST' <(curl -s -D - -o /dev/null -X DELETE "$BASE/items")
check "HEAD / is 200" test "$(curl -s -o /dev/null -I -w '%{http_code}' "$BASE/")" = "200"
check "CORS preflight is answered" \
  grep -qi '^access-control-allow-origin: https://app.example' <(curl -s -D - -o /dev/null -X OPTIONS \
    -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: POST' "$BASE/items")
check "CORS refuses a cross-origin write (Authorization) from an unlisted origin" \
  test -z "$(curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: https://app.example' \
    -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: authorization' \
    "$BASE/items" | grep -i '^access-control-allow-origin')"

if [[ -d "$ROOT/functions/cafe" ]]; then
  # The README's cafe walk-through.
  check "create without a token is 401" test "$(status_of -X POST "$BASE/items" -H 'Content-Type: application/json' -d '{"name":"Tea","price":"2.00"}')" = "401 application/problem+json"
  created="$(curl -s -X POST "$BASE/items" -H "$AUTH" -H 'Content-Type: application/json' \
    -d '{"name": "Latte", "price": "3.50", "category": "drinks"}')"
  id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$created" 2>/dev/null || true)"
  check "create returns an id" test -n "$id"
  check "list shows it" grep -q "$id" <(curl -s "$BASE/items?category=drinks")
  check "get returns it" test "$(status_of "$BASE/items/$id")" = "200 application/json"
  check "patch changes it" grep -q '"price":"3.80"' <(curl -s -X PATCH "$BASE/items/$id" -H "$AUTH" \
    -H 'Content-Type: application/merge-patch+json' -H 'If-Match: "1"' -d '{"price": "3.80"}')
  check "invalid body is a 422" test "$(status_of -X POST "$BASE/items" -H "$AUTH" -H 'Content-Type: application/json' -d '{"name":""}')" = "422 application/problem+json"
  check "delete is 204" test "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$BASE/items/$id" -H "$AUTH")" = "204"
  check "deleted item is 404" test "$(status_of "$BASE/items/$id")" = "404 application/problem+json"
  kept="$(curl -s -X POST "$BASE/items" -H "$AUTH" -H 'Content-Type: application/json' -d '{"name": "Scone", "price": "2.10"}')"
  kept_id="$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$kept" 2>/dev/null || true)"
fi

if [[ -d "$ROOT/functions/predict" ]]; then
  check "predict from history is 200" grep -q '"predicted_close"' <(curl -s -X POST "$BASE/predict" -H 'Content-Type: application/json' -d '{}')
  check "predict from given closes is 200" grep -q '"input":"request"' <(curl -s -X POST "$BASE/predict" -H 'Content-Type: application/json' -d '{"closes": [64000, 64813.38]}')
  check "predict with a bad close is 422" test "$(status_of -X POST "$BASE/predict" -H 'Content-Type: application/json' -d '{"closes": [64000, -1]}')" = "422 application/problem+json"
  check "model metadata is 200" grep -q '"baselines"' <(curl -s "$BASE/predict/model")
  train_status="$(curl -s -o /dev/null -w '%{http_code}' -X POST "$BASE/train" -H "$AUTH" -H 'Content-Type: application/json' \
    -d '{"closes": [{"date": "2026-06-04", "close": 65102.5}, {"date": "2026-06-05", "close": 65500}]}')"
  check "train answers 201 (published) or 409 (kept the better model)" one_of "$train_status" 201 409
  # serve.sh refreshes predict's history every MODEL_REFRESH_SECS (2 s by default).
  forecasts_from_posted() { curl -s -X POST "$BASE/predict" -H 'Content-Type: application/json' -d '{}' | grep -q '"as_of":"2026-06-05"'; }
  check "predict then forecasts from the posted closes" eventually 30 forecasts_from_posted
fi

if [[ -d "$ROOT/functions/entities" ]]; then
  redacted="$(curl -s -X POST "$BASE/entities" -H 'Content-Type: application/json' \
    -d '{"text": "My name is Sarah Johnson, mail sarah@example.com", "operator": "replace"}')"
  check "entities redacts an e-mail address" grep -q '<EMAIL_ADDRESS>' <<<"$redacted"
  check "entities lists its model packs" grep -q 'pii-en-rampart' <(curl -s "$BASE/entities/models")
  # Reversible redaction over HTTP: encrypt, then restore with the write token.
  sealed="$(curl -s -X POST "$BASE/entities" -H 'Content-Type: application/json' \
    -d '{"text": "Mail sarah@example.com today", "operators": {"DEFAULT": {"type": "encrypt"}}}' |
    python3 -c 'import json, sys; print(json.dumps({"text": json.load(sys.stdin)["anonymized_text"]}))')"
  check "encrypt hides the e-mail address" lacks "$sealed" 'sarah@'
  check "restore with the write token gives the text back" grep -q '"text":"Mail sarah@example.com today"' \
    <(curl -s -X POST "$BASE/entities/restore" -H "$AUTH" -H 'Content-Type: application/json' -d "$sealed")
  check "restore without the token is 401" test \
    "$(status_of -X POST "$BASE/entities/restore" -H 'Content-Type: application/json' -d "$sealed")" = "401 application/problem+json"
fi

stop_serve

start_serve
if [[ -n "${kept_id:-}" ]]; then
  check "an item survives a restart of the run command" grep -q '"name":"Scone"' <(curl -s "$BASE/items/$kept_id")
fi
# Last, as they write and delete freely (with the token, schemathesis creates,
# changes and deletes items it finds).
if [[ -d "$ROOT/functions/docs" ]]; then
  check "the OpenAPI document is served" test "$(status_of "$BASE/openapi.json")" = "200 application/json"
  check "Swagger UI is served" test "$(status_of "$BASE/docs")" = "200 text/html; charset=utf-8"
  check "Redoc is served" test "$(status_of "$BASE/redoc")" = "200 text/html; charset=utf-8"
  # Contract tests: the document, schemathesis on every operation, the browser.
  # SMOKE_CONTRACT=0 skips them (e.g. while iterating on something else).
  if [[ "${SMOKE_CONTRACT:-1}" == 1 ]]; then
    check "contract tests pass (scripts/contract-test.sh)" "$ROOT/scripts/contract-test.sh" "$BASE"
  fi
fi

stop_serve

echo "smoke: $passed passed, $failures failed"
[[ "$failures" == 0 ]] || { echo "--- serve log"; tail -60 "$LOG"; exit 1; }
