"""The default, offline summarizer: whole sentences picked from the document, each citing its paragraph.

Every bullet is a sentence (or, for an over-long sentence, its most salient run of clauses) copied verbatim
from one text paragraph, so ``bullet.text in doc.paragraph(n).text`` holds for its single cite ``n``; a
heading is never cited.

Salience of a sentence is a weighted sum of
  position    earlier sentences weigh more (news is written as an inverted pyramid; scaled down for
              transcripts), with a bonus for the first sentence of a paragraph;
  figures     numbers, more so with a unit (%, 亿, $ …);
  title       share of the title's content words found in it;
  length      a prior for sentences of a readable length;
  centrality  (documents with ≥ ``terms_min`` candidate sentences) the document frequencies of its terms,
              itself left out, over the square root of its number of terms;
minus penalties for boilerplate-like sentences (disclaimers, operator lines), questions and label-like
lines, and sentences that lean on the previous one (此外…, However…). Bullets are picked by maximal
marginal relevance (salience minus similarity to what is already picked, lazily evaluated): term overlap
where terms were computed, else only a repeated sentence counts. No sentence is used twice; Core Insights
keeps document order.

Why short documents get no terms: segmenting is the largest single cost of a summary (rjieba runs at
~0.4 µs a character on the 2-core ingest machine), and on the reference sets it did not pay: on
zh_finnews_finna top-1 ROUGE-L moved by ±0.001 with or without centrality, and on en_summ_ectsum (long)
centrality and term-overlap MMR both lowered ROUGE (its references repeat the same figures). Long documents
keep a small centrality weight and term-overlap MMR for coverage; their work is capped (the first
``max_sentences`` usable sentences plus a few under each top-level heading; terms for the ``term_cap`` best).

Terms: Chinese is cut with rjieba (no HMM) and function words are dropped; English is lower-cased, stop
words dropped, words cut to six letters.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain

from ..model import Bullet, Document, Section, Summary
from ..text.split import split_sentences
from . import sentences as S
from .base import (
    CORE_INSIGHTS,
    INVESTMENT_RATING,
    NO_RATING,
    SUMMARY_BY_SECTIONS,
    TEMPLATE_VERSION,
    pick_template,
    summary_language,
)
from .outline import Outline, english_words, keywords
from .rating import find_rating


@dataclass(frozen=True, slots=True)
class Weights:
    """Salience weights. Position, length, figures, penalties: grid-searched on the ``eval`` split of
    zh_finnews_finna (tests/test_quality_summary.py reports its ``test`` split). Centrality and redundancy
    (long documents only): chosen on the ``train`` split of en_summ_ectsum, where both lower ROUGE a
    little, so they are kept small (they buy coverage; see the module docstring)."""

    centrality: float = 0.2  # long documents only, see _Context._score
    position: float = 0.9
    position_decay: float = 0.8  # position = 1 / (1 + sentence index) ** decay
    paragraph_first: float = 0.15  # bonus for the first sentence of a paragraph
    figures: float = 0.2  # doubled when the sentence also has a unit (%, 亿, $ …)
    title: float = 0.5
    length: float = 0.4
    penalty: float = 0.6  # boilerplate-like sentences; half of it for questions and label-like lines
    opener: float = 0.15  # sentences that start by leaning on the previous one
    redundancy: float = 0.4  # MMR: salience - redundancy * max similarity to picked sentences
    near_duplicate: float = 0.85  # overlap at which a sentence counts as a repeat and is never picked


class _Unit:
    """A candidate sentence."""

    __slots__ = ("text", "n", "g", "sec", "feats", "nf", "score", "sim", "seen", "head")

    def __init__(self, text: str, n: int, g: int, sec: int, score: float) -> None:
        self.text = text
        self.n = n  # paragraph number
        self.g = g  # index among the document's candidates (reading order)
        self.sec = sec  # top-level section index, -1 outside any
        self.score = score
        self.feats: set[str] = _EMPTY
        self.nf = 0
        self.sim = 0.0  # max similarity to the sentences picked so far (see _Context._mmr)
        self.seen = 0  # how many of those it has been compared with
        self.head = False  # a headline-like line (short, no full stop): see _restated


_EMPTY: set[str] = set()
# themed groups need this many unused sentences each (so short items get Core Insights only)
_GROUP_MIN = 6


class ExtractiveSummarizer:
    """Offline, deterministic extractive summaries following the document-type templates."""

    name = "extractive"
    template_version = TEMPLATE_VERSION
    runs_inline = True  # CPU-bound Python: SummaryWorker runs it in batches on its own thread (see there)

    def __init__(
        self,
        weights: Weights | None = None,
        *,
        max_sentences: int = 60,
        per_section: int = 4,
        max_sections: int = 10,
        max_groups: int = 3,
        terms_min: int = 40,
        term_cap: int = 20,
        position_scale: dict[str, float] | None = None,
    ) -> None:
        self.weights = weights or Weights()
        self.terms_min = terms_min
        self.term_cap = term_cap
        # transcripts do not put the news first (greetings, safe-harbour, then the figures): tuned on the
        # train split of en_summ_ectsum
        self.position_scale = {"transcript": 0.35} if position_scale is None else position_scale
        self.max_sentences = max_sentences
        self.per_section = per_section
        self.max_sections = max_sections
        self.max_groups = max_groups
        self._positions: dict[float, list[float]] = {}

    def position_table(self, template: str) -> list[float]:
        scale = self.position_scale.get(template, 1.0)
        table = self._positions.get(scale)
        if table is None:
            w = self.weights
            table = [scale * w.position / (1.0 + g) ** w.position_decay for g in range(512)]
            self._positions[scale] = table
        return table

    def summarize(self, doc: Document) -> Summary:
        template = pick_template(doc.doc_type)
        lang = summary_language(doc.lang)
        report = template == "report"
        sections: list[Section] = []
        rating: str | None = None
        ctx = _Context(self, doc, lang == "zh", template)
        if report:
            found = find_rating(doc, ctx.zh, ctx.long_limit)
            if found:
                rating = found.rating
                sections.append(Section(INVESTMENT_RATING, [Bullet(found.text, [found.n])]))
                ctx.exclude(found.text, found.n)
            else:
                sections.append(Section(INVESTMENT_RATING, [Bullet(NO_RATING[lang], [])]))
        core = ctx.pick_core()
        if core:
            sections.append(Section(CORE_INSIGHTS, ctx.bullets(core)))
            by_sec = ctx.pick_by_sections() if report and ctx.outline.ok else []
            if by_sec:
                sections.append(Section(SUMMARY_BY_SECTIONS, []))
                sections.extend(by_sec)
            else:  # news-like templates, and reports without a heading tree
                sections.extend(ctx.pick_groups())
        return Summary(
            doc_id=doc.id,
            template=template,
            language=doc.lang,
            backend=self.name,
            created_at=datetime.now(UTC),
            sections=sections,
            rating=rating,
            template_version=TEMPLATE_VERSION,
        )

    def rank(self, doc: Document) -> list[tuple[str, int, float]]:
        """(bullet text, paragraph n, salience) of every scored sentence, best first — the top one is the
        single most salient sentence (used by the quality gate and for debugging)."""
        ctx = _Context(self, doc, summary_language(doc.lang) == "zh", pick_template(doc.doc_type))
        units = sorted(ctx.units, key=lambda u: (-u.score, u.g))
        return [(ctx.display(u), u.n, u.score) for u in units]


class _Context:
    """One document's candidate sentences, scored once, and the picks made from them."""

    def __init__(self, owner: ExtractiveSummarizer, doc: Document, zh: bool, template: str) -> None:
        self.owner = owner
        self.template = template
        self.doc = doc
        self.zh = zh
        self.feats = S.feats_zh if zh else S.feats_en
        self.min_len = 10 if zh else 20
        self.long_limit = 150 if zh else 300
        self.clip_target = 110 if zh else 220
        self.outline = Outline(doc, template == "report")
        self.used: list[_Unit] = []
        self.shown: set[str] = set()
        self.units = self._collect(relaxed=False) or self._collect(relaxed=True)
        self.tf: Counter[str] = Counter()
        self._score()

    # -- candidates ----------------------------------------------------------------------------------------

    def _collect(self, relaxed: bool) -> list[_Unit]:
        """Candidate sentences with the parts of their salience that need no terms."""
        owner = self.owner
        w = owner.weights
        cap, per_sec = owner.max_sentences, owner.per_section
        sec_of, skip = self.outline.sec_of, self.outline.skip
        sec_count: Counter[int] = Counter()
        pos = owner.position_table(self.template)
        npos = len(pos)
        min_len = 2 if relaxed else self.min_len
        lo, hi = (18, 110) if self.zh else (50, 260)
        penalty = S.PENALTY_ZH.search if self.zh else S.penalty_en
        trim, meta, has_word, fig = S.trim, S.META.match, S.HAS_WORD.search, S.FIG.search
        has_item, once, full_stops, boilerplate = S.HAS_ITEM.search, S.once, S.FULL_STOPS, S.boilerplate
        unit = S.UNIT_ZH.search if self.zh else S.UNIT_EN.search
        openers, ends, question = S.OPENERS, S.ENDS, S.QUESTION
        junk, tail = S.LEAD_JUNK_CHARS, S.TRAIL_JUNK
        zh, has_cjk = self.zh, S.HAS_CJK.search
        units: list[_Unit] = []
        seen: set[str] = set()
        title = self.doc.title.strip().rstrip("。.！!")
        g = 0
        for i, p in enumerate(self.doc.paragraphs):
            if p.kind == "heading" or i in skip:
                continue
            sec = sec_of[i] if sec_of else -1
            if g >= cap and (sec < 0 or sec_count[sec] >= per_sec):
                continue
            first = True
            sents = split_sentences(p.text)
            if has_item(p.text):
                sents = S.items(sents)
            for s in sents:
                # trim() only when the edges need it (most sentences start and end clean)
                t = trim(s, first and g < 3) if first and g < 3 or s[0] in junk or s[-1] in tail else s
                n = len(t)
                if n < min_len:
                    continue
                t = once(t)  # a sentence written twice in a row is shown once
                n = len(t)
                if not relaxed:
                    if "|" in t or "http" in t or "www." in t or boilerplate(t) or (zh and not has_cjk(t)):
                        continue  # a table row, a link, a contact, a caption, a contents line, a formula
                    if n < 40 and (meta(t) or not has_word(t) or (n < 25 and t[-1] in "：:")):
                        continue  # metadata, numbers only, a label or a bare dateline
                if g >= cap and (sec < 0 or sec_count[sec] >= per_sec):
                    break
                if t in seen or (not relaxed and t.rstrip("。.！!") == title):
                    continue  # a repeated sentence (summary box, caption) counts once; the title is shown

                seen.add(t)
                score = pos[g] if g < npos else pos[-1]
                if first:
                    score += w.paragraph_first
                    first = False
                if fig(t):
                    score += w.figures * (2.0 if unit(t) else 1.0)
                if n < lo:
                    score += w.length * n / lo
                elif n > hi:
                    score += w.length * max(0.0, 1.0 - (n - hi) / (2 * hi))
                else:
                    score += w.length
                if penalty(t):
                    score -= w.penalty
                if t.startswith(openers):
                    score -= w.opener
                end = t[-1]
                if end in question or (n < 30 and end not in ends) or (end in '”"’' and t[-2] in question):
                    score -= w.penalty * 0.5
                elif end in "：:":
                    score -= w.penalty * 0.5  # it introduces a list or a formula
                u = _Unit(t, p.n, g, sec, score)
                if n <= 60 and end not in full_stops:
                    u.head = True
                units.append(u)
                g += 1
                if sec >= 0:
                    sec_count[sec] += 1
        return units

    def _score(self) -> None:
        """Add title overlap and, for long documents, centrality to the static part of the salience; long
        documents also get term sets (for MMR) on their ``term_cap`` best candidates. See the module
        docstring for why shorter ones are not segmented."""
        units = self.units
        if not units:
            return
        owner = self.owner
        w = owner.weights
        title = self.doc.title
        if title and w.title:
            probes = self.probes(title)
            if probes:
                wt = w.title / len(probes)
                for u in units:
                    t = u.text if self.zh else u.text.lower()
                    u.score += wt * sum(map(t.__contains__, probes))
        if len(units) < owner.terms_min or not w.centrality:
            return
        pool = units if len(units) <= owner.term_cap else sorted(units, key=lambda u: -u.score)[: owner.term_cap]
        batch = S.batch_zh if self.zh else S.batch_en
        for u, f in zip(pool, batch([u.text for u in pool])):
            u.feats = f
            u.nf = len(f)
        self.tf = tf = Counter(chain.from_iterable(u.feats for u in pool))
        cents = _centrality(pool, tf)
        wc = w.centrality / (max(cents) or 1.0)
        for u, c in zip(pool, cents):
            u.score += wc * c

    def probes(self, title: str) -> list[str]:
        """The title's content words (zh) or word stems (en), looked for as substrings."""
        if self.zh:
            return sorted({x for x in S._cut(title, False) if len(x) > 1} - S.ZH_STOP)
        return sorted(S.feats_en(title))

    def exclude(self, text: str, n: int) -> None:
        """Drop candidates that overlap a sentence already shown (the rating statement)."""
        self.units = [u for u in self.units if not (u.n == n and (u.text in text or text in u.text))]

    # -- selection --------------------------------------------------------------------------------------

    def _mmr(self, pool: list[_Unit], k: int, strict: bool = False) -> list[_Unit]:
        """Greedy maximal marginal relevance: k picks from ``pool``, each maximising salience minus
        ``redundancy`` × its largest overlap coefficient (|A ∩ B| / min(|A|, |B|)) with everything picked
        so far in this document. Lazy: candidates are visited best first and the visit stops as soon as
        no later one can win, and each one's similarity is brought up to date only when visited.
        ``strict`` (groups, sections: they have no minimum count): a restated headline is left out too."""
        w = self.owner.weights
        red, dup = w.redundancy, w.near_duplicate
        if strict:
            dup = min(dup, _RESTATED)
        used, zh, restated = self.used, self.zh, _restated
        pool = sorted(pool, key=lambda u: (-u.score, u.g))
        out: list[_Unit] = []
        while len(out) < k:
            best: _Unit | None = None
            best_v = -1e9
            for u in pool:
                if u.score <= best_v:
                    break
                if u.seen < len(used):
                    m, uf, un, ut, uh = u.sim, u.feats, u.nf, u.text, u.head
                    for c in used[u.seen :]:
                        if un and c.nf:
                            s = len(uf & c.feats) / (un if un < c.nf else c.nf)
                        elif ut in c.text or c.text in ut:  # no terms (short documents): a repeat
                            s = 1.0
                        elif zh and (uh or c.head):  # or a headline that its body restates
                            s = restated(ut, c.text)
                        else:
                            s = 0.0
                        if s > m:
                            m = s
                    u.sim, u.seen = m, len(used)
                if u.sim >= dup:
                    continue
                v = u.score - red * u.sim
                if v > best_v:
                    best, best_v = u, v
            if best is None:
                break
            pool.remove(best)
            out.append(best)
            used.append(best)
        return out

    def pick_core(self) -> list[_Unit]:
        n = len(self.units)
        k = n if n < 3 else 3 if n < 8 else 4 if n < 12 else 5
        return sorted(self._mmr(self.units, k), key=lambda u: u.g)

    def pick_groups(self) -> list[Section]:
        """News-style themed groups from what Core Insights left: by the document's own top-level headings
        where it has them, else by contiguous stretches of the text headed by their keywords."""
        taken = set(map(id, self.used))
        dup = self.owner.weights.near_duplicate
        rest = [u for u in self.units if id(u) not in taken and u.score > 0 and u.sim < dup]
        if len(rest) < _GROUP_MIN:
            return []
        out: list[Section] = []
        max_groups = self.owner.max_groups
        if self.outline.ok:
            by: dict[int, list[_Unit]] = {}
            for u in rest:
                if u.sec >= 0:
                    by.setdefault(u.sec, []).append(u)
            ranked = sorted(by, key=lambda s: (-max(u.score for u in by[s]), s))[:max_groups]
            for s in sorted(ranked):
                pool = by[s]
                picks = self._mmr(pool, 3 if len(pool) >= 5 else 2 if len(pool) >= 2 else 1, strict=True)
                if picks:
                    out.append(Section(self.outline.heads[s], self.bullets(sorted(picks, key=lambda u: u.g))))
            if out:
                return out
        seen: set[str] = set()
        doc_text = "\n".join(u.text for u in self.units)
        doc_words = None  # English word counts of doc_text, made once for all the groups
        for chunk in _chunks(rest, min(max_groups, len(rest) // _GROUP_MIN)):
            picks = self._mmr(chunk, 3 if len(chunk) >= 6 else 2, strict=True)
            if picks:
                picks.sort(key=lambda u: u.g)
                chunk_text = "\n".join(u.text for u in chunk)
                if doc_words is None and not self.zh:
                    doc_words = english_words(doc_text)
                heading = keywords(picks, chunk_text, doc_text, self.zh, seen, doc_words=doc_words)
                out.append(Section(heading, self.bullets(picks)))
        return out

    def pick_by_sections(self) -> list[Section]:
        """One section per top-level heading of the report: its 1–2 best sentences not used yet."""
        taken = set(map(id, self.used))
        by: dict[int, list[_Unit]] = {}
        for u in self.units:
            if u.sec >= 0 and id(u) not in taken:
                by.setdefault(u.sec, []).append(u)
        out = []
        for s, head in enumerate(self.outline.heads):
            pool = by.get(s)
            if not pool:
                continue
            picks = self._mmr(pool, 2 if len(pool) >= 3 else 1, strict=True)
            if picks:
                out.append(Section(head, self.bullets(sorted(picks, key=lambda u: u.g))))
                if len(out) >= self.owner.max_sections:
                    break
        return out

    # -- output ----------------------------------------------------------------------------------------

    def display(self, u: _Unit) -> str:
        """The bullet text: the sentence, or its most salient run of clauses when it is over-long."""
        t = u.text
        if len(t) <= self.long_limit:
            return t
        return S.clip(t, self.feats, self.tf, self.long_limit, self.clip_target, self.min_len)

    def bullets(self, units: list[_Unit]) -> list[Bullet]:
        out = []
        for u in units:
            text = self.display(u)
            if text in self.shown:  # two long sentences clipped to the same clause: show the whole one
                text = u.text
            self.shown.add(text)
            out.append(Bullet(text, [u.n]))
        return out


def _restated(a: str, b: str) -> float:
    """``_RESTATED`` when the shorter of two Chinese sentences is a headline (≤ 60 characters, no full stop)
    of which ≥ 80% of the characters and ≥ 80% of the character pairs occur in the longer one,
    else 0.0. News briefs put each item's headline over its body: "今年上半年中国企业信用水平总体平稳" above
    "…今年上半年中国企业信用指数为161.88，企业信用水平呈现总体平稳。". The character test is the cheap one."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) > 60 or short[-1] in S.FULL_STOPS:  # a headline has none; a figure line ("营收…；") has
        return 0.0
    chars = set(short)
    if sum(ch not in long for ch in chars) > len(chars) // 5:
        return 0.0
    # figures are rounded in headlines (超700亿元 over 757亿元): pairs with a digit do not count
    pairs = {p for p in (short[i : i + 2] for i in range(len(short) - 1)) if not _DIGIT.search(p)}
    return _RESTATED if pairs and sum(p in long for p in pairs) >= 0.8 * len(pairs) else 0.0


# a restated headline's similarity: below a repeat's, so Core Insights only penalises it (a short document
# keeps its 3 bullets); groups and sections leave it out (``_mmr(strict=True)``)
_RESTATED = 0.8
_DIGIT = re.compile(r"\d")


def _centrality(pool: list[_Unit], tf: Counter[str]) -> list[float]:
    """How much of the document's vocabulary each sentence shares: the document frequencies of its terms,
    itself left out, over the square root of its number of terms."""
    get = tf.__getitem__
    sqrt = math.sqrt
    return [(sum(map(get, u.feats)) - u.nf) / sqrt(u.nf + 4) for u in pool]


def _chunks(rest: list[_Unit], k: int) -> list[list[_Unit]]:
    """``rest`` (in document order) cut into k contiguous runs, each cut moved to a paragraph break when one
    is near."""
    if k <= 1:
        return [rest] if k == 1 else []
    n = len(rest)
    cuts = [0]
    reach = max(1, n // (2 * k))
    for j in range(1, k):
        t = round(j * n / k)
        best = t
        for d in range(reach + 1):
            c = next((c for c in (t - d, t + d) if cuts[-1] + 2 <= c <= n - 2 and rest[c].n != rest[c - 1].n), None)
            if c is not None:
                best = c
                break
        if best - cuts[-1] >= 2 and n - best >= 2:
            cuts.append(best)
    cuts.append(n)
    return [rest[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]
