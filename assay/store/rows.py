"""A document and its summary as any store writes them: named rows of plain values (made in the ingest
workers, cheap to pickle; a NamedTuple is bound as it is), and the JSON encodings of paragraphs and
summaries that the stores share."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import orjson

from ..model import Document, Paragraph, Summary

log = logging.getLogger("assay.store")


class DocumentRow(NamedTuple):
    """A ``documents`` row, in the order of its columns."""

    id: str
    external_id: str | None
    title: str
    source: str
    url: str | None
    published_at: str | None
    published_ts: int | None
    date_only: int
    doc_type: str
    lang: str
    institution: str | None
    symbols: str
    tags: str
    content_hash: str
    cluster_id: str | None
    n_paragraphs: int
    paragraphs: str
    ingested_at: str
    updated_at: str


class SummaryRow(NamedTuple):
    """A ``summaries`` row, with the verifier's counts of its bullets."""

    content_hash: str
    backend: str
    template_version: int
    doc_id: str
    data: str
    created_at: str
    supported: int
    unsupported: int
    unchecked: int


class StoredText(NamedTuple):
    """A document's text as stored, for the integrity check: paragraphs JSON, their count and the hash."""

    id: str
    title: str
    n_paragraphs: int
    paragraphs: str
    content_hash: str


class CardRow(NamedTuple):
    """What a result card needs of a document (``cards``): its fields, paragraphs JSON and the summary JSON of
    the first backend asked for that has one (or None)."""

    id: str
    external_id: str | None
    title: str
    source: str
    url: str | None
    published_at: str | None
    date_only: int
    doc_type: str
    lang: str
    paragraphs: str
    summary: str | None


def paragraphs_text(data: str) -> str:
    """The body of a stored document from its paragraphs JSON (rows whose first value is the text)."""
    return "\n".join(row[0] if isinstance(row, list) else row for row in orjson.loads(data))


@dataclass(slots=True)
class RowEntry:
    """A document ready for the store: its row and its summary's row (plain values, cheap to pickle)."""

    id: str
    content_hash: str
    external_id: str | None
    row: DocumentRow
    summary: SummaryRow | None = None


def document_row(d: Document, now: str | None = None) -> DocumentRow:
    now = now or _now()
    return DocumentRow(
        d.id,
        d.external_id,
        d.title,
        d.source,
        d.url,
        d.published_at.isoformat() if d.published_at else None,
        int(d.published_at.timestamp()) if d.published_at else None,
        int(d.date_only),
        d.doc_type,
        d.lang,
        d.institution,
        _dumps(d.symbols),
        _dumps(d.tags),
        d.content_hash,
        d.cluster_id,
        len(d.paragraphs),
        _paragraphs_json(d.paragraphs),
        now,
        now,
    )


def summary_row(s: Summary, content_hash: str, texts: list[str] | None = None) -> SummaryRow:
    """The summaries row, with the verifier's counts (its bullets' checks) kept beside the JSON for stats.
    With the document's paragraph ``texts``, a bullet found verbatim in the paragraph it cites is stored as
    that span (see ``summary_json``)."""
    counts = {"supported": 0, "unsupported": 0, "unchecked": 0}
    for sec in s.sections:
        for b in sec.bullets:
            counts[b.check] += 1
    return SummaryRow(
        content_hash,
        s.backend,
        s.template_version,
        s.doc_id,
        summary_json(s, texts),
        s.created_at.isoformat(),
        counts["supported"],
        counts["unsupported"],
        counts["unchecked"],
    )


def summary_json(s: Summary, texts: list[str] | None = None) -> str:
    """A summary as stored. An extractive bullet is a sentence of the paragraph it cites, so with the
    paragraph ``texts`` it is kept as ``[n, start, length]``: the span of paragraph n, which the document row
    already holds (rows are keyed by content hash, so the text cannot differ). Other bullets (several
    cites, a paraphrase, a failed check) keep their text, cites, check and note. This halves what an ingest
    writes: the texts were as large as the documents' own paragraphs."""
    sections = []
    for sec in s.sections:
        bullets: list = []
        for b in sec.bullets:
            if texts is not None and len(b.cites) == 1 and b.check == "supported":
                n = b.cites[0]
                if 1 <= n <= len(texts) and b.note == f"verbatim in [{n}]":
                    at = texts[n - 1].find(b.text)
                    if at >= 0 and b.text:
                        bullets.append((n, at, len(b.text)))
                        continue
            bullets.append({"text": b.text, "cites": list(b.cites), "check": b.check, "note": b.note})
        sections.append((sec.heading, bullets))
    return _dumps(
        {
            "v": 2,
            "doc_id": s.doc_id,
            "template": s.template,
            "language": s.language,
            "backend": s.backend,
            "created_at": s.created_at.isoformat(),
            "sections": sections,
            "rating": s.rating,
            "template_version": s.template_version,
        }
    )


def read_summary(data: str, texts: list[str], doc_id: str) -> Summary | None:
    """``summary_from_json``, or None (logged) for a row it cannot read: a damaged summary is shown as a
    missing one (the excerpt), never as an error page."""
    try:
        return summary_from_json(data, texts, doc_id)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        log.warning("document %s: unreadable summary row (%s); shown without it", doc_id, exc)
        return None


def summary_from_json(data: str, texts: list[str], doc_id: str | None = None) -> Summary:
    """The Summary of a stored row (``summary_json``, or the plain ``Summary.to_dict`` of stores written
    before it), its spans read from the document's paragraph ``texts``."""
    raw = orjson.loads(data)
    if raw.get("v") == 2:  # sections as (heading, bullets), a bullet as a span or its own fields
        raw["sections"] = [{"heading": h, "bullets": [_span_bullet(b, texts) for b in bs]} for h, bs in raw["sections"]]
    summary = Summary.from_dict(raw)
    if doc_id is not None:
        summary.doc_id = doc_id
    return summary


def _span_bullet(b, texts: list[str]):
    """A stored bullet as ``Summary.from_dict`` reads it: a ``[n, start, length]`` span becomes the verified
    verbatim bullet it was written from."""
    if not isinstance(b, list):
        return b
    n, at, size = b
    if not (1 <= n <= len(texts) and 0 <= at and 0 < size and at + size <= len(texts[n - 1])):
        raise ValueError(f"bullet span {b} is outside the document's paragraphs")
    return {"text": texts[n - 1][at : at + size], "cites": [n], "check": "supported", "note": f"verbatim in [{n}]"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _paragraphs_json(paragraphs: list[Paragraph]) -> str:
    rows = []
    for p in paragraphs:
        row: list = [p.text]
        if p.kind != "text" or p.page is not None:
            row += [p.level, p.page]
        rows.append(row)
    return _dumps(rows)


def _dumps(value) -> str:
    """Compact JSON text (orjson: the rows of a 200k-document ingest are encoded in C)."""
    return orjson.dumps(value).decode()


def _paragraphs_from(data: str) -> list[Paragraph]:
    out = []
    for i, row in enumerate(orjson.loads(data), 1):
        if len(row) == 1:
            out.append(Paragraph(i, row[0]))
        else:
            out.append(Paragraph(i, row[0], "heading" if row[1] else "text", row[1], row[2]))
    return out
