"""Records words with their features, and texts with their word splits, for the Rust agreement test.

    python features_sample.py   # writes crates/token-classifier/tests/data/hashed_features.json

The sample: the first 3,000 distinct words (in sha256 order) of the held-out
texts, as the word splitter cuts them, plus hand-picked awkward ones (accents,
combining marks, Turkish dotted I, Greek final sigma, titlecase digraphs,
emoji, non-Latin scripts and digits, circled letters).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import features

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "crates/token-classifier/tests/data/hashed_features.json"
ROWS = [20000, 2000, 5000, 1000]
AWKWARD = [
    "Héllo", "e\u0301cole", "İstanbul", "ΣΟΦΟΣ", "Σ", "ǅemal", "ß", "STRASSE", "Ⓐbc", "Ⅻ",
    "😀", "👩\u200d🔬", "🇫🇷", "東京", "١٢٣", "٣rd", "Ωmega", "ﬁne", "Ǆ", "ǈ", "ɐ", "ᾈ",
    "U.S", "AT&T", "1,000.50", "O'Neil", "x" * 40, "AAAAAAAA", "aaaaa", "12345678", "_",
    "", " ", "\t", "Ǉubljana", "Straße", "ΌΣΟΣ", "ﬀ", "K", "Å", "ǰ",
]

AWKWARD_TEXTS = [
    "Zoë Ångström flew from São Paulo to Zürich 🚀 with Lufthansa on 3/4/2021.",
    "e\u0301cole 1,000.50 don't İstanbul ΣΟΦΟΣ U.S.-based AT&T paid $5.2m (approx.)",
    "👩\u200d🔬 met 東京 officials\u00a0at\u2003noon;\ttabs\nand newlines\r\n...!!",
    "",
    "   ",
]


def main() -> None:
    tokenizer = features.word_tokenizer()
    words = set()
    for line in (HERE / "work" / "corpus.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        if record["split"].startswith("test"):
            text = record["text"]
            words.update(text[s:e] for s, e in features.words_of(tokenizer, text))
    sample = sorted(words, key=lambda w: hashlib.sha256(w.encode()).hexdigest())[:3000]
    rows = []
    for word in AWKWARD + sample:
        rows.append({"word": word,
                     "values": dict(zip(features.FEATURES, features.feature_values(word))),
                     "rows": features.feature_rows(word, ROWS)})
    texts = [t for t in AWKWARD_TEXTS]
    for line in (HERE / "work" / "corpus.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        if record["split"] == "test-news" and len(texts) < 40:
            texts.append(record["text"])
    splits = [{"text": t, "words": [list(w) for w in features.words_of(tokenizer, t)]} for t in texts]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"tables": dict(zip(features.FEATURES, ROWS)), "words": rows,
                               "texts": splits}, ensure_ascii=False, indent=0) + "\n")
    tokenizer.save(str(OUT.parent / "word_tokenizer.json"))
    print(f"wrote {len(rows)} words and {len(splits)} texts to {OUT}")


if __name__ == "__main__":
    main()
