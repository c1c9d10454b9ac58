"""Queries across languages (hybrid mode): the plain words of a query are searched as written *or* as their
renderings in the other language — English spans in Chinese (rare earth → 稀土, export controls → 出口管制),
Chinese words in English (稀土 → rare earth) — from ``assay.text.lexicon``. Each translated span becomes an
either-or group, so a Chinese document that says 稀土 and an English one that says "rare earth" both match,
and every span must still match (as in any query of a few words). Quoted phrases, exclusions and filters
stay as written; a word with no rendering adds to the score of the documents that hold it, but is not
required (a Chinese document could not hold it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..text.lexicon import Lexicon, Rendering, is_stop
from ..text.segment import query_terms
from .query import Alternative, ParsedQuery, parse, plain_words

_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


@dataclass(slots=True)
class Translation:
    """What a query was searched as: each span and its renderings (the page shows them, and the query in
    the other language that a user can edit)."""

    text: str  # the query as written
    renderings: list[Rendering]

    @property
    def query(self) -> str:
        """The spans in the other language (each its first rendering; a span without one as written)."""
        return " ".join(r.targets[0] if r.targets else r.words for r in self.renderings)

    def as_dict(self) -> dict:
        return {
            "from": self.text,
            "query": self.query,
            "spans": [{"words": r.words, "as": list(r.targets), "source": r.source} for r in self.renderings],
        }


def mostly_english(text: str) -> bool:
    """The query is English or mixed (hybrid by default): its plain words hold at least as many English words
    (stop words aside) as Chinese ones. A Chinese question that names NBA or iPhone stays Chinese."""
    words, _ = plain_words(text)
    english = sum(1 for w in words if _LATIN.search(w) and not _HAS_CJK.search(w) and not is_stop(w))
    if not english:
        return False
    chinese = sum(len(query_terms(w)) for w in words if _HAS_CJK.search(w))
    return english >= chinese


def translate(q: ParsedQuery, lexicon: Lexicon, known: Callable[[str], int]) -> tuple[ParsedQuery, Translation | None]:
    """``q`` with its plain words searched in both languages (None: nothing to render)."""
    words, rest = plain_words(q.text)
    renderings: list[Rendering] = []
    run: list[str] = []
    for w in [*words, None]:
        if w is not None and not _HAS_CJK.search(w):
            run.append(w)
            continue
        if run:
            renderings.extend(lexicon.to_chinese(" ".join(run), known))
            run = []
        if w is not None:
            renderings.append(lexicon.to_english(w, known))
    if not any(r.targets for r in renderings):
        return q, None
    out = parse(rest)
    out.text, out.notes = q.text, list(q.notes)
    for r in renderings:
        own = _alternative(r.words)
        if not r.targets:  # no rendering: a Chinese document cannot hold it, so it counts where it matches
            out.optional.extend(t for a in (own.terms, *own.phrases) for t in a if t not in out.optional)
        else:
            out.any_of.append([own] + [_alternative(t) for t in r.targets])
    out.translated = renderings
    return out, Translation(q.text, renderings)


def _alternative(text: str) -> Alternative:
    """One rendering as an alternative: English words as a phrase (rare earth), a Chinese word as the
    query parser reads it (its segmented words, each required)."""
    several = not _HAS_CJK.search(text) and len(text.split()) > 1
    p = parse(f'"{text}"' if several else text)
    return Alternative(list(p.terms), [list(x) for x in p.phrases])
