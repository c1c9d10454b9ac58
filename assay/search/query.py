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
from datetime import UTC
from functools import lru_cache

import rjieba

from ..errors import QueryError
from ..model import DOC_TYPES
from ..text.segment import query_terms
from .days import parse_day

# filter words and the Filters field each sets
FILTER_WORDS = {"source": "source", "type": "doc_type", "lang": "lang", "since": "since", "until": "until"}
_PART = re.compile(rf'(-?)({"|".join(FILTER_WORDS)}):"([^"]*)"|(-?)"([^"]*)"|(-?)(\S+)', re.I)
OR_WORDS = frozenset({"OR", "|"})
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]+)?$")
_CJK = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+$")
_HAS_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
MAX_TERMS = 64
LONG_QUERY = 5  # words (or phrases) from which a query is long


# a question (美联储为什么加息, "why did the Fed raise rates"): its question words are not in the answer
_QUESTION = re.compile(
    r"[?？]|什么|为什么|为何|怎么|怎样|如何|哪些|哪个|哪里|哪儿|是否|多少|几时|吗|呢|谁"
    r"|\b(?:why|what|how|when|where|which|who|whom|whose|whether)\b",
    re.I,
)


def _is_question(text: str) -> bool:
    return _QUESTION.search(text) is not None


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
    notes: list[str] = field(default_factory=list)  # what was read otherwise than it may look (for the page)
    translated: list = field(default_factory=list)  # Renderings of its plain words into the other language
    optional: list[str] = field(default_factory=list)  # terms that add to a match's score but need not match

    @property
    def positive(self) -> bool:
        return bool(self.terms or self.phrases or self.any_of or self.optional)

    @property
    def long(self) -> bool:
        """A pasted headline, sentence or question rather than a few keywords: ranked over all its words
        (most of which must match), not a strict AND."""
        if self.any_of and not self.translated:
            return False
        words = len(self.terms) + len(self.phrases) + (len(self.any_of) if self.translated else 0)
        return words >= LONG_QUERY or (words >= 2 and _is_question(self.text))

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
        return list(dict.fromkeys(out + self.optional))


def parse(text: str) -> ParsedQuery:
    """The query in ``text``. OR and | join two parts of a short query; in a long one (a pasted headline:
    "独家 | 某公司裁员……") they are punctuation, and the page says so."""
    q = _parse(text, or_words=True)
    if q.any_of:
        words = len(q.terms) + len(q.phrases) + sum(len(a.terms) + len(a.phrases) for g in q.any_of for a in g)
        if words >= LONG_QUERY:
            q = _parse(text, or_words=False)
            q.notes.insert(0, "a long text: OR and | in it were read as words, not as either-or")
    return q


def _parse(text: str, or_words: bool) -> ParsedQuery:
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
            problem = _not_a_filter(key.lower(), quoted or "", bool(neg_filter))
            if problem is None:
                _filter(q, key.lower(), quoted or "")  # source:"" (nothing) is no filter
                continue
            # pasted text that looks like a filter but is not one (type:memo, since:someday, -source:x): words
            raw = m.group(0).lstrip("-")
            q.notes.append(f"{m.group(0)} is not a filter ({problem}); searched as words")
            neg_phrase = phrase = neg_word = None
            word = raw
        elif neg_word and word[:1].isdigit():  # -2.5%: a negative number, not an exclusion
            word, neg_word = neg_word + word, None
        if word in OR_WORDS and not neg_word and or_words:
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
    size = sum(len(a.terms) + sum(map(len, a.phrases)) for g in q.any_of for a in g)
    size += len(q.excluded) + sum(map(len, q.excluded_phrases))
    if size > MAX_TERMS:
        raise QueryError(f"the query has more than {MAX_TERMS} terms in OR groups and exclusions; shorten it")
    if len(q.terms) + sum(map(len, q.phrases)) + size > MAX_TERMS:  # a pasted paragraph: its first words
        room = MAX_TERMS - size
        q.phrases = [p for p in q.phrases if len(p) <= room][: room // 2]
        room -= sum(map(len, q.phrases))
        q.terms = q.terms[: max(room, 0)]
        q.notes.append(f"a long text: its first {MAX_TERMS} words were searched")
    return q


def plain_words(text: str) -> tuple[list[str], str]:
    """The words of a query that are neither quoted, excluded, a filter nor OR, in order, and the query
    without them (what a translation leaves as written)."""
    text = (text or "").strip().replace("“", '"').replace("”", '"')
    words, rest = [], []
    for m in _PART.finditer(text):
        neg_filter, key, quoted, neg_phrase, phrase, neg_word, word = m.groups()
        if word is not None and not neg_word and ":" not in word and word not in OR_WORDS and word != "*":
            words.append(word)
        else:
            rest.append(m.group(0))
    return words, " ".join(rest)


def _not_a_filter(key: str, value: str, negated: bool) -> str | None:
    """Why ``key:value`` is not a well-formed filter (None when it is one)."""
    value = value.strip()
    if negated:
        return f"-{key}: is not supported; {key}: keeps only the documents that match it"
    if not value:
        return None
    if key == "type" and value.lower() not in DOC_TYPES:
        return f"types: {', '.join(DOC_TYPES)}"
    if key == "lang" and not _LANG.match(value):
        return "a language is a code such as zh or en"
    if key in ("since", "until"):
        try:
            parse_day(value, UTC, key)
        except QueryError:
            return "dates: 2025-10-01, 2025-10, 2025, today, 7d, 2w, 3m"
    return None


def _filter(q: ParsedQuery, key: str, value: str) -> None:
    value = value.strip()
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
