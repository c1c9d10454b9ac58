"""The citation verifier: is each bullet of a summary supported by the paragraphs it cites?

Every bullet gets a verdict — ``supported``, ``unsupported`` or ``unchecked`` — and a short reason. In order:

1. no citation: ``unsupported`` ("cites no paragraph"): every claim must rest on a paragraph. The one
   exception is the templates' own no-rating sentence (base.NO_RATING), a statement about the whole
   document with nothing to cite: ``unchecked``;
2. a citation of a paragraph the document does not have: ``unsupported``;
3. the bullet is verbatim in a cited paragraph (after folding case, width, script and spaces):
   ``supported`` — the extractive backend's bullets all end here;
4. every figure of the bullet must occur in the cited paragraphs taken together, compared across
   languages and scales (text/figures.py: 4.87万吨 = 48,700 tons, 70亿美元 = $7 billion, 2025年10月9日 =
   October 9, 2025; numerically, within the precision written); a date whose source gives no year takes
   a year the paragraphs state or the document's own year;
5. every model code (F-35, H20) must occur as written; every name or key term of the glossary the bullet
   uses (countries, ministries and regulators, exchanges, companies, people, elements and commodities —
   glossary.tsv) must be named in a cited paragraph in either language (a country or region may also be
   named in the document's title);
6. a bullet in the language of its sources must also share at least half of its words (English: content
   words; Chinese: character bigrams) with them — near-verbatim bullets pass, a bullet about something
   else does not;
7. a bullet in another language than its sources with nothing to compare (no figure, code or glossary
   name) is ``unchecked``: the verifier cannot tell, and says so.

**Supported share** of a summary = supported / (supported + unsupported): the share of the bullets the
verifier could check that it found supported; ``None`` when it could check none. Unchecked bullets are
left out of both sides (they are counted separately in ``Tally``), so the figure is not inflated by
bullets that assert nothing checkable, nor deflated by them.

Cost: the cited paragraphs are analysed once per document (``Evidence``) and reused by every bullet that
cites them; pure Python with precompiled patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..errors import InputError
from ..model import Bullet, Check, Document, Section, Summary
from ..text.figures import Figures, extract, find_amount, find_date, normalize, stated_years
from ..text.normalize import detect_lang
from .base import NO_RATING
from .glossary import PLACE_KINDS, TERM_KINDS, Entry, Glossary, default_glossary
from .sentences import EN_STOP

LEXICAL_MIN = 0.5  # share of a same-language bullet's words that its sources must contain

_CITE_MARKS = re.compile(r"\s*\[(\d+)\]")
_SPACE = re.compile(r"\s+")
_EN_WORD = re.compile(r"[a-z][a-z'-]{2,}")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]{2,}")
_NON_CODE = re.compile(r"[\s-]")
_NO_RATING = frozenset(NO_RATING.values())


@dataclass(frozen=True, slots=True)
class Verdict:
    check: Check
    note: str


@dataclass(slots=True)
class Tally:
    supported: int = 0
    unsupported: int = 0
    unchecked: int = 0

    @property
    def checked(self) -> int:
        return self.supported + self.unsupported

    @property
    def share(self) -> float | None:
        """supported / (supported + unsupported); None when no bullet could be checked."""
        return self.supported / self.checked if self.checked else None

    def add(self, check: str) -> None:
        setattr(self, check, getattr(self, check) + 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "supported": self.supported,
            "unsupported": self.unsupported,
            "unchecked": self.unchecked,
            "share": self.share,
        }


class _Source:
    """One cited paragraph, analysed once."""

    __slots__ = ("text", "squashed", "_figures", "_lang", "_compact", "_terms")

    def __init__(self, text: str) -> None:
        self.text = normalize(text)
        self.squashed = _squash(self.text)
        self._figures: Figures | None = None  # the rest only when a bullet is not verbatim
        self._lang: str | None = None
        self._compact: str | None = None
        self._terms: set[str] | None = None

    @property
    def figures(self) -> Figures:
        if self._figures is None:
            self._figures = extract(self.text, liberal=True, normalized=True)
        return self._figures

    @property
    def lang(self) -> str:
        if self._lang is None:
            self._lang = detect_lang(self.text)
        return self._lang

    @property
    def compact(self) -> str:
        """Upper case without spaces or hyphens, for codes (F-35 = F35)."""
        if self._compact is None:
            self._compact = _NON_CODE.sub("", self.text).upper()
        return self._compact

    @property
    def terms(self) -> set[str]:
        if self._terms is None:
            self._terms = _terms(self.text, self.lang)
        return self._terms


class Evidence:
    """A document's paragraphs as evidence: each analysed the first time a bullet cites it."""

    def __init__(self, document: Document, glossary: Glossary | None = None) -> None:
        self.doc = document
        self._glossary = glossary
        self._sources: dict[int, _Source] = {}
        self.title = normalize(document.title or "")
        self._years: set[int] | None = None

    @property
    def glossary(self) -> Glossary:
        """Loaded on first need: the verbatim path (every extractive bullet) never needs it."""
        if self._glossary is None:
            self._glossary = default_glossary()
        return self._glossary

    def source(self, n: int) -> _Source:
        s = self._sources.get(n)
        if s is None:
            s = self._sources[n] = _Source(self.doc.paragraphs[n - 1].text)
        return s

    @property
    def doc_years(self) -> set[int]:
        """The document's own year (publication) and the years its title states."""
        if self._years is None:
            years = stated_years(extract(self.title, liberal=True)) if self.title else set()
            if self.doc.published_at is not None:
                years.add(self.doc.published_at.year)
            self._years = years
        return self._years

    def check(self, text: str, cites: list[int]) -> Verdict:
        paragraphs = self.doc.paragraphs
        if len(cites) == 1 and "[" not in text:  # the common case (every extractive bullet), checked first
            n = cites[0]
            claim = text.strip()
            if claim and 1 <= n <= len(paragraphs) and claim in paragraphs[n - 1].text:
                return Verdict("supported", f"verbatim in [{n}]")
        claim = (_CITE_MARKS.sub("", text) if "[" in text else text).strip()
        if not claim:
            return Verdict("unchecked", "empty bullet")
        if not cites:
            if claim in _NO_RATING:
                return Verdict("unchecked", "a statement about the whole document, nothing to cite")
            return Verdict("unsupported", "cites no paragraph")
        cites = list(dict.fromkeys(cites))
        where = marks(cites)
        size = len(self.doc.paragraphs)
        missing = [n for n in cites if not 1 <= n <= size]
        if missing:
            return Verdict("unsupported", f"cites {marks(missing)}, but the document has {size} paragraphs")
        if any(claim in paragraphs[n - 1].text for n in cites):  # verbatim, before any normalizing
            return Verdict("supported", f"verbatim in {where}")
        sources = [self.source(n) for n in cites]
        squashed = _squash(normalize(claim))
        if any(squashed in s.squashed for s in sources):
            return Verdict("supported", f"verbatim in {where}")
        return self.judge(claim, sources, where)

    def judge(self, claim: str, sources: list[_Source], where: str) -> Verdict:
        """Figures, codes, names and (same language) words of ``claim`` against its sources — the checks
        after the verbatim test (which tests and benchmarks skip by calling this directly)."""
        claim = normalize(claim)
        figs = extract(claim, normalized=True)
        pool = Figures()
        for s in sources:
            pool.extend(s.figures)
        missing = self._missing_figures(figs, pool, sources)
        names = self.glossary.mentions(claim)
        missing += [_name(self.glossary.entry(i)) for i in names if not self._named(i, sources)]
        if missing:
            return Verdict("unsupported", f"{_listing(missing)} not in {where}")
        found = _found(figs, names)
        lang = detect_lang(claim)
        if lang == "und" or any(s.lang == lang for s in sources):
            share = _overlap(_terms(claim, lang), [s.terms for s in sources])
            if share < LEXICAL_MIN:
                return Verdict("unsupported", f"only {share:.0%} of its words in {where}")
            return Verdict("supported", f"{found}{share:.0%} of its words in {where}")
        if not figs and not names:
            return Verdict("unchecked", "nothing to check across languages (no figure or known name)")
        return Verdict("supported", f"{found.rstrip(', ')} in {where}")

    def _missing_figures(self, figs: Figures, pool: Figures, sources: list[_Source]) -> list[str]:
        missing = [f"figure {a.raw}" for a in figs.amounts if not find_amount(a, pool)]
        years = stated_years(pool) | self.doc_years
        missing += [f"date {d.raw}" for d in figs.dates if not find_date(d, pool, years)]
        code_names = self.glossary.code_names
        for c in figs.codes:
            if c not in code_names and not any(c in s.compact for s in sources):
                missing.append(f"term {c}")
        return missing

    def _named(self, entry_id: int, sources: list[_Source]) -> bool:
        named = self.glossary.named
        if any(named(entry_id, s.text) for s in sources):
            return True
        return self.glossary.entry(entry_id).kind in PLACE_KINDS and bool(self.title) and named(entry_id, self.title)


def _name(entry: Entry) -> str:
    return f"{'term' if entry.kind in TERM_KINDS else 'entity'} {entry.name}"


def _squash(text: str) -> str:
    return _SPACE.sub("", text).lower()


def _terms(text: str, lang: str) -> set[str]:
    """Content words (English, cut to six letters) or character bigrams (Chinese)."""
    if lang == "zh":
        return {run[i : i + 2] for run in _CJK_RUN.findall(text) for i in range(len(run) - 1)}
    return {w[:6] for w in _EN_WORD.findall(text.lower()) if w not in EN_STOP}


def _overlap(terms: set[str], sources: list[set[str]]) -> float:
    if not terms:
        return 1.0
    hits: set[str] = set()
    for s in sources:
        hits |= terms & s
    return len(hits) / len(terms)


def _found(figs: Figures, names: dict[int, str]) -> str:
    parts = []
    for count, word in ((len(figs), "figure"), (len(names), "name")):
        if count:
            parts.append(f"{count} {word}{'s' if count > 1 else ''}")
    return ", ".join(parts) + ", " if parts else ""


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:3])
    return shown + (f" (+{len(items) - 3} more)" if len(items) > 3 else "")


def marks(cites: list[int]) -> str:
    return "".join(f"[{n}]" for n in cites)


# --- public API ---------------------------------------------------------------------------------------


def verify_bullet(text: str, cites: list[int], document: Document) -> Verdict:
    """The verdict on one bullet (for many bullets of one document, use ``Evidence`` or ``verify_summary``)."""
    return Evidence(document).check(text, cites)


def verify_summary(summary: Summary, document: Document, glossary: Glossary | None = None) -> Summary:
    """A copy of ``summary`` with every bullet's ``check`` and ``note`` set."""
    evidence = Evidence(document, glossary)
    sections = []
    for sec in summary.sections:
        bullets = []
        for b in sec.bullets:
            v = evidence.check(b.text, b.cites)
            bullets.append(Bullet(b.text, list(b.cites), v.check, v.note))
        sections.append(Section(sec.heading, bullets))
    return replace(summary, sections=sections)


def tally(summary: Summary) -> Tally:
    t = Tally()
    for sec in summary.sections:
        for b in sec.bullets:
            t.add(b.check)
    return t


def supported_share(summary: Summary) -> float | None:
    """supported / (supported + unsupported) over a verified summary; None when nothing was checked."""
    return tally(summary).share


# --- summaries written elsewhere ------------------------------------------------------------------------


def summary_from_data(data: Any, doc_id: str) -> Summary:
    """A Summary from the DESIGN.md structure: a full Summary dict or a bare ``{"sections": [...]}``; each
    bullet is ``{"text", "cites"}`` or a string, and a bullet without ``cites`` takes the ``[n]`` marks
    in its text. Raises InputError naming the first malformed part."""
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise InputError('not a summary: expected an object with a "sections" list')
    sections = [_section(s, f"sections[{i}]") for i, s in enumerate(data["sections"])]
    created = data.get("created_at")
    try:
        created_at = datetime.fromisoformat(created) if isinstance(created, str) else datetime.now(UTC)
    except ValueError:
        created_at = datetime.now(UTC)
    return Summary(
        doc_id=doc_id,
        template=str(data.get("template") or "unknown"),
        language=str(data.get("language") or ""),
        backend=str(data.get("backend") or "file"),
        created_at=created_at,
        sections=sections,
        rating=data.get("rating") if isinstance(data.get("rating"), str) else None,
    )


def _section(data: Any, where: str) -> Section:
    if not isinstance(data, dict) or not isinstance(data.get("bullets", []), list):
        raise InputError(f'{where}: expected an object with a "bullets" list')
    heading = data.get("heading") or ""
    if not isinstance(heading, str):
        raise InputError(f"{where}.heading: expected a string")
    return Section(heading, [_bullet(b, f"{where}.bullets[{j}]") for j, b in enumerate(data.get("bullets", []))])


def _bullet(data: Any, where: str) -> Bullet:
    if isinstance(data, str):
        data = {"text": data}
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise InputError(f'{where}: expected an object with a "text" string')
    text = data["text"]
    cites = data.get("cites")
    if cites is None:
        return Bullet(text, [int(n) for n in _CITE_MARKS.findall(text)])
    if not isinstance(cites, list):
        raise InputError(f'{where}.cites: expected a list of paragraph numbers like [3, 5] or ["[3]"]')
    out = []
    for c in cites:
        n = c if isinstance(c, int) and not isinstance(c, bool) else _cite_number(c)
        if n is None:
            raise InputError(f"{where}.cites: {c!r} is not a paragraph number")
        out.append(n)
    return Bullet(text, out)


def _cite_number(value: Any) -> int | None:
    if isinstance(value, str) and (m := re.fullmatch(r"\s*\[?(\d+)\]?\s*", value)):
        return int(m.group(1))
    return None
