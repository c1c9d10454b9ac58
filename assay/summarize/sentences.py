"""Sentence-level helpers of the extractive summarizer: terms, clean-up, boilerplate tests, clause clipping.

Everything here keeps the verbatim contract: a cleaned sentence or a clipped clause is always a substring
of the sentence it came from (only its edges are trimmed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import rjieba

# --- terms --------------------------------------------------------------------------------------------

ZH_STOP = frozenset(
    """的 了 在 是 和 与 及 等 也 都 将 对 为 以 从 而 并 被 把 让 向 于 其 这 那 个 之 中 上 下 有 不 就 还 又
    或 但 更 最 很 要 会 能 可 已 再 由 到 给 着 过 所 如 如果 因为 所以 因此 以及 并且 而且 以来 同时 其中 一个 一些
    我们 他们 你们 它们 我 你 他 她 它 此 该 各 每 这个 那个 这些 那些 这样 这种 进行 表示 认为 指出 强调 提出 通过
    对于 关于 方面 其他 以上 以下 之一 目前 已经 可以 没有 不是 就是 还是 一是 二是 三是 今年 去年 今天 记者
    了解 获悉 报道 消息 据 称 说 来 去 后 前 时 里 内 外 多 少 大 小 新 年 月 日 号 点 则 即 既 且 若 当 却 乃 吧 吗
    呢 啊 么 得 地 一 二 三 两 几 作为 以便 正在 相关 主要 进一步 不断 实现 推动 加强 坚持 全面 或者 如果 虽然
    但是 可能 需要 而是 只是 还有 什么 怎么 这么 那么 自己 大家 现在 时候 一样 一下 一直 比较 非常 之后 之前 然后
    其实 已 并非 能够 应该 同样 继续 开始 成为 具有 包括 以后 有关 方式 情况 问题 工作 发展 表明 显示""".split()
) | frozenset(" \t\n\u3000，。、；：？！“”‘’（）《》【】「」『』—…·,.;:?!\"'()[]<>-_/*#|%+=~@&$^`{}\\")

EN_STOP = frozenset(
    """a an the and or but if then than of to in on at by for with from as into onto over under about after
    before between through during above below up down out off again further once here there when where why how
    all any both each few more most other some such no nor not only own same so too very can will just don
    should now is are was were be been being have has had having do does did doing would could may might must
    shall i me my we our ours you your he him his she her it its they them their what which who whom this that
    these those am s t said says say also mr mrs ms inc corp co ltd pct dlrs mln reuter year years quarter
    per cent percent company companies one two three new last first next well us let think going get got
    know really want mention like make made still even much many good great way look looking see around right
    time today thing things lot able sure continue continued continues number obviously kind bit yes okay""".split()
)
_EN_WORD = re.compile(r"[a-z][a-z0-9'-]*|[0-9]+(?:\.[0-9]+)?")
EN_SURFACE = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
_cut = rjieba.cut


def feats_zh(s: str) -> set[str]:
    """Chinese terms of one text: rjieba words (no HMM: unknown names fall apart into characters, which
    is good enough for overlap) without function words and punctuation."""
    return set(_cut(s, False)) - ZH_STOP


def feats_en(s: str) -> set[str]:
    """English terms: lower-cased words without stop words, cut to six letters (a crude stem)."""
    return {w[:6] for w in _EN_WORD.findall(s.lower()) if w not in EN_STOP}


def batch_zh(texts: list[str]) -> list[set[str]]:
    """``feats_zh`` of many sentences. (One call per sentence measured faster than one call on the
    joined text followed by slicing the token list at the sentence ends.)"""
    cut, stop = _cut, ZH_STOP
    return [set(cut(t, False)) - stop for t in texts]


def batch_en(texts: list[str]) -> list[set[str]]:
    return [feats_en(t) for t in texts]


# --- clean-up and filters ------------------------------------------------------------------------------

# list markers, quote marks and Markdown left-overs at the start of a sentence
# (bullet glyphs of PDFs: ⚫ ● ◆ ■ ▪ ► …, and the private-use code points of symbol fonts, \uf06c \uf0b7 …)
_BULLET_GLYPHS = "⚫●○◆◇■□▪▫▶►▸◎★☆✓✔➢➤\ue000-\uf8ff"
_LEAD_JUNK = re.compile(
    rf"^(?:[\s\-*+•·>#{_BULLET_GLYPHS}]+|\d{{1,2}}[.)）、．](?!\d)\s*(?=\S)|[（(]\d{{1,2}}[)）]\s*|[①-⑳]\s*|"
    r"[，,、；;：:。．.)）】」』]+)+"
)
LEAD_JUNK_CHARS = frozenset(
    "-*+•·>#（(①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳，,、；;：:。．.)）】」』 \t0123456789⚫●○◆◇■□▪▫▶►▸◎★☆✓✔➢➤"
) | frozenset(map(chr, range(0xE000, 0xF900)))
# a dateline (央视网消息（新闻联播）：, 新华社北京1月1日电) before the content
_DATELINE = re.compile(r"^.{1,24}?(?:消息|电|讯)(?:[（(][^）)]{1,16}[)）])?\s*[：:]\s*|^新华社.{1,16}?电\s+")
TRAIL_JUNK = " \t*#\u3000"

META = re.compile(
    r"(?:日期|来源|作者|编辑|责任编辑|记者|时间|发布时间|原标题|原文|链接|图片来源|资料来源|数据来源|"
    r"Date|Source|Author|By|Tel|Email|E-mail|Photo)\s*[:：]",
    re.I,
)
HAS_WORD = re.compile(r"[A-Za-z\u4e00-\u9fff]")
HAS_CJK = re.compile(r"[\u4e00-\u9fff]")
PENALTY_ZH = re.compile(r"免责|声明|仅供参考|投资建议|请务必|分析师承诺|版权|未经许可|扫码|二维码|长按|关注我们|点击")
PENALTY_EN = re.compile(
    r"disclaimer|forward-looking|safe harbor|copyright|rights reserved|click here|subscribe|website|"
    r"press release|replay|operator|conference call|webcast|q&a|question-and-answer|"
    r"good (?:morning|afternoon|evening)|thank you|thanks",
    re.I,
)
_PENALTY_EN_LOWER = re.compile(PENALTY_EN.pattern)  # the same words, on lower-cased text


def penalty_en(text: str):
    """``PENALTY_EN.search(text)``, six times faster: Python's ``re`` cannot look for the literal words of
    an IGNORECASE alternation, and tries every branch at every position (21 against 3.6 µs a sentence)."""
    return _PENALTY_EN_LOWER.search(text.lower())


# lines of a broker report that are not its content: analysts' contacts (phone numbers, e-mail addresses,
# certificate numbers), figure and table captions, table-of-contents lines (dot leaders and a page number),
# and the rating scale's definitions (增持：未来6-12个月相对基准指数涨幅5%-15%)
# (each regex only where a cheap test says it may match: this runs on every candidate sentence)
# a landline with its area code: (021)23154383, 010-88005322 (a mobile number alone is too like other
# figures; beside a label or an e-mail address it is caught by those)
_PHONE = re.compile(r"(?<![\d.])(?:[(（]0\d{2,3}[)）]\s?\d{7,8}|0\d{2,3}[-－]\d{7,8})(?![\d.])")
_CERTIFICATE = re.compile(r"(?<![A-Za-z])S\d{13}(?!\d)")
_LABEL = re.compile(r"(?:电话|手机|邮箱|传真|联系人|Tel|TEL|tel|Phone|PHONE|Fax|FAX|E-?mail|E-?MAIL|e-?mail)\s*[:：]")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[A-Za-z]{2,}")
_CAPTION = re.compile(
    r"(?:图|表|图表|附图|附表)\s*\d{1,3}(?:[-.]\d{1,3})?\s*[:：、．.\s]|(?:Figure|Fig\.|Exhibit|Table|Chart)\s*\d{1,3}\s*[:：.]"
)
_CAPTION_FIRST = frozenset("图表附FETC")
_TOC = re.compile(r"(?:\.{3,}|…{2,}|·{3,}|-{3,})\s*\d{1,3}$|[）)]\s*\.+\s*\d{1,3}$")
_SCALE = re.compile(
    r"\d{1,2}\s*[-－~～至到]\s*\d{1,2}\s*个月|next\s+(?:6|six|12|twelve)\s*(?:-|to)\s*(?:12|twelve|18)\s+months",
    re.I,
)
_RATING_WORD = re.compile(
    r"评级|买入|增持|中性|减持|卖出|超配|标配|低配|推荐|回避|强于大市|弱于大市|同步大市|跑赢|跑输|"
    r"\b(?:buy|overweight|neutral|underweight|sell|outperform|underperform|hold)\b",
    re.I,
)
_BENCHMARK = re.compile(r"基准|benchmark", re.I)
_RATING_SYSTEM = re.compile(r"评级(?:体系|标准|说明|定义)|(?:rating|ratings) (?:system|definitions?|scale)", re.I)


def boilerplate(t: str) -> bool:
    """A contact line, a caption, a table-of-contents line or a rating-scale definition (see above)."""
    if (t[0] in _CAPTION_FIRST and _CAPTION.match(t)) or (t[-1].isdigit() and _TOC.search(t)):
        return True
    if "......" in t or "······" in t or "…………" in t:  # dot leaders of a contents line cut before its page
        return True
    if "执业证书" in t or "证书编号" in t or "+86" in t or ("@" in t and _EMAIL.search(t)):
        return True
    if ("：" in t or ":" in t) and _LABEL.search(t):
        return True
    if ("-" in t or ")" in t or "）" in t or "－" in t) and _PHONE.search(t):
        return True
    if "S" in t and _CERTIFICATE.search(t):
        return True
    if ("评级" in t or "ating" in t) and _RATING_SYSTEM.search(t):
        return True
    return ("个月" in t or "months" in t) and bool(_SCALE.search(t) and _RATING_WORD.search(t) and _BENCHMARK.search(t))


# sentences that lean on the one before (此外…, 他认为…, However…) read badly on their own
OPENERS = (
    "此外", "另外", "同时", "与此同时", "而且", "并且", "但", "不过", "然而", "因此", "所以", "对此", "其中", "他",
    "她", "我们还", "该", "这", "那", "此前", "随后", "另据", "据悉", "而", "也",
    "But ", "And ", "However", "Also", "Meanwhile", "He ", "She ", "They ", "It ", "This ", "That ", "These ",
    "Those ", "So ", "Still",
    # a sentence about a figure or a table shown beside it
    "下图", "如下图", "如图", "上图", "以下两图", "下表", "如下表", "上表", "见图", "见表",
)  # fmt: skip
FIG = re.compile(r"\d")
# checked only on sentences with a digit: a unit anywhere in them
UNIT_ZH = re.compile(r"[%％亿万元吨$]")
UNIT_EN = re.compile(r"%|\$|percent|pct|billion|million|bln|mln|dlrs")
ENDS = frozenset('。！？!?.”"’)）…')
# what ends a sentence for good: a line without one is headline-like (see extractive._restated)
FULL_STOPS = frozenset("。．.；;！!？?…")
QUESTION = frozenset("？?")
_CLAUSE = re.compile(r"[，；;：]|,(?!\d{3}\b)|:(?!\d)")  # not inside 5,000 or 10:30


# a numbered item (①–⑳) that starts inside a sentence, after a space, colon, comma or bracket: "…22.6x ③ 特朗普称…",
# "实现三大升级：①仿生性能进阶…"; each item is a candidate of its own
_ITEM_INSIDE = re.compile(r"(?<=[\s：:，,】)）])(?=[①-⑳])")
HAS_ITEM = re.compile(r".[①-⑳]", re.S)


def items(sentences: list[str]) -> list[str]:
    """The sentences with numbered items inside them split off (each piece a substring of its sentence)."""
    out = []
    for s in sentences:
        if HAS_ITEM.search(s):
            out += [x for x in (x.strip() for x in _ITEM_INSIDE.split(s)) if x]
        else:
            out.append(s)
    return out


def once(t: str) -> str:
    """A sentence written twice in a row (a scraping fault: "AA" or "AA。") as its first half, else as is."""
    c = len(t) - (t[-1] in "。.！!；;")
    h = c >> 1
    if not c & 1 and h and t[0] == t[h] and t[:h] == t[h:c]:
        return t[:h]
    return t


def trim(s: str, dateline: bool) -> str:
    """The content part of a sentence: list markers, Markdown left-overs and (when ``dateline``) a leading
    dateline removed. Edges only, so the result stays a substring of the paragraph."""
    if s[0] in LEAD_JUNK_CHARS:
        s = _LEAD_JUNK.sub("", s, count=1)
        if not s:
            return s
    if dateline and (s.find("消息", 0, 26) >= 0 or s.find("电", 0, 26) >= 0 or s.find("讯", 0, 26) >= 0):
        m = _DATELINE.match(s)
        if m and len(s) - m.end() >= 12:
            s = s[m.end() :]
    if s and (s[-1] in TRAIL_JUNK or s[0] in TRAIL_JUNK):
        s = s.strip(TRAIL_JUNK)
    return s


def clip(t: str, feats: Callable[[str], set[str]], tf: dict[str, int], limit: int, target: int, min_len: int) -> str:
    """The most salient run of whole clauses of an over-long sentence (split at ，；：, ; :), at most
    ``limit`` characters, preferring about ``target``; the opening clause, which usually names the
    subject, gets a bonus. Without document term frequencies (``tf`` empty: a short document) the
    opening run of clauses that fits ``target`` is taken."""
    cuts = [0] + [m.end() for m in _CLAUSE.finditer(t)] + [len(t)]
    spans = [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]
    if len(spans) < 2:
        return t
    best: tuple[int, int] | None = None
    if not tf:
        for _, b in spans:
            if b > target and best is not None:
                break
            best = (0, b)
    else:
        terms = [feats(t[a:b]) for a, b in spans]
        best_v = -1.0
        for i in range(len(spans)):
            union: set[str] = set()
            for j in range(i, len(spans)):
                width = spans[j][1] - spans[i][0]
                if width > limit and j > i:
                    break
                union |= terms[j]
                if width < 12:
                    continue
                v = sum(tf.get(f, 1) - 1 for f in union) / math.sqrt(len(union) + 4)
                if i == 0:
                    v *= 1.3
                if width > target:
                    v *= 0.9
                if v > best_v:
                    best, best_v = (spans[i][0], spans[j][1]), v
    if best is None:
        return t
    out = t[best[0] : best[1]].strip().rstrip("，,；;：: ").lstrip("，,；;：: ")
    return out if min_len <= len(out) <= limit else t
