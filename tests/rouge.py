"""ROUGE-1/2/L F1 (no dependency): character level for Chinese, word level for English.

Character level: text is reduced to its characters without whitespace and punctuation (Unicode categories
P*, S*, Z*, C*), ASCII letters lower-cased. Word level: lower-cased runs of letters and digits (decimals
kept: 3.34). ROUGE-N counts clipped n-gram overlaps; ROUGE-L uses the longest common subsequence
(bit-parallel, so long candidates stay cheap).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")


@lru_cache(maxsize=4096)
def _keep(ch: str) -> bool:
    return unicodedata.category(ch)[0] not in "PSZC"


def chars(text: str) -> str:
    return "".join(c for c in text.lower() if _keep(c))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _ngrams(s: Sequence[str], n: int) -> Counter:
    if isinstance(s, str):
        return Counter(s[i : i + n] for i in range(len(s) - n + 1))
    return Counter(tuple(s[i : i + n]) for i in range(len(s) - n + 1))


def _f1(overlap: int, cand: int, ref: int) -> float:
    if overlap == 0 or cand == 0 or ref == 0:
        return 0.0
    p, r = overlap / cand, overlap / ref
    return 2 * p * r / (p + r)


def rouge_n(cand: Sequence[str], ref: Sequence[str], n: int) -> float:
    c, r = _ngrams(cand, n), _ngrams(ref, n)
    return _f1(sum((c & r).values()), sum(c.values()), sum(r.values()))


def lcs_len(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence of two strings or token lists (Hyyrö's bit-vector
    algorithm)."""
    if not a or not b:
        return 0
    if len(a) < len(b):
        a, b = b, a
    masks: dict = {}
    for i, ch in enumerate(a):
        masks[ch] = masks.get(ch, 0) | (1 << i)
    full = (1 << len(a)) - 1
    v = full
    for ch in b:
        u = v & masks.get(ch, 0)
        v = ((v + u) | (v - u)) & full
    return len(a) - bin(v).count("1")


def rouge_l(cand: Sequence[str], ref: Sequence[str]) -> float:
    return _f1(lcs_len(cand, ref), len(cand), len(ref))


def rouge(candidate: str, reference: str, unit: str = "char") -> dict[str, float]:
    """{"rouge1", "rouge2", "rougeL"} F1 of the candidate against the reference; ``unit`` "char" or
    "word"."""
    tok = chars if unit == "char" else words
    c, r = tok(candidate), tok(reference)
    return {"rouge1": rouge_n(c, r, 1), "rouge2": rouge_n(c, r, 2), "rougeL": rouge_l(c, r)}


def mean_rouge(pairs: list[tuple[str, str]], unit: str = "char") -> dict[str, float]:
    """Mean F1 over (candidate, reference) pairs."""
    tot = {"rouge1": 0.0, "rouge2": 0.0, "rougeL": 0.0}
    for cand, ref in pairs:
        for k, v in rouge(cand, ref, unit).items():
            tot[k] += v
    n = max(1, len(pairs))
    return {k: v / n for k, v in tot.items()}
