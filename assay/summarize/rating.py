"""Find the investment rating a research report states (维持“买入”评级, "We maintain Overweight").

Only statements count, not the rating scale that brokers print at the end of every report
("买入：预期未来 6 个月内……", "评级说明"), not credit ratings (穆迪下调美国主权信用评级, AAA) and not
"推荐关注" (a recommendation to watch, with no rating). A match needs a rating word in a rating frame: a
verb such as 维持/给予/上调/首次覆盖 followed by the word and 评级, ``评级：买入``, ``“增持”评级``,
``买入（维持）``; in English "maintain/upgrade/initiate … Buy", "Overweight rating", "rating: Buy".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Document
from ..text.split import split_sentences

# longest first, so that 谨慎推荐 wins over 推荐 and 强于大市 over 大市
_ZH_WORDS = sorted(
    {
        "买入",
        "强烈买入",
        "谨慎买入",
        "增持",
        "谨慎增持",
        "审慎增持",
        "中性",
        "持有",
        "减持",
        "卖出",
        "回避",
        "推荐",
        "强烈推荐",
        "谨慎推荐",
        "审慎推荐",
        "强推",
        "跑赢行业",
        "跑输行业",
        "跑赢大市",
        "跑输大市",
        "同步行业",
        "优于大市",
        "同步大市",
        "弱于大市",
        "强于大市",
        "领先大市",
        "落后大市",
        "优于行业",
        "弱于行业",
        "强于行业",
        "中性偏强",
        "看好",
        "超配",
        "标配",
        "低配",
        "优于大盘",
        "买进",
        "观望",
    },
    key=len,
    reverse=True,
)
_ZH = "|".join(_ZH_WORDS)
_Q_OPEN = r"[“\"「『‘']?\s*"
_Q_CLOSE = r"\s*[”\"」』’']?"
_ZH_VERB = (
    r"(?:维持|给予|首次覆盖|首次给予|首予|首次评级|继续给予|重申|予以|保持|上调|下调|调高|调低|调升|调降|"
    r"上修|下修|评为|评级为|调整为|首评|覆盖并给予)"
)
_ZH_PATTERNS = [
    # 维持“买入”评级 / 给予公司增持评级 / 上调至“强烈推荐”投资评级
    re.compile(
        _ZH_VERB + r"[^。；！？\n“”\"]{0,16}?" + _Q_OPEN + r"(" + _ZH + r")" + _Q_CLOSE + r"\s*(?:的)?\s*(?:投资)?评级"
    ),
    # 投资评级：买入（维持） / 评级为“增持”
    re.compile(r"(?:投资)?评级\s*(?:[:：]|为|是|调整为|上调为|下调为|上调至|下调至)\s*" + _Q_OPEN + r"(" + _ZH + r")"),
    # 维持“买入”评级 without a verb in reach: “同步大市”的投资评级
    re.compile(r"[“\"「『]\s*(" + _ZH + r")\s*[”\"」』]\s*(?:的)?\s*(?:投资)?评级"),
    # 买入（维持） / 增持(首次)
    re.compile(r"(?<![\u4e00-\u9fff])(" + _ZH + r")\s*[（(]\s*(?:维持|首次|上调|下调|调高|调低)\s*[)）]"),
]
# sentences that define the scale, or speak of credit ratings, are never the report's own rating
_ZH_REJECT = re.compile(
    r"评级说明|评级标准|评级体系|评级定义|投资评级的|相关定义|预期未来|预计未来|未来\s*\d+\s*个月|相对同期|"
    r"基准指数|信用评级|主体评级|债项评级|穆迪|标普|惠誉|未评级|本报告|免责"
)

_EN_WORDS = (
    r"strong\s+buy|buy|accumulate|add|overweight|outperform|market[\s-]+perform|sector[\s-]+perform|"
    r"equal[\s-]*weight|market[\s-]+weight|neutral|hold|underweight|underperform|reduce|strong\s+sell|sell"
)
_EN_VERB = (
    r"(?:maintain(?:s|ed|ing)?|reiterat(?:e|es|ed|ing)|initiat(?:e|es|ed|ing)|upgrad(?:e|es|ed|ing)|"
    r"downgrad(?:e|es|ed|ing)|reaffirm(?:s|ed|ing)?|assign(?:s|ed|ing)?|keep(?:s|ing)?|kept|retain(?:s|ed|ing)?|"
    r"resum(?:e|es|ed|ing)|rate|rated)"
)
_EN_PATTERNS = [
    # upgraded XYZ to buy from hold / initiated coverage with an Overweight / maintain our Buy
    (
        re.compile(
            r"\b" + _EN_VERB + r"\b[^.;!?\n]{0,60}?\b(?:to|at|with|as|an?|our|its|the)\s+[\"“']?(" + _EN_WORDS + r")\b",
            re.I,
        ),
        True,
    ),
    # Overweight rating / "Buy" recommendation
    (re.compile(r"[\"“']?\b(" + _EN_WORDS + r")\b[\"”']?\s+(?:rating|recommendation)s?\b", re.I), False),
    # rating: Buy / our rating is Outperform / rating to Neutral
    (
        re.compile(
            r"\b(?:rating|recommendation)\s*(?::|is|of|at|to|remains|stays|was)\s*(?:an?\s+)?[\"“']?("
            + _EN_WORDS
            + r")\b",
            re.I,
        ),
        False,
    ),
]
_EN_REJECT = re.compile(
    r"rating (?:system|definitions?|scale|methodology|key|distribution)|defined as|ratings? (?:are|is) defined|"
    r"rating (?:means|indicates|implies)|"
    r"credit rating|moody|standard & poor|s&p|fitch|not rated|\bdisclaimer\b|\bdisclosures?\b",
    re.I,
)
_EN_CANON = {
    "strongbuy": "Strong Buy",
    "buy": "Buy",
    "accumulate": "Accumulate",
    "add": "Add",
    "overweight": "Overweight",
    "outperform": "Outperform",
    "marketperform": "Market Perform",
    "sectorperform": "Sector Perform",
    "equalweight": "Equal-weight",
    "marketweight": "Market Weight",
    "neutral": "Neutral",
    "hold": "Hold",
    "underweight": "Underweight",
    "underperform": "Underperform",
    "reduce": "Reduce",
    "strongsell": "Strong Sell",
    "sell": "Sell",
}
# cheap pre-filters: a paragraph without any of these cannot state a rating
_ZH_HINT = re.compile(r"评级|[（(]\s*(?:维持|首次|上调|下调)")
_EN_HINT = re.compile(
    r"rat(?:e|ed|es|ing)|recommendation|upgrad|downgrad|initiat|reiterat|maintain|overweight|outperform", re.I
)
_CLAUSE_END = re.compile(r"[，；;：]|,(?!\d{3}\b)|:(?!\d)")  # not inside 5,000 or 10:30


@dataclass(slots=True)
class RatingMatch:
    rating: str  # normalized rating word: 买入, 增持 …; Buy, Overweight …
    text: str  # the sentence (or clause) stating it, verbatim from the paragraph
    n: int  # paragraph number


def normalize_rating(word: str) -> str:
    w = re.sub(r"\s+", " ", word.strip())
    if w and w[0].isascii():
        key = re.sub(r"[\s-]+", "", w.lower())
        return _EN_CANON.get(key, w.title())
    return w


def _clip_around(sentence: str, start: int, end: int, limit: int) -> str:
    """The clause(s) of ``sentence`` around [start, end), at most about ``limit`` characters."""
    if len(sentence) <= limit:
        return sentence
    cuts = [0] + [m.end() for m in _CLAUSE_END.finditer(sentence)] + [len(sentence)]
    lo = max(c for c in cuts if c <= start)
    hi = min(c for c in cuts if c >= end)
    # widen by whole clauses while there is room, to the right first (the reason usually follows)
    while True:
        grown = False
        nxt = [c for c in cuts if c > hi]
        if nxt and nxt[0] - lo <= limit:
            hi = nxt[0]
            grown = True
        prv = [c for c in cuts if c < lo]
        if prv and hi - prv[-1] <= limit:
            lo = prv[-1]
            grown = True
        if not grown:
            break
    return sentence[lo:hi].strip().rstrip("，,；;：: ")


def find_rating(doc: Document, zh: bool, limit: int) -> RatingMatch | None:
    """The first rating statement of the document's text paragraphs, or None."""
    hint = _ZH_HINT if zh else _EN_HINT
    best: tuple[int, int, RatingMatch] | None = None
    for p in doc.paragraphs:
        if p.kind == "heading" or not hint.search(p.text):
            continue
        for sent in split_sentences(p.text):
            found = _match_sentence(sent, zh)
            if found is None:
                continue
            prio, word, start, end = found
            text = _clip_around(sent, start, end, limit)
            if not text or text not in p.text:  # pragma: no cover - clip keeps a substring
                continue
            match = RatingMatch(normalize_rating(word), text, p.n)
            if best is None or prio < best[0]:
                best = (prio, p.n, match)
            if prio == 0:
                return match
    return best[2] if best else None


def _match_sentence(sent: str, zh: bool) -> tuple[int, str, int, int] | None:
    if zh:
        if _ZH_REJECT.search(sent):
            return None
        for prio, pat in enumerate(_ZH_PATTERNS):
            m = pat.search(sent)
            if m:
                return (0 if prio < 2 else 1), m.group(1), m.start(), m.end()
        return None
    if _EN_REJECT.search(sent):
        return None
    for prio, (pat, need_signal) in enumerate(_EN_PATTERNS):
        for m in pat.finditer(sent):
            word = m.group(1)
            # "maintained its plan to sell": a bare lower-case word after a generic verb is not a rating
            if need_signal and word.islower() and not re.match(r"(?i)(?:up|down)grad|rated\b", m.group(0)):
                continue
            return (0 if prio == 0 else 1), word, m.start(), m.end()
    return None
