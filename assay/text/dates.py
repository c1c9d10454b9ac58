"""Dates as they come in the corpora and in pages: ISO, Chinese, Reuters, quarters, English month names,
and times relative to a reference ("3小时前", "昨天 06:41", "2 hours ago"); always timezone-aware.

``parse_date`` reads a field that holds a date; ``find_time`` finds the first date or time inside running
text such as a page's byline ("2025年10月26日 06:41 来源：新华社"). Every pattern is bounded (no nested
repetition), so hostile text cannot make them backtrack for long.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_REUTERS = "%d-%b-%Y %H:%M:%S"

# an optional time of day after a date: "06:41", "06:41:30", "6时41分", "下午 3:05", "3:05 pm"
_CLOCK = (
    r"(?:[\sT,]{0,3}(?:at\s)?(?:(?P<half>上午|下午|晚上|凌晨|中午|早上)\s?)?(?P<h>\d{1,2})\s?[:：时]\s?(?P<mi>\d{2})"
    r"(?:\s?[:：]\s?(?P<s>\d{2})(?:\.\d{1,6})?)?\s?分?(?:\s?(?P<ampm>[AaPp]\.?[Mm]\b\.?))?"
    r"(?P<zone>\s?(?:Z|[+-]\d{2}:?\d{2}|UTC|GMT)(?![A-Za-z\d]))?)?"
)
_WEEKDAY = r"(?:\s?[（(]?(?:星期|周)[一二三四五六日天][)）]?)?"
_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        1,
    )
    for m in names
}
_MONTH = r"(?P<mname>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ABSOLUTE = [
    # 2025年10月26日 06:41 · 2025年10月26日（星期日）下午3时05分
    re.compile(r"(?<!\d)(?P<y>\d{4})\s?年\s?(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?[日号]" + _WEEKDAY + _CLOCK),
    # 2025-10-26 06:41 · 2025/10/26 · 2025.10.26T06:41:00+08:00
    re.compile(r"(?<!\d)(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)" + _CLOCK),
    # October 26, 2025 6:41 pm · Oct. 26 2025
    re.compile(r"\b" + _MONTH + r"\s(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s(?P<y>\d{4})(?!\d)" + _CLOCK, re.I),
    # 26 October 2025 · 26 Oct 2025, 06:41
    re.compile(r"(?<!\d)(?P<d>\d{1,2})\s" + _MONTH + r",?\s(?P<y>\d{4})(?!\d)" + _CLOCK, re.I),
]
# 10月26日 06:41 (this year, or last year when that would be in the future)
_MONTH_DAY = re.compile(r"(?<![\d年])(?P<m>\d{1,2})\s?月\s?(?P<d>\d{1,2})\s?[日号]" + _WEEKDAY + _CLOCK)
_AGO_ZH = re.compile(r"(?P<n>\d{1,4})\s?(?P<unit>秒|分钟|分|小时|个小时|天|日|周|星期)前")
_AGO_EN = re.compile(r"\b(?P<n>\d{1,4}|an?|one)\s(?P<unit>sec(?:ond)?|min(?:ute)?|h(?:ou)?r|day|week)s?\sago\b", re.I)
_DAY_WORD = re.compile(
    r"(?P<word>今天|今日|昨天|昨日|前天|today|yesterday)(?:\s?(?:at\s)?(?P<h>\d{1,2})\s?[:：]\s?(?P<mi>\d{2}))?", re.I
)
_NOW_WORD = re.compile(r"刚刚|just now", re.I)
_UNIT_SECONDS = {
    "秒": 1, "分钟": 60, "分": 60, "小时": 3600, "个小时": 3600, "天": 86400, "日": 86400, "周": 604800,
    "星期": 604800, "sec": 1, "second": 1, "min": 60, "minute": 60, "hr": 3600, "hour": 3600, "day": 86400,
    "week": 604800,
}  # fmt: skip
_DAY_OFFSET = {"今天": 0, "今日": 0, "today": 0, "昨天": 1, "昨日": 1, "yesterday": 1, "前天": 2}


def parse_date(value: object, tz: tzinfo) -> tuple[datetime | None, bool]:
    """(aware datetime or None, date_only). Unparseable or missing values give (None, False)."""
    if value is None:
        return None, False
    text = str(value).strip()
    if not text or text.lower() in {"none", "null", "nan"}:
        return None, False
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return _parse_other(text, tz)
    date_only = len(text) <= 10
    return (dt if dt.tzinfo else dt.replace(tzinfo=tz)), date_only


def _parse_other(text: str, tz: tzinfo) -> tuple[datetime | None, bool]:
    if m := _QUARTER.match(text):
        year, q = int(m.group(1)), int(m.group(2))
        return datetime(year, 3 * q - 2, 1, tzinfo=tz), True
    try:
        dt = datetime.strptime(text.split(".")[0], _REUTERS)
        return dt.replace(tzinfo=tz), False
    except ValueError:
        pass
    return find_time(text, tz)


def find_time(text: str, tz: tzinfo, now: datetime | None = None) -> tuple[datetime | None, bool]:
    """The first date or time written in ``text``: (aware datetime or None, date_only).

    Absolute dates take the zone they name, else ``tz``. With ``now`` (when the page was fetched), a date
    without a year and relative times ("3小时前", "昨天 06:41", "2 hours ago", "刚刚") are read against it."""
    text = text[:2000]
    found: list[tuple[int, datetime, bool]] = []
    for rx in _ABSOLUTE:
        for m in rx.finditer(text):
            dt, date_only = _from_match(m, tz, int(m["y"]))
            if dt is not None:
                found.append((m.start(), dt, date_only))
                break
    if now is not None:
        found.extend(_relative(text, tz, now))
    if not found:
        return None, False
    _, dt, date_only = min(found, key=lambda f: f[0])
    return dt, date_only


def _from_match(m: re.Match, tz: tzinfo, year: int) -> tuple[datetime | None, bool]:
    month = _MONTHS[m["mname"].lower()] if "mname" in m.groupdict() and m["mname"] else int(m["m"])
    try:
        day = datetime(year, month, int(m["d"]))
    except ValueError:
        return None, False
    if m["h"] is None:
        return day.replace(tzinfo=tz), True
    hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    hour = _half_day(hour, m["half"], m["ampm"])
    if hour > 23 or minute > 59 or second > 59:
        return day.replace(tzinfo=tz), True
    dt = day.replace(hour=hour, minute=minute, second=second)
    return dt.replace(tzinfo=_zone(m["zone"], tz)), False


def _half_day(hour: int, half: str | None, ampm: str | None) -> int:
    pm = (half in ("下午", "晚上") or (half == "中午" and hour < 11)) or (ampm or "").lower().startswith("p")
    am = half in ("上午", "凌晨", "早上") or (ampm or "").lower().startswith("a")
    if pm and hour < 12:
        return hour + 12
    if am and hour == 12:
        return 0
    return hour


def _zone(text: str | None, tz: tzinfo) -> tzinfo:
    text = (text or "").strip().upper()
    if not text:
        return tz
    if text in ("Z", "UTC", "GMT"):
        return UTC
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4]))
    if offset >= timedelta(hours=24):
        return tz
    return timezone(-offset if text[0] == "-" else offset)


def _relative(text: str, tz: tzinfo, now: datetime) -> list[tuple[int, datetime, bool]]:
    """Times written relative to ``now``: (position, time, date_only) for each kind found first."""
    local = now.astimezone(tz)
    out: list[tuple[int, datetime, bool]] = []
    if m := _MONTH_DAY.search(text):
        dt, date_only = _from_match(m, tz, local.year)
        if dt is not None and dt > local + timedelta(days=1):  # "12月31日" read in January: last year
            dt, date_only = _from_match(m, tz, local.year - 1)
        if dt is not None:
            out.append((m.start(), dt, date_only))
    for rx in (_AGO_ZH, _AGO_EN):
        if m := rx.search(text):
            n = m["n"].lower()
            count = 1 if n in ("a", "an", "one") else int(n)
            seconds = count * _UNIT_SECONDS[m["unit"].lower()]
            if seconds <= 3650 * 86400:
                out.append((m.start(), (local - timedelta(seconds=seconds)).replace(microsecond=0), seconds >= 86400))
    if m := _DAY_WORD.search(text):
        day = local - timedelta(days=_DAY_OFFSET[m["word"].lower()])
        if m["h"] is not None and int(m["h"]) < 24 and int(m["mi"]) < 60:
            dt = day.replace(hour=int(m["h"]), minute=int(m["mi"]), second=0, microsecond=0)
            out.append((m.start(), dt, False))
        else:
            out.append((m.start(), day.replace(hour=0, minute=0, second=0, microsecond=0), True))
    if m := _NOW_WORD.search(text):
        out.append((m.start(), local.replace(microsecond=0), False))
    return out
