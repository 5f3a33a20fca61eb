"""Teacher agreement of an exported pack on the held-out sources, per label.

    python evaluate.py --pack ner-en-sm --run cnn-w128-d4

Runs the student exactly as served (word splitter, hashed features, argmax,
threshold, the runtime's span decoding) over whole paragraphs of the held-out
ABC news (never trained on) and held-out Wikipedia articles, and scores exact
span + label agreement with spaCy en_core_web_sm's entities. Also reports the
alignment ceiling (teacher spans whose edges fall inside one of our words) and
writes the numbers into the pack's config.json `quality` and
work/runs/<run>/eval.json (MODEL_CARD.md quotes them).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import data
import export
import features
import spans

HERE = Path(__file__).resolve().parent
SPLITS = {"test-news": "held-out ABC news (300 stories)", "test-wiki": "held-out Wikipedia articles"}


def memorising_baseline(corpus: list[dict], labels: list[dict]) -> dict:
    """The naive baseline: every word gets the tag the teacher gave it most
    often in the training text (O if never seen), decoded like the student."""
    tokenizer = features.word_tokenizer()
    counts: dict[str, Counter] = {}
    for record, labelled in zip(corpus, labels):
        if record["split"] != "train":
            continue
        text = record["text"]
        words = features.words_of(tokenizer, text)
        tags, _ = data.tags_for(words, labelled["ents"])
        for (s, e), tag in zip(words, tags):
            # B/I collapse to the label: the decoder re-splits by position.
            label = data.TAGS[tag][2:] if tag else "O"
            counts.setdefault(text[s:e], Counter())[label] += 1
    best = {word: c.most_common(1)[0][0] for word, c in counts.items()}
    results = {}
    for split in SPLITS:
        agreement = spans.Agreement()
        for record, labelled in zip(corpus, labels):
            if record["split"] != split:
                continue
            text = record["text"]
            words = features.words_of(tokenizer, text)
            tags = []
            previous = "O"
            for s, e in words:
                label = best.get(text[s:e], "O")
                tags.append(0 if label == "O" else data.TAG_INDEX[("I-" if label == previous else "B-") + label])
                previous = label
            found = spans.decode(text, words, tags, [1.0] * len(words), data.TAGS, 0.0)
            agreement.add(found, [tuple(e) for e in labelled["ents"]])
        results[split] = agreement.report()
    return results


def evaluate(model, config: dict) -> dict:
    tokenizer = features.word_tokenizer()
    corpus = [json.loads(line) for line in (HERE / "work" / "corpus.jsonl").open(encoding="utf-8")]
    labels = [json.loads(line) for line in (HERE / "work" / "labels.jsonl").open(encoding="utf-8")]
    results = {}
    for split, description in SPLITS.items():
        agreement = spans.Agreement()
        words = 0
        for record, labelled in zip(corpus, labels):
            if record["split"] != split:
                continue
            predicted = export.predict(model, tokenizer, record["text"], config)
            words += len(features.words_of(tokenizer, record["text"]))
            agreement.add([(e["start"], e["end"], e["type"]) for e in predicted],
                          [tuple(e) for e in labelled["ents"]])
        report = agreement.report()
        report["description"] = description
        report["words"] = words
        results[split] = report
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pack", required=True)
    parser.add_argument("--run", required=True)
    args = parser.parse_args()
    config_path = export.MODELS / args.pack / "config.json"
    config = json.loads(config_path.read_text())
    model = export.load(args.run)
    results = evaluate(model, config)
    corpus = [json.loads(line) for line in (HERE / "work" / "corpus.jsonl").open(encoding="utf-8")]
    labels = [json.loads(line) for line in (HERE / "work" / "labels.jsonl").open(encoding="utf-8")]
    baseline = memorising_baseline(corpus, labels)
    for split, report in baseline.items():
        results[split]["baseline"] = report
    run_dir = HERE / "work" / "runs" / args.run
    (run_dir / "eval.json").write_text(json.dumps(results, indent=2) + "\n")
    config["quality"] = {
        "teacher": "spaCy en_core_web_sm 3.8.0",
        "metric": "exact span + label agreement with the teacher (F1)",
        **{split: {"f1": r["overall"]["f1"], "precision": r["overall"]["precision"],
                   "recall": r["overall"]["recall"], "entities": r["overall"]["support"],
                   "baseline_f1": r["baseline"]["overall"]["f1"],
                   "per_label_f1": {label: row["f1"] for label, row in r["per_label"].items()}}
           for split, r in results.items()},
    }
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    for split, r in results.items():
        print(split, json.dumps(r["overall"]), "baseline", json.dumps(r["baseline"]["overall"]))
        for label, row in r["per_label"].items():
            print(f"  {label:12} f1 {row['f1']:.3f}  p {row['precision']:.3f}  r {row['recall']:.3f}  n {row['support']}")


if __name__ == "__main__":
    main()
