"""A document's own section tree (for report sections and news groups) and keyword headings for groups."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

import rjieba

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
    万元 同比 环比 预计 预期 事实 数量 阶段 阶段性 总体 综合 因素 水平 程度 结果 部分 需谨慎""".split()
)


def english_words(text: str) -> Counter[str]:
    """How often each English word (lower-cased) occurs in ``text``."""
    return Counter(map(str.lower, S.EN_SURFACE.findall(text)))


_tag = rjieba.tag
# part of speech (jieba's tag set) → weight as a heading word: nouns, names, places, organisations, foreign
# words and abbreviations name a topic; nominal verbs (出口, 磋商) and idioms less; plain verbs little (加息
# can still win on frequency); numerals, time words, adverbs, pronouns and particles never ("两次", "预计"
# as a verb, "后面", "不管")
_ZH_TAG_WEIGHT = {
    **dict.fromkeys("n nr nrt nrfg ns nt nz eng j".split(), 1.0),
    **{"ng": 0.8, "vn": 0.6, "an": 0.6, "x": 0.5, "l": 0.3, "v": 0.3, "i": 0.2},
}
_ZH_WEIGHT: dict[str, float] = {}
# English words that do not name a topic (beyond EN_STOP): figures and times, words of reporting, change and
# comparison, and vague modifiers: "second · expect · organically", "prior · lower · million"
_EN_NOT_A_TOPIC = frozenset(
    """four five six seven eight nine ten eleven twelve dozen dozens million millions billion billions thousand
    thousands hundred hundreds trillion percentage approximately almost nearly roughly about around prior lower
    higher high low lowest highest largest large larger small smaller big bigger second third fourth half full whole
    total different similar various certain several another overall strong stronger weak weaker significant good
    better best expect expects expected expecting believe believes believed discuss discussed mention mentioned
    report reported reports estimate estimated estimates deliver delivered continue continuing remain remains
    remained include includes included including increase increased increases decrease decreased rose rise rises
    risen fell fall falls fallen grew grow grows grown implies imply implied reduces reduce reduced agreed agree
    agrees want wanted wants told tell added adds according reach reached drive driven take taken took give given
    gave come came coming comes went compared compare compares chief officer executive help helped helps provide
    provided provides based within across ahead since while already recently currently actually really basically
    probably generally particularly especially significantly slightly further early late earlier later previous
    following recent current today yesterday tomorrow week weeks month months day days period periods january
    february march april june july august september october november december monday tuesday wednesday thursday
    friday saturday sunday""".split()
)
_EN_LY_NOUNS = frozenset("supply assembly family monopoly anomaly rally italy july ally reply".split())


def _zh_weight(word: str) -> float:
    """How well a Chinese word can name a group, by its part of speech in rjieba's dictionary (cached)."""
    w = _ZH_WEIGHT.get(word)
    if w is None:
        tags = _tag(word, False)
        w = _ZH_TAG_WEIGHT.get(tags[0][1], 0.0) if len(tags) == 1 else 0.5
        if len(_ZH_WEIGHT) < 200_000:
            _ZH_WEIGHT[word] = w
    return w


def _en_weight(word: str, low: str, first: bool) -> float:
    """How well an English word can name a group: names and acronyms first; no adverbs, figures, months or
    words of reporting and change (a heuristic: there is no English tagger offline)."""
    if low in _EN_NOT_A_TOPIC or low in S.EN_STOP:
        return 0.0
    if len(low) > 4 and low.endswith("ly") and low not in _EN_LY_NOUNS:
        return 0.0
    if word[0].isupper() and (not first or word.isupper()):
        return 1.2
    if low.endswith(("ed", "ing")):
        return 0.6
    return 1.0


def _zh_words(text: str):
    """(key, word as written, weight) of the Chinese words of ``text`` that may name a topic."""
    known, stop = _ZH_WEIGHT.get, S.ZH_STOP
    for w in S._cut(text, False):
        if len(w) < 2 or w in stop or w in _ZH_NOT_A_TOPIC or w[0].isdigit():
            continue
        x = known(w)
        yield w, w, _zh_weight(w) if x is None else x


def _en_words(text: str):
    """(lower-cased key, word as written, weight) of the English words of ``text`` that may name a topic."""
    for m in S.EN_SURFACE.finditer(text):
        word = m.group(0)
        low = word.lower()
        if "'" in low or (len(low) < 4 and not word.isupper()):
            continue
        yield low, word, _en_weight(word, low, m.start() == 0)


def _candidates(texts: list[str], zh: bool, seen: set[str], k: int) -> dict[str, tuple[str, float]]:
    """Heading candidates in reading order, key → (word as written, weight): at most ``_MAX_CANDIDATES``,
    from the first text, then the next ones while there are fewer than 2k; none already in ``seen``."""
    out: dict[str, tuple[str, float]] = {}
    words = _zh_words if zh else _en_words
    for text in texts:
        for key, word, x in words(text):
            if x > 0 and key not in out and key not in seen:
                out[key] = (word, x)
                if len(out) == _MAX_CANDIDATES:
                    return out
        if len(out) >= k * 2:
            break
    return out


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
    the document; substrings for Chinese, words for English), times how well the word can name a topic
    (nouns and names over verbs; never figures, times, adverbs or function words) — longer and earlier
    first, as the document writes them, joined by " · ". Words already used in an earlier group's heading
    (``seen``) are skipped; so are verb-like words beside a noun-like one. Candidates come from the most
    salient sentence, then the next ones while there are fewer than 2k. ``doc_words``:
    ``english_words(doc_text)``, when the caller counts them once for all its groups."""
    # the group's sentences, most salient first: the words of the top one, then of the next ones
    texts = [u.text for u in sorted(picks, key=lambda u: (-u.score, u.g))]
    found = _candidates(texts, zh, seen, k)  # key → (the word as written, its weight)
    keys = list(found)
    words = [found[x][0] for x in keys]
    weight = {x: found[x][1] for x in keys}
    if zh:
        score = {x: chunk_text.count(x) ** 2 / (doc_text.count(x) or 1) * weight[x] for x in keys}
    else:
        in_chunk = english_words(chunk_text)
        in_doc = english_words(doc_text) if doc_words is None else doc_words
        score = {x: in_chunk[x] ** 2 / (in_doc[x] or 1) * weight[x] for x in keys}
    order = sorted(range(len(keys)), key=lambda i: (-score[keys[i]], -len(keys[i]), i))
    chosen: list[int] = []
    for i in order:
        x = keys[i]
        if any(x in keys[j] or keys[j] in x for j in chosen):
            continue
        chosen.append(i)
        if len(chosen) == k:
            break
    if any(weight[keys[i]] >= 0.5 for i in chosen):
        chosen = [i for i in chosen if weight[keys[i]] >= 0.5]
    seen.update(keys[i] for i in chosen)
    if not chosen:
        return "要点" if zh else "Key points"
    if zh or len(chosen) < 2:
        return " · ".join(words[i] for i in chosen)
    # English words that the group writes side by side are one phrase: "cash flow · debt", not "flow · cash · debt"
    text = " ".join(texts).lower()
    out: list[str] = []
    rest = list(chosen)
    while rest:
        a = rest.pop(0)
        b = next((b for b in rest if f"{keys[a]} {keys[b]}" in text or f"{keys[b]} {keys[a]}" in text), None)
        if b is None:
            out.append(words[a])
        else:
            rest.remove(b)
            first, second = (a, b) if f"{keys[a]} {keys[b]}" in text else (b, a)
            out.append(f"{words[first]} {words[second]}")
    return " · ".join(out)
