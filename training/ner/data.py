"""Turns labelled paragraphs into word features and BIO tags (numpy arrays).

Teacher spans are character offsets on spaCy's tokens; the student tags our
own words (features.py). A word is inside an entity when it overlaps it; the
share of teacher entities whose edges fall inside one of our words (so the
student cannot reproduce them exactly) is reported as the alignment ceiling.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import features

# OntoNotes types (the spaCy teacher's), then the personal-data types the
# gold-labelled text of pii_text.py adds.
ONTO_LABELS = [
    "CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP",
    "ORDINAL", "ORG", "PERCENT", "PERSON", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART",
]
PII_LABELS = ["STREET_ADDRESS", "ZIP_CODE"]
LABELS = ONTO_LABELS + PII_LABELS
TAGS = ["O"] + [f"{p}-{label}" for label in LABELS for p in ("B", "I")]
TAG_INDEX = {tag: i for i, tag in enumerate(TAGS)}


class Featurizer:
    """Caches each distinct word's feature rows (hashing in Python is slow)."""

    def __init__(self, rows: list[int]):
        self.rows = rows
        self.cache: dict[str, list[int]] = {}

    def __call__(self, word: str) -> list[int]:
        cached = self.cache.get(word)
        if cached is None:
            cached = features.feature_rows(word, self.rows)
            self.cache[word] = cached
        return cached


# Teacher labels the gold of a constructed text overrides: a name the
# teacher finds outside the template's slots is a teacher error there.
TEACHER_DROPPED_WITH_GOLD = {"PERSON"}


def merge_gold(teacher: list[list], gold: list[list]) -> list[list]:
    """The merge rule where both exist (EXPERIMENTS.md): constructed gold
    wins; a teacher span that overlaps any gold span (an `O` span included:
    values the patterns own) is dropped, and so is any teacher PERSON; the
    teacher's other spans (DATE, ORG, CARDINAL...) stay."""
    kept = [
        list(t) for t in teacher
        if t[2] not in TEACHER_DROPPED_WITH_GOLD
        and not any(t[0] < g[1] and g[0] < t[1] for g in gold)
    ]
    kept.extend(list(g) for g in gold if g[2] != "O")
    return sorted(kept)


def tags_for(words: list[tuple[int, int]], ents: list[list]) -> tuple[list[int], int]:
    tags = [0] * len(words)
    misaligned = 0
    starts = {s for s, _ in words}
    ends = {e for _, e in words}
    for start, end, label in ents:
        if label not in LABELS:
            continue
        if start not in starts or end not in ends:
            misaligned += 1
        first = True
        for i, (ws, we) in enumerate(words):
            if we > start and ws < end:
                tags[i] = TAG_INDEX[f"{'B' if first else 'I'}-{label}"]
                first = False
    return tags, misaligned


def build(corpus: Path, labels: Path, rows: list[int], out_dir: Path) -> dict:
    tokenizer = features.word_tokenizer()
    featurize = Featurizer(rows)
    by_split: dict[str, dict[str, list]] = {}
    stats: dict[str, dict[str, int]] = {}
    for line, label_line in zip(corpus.open(encoding="utf-8"), labels.open(encoding="utf-8")):
        record, labelled = json.loads(line), json.loads(label_line)
        assert record["id"] == labelled["id"]
        words = features.words_of(tokenizer, record["text"])
        if not words:
            continue
        text = record["text"]
        ents = labelled["ents"]
        if "gold" in record:
            ents = merge_gold(ents, record["gold"])
        tags, misaligned = tags_for(words, ents)
        split = by_split.setdefault(record["split"], {"feats": [], "tags": [], "lengths": []})
        split["feats"].extend(featurize(text[s:e]) for s, e in words)
        split["tags"].extend(tags)
        split["lengths"].append(len(words))
        s = stats.setdefault(record["split"], {"paragraphs": 0, "words": 0, "entities": 0, "misaligned": 0})
        s["paragraphs"] += 1
        s["words"] += len(words)
        s["entities"] += len(ents)
        s["misaligned"] += misaligned
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, split in by_split.items():
        np.savez(
            out_dir / f"{name}.npz",
            feats=np.asarray(split["feats"], dtype=np.int64),
            tags=np.asarray(split["tags"], dtype=np.int64),
            lengths=np.asarray(split["lengths"], dtype=np.int64),
        )
    return stats
