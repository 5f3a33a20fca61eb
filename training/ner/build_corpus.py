"""Fetches the pinned sources and writes work/corpus.jsonl (see corpus.py)."""

from __future__ import annotations

import json
from pathlib import Path

import corpus
import sources

WORK = Path(__file__).resolve().parent / "work"

if __name__ == "__main__":
    unpacked = sources.fetch_all(WORK / "sources")
    counts = corpus.build(unpacked, WORK / "corpus.jsonl")
    (WORK / "corpus-stats.json").write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
    for key, words in sorted(counts.items()):
        print(f"{key:24} {words:>9} words")
