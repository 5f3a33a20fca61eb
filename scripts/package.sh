#!/usr/bin/env bash
# Builds every function of template.yaml for Lambda (arm64, release, one zip
# each, as `cargo lambda build --release --arm64 --output-format zip` makes
# them) and the models layer (as `sam build` makes it), reports their sizes and
# fails when one breaks a Lambda limit: 50 MB zipped per function upload,
# 250 MB unzipped for a function with all its layers.
#
#   ./scripts/package.sh                 sizes table on stdout
#   PACKAGE_DIR=dist ./scripts/package.sh  keep the zips (default: a temp dir)
#   RESULT_FILE=sizes.json ./scripts/package.sh   also write the figures as JSON
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

ensure_rust
ensure_python_tools
ensure_model_packs
rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu \
  || rustup target add aarch64-unknown-linux-gnu \
  || die "the aarch64-unknown-linux-gnu Rust target is missing and rustup could not add it"

OUT="${PACKAGE_DIR:-$(mktemp -d)}"
[[ -n "${PACKAGE_DIR:-}" ]] || trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT"

# The template's functions, read by the same parser the route tests use
# (tools/sam-template): `binary layer` for those that mount the models layer.
mapfile -t specs < <(cargo xtask functions)
(( ${#specs[@]} > 0 )) || die "no functions found in template.yaml (cargo xtask functions)"
packages=()
for spec in "${specs[@]}"; do packages+=(-p "${spec%% *}"); done

log "cargo lambda build --release --arm64 --output-format zip (${#specs[@]} functions; a cold build takes 20+ minutes on 2 cores)"
cargo lambda build --release --arm64 --output-format zip --lambda-dir "$OUT/functions" "${packages[@]}"

log "models layer (make build-ModelsLayer, what sam build runs)"
make -s build-ModelsLayer ARTIFACTS_DIR="$OUT/layer"
for pack in "$ROOT"/models/*/; do
  name="$(basename "$pack")"
  for f in config.json MODEL_CARD.md; do
    [[ -f "$OUT/layer/models/$name/$f" ]] || die "models layer: $name/$f is missing"
  done
done
(cd "$OUT/layer" && python3 -c 'import shutil; shutil.make_archive("../models-layer", "zip", ".")')

python3 - "$OUT" "${RESULT_FILE:-}" "${specs[@]}" <<'PY'
import json, os, sys, zipfile
out, result_file, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
MB = 1024 * 1024
ZIPPED_LIMIT, UNZIPPED_LIMIT = 50 * MB, 250 * MB

def unzipped(path):
    with zipfile.ZipFile(path) as z:
        return sum(i.file_size for i in z.infolist())

layer_zip = os.path.join(out, "models-layer.zip")
layer = {"zipped": os.path.getsize(layer_zip), "unzipped": unzipped(layer_zip)}
rows, problems = [], []
for spec in specs:
    name, uses_layer = spec.split()
    path = os.path.join(out, "functions", name, "bootstrap.zip")
    zipped, size = os.path.getsize(path), unzipped(path)
    total = size + (layer["unzipped"] if uses_layer == "layer" else 0)
    rows.append({"function": name, "zipped": zipped, "unzipped": size,
                 "models_layer": uses_layer == "layer", "unzipped_with_layers": total})
    if zipped > ZIPPED_LIMIT:
        problems.append(f"{name}: {zipped} bytes zipped, over Lambda's 50 MB")
    if total > UNZIPPED_LIMIT:
        problems.append(f"{name}: {total} bytes unzipped with its layers, over Lambda's 250 MB")
if layer["zipped"] > ZIPPED_LIMIT:
    # sam deploy uploads through S3, where only the unzipped limit applies.
    print(f"note: the models layer zips to {layer['zipped']} bytes, over the 50 MB of a direct upload: "
          "publish it through S3 (sam deploy does)", file=sys.stderr)

mib = lambda b: f"{b / MB:.2f} MiB"
print("| function (arm64) | zipped | unzipped | models layer | unzipped with layers | share of 250 MB |")
print("| --- | --- | --- | --- | --- | --- |")
for r in rows:
    print(f"| {r['function']} | {mib(r['zipped'])} | {mib(r['unzipped'])} | {'yes' if r['models_layer'] else 'no'} "
          f"| {mib(r['unzipped_with_layers'])} | {100 * r['unzipped_with_layers'] / UNZIPPED_LIMIT:.0f} % |")
print(f"| models layer | {mib(layer['zipped'])} | {mib(layer['unzipped'])} | | | |")
if result_file:
    with open(result_file, "w") as f:
        json.dump({"functions": rows, "models_layer": layer}, f, indent=2)
for p in problems:
    print("error:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
