"""Query syntax: words (all must match), "quoted phrases", -exclusions and -"excluded phrases"; ``OR``
between two words or phrases (either may match: 稀土 出口 OR 进口); filters written in the query
(``source:财联社``, ``type:report``, ``lang:en``, ``since:2025-10-01``, ``until:2025-10-31``; a value with spaces
in quotes), which replace the same filter given as an option or in the filters panel.

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

# filter words and the Filters field each sets
FILTER_WORDS = {"source": "source", "type": "doc_type", "lang": "lang", "since": "since", "until": "until"}
_PART = re.compile(rf'(-?)({"|".join(FILTER_WORDS)}):"([^"]*)"|(-?)"([^"]*)"|(-?)(\S+)', re.I)
OR_WORDS = frozenset({"OR", "|"})
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MAX_TERMS = 64


@dataclass
class Alternative:
    """One side of an OR: a word (its terms all match: 中美贸易 → 中 美 贸易) or a phrase."""

    terms: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)


@dataclass
class ParsedQuery:
    text: str
    terms: list[str] = field(default_factory=list)  # each must match (in "all" mode)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    excluded_phrases: list[list[str]] = field(default_factory=list)
    any_of: list[list[Alternative]] = field(default_factory=list)  # each: one of its alternatives must match
    filters: dict[str, list[str]] = field(default_factory=dict)  # Filters field → values written in the query

    @property
    def positive(self) -> bool:
        return bool(self.terms or self.phrases or self.any_of)

    @property
    def parts(self) -> int:
        """How many things must match (in "all" mode)."""
        return len(self.terms) + len(self.phrases) + len(self.any_of)

    def highlight_terms(self) -> list[str]:
        out = list(self.terms)
        for p in self.phrases:
            out.extend(p)
        for group in self.any_of:
            for alt in group:
                out.extend(alt.terms)
                for p in alt.phrases:
                    out.extend(p)
        return list(dict.fromkeys(out))


def parse(text: str) -> ParsedQuery:
    text = (text or "").strip().replace("“", '"').replace("”", '"')
    if text.count('"') % 2:
        text += '"'
    q = ParsedQuery(text)
    groups: list[list[Alternative]] = []  # positive parts in order; OR joins a part to the one before
    joined = False  # the last part was OR
    for m in _PART.finditer(text):
        neg_filter, key, quoted, neg_phrase, phrase, neg_word, word = m.groups()
        if key is None and word is not None and ":" in word:
            key, _, quoted = word.partition(":")
            neg_filter = neg_word
        if key is not None and key.lower() in FILTER_WORDS and (quoted or word is None):
            _filter(q, key.lower(), quoted or "", bool(neg_filter))  # source:"" (nothing) is no filter
            continue
        if word in OR_WORDS and not neg_word:
            joined = bool(groups)
            continue
        alt = Alternative()
        if phrase is not None:
            terms = query_terms(phrase)
            if len(terms) == 1:
                (q.excluded if neg_phrase else alt.terms).append(terms[0])
            elif terms:
                (q.excluded_phrases if neg_phrase else alt.phrases).append(terms)
        elif word == "*":
            continue
        else:
            terms = query_terms(word)
            if len(terms) > 1 and not _HAS_CJK.search(word):  # 5.2%, U.S., rare-earth: a phrase
                (q.excluded_phrases if neg_word else alt.phrases).append(terms)
            elif neg_word and word != "-":
                q.excluded.extend(terms)
            else:
                alt.terms.extend(terms)
        if not (alt.terms or alt.phrases):
            continue
        if joined:
            groups[-1].append(alt)
        else:
            groups.append([alt])
        joined = False
    for group in groups:
        if len(group) == 1:
            q.terms.extend(t for t in group[0].terms if t not in q.terms)
            q.phrases.extend(group[0].phrases)
        else:
            q.any_of.append(group)
    size = len(q.terms) + sum(map(len, q.phrases))
    size += sum(len(a.terms) + sum(map(len, a.phrases)) for g in q.any_of for a in g)
    if size > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms; shorten it")
    return q


def _filter(q: ParsedQuery, key: str, value: str, negated: bool) -> None:
    value = value.strip()
    if negated:
        raise QueryError(f"-{key}: is not supported: {key}: keeps only the documents that match it")
    if not value:
        return
    name = FILTER_WORDS[key]
    if name in ("since", "until"):
        q.filters[name] = [value]  # the last one written counts
    else:
        q.filters.setdefault(name, []).append(value.lower() if name in ("doc_type", "lang") else value)


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
