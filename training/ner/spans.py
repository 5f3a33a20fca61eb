"""Span decoding and agreement scores, mirroring the Rust runtime's decode.

`decode` follows crates/token-classifier/src/decode.rs for one-token-per-word
packs: lenient BIO, a word below the threshold ends the entity, and
neighbouring spans of one type with only whitespace between them merge.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


def softmax_best(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    best = logits.argmax(-1)
    shifted = logits - logits.max(-1, keepdims=True)
    probability = 1.0 / np.exp(shifted).sum(-1)
    return best, probability


def constrained_best(logits: np.ndarray, tags: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The runtime's `decoding: constrained` (crates/token-classifier/src/constrained.rs):
    the most likely label sequence in which every I-X follows a B-X or I-X
    (Viterbi over log-softmax, no transition scores), with each chosen label's
    probability."""
    shifted = logits - logits.max(-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    words, labels = log_probs.shape
    if words == 0:
        return np.zeros(0, dtype=int), np.zeros(0)
    parsed = [("O", "") if t == "O" else tuple(t.split("-", 1)) for t in tags]
    allowed = []  # None: any predecessor; else the B-/I- of the label's own type
    for prefix, kind in parsed:
        if prefix in ("I", "L", "E") and any(p == "B" and k == kind for p, k in parsed):
            allowed.append([i for i, (p, k) in enumerate(parsed) if p in ("B", "I") and k == kind])
        else:
            allowed.append(None)
    score = np.array([log_probs[0, l] if allowed[l] is None else -np.inf for l in range(labels)])
    back = np.zeros((words, labels), dtype=int)
    for w in range(1, words):
        best_any = int(score.argmax())
        new = np.empty(labels)
        for l in range(labels):
            frm = best_any if allowed[l] is None else max(allowed[l], key=lambda p: (score[p], -p))
            back[w, l] = frm
            new[l] = score[frm] + log_probs[w, l]
        score = new
    path = np.zeros(words, dtype=int)
    path[-1] = int(score.argmax())
    for w in range(words - 1, 0, -1):
        path[w - 1] = back[w, path[w]]
    return path, np.exp(log_probs[np.arange(words), path])


def decode(text: str, words: list[tuple[int, int]], best, probability, tags: list[str],
           threshold: float) -> list[tuple[int, int, str]]:
    pieces: list[list] = []
    open_ = None
    for (start, end), label, p in zip(words, best, probability):
        tag = tags[int(label)]
        if tag == "O" or not (np.isfinite(p) and p >= threshold):
            if open_:
                pieces.append(open_)
            open_ = None
            continue
        prefix, kind = tag.split("-", 1)
        if prefix == "I" and open_ and open_[2] == kind:
            open_[1] = end
        else:
            if open_:
                pieces.append(open_)
            open_ = [start, end, kind]
    if open_:
        pieces.append(open_)
    spans: list[list] = []
    for start, end, kind in pieces:
        if spans and spans[-1][2] == kind and spans[-1][1] <= start and text[spans[-1][1]:start].isspace():
            spans[-1][1] = end
        else:
            spans.append([start, end, kind])
    return [tuple(s) for s in spans]


def plan_windows(count: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """The runtime's plan_windows for one-token-per-word packs."""
    windows, start = [], 0
    while True:
        end = min(start + size, count)
        windows.append((start, end))
        if end == count:
            return windows
        start = max(end - overlap, start + 1)


def merge_windows(found: list[dict]) -> list[dict]:
    """The runtime's merge_windows: same-type overlaps are unioned (max score)."""
    found = sorted(found, key=lambda s: (s["type"], s["start"], s["end"]))
    merged: list[dict] = []
    for span in found:
        last = merged[-1] if merged else None
        if last and last["type"] == span["type"] and span["start"] < max(last["end"], last["start"] + 1):
            last["end"] = max(last["end"], span["end"])
            last["score"] = max(last["score"], span["score"])
        else:
            merged.append(dict(span))
    return sorted(merged, key=lambda s: (s["start"], s["end"], s["type"]))


class Agreement:
    """Exact span + label agreement with the teacher: P, R, F1 overall and per label."""

    def __init__(self):
        self.tp, self.fp, self.fn = Counter(), Counter(), Counter()

    def add(self, predicted, gold) -> None:
        predicted, gold = set(map(tuple, predicted)), set(map(tuple, gold))
        for s in predicted & gold:
            self.tp[s[2]] += 1
        for s in predicted - gold:
            self.fp[s[2]] += 1
        for s in gold - predicted:
            self.fn[s[2]] += 1

    @staticmethod
    def _prf(tp, fp, fn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": tp + fn}

    def report(self) -> dict:
        labels = sorted(set(self.tp) | set(self.fp) | set(self.fn))
        overall = self._prf(sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values()))
        return {"overall": overall,
                "per_label": {l: self._prf(self.tp[l], self.fp[l], self.fn[l]) for l in labels}}
