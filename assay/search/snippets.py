"""Snippets (the best-matching paragraph, with highlight offsets) and plain excerpts."""

from __future__ import annotations

import re
from functools import lru_cache

from ..model import Document, Paragraph
from ..text.normalize import fold

SNIPPET_CHARS = 160
EXCERPT_CHARS = {"zh": 200, "en": 420}


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern:
    if term.isascii():
        return re.compile(r"(?<![a-z0-9])" + re.escape(term) + r"[a-z0-9]*")
    return re.compile(re.escape(term))


def _spans(folded: str, terms: list[str]) -> list[tuple[int, int, str]]:
    spans = []
    for t in terms:
        for m in _pattern(t).finditer(folded):
            spans.append((m.start(), m.end(), t))
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for s in spans:
        if merged and s[0] < merged[-1][1]:
            if s[1] > merged[-1][1]:
                merged[-1] = (merged[-1][0], s[1], merged[-1][2])
            continue
        merged.append(s)
    return merged


def best_paragraph(doc: Document, terms: list[str]) -> tuple[Paragraph | None, list[tuple[int, int, str]]]:
    best, best_key, best_spans = None, (0, 0), []
    for p in doc.paragraphs:
        spans = _spans(fold(p.text), terms)
        if not spans:
            continue
        key = (len({s[2] for s in spans}) + (0 if p.kind == "text" else -0.5), len(spans))
        if key > best_key:
            best, best_key, best_spans = p, key, spans
    return best, best_spans


def snippet(doc: Document, terms: list[str]) -> tuple[str, int | None, list[tuple[int, int]]]:
    """(snippet text, its paragraph number, highlight spans within the snippet)."""
    p, spans = best_paragraph(doc, terms) if terms else (None, [])
    if p is None:
        return excerpt(doc, SNIPPET_CHARS), None, []
    text = p.text
    if len(fold(text)) != len(text):  # folding changed lengths: offsets cannot be trusted
        spans = []
    start, end = 0, len(text)
    if len(text) > SNIPPET_CHARS:
        first = spans[0][0] if spans else 0
        start = max(0, first - SNIPPET_CHARS // 4)
        end = min(len(text), start + SNIPPET_CHARS)
        start = max(0, end - SNIPPET_CHARS)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    out = prefix + text[start:end] + suffix
    shift = len(prefix) - start
    hl = [(a + shift, b + shift) for a, b, _ in spans if a >= start and b <= end]
    return out, p.n, hl


def excerpt(doc: Document, chars: int | None = None) -> str:
    """The opening of the body, ending in "..." as in the reference page when cut."""
    limit = chars or EXCERPT_CHARS.get(doc.lang, 300)
    out = ""
    for p in doc.paragraphs:
        if p.kind != "text":
            continue
        out = f"{out} {p.text}" if out else p.text
        if len(out) >= limit:
            break
    if len(out) > limit:
        return out[:limit].rstrip() + " ..."
    return out


def mark(text: str, spans: list[tuple[int, int]], before: str, after: str) -> str:
    """Wrap the spans of ``text`` in markers (callers escape first where markup matters)."""
    out, last = [], 0
    for a, b in spans:
        out.append(text[last:a])
        out.append(before + text[a:b] + after)
        last = b
    out.append(text[last:])
    return "".join(out)
