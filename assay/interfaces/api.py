"""The REST API under ``/api`` (OpenAPI at ``/openapi.json``, a readable page at ``/api/docs``).

Thin: every endpoint turns its parameters into a call of ``service`` (the functions the CLI uses too) and
the result into the JSON that ``render`` gives ``assay ... --json``. Errors are JSON: ``{"error": message,
"status": code, "type": name}``.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Body, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response

from ..errors import InputError, NotFound
from ..search.engine import MAX_LIMIT
from ..workspace import Workspace
from . import render, service
from .deps import require_writer, workspace
from .uploads import store_upload

router = APIRouter(prefix="/api", tags=["api"])
Q_SYNTAX = 'words (all must match), "phrases", -excluded, a OR b; source:/type:/lang:/since:/until: filters'
Ws = Annotated[Workspace, Depends(workspace)]
Writer = Depends(require_writer)

Many = Annotated[list[str] | None, Query()]


@router.get("/health", summary="Liveness and counts")
def health(ws: Ws) -> dict[str, Any]:
    out = {"status": "ok", "documents": ws.store.count(), "indexed": ws.index.num_docs(), "process": os.getpid()}
    out["leader"] = service.leading  # the process that runs summaries, feeds and vectors for the data directory
    # this node's full-text index against the store's change log (search nodes of a shared store follow it)
    store_seq, index_seq = ws.store.last_seq(), ws.index.seq
    out["index"] = {
        "node": ws.index.node,
        "seq": index_seq,
        "store_seq": store_seq,
        "behind": max(store_seq - index_seq, 0),
    }
    if service.stories_status.running:  # documents being grouped into stories at start-up
        out["stories"] = {"grouped": service.stories_status.done, "of": service.stories_status.pending}
    if service.renewal_status.running:  # summaries of an older template being made again at start-up
        out["summaries_renewed"] = {"done": service.renewal_status.done, "of": service.renewal_status.pending}
    if ws.vectors is not None:  # semantic search: documents with a vector (made in the background)
        done, total = ws.store.vector_counts(ws.vectors.model)
        out["vectors"] = {"model": ws.vectors.model, "documents": done, "of": total}
    return out


@router.get(
    "/search",
    summary="Search documents: smart (newest first among those about the query), latest or by relevance; filters; "
    "stable pages",
)
def search(
    request: Request,
    ws: Ws,
    q: Annotated[str, Query(description=Q_SYNTAX, max_length=1000)] = "",
    sort: Annotated[
        Literal["smart", "latest", "relevance", "newest"],
        Query(
            description="smart: newest first among the documents about the query (the count of those that only "
            "mention it is `mentions`); latest: every match, newest first (`newest` is its old name); relevance"
        ),
    ] = "smart",
    mentions: Annotated[
        bool, Query(description="smart sort: list the documents that only mention the query instead")
    ] = False,
    source: Annotated[Many, Query(description="sources whose name contains this (repeatable)")] = None,
    doc_type: Annotated[Many, Query(alias="type", description="document type (repeatable)")] = None,
    lang: Annotated[Many, Query(description="language, e.g. zh, en (repeatable)")] = None,
    since: Annotated[str | None, Query(description="published on or after (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, Query(description="published on or before (YYYY-MM-DD)")] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    match: Annotated[
        Literal["auto", "all", "most", "any"],
        Query(description="auto: all words (any when none holds them all); most for a long query (a pasted sentence)"),
    ] = "auto",
    as_of: Annotated[
        str | None,
        Query(description="only documents ingested at or before this time; pass back the as_of of page 1"),
    ] = None,
    collapse: Annotated[
        bool, Query(description="one hit per story, its other copies under 'similar'; false lists every document")
    ] = True,
    mode: Annotated[
        Literal["auto", "keywords", "semantic", "hybrid"],
        Query(
            description="keywords: the words as written; semantic: the documents nearest in meaning; hybrid: the "
            "words also in the other language (rare earth ↔ 稀土; `translation` says what was searched) fused with "
            "the nearest documents; auto: keywords for a Chinese query, hybrid for an English or mixed one"
        ),
    ] = "auto",
) -> Response:
    as_of_dt = service.parse_as_of(as_of) or service.now_utc()
    tz = ws.settings.tz
    filters = service.make_filters(
        tz, source=source, doc_type=doc_type, lang=lang, since=since, until=until, as_of=as_of_dt
    )
    result = service.search(
        ws,
        q,
        filters,
        sort=sort,
        page=page,
        limit=limit,
        match=match,
        collapse=collapse,
        mentions=mentions,
        mode=mode,
    )
    out = render.result_json(result)
    out["as_of"] = as_of_dt.isoformat()
    more = result.more
    out["next"] = _next_url(request, page + 1, as_of_dt) if more else None
    # the folded group under a smart page: the documents that only mention the query
    listed = result.listing == "about" and result.mentions
    out["mentions_url"] = _next_url(request, 1, as_of_dt, mentions="true") if listed else None
    return json_response(out)


@router.get(
    "/passages",
    summary="Passages for agents and RAG: the paragraphs that best answer the query across documents, each with "
    "its document, paragraph number, page and heading path",
)
def passages(
    ws: Ws,
    q: Annotated[str, Query(description=Q_SYNTAX, max_length=1000)] = "",
    source: Annotated[Many, Query(description="sources whose name contains this (repeatable)")] = None,
    doc_type: Annotated[Many, Query(alias="type", description="document type (repeatable)")] = None,
    lang: Annotated[Many, Query(description="language, e.g. zh, en (repeatable)")] = None,
    since: Annotated[str | None, Query(description="published on or after (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, Query(description="published on or before (YYYY-MM-DD)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    match: Annotated[
        Literal["auto", "all", "most", "any"],
        Query(description="auto: all words (any when none holds them all); most for a long query or a question"),
    ] = "auto",
) -> Response:
    tz = ws.settings.tz
    filters = service.make_filters(tz, source=source, doc_type=doc_type, lang=lang, since=since, until=until)
    return json_response(render.passages_json(service.passages(ws, q, filters, limit=limit, match=match)))


def json_response(data: dict[str, Any]) -> Response:
    """JSON serialized once, directly, in C (FastAPI's encoder walks every value first: slow for 20 hits)."""
    return Response(orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS), media_type="application/json")


def _next_url(request: Request, page: int, as_of: datetime, **more: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "as_of", *more)]
    params += [("page", str(page)), ("as_of", as_of.isoformat()), *more.items()]
    return f"{request.url.path}?{urlencode(params)}"


@router.get("/documents/{doc_id}", summary="A document: metadata, numbered paragraphs and its summary")
def document(doc_id: str, ws: Ws) -> Response:
    view = service.document_view(ws, doc_id)
    return json_response(render.document_json(view.document, view.summary, view.external_ids))


@router.get("/documents/{doc_id}/summary", summary="The summary of a document (its bullets cite paragraphs)")
def summary(doc_id: str, ws: Ws) -> dict[str, Any]:
    view = service.document_view(ws, doc_id)
    if view.summary is None:
        raise NotFound(f"document {view.document.id} has no summary yet (summary pending)")
    return view.summary.to_dict()


@router.post(
    "/documents",
    summary='Ingest JSON documents: one record or {"documents": [records]} (fields of a JSONL line)',
    dependencies=[Writer],
)
def add_documents(
    ws: Ws,
    payload: Annotated[Any, Body(description="a record {title, text, source, published_at, ...} or {documents}")],
) -> dict[str, Any]:
    records = _records(payload)
    return service.ingest_records(ws, records).to_dict()


def _records(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and "documents" in payload:
        records = payload["documents"]
        if not isinstance(records, list):
            raise InputError("body field 'documents': expected a list of records")
        return records
    if isinstance(payload, dict):
        return [payload]
    if isinstance(payload, list):
        return payload
    raise InputError(f"body: expected a JSON object or a list of objects, got {type(payload).__name__}")


@router.post(
    "/upload",
    summary="Upload files (multipart, field 'files'): PDF, DOCX, HTML, text, Markdown, JSONL",
    dependencies=[Writer],
)
async def upload(ws: Ws, files: Annotated[list[UploadFile], File(description="one or more files")]) -> dict[str, Any]:
    results = []
    for f in files:
        results.append(await _ingest_upload(ws, f))
    return {"files": results}


async def _ingest_upload(ws: Ws, f: UploadFile) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    name = f.filename or ""
    data = await f.read()
    try:
        if not data:
            raise InputError(f"file {name!r}: empty")
        path = store_upload(ws.settings.uploads_dir, name, data)
        outcome = await run_in_threadpool(service.ingest_paths, ws, [path])
    except InputError as exc:
        return {"file": name, "status": "failed", "reason": exc.message, "ids": []}
    reason = "; ".join(r for _, r in outcome.report.errors)
    return {"file": name, "stored_as": path.name, **outcome.to_dict(), "reason": reason or None}


@router.get("/dupes", summary="Story clusters: statistics and the largest clusters with their members")
def dupes(ws: Ws, limit: Annotated[int, Query(ge=1, le=1000)] = 20) -> Response:
    from ..dedupe import Stories

    stories = Stories(ws.store)
    clusters = stories.stories(min_size=2, limit=limit)
    return json_response({"stats": stories.stats(), "clusters": [c.to_dict() for c in clusters]})


@router.get("/stats", summary="Counts by source, type, language and publication day")
def stats(ws: Ws) -> dict[str, Any]:
    return service.stats(ws)


# -- saved searches -----------------------------------------------------------------------------------
@router.get("/searches", summary="Saved searches")
def saved_searches(ws: Ws) -> dict[str, Any]:
    return {"searches": [s.to_dict() for s in ws.store.saved_searches()]}


@router.post(
    "/searches", summary="Save a search: {name, query, filters, sort, mode}", status_code=201, dependencies=[Writer]
)
def create_saved_search(
    ws: Ws,
    name: Annotated[str, Body()],
    query: Annotated[str, Body()] = "",
    filters: Annotated[dict[str, Any] | None, Body()] = None,
    sort: Annotated[str, Body()] = "smart",
    mode: Annotated[str, Body()] = "auto",
) -> dict[str, Any]:
    saved = service.saved_search(name, query, filters, sort, mode)
    return ws.store.save_search(saved).to_dict()


@router.get("/searches/{search_id}", summary="A saved search and its results (first page)")
def run_saved_search(ws: Ws, search_id: int, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10) -> dict[str, Any]:
    saved = ws.store.saved_search(search_id)
    filters = service.make_filters(ws.settings.tz, **saved.filters, as_of=service.now_utc())
    result = service.search(ws, saved.query, filters, sort=saved.sort, limit=limit, mode=saved.mode)
    return {"search": saved.to_dict(), "result": render.result_json(result)}


@router.delete("/searches/{search_id}", summary="Delete a saved search", status_code=204, dependencies=[Writer])
def delete_saved_search(ws: Ws, search_id: int) -> None:
    ws.store.delete_saved_search(search_id)
