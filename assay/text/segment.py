"""One tokenizer for the index and for queries.

Chinese is segmented with rjieba (jieba's dictionary, in Rust: ~10-30 MB/s here against ~1 MB/s for
jieba). The index keeps the default-mode words in order (for phrases) and, in a second stream, the
search-mode sub-words of long compounds (服装出口 → 服装, 出口), so a query 出口 still finds 服装出口.
English is lower-cased, split on non-alphanumerics and Snowball-stemmed. Text is folded first
(traditional → simplified, full-width → ASCII), so 中美貿易 and 中美贸易 meet in the index.
"""

from __future__ import annotations

import re
from functools import lru_cache

import rjieba
import Stemmer

from .normalize import fold

_WORD = re.compile(r"[0-9]+(?:\.[0-9]+)?|[a-z0-9]+")
_ASCII_ALNUM = re.compile(r"[a-z0-9]")
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_MAX_TOKEN = 40
_stem = Stemmer.Stemmer("english").stemWord


@lru_cache(maxsize=200_000)
def _ascii_terms(token: str) -> tuple[str, ...]:
    out = []
    for w in _WORD.findall(token):
        if w[0].isalpha() and len(w) > 3:
            w = _stem(w)
        out.append(w[:_MAX_TOKEN])
    return tuple(out)


@lru_cache(maxsize=200_000)
def _subwords(token: str) -> tuple[str, ...]:
    """Search-mode sub-words of a long Chinese word, the word itself excluded."""
    return tuple(w for w in rjieba.cut_for_search(token) if w != token and len(w) > 1)


def _terms(raw_tokens: list[str]) -> list[str]:
    out: list[str] = []
    for tok in raw_tokens:
        if _CJK_CHAR.match(tok):
            out.append(tok[:_MAX_TOKEN])
        elif _ASCII_ALNUM.search(tok):
            out.extend(_ascii_terms(tok))
        elif _CJK_CHAR.search(tok):
            out.append(tok[:_MAX_TOKEN])
    return out


def tokenize(text: str) -> list[str]:
    """Terms of ``text`` in reading order (default-mode words)."""
    return _terms(rjieba.cut(fold(text)))


def index_terms(text: str) -> tuple[list[str], list[str]]:
    """(words in order, extra search-mode sub-words) for the index."""
    words = tokenize(text)
    extra: list[str] = []
    for w in words:
        if len(w) > 2 and _CJK_CHAR.match(w):
            extra.extend(_subwords(w))
    return words, extra


def query_terms(text: str) -> list[str]:
    """Terms of a query, in order, duplicates removed."""
    seen: dict[str, None] = {}
    for t in tokenize(text):
        seen.setdefault(t, None)
    return list(seen)
