"""Passages: the paragraphs that best answer a query, across documents (for agents and RAG).

Two stages. The index ranks documents (the same query, filters and syntax as a search, by relevance); the
paragraphs of the best ``DOCS_PER_PASSAGE`` × limit of them are then scored one by one: BM25 over the query's
words found in the paragraph (the words' document frequencies from the index, the paragraph's length in
characters against the mean of the candidates'), plus a share of its document's score, so that of two equal
paragraphs the one in the document more about the query comes first. Headings are not passages; each passage
carries the headings above it. A paragraph whose text was already listed (a copy of a syndicated story) is
listed once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .snippets import matches_by_paragraph

K1, B = 1.2, 0.75
DOC_SHARE = 0.3  # the document's score (over the best document's) adds this share of the best paragraph score
DOCS_PER_PASSAGE = 5  # documents read per passage asked for (at least MIN_DOCS)
MIN_DOCS = 30


@dataclass(slots=True)
class Scored:
    """One candidate paragraph: its document's index among the candidates, its index, score and matches."""

    doc: int
    index: int
    score: float
    spans: list[tuple[int, int, str]]


def heading_paths(levels: list[int]) -> list[list[int]]:
    """For each paragraph, the indexes of the headings above it (outermost first), given each paragraph's
    heading level (0: body text)."""
    stack: list[tuple[int, int]] = []  # (level, index)
    out = []
    for i, level in enumerate(levels):
        if level:
            while stack and stack[-1][0] >= level:
                stack.pop()
            out.append([j for _, j in stack])
            stack.append((level, i))
        else:
            out.append([j for _, j in stack])
    return out


def score_paragraphs(
    docs: list[tuple[float, list[str], set[int]]], terms: list[str], idf: dict[str, float]
) -> list[Scored]:
    """Every body paragraph of the candidate documents that holds a query word, scored. ``docs``: (the
    document's relative score 0..1, its paragraphs' texts, the indexes of its headings)."""
    found: list[tuple[int, int, list[tuple[int, int, str]], int]] = []
    lengths = []
    for d, (_, texts, headings) in enumerate(docs):
        for i, spans in matches_by_paragraph(texts, terms).items():
            if i in headings:
                continue
            found.append((d, i, spans, len(texts[i])))
            lengths.append(len(texts[i]))
    if not found:
        return []
    mean = sum(lengths) / len(lengths)
    out = []
    for d, i, spans, size in found:
        counts: dict[str, int] = {}
        for *_, t in spans:
            counts[t] = counts.get(t, 0) + 1
        norm = K1 * (1 - B + B * size / mean)
        s = sum(idf.get(t, 0.0) * c * (K1 + 1) / (c + norm) for t, c in counts.items())
        out.append(Scored(d, i, s, spans))
    top = max(p.score for p in out) or 1.0
    for p in out:
        p.score += DOC_SHARE * top * docs[p.doc][0]
    out.sort(key=lambda p: -p.score)
    return out


def idf_of(searcher, terms: list[str]) -> dict[str, float]:
    """The index's inverse document frequency of each term (body field), as BM25 has it."""
    n = searcher.num_docs
    out = {}
    for t in terms:
        df = searcher.doc_freq("body", t)
        out[t] = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return out
