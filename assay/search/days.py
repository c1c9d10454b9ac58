"""Days in filters: a date, a month, a year, today or yesterday, or a time before today (7d, 2w, 3m, 1y)."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta, tzinfo
from datetime import time as time_of_day

from ..errors import QueryError
from ..text.dates import parse_date

_AGO = re.compile(r"^(\d{1,4})\s*([dwmy])$")  # 7d, 2w, 3m, 1y: that long before today
_MONTH = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_TODAY = {"today": 0, "今天": 0, "yesterday": 1, "昨天": 1}


def parse_day(
    value: str | None, tz: tzinfo, what: str, end: bool = False, now: datetime | None = None
) -> datetime | None:
    """A date: YYYY-MM-DD (or a full timestamp), a month (2025-10) or a year (2025), today or yesterday, or
    a time before today (7d, 2w, 3m, 1y; a saved search with since:7d keeps looking at the last week). A
    bare day, month or year is its first second, or with ``end`` its last one."""
    if value is None or not str(value).strip():
        return None
    v = str(value).strip().lower()
    today = (now or datetime.now(tz)).astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    if v in _TODAY:
        first = last = (today - timedelta(days=_TODAY[v])).date()
    elif m := _AGO.match(v):
        n, unit = int(m.group(1)), m.group(2)
        if unit in "dw":
            first = (today - timedelta(days=n * (7 if unit == "w" else 1))).date()
        else:
            months = today.year * 12 + today.month - 1 - n * (12 if unit == "y" else 1)
            year, month = divmod(months, 12)
            first = date(year, month + 1, min(today.day, monthrange(year, month + 1)[1]))
        last = first
    elif (m := _MONTH.match(v)) and 1 <= int(m.group(2)) <= 12:
        year, month = int(m.group(1)), int(m.group(2))
        first, last = date(year, month, 1), date(year, month, monthrange(year, month)[1])
    elif m := _YEAR.match(v):
        first, last = date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31)
    else:
        dt, date_only = parse_date(str(value).strip(), tz)
        if dt is None:
            raise QueryError(f"{what}: not a date: {value!r} (use YYYY-MM-DD, YYYY-MM, YYYY, today, or 7d / 2w / 3m)")
        if end and date_only:
            dt = dt.replace(hour=23, minute=59, second=59)
        return dt
    day = last if end else first
    return datetime.combine(day, time_of_day.max if end else time_of_day.min, tz).replace(microsecond=0)
