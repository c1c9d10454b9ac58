"""Figures in text — amounts with their scale and unit, percentages, dates, model codes — in a form that
compares across Chinese and English: 4.87万吨 = 48,700 tons, 70亿美元 = $7 billion, 2,700万 = 27 million,
百分之三十三点八 = 33.8%, 2025年10月9日 = October 9, 2025 = 2025-10-09 = Oct. 9.

An ``Amount`` is a value in the base unit of its dimension (``""`` for a bare number, ``pct``, ``usd``,
``cny``, ``mass`` in kg, ...) together with the interval of true values its writing allows. The interval
comes from the precision written — one unit of the last digit, times the scale: ``61.2 billion`` is
61.15–61.25 billion, ``612亿`` is 611.5–612.5亿 — widened by qualifiers: ``about``/``约``/``左右`` allow a
unit of the last significant digit (``nearly 40%`` covers 35–45%), ``over``/``超过``/``多`` extend upwards,
``under``/``不到`` downwards. Two amounts agree when their intervals overlap and their dimensions agree.

``extract(text)`` reads the figures a claim makes (strict); ``extract(text, liberal=True)`` reads what a
source paragraph states, more generously: every Chinese numeral run, the year of every date, a month
named alone. A claim is checked against the liberal reading of its sources, so the liberal reading only
ever adds values. Percentages and percentage points share one dimension (summaries blur them; the value is
what is checked); amounts are never converted between currencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .normalize import to_simplified

# --- surface forms --------------------------------------------------------------------------------------

_SCALES = {
    "万亿": 1e12, "千亿": 1e11, "百亿": 1e10, "十亿": 1e9, "千万": 1e7, "百万": 1e6, "十万": 1e5,
    "万": 1e4, "亿": 1e8, "千": 1e3,
    "trillion": 1e12, "billion": 1e9, "million": 1e6, "thousand": 1e3,
    "tn": 1e12, "bn": 1e9, "bln": 1e9, "b": 1e9, "mn": 1e6, "mln": 1e6, "m": 1e6, "k": 1e3,
}  # fmt: skip

# surface → (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {}


def _units(dim: str, factor: float, *surfaces: str) -> None:
    for s in surfaces:
        _UNITS[s.lower()] = (dim, factor)


_units("pct", 1, "%", "percent", "per cent", "pct", "percentage points", "percentage point", "pct points",
       "ppts", "ppt", "pp", "个百分点", "百分点")  # fmt: skip
_units("pct", 0.01, "basis points", "basis point", "bps", "bp", "个基点", "基点")
_units("usd", 1, "美元", "美金", "dollars", "dollar", "u.s. dollars", "us dollars", "usd")
_units("cny", 1, "元人民币", "人民币", "元", "yuan", "renminbi", "rmb", "cny")
_units("hkd", 1, "港元", "港币", "hong kong dollars", "hkd")
_units("jpy", 1, "日元", "yen", "jpy")
_units("eur", 1, "欧元", "euros", "euro", "eur")
_units("gbp", 1, "英镑", "pounds sterling", "gbp")
_units("rub", 1, "卢布", "rubles", "ruble", "roubles", "rouble", "rub")
_units("krw", 1, "韩元", "krw")
_units("mass", 1000, "吨", "公吨", "metric tons", "metric tonnes", "tonnes", "tonne", "tons", "ton")
_units("mass", 1, "千克", "公斤", "kilograms", "kilogram", "kg")
_units("mass", 0.001, "克", "grams", "gram")
_units("oz", 1, "盎司", "ounces", "ounce", "oz")
_units("bbl", 1, "桶", "barrels", "barrel", "bbl")
_units("km", 1, "公里", "千米", "kilometers", "kilometres", "km")
_units("km", 0.001, "米", "meters", "metres")
_units("m2", 1e6, "平方公里", "平方千米", "square kilometers", "square kilometres", "sq km", "km2")
_units("m2", 1, "平方米", "square meters", "square metres", "sq m")
_units("kwh", 1, "千瓦时", "kwh", "kilowatt-hours", "kilowatt hours")
_units("kwh", 0.001, "瓦时")
_units("kwh", 1e3, "mwh")
_units("kwh", 1e6, "gwh")
_units("kwh", 1e9, "twh")
_units("w", 1, "瓦")
_units("w", 1e3, "千瓦", "kw", "kilowatts")
_units("w", 1e6, "兆瓦", "mw", "megawatts")
_units("w", 1e9, "吉瓦", "gw", "gigawatts")

_PREFIX_CURRENCY = {
    "us$": "usd", "$": "usd", "usd": "usd", "hk$": "hkd", "hkd": "hkd", "rmb": "cny", "cny": "cny",
    "人民币": "cny", "¥": "cny", "eur": "eur", "€": "eur", "gbp": "gbp", "£": "gbp", "jpy": "jpy", "rub": "rub",
}  # fmt: skip

_EN_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "dozen": 12,
}  # fmt: skip
_CN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9)))
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 1e4, "亿": 1e8}

_MONTH_NAMES = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
    "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip


def _alternation(words) -> str:
    """A regex alternation, longest first (so the longest surface wins at a position); words that end in a
    letter must not run on into a longer word."""
    parts = []
    for w in sorted(words, key=len, reverse=True):
        p = re.escape(w)
        parts.append(p + "(?![A-Za-z])" if w[-1].isascii() and w[-1].isalpha() else p)
    return "|".join(parts)


# --- patterns (compiled once) -------------------------------------------------------------------------

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December" \
         r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"  # fmt: skip
_DAY_SUFFIX = r"(?:st|nd|rd|th)?"
# (pattern, group order as "ymd" letters)
_DATE_PATTERNS = [  # (pattern, the order of its year/month/day groups, the script it needs)
    (re.compile(r"(?<!\d)(\d{4})\s?年\s?(\d{1,2})\s?月\s?(\d{1,2})\s?[日号]"), "ymd", "zh"),
    (re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)"), "ymd", ""),
    (re.compile(rf"(?<![A-Za-z])({_MONTH})\s+(\d{{1,2}}){_DAY_SUFFIX}(?:,?\s+(\d{{4}}))?(?![\d%])"), "mdy", "en"),
    (re.compile(rf"(?<![\d.,])(\d{{1,2}}){_DAY_SUFFIX}\s+({_MONTH})(?:,?\s+(\d{{4}}))?(?!\d)"), "dmy", "en"),
    (re.compile(rf"(?<![A-Za-z])({_MONTH})(?:\s+of)?,?\s+(\d{{4}})(?!\d)"), "my", "en"),
    (re.compile(r"(?<!\d)(\d{4})\s?年\s?(\d{1,2})\s?月"), "ym", "zh"),
    (re.compile(r"(?<![\d.])(\d{1,2})\s?月\s?(\d{1,2})\s?[日号]"), "md", "zh"),
    (re.compile(r"(?<![\d.年])(\d{1,2})\s?月(?!\s?\d)"), "m", "zh"),
]
_MONTH_HINT = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)")
_MONTH_ALONE = re.compile(
    r"(?<![A-Za-z])(January|February|March|April|June|July|August|September|October|November|December)(?![A-Za-z])"
)

_CURRENCY_CODES = "US|HK|RMB|CNY|USD|EUR|GBP|JPY|HKD|RUB"
# model and product codes (F-35, H20, COVID-19, CR929) and period labels (Q3, H1, FY2024): letters first
_CODE = re.compile(
    rf"(?<![A-Za-z0-9$])(?!(?:{_CURRENCY_CODES})\$?\d)([A-Za-z]{{1,8}})-?(\d[0-9A-Za-z]*(?:-[0-9A-Za-z]+)*)"
)


_HEAD = re.compile(
    r"(?<![A-Za-z0-9.])(?P<cur>US\$|HK\$|RMB|CNY|USD|EUR|GBP|JPY|HKD|RUB|人民币|[$¥€£])?\s?"
    r"(?:(?P<ar>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"|(?P<pc>百分之)?(?P<cn>[零〇一二两三四五六七八九十][零〇一二两三四五六七八九十百千万亿]*(?:点[零〇一二三四五六七八九]+)?)"
    rf"|(?<![A-Za-z])(?P<en>(?i:{'|'.join(_EN_NUMBERS)}))(?![A-Za-z]))"
)
_SCALE_WORDS = "trillion|billion|million|thousand"
_TAIL = re.compile(
    r"(?P<m1>多|余)?"
    rf"(?:\s?(?P<sw>(?i:{_SCALE_WORDS}))(?![A-Za-z])|(?P<ss>(?i:bn|bln|mln|mn|tn|m|b|k))(?![A-Za-z])"
    r"|(?P<sc>万亿|千亿|百亿|十亿|千万|百万|十万|万|亿|千))?"
    r"(?P<m2>多|余)?"
    rf"(?:\s?(?P<unit>(?i:{_alternation(_UNITS)})))?"
)
_RANGE = re.compile(r"\s?(?:-|–|—|~|至|到|to)\s?$")
_BEFORE = 16  # characters looked at for a qualifier before a figure
_APPROX_BEFORE = re.compile(
    r"(?:\b(?:about|approximately|approx\.|around|roughly|nearly|almost|some|close to|an estimated|estimated)"
    r"|约合?|大约|大概|近|将近|接近|估计)\s*$",
    re.I,
)
_ABOVE_BEFORE = re.compile(
    r"(?:\b(?:over|more than|above|exceeding|exceeds|exceeded|at least|upwards of)|超过|逾|超)\s*$", re.I
)
_BELOW_BEFORE = re.compile(
    r"(?:\b(?:under|less than|below|fewer than|up to|at most)|不到|不足|低于|少于|未满)\s*$", re.I
)
_AFTER = re.compile(r"\s?(?P<approx>左右|上下)|(?P<above>多|余|以上|\+)|(?P<below>以下|以内)")
# 5G, 3D, 4K: a digit-first code has a capital and is no period label (2Q24, 1H25), ordinal or decade (5th, 1990s)
_DIGIT_CODE = re.compile(r"(?![QH]\d*$)[0-9a-z]*[A-Z][0-9A-Za-z]*$")
_CODE_AFTER = re.compile(r"[A-Za-z][0-9A-Za-z]*")

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F) if c != 0xFF0C}  # keep "，": 100，200 is a list
_FULLWIDTH[0x3000] = 0x20


# --- results --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Amount:
    value: float  # in the base unit of ``dim``
    lo: float
    hi: float
    dim: str  # "" for a bare number
    raw: str  # as written, for messages
    factor: float = 1.0  # of the unit written, to its dimension's base (吨 → kg: 1000)


@dataclass(frozen=True, slots=True)
class Date:
    year: int | None
    month: int | None
    day: int | None
    raw: str


@dataclass(slots=True)
class Figures:
    amounts: list[Amount] = field(default_factory=list)
    dates: list[Date] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # keys: upper case, no hyphens or spaces
    dims: set[str] = field(default_factory=set)  # dimensions written with an explicit unit

    def __len__(self) -> int:
        return len(self.amounts) + len(self.dates) + len(self.codes)

    def extend(self, other: Figures) -> None:
        self.amounts += other.amounts
        self.dates += other.dates
        self.codes += other.codes
        self.dims |= other.dims


def normalize(text: str) -> str:
    """Full-width → ASCII (but the Chinese comma), traditional → simplified; case and length kept."""
    return to_simplified(text.translate(_FULLWIDTH))


def code_key(code: str) -> str:
    return code.replace("-", "").replace(" ", "").upper()


# --- extraction -----------------------------------------------------------------------------------------


def extract(text: str, liberal: bool = False, normalized: bool = False) -> Figures:
    """The figures in ``text`` (see the module docstring for strict and liberal readings); ``normalized``:
    the text has been through ``normalize`` already."""
    if not normalized:
        text = normalize(text)
    out = Figures()
    spans = _dates(text, out, liberal)
    spans += _codes(text, out, spans)
    if spans:  # dates and codes are blanked out before amounts are read
        chars = list(text)
        for a, b in spans:
            chars[a:b] = " " * (b - a)
        text = "".join(chars)
    _amounts(text, out, liberal)
    if liberal:
        _months_alone(text, out)
    return out


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < y and x < b for x, y in spans)


def _dates(text: str, out: Figures, liberal: bool) -> list[tuple[int, int]]:
    """Dates, most specific form first; a later form inside an earlier date is not read again."""
    spans: list[tuple[int, int]] = []
    zh, en = "月" in text, _MONTH_HINT.search(text) is not None
    for rx, order, script in _DATE_PATTERNS:
        if (script == "zh" and not zh) or (script == "en" and not en):
            continue
        for m in rx.finditer(text):
            if (date := _date(m, order)) is None or _overlaps(m.start(), m.end(), spans):
                continue
            out.dates.append(date)
            if liberal and date.year is not None:
                y = float(date.year)
                out.amounts.append(Amount(y, y - 0.5, y + 0.5, "", str(date.year)))
            spans.append(m.span())
    return spans


def _date(m: re.Match, order: str) -> Date | None:
    parts: dict[str, int | None] = {"y": None, "m": None, "d": None}
    for letter, g in zip(order, m.groups()):
        if g is None:
            continue
        parts[letter] = _MONTH_NAMES[g.rstrip(".").lower()] if not g.isdigit() else int(g)
    y, mo, d = parts["y"], parts["m"], parts["d"]
    if (y is not None and not 1900 <= y <= 2100) or not 1 <= (mo or 0) <= 12 or (d is not None and not 1 <= d <= 31):
        return None
    return Date(y, mo, d, m.group(0).strip())


def _months_alone(text: str, out: Figures) -> None:
    for m in _MONTH_ALONE.finditer(text):
        out.dates.append(Date(None, _MONTH_NAMES[m.group(1).lower()], None, m.group(1)))


def _codes(text: str, out: Figures, dates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = []
    for m in _CODE.finditer(text):
        if _overlaps(m.start(), m.end(), dates):
            continue
        letters, digits = m.group(1), m.group(2)
        if _period_label(letters.upper(), digits):
            if letters.upper() == "FY" and len(digits) == 4:
                y = float(digits)
                out.amounts.append(Amount(y, y - 0.5, y + 0.5, "", digits))
        else:
            out.codes.append(code_key(m.group(0)))
        spans.append(m.span())
    return spans


def _period_label(letters: str, digits: str) -> bool:
    """Q3, H1, FY2024, FY24: a period, not a code (H20 is a chip, Q50 a model)."""
    if letters in ("Q", "H"):
        return digits in ("1", "2", "3", "4") if letters == "Q" else digits in ("1", "2")
    return letters in ("FY", "CY") and digits.isdigit()


def _amounts(text: str, out: Figures, liberal: bool) -> None:
    prev: tuple[re.Match, re.Match, Amount] | None = None
    pos = 0
    while (m := _HEAD.search(text, pos)) is not None:
        tail = _TAIL.match(text, m.end())
        pos = max(tail.end(), m.end())
        if not liberal and _skip_strict(text, m, tail):
            continue
        after = text[tail.end() : tail.end() + 2]
        if after and after[0].isascii() and after[0].isalpha() and not tail.group("unit"):
            code = _CODE_AFTER.match(text, tail.end())
            if m.group("ar") and not tail.group(0) and _DIGIT_CODE.match(code.group(0)):
                out.codes.append(code_key(m.group("ar") + code.group(0)))
            pos = code.end()
            continue
        amount = _amount(text, m, tail)
        if amount is None:
            continue
        if prev is not None and _is_range(text, prev, m, tail):
            out.amounts[-1] = _amount(text, prev[0], prev[1], tail, m) or out.amounts[-1]
        out.amounts.append(amount)
        if amount.dim:
            out.dims.add(amount.dim)
        prev = (m, tail, amount)


def _skip_strict(text: str, m: re.Match, tail: re.Match) -> bool:
    """In a claim: ordinals (第三, 5th) and Chinese numerals below two with no unit ("一种", "统一") say
    nothing checkable."""
    if m.start() > 0 and text[m.start() - 1] == "第":
        return True
    if m.group("cn") and not (tail.group("unit") or tail.group("sc") or m.group("pc")):
        value, _ = _cn_number(m.group("cn"))
        return value < 2
    return False


def _is_range(text: str, prev: tuple[re.Match, re.Match, Amount], m: re.Match, tail: re.Match) -> bool:
    """``80-85%``, ``1000万至2800万吨``, ``10 to 28 million tons``: the first end inherits the second's
    unit when it has none, and its scale when it has none and is not much larger than the second's number
    (``500,000 to 1.5 million tons`` keeps its own); a bare year inherits nothing."""
    pm, pt, pa = prev
    if pt.group("unit") or not (tail.group("unit") or _scale_of(tail)) or m.group("cur"):
        return False
    if not _RANGE.search(text, pt.end(), m.start()) or m.start() - pt.end() > 4:
        return False
    digits = pm.group("ar") or ""
    return bool(_scale_of(pt)) or not (digits.isdigit() and 1900 <= int(digits) <= 2100)


def _scale_of(tail: re.Match) -> str | None:
    return tail.group("sw") or tail.group("ss") or tail.group("sc")


def _amount(
    text: str, m: re.Match, tail: re.Match, inherit: re.Match | None = None, inherit_head: re.Match | None = None
) -> Amount | None:
    """The amount read by head ``m`` and ``tail``; a range's first end takes the unit (and maybe the scale)
    of the tail ``inherit`` that follows head ``inherit_head``."""
    mantissa, q = _mantissa(m)
    if mantissa is None:
        return None
    scale_word = _scale_of(tail)
    if not scale_word and inherit is not None and mantissa <= 10 * (_mantissa(inherit_head)[0] or 0):
        scale_word = _scale_of(inherit)
    scale = _SCALES[scale_word.lower()] if scale_word else 1.0
    unit = tail.group("unit") or (inherit.group("unit") if inherit is not None else None)
    dim, factor = _UNITS[" ".join(unit.lower().split())] if unit else ("", 1.0)
    if not dim and m.group("cur"):
        dim = _PREFIX_CURRENCY[m.group("cur").lower()]
    if m.group("pc"):
        dim = "pct"
    mult = scale * factor
    value, q = mantissa * mult, q * mult
    coarse = q * 10 ** _trailing_zeros(mantissa, q / mult)
    lo, hi = _interval(value, q, coarse, _qualifier(text, m, tail))
    return Amount(value, lo, hi, dim, text[m.start() : tail.end()].strip(), factor)


def _mantissa(m: re.Match) -> tuple[float | None, float]:
    """The number as written (before scale and unit) and one unit of its last digit."""
    if ar := m.group("ar"):
        digits = ar.replace(",", "")
        decimals = len(digits) - digits.index(".") - 1 if "." in digits else 0
        return float(digits), 10.0**-decimals
    if cn := m.group("cn"):
        return _cn_number(cn)
    return float(_EN_NUMBERS[m.group("en").lower()]), 1.0


def _cn_number(s: str) -> tuple[float, float]:
    """A Chinese numeral (三十三点八, 一亿二千万, 二〇二五) and one unit of its last place."""
    whole, _, frac = s.partition("点")
    if frac:
        digits = "".join(str(_CN_DIGITS.get(c, 0)) for c in frac)
        q = 10.0 ** -len(digits)
        return _cn_integer(whole)[0] + float("0." + digits), q
    return _cn_integer(whole)


def _cn_integer(s: str) -> tuple[float, float]:
    if s and all(c in _CN_DIGITS for c in s):  # digit by digit: 二〇二五
        return float("".join(str(_CN_DIGITS[c]) for c in s)), 1.0
    total = section = 0.0
    num = 0
    last = 1.0
    for c in s:
        if c in _CN_DIGITS:
            num = _CN_DIGITS[c]
        elif c in _CN_SMALL:
            section += (num or 1) * _CN_SMALL[c]
            num = 0
        elif c in _CN_BIG:
            big = _CN_BIG[c]
            total = (total + section + num) * big if big > 1e4 else total + (section + num) * big
            section, num, last = 0.0, 0, big
    return total + section + num, (last if not section and not num else 1.0)


def _trailing_zeros(mantissa: float, q: float) -> int:
    """How many zeros end the written digits (40 → 1, 7000 → 3, 3.5 → 0)."""
    if q < 1:
        return 0
    n = int(round(mantissa))
    zeros = 0
    while n and n % 10 == 0:
        n //= 10
        zeros += 1
    return zeros


def _qualifier(text: str, m: re.Match, tail: re.Match) -> str:
    before = text[max(0, m.start() - _BEFORE) : m.start()]
    if tail.group("m1") or tail.group("m2"):
        return "above"
    if _APPROX_BEFORE.search(before):
        return "approx"
    if _ABOVE_BEFORE.search(before):
        return "above"
    if _BELOW_BEFORE.search(before):
        return "below"
    if a := _AFTER.match(text, tail.end()):
        return next(k for k in ("approx", "above", "below") if a.group(k))
    return ""


def _interval(value: float, q: float, coarse: float, qualifier: str) -> tuple[float, float]:
    half = q / 2
    if qualifier == "approx":
        w = max(coarse / 2, q)
        return value - w, value + w
    if qualifier == "above":
        return value - half, value + max(coarse, q)
    if qualifier == "below":
        return value - max(coarse, q), value + half
    return value - half, value + half


# --- agreement ------------------------------------------------------------------------------------------


def amounts_agree(claim: Amount, source: Amount) -> bool:
    """Same value within what both writings allow: the intervals overlap by more than a rounding error
    (27万 and 28万 only touch). Dimensions are checked by ``find_amount``; a bare number is compared with
    the other side in the unit that side writes (10 million = 1000万吨)."""
    c, s = 1.0, 1.0
    if claim.dim and not source.dim:
        c = 1 / claim.factor
    elif source.dim and not claim.dim:
        s = 1 / source.factor
    eps = max(1e-6 * min((claim.hi - claim.lo) * c, (source.hi - source.lo) * s), 1e-14 * abs(claim.value * c))
    return claim.lo * c < source.hi * s - eps and source.lo * s < claim.hi * c - eps


def find_amount(claim: Amount, source: Figures) -> bool:
    """An amount in ``source`` that agrees with ``claim``: the same dimension, or one side a bare number
    (a source's bare number counts only when the source writes the claim's unit somewhere: 从70亿降至34.8亿美元)."""
    for s in source.amounts:
        if s.dim != claim.dim and s.dim and claim.dim:
            continue
        if not s.dim and claim.dim and claim.dim not in source.dims:
            continue
        if amounts_agree(claim, s):
            return True
    return False


def find_date(claim: Date, source: Figures, years: set[int]) -> bool:
    """A date in ``source`` with the claim's month and day; its year must agree too — when the source date
    gives none, the year must be one of ``years`` (years the source states, the document's own year)."""
    for s in source.dates:
        if claim.month is not None and s.month != claim.month:
            continue
        if claim.day is not None and s.day != claim.day:
            continue
        if claim.year is None or s.year == claim.year or (s.year is None and claim.year in years):
            return True
    if claim.month is None and claim.day is None:  # not produced by extract, kept total for callers
        return claim.year in years
    return False


def stated_years(source: Figures) -> set[int]:
    return {int(a.value) for a in source.amounts if not a.dim and a.hi - a.lo <= 1 and 1900 <= a.value <= 2100}
