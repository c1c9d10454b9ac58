"""Pasted-text lookups: the best matches of a long query (a pasted headline, summary or question), reordered
by how much of the text each holds *as written*.

The engine's words come from segmentation, and a paraphrase often cuts the same characters differently
(上海卫健委 / 上海市卫健委, 3.5695亿 / 356955803), so BM25 over words alone puts a near neighbour of the story
above it. The first ``RERANK`` matches are scored again by

- the share of the query's units that the document's title and lead hold: Chinese text as overlapping
  character pairs, Latin words and numbers whole (no segmentation to disagree with);
- the share of the query's figures that the document states, compared as amounts (``assay.text.figures``:
  3.5695亿 = 356,955,803, 5.5% = 5.5 %, 4.87万吨 = 48,700 tons);

added to the engine's score over the best one. Tuned on FinNA known-item lookups and CMRC2018 questions
together (bench/eval_search.py, 2026-12-07): FinNA nDCG@10 0.929 → 0.940, CMRC2018 0.979 → 0.981 (``any``
0.974 → 0.984). Weights 0.5–3 for the units and 0–0.5 for the figures were tried; past 1 and 0.25 FinNA
stays flat and CMRC falls. Passages do not use it: they score paragraphs themselves, and the reorder left
their Recall@5 where it was at an extra millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..text.figures import Amount, extract, find_amount
from ..text.normalize import fold

RERANK = 30  # matches scored again (beyond them, the engine's order)
UNITS_WEIGHT = 1.0
FIGURES_WEIGHT = 0.25
FIGURES_OF = 10  # the best this many by the engine and the units are checked for the query's figures
READ_CHARS = 4000  # of each document: its title and lead (a lookup is after what a story says first)

_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[a-z0-9]+(?:\.[0-9]+)?")
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(slots=True)
class Candidate:
    score: float  # the engine's
    text: str  # title and body (only the first READ_CHARS are read)


def units(text: str) -> tuple[set[str], set[str]]:
    """The query's units: Chinese runs as character pairs (a lone character as itself), and Latin words and
    numbers whole."""
    pairs: set[str] = set()
    words: set[str] = set()
    for run in _RUN.findall(fold(text)):
        if _CJK.match(run):
            pairs.update(run[i : i + 2] for i in range(len(run) - 1)) if len(run) > 1 else pairs.add(run)
        else:
            words.add(run)
    return pairs, words


def held(want: tuple[set[str], set[str]], text: str) -> float:
    """The share of the query's units (``units``) that ``text`` holds: a character pair anywhere in it, a
    word or number as a whole word."""
    pairs, words = want
    if not pairs and not words:
        return 0.0
    text = fold(text)
    n = sum(p in text for p in pairs)
    if words:
        n += len(words & set(_WORD.findall(text)))
    return n / (len(pairs) + len(words))


def _loose(a: Amount) -> Amount:
    """An amount of a pasted text, one unit of its last digit either way: a headline cuts a figure short as
    often as it rounds it (356,955,803 → 3.5695亿)."""
    half = (a.hi - a.lo) / 2
    return replace(a, lo=a.lo - half, hi=a.hi + half)


def rescore(query: str, cands: Sequence[Candidate]) -> list[float]:
    """Each candidate's lookup score, in the engine's units: its score plus, times the best engine score,
    ``UNITS_WEIGHT`` × the share of the query's units it holds and ``FIGURES_WEIGHT`` × the share of the
    query's figures it states. Never below its own score, so the reordered head still ranks above the
    matches after it."""
    if not cands:
        return []
    best = max(c.score for c in cands) or 1.0
    want = units(query)
    out = [c.score + best * UNITS_WEIGHT * held(want, c.text[:READ_CHARS]) for c in cands]
    amounts = [_loose(a) for a in extract(query).amounts]
    if amounts:  # figures are costly to read: only where they can reorder the first page
        for i in sorted(range(len(out)), key=lambda i: -out[i])[:FIGURES_OF]:
            stated = extract(cands[i].text[:READ_CHARS], liberal=True)
            out[i] += best * FIGURES_WEIGHT * sum(find_amount(a, stated) for a in amounts) / len(amounts)
    return out
