"""A broker report's metadata from its first page: title, institution, date, analysts, rating, target price.

Chinese broker reports share a layout more than a template: the title is the largest text on the cover
(page furniture such as 证券研究报告 or 相关研究 aside), the date is printed as 2020 年 07 月 07 日 (or
2018.11.28, or 报告日期：…), analysts are named beside their licence number (S0850512080006) or after
分析师：, and the broker shows in the analysts' e-mail domains and in its own name on every page.
Every parser here takes any text and returns None (or an empty list) when it finds nothing; every pattern
is bounded (no unbounded repetition next to another), so no text makes one backtrack for long.
"""

from __future__ import annotations

import calendar
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .pdf import Line

# canonical name: (names written in reports, e-mail domains of its analysts)
BROKERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "申万宏源": (("申万宏源", "申银万国"), ("swsresearch.com",)),
    "国信证券": (("国信证券",), ("guosen.com.cn",)),
    "国海证券": (("国海证券",), ("ghzq.com.cn",)),
    "浙商证券": (("浙商证券",), ("stocke.com.cn",)),
    "海通证券": (("海通证券",), ("htsec.com",)),
    "开源证券": (("开源证券",), ("kysec.cn",)),
    "兴业证券": (("兴业证券",), ("xyzq.com.cn",)),
    "招商证券": (("招商证券",), ("cmschina.com.cn",)),
    "东方证券": (("东方证券",), ("orientsec.com.cn", "dfzq.com.cn")),
    "中泰证券": (("中泰证券", "齐鲁证券"), ("zts.com.cn", "qlzq.com.cn")),
    "东北证券": (("东北证券",), ("nesc.cn",)),
    "广发证券": (("广发证券",), ("gf.com.cn",)),
    "国泰君安": (("国泰君安",), ("gtjas.com",)),
    "华泰证券": (("华泰证券",), ("htsc.com",)),
    "西部证券": (("西部证券",), ("xbmail.com.cn",)),
    "安信证券": (("安信证券",), ("essence.com.cn",)),
    "中金公司": (("中金公司", "中国国际金融"), ("cicc.com.cn",)),
    "中信证券": (("中信证券",), ("citics.com",)),
    "中信建投": (("中信建投",), ("csc.com.cn",)),
    "光大证券": (("光大证券",), ("ebscn.com",)),
    "天风证券": (("天风证券",), ("tfzq.com",)),
    "长江证券": (("长江证券",), ("cjsc.com.cn", "cjsc.com")),
    "方正证券": (("方正证券",), ("foundersc.com",)),
    "国金证券": (("国金证券",), ("gjzq.com.cn",)),
    "民生证券": (("民生证券",), ("mszq.com",)),
    "东吴证券": (("东吴证券",), ("dwzq.com.cn",)),
    "华创证券": (("华创证券",), ("hcyjs.com",)),
    "国元证券": (("国元证券",), ("gyzq.com.cn",)),
    "财通证券": (("财通证券",), ("ctsec.com",)),
    "平安证券": (("平安证券",), ("pingan.com.cn",)),
    "太平洋证券": (("太平洋证券",), ("tpyzq.com",)),
    "华西证券": (("华西证券",), ("hx168.com.cn",)),
    "信达证券": (("信达证券",), ("cindasc.com",)),
    "中国银河": (("中国银河", "银河证券"), ("chinastock.com.cn",)),
    "国盛证券": (("国盛证券",), ("gszq.com",)),
    "德邦证券": (("德邦证券",), ("tebon.com.cn",)),
    "华安证券": (("华安证券",), ("hazq.com",)),
    "东兴证券": (("东兴证券",), ("dxzq.net.cn",)),
    "长城证券": (("长城证券",), ("cgws.com",)),
    "国联证券": (("国联证券",), ("glsc.com.cn",)),
    "中原证券": (("中原证券",), ("ccnew.com",)),
    "华鑫证券": (("华鑫证券",), ("cfsc.com.cn",)),
    "山西证券": (("山西证券",), ("sxzq.com",)),
    "东莞证券": (("东莞证券",), ("dgzq.com.cn",)),
}

_RATINGS = (
    "强烈推荐|谨慎推荐|审慎推荐|推荐|强烈买入|谨慎买入|买入|谨慎增持|审慎增持|增持|中性|持有|减持|卖出|回避|"
    "跑赢行业|跑输行业|同步行业|优于大市|同步大市|弱于大市|强于大市|领先大市|落后大市|超配|标配|低配|"
    "Buy|Overweight|Outperform|Neutral|Hold|Underweight|Underperform|Sell"
)
_RATING = re.compile(
    r"(?:投资评级|公司评级|行业评级|评级|Rating)\s{0,3}[:：]?\s{0,3}[“\"「]?\s{0,3}(" + _RATINGS + r")|"
    r"(?<![\u4e00-\u9fff])(" + _RATINGS + r")\s{0,3}[（(]\s{0,3}(?:维持|首次|上调|下调)\s{0,3}[)）]|"
    r"(?:维持|给予|首次覆盖|[上下]调至|调[高低]至)\s{0,3}[“\"「]\s{0,3}(" + _RATINGS + r")\s{0,3}[”\"」]\s{0,3}评级",
    re.I,
)
_TARGET = re.compile(
    r"目标价(?:格)?\s{0,3}(?:\(|（)?\s{0,3}(?:元|人民币|港元|港币|美元|RMB|HKD|USD)?\s{0,3}(?:\)|）)?\s{0,3}[:：]?\s{0,3}"
    r"(?:人民币|港元|港币|美元|RMB|HK\$|US\$|\$|¥)?\s{0,3}(\d{1,6}(?:\.\d{1,3})?)",
    re.I,
)
_CERT = r"[SA]\d{13}"
_NAME = r"[\u4e00-\u9fff]{2,4}"
_ANALYST_PATTERNS = (
    re.compile(r"(?:证券)?分析[师员][:：\s]{0,3}(" + _NAME + r")(?![\u4e00-\u9fff])"),
    re.compile(r"(" + _NAME + r")\s{0,3}[:：]?\s{0,3}[（(](?:首席)?分析师[)）]"),  # 李辰：（分析师）
    re.compile(  # lazy: 李聪执业证书编号：S0570519080001 is 李聪
        r"(?<![\u4e00-\u9fff])(" + _NAME + r"?)[\s，,]{0,3}(?:SAC\s{0,3})?(?:执业证书编号|执业编号|证书编号|执证编号)?"
        r"\s{0,3}[:：]?\s{0,3}" + _CERT
    ),
)
_NAME_LINE = re.compile(_NAME)
_NAME_TITLE_LINE = re.compile(r"(" + _NAME + r")\s{0,2}(?:首席)?分析师")  # 杨勇分析师, over its licence line
_LABEL_LINE = re.compile(r"^(?:证券)?分析[师员]\s?[:：]?$")
_CONTACT = re.compile(r"@|" + _CERT)
_NOT_IN_NAMES = (
    *("证券", "首席", "执业", "执证", "申明", "证书", "编号", "电话"),
    *("分析", "统计", "信息", "邮箱", "研究", "报告", "联系"),
)
_DATE_LABELED = re.compile(
    r"(?:报告日期|发布日期|发布时间|报告时间|日期)\s{0,3}[:：]\s{0,3}(\d{4})\s{0,3}[年.\-/]\s{0,3}(\d{1,2})\s{0,3}[月.\-/]\s{0,3}(\d{1,2})"
)
_DATE_ZH = re.compile(r"(\d{4})\s{0,3}年\s{0,3}(\d{1,2})\s{0,3}月\s{0,3}(\d{1,2})\s{0,3}日")
_DATE_NUM = re.compile(r"(?<![\d.])(\d{4})\s{0,3}([.\-/])\s{0,3}(\d{1,2})\s{0,3}\2\s{0,3}(\d{1,2})(?![\d.])")
_DATE_MONTH = re.compile(r"(\d{4})\s{0,3}年\s{0,3}(\d{1,2})\s{0,3}月(?!\s{0,3}\d)")
_PDF_DATE = re.compile(r"D:(\d{4})(\d{2})(\d{2})")
_CITATION = re.compile(r"[《》]|——\s{0,3}\d{4}|相关(?:研究|报告)")

_TITLE_FURNITURE = re.compile(
    r"^(?:证券研究报告|研究报告|金融工程|金融工程研究|专题报告|深度报告|相关研究|相关报告|投资要点|报告摘要|"
    r"核心观点|研究结论|报告关键点|量化研究|数量化研究|分析师|联系人|投资评级|评级)"
)
_TITLE_NOISE = re.compile(r"请务必|免责|声明|版权|www\.|http|@|\d{4}\s?年\s?\d{1,2}\s?月|^\d+\s?/\s?\d+$")
_LEADING_DATE = re.compile(r"^\s*(?:\d{4}\s?年\s?\d{1,2}\s?月\s?\d{1,2}\s?日|\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2})\s*")


@dataclass(slots=True)
class PdfMeta:
    title: str | None = None
    institution: str | None = None
    date: str | None = None  # ISO day
    date_precision: str = "day"  # "day", or "month" when the report prints only the month
    analysts: list[str] = field(default_factory=list)
    rating: str | None = None
    target_price: str | None = None


def read_meta(first: list[Line], pages: list[list[Line]], info: dict | None = None) -> PdfMeta:
    texts = [x.text for x in first]
    all_text = "\n".join(x.text for lines in pages for x in lines)
    meta = PdfMeta()
    meta.title = find_title(first)
    meta.institution = find_institution("\n".join(texts), all_text)
    meta.date, meta.date_precision = find_date(texts, (info or {}).get("CreationDate", ""))
    meta.analysts = find_analysts(texts)
    meta.rating = find_rating(texts)
    meta.target_price = find_target_price(texts)
    return meta


# -- title -------------------------------------------------------------------------------------------
def _title_text(text: str) -> str:
    """A cover line without a date printed in front of the title (2018 年 4 月 10 日均线交叉…)."""
    return _LEADING_DATE.sub("", text).strip()


def _title_candidate(text: str) -> bool:
    core = re.sub(r"\s+", "", _title_text(text))
    return (
        len(core) >= 4
        and not core.startswith(("—", "─", "-"))
        and not _TITLE_FURNITURE.match(core)
        and not (_TITLE_NOISE.search(core))
    )


def find_title(first: list[Line]) -> str | None:
    """The largest text of the cover, with the lines near it of about its size (a wrapped title, a series
    name above or below) and a subtitle (——…) right under it, top to bottom."""
    cands = [x for x in first if _title_candidate(x.text)]
    if not cands:
        return None
    top = max(cands, key=lambda x: (round(x.size, 1), x.y1))
    near = [
        x
        for x in cands
        if x.size >= top.size - 1.5 and abs(x.y0 - top.y0) <= 2.6 * top.size and x.x1 > top.x0 and x.x0 < top.x1
    ]
    below = [x for x in first if 0 < top.y0 - x.y1 <= 1.5 * top.size and x.text.lstrip().startswith(("——", "─", "—"))]
    parts = sorted({id(x): x for x in [top, *near, *below[:1]]}.values(), key=lambda x: -x.y1)
    return _join_title(parts) or None


def _join_title(parts: list[Line]) -> str:
    out = _title_text(parts[0].text)
    for prev, cur in zip(parts, parts[1:]):
        text = _title_text(cur.text)
        if not text or not out:
            out = out or text
            continue
        wrapped = abs(cur.size - prev.size) <= 0.6 and prev.y0 - cur.y1 < 0.8 * cur.size
        if not wrapped and not text.startswith(("—", "─", "-")) and out[-1] not in "：:":
            out += "——"
        sep = "" if ord(out[-1]) > 0x2E80 or ord(text[0]) > 0x2E80 else " "
        out += sep + text
    return re.sub(r"\s+", " ", out).strip(" |")


# -- institution -------------------------------------------------------------------------------------
def find_institution(first_text: str, all_text: str) -> str | None:
    """The broker: its analysts' e-mail domain on the cover outweighs its name, which outweighs the
    names in the rest of the report (disclaimers name the broker again and again)."""
    scores: Counter[str] = Counter()
    low = first_text.lower()
    for name, (aliases, domains) in BROKERS.items():
        scores[name] += 10 * sum(low.count("@" + d) + low.count("." + d) for d in domains)
        scores[name] += 3 * sum(first_text.count(a) for a in aliases)
        scores[name] += sum(all_text.count(a) for a in aliases)
    best = scores.most_common(1)
    return best[0][0] if best and best[0][1] > 0 else None


# -- date --------------------------------------------------------------------------------------------
def _iso(y: str, m: str, d: str) -> str | None:
    year, month, day = int(y), int(m), int(d)
    if not (1990 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    if day > calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def find_date(lines: list[str], created: str = "") -> tuple[str | None, str]:
    """(ISO day, precision) of the report: a labelled date, else the first written-out date of the cover
    outside the list of related reports, else a numeric one, else the month with the PDF's creation day."""
    text = "\n".join(lines)
    for m in _DATE_LABELED.finditer(text):
        if day := _iso(*m.groups()):
            return day, "day"
    own = [x for x in lines if not _CITATION.search(x)]
    for rx in (_DATE_ZH, _DATE_NUM):
        for line in own:
            for m in rx.finditer(line):
                g = m.groups()
                day = _iso(g[0], g[-2], g[-1])
                if day:
                    return day, "day"
    made = pdf_date(created)
    for line in own:
        if m := _DATE_MONTH.search(line):
            y, mo = int(m.group(1)), int(m.group(2))
            if made and made.startswith(f"{y:04d}-{mo:02d}"):
                return made, "day"
            if _iso(m.group(1), m.group(2), "1"):
                return f"{y:04d}-{mo:02d}-01", "month"
    return (made, "day") if made else (None, "day")


def pdf_date(value: str) -> str | None:
    """The day of a PDF date string (``D:20151019104841+08'00'``)."""
    m = _PDF_DATE.match(value or "")
    return _iso(*m.groups()) if m else None


# -- people and calls --------------------------------------------------------------------------------
def find_analysts(lines: list[str]) -> list[str]:
    """Names beside a licence number, after 分析师：, before （分析师）, or alone on a line under a line
    分析师 or over an e-mail address or licence number."""
    names: list[str] = []
    for i, line in enumerate(lines):
        for rx in _ANALYST_PATTERNS:
            names.extend(m.group(1) for m in rx.finditer(line))
        after_label = i > 0 and _LABEL_LINE.match(lines[i - 1].strip())
        over_contact = i + 1 < len(lines) and _CONTACT.search(lines[i + 1])
        if _NAME_LINE.fullmatch(line.strip()) and (after_label or over_contact):
            names.append(line.strip())
        elif over_contact and (m := _NAME_TITLE_LINE.fullmatch(line.strip())):
            names.append(m.group(1))
    return list(dict.fromkeys(n for n in names if _is_name(n)))


def _is_name(name: str) -> bool:
    return name[0] not in "的在对等与和及于" and not any(w in name for w in _NOT_IN_NAMES)


def find_rating(lines: list[str]) -> str | None:
    for line in lines:
        if "评级说明" in line or "评级标准" in line or "预期" in line:
            continue
        if m := _RATING.search(line):
            return m.group(1) or m.group(2) or m.group(3)
    return None


def find_target_price(lines: list[str]) -> str | None:
    for line in lines:
        if m := _TARGET.search(line):
            return m.group(1)
    return None
