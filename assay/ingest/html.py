"""HTML → main text and metadata with trafilatura (navigation, ads and comments left out)."""

from __future__ import annotations

from ..errors import RecordError


def extract_html(html: str, url: str | None = None) -> tuple[str, dict]:
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True, favor_precision=True
    )
    text = getattr(doc, "text", None) if doc is not None else None
    if not text or not text.strip():
        raise RecordError("HTML page without readable main text")
    meta = {
        "title": getattr(doc, "title", None),
        "date": getattr(doc, "date", None),
        "sitename": getattr(doc, "sitename", None),
        "url": getattr(doc, "url", None) or url,
        "author": getattr(doc, "author", None),
    }
    return text, {k: v for k, v in meta.items() if v}
