"""The student's input features: one definition, mirrored bit for bit in Rust.

A text is split into words by `tokenizer.json` (a Hugging Face `tokenizers`
file, so Python and Rust split identically: whitespace, then runs of word
characters joined by `.,&-`, then any other single character). Each word then
gets one row index per feature table:

    norm    the word lowercased (Unicode full lowercase)
    prefix  its first character, as written
    suffix  the last three characters of norm
    shape   per character: X upper, x lower, d ASCII digit, the character
            itself if other ASCII, o otherwise; runs longer than 4 cut to 4

    row = fnv1a_64(utf8(name + "\\x1f" + value)) mod rows

The Rust mirror is `crates/token-classifier/src/features.rs`; the test
`hashed_features_match_python` compares both on a committed sample.
"""

from __future__ import annotations

from tokenizers import Regex, Tokenizer, models, pre_tokenizers

WORD_PATTERN = r"\w+(?:[.,&\-]\w+)*|\S"
FEATURES = ("norm", "prefix", "suffix", "shape")

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK64 = (1 << 64) - 1


def word_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Split(Regex(WORD_PATTERN), behavior="isolated"),
        ]
    )
    return tokenizer


def words_of(tokenizer: Tokenizer, text: str) -> list[tuple[int, int]]:
    """Code-point (start, end) of each word. The tokenizers package already
    reports offsets in code points for Python str input."""
    return list(tokenizer.encode(text, add_special_tokens=False).offsets)


def fnv1a(data: bytes) -> int:
    value = FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * FNV_PRIME) & MASK64
    return value


def shape_of(word: str) -> str:
    out: list[str] = []
    last, run = "", 0
    for char in word:
        if char.isupper():
            kind = "X"
        elif char.islower():
            kind = "x"
        elif "0" <= char <= "9":
            kind = "d"
        elif ord(char) < 128:
            kind = char
        else:
            kind = "o"
        run = run + 1 if kind == last else 1
        last = kind
        if run <= 4:
            out.append(kind)
    return "".join(out)


def feature_values(word: str) -> tuple[str, str, str, str]:
    norm = word.lower()
    return norm, word[:1], norm[-3:], shape_of(word)


def feature_rows(word: str, rows: list[int]) -> list[int]:
    return [
        fnv1a(f"{name}\x1f{value}".encode("utf-8")) % size
        for name, value, size in zip(FEATURES, feature_values(word), rows)
    ]
