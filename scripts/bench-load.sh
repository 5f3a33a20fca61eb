#!/usr/bin/env bash
# Bounded load runs against every function, and against the Python reference
# (FastAPI + spaCy en_core_web_sm under uvicorn) in the same run. Each function
# is its release binary behind our own local API Gateway + Lambda stand-in
# (crates/lambda-harness `serve-function`: CONCURRENCY instances polling a
# runtime API, one request per instance at a time, as Lambda runs them);
# the reference runs CONCURRENCY uvicorn workers. DynamoDB is dynalite, in
# memory; wrk runs on the same machine. Prints p50/p90/p99, throughput and
# errors per scenario and the peak memory of each function's instances, and
# writes them as JSON. Exits non-zero if any request failed.
#
#   DURATION=10s CONNECTIONS=1 CONCURRENCY=1 ./scripts/bench-load.sh
#
# The defaults compare one instance with one worker at one request at a time,
# Lambda's model. With more, uvicorn hands each connection to one worker, and
# two connections on the same worker double spaCy's latency: a balancing
# artefact, not the model's speed.
#   RESULT_FILE=load.json   where the JSON goes (default .cache/bench/load.json)
#   ONLY="health entities"  run only scenarios whose name starts with one of these
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1}"
CONCURRENCY="${CONCURRENCY:-1}"
RESULT_FILE="${RESULT_FILE:-$ROOT/.cache/bench/load.json}"
ONLY="${ONLY:-}"
ensure_tools
ensure_bench_tools
ensure_wrk
mkdir -p "$(dirname "$RESULT_FILE")"

log "building the release functions and the harness (first build takes minutes)"
cargo build --release --locked --bins -p lambda-harness -p health -p docs -p cafe -p predict -p entities
TARGET="$(cargo_target_dir)/release"

WORK="$(mktemp -d)"
export API_TOKEN="load-test-token-$RANDOM$RANDOM"
# Single-threaded model runs on both sides, as on a 1-vCPU Lambda.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 BLIS_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
DYNALITE_PID="" REF_PID=""
FRONT_PIDS=()
cleanup() {
  for pid in "${FRONT_PIDS[@]}"; do stop_group "$pid" TERM; done
  stop_group "$REF_PID" TERM
  stop_group "$DYNALITE_PID" TERM
  rm -rf "$WORK"
}
trap cleanup EXIT

DB_PORT="$(free_port)"
start_dynalite "$DB_PORT" ""
DB="http://127.0.0.1:$DB_PORT"

# Starts function $1 behind serve-function; sets URL_<function>.
declare -A URL FRONT
serve() {
  local function="$1"; shift
  local port; port="$(free_port)"
  set -m
  "$TARGET/serve-function" --name "$function" --program "$TARGET/$function" --port "$port" \
    --instances "$CONCURRENCY" "$@" >"$WORK/$function.log" 2>&1 &
  FRONT[$function]=$!
  FRONT_PIDS+=($!)
  set +m
  URL[$function]="http://127.0.0.1:$port"
}
serve health
serve docs
serve predict --env "MODEL_DIR=$ROOT/models" --env BTC_TABLE=load-btc --env "DYNAMODB_ENDPOINT=$DB" --env BTC_CREATE_TABLE=true
serve cafe --env "API_TOKEN=$API_TOKEN" --env CAFE_TABLE=load-cafe --env "DYNAMODB_ENDPOINT=$DB" --env CAFE_CREATE_TABLE=true
serve entities --env "MODEL_DIR=$ROOT/models"
REF_PORT="$(free_port)"
REF="http://127.0.0.1:$REF_PORT"
set -m
"$BENCH_VENV/bin/uvicorn" app:app --app-dir "$ROOT/bench/reference" --host 127.0.0.1 --port "$REF_PORT" \
  --workers "$CONCURRENCY" --http httptools --loop uvloop --log-level warning >"$WORK/reference.log" 2>&1 &
REF_PID=$!
set +m

for check in "health /" "docs /openapi.json" "predict /predict/model" "cafe /items" "entities /entities/models"; do
  function="${check%% *}"
  wait_for 60 "${URL[$function]}${check#* }" || { tail -20 "$WORK/$function.log"; die "$function did not start"; }
done
wait_for 120 "$REF/" || { tail -40 "$WORK/reference.log"; die "the Python reference did not start"; }
BASE_CAFE="${URL[cafe]}"

for _ in $(seq 200); do
  curl -s --max-time 10 -X POST "$BASE_CAFE/items" -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Seed","price":"2.50","category":"seed"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
done > "$WORK/ids"
for text in "$ROOT"/bench/entities/texts/{015,120,420}.txt; do
  python3 -c 'import json,sys; print(json.dumps({"text": open(sys.argv[1]).read().strip()}))' "$text" \
    > "$WORK/entities-$(basename "$text" .txt).json"
done
echo '{"closes":[91000.5,91800.25]}' > "$WORK/predict.json"

# name | side | url | method | body file | script
scenarios=(
  "health GET /|rust|${URL[health]}/|GET||request.lua"
  "docs GET /openapi.json|rust|${URL[docs]}/openapi.json|GET||request.lua"
  "predict POST /predict|rust|${URL[predict]}/predict|POST|$WORK/predict.json|request.lua"
  "cafe mixed (70% get, 10% list, 10% create, 10% patch)|rust|${URL[cafe]}|||cafe.lua"
)
for n in 015 120 420; do
  scenarios+=("entities POST /entities, ${n#0} tokens|rust|${URL[entities]}/entities|POST|$WORK/entities-$n.json|request.lua")
  scenarios+=("python-fastapi-spacy POST /entities, ${n#0} tokens|python|$REF/entities|POST|$WORK/entities-$n.json|request.lua")
done
scenarios+=("python-fastapi-spacy GET /|python|$REF/|GET||request.lua")

selected() {
  [[ -z "$ONLY" ]] && return 0
  local word
  for word in $ONLY; do [[ "$1" == "$word"* ]] && return 0; done
  return 1
}

: > "$WORK/results.jsonl"
for scenario in "${scenarios[@]}"; do
  IFS='|' read -r name side url method body script <<<"$scenario"
  selected "$name" || continue
  args=(-t1 -c "$CONNECTIONS" --latency -s "$ROOT/bench/load/$script" "$url")
  [[ "$script" == cafe.lua ]] && args+=(-- "$WORK/ids")
  # Warm every instance, then measure.
  LOAD_METHOD="$method" LOAD_BODY_FILE="$body" wrk -d 2s "${args[@]}" >/dev/null
  log "$name: $DURATION, $CONNECTIONS connections"
  result="$(LOAD_METHOD="$method" LOAD_BODY_FILE="$body" wrk -d "$DURATION" "${args[@]}" | sed -n 's/^RESULT //p')"
  [[ -n "$result" ]] || die "$name: wrk printed no result"
  python3 -c 'import json,sys; r=json.loads(sys.argv[3]); r.update(name=sys.argv[1], side=sys.argv[2]); print(json.dumps(r))' \
    "$name" "$side" "$result" | tee -a "$WORK/results.jsonl"
done

# Peak resident memory (VmHWM) of each function's processes over the whole
# run: the largest instance is what a Lambda memory size must hold.
peak_of() {
  local peak=0 pid kib
  for pid in "$@"; do
    kib="$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)"
    [[ -n "$kib" ]] && (( kib > peak )) && peak=$kib
  done
  echo "$peak"
}
: > "$WORK/memory.jsonl"
for function in health docs predict cafe entities; do
  mapfile -t pids < <(pgrep -P "${FRONT[$function]}" || true)
  printf '{"process":"%s","instances":%d,"peak_rss_kib":%d}\n' "$function" "${#pids[@]}" "$(peak_of "${pids[@]}")" >> "$WORK/memory.jsonl"
done
# uvicorn's workers, not multiprocessing's resource tracker.
mapfile -t pids < <(pgrep -P "$REF_PID" -f multiprocessing.spawn || true)
# With one worker, uvicorn serves in its own process.
(( ${#pids[@]} > 0 )) || pids=("$REF_PID")
printf '{"process":"python-fastapi-spacy (uvicorn worker)","instances":%d,"peak_rss_kib":%d}\n' "${#pids[@]}" "$(peak_of "${pids[@]}")" >> "$WORK/memory.jsonl"
cat "$WORK/memory.jsonl"

python3 - "$WORK/results.jsonl" "$WORK/memory.jsonl" "$RESULT_FILE" "$DURATION" "$CONNECTIONS" "$CONCURRENCY" <<'PY'
import json, subprocess, sys
results = [json.loads(l) for l in open(sys.argv[1])]
memory = [json.loads(l) for l in open(sys.argv[2])]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
json.dump({"commit": commit, "duration": sys.argv[4], "connections": int(sys.argv[5]),
           "instances": int(sys.argv[6]), "scenarios": results, "memory": memory},
          open(sys.argv[3], "w"), indent=2)
failed = [r["name"] for r in results if r["non_2xx"] or r["socket_errors"]]
print(f"wrote {sys.argv[3]}")
if failed:
    print("errors in:", ", ".join(failed), file=sys.stderr)
    sys.exit(1)
PY
