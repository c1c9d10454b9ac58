"""Result pages and documents as text (the reference layout), Markdown and JSON."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from ..model import Document, Hit, Passage, PassageResult, SearchResult, Summary
from ..search.snippets import mark


def when(dt, date_only: bool, tz: tzinfo) -> str:
    if dt is None:
        return "date unknown"
    local = dt.astimezone(tz) if not date_only else dt
    return local.strftime("%Y-%m-%d") if date_only else local.strftime("%Y-%m-%d %H:%M")


def byline(source: str, dt, date_only: bool, tz: tzinfo) -> str:
    return f"{source or 'unknown source'}· {when(dt, date_only, tz)}"


Pages = dict[int, int]  # paragraph number → the page it is on (documents with pages: PDFs)


def cite(n: int, pages: Pages | None = None) -> str:
    """A citation as shown: ``[12]``, or ``[12 · p.3]`` when paragraph 12 is on page 3 of its PDF."""
    page = pages.get(n) if pages else None
    return f"[{n} · p.{page}]" if page else f"[{n}]"


def _cites(cites: list[int], pages: Pages | None = None) -> str:
    return "".join(cite(n, pages) for n in cites)


def paragraph_pages(doc: Document) -> Pages:
    return {p.n: p.page for p in doc.paragraphs if p.page}


def hit_pages(hit: Hit) -> Pages:
    return getattr(hit, "pages", None) or {}


def bullet_text(b, pages: Pages | None = None) -> str:
    """A bullet as shown: text, then its citations (with the page, for a PDF); an unsupported one says so
    first, with the reason (it is not shown as fact; ASSAY_UNSUPPORTED_BULLETS=hide leaves it out instead)."""
    cites = _cites(b.cites, pages)
    flag = f"[unverified: {b.note}] " if b.check == "unsupported" else ""
    return f"{flag}{b.text}{' ' + cites if cites else ''}"


def summary_lines(summary: Summary, bullet: str = "- ", pages: Pages | None = None) -> list[str]:
    out = []
    for section in summary.sections:
        out.append(section.heading)
        out += [bullet + bullet_text(b, pages) for b in section.bullets]
    return out


def summary_json(summary: Summary | None, pages: Pages | None = None) -> dict[str, Any] | None:
    """``Summary.to_dict``, each bullet with ``pages`` beside ``cites``: the page of each cited paragraph,
    or null (no pages: not a PDF)."""
    if summary is None:
        return None
    out = summary.to_dict()
    for section in out["sections"]:
        for b in section["bullets"]:
            b["pages"] = [pages.get(n) if pages else None for n in b["cites"]]
    return out


# -- a report's cover: analysts, rating, target price (kept as tags by PDF ingest) ----------------------
COVER_TAGS = (("analyst:", "analysts"), ("rating:", "rating"), ("target_price:", "target_price"))


def cover(doc: Document) -> dict[str, Any]:
    """The cover metadata of a report from its tags: ``{analysts: [...], rating, target_price}``."""
    out: dict[str, Any] = {"analysts": [], "rating": None, "target_price": None}
    for tag in doc.tags:
        for prefix, key in COVER_TAGS:
            if tag.startswith(prefix) and (value := tag[len(prefix) :].strip()):
                if key == "analysts":
                    out[key].append(value)
                elif out[key] is None:
                    out[key] = value
    return out


def cover_line(doc: Document) -> str:
    """``Analysts 冯佳睿, 罗蕾 · Rating 买入 · Target price 35.60`` (empty when the cover states none)."""
    c = cover(doc)
    parts = []
    if c["analysts"]:
        parts.append(("Analyst " if len(c["analysts"]) == 1 else "Analysts ") + ", ".join(c["analysts"]))
    if c["rating"]:
        parts.append(f"Rating {c['rating']}")
    if c["target_price"]:
        parts.append(f"Target price {c['target_price']}")
    return " · ".join(parts)


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
    order = "newest first" if result.order == "newest" else "best matches first"
    start = (result.page - 1) * result.limit + 1 if result.hits else 0
    end = start + len(result.hits) - 1 if result.hits else 0
    unit = "stories" if result.collapsed else "documents"
    query = result.query or "(all)"
    if result.listing == "about":
        what = f"{result.total} match {query} · {result.about} about it, {order}"
    elif result.listing == "mentions":
        what = f"{result.total} match {query} · the {result.mentions} that only mention it, {order}"
    else:
        what = f"{result.total} results for {query} · {order}"
    line = f"{what} · {unit} {start}–{end} · {result.took_ms:.1f} ms"
    if result.match == "any":
        line += "\n(no document holds every term; showing documents that match any of them)"
    elif result.long_query:
        line += "\n(a long query: documents that match most of its words, best first)"
    if result.translation:
        line += "\n(" + translation_line(result.translation) + ")"
    if result.query_filters:
        line += "\n(filters taken from the query: " + query_filters_text(result.query_filters) + ")"
    for note in result.notes:
        line += f"\n({note})"
    return line


def translation_line(t: dict) -> str:
    """``searched 稀土 出口管制 for rare earth export controls (rare earth → 稀土; export controls → 出口管制 or
    出口管控)``: what a hybrid query was searched as, each span's renderings after the arrow."""
    spans = "; ".join(f"{s['words']} → {' or '.join(s['as'])}" for s in t["spans"] if s["as"])
    return f"searched {t['query']} for {t['from']}: {spans}, and the words as written"


def query_filters_text(filters: dict[str, list[str]]) -> str:
    """``source:新华 since:2025-10``: the filters a query's text set, as they were written."""
    names = {"doc_type": "type"}
    return " ".join(f"{names.get(k, k)}:{v}" for k, vs in filters.items() for v in vs)


def mentions_line(result: SearchResult) -> str | None:
    """The folded group under a smart page: how many more documents mention the query, and how to list them."""
    if result.listing != "about" or not result.mentions:
        return None
    return f"+ {result.mentions} more documents mention {result.query}"


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
            lines += ["  " + _esc(x, style) for x in summary_lines(hit.summary, pages=hit_pages(hit))]
        else:
            lines.append("  " + _esc(hit.excerpt, style))
        if hit.snippet and hit.snippet_paragraph:
            snip = (
                _esc(hit.snippet, style)
                if not style
                else mark(_esc_spans(hit.snippet), hit.highlights, "[reverse]", "[/reverse]")
            )
            lines.append(f"  ↳ {_esc(cite(hit.snippet_paragraph, hit_pages(hit)), style)} {snip}")
        if hit.similar_count:
            lines.append("  ≡ " + _esc(similar_head(hit), style))
            lines += ["      " + _esc(x, style) for x in similar_lines(hit, tz)]
        lines.append(f"  id: {hit.id}" + (f" · {hit.external_id}" if hit.external_id else ""))
        blocks.append("\n".join(lines))
    if folded := mentions_line(result):
        blocks.append(f"{folded} (list them: --mentions)")
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
                lines += ["- " + bullet_text(x, hit_pages(hit)) for x in section.bullets]
                lines.append("")
        else:
            lines += [hit.excerpt, ""]
        if hit.snippet and hit.snippet_paragraph:
            lines.append(
                f"> {cite(hit.snippet_paragraph, hit_pages(hit))} " + mark(hit.snippet, hit.highlights, "**", "**")
            )
        if hit.similar_count:
            lines += ["", f"*{similar_head(hit)}*", *("- " + x for x in similar_lines(hit, tz))]
        blocks.append("\n".join(lines).rstrip())
    if folded := mentions_line(result):
        blocks.append(f"_{folded}_")
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
        "summary": summary_json(hit.summary, hit_pages(hit)),
        "cluster_id": hit.cluster_id,
        "similar_count": hit.similar_count,
        "similar": [m.to_dict() for m in hit.similar],
        "why": None if hit.about is None else "about" if hit.about else "mention",
        "aboutness": hit.aboutness,
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
        "order": result.order,
        "listing": result.listing,
        "about": result.about,
        "mentions": result.mentions,
        "query_filters": result.query_filters,
        "long_query": result.long_query,
        "notes": result.notes,
        "mode": result.mode,
        "translation": result.translation,
        "hits": [hit_json(h) for h in result.hits],
    }


def passage_json(p: Passage) -> dict[str, Any]:
    return {
        "doc_id": p.doc_id,
        "external_id": p.external_id,
        "title": p.title,
        "source": p.source,
        "url": p.url,
        "published_at": p.published_at.isoformat() if p.published_at else None,
        "date_only": p.date_only,
        "doc_type": p.doc_type,
        "lang": p.lang,
        "paragraph": p.paragraph,
        "page": p.page,
        "headings": p.headings,
        "score": p.score,
        "text": p.text,
        "highlights": [list(s) for s in p.highlights],
    }


def passages_json(result: PassageResult) -> dict[str, Any]:
    return {
        "query": result.query,
        "documents": result.documents,
        "match": result.match,
        "took_ms": round(result.took_ms, 3),
        "query_filters": result.query_filters,
        "notes": result.notes,
        "passages": [passage_json(p) for p in result.passages],
    }


def passages_text(result: PassageResult, tz: tzinfo, style: bool = False) -> str:
    """Each passage: its document's title, ``Source· time``, ``[n]`` (and page) › the headings above it, then
    the paragraph."""
    b, e = ("[bold]", "[/bold]") if style else ("", "")
    head = f"{len(result.passages)} passages for {result.query or '(all)'} from {result.documents} matching documents"
    blocks = [head + f" · {result.took_ms:.1f} ms" + "".join(f"\n({n})" for n in result.notes)]
    for p in result.passages:
        where = cite(p.paragraph, {p.paragraph: p.page} if p.page else None)
        path = " › ".join(p.headings)
        text = mark(_esc_spans(p.text), p.highlights, "[reverse]", "[/reverse]") if style else p.text
        blocks.append(
            "\n".join(
                [
                    f"{b}{_esc(p.title, style)}{e}",
                    byline(_esc(p.source, style), p.published_at, p.date_only, tz),
                    f"  {_esc(where, style)}" + (f" › {_esc(path, style)}" if path else ""),
                    f"  {text}",
                    f"  id: {p.doc_id}" + (f" · {p.external_id}" if p.external_id else ""),
                ]
            )
        )
    return "\n\n".join(blocks)


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
        "summary": summary_json(summary, paragraph_pages(doc)),
        "cover": cover(doc),
    }


def document_text(doc: Document, summary: Summary | None, external_ids: list[str], tz: tzinfo) -> str:
    lines = [doc.title, byline(doc.source, doc.published_at, doc.date_only, tz)]
    meta = [f"id {doc.id}", f"type {doc.doc_type}", f"lang {doc.lang}"]
    if external_ids:
        meta.append("record " + ", ".join(external_ids))
    if doc.url:
        meta.append(doc.url)
    lines.append(" · ".join(meta))
    if people := cover_line(doc):
        lines.append(people)
    if summary and summary.sections:
        lines += ["", *summary_lines(summary, pages=paragraph_pages(doc))]
    lines.append("")
    for p in doc.paragraphs:
        page = f" p.{p.page}" if p.page else ""
        if p.kind == "heading":
            lines.append(f"[{p.n}]{page} {'#' * max(1, p.level)} {p.text}")
        else:
            lines.append(f"[{p.n}]{page} {p.text}")
    return "\n".join(lines)
