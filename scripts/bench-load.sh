#!/usr/bin/env bash
# Bounded load runs against every function, and against the Python reference
# (FastAPI + spaCy en_core_web_sm under uvicorn) in the same run. Each function
# is its release binary behind our own local API Gateway + Lambda stand-in
# (tools/lambda-harness `serve-function`: CONCURRENCY instances polling a
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
#   FUNCTIONS="entities"    build and serve only these functions (default: all five)
#   ROUNDS=3                run the whole scenario list this many times, one
#                           after the other, and report for each scenario the
#                           round with its median p50 (others under "rounds").
#                           On a machine whose speed drifts (a shared VM), a
#                           ratio between two scenarios of one round-robin is
#                           steadier than one long pass over each in turn.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-1}"
CONCURRENCY="${CONCURRENCY:-1}"
RESULT_FILE="${RESULT_FILE:-$ROOT/.cache/bench/load.json}"
ONLY="${ONLY:-}"
ROUNDS="${ROUNDS:-1}"
FUNCTIONS="${FUNCTIONS:-health docs predict cafe entities}"
wanted() { [[ " $FUNCTIONS " == *" $1 "* ]]; }
ensure_tools
ensure_bench_tools
ensure_wrk
mkdir -p "$(dirname "$RESULT_FILE")"

log "building the release functions and the harness (first build takes minutes)"
packages=(-p lambda-harness)
for function in $FUNCTIONS; do packages+=(-p "$function"); done
cargo build --release --locked --bins "${packages[@]}"
TARGET="$(cargo_target_dir)/release"

WORK="$(mktemp -d)"
export API_TOKEN="load-test-token-$RANDOM$RANDOM"
# Single-threaded model runs on both sides, as on a 1-vCPU Lambda.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 BLIS_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
DYNALITE_PID="" REF_PID="" REF_NER_PID=""
FRONT_PIDS=()
cleanup() {
  for pid in "${FRONT_PIDS[@]}"; do stop_group "$pid" TERM; done
  stop_group "$REF_PID" TERM
  stop_group "$REF_NER_PID" TERM
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
wanted health && serve health
wanted docs && serve docs
wanted predict && serve predict --env "MODEL_DIR=$ROOT/models" --env BTC_TABLE=load-btc --env "DYNAMODB_ENDPOINT=$DB" --env BTC_CREATE_TABLE=true
wanted cafe && serve cafe --env "API_TOKEN=$API_TOKEN" --env CAFE_TABLE=load-cafe --env "DYNAMODB_ENDPOINT=$DB" --env CAFE_CREATE_TABLE=true
wanted entities && serve entities --env "MODEL_DIR=$ROOT/models"
# The two Python references: spaCy's whole pipeline (the original project),
# and only its NER component behind an async route (REFERENCE_PIPES=ner).
reference() { # reference PIPES LOG: starts uvicorn on a free port; sets REF_URL, REF_STARTED
  local port; port="$(free_port)"
  set -m
  REFERENCE_PIPES="$1" "$BENCH_VENV/bin/uvicorn" app:app --app-dir "$ROOT/bench/reference" --host 127.0.0.1 \
    --port "$port" --workers "$CONCURRENCY" --http httptools --loop uvloop --log-level warning >"$2" 2>&1 &
  REF_STARTED=$!
  set +m
  REF_URL="http://127.0.0.1:$port"
}
reference all "$WORK/reference.log"; REF="$REF_URL" REF_PID="$REF_STARTED"
reference ner "$WORK/reference-ner.log"; REF_NER="$REF_URL" REF_NER_PID="$REF_STARTED"

for check in "health /" "docs /openapi.json" "predict /predict/model" "cafe /items" "entities /entities/models"; do
  function="${check%% *}"
  wanted "$function" || continue
  wait_for 60 "${URL[$function]}${check#* }" || { tail -20 "$WORK/$function.log"; die "$function did not start"; }
done
wait_for 120 "$REF/" || { tail -40 "$WORK/reference.log"; die "the Python reference did not start"; }
wait_for 120 "$REF_NER/" || { tail -40 "$WORK/reference-ner.log"; die "the NER-only Python reference did not start"; }
: > "$WORK/ids"
wanted cafe && for _ in $(seq 200); do
  curl -s --max-time 10 -X POST "${URL[cafe]}/items" -H "Authorization: Bearer $API_TOKEN" -H 'Content-Type: application/json' \
    -d '{"name":"Seed","price":"2.50","category":"seed"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' >> "$WORK/ids"
done
for text in "$ROOT"/bench/entities/texts/{015,120,420}.txt; do
  python3 -c 'import json,sys; print(json.dumps({"text": open(sys.argv[1]).read().strip()}))' "$text" \
    > "$WORK/entities-$(basename "$text" .txt).json"
  python3 -c 'import json,sys; print(json.dumps({"text": open(sys.argv[1]).read().strip(), "model_size": "lg"}))' "$text" \
    > "$WORK/entities-lg-$(basename "$text" .txt).json"
  # The worst a request may bring (bench/entities/hostile.json, printed by
  # `cargo run --release -p pii-patterns --example hostile_cost -- --fixture`):
  # the largest deny list, the costliest patterns that fit when there are 2
  # and when there are 16, and as many patterns of Unicode classes never met
  # before as fit. Compared with the plain request in the same run.
  for variant in deny_list two_patterns sixteen_patterns new_unicode_classes; do
    # Patterns of classes never met before only mean something fresh.
    [ "$variant" = new_unicode_classes ] || for size in sm lg; do
      python3 -c 'import json,sys; print(json.dumps({"text": open(sys.argv[1]).read().strip(), "model_size": sys.argv[4],
        "recognizers": json.load(open(sys.argv[2]))[sys.argv[3]]}))' "$text" "$ROOT/bench/entities/hostile.json" "$variant" "$size" \
        > "$WORK/entities-hostile-$variant-$size-$(basename "$text" .txt).json"
    done
    # The same recognizers named anew on every request (bench/load/fresh.lua
    # numbers `__N__`, and makes `__U__` characters no request had): the
    # compiled-set cache never hits, so each request pays the first-use
    # compilation.
    python3 -c 'import json,sys; r=json.load(open(sys.argv[2]))[sys.argv[3]]; r[0]["name"]="first-use-__N__"
print(json.dumps({"text": open(sys.argv[1]).read().strip(), "recognizers": r}))' "$text" "$ROOT/bench/entities/hostile.json" "$variant" \
      > "$WORK/entities-hostile-fresh-$variant-$(basename "$text" .txt).json"
  done
done
# A batch of 64 copies of the 15-token text, against 64 single requests.
for size in sm lg; do
  python3 -c 'import json,sys; print(json.dumps({"texts": [open(sys.argv[1]).read().strip()] * 64, "model_size": sys.argv[2]}))' \
    "$ROOT/bench/entities/texts/015.txt" "$size" > "$WORK/entities-batch64-$size.json"
done
echo '{"closes":[91000.5,91800.25]}' > "$WORK/predict.json"

# name | side | url | method | body file | script
scenarios=()
wanted health && scenarios+=("health GET /|rust|${URL[health]}/|GET||request.lua")
wanted docs && scenarios+=("docs GET /openapi.json|rust|${URL[docs]}/openapi.json|GET||request.lua")
wanted predict && scenarios+=("predict POST /predict|rust|${URL[predict]}/predict|POST|$WORK/predict.json|request.lua")
wanted cafe && scenarios+=("cafe mixed (70% get, 10% list, 10% create, 10% patch)|rust|${URL[cafe]}|||cafe.lua")
for n in 015 120 420; do
  wanted entities && scenarios+=("entities POST /entities, ${n#0} tokens|rust|${URL[entities]}/entities|POST|$WORK/entities-$n.json|request.lua")
  wanted entities && scenarios+=("entities-lg POST /entities (model_size lg), ${n#0} tokens|rust|${URL[entities]}/entities|POST|$WORK/entities-lg-$n.json|request.lua")
  for variant in deny_list two_patterns sixteen_patterns; do
    for size in sm lg; do
      wanted entities && scenarios+=("entities-hostile $variant POST /entities (model_size $size), ${n#0} tokens|rust|${URL[entities]}/entities|POST|$WORK/entities-hostile-$variant-$size-$n.json|request.lua")
    done
    wanted entities && scenarios+=("entities-hostile-fresh $variant POST /entities (new recognizers each request), ${n#0} tokens|rust|${URL[entities]}/entities|POST|$WORK/entities-hostile-fresh-$variant-$n.json|fresh.lua")
  done
  wanted entities && scenarios+=("entities-hostile-fresh new_unicode_classes POST /entities (new recognizers each request), ${n#0} tokens|rust|${URL[entities]}/entities|POST|$WORK/entities-hostile-fresh-new_unicode_classes-$n.json|fresh.lua")
  scenarios+=("python-fastapi-spacy POST /entities, ${n#0} tokens|python|$REF/entities|POST|$WORK/entities-$n.json|request.lua")
  scenarios+=("python-fastapi-spacy-ner POST /entities, ${n#0} tokens|python|$REF_NER/entities|POST|$WORK/entities-$n.json|request.lua")
done
for size in sm lg; do
  wanted entities && scenarios+=("entities-batch64 POST /entities (64 texts of 15 tokens, model_size $size)|rust|${URL[entities]}/entities|POST|$WORK/entities-batch64-$size.json|request.lua")
done
scenarios+=("python-fastapi-spacy GET /|python|$REF/|GET||request.lua")

selected() {
  [[ -z "$ONLY" ]] && return 0
  local word
  for word in $ONLY; do [[ "$1" == "$word"* ]] && return 0; done
  return 1
}

: > "$WORK/results.jsonl"
for round in $(seq "$ROUNDS"); do
  for scenario in "${scenarios[@]}"; do
    IFS='|' read -r name side url method body script <<<"$scenario"
    selected "$name" || continue
    args=(-t1 -c "$CONNECTIONS" --latency -s "$ROOT/bench/load/$script" "$url")
    [[ "$script" == cafe.lua ]] && args+=(-- "$WORK/ids")
    # Warm every instance, then measure.
    LOAD_METHOD="$method" LOAD_BODY_FILE="$body" wrk -d 2s "${args[@]}" >/dev/null
    log "$name (round $round of $ROUNDS): $DURATION, $CONNECTIONS connections"
    result="$(LOAD_METHOD="$method" LOAD_BODY_FILE="$body" wrk -d "$DURATION" "${args[@]}" | sed -n 's/^RESULT //p')"
    [[ -n "$result" ]] || die "$name: wrk printed no result"
    python3 -c 'import json,sys; r=json.loads(sys.argv[3]); r.update(name=sys.argv[1], side=sys.argv[2], round=int(sys.argv[4])); print(json.dumps(r))' \
      "$name" "$side" "$result" "$round" | tee -a "$WORK/results.jsonl"
  done
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
for function in $FUNCTIONS; do
  mapfile -t pids < <(pgrep -P "${FRONT[$function]}" || true)
  printf '{"process":"%s","instances":%d,"peak_rss_kib":%d}\n' "$function" "${#pids[@]}" "$(peak_of "${pids[@]}")" >> "$WORK/memory.jsonl"
done
for ref in "python-fastapi-spacy $REF_PID" "python-fastapi-spacy-ner $REF_NER_PID"; do
  # uvicorn's workers, not multiprocessing's resource tracker.
  mapfile -t pids < <(pgrep -P "${ref#* }" -f multiprocessing.spawn || true)
  # With one worker, uvicorn serves in its own process.
  (( ${#pids[@]} > 0 )) || pids=("${ref#* }")
  printf '{"process":"%s (uvicorn worker)","instances":%d,"peak_rss_kib":%d}\n' "${ref%% *}" "${#pids[@]}" "$(peak_of "${pids[@]}")" >> "$WORK/memory.jsonl"
done
cat "$WORK/memory.jsonl"

python3 - "$WORK/results.jsonl" "$WORK/memory.jsonl" "$RESULT_FILE" "$DURATION" "$CONNECTIONS" "$CONCURRENCY" <<'PY'
import json, subprocess, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
# One row per scenario: the round with the median p50, and every round's
# figures beside it; errors count over all rounds.
results = []
for name in dict.fromkeys(r["name"] for r in runs):
    mine = sorted((r for r in runs if r["name"] == name), key=lambda r: r["p50_ms"])
    row = dict(mine[(len(mine) - 1) // 2])
    if len(mine) > 1:
        row["rounds"] = [{k: r[k] for k in ("round", "rps", "p50_ms", "p99_ms")} for r in mine]
        row["non_2xx"] = sum(r["non_2xx"] for r in mine)
        row["socket_errors"] = sum(r["socket_errors"] for r in mine)
    results.append(row)
memory = [json.loads(l) for l in open(sys.argv[2])]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
json.dump({"commit": commit, "duration": sys.argv[4], "rounds": max((r["round"] for r in runs), default=0), "connections": int(sys.argv[5]),
           "instances": int(sys.argv[6]), "scenarios": results, "memory": memory},
          open(sys.argv[3], "w"), indent=2)
failed = [r["name"] for r in results if r["non_2xx"] or r["socket_errors"]]
print(f"wrote {sys.argv[3]}")
if failed:
    print("errors in:", ", ".join(failed), file=sys.stderr)
    sys.exit(1)
PY
