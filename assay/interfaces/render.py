"""Result pages and documents as text (the reference layout), Markdown and JSON."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from ..model import Document, Hit, SearchResult, Summary
from ..search.snippets import mark


def when(dt, date_only: bool, tz: tzinfo) -> str:
    if dt is None:
        return "date unknown"
    local = dt.astimezone(tz) if not date_only else dt
    return local.strftime("%Y-%m-%d") if date_only else local.strftime("%Y-%m-%d %H:%M")


def byline(source: str, dt, date_only: bool, tz: tzinfo) -> str:
    return f"{source or 'unknown source'}· {when(dt, date_only, tz)}"


def _cites(cites: list[int]) -> str:
    return "".join(f"[{n}]" for n in cites)


def bullet_text(b) -> str:
    """A bullet as shown: text, then its citations; an unsupported one says so first, with the reason
    (it is not shown as fact; ASSAY_UNSUPPORTED_BULLETS=hide leaves it out instead)."""
    cites = _cites(b.cites)
    flag = f"[unverified: {b.note}] " if b.check == "unsupported" else ""
    return f"{flag}{b.text}{' ' + cites if cites else ''}"


def summary_lines(summary: Summary, bullet: str = "- ") -> list[str]:
    out = []
    for section in summary.sections:
        out.append(section.heading)
        out += [bullet + bullet_text(b) for b in section.bullets]
    return out


def similar_head(hit: Hit) -> str:
    """'N similar · sources': how many other documents tell the same story, and who published them."""
    sources = list(dict.fromkeys(m.source or "unknown source" for m in hit.similar))
    shown = ", ".join(sources[:3]) + (f" +{len(sources) - 3}" if len(sources) > 3 else "")
    return f"{hit.similar_count} similar · {shown}" if shown else f"{hit.similar_count} similar"


def similar_lines(hit: Hit, tz: tzinfo) -> list[str]:
    """The story's other documents: source and time, title, id (and whether it is a revised version)."""
    return [
        f"{byline(m.source, m.published_at, m.date_only, tz)}  {m.title}  ({m.id}"
        + (", revised version)" if m.kind == "revision" else ")")
        for m in hit.similar
    ]


def result_header(result: SearchResult) -> str:
    order = "newest first" if result.sort == "newest" else "by relevance"
    start = (result.page - 1) * result.limit + 1 if result.hits else 0
    end = start + len(result.hits) - 1 if result.hits else 0
    unit = "stories" if result.collapsed else "documents"
    line = (
        f"{result.total} results for {result.query or '(all)'} · {order} · {unit} {start}–{end} · "
        f"{result.took_ms:.1f} ms"
    )
    if result.match == "any":
        line += "\n(no document holds every term; showing documents that match any of them)"
    return line


def result_text(result: SearchResult, tz: tzinfo, style: bool = False) -> str:
    """The reference page: title; ``Source· YYYY-MM-DD HH:MM``; summary sections or the excerpt."""
    b, e = ("[bold]", "[/bold]") if style else ("", "")
    blocks = [result_header(result)]
    for hit in result.hits:
        lines = [
            f"{b}{_esc(hit.title, style)}{e}",
            byline(_esc(hit.source, style), hit.published_at, hit.date_only, tz),
        ]
        if hit.summary and hit.summary.sections:
            lines += ["  " + _esc(x, style) for x in summary_lines(hit.summary)]
        else:
            lines.append("  " + _esc(hit.excerpt, style))
        if hit.snippet and hit.snippet_paragraph:
            snip = (
                _esc(hit.snippet, style)
                if not style
                else mark(_esc_spans(hit.snippet), hit.highlights, "[reverse]", "[/reverse]")
            )
            lines.append(f"  ↳ [{hit.snippet_paragraph}] {snip}")
        if hit.similar_count:
            lines.append("  ≡ " + _esc(similar_head(hit), style))
            lines += ["      " + _esc(x, style) for x in similar_lines(hit, tz)]
        lines.append(f"  id: {hit.id}" + (f" · {hit.external_id}" if hit.external_id else ""))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _esc(text: str, style: bool) -> str:
    return text.replace("[", "\\[") if style else text


def _esc_spans(text: str) -> str:
    """Escape rich markup without changing offsets: swap '[' for a look-alike."""
    return text.replace("[", "［")


def result_markdown(result: SearchResult, tz: tzinfo) -> str:
    blocks = [f"_{result_header(result)}_"]
    for hit in result.hits:
        lines = [f"### {hit.title}", "", f"*{byline(hit.source, hit.published_at, hit.date_only, tz)}*", ""]
        if hit.summary and hit.summary.sections:
            for section in hit.summary.sections:
                lines.append(f"**{section.heading}**")
                lines += ["- " + bullet_text(x) for x in section.bullets]
                lines.append("")
        else:
            lines += [hit.excerpt, ""]
        if hit.snippet and hit.snippet_paragraph:
            lines.append(f"> [{hit.snippet_paragraph}] " + mark(hit.snippet, hit.highlights, "**", "**"))
        if hit.similar_count:
            lines += ["", f"*{similar_head(hit)}*", *("- " + x for x in similar_lines(hit, tz))]
        blocks.append("\n".join(lines).rstrip())
    return "\n\n".join(blocks) + "\n"


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id,
        "external_id": hit.external_id,
        "title": hit.title,
        "source": hit.source,
        "url": hit.url,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "date_only": hit.date_only,
        "doc_type": hit.doc_type,
        "lang": hit.lang,
        "score": hit.score,
        "snippet": hit.snippet,
        "snippet_paragraph": hit.snippet_paragraph,
        "highlights": [list(s) for s in hit.highlights],
        "excerpt": hit.excerpt,
        "summary": hit.summary.to_dict() if hit.summary else None,
        "cluster_id": hit.cluster_id,
        "similar_count": hit.similar_count,
        "similar": [m.to_dict() for m in hit.similar],
    }


def result_json(result: SearchResult) -> dict[str, Any]:
    return {
        "query": result.query,
        "total": result.total,
        "page": result.page,
        "limit": result.limit,
        "sort": result.sort,
        "match": result.match,
        "took_ms": round(result.took_ms, 3),
        "collapsed": result.collapsed,
        "more": result.more,
        "hits": [hit_json(h) for h in result.hits],
    }


def document_json(doc: Document, summary: Summary | None, external_ids: list[str]) -> dict[str, Any]:
    return {
        "id": doc.id,
        "external_ids": external_ids,
        "title": doc.title,
        "source": doc.source,
        "url": doc.url,
        "published_at": doc.published_at.isoformat() if doc.published_at else None,
        "date_only": doc.date_only,
        "doc_type": doc.doc_type,
        "lang": doc.lang,
        "institution": doc.institution,
        "symbols": doc.symbols,
        "tags": doc.tags,
        "content_hash": doc.content_hash,
        "cluster_id": doc.cluster_id,
        "ingested_at": doc.ingested_at.isoformat() if doc.ingested_at else None,
        "paragraphs": [
            {"n": p.n, "text": p.text, "kind": p.kind, "level": p.level, "page": p.page} for p in doc.paragraphs
        ],
        "summary": summary.to_dict() if summary else None,
    }


def document_text(doc: Document, summary: Summary | None, external_ids: list[str], tz: tzinfo) -> str:
    lines = [doc.title, byline(doc.source, doc.published_at, doc.date_only, tz)]
    meta = [f"id {doc.id}", f"type {doc.doc_type}", f"lang {doc.lang}"]
    if external_ids:
        meta.append("record " + ", ".join(external_ids))
    if doc.url:
        meta.append(doc.url)
    lines.append(" · ".join(meta))
    if summary and summary.sections:
        lines += ["", *summary_lines(summary)]
    lines.append("")
    for p in doc.paragraphs:
        page = f" p.{p.page}" if p.page else ""
        if p.kind == "heading":
            lines.append(f"[{p.n}]{page} {'#' * max(1, p.level)} {p.text}")
        else:
            lines.append(f"[{p.n}]{page} {p.text}")
    return "\n".join(lines)
