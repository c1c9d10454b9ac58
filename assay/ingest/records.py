"""JSON records (the fields of ../shared/data) and plain files → Document."""

from __future__ import annotations

import re
from datetime import tzinfo
from pathlib import Path
from typing import Any

from ..errors import RecordError
from ..model import DOC_TYPES, Document
from ..text.dates import parse_date
from ..text.normalize import detect_lang
from ..text.split import split_paragraphs

_MISSING = {"", "none", "null", "nan"}
_REPORT = re.compile(r"研报|研究报告|研究所|研究院|broker|research|report", re.I)
# a news broadcast transcript (CCTV 新闻联播) is news: only calls are transcripts
_TRANSCRIPT = re.compile(r"earnings call|conference call|电话会议|业绩说明会", re.I)
_FILING = re.compile(r"filing|10-k|10-q|年报|季报", re.I)
_ANNOUNCEMENT = re.compile(r"announcement|公告", re.I)
_TITLE_CUT = re.compile(r"[。！？!?\n]")


def _str(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _MISSING else text


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if _str(v)]
    text = _str(value)
    if not text:
        return []
    if text.startswith("[") and text.endswith("]"):  # "['cocoa', 'grain']" as a string
        return [t.strip(" '\"") for t in text[1:-1].split(",") if t.strip(" '\"")]
    return [t.strip() for t in re.split(r"[,;，；]", text) if t.strip()]


def infer_doc_type(source: str, title: str, explicit: str | None) -> str:
    if explicit and explicit.lower() in DOC_TYPES:
        return explicit.lower()
    if _TRANSCRIPT.search(source) or _TRANSCRIPT.search(title):
        return "transcript"
    # CCTV's source is "…(tv.cctv.com)": guard the word "report" against matching a news transcript
    if _REPORT.search(source) and "新闻联播" not in source:
        return "report"
    if _ANNOUNCEMENT.search(source):
        return "announcement"
    if _FILING.search(source):
        return "filing"
    return "news"


def fallback_title(paragraphs) -> str:
    for p in paragraphs:
        first = _TITLE_CUT.split(p.text, maxsplit=1)[0].strip()
        if first:
            return first[:80]
    return "(untitled)"


def record_to_document(rec: dict, tz: tzinfo, default_source: str = "") -> Document:
    if not isinstance(rec, dict):
        raise RecordError(f"expected a JSON object, got {type(rec).__name__}")
    text = rec.get("text", rec.get("content", rec.get("body")))
    if not isinstance(text, str) or not text.strip():
        raise RecordError("missing text (no non-empty 'text' field)")
    markdown = str(rec.get("format", "markdown")).lower() != "plain"
    paragraphs = split_paragraphs(text, markdown=markdown)
    if not paragraphs:
        raise RecordError("no readable text after cleaning")
    title = _str(rec.get("title")) or fallback_title(paragraphs)
    source = _str(rec.get("source")) or default_source
    published_at, date_only = parse_date(rec.get("published_at", rec.get("date")), tz)
    lang = _str(rec.get("lang")) or detect_lang(title + "\n" + text[:2000])
    symbols = _list(rec.get("symbols")) or _list(rec.get("ticker"))
    doc = Document(
        title=title,
        paragraphs=paragraphs,
        source=source,
        url=_str(rec.get("url")),
        published_at=published_at,
        date_only=date_only,
        doc_type=infer_doc_type(source, title, _str(rec.get("doc_type"))),
        lang=lang,
        institution=_str(rec.get("institution")),
        symbols=symbols,
        tags=_list(rec.get("tags")) or _list(rec.get("label")),
        external_id=_str(rec.get("id")),
    )
    return doc.finalize()


def file_to_document(path: Path, text: str, tz: tzinfo, html_meta: dict | None = None) -> Document:
    """A .txt/.md file (title: a leading Markdown heading, else the file name) or extracted HTML."""
    meta = html_meta or {}
    paragraphs = split_paragraphs(text, markdown=path.suffix.lower() in {".md", ".markdown", ".txt"})
    if not paragraphs:
        raise RecordError("no readable text")
    title = meta.get("title")
    if not title and paragraphs[0].kind == "heading":
        title = paragraphs[0].text
        paragraphs = paragraphs[1:] or paragraphs
        for i, p in enumerate(paragraphs, 1):
            p.n = i
    title = title or path.stem
    published_at, date_only = parse_date(meta.get("date"), tz)
    source = meta.get("sitename") or meta.get("source") or path.parent.name
    doc = Document(
        title=title,
        paragraphs=paragraphs,
        source=source,
        url=meta.get("url"),
        published_at=published_at,
        date_only=date_only,
        doc_type=infer_doc_type(source, title, None),
        lang=detect_lang(title + "\n" + text[:2000]),
        external_id=meta.get("external_id") or str(path),
    )
    return doc.finalize()
