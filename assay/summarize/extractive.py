"""The default, offline summarizer: whole sentences picked from the document, each citing its paragraph.

Every bullet is a sentence (or, for an over-long sentence, its most salient run of clauses) copied verbatim
from one text paragraph, so ``bullet.text in doc.paragraph(n).text`` holds for its single cite ``n``; a
heading is never cited.

Salience of a sentence is a weighted sum of
  centrality  how much of the document's vocabulary it shares (its term set against the document's term
              frequencies, itself left out, normalised by the square root of its size);
  position    earlier sentences weigh more (news is written as an inverted pyramid), with a bonus for the
              first sentence of a paragraph;
  figures     numbers, percentages, amounts;
  title       overlap with the title's terms;
  length      a prior for sentences of a readable length;
minus penalties for boilerplate-like sentences (disclaimers, questions, label-like lines). Bullets are
picked by maximal marginal relevance (salience minus similarity to the bullets already picked), so a
summary does not say the same thing twice, and no sentence is used twice.

Terms: Chinese is cut with rjieba (the same dictionary as the index) and function words are dropped;
English is lower-cased, stop words dropped, and words cut to their first six letters (a crude stem).
Work is capped for long documents: only the first ``max_sentences`` usable sentences are scored, plus the
first few sentences under each top-level heading.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import rjieba

from ..model import Bullet, Document, Section, Summary
from ..text.split import split_sentences
from .base import (
    CORE_INSIGHTS,
    INVESTMENT_RATING,
    NO_RATING,
    SUMMARY_BY_SECTIONS,
    TEMPLATE_VERSION,
    pick_template,
    summary_language,
)
from .rating import find_rating

# --- terms --------------------------------------------------------------------------------------------

_ZH_STOP = frozenset(
    """的 了 在 是 和 与 及 等 也 都 将 对 为 以 从 而 并 被 把 让 向 于 其 这 那 个 之 中 上 下 有 不 就 还 又
    或 但 更 最 很 要 会 能 可 已 再 由 到 给 着 过 所 如 如果 因为 所以 因此 以及 并且 而且 以来 同时 其中 一个 一些
    我们 他们 你们 它们 我 你 他 她 它 此 该 各 每 这个 那个 这些 那些 这样 这种 进行 表示 认为 指出 强调 提出 通过
    对于 关于 方面 其他 以上 以下 之一 目前 已经 可以 没有 不是 就是 还是 一是 二是 三是 今年 去年 今天 记者
    了解 获悉 报道 消息 据 称 说 来 去 后 前 时 里 内 外 多 少 大 小 新 年 月 日 号 点 则 即 既 且 若 当 却 乃 吧 吗
    呢 啊 么 得 地 着 一 二 三 两 几 作为 以便 正在 相关 主要 进一步 不断 实现 推动 加强 坚持 全面""".split()
) | frozenset(" \t\n\u3000，。、；：？！“”‘’（）《》【】「」『』—…·,.;:?!\"'()[]<>-_/*#|%+=~@&$^`{}\\")

_EN_STOP = frozenset(
    """a an the and or but if then than of to in on at by for with from as into onto over under about after
    before between through during above below up down out off again further once here there when where why how
    all any both each few more most other some such no nor not only own same so too very can will just don
    should now is are was were be been being have has had having do does did doing would could may might must
    shall i me my we our ours you your he him his she her it its they them their what which who whom this that
    these those am s t said says say also mr mrs ms inc corp co ltd pct dlrs mln reuter year years quarter
    per cent percent company companies one two three new last first next well us let think going get got""".split()
)
_EN_WORD = re.compile(r"[a-z][a-z0-9'-]*|[0-9]+(?:\.[0-9]+)?")
_EN_SURFACE = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
_cut = rjieba.cut


def _feats_zh(s: str) -> set[str]:
    return set(_cut(s)) - _ZH_STOP


def _feats_en(s: str) -> set[str]:
    return {w[:6] for w in _EN_WORD.findall(s.lower()) if w not in _EN_STOP}


# --- sentence clean-up and filters ------------------------------------------------------------------------

# list markers, quote marks and Markdown left-overs at the start of a sentence; a dateline such as
# 央视网消息（新闻联播）： or 新华社北京1月1日电 is dropped too (the rest of the sentence is the content)
_LEAD_JUNK = re.compile(
    r"^(?:[\s\-*+•·>#]+|\d{1,2}[.)、．]\s*(?=\S)|[（(]\d{1,2}[)）]\s*|[①-⑳]\s*|[，,、；;：:。．.)）】」』]+)+"
)
_DATELINE = re.compile(r"^.{1,24}?(?:消息|电|讯)(?:[（(][^）)]{1,16}[)）])?\s*[：:]\s*|^新华社.{1,16}?电\s+")
_TRAIL_JUNK = " \t*#\u3000"
_META = re.compile(
    r"(?:日期|来源|作者|编辑|责任编辑|记者|时间|发布时间|原标题|原文|链接|图片来源|资料来源|数据来源|"
    r"Date|Source|Author|By|Tel|Email|E-mail|Photo)\s*[:：]",
    re.I,
)
_HAS_WORD = re.compile(r"[A-Za-z\u4e00-\u9fff]")
_PENALTY_ZH = re.compile(r"免责|声明|仅供参考|投资建议|请务必|分析师承诺|版权|未经许可|扫码|二维码|长按|关注我们|点击")
_PENALTY_EN = re.compile(
    r"disclaimer|forward-looking|safe harbor|copyright|rights reserved|click here|subscribe|website|"
    r"press release|replay|operator|conference call|webcast|q&a|question-and-answer|"
    r"good (?:morning|afternoon|evening)|thank you|thanks",
    re.I,
)
# sentences that lean on the one before (此外…, 他认为…, However…) read badly on their own
_OPENER = re.compile(
    r"^(?:此外|另外|同时|与此同时|而且|并且|但是?|不过|然而|因此|所以|对此|其中|他们?|她们?|我们还|该|这|那|此前|随后|"
    r"另据|据悉|但|而|也)|^(?:But|And|However|Also|Meanwhile|He|She|They|It|This|That|These|Those|So|Still)\b"
)
_FIG = re.compile(r"\d")
_UNIT = re.compile(r"\d[\d.,]*\s*(?:[%％亿万元吨]|美元|percent|pct|billion|million|bln|mln)|\$\s*\d")
_ENDS = frozenset("。！？!?.”\"’)）…")
_CLAUSE = re.compile(r"[，,；;：:]")
_PSEUDO_HEADING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百]+[章节部分篇]|[一二三四五六七八九十]{1,3}[、.．])\s*[^。！？；!?;]{1,30}$"
)
_NUMERAL_HEADING = re.compile(r"^\s*(?:第[一二三四五六七八九十百]+[章节部分篇]|[一二三四五六七八九十]{1,3}[、.．])")


def _trim(s: str) -> str:
    """The content part of a sentence: list markers, Markdown and a leading dateline removed (edges only,
    so the result stays a substring of the paragraph)."""
    if s and (s[0] in "-*+•·>#（(①，,、；;：:。．.)）】」』 \t" or s[0].isdigit()):
        s = _LEAD_JUNK.sub("", s, count=1)
    if s.find("消息", 0, 26) >= 0 or s.find("电", 0, 26) >= 0 or s.find("讯", 0, 26) >= 0 or s.startswith("新华社"):
        m = _DATELINE.match(s)
        if m and len(s) - m.end() >= 12:
            s = s[m.end():]
    return s.strip(_TRAIL_JUNK)


@dataclass(frozen=True, slots=True)
class Weights:
    """Salience weights (tuned on the ``eval`` split of zh_finnews_finna, see tests/test_quality_summary.py)."""

    centrality: float = 0.6
    position: float = 0.9
    position_decay: float = 0.8  # position = 1 / (1 + sentence index) ** decay
    paragraph_first: float = 0.15  # bonus for the first sentence of a paragraph
    figures: float = 0.2  # doubled when the number has a unit (%, 亿, $ …)
    title: float = 0.5
    length: float = 0.4
    penalty: float = 0.6  # boilerplate-like sentences
    opener: float = 0.15  # sentences that start by leaning on the previous one
    redundancy: float = 0.8  # MMR: salience - redundancy * max similarity to picked sentences


class _Unit:
    __slots__ = ("text", "n", "g", "first", "sec", "feats", "nf", "score", "flag")

    def __init__(self, text: str, n: int, g: int, first: bool, sec: int, feats: set[str], flag: bool) -> None:
        self.text = text
        self.n = n
        self.g = g
        self.first = first
        self.sec = sec
        self.feats = feats
        self.nf = len(feats)
        self.score = 0.0
        self.flag = flag


def _update(pool: list[_Unit], maxsim: list[float], picked: _Unit) -> None:
    """Raise each pool member's max similarity by its similarity to ``picked``."""
    pf, pn = picked.feats, picked.nf
    if not pn:
        return
    for i, u in enumerate(pool):
        if u.nf:
            s = len(u.feats & pf) / (u.nf if u.nf < pn else pn)
            if s > maxsim[i]:
                maxsim[i] = s


class ExtractiveSummarizer:
    """Offline, deterministic extractive summaries following the document-type templates."""

    name = "extractive"
    template_version = TEMPLATE_VERSION

    def __init__(
        self,
        weights: Weights | None = None,
        *,
        max_sentences: int = 60,
        per_section: int = 4,
        max_sections: int = 10,
        max_groups: int = 3,
    ) -> None:
        self.weights = weights or Weights()
        self.max_sentences = max_sentences
        self.per_section = per_section
        self.max_sections = max_sections
        self.max_groups = max_groups

    # -- public -------------------------------------------------------------------------------------------

    def summarize(self, doc: Document) -> Summary:
        template = pick_template(doc.doc_type)
        lang = summary_language(doc.lang)
        zh = lang == "zh"
        report = template == "report"
        sections: list[Section] = []
        rating: str | None = None
        ctx = _Context(self, doc, zh, report)
        used: list[_Unit] = []
        if report:
            found = find_rating(doc, zh, ctx.long_limit)
            if found:
                rating = found.rating
                sections.append(Section(INVESTMENT_RATING, [Bullet(found.text, [found.n])]))
                ctx.exclude(found.text, found.n)
            else:
                sections.append(Section(INVESTMENT_RATING, [Bullet(NO_RATING[lang], [])]))
        core = ctx.pick_core()
        if core:
            used.extend(core)
            sections.append(Section(CORE_INSIGHTS, ctx.bullets(core)))
            if report and ctx.outline_ok:
                by_sec = ctx.pick_by_sections(used)
                if by_sec:
                    sections.append(Section(SUMMARY_BY_SECTIONS, []))
                    sections.extend(by_sec)
            else:
                sections.extend(ctx.pick_groups(used))
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
        """(text, paragraph n, salience) of the scored sentences, best first (for evaluation and debugging)."""
        ctx = _Context(self, doc, summary_language(doc.lang) == "zh", pick_template(doc.doc_type) == "report")
        units = sorted(ctx.units, key=lambda u: (-u.score, u.g))
        return [(ctx.display(u), u.n, u.score) for u in units]


class _Context:
    """One document's candidate sentences, scored once."""

    def __init__(self, owner: ExtractiveSummarizer, doc: Document, zh: bool, report: bool) -> None:
        self.owner = owner
        self.doc = doc
        self.zh = zh
        self.feats = _feats_zh if zh else _feats_en
        self.min_len = 8 if zh else 20
        self.long_limit = 150 if zh else 300
        self.clip_target = 110 if zh else 220
        self._outline(report)
        self.units = self._collect()
        if not self.units:
            self.units = self._collect(relaxed=True)
        self.tf: Counter[str] = Counter()
        for u in self.units:
            self.tf.update(u.feats)
        self._score()

    # -- headings ---------------------------------------------------------------------------------------

    def _outline(self, report: bool) -> None:
        """Find the top level of the document's own heading tree: the highest level with ≥ 2 headings.

        ``self.sec_of[i]`` is the section index of paragraph i (-1 outside any section); ``self.sec_heads``
        the headings. Reports also count Chinese-numbered title lines (一、核心驱动因素) that the splitter
        left as text, which broker digests often mix with Markdown headings.
        """
        paras = self.doc.paragraphs
        heads: list[tuple[int, int, str]] = []  # (paragraph index, level, text)
        numeral_levels = []
        pseudo: list[int] = []
        for i, p in enumerate(paras):
            if p.kind == "heading":
                heads.append((i, p.level or 1, p.text))
                if report and _NUMERAL_HEADING.match(p.text):
                    numeral_levels.append(p.level or 1)
            elif report and len(p.text) <= 34 and _PSEUDO_HEADING.match(p.text):
                pseudo.append(i)
        if pseudo:
            lvl = min(numeral_levels) if numeral_levels else (min(h[1] for h in heads) if heads else 1)
            heads.extend((i, lvl, paras[i].text) for i in pseudo)
            heads.sort()
        self.pseudo = set(pseudo)
        self.sec_of: list[int] = []
        self.sec_heads: list[str] = []
        self.outline_ok = False
        if not heads:
            return
        counts = Counter(h[1] for h in heads)
        top = next((lv for lv in sorted(counts) if counts[lv] >= 2), None)
        if top is None:
            return
        self.outline_ok = True
        starts = {}
        for i, lv, text in heads:
            if lv < top:
                starts[i] = -1
            elif lv == top:
                starts[i] = len(self.sec_heads)
                self.sec_heads.append(text.strip().rstrip("：:").strip() or text)
        cur = -1
        for i in range(len(paras)):
            if i in starts:
                cur = starts[i]
            self.sec_of.append(cur)

    # -- candidates ----------------------------------------------------------------------------------------

    def _collect(self, relaxed: bool = False) -> list[_Unit]:
        units: list[_Unit] = []
        cap = self.owner.max_sentences
        per_sec = self.owner.per_section
        sec_of = self.sec_of
        sec_count: Counter[int] = Counter()
        feats = self.feats
        min_len = 2 if relaxed else self.min_len
        penalty = _PENALTY_ZH.search if self.zh else _PENALTY_EN.search
        g = 0
        for i, p in enumerate(self.doc.paragraphs):
            if p.kind == "heading" or i in self.pseudo:
                continue
            sec = sec_of[i] if sec_of else -1
            if g >= cap and (sec < 0 or sec_count[sec] >= per_sec):
                continue
            first = True
            for s in split_sentences(p.text):
                t = _trim(s)
                n = len(t)
                if n < min_len:
                    continue
                if not relaxed:
                    if "|" in t or "http" in t or "www." in t:
                        continue
                    if n < 40 and (_META.match(t) or not _HAS_WORD.search(t)):
                        continue
                if g >= cap and (sec < 0 or sec_count[sec] >= per_sec):
                    break
                f = feats(t)
                if not f and not relaxed:
                    continue
                units.append(_Unit(t, p.n, g, first, sec, f, penalty(t) is not None))
                first = False
                g += 1
                if sec >= 0:
                    sec_count[sec] += 1
        return units

    def _score(self) -> None:
        w = self.owner.weights
        tf = self.tf
        get = tf.__getitem__
        title = self.doc.title
        tfeats = self.feats(title) if title else set()
        ntitle = len(tfeats)
        lo, hi = (18, 110) if self.zh else (50, 260)
        cents = []
        for u in self.units:
            f = u.feats
            k = len(f)
            cents.append((sum(map(get, f)) - k) / math.sqrt(k + 4) if k else 0.0)
        top = max(cents, default=0.0) or 1.0
        decay = w.position_decay
        for u, c in zip(self.units, cents):
            t = u.text
            n = len(t)
            score = w.centrality * c / top + w.position / (1.0 + u.g) ** decay
            if u.first:
                score += w.paragraph_first
            if _FIG.search(t):
                score += w.figures * (2.0 if _UNIT.search(t) else 1.0)
            if ntitle:
                score += w.title * len(u.feats & tfeats) / ntitle
            if n < lo:
                lp = n / lo
            elif n > hi:
                lp = max(0.0, 1.0 - (n - hi) / (2 * hi))
            else:
                lp = 1.0
            score += w.length * lp
            if u.flag:
                score -= w.penalty
            if _OPENER.match(t):
                score -= w.opener
            end = t[-1]
            if end in "？?" or (end in "”\"’" and n > 1 and t[-2] in "？?") or (n < 30 and end not in _ENDS):
                score -= w.penalty * 0.5
            u.score = score

    def exclude(self, text: str, n: int) -> None:
        """Drop candidates that overlap a sentence already shown (the rating statement)."""
        self.units = [u for u in self.units if not (u.n == n and (u.text in text or text in u.text))]

    # -- selection --------------------------------------------------------------------------------------

    def _mmr(self, pool: list[_Unit], k: int, chosen: list[_Unit]) -> list[_Unit]:
        """Greedy maximal marginal relevance over ``pool``, penalising similarity to ``chosen`` too.

        Similarity is the overlap coefficient of the term sets, |A ∩ B| / min(|A|, |B|)."""
        red = self.owner.weights.redundancy
        pool = sorted(pool, key=lambda u: (-u.score, u.g))
        if len(pool) > 4 * k + 4:
            pool = pool[: 4 * k + 4]  # a sentence below these never wins the greedy pick
        maxsim = [0.0] * len(pool)
        for c in chosen:
            _update(pool, maxsim, c)
        out: list[_Unit] = []
        while pool and len(out) < k:
            best_i, best_v = -1, -1e9
            for i, u in enumerate(pool):
                m = maxsim[i]
                if m >= 0.85:
                    continue  # a near repeat of a picked sentence
                v = u.score - red * m
                if v > best_v:
                    best_i, best_v = i, v
            if best_i < 0:
                break
            pick = pool.pop(best_i)
            maxsim.pop(best_i)
            out.append(pick)
            if len(out) < k:
                _update(pool, maxsim, pick)
        return out

    def pick_core(self) -> list[_Unit]:
        n = len(self.units)
        k = n if n < 3 else 3 if n < 8 else 4 if n < 12 else 5
        return sorted(self._mmr(self.units, k, []), key=lambda u: u.g)

    def pick_groups(self, used: list[_Unit]) -> list[Section]:
        """News-style themed groups from what Core Insights left: by the document's own top-level headings
        where it has them, else by contiguous stretches of the text headed by their keywords."""
        taken = {id(u) for u in used}
        rest = [u for u in self.units if id(u) not in taken and u.score > 0]
        if len(rest) < 3:
            return []
        out: list[Section] = []
        if self.outline_ok:
            by: dict[int, list[_Unit]] = {}
            for u in rest:
                if u.sec >= 0:
                    by.setdefault(u.sec, []).append(u)
            ranked = sorted(by, key=lambda s: -max(u.score for u in by[s]))[: self.owner.max_groups]
            for s in sorted(ranked):
                pool = by[s]
                picks = self._mmr(pool, 3 if len(pool) >= 5 else 2 if len(pool) >= 2 else 1, used)
                if picks:
                    used.extend(picks)
                    out.append(Section(self.sec_heads[s], self.bullets(sorted(picks, key=lambda u: u.g))))
            if out:
                return out
        ngroups = min(self.owner.max_groups, len(rest) // 4) or (1 if len(rest) >= 3 else 0)
        heads_used: set[str] = set()
        for chunk in self._chunks(rest, ngroups):
            picks = self._mmr(chunk, 3 if len(chunk) >= 6 else 2, used)
            if not picks:
                continue
            used.extend(picks)
            heading = self._keywords(chunk, heads_used)
            out.append(Section(heading, self.bullets(sorted(picks, key=lambda u: u.g))))
        return out

    def pick_by_sections(self, used: list[_Unit]) -> list[Section]:
        taken = {id(u) for u in used}
        by: dict[int, list[_Unit]] = {}
        for u in self.units:
            if u.sec >= 0 and id(u) not in taken:
                by.setdefault(u.sec, []).append(u)
        out = []
        for s, head in enumerate(self.sec_heads):
            pool = by.get(s)
            if not pool:
                continue
            picks = self._mmr(pool, 2 if len(pool) >= 3 else 1, used)
            if picks:
                used.extend(picks)
                out.append(Section(head, self.bullets(sorted(picks, key=lambda u: u.g))))
            if len(out) >= self.owner.max_sections:
                break
        return out

    @staticmethod
    def _chunks(rest: list[_Unit], k: int) -> list[list[_Unit]]:
        """``rest`` (in document order) cut into k contiguous runs, cuts moved to paragraph breaks."""
        if k <= 1:
            return [rest] if k == 1 else []
        n = len(rest)
        cuts = [0]
        for j in range(1, k):
            t = round(j * n / k)
            best = t
            for d in range(0, max(1, n // (2 * k)) + 1):
                for c in (t - d, t + d):
                    if cuts[-1] + 2 <= c <= n - 2 and rest[c].n != rest[c - 1].n:
                        best = c
                        break
                else:
                    continue
                break
            if best - cuts[-1] >= 2:
                cuts.append(best)
        cuts.append(n)
        return [rest[a:b] for a, b in zip(cuts, cuts[1:]) if b > a]

    def _keywords(self, chunk: list[_Unit], seen: set[str], k: int = 3) -> str:
        """The chunk's most characteristic terms (frequent in it, rare elsewhere in the document), as the
        document writes them, joined by " · "."""
        cnt: Counter[str] = Counter()
        for u in chunk:
            cnt.update(u.feats)
        tf = self.tf
        minlen = 2 if self.zh else 3
        # score: occurrences in the chunk × share of the document's occurrences that fall in the chunk
        scored = [(c * c / tf[t], t) for t, c in cnt.items() if len(t) >= minlen and not t[0].isdigit()]
        top = heapq.nlargest(4 * k, scored)
        if self.zh:
            text = "".join(u.text for u in chunk)
            ranked = sorted((-v, text.find(t), t) for v, t in top if t not in seen)
            forms = {t: t for _, _, t in ranked}
        else:
            text = " ".join(u.text for u in chunk)
            surface = self._surface(text)
            ranked = sorted((-v, surface[t][1], t) for v, t in top if t not in seen and t in surface)
            forms = {t: surface[t][0] for _, _, t in ranked}
        words: list[str] = []
        for _, _, term in ranked:
            if any(term in w or w in term for w in words):
                continue
            words.append(term)
            if len(words) == k:
                break
        seen.update(words)
        return " · ".join(forms[t] for t in words) if words else ("要点" if self.zh else "Key points")

    @staticmethod
    def _surface(text: str) -> dict[str, tuple[str, int]]:
        """stem → (most frequent written form, first position) for the English words of ``text``."""
        forms: dict[str, Counter[str]] = {}
        first: dict[str, int] = {}
        for m in _EN_SURFACE.finditer(text):
            word = m.group(0)
            low = word.lower()
            if low in _EN_STOP:
                continue
            stem = low[:6]
            forms.setdefault(stem, Counter())[word] += 1
            first.setdefault(stem, m.start())
        return {s: (sorted(c.items(), key=lambda x: (-x[1], x[0]))[0][0], first[s]) for s, c in forms.items()}

    # -- output ----------------------------------------------------------------------------------------

    def display(self, u: _Unit) -> str:
        """The bullet text: the sentence, or its most salient run of clauses when it is over-long."""
        t = u.text
        if len(t) <= self.long_limit:
            return t
        return self._clip(t)

    def _clip(self, t: str) -> str:
        cuts = [0] + [m.end() for m in _CLAUSE.finditer(t)] + [len(t)]
        spans = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
        if len(spans) < 2:
            return t
        tf = self.tf
        feats = [self.feats(t[a:b]) for a, b in spans]
        best, best_v = None, -1.0
        target = self.clip_target
        for i in range(len(spans)):
            union: set[str] = set()
            for j in range(i, len(spans)):
                if spans[j][1] - spans[i][0] > self.long_limit and j > i:
                    break
                union |= feats[j]
                if spans[j][1] - spans[i][0] < 12:
                    continue
                v = sum(tf[f] - 1 for f in union) / math.sqrt(len(union) + 4)
                if i == 0:
                    v *= 1.3  # the opening clause usually names the subject
                if spans[j][1] - spans[i][0] > target:
                    v *= 0.9
                if v > best_v:
                    best, best_v = (spans[i][0], spans[j][1]), v
        if best is None:
            return t
        out = t[best[0]:best[1]].strip().rstrip("，,；;：: ").lstrip("，,；;：: ")
        return out if len(out) >= self.min_len else t

    def bullets(self, units: list[_Unit]) -> list[Bullet]:
        return [Bullet(self.display(u), [u.n]) for u in units]


# --- the LEAD baseline ----------------------------------------------------------------------------------


def lead_sentences(doc: Document, k: int = 1) -> list[tuple[str, int]]:
    """The first ``k`` sentences of the document's text paragraphs with their paragraph numbers."""
    out: list[tuple[str, int]] = []
    for p in doc.paragraphs:
        if p.kind == "heading":
            continue
        for s in split_sentences(p.text):
            out.append((s, p.n))
            if len(out) == k:
                return out
    return out


class LeadSummarizer:
    """Baseline: Core Insights = the first ``k`` sentences. For quality and speed comparisons only."""

    name = "lead"
    template_version = TEMPLATE_VERSION

    def __init__(self, k: int = 3) -> None:
        self.k = k

    def summarize(self, doc: Document) -> Summary:
        bullets = [Bullet(s, [n]) for s, n in lead_sentences(doc, self.k)]
        return Summary(
            doc_id=doc.id,
            template=pick_template(doc.doc_type),
            language=doc.lang,
            backend=self.name,
            created_at=datetime.now(UTC),
            sections=[Section(CORE_INSIGHTS, bullets)] if bullets else [],
            template_version=TEMPLATE_VERSION,
        )
