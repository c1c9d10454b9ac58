"""A document's own section tree (for report sections and news groups) and keyword headings for groups."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from ..model import Document
from . import sentences as S

if TYPE_CHECKING:  # pragma: no cover
    from .extractive import _Unit

# Chinese-numbered title lines that the splitter leaves as text: 一、核心驱动因素 / 第二章 行业格局
_PSEUDO_HEADING = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百]+[章节部分篇]|[一二三四五六七八九十]{1,3}[、.．])\s*[^。！？；!?;]{1,30}$"
)
_NUMBERED = re.compile(r"^\s*(?:第[一二三四五六七八九十百]+[章节部分篇]|[一二三四五六七八九十]{1,3}[、.．])")


class Outline:
    """The top level of a document's heading tree: the highest heading level with at least two headings.

    ``heads`` are the section headings (the document's own text, a trailing colon dropped); ``sec_of[i]``
    is the section index of paragraph index i (-1 before the first section or under a higher heading);
    ``skip`` the paragraph indexes that are title lines but not marked as headings (never candidates).
    For reports, Chinese-numbered title lines (一、核心驱动因素) count as headings too: broker digests
    often mix them with Markdown headings, and the splitter keeps them as text. They take the level of
    the numbered Markdown headings when there are some, else the highest level present.
    """

    __slots__ = ("heads", "sec_of", "skip", "ok")

    def __init__(self, doc: Document, report: bool) -> None:
        self.heads: list[str] = []
        self.sec_of: list[int] = []
        self.skip: frozenset[int] = frozenset()
        self.ok = False
        paras = doc.paragraphs
        heads: list[tuple[int, int, str]] = []
        numbered_levels: list[int] = []
        pseudo: list[int] = []
        for i, p in enumerate(paras):
            if p.kind == "heading":
                heads.append((i, p.level or 1, p.text))
                if report and _NUMBERED.match(p.text):
                    numbered_levels.append(p.level or 1)
            elif report and len(p.text) <= 36 and _PSEUDO_HEADING.match(p.text):
                pseudo.append(i)
        if pseudo:
            level = min(numbered_levels) if numbered_levels else min((h[1] for h in heads), default=1)
            heads.extend((i, level, paras[i].text) for i in pseudo)
            heads.sort()
            self.skip = frozenset(pseudo)
        if not heads:
            return
        counts = Counter(h[1] for h in heads)
        top = next((lv for lv in sorted(counts) if counts[lv] >= 2), None)
        if top is None:
            return
        self.ok = True
        starts: dict[int, int] = {}
        for i, lv, text in heads:
            if lv < top:
                starts[i] = -1
            elif lv == top:
                starts[i] = len(self.heads)
                self.heads.append(text.strip().rstrip("：:").strip() or text.strip())
        cur = -1
        for i in range(len(paras)):
            cur = starts.get(i, cur)
            self.sec_of.append(cur)


_MAX_CANDIDATES = 12  # words looked at (in reading order), to bound the substring counting
# words that say when or how something was reported, or are too general to name a group: a heading of them
# ("时间 · 美军 · 美国" for "美国东部时间当天15时，美军…") tells the reader nothing. For headings only (the
# sentences that contain them are still picked)
_ZH_NOT_A_TOPIC = frozenset(
    """时间 当地时间 北京时间 东部时间 当天 当日 日前 近日 昨天 昨日 明天 今日 本周 上周 下周 本月 上月 目前
    此前 此后 期间 日电 电讯 新华社 央视 总台 记者 消息 报道 介绍 据悉 国家 人民 重要 有关 方面 一步 公告 亿元
    万元 同比 环比""".split()
)


def english_words(text: str) -> Counter[str]:
    """How often each English word (lower-cased) occurs in ``text``."""
    return Counter(map(str.lower, S.EN_SURFACE.findall(text)))


def keywords(
    picks: list[_Unit],
    chunk_text: str,
    doc_text: str,
    zh: bool,
    seen: set[str],
    k: int = 3,
    doc_words: Counter[str] | None = None,
) -> str:
    """A heading for a group: words of its most salient sentence that are characteristic of the group —
    frequent in its stretch of text and rare in the rest of the document (count in the stretch² / count in
    the document; substrings for Chinese, words for English) — longer and earlier first, as the document
    writes them, joined by " · ". Words already used in an earlier group's heading (``seen``) are skipped.
    ``doc_words``: ``english_words(doc_text)``, when the caller counts them once for all its groups."""
    top = min(picks, key=lambda u: (-u.score, u.g)).text
    if zh:
        keys = [
            w
            for w in dict.fromkeys(S._cut(top, False))
            if len(w) >= 2 and w not in S.ZH_STOP and w not in _ZH_NOT_A_TOPIC and not w[0].isdigit() and w not in seen
        ][:_MAX_CANDIDATES]
        words = keys
        score = {x: chunk_text.count(x) ** 2 / (doc_text.count(x) or 1) for x in keys}
    else:
        forms: dict[str, str] = {}
        for m in S.EN_SURFACE.finditer(top):
            word = m.group(0)
            low = word.lower()
            if "'" in low or low in S.EN_STOP or low in seen or (len(low) < 4 and not word.isupper()):
                continue
            forms.setdefault(low, word)
        keys = list(forms)[:_MAX_CANDIDATES]
        words = [forms[x] for x in keys]
        in_chunk = english_words(chunk_text)
        in_doc = english_words(doc_text) if doc_words is None else doc_words
        score = {x: in_chunk[x] ** 2 / (in_doc[x] or 1) for x in keys}
    order = sorted(range(len(keys)), key=lambda i: (-score[keys[i]], -len(keys[i]), i))
    chosen: list[int] = []
    for i in order:
        x = keys[i]
        if any(x in keys[j] or keys[j] in x for j in chosen):
            continue
        chosen.append(i)
        if len(chosen) == k:
            break
    seen.update(keys[i] for i in chosen)
    if not chosen:
        return "要点" if zh else "Key points"
    return " · ".join(words[i] for i in chosen)
