"""Dates as they come in the corpora and in pages: ISO, Chinese, Reuters, quarters; always timezone-aware."""

from __future__ import annotations

import re
from datetime import datetime, tzinfo

_ZH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日(?:\s*(\d{1,2})[:：时](\d{2}))?")
_NUMERIC = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.I)
_REUTERS = "%d-%b-%Y %H:%M:%S"


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
    for rx in (_ZH, _NUMERIC):
        if m := rx.search(text):
            groups = [int(g) if g else None for g in m.groups()]
            y, mo, d, h, mi = groups[:5]
            try:
                dt = datetime(y, mo, d, h or 0, mi or 0, tzinfo=tz)
            except ValueError:
                return None, False
            return dt, h is None
    return None, False
