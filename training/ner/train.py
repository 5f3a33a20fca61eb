"""Trains a student on the teacher-labelled corpus; keeps the epoch best on dev.

    python train.py --name sm --width 128 --depth 4 --epochs 12
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import data
import spans
from student import Student, StudentConfig

WORK = Path(__file__).resolve().parent / "work"
CHUNK_WORDS = 128


def chunks(split: dict) -> list[tuple[int, int]]:
    """(start, end) word ranges: paragraphs cut into pieces of <= CHUNK_WORDS."""
    out, position = [], 0
    for length in split["lengths"]:
        for start in range(0, int(length), CHUNK_WORDS):
            out.append((position + start, position + min(start + CHUNK_WORDS, int(length))))
        position += int(length)
    return out


def batch(split: dict, ranges: list[tuple[int, int]]):
    longest = max(end - start for start, end in ranges)
    count = len(split["feats"][0])
    feats = np.zeros((len(ranges), longest, count), dtype=np.int64)
    tags = np.full((len(ranges), longest), -100, dtype=np.int64)
    mask = np.zeros((len(ranges), longest), dtype=np.float32)
    for row, (start, end) in enumerate(ranges):
        feats[row, : end - start] = split["feats"][start:end]
        tags[row, : end - start] = split["tags"][start:end]
        mask[row, : end - start] = 1
    return torch.from_numpy(feats), torch.from_numpy(tags), torch.from_numpy(mask)


def tag_spans(tags: np.ndarray) -> set[tuple[int, int, str]]:
    """Spans in word units from gold tag ids (B starts, I continues)."""
    out, open_ = set(), None
    for i, t in enumerate(list(tags) + [0]):
        name = data.TAGS[int(t)]
        if open_ and (name == "O" or name.startswith("B-") or name[2:] != open_[2]):
            out.add(tuple(open_))
            open_ = None
        if name != "O" and open_ is None:
            open_ = [i, i + 1, name[2:]]
        elif open_:
            open_[1] = i + 1
    return out


def word_level_f1(model: Student, split: dict, threshold: float) -> float:
    """Dev score: span agreement in word units over training-length chunks
    (fast; the character-level evaluation as served is evaluate.py's job)."""
    model.eval()
    agreement = spans.Agreement()
    with torch.no_grad():
        for start, end in chunks(split):
            feats = torch.from_numpy(split["feats"][start:end][None])
            logits = model(feats)[0].numpy()
            best, probability = spans.softmax_best(logits)
            best = np.where(probability >= threshold, best, 0)
            agreement.add(tag_spans(_as_bio(best)), tag_spans(split["tags"][start:end]))
    model.train()
    return agreement.report()["overall"]["f1"]


def _as_bio(best: np.ndarray) -> np.ndarray:
    """Lenient BIO, as the runtime reads it: an I- that does not continue its type begins."""
    out = best.copy()
    previous = "O"
    for i, t in enumerate(best):
        name = data.TAGS[int(t)]
        if name.startswith("I-") and previous[2:] != name[2:]:
            out[i] = data.TAG_INDEX["B-" + name[2:]]
        previous = name
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--rows", default="20000,2000,5000,1000")
    parser.add_argument("--dims", default="64,16,32,16")
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--kernel", type=int, default=3)
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--attention", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threshold", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    random.seed(args.seed)
    torch.set_num_threads(args.threads)
    config = StudentConfig(
        rows=[int(v) for v in args.rows.split(",")],
        dims=[int(v) for v in args.dims.split(",")],
        width=args.width, depth=args.depth, kernel=args.kernel,
        dropout=args.dropout, labels=len(data.TAGS), attention=args.attention,
    )
    # Cached per table sizes and per labelled corpus, so a grown corpus is re-read.
    labels_digest = hashlib.sha256((WORK / "labels.jsonl").read_bytes()).hexdigest()[:12]
    data_dir = WORK / "data" / f"{args.rows.replace(',', '-')}-{labels_digest}"
    if not (data_dir / "train.npz").is_file():
        stats = data.build(WORK / "corpus.jsonl", WORK / "labels.jsonl", config.rows, data_dir)
        (data_dir / "stats.json").write_text(json.dumps(stats, indent=2))
    train = dict(np.load(data_dir / "train.npz"))
    dev = dict(np.load(data_dir / "dev.npz"))
    ranges = chunks(train)

    model = Student(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(ranges) + args.batch - 1) // args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, args.lr, total_steps=steps, pct_start=0.05)
    loss_fn = nn.CrossEntropyLoss(ignore_index=-100)
    out = WORK / "runs" / args.name
    out.mkdir(parents=True, exist_ok=True)
    history, best = [], -1.0
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{args.name}: {parameters} parameters, {len(ranges)} chunks, {steps} steps", flush=True)
    for epoch in range(1, args.epochs + 1):
        started = time.time()
        random.shuffle(ranges)
        total = 0.0
        for i in range(0, len(ranges), args.batch):
            feats, tags, mask = batch(train, ranges[i : i + args.batch])
            logits = model(feats, mask)
            loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tags.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        f1 = word_level_f1(model, dev, args.threshold)
        seconds = time.time() - started
        history.append({"epoch": epoch, "loss": total / max(1, len(ranges) // args.batch),
                        "dev_word_f1": f1, "seconds": round(seconds, 1)})
        print(json.dumps(history[-1]), flush=True)
        if f1 > best:
            best = f1
            torch.save({"config": config.to_dict(), "state": model.state_dict(), "epoch": epoch}, out / "model.pt")
    (out / "train.json").write_text(json.dumps(
        {"args": vars(args), "parameters": parameters, "history": history, "best_dev_word_f1": best},
        indent=2))


if __name__ == "__main__":
    main()
