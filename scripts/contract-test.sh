#!/usr/bin/env bash
# Contract tests of a running API (by default the README's run command on
# http://127.0.0.1:9000):
#   1. /openapi.json validates as OpenAPI 3.1 (openapi-spec-validator);
#   2. schemathesis runs every operation with generated valid and invalid
#      requests and checks: no 5xx, documented status codes, content types and
#      headers, bodies that match their schemas, invalid input refused, auth
#      enforced, unknown methods refused;
#   3. a headless-Chromium test of /docs and /redoc (tests/browser/docs.mjs),
#      which saves screenshots.
#
#   scripts/contract-test.sh [BASE_URL]
#   API_TOKEN                 bearer token for the write routes
#   CONTRACT_MAX_EXAMPLES     schemathesis cases per operation and phase (25)
#   CONTRACT_MAX_TIME         schemathesis time budget in seconds (240)
#   CONTRACT_OUT              where reports and screenshots go (.test-output)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

BASE="${1:-http://127.0.0.1:9000}"
TOKEN="${API_TOKEN:-local-dev-token-change-me}"
OUT="${CONTRACT_OUT:-$ROOT/.test-output}"
mkdir -p "$OUT"
ensure_contract_tools
ensure_node_tools
ensure_chromium

log "OpenAPI 3.1 validation of $BASE/openapi.json"
curl -sf "$BASE/openapi.json" -o "$OUT/openapi.json" || die "no document at $BASE/openapi.json"
"$CONTRACT_VENV/bin/openapi-spec-validator" "$OUT/openapi.json"

# positive_data_acceptance is left out on purpose: some inputs that match the
# schema are refused by rules a schema cannot state (an opaque cursor this API
# never issued, a close that leaves a gap in the price history, an If-Match of
# a stale version), and the generator cannot know them.
checks=not_a_server_error,status_code_conformance,content_type_conformance
checks+=,response_headers_conformance,response_schema_conformance
checks+=,negative_data_rejection,missing_required_header,unsupported_method,ignored_auth

# `cargo lambda watch` now and then drops a request without any answer (seen
# once in ~17,000): --request-retries resends on such network errors, as it
# does not resend on any HTTP answer. See tests/contract/hooks.py for the other
# emulator failure, its own 500s.
log "schemathesis against $BASE (checks: $checks)"
SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$ROOT/tests/contract" \
  "$CONTRACT_VENV/bin/schemathesis" --no-color --config-file "$ROOT/tests/contract/schemathesis.toml" \
  run "$BASE/openapi.json" \
  --url "$BASE" \
  --checks "$checks" \
  --header "Authorization: Bearer $TOKEN" \
  --max-examples "${CONTRACT_MAX_EXAMPLES:-25}" \
  --max-time "${CONTRACT_MAX_TIME:-240}" \
  --request-timeout 30 \
  --request-retries 2 \
  --seed "${CONTRACT_SEED:-20261129}" \
  --generation-database none \
  --report junit --report-dir "$OUT/schemathesis"

log "browser test of /docs and /redoc (screenshots in ${OUT#"$ROOT/"}/screenshots)"
node "$ROOT/tests/browser/docs.mjs" "$BASE" "$OUT/screenshots"
