"""Latency of the student packs in tract next to spaCy en_core_web_sm, from one
run of scripts/bench-entities.sh (criterion + spaCy on bench/entities/texts).

    python latency.py --criterion TARGET/criterion --spacy .cache/bench-entities

Writes work/latency.json: per pack, a markdown table for its model card.
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

HERE = Path(__file__).resolve().parent


def median_ms(path: Path) -> float:
    return json.loads(path.read_text())["median"]["point_estimate"] / 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--criterion", type=Path, required=True)
    parser.add_argument("--spacy", type=Path, required=True)
    args = parser.parse_args()
    spacy = json.loads((args.spacy / "spacy-latency.json").read_text())
    loads = [json.loads(l)["load_ms"] for l in (args.spacy / "spacy-loads.jsonl").read_text().splitlines() if l]
    meta = json.loads((args.spacy / "meta.json").read_text()) if (args.spacy / "meta.json").is_file() else {}
    out = {}
    for pack in ["ner-en-sm", "ner-en-lg"]:
        folder = args.criterion / "entities_student" / pack
        if not folder.is_dir():
            continue
        rows, ratios, ner_ratios = [], [], []
        for text in spacy["texts"]:
            ours = median_ms(folder / text["text"] / "new" / "estimates.json")
            full, ner = text["full"]["median_ms"], text["ner_only"]["median_ms"]
            ratios.append(ours / full)
            ner_ratios.append(ours / ner)
            rows.append(f"| {text['text']} | {text['tokens']} | {ours:.2f} | {full:.2f} | {ner:.2f} | "
                        f"{ours / full:.2f} | {ours / ner:.2f} |")
        load = median_ms(args.criterion / "entities_load_student" / pack / "new" / "estimates.json")
        spacy_load = statistics.median(loads)
        markdown = "\n".join([
            "Median latency per text, single thread, same machine and run "
            f"(`scripts/bench-entities.sh`{', commit ' + meta['commit'] if meta.get('commit') else ''}). "
            "tract: the pack alone (word splitting, features, inference, decoding); spaCy: "
            "`nlp(text)` with the full pipeline, and with NER only.",
            "",
            "| text | spaCy tokens | tract ms | spaCy full ms | spaCy NER-only ms | tract / full | tract / NER-only |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"Load: {load:.1f} ms in tract (read and optimise the ONNX plan) vs {spacy_load:.0f} ms for "
            f"`spacy.load` (median of {len(loads)} fresh processes, import excluded).",
            "",
            f"Goal: at most {'half of ' if pack.endswith('sm') else ''}spaCy's latency. Worst ratio to the "
            f"full pipeline {max(ratios):.2f}, to NER only {max(ner_ratios):.2f}: "
            + ("met." if max(ratios) <= (0.5 if pack.endswith("sm") else 1.0) else "**not met**."),
        ])
        out[pack] = {"markdown": markdown, "worst_ratio_to_full": round(max(ratios), 3),
                     "load_ms": round(load, 2)}
    (HERE / "work").mkdir(exist_ok=True)
    (HERE / "work" / "latency.json").write_text(json.dumps(out, indent=2) + "\n")
    for pack, result in out.items():
        print(f"## {pack}\n\n{result['markdown']}\n")


if __name__ == "__main__":
    main()
