"""What the CLI, the REST API and the web pages share: search parameters, a document with its summary,
ingest of files and JSON records (one at a time per process), stats and saved searches.

Each function takes a ``Workspace`` and plain values and raises ``AssayError``s; the interfaces only
translate (click options, query parameters, form fields) and render.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from ..errors import InputError, QueryError
from ..ingest.pipeline import Ingestor, IngestReport
from ..model import DOC_TYPES, Document, PassageResult, SavedSearch, SearchResult, Summary
from ..search.engine import MATCHES, SORT_ALIASES, SORTS, Filters, parse_day, sort_name
from ..workspace import Workspace

SEARCH_MODES = ("auto", "keywords", "semantic", "hybrid")  # what saved searches and the interfaces offer
MAX_SAVED_NAME = 100
FILTER_KEYS = ("source", "doc_type", "lang", "since", "until")

_ingest_lock = threading.Lock()  # the index has one writer: one ingest at a time in this process
leading = False  # this server process does the data directory's background work (app.take_lead)


def follow_store(ws: Workspace) -> int:
    """Replay what the store's change log holds beyond this index (another node's or process's writes); skipped
    while an ingest of this process holds the writer (it commits its own). Returns the documents re-indexed."""
    if not _ingest_lock.acquire(blocking=False):
        return 0
    try:
        return ws.index.catch_up(ws.store)
    finally:
        _ingest_lock.release()


# -- search -------------------------------------------------------------------------------------------
def parse_as_of(value: str | None) -> datetime | None:
    """The as-of time of a result list (ISO 8601; UTC when no zone is given)."""
    if value is None or not value.strip():
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(f"as_of: not an ISO 8601 time: {value!r}") from exc
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _values(value: Any) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    out = [str(v).strip() for v in items if str(v).strip()]
    return out or None


def make_filters(tz: tzinfo, *, source=None, doc_type=None, lang=None, since=None, until=None, as_of=None) -> Filters:
    """Filters from interface values (lists or single strings; dates as text). Raises QueryError."""
    types = _values(doc_type)
    for t in types or ():
        if t not in DOC_TYPES:
            raise QueryError(f"type: unknown document type {t!r}; choose one of: {', '.join(DOC_TYPES)}")
    return Filters(
        source=_values(source),
        doc_type=types,
        lang=_values(lang),
        since=parse_day(since, tz, "since"),
        until=parse_day(until, tz, "until", end=True),
        as_of=as_of,
    )


def now_utc() -> datetime:
    """The as-of time for a first page (seconds: the index stores ingest times in seconds)."""
    return datetime.now(UTC).replace(microsecond=0)


def search(
    ws: Workspace,
    query: str,
    filters: Filters,
    *,
    sort: str = "smart",
    page: int = 1,
    limit: int = 10,
    match: str = "auto",
    collapse: bool = True,
    mentions: bool = False,
    mode: str = "auto",
) -> SearchResult:
    """A page of results; with ``collapse`` (the default) one per story, its copies listed under it. The smart
    sort lists the documents about the query, newest first, and counts the ones that only mention it
    (``mentions`` lists those instead). ``mode``: keywords, hybrid (also in the other language) or auto."""
    return ws.searcher.search(
        query,
        sort=sort,
        filters=filters,
        page=page,
        limit=limit,
        match=match,
        collapse=collapse,
        mentions=mentions,
        mode=mode,
    )


def passages(ws: Workspace, query: str, filters: Filters, *, limit: int = 10, match: str = "auto") -> PassageResult:
    """The paragraphs that best answer the query across documents (for agents and RAG)."""
    return ws.searcher.passages(query, filters=filters, limit=limit, match=match)


# -- documents ----------------------------------------------------------------------------------------
@dataclass(slots=True)
class DocumentView:
    document: Document
    summary: Summary | None
    external_ids: list[str]


def document_view(ws: Workspace, key: str) -> DocumentView:
    """A document by id, record id or id prefix, with its cached summary. Raises NotFound."""
    doc = ws.store.get_document(key)
    summary = ws.searcher.summaries([doc]).get(doc.id)  # the preferred backend's, as search shows it
    return DocumentView(doc, summary, ws.store.external_ids(doc.id))


def stats(ws: Workspace, days: int = 90) -> dict[str, Any]:
    # the queue first: a job's summary and its "done" are written together, so every job counted done here
    # has its summary in the counts read after it (read the other way round, a worker finishing in between
    # showed 4 jobs done beside 2 summaries)
    queue = ws.store.queue_counts()  # summary jobs: queued, running, done, failed
    data = ws.store.stats()
    data["indexed"] = ws.index.num_docs()
    data["queue"] = queue
    data["by_day"] = ws.store.counts_by_day(days)
    return data


# -- stories ------------------------------------------------------------------------------------------
@dataclass
class CatchUpStatus:
    """Work the server does on its own store at start-up, for the web pages and /api/health to show:
    documents grouped into stories (``catch_up_stories``), summaries of an older template made again
    (``renew_summaries``)."""

    pending: int = 0  # to do when the catch-up started
    done: int = 0

    @property
    def running(self) -> bool:
        return self.done < self.pending


stories_status = CatchUpStatus()
renewal_status = CatchUpStatus()
vectors_status = CatchUpStatus()


def semantic_available(ws: Workspace) -> bool:
    """The semantic extra is installed (search by meaning can be offered)."""
    return ws.vectors is not None


def make_vectors(ws: Workspace, stop=None) -> int:
    """Make the document vectors the store lacks (semantic and hybrid search; the semantic extra), in
    batches that each commit, so a stopped or killed run resumes where it was. Returns how many."""
    from ..search.vectors import catch_up

    if ws.vectors is None:
        return 0
    done, total = ws.store.vector_counts(ws.vectors.model)
    if done >= total:
        return 0
    vectors_status.pending, vectors_status.done = total - done, 0

    def progress(k: int, _pending: int) -> None:
        vectors_status.done = k

    try:
        return catch_up(ws.store, ws.vectors, progress, stop=stop)
    finally:
        vectors_status.pending = vectors_status.done = 0


def catch_up_stories(ws: Workspace, stop=None) -> int:
    """Cluster the stored documents that have no story yet: after a signature change dropped them (a
    migration), or documents written around the pipeline. One ingest at a time, so an upload waits for
    it; ``stop()`` is asked between batches of 1,000. Returns how many were clustered."""
    from ..dedupe.clusters import StoryClusters

    settings = ws.settings
    with _ingest_lock:
        clusters = StoryClusters(ws.store, settings.dupe_representative, window_days=settings.dupe_window_days)
        todo = clusters.unclustered()
        if not todo:
            return 0
        stories_status.pending, stories_status.done = todo, 0

        def progress(k: int) -> None:
            stories_status.done += k

        try:
            return clusters.catch_up(progress, stop=stop)
        finally:
            stories_status.pending = stories_status.done = 0


# -- summaries of an older template --------------------------------------------------------------------
def renew_summaries(ws: Workspace, stop=None) -> int:
    """Make again the extractive summaries written by an older template version (assay was upgraded),
    newest documents first, through the summary queue; cards show the older ones until then. The configured
    LLM backend's stale summaries are queued for its own worker. ``stop``: an Event, asked between
    summaries. Returns how many were made."""
    from ..summarize.worker import SummaryWorker, backend_key, make_summarizer

    settings, store = ws.settings, ws.store
    if settings.summary_backend != "extractive" and settings.serve_worker:
        key = backend_key(settings, None)
        store.enqueue(store.stale_summaries(key), key, force=True)
    stale = store.stale_summaries("extractive")
    if not stale:
        return 0
    store.enqueue(stale, "extractive", force=True)
    renewal_status.pending, renewal_status.done = len(stale), 0

    def done(_job, _ok) -> None:
        renewal_status.done += 1

    try:
        worker = SummaryWorker(store, make_summarizer(settings, "extractive"), concurrency=1)
        return worker.run(once=True, stop=stop, on_done=done).done
    finally:
        renewal_status.pending = renewal_status.done = 0


# -- ingest -------------------------------------------------------------------------------------------
@dataclass
class IngestOutcome:
    """An ingest report plus the ids of the documents it saw (added, updated or unchanged)."""

    report: IngestReport
    ids: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """One word for a single input: added, updated, unchanged or quarantined."""
        r = self.report
        for name in ("quarantined", "added", "updated"):
            if getattr(r, name):
                return name
        return "unchanged"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "ids": self.ids, **self.report.to_dict()}


def ingest_paths(ws: Workspace, paths: list[Path]) -> IngestOutcome:
    """Ingest files in this process (no worker pool: the server is threaded), one ingest at a time."""
    ids: list[str] = []

    def on_item(prep) -> None:
        if prep.error is None and prep.entry is not None:
            ids.append(prep.entry.id)

    settings = ws.settings.model_copy(update={"workers": 1})
    with _ingest_lock:
        report = Ingestor(ws.store, ws.index, settings, on_item=on_item).run(paths)
    return IngestOutcome(report, list(dict.fromkeys(ids)))


def ingest_records(ws: Workspace, records: list[Any]) -> IngestOutcome:
    """Ingest JSON records (the fields of a JSONL line). They are kept as a .jsonl file under uploads/,
    so what was submitted stays in the data directory, like an uploaded file."""
    if not records:
        raise InputError("no documents given")
    path = ws.settings.uploads_dir / f"api-{now_utc():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = (json.dumps(r, ensure_ascii=False) for r in records)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = ingest_paths(ws, [path])
    prefix = f"{path}:"  # name bad records by their position in the request, not by the file
    outcome.report.errors = [
        (f"documents[{int(label[len(prefix) :]) - 1}]" if label.startswith(prefix) else label, reason)
        for label, reason in outcome.report.errors
    ]
    return outcome


# -- web sources (feeds and page URLs) ----------------------------------------------------------------
def add_source(ws: Workspace, url: str, name: str | None = None, doc_type: str | None = None):
    """List a feed or page URL for ``fetch``. Raises InputError for a URL that is not http(s)."""
    from urllib.parse import urlsplit

    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an http(s) URL: {url!r}")
    if doc_type and doc_type not in DOC_TYPES:
        raise InputError(f"type: unknown document type {doc_type!r}; choose one of: {', '.join(DOC_TYPES)}")
    return ws.store.add_web_source(url, (name or "").strip() or None, doc_type or None)


def fetch_sources(ws: Workspace, keys: list[str] | None = None, stop: threading.Event | None = None):
    """Fetch the listed sources (all, or those given by id or URL) and ingest the new articles; ``stop``
    ends a run early (between two requests), keeping what was fetched so far."""
    from ..ingest.web import WebFetch

    sources = [ws.store.web_source(k) for k in keys] if keys else ws.store.web_sources()
    return WebFetch(ws.store, ws.settings, stop=stop).run(sources, lambda paths: ingest_paths(ws, paths).report)


# -- saved searches -----------------------------------------------------------------------------------
def saved_search(
    name: str, query: str, filters: dict[str, Any] | None = None, sort: str = "smart", mode: str = "auto"
) -> SavedSearch:
    """A validated saved search (not yet stored). Raises InputError naming the bad field."""
    name = (name or "").strip()
    if not name:
        raise InputError("name: a saved search needs a name")
    if len(name) > MAX_SAVED_NAME:
        raise InputError(f"name: at most {MAX_SAVED_NAME} characters")
    try:
        sort = sort_name(sort)  # newest (the name before the smart sort) is latest
    except QueryError as exc:
        raise InputError(f"sort: {exc.message}") from exc
    clean: dict[str, Any] = {}
    for key, value in (filters or {}).items():
        if key not in FILTER_KEYS:
            raise InputError(f"filters: unknown filter {key!r}; known: {', '.join(FILTER_KEYS)}")
        if key in ("since", "until"):
            if value:
                parse_day(value, UTC, key)
                clean[key] = str(value).strip()
        elif _values(value):
            clean[key] = _values(value)
    make_filters(UTC, **clean)  # unknown document types fail here
    if mode not in SEARCH_MODES:
        raise InputError(f"mode: one of {', '.join(SEARCH_MODES)}")
    return SavedSearch(name=name, query=(query or "").strip(), filters=clean, sort=sort, mode=mode)


def saved_search_params(saved: SavedSearch) -> dict[str, Any]:
    """The search-page parameters that run a saved search (q, sort and the filters)."""
    params: dict[str, Any] = {"q": saved.query, "sort": saved.sort, "mode": saved.mode}
    for key, value in saved.filters.items():
        params["type" if key == "doc_type" else key] = value
    return params


__all__ = [
    "MATCHES",
    "SORTS",
    "SEARCH_MODES",
    "SORT_ALIASES",
    "sort_name",
    "DocumentView",
    "IngestOutcome",
    "add_source",
    "document_view",
    "fetch_sources",
    "catch_up_stories",
    "make_vectors",
    "semantic_available",
    "ingest_paths",
    "ingest_records",
    "make_filters",
    "now_utc",
    "parse_as_of",
    "saved_search",
    "saved_search_params",
    "search",
    "passages",
    "stats",
]
