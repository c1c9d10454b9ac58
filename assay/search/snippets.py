"""Snippets (the best-matching paragraph, with highlight offsets) and plain excerpts."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Container
from functools import lru_cache

from ..text.normalize import fold

SNIPPET_CHARS = 160
EXCERPT_CHARS = {"zh": 200, "en": 420}


@lru_cache(maxsize=4096)
def _pattern(term: str) -> re.Pattern:
    """A term as a pattern: Latin terms match at a word start, as prefixes (stems: export → exports). The
    word-start test is a look-behind placed *after* the term, so the pattern begins with a literal and the
    regex engine skips ahead to it (a leading look-behind made the scan ~13× slower)."""
    e = re.escape(term)
    return re.compile(f"{e}(?<![a-z0-9]{e})[a-z0-9]*" if term.isascii() else e)


def _matches(folded: str, terms: list[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping matches of the terms, left to right; where two start at the same place the longer
    term wins. One literal scan per term (faster than one alternation: each can skip ahead)."""
    if len(terms) == 1:
        t = terms[0]
        return [(m.start(), m.end(), t) for m in _pattern(t).finditer(folded)]
    found = [(m.start(), -len(t), m.end(), t) for t in terms for m in _pattern(t).finditer(folded)]
    found.sort()
    out, reach = [], 0
    for a, _, b, t in found:
        if a >= reach:
            out.append((a, b, t))
            reach = b
    return out


def paragraph_matches(texts: list[str], terms: list[str]) -> dict[int, list[tuple[int, int, str]]] | None:
    """The matches of the terms in each paragraph that has some (index → [(start, end, term)], offsets in the
    paragraph's text), from one scan of the whole folded document; None when folding changed the text's
    length (offsets would not hold: match one paragraph at a time instead)."""
    joined = "\n".join(texts)
    folded = fold(joined, any(t != t.upper() for t in terms))  # Chinese terms need no lower-casing
    if len(folded) != len(joined):
        return None
    starts, pos = [], 0
    for t in texts:
        starts.append(pos)
        pos += len(t) + 1
    found: dict[int, list[tuple[int, int, str]]] = {}
    i, last = 0, len(starts) - 1
    for a, b, t in _matches(folded, terms):  # in text order: the paragraph index only moves forward
        if i < last and starts[i + 1] <= a:
            i = bisect_right(starts, a, i) - 1
        base = starts[i]
        found.setdefault(i, []).append((a - base, b - base, t))
    return found


def matches_by_paragraph(texts: list[str], terms: list[str]) -> dict[int, list[tuple[int, int, str]]]:
    """``paragraph_matches``, or where folding changed lengths, each paragraph folded and matched alone (its
    spans then index the folded text: use them for counting, not for highlights)."""
    found = paragraph_matches(texts, terms)
    if found is not None:
        return found
    out = {}
    for i, text in enumerate(texts):
        spans = _matches(fold(text), terms)
        if spans:
            out[i] = spans
    return out


def best_paragraph(
    texts: list[str], terms: list[str], headings: Container[int] = ()
) -> tuple[int | None, list[tuple[int, int, str]], bool]:
    """(index of the paragraph holding the most distinct query terms (then the most matches; text before
    headings), its matches, whether their offsets hold on the original text).

    The whole document is folded and scanned once; matches are assigned to paragraphs by offset."""
    if not terms or not texts:
        return None, [], True
    found = paragraph_matches(texts, terms)
    if found is None:  # folding changed lengths: one paragraph at a time
        return _best_by_paragraph(texts, terms, headings)
    best, best_key = None, (0.0, 0)
    for i, spans in found.items():
        key = (len({s[2] for s in spans}) - (0.5 if i in headings else 0.0), len(spans))
        if key > best_key:
            best, best_key = i, key
    if best is None:
        return None, [], True
    return best, found[best], True


def _best_by_paragraph(
    texts: list[str], terms: list[str], headings: Container[int]
) -> tuple[int | None, list[tuple[int, int, str]], bool]:
    best, best_key, best_spans, exact = None, (0.0, 0), [], True
    for i, text in enumerate(texts):
        folded = fold(text)
        spans = _matches(folded, terms)
        if not spans:
            continue
        key = (len({s[2] for s in spans}) - (0.5 if i in headings else 0.0), len(spans))
        if key > best_key:
            best, best_key, best_spans, exact = i, key, spans, len(folded) == len(text)
    return best, best_spans, exact


def snippet_of(
    texts: list[str], terms: list[str], headings: Container[int] = (), lang: str = "zh"
) -> tuple[str, int | None, list[tuple[int, int]]]:
    """(snippet text, the index of its paragraph, highlight spans within the snippet) of a document given
    as its paragraphs' texts (``headings``: the indexes of the ones that are not body text)."""
    i, spans, exact = best_paragraph(texts, terms, headings) if terms else (None, [], True)
    if i is None:
        return excerpt_of(texts, lang, headings, SNIPPET_CHARS), None, []
    text = texts[i]
    if not exact:  # folding changed lengths: offsets cannot be trusted
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
    return out, i, hl


def excerpt_of(texts: list[str], lang: str, headings: Container[int] = (), chars: int | None = None) -> str:
    """The opening of the body, ending in "..." as in the reference page when cut."""
    limit = chars or EXCERPT_CHARS.get(lang, 300)
    out = ""
    for i, text in enumerate(texts):
        if i in headings:
            continue
        out = f"{out} {text}" if out else text
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
