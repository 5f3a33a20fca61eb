"""Exports a trained student as a model pack the entities function serves.

    python export.py --run cnn-w128-d4 --pack ner-en-sm --size sm

Writes models/<pack>/: model.onnx (input `features` [1, S, tables] int64,
output `logits` [1, S, labels]), tokenizer.json (the word splitter),
config.json, and fixtures.json: fixed sentences with the spans this pipeline
predicts for them, which the Rust test `student_packs_match_the_pipeline`
checks tract reproduces.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import data
import features
import spans
import train
from student import Student, StudentConfig

HERE = Path(__file__).resolve().parent
MODELS = HERE.parent.parent / "models"

FIXTURE_SENTENCES = [
    "Apple is looking at buying U.K. startup for $1 billion.",
    "Barack Obama was born in Honolulu, Hawaii, on August 4, 1961.",
    "The European Central Bank raised rates by 0.25% on Thursday morning.",
    "Angela Merkel met Emmanuel Macron in Paris last week to discuss the Paris Agreement.",
    "About 500 residents of the Blue Mountains left their homes at 4:00pm on Sunday.",
    "Microsoft's first quarter revenue was $52.9 billion, up 13 percent.",
    "Zoë Ångström flew from São Paulo to Zürich 🚀 with Lufthansa.",
    "nothing to find here, only lowercase words and no names",
    "hi, i'm priya natarajan and my new address is 14 Rue des Lilas, 75011 Paris.",
    "Ship it to 1600 Pennsylvania Avenue NW, Washington, DC 20500 by Friday.",
    "Name: MARTA KOWALSKA | Address: Flat 2, 18 Baker Street, London NW1 6XE",
]


def load(run: str) -> Student:
    checkpoint = torch.load(HERE / "work" / "runs" / run / "model.pt", weights_only=False)
    model = Student(StudentConfig(**checkpoint["config"]))
    model.load_state_dict(checkpoint["state"])
    model.eval()
    return model


class Inference(torch.nn.Module):
    """What ships: features in, logits out, no padding mask."""

    def __init__(self, model: Student):
        super().__init__()
        self.model = model

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.model(features)


def predict(model: Student, tokenizer, text: str, config: dict):
    """Spans as the runtime serves them: windows, argmax (or constrained
    decoding), threshold, decode, merge."""
    words = features.words_of(tokenizer, text)
    if not words:
        return []
    rows = [features.feature_rows(text[s:e], model.config.rows) for s, e in words]
    found = []
    for start, end in spans.plan_windows(len(words), config["window_tokens"], config["window_overlap_tokens"]):
        feats = torch.tensor([rows[start:end]])
        with torch.no_grad():
            logits = model(feats)[0].numpy()
        if config.get("decoding") == "constrained":
            best, probability = spans.constrained_best(logits, data.TAGS)
        else:
            best, probability = spans.softmax_best(logits)
        window_words = words[start:end]
        for s, e, label in spans.decode(text, window_words, best, probability, data.TAGS,
                                        config["threshold"]):
            # The runtime's score: mean probability of the span's words.
            inside = [p for (ws, we), p in zip(window_words, probability) if ws >= s and we <= e]
            found.append({"start": s, "end": e, "type": label, "score": float(np.mean(inside))})
    return spans.merge_windows(found)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", required=True)
    parser.add_argument("--pack", required=True)
    parser.add_argument("--size", required=True)
    parser.add_argument("--threshold", type=float, default=0.0)
    parser.add_argument("--version", default="1")
    parser.add_argument("--decoding", choices=["greedy", "constrained"], default="greedy",
                        help="how the runtime picks labels (EXPERIMENTS.md: constrained decoding)")
    args = parser.parse_args()

    model = load(args.run)
    tokenizer = features.word_tokenizer()
    folder = MODELS / args.pack
    folder.mkdir(parents=True, exist_ok=True)
    example = torch.zeros((1, 7, len(model.config.rows)), dtype=torch.int64)
    # The wrapper must be in eval mode: export restores the module's mode
    # afterwards, and a fresh module is in training mode (dropout on).
    torch.onnx.export(
        Inference(model).eval(), (example,), str(folder / "model.onnx"),
        input_names=["features"], output_names=["logits"],
        dynamic_axes={"features": {1: "S"}, "logits": {1: "S"}},
        opset_version=17, dynamo=False,
    )
    model.eval()
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        "name": args.pack,
        "version": f"{args.pack}-{args.version}",
        "task": "token-classification",
        "role": "ner",
        "language": "en",
        "size": args.size,
        "labels": data.TAGS,
        "entity_types": {},
        "max_tokens": 4096,
        # Attention sees the whole window: serve it the length it trained on.
        "window_tokens": train.CHUNK_WORDS if model.config.attention else 512,
        "window_overlap_tokens": 32 if model.config.attention else 64,
        "threshold": args.threshold,
        "licence": "MIT (weights distilled from spaCy en_core_web_sm 3.8.0, MIT, and trained on "
        "personal-data text generated from PyPI faker values, MIT, by this project's "
        "training/ner pipeline; see MODEL_CARD.md for the training text's licences)",
        "source": "training/ner (this repository): a student of spaCy en_core_web_sm, with "
        "personal-data labels from constructed text (pii_text.py)",
        "input": {
            "kind": "hashed-words",
            "tables": [{"feature": f, "rows": r} for f, r in zip(features.FEATURES, model.config.rows)],
        },
        "quality": {},
    }
    if args.decoding != "greedy":
        config["decoding"] = args.decoding
    config_path = folder / "config.json"
    if config_path.is_file():  # keep the quality evaluate.py measured for this run
        config["quality"] = json.loads(config_path.read_text()).get("quality", {})
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    fixtures = [{"text": t, "entities": predict(model, tokenizer, t, config)}
                for t in FIXTURE_SENTENCES]
    (folder / "fixtures.json").write_text(json.dumps(fixtures, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {folder}: model.onnx {(folder / 'model.onnx').stat().st_size} bytes")


if __name__ == "__main__":
    main()
