"""Query syntax: words (all must match), "quoted phrases", -exclusions and -"excluded phrases".

A Latin word that the analyzer cuts in pieces (5.2%, U.S., rare-earth) is a phrase; a Chinese word cut
into several words (中美贸易 → 中 美 贸易) needs each of them (segmentation of the same characters can
differ with context, and a phrase would then miss).

The same tokenizer as the index turns each part into terms. A long Chinese word from the query (出口管制)
also matches the same characters written as smaller words in a document (出口 管制, as a phrase), since
segmentation depends on context.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import rjieba

from ..errors import QueryError
from ..text.segment import query_terms

_PART = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MAX_TERMS = 64


@dataclass
class ParsedQuery:
    text: str
    terms: list[str] = field(default_factory=list)  # each must match (in "all" mode)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    excluded_phrases: list[list[str]] = field(default_factory=list)

    @property
    def positive(self) -> bool:
        return bool(self.terms or self.phrases)

    def highlight_terms(self) -> list[str]:
        out = list(self.terms)
        for p in self.phrases:
            out.extend(p)
        return list(dict.fromkeys(out))


def parse(text: str) -> ParsedQuery:
    text = (text or "").strip().replace("“", '"').replace("”", '"')
    if text.count('"') % 2:
        text += '"'
    q = ParsedQuery(text)
    for m in _PART.finditer(text):
        neg_phrase, phrase, neg_word, word = m.groups()
        if phrase is not None:
            terms = query_terms(phrase)
            if len(terms) == 1:
                (q.excluded if neg_phrase else q.terms).append(terms[0])
            elif terms:
                (q.excluded_phrases if neg_phrase else q.phrases).append(terms)
            continue
        if word == "*":
            continue
        terms = query_terms(word)
        if len(terms) > 1 and not _HAS_CJK.search(word):  # 5.2%, U.S., rare-earth: a phrase
            (q.excluded_phrases if neg_word else q.phrases).append(terms)
        elif neg_word and word != "-":
            q.excluded.extend(terms)
        else:
            q.terms.extend(t for t in terms if t not in q.terms)
    if len(q.terms) + sum(map(len, q.phrases)) > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms; shorten it")
    return q


@lru_cache(maxsize=10_000)
def compound_parts(word: str) -> tuple[str, ...]:
    """A long Chinese word cut into the smaller dictionary words that cover it (出口管制 → 出口, 管制)."""
    if len(word) < 3 or not _CJK.match(word):
        return ()
    subs = {w for w in rjieba.cut_for_search(word) if w != word and len(w) > 1}
    parts, i = [], 0
    while i < len(word):
        for size in (4, 3, 2):
            piece = word[i : i + size]
            if len(piece) == size and piece in subs:
                parts.append(piece)
                i += size
                break
        else:
            parts.append(word[i])
            i += 1
    return tuple(parts) if len(parts) > 1 else ()
