"""Fetches the pinned sources and writes work/corpus.jsonl (see corpus.py),
then appends the gold-labelled personal-data documents (pii_text.py).

    python build_corpus.py                      # PII_DOCUMENTS=30000 by default
    PII_DOCUMENTS=0 python build_corpus.py      # prose only (the earlier corpus)
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import corpus
import pii_text
import sources

WORK = Path(__file__).resolve().parent / "work"
PII_SEED = 13


def append_pii(out: Path, documents: int, counts: dict[str, int]) -> None:
    rng = random.Random(PII_SEED)
    with out.open("a", encoding="utf-8") as handle:
        for index in range(documents):
            text, gold = pii_text.document(rng, PII_SEED * 1_000_003 + index)
            split = "dev" if index % 50 == 0 else "train"
            record = {"id": f"pii/{index}", "source": "pii", "split": split, "text": text, "gold": gold}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            key = f"pii:{split}"
            counts[key] = counts.get(key, 0) + len(text.split())


if __name__ == "__main__":
    unpacked = sources.fetch_all(WORK / "sources")
    counts = corpus.build(unpacked, WORK / "corpus.jsonl")
    append_pii(WORK / "corpus.jsonl", int(os.environ.get("PII_DOCUMENTS", "30000")), counts)
    (WORK / "corpus-stats.json").write_text(json.dumps(counts, indent=2, sort_keys=True) + "\n")
    for key, words in sorted(counts.items()):
        print(f"{key:24} {words:>9} words")
