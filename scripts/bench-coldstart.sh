#!/usr/bin/env bash
# Cold starts of every function (release build), and of the Python reference
# (FastAPI + spaCy en_core_web_sm on awslambdaric + Mangum), through the same
# local Lambda runtime API (tools/lambda-harness): a fresh process per start,
# timed from process start to the first response, RUNS times each.
#
#   RUNS=10 ./scripts/bench-coldstart.sh
#   RESULT_FILE=coldstart.json   where the JSON goes (default .cache/bench/coldstart.json;
#                                the one-core pass goes beside it, as *-1cpu.json)
#   ONLY=entities                only the cases whose name starts with this
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

RUNS="${RUNS:-10}"
RESULT_FILE="${RESULT_FILE:-$ROOT/.cache/bench/coldstart.json}"
ensure_tools
ensure_bench_tools
mkdir -p "$(dirname "$RESULT_FILE")"

log "building the release functions and the harness (first build takes minutes)"
cargo build --release --locked --bins -p lambda-harness \
  -p health -p docs -p authorizer -p cafe -p predict -p entities
TARGET="$(cargo_target_dir)"

DYNALITE_PID=""
trap 'stop_group "$DYNALITE_PID" TERM' EXIT
DB_PORT="$(free_port)"
start_dynalite "$DB_PORT" ""

only=()
[[ -n "${ONLY:-}" ]] && only=(--only "$ONLY")
# run_harness OUT [PREFIX COMMAND...]
run_harness() {
  local out="$1"; shift
  # Single-threaded numeric libraries on the Python side, as tract is.
  OMP_NUM_THREADS=1 "$@" "$TARGET/release/coldstart" --out "$out" \
    --bin-dir "$TARGET/release" --models "$ROOT/models" \
    --dynamodb-endpoint "http://127.0.0.1:$DB_PORT" \
    --text-file "$ROOT/bench/entities/texts/030.txt" \
    --reference-python "$BENCH_VENV/bin/python" --reference-dir "$ROOT/bench/reference" \
    --runs "$RUNS" "${only[@]}"
}
log "every core of this machine ($(nproc))"
run_harness "$RESULT_FILE"
# Lambda gives a function one vCPU at 1,769 MB and a share of one below that:
# the same starts pinned to one core show what parallel loading cannot hide.
log "pinned to one core (taskset)"
run_harness "${RESULT_FILE%.json}-1cpu.json" taskset -c 0
log "wrote $RESULT_FILE and ${RESULT_FILE%.json}-1cpu.json"
