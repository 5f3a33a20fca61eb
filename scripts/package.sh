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
# Zips the layer, measures every zip and checks Lambda's limits, in Rust
# (tools/xtask/src/package.rs), from the same template as `cargo xtask functions`.
cargo xtask package-report "$OUT" ${RESULT_FILE:+"$RESULT_FILE"}
