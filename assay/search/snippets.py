"""Snippets (the best-matching paragraph, with highlight offsets) and plain excerpts."""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from ..model import Document, Paragraph
from ..text.normalize import fold

SNIPPET_CHARS = 160
EXCERPT_CHARS = {"zh": 200, "en": 420}


@lru_cache(maxsize=4096)
def _pattern(terms: tuple[str, ...]) -> re.Pattern:
    """One alternation of all terms (longest first); Latin terms match at a word start, as prefixes
    (stems: export → exports)."""
    parts = []
    for t in sorted(terms, key=len, reverse=True):
        parts.append(r"(?<![a-z0-9])" + re.escape(t) + r"[a-z0-9]*" if t.isascii() else re.escape(t))
    return re.compile("|".join(parts))


def best_paragraph(doc: Document, terms: list[str]) -> tuple[Paragraph | None, list[tuple[int, int, str]]]:
    """The paragraph holding the most distinct query terms (then the most matches; text before headings).

    The whole document is folded and scanned once; matches are assigned to paragraphs by offset."""
    if not terms or not doc.paragraphs:
        return None, []
    texts = [p.text for p in doc.paragraphs]
    folded = fold("\n".join(texts))
    starts, pos = [], 0
    for t in texts:
        starts.append(pos)
        pos += len(t) + 1
    if pos - 1 != len(folded):  # folding changed lengths: fall back to one paragraph at a time
        return _best_by_paragraph(doc, terms)
    found: dict[int, list[tuple[int, int, str]]] = {}
    for m in _pattern(tuple(terms)).finditer(folded):
        i = bisect_right(starts, m.start()) - 1
        base = starts[i]
        found.setdefault(i, []).append((m.start() - base, m.end() - base, _term_of(m.group(0), terms)))
    best, best_key = None, (0.0, 0)
    for i, spans in found.items():
        p = doc.paragraphs[i]
        key = (len({s[2] for s in spans}) - (0.5 if p.kind != "text" else 0.0), len(spans))
        if key > best_key:
            best, best_key = i, key
    if best is None:
        return None, []
    return doc.paragraphs[best], found[best]


def _term_of(matched: str, terms: list[str]) -> str:
    for t in terms:
        if matched.startswith(t):
            return t
    return matched


def _best_by_paragraph(doc: Document, terms: list[str]) -> tuple[Paragraph | None, list[tuple[int, int, str]]]:
    pattern = _pattern(tuple(terms))
    best, best_key, best_spans = None, (0.0, 0), []
    for p in doc.paragraphs:
        spans = [(m.start(), m.end(), _term_of(m.group(0), terms)) for m in pattern.finditer(fold(p.text))]
        if not spans:
            continue
        key = (len({s[2] for s in spans}) - (0.5 if p.kind != "text" else 0.0), len(spans))
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
