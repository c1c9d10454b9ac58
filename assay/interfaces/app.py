"""The server: one FastAPI app with the REST API (``/api``) and the web pages, over one Workspace.

``create_app(settings)`` builds it; ``assay serve`` runs it with uvicorn. Cross-cutting rules live here:
security headers (CSP without inline scripts), the request size limit, the loopback-only Host check and
cross-site write refusal of local-only mode, and the one place where errors become JSON or an HTML page.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import AssayError
from ..settings import Settings
from ..text.lexicon import lexicon
from ..workspace import Workspace
from . import service
from .auth import is_loopback

log = logging.getLogger("assay.server")

WEB = Path(__file__).with_name("web")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _in_thread(name: str, run: Callable[[threading.Event], None], join_s: float = 30):
    """Run ``run(stop)`` in a daemon thread; returns the function that sets ``stop`` and waits for it."""
    event = threading.Event()
    thread = threading.Thread(target=run, args=(event,), name=name, daemon=True)
    thread.start()

    def stop() -> None:
        event.set()
        thread.join(timeout=join_s)

    return stop


def start_summary_worker(ws: Workspace, settings: Settings):
    """With an LLM backend chosen, drain the summary queue in this process (a thread; the store is shared).
    Returns the function that stops it, or None."""
    if settings.summary_backend == "extractive" or not settings.serve_worker:
        return None
    from ..summarize.worker import SummaryWorker, make_summarizer

    worker = SummaryWorker(
        ws.store, make_summarizer(settings), concurrency=settings.llm_concurrency, lease_s=settings.queue_lease_s
    )
    return _in_thread("assay-summary-worker", lambda stop: worker.run(stop=stop))


def start_summary_renewal(ws: Workspace):
    """Summaries made by an older template version (assay was upgraded) are made again in a thread at
    start-up (``service.renew_summaries``). Returns the function that stops it, or None."""
    from .service import renew_summaries

    def run(stop: threading.Event) -> None:
        try:
            t = time.monotonic()
            done = renew_summaries(ws, stop=stop)
            if done:
                log.info("summaries of an older template made again: %d in %.0f s", done, time.monotonic() - t)
        except Exception:  # the server goes on; `assay summarize` does the same
            log.exception("making summaries of an older template again failed")

    return _in_thread("assay-summary-renewal", run)


def start_fetch_poller(ws: Workspace, settings: Settings):
    """With ``fetch_every_minutes`` set, fetch the web sources in this process on that period (a thread;
    the first round at start-up). Returns the function that stops it, or None."""
    if settings.fetch_every_minutes <= 0:
        return None
    from .service import fetch_sources

    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                if ws.store.web_sources():
                    log.info("fetch: %s", fetch_sources(ws, stop=stop).line())
            except Exception:  # one failed round must not end the polling
                log.exception("fetching the web sources failed")
            stop.wait(settings.fetch_every_minutes * 60)

    return _in_thread("assay-fetch-poller", loop)


def start_vector_catch_up(ws: Workspace, every_s: float = 10.0):
    """With the semantic extra, make the document vectors the store lacks in a thread — at start-up, then
    every ``every_s`` seconds for documents that arrived since (uploads, feeds, another process's ingest).
    Returns the function that stops it (between batches), or None."""
    if ws.vectors is None:
        return None
    from .service import make_vectors

    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                t = time.monotonic()
                done = make_vectors(ws, stop=stop.is_set)
                if done:
                    log.info("vectors: %d documents in %.0f s", done, time.monotonic() - t)
            except Exception:  # the server goes on; search uses the words alone meanwhile
                log.exception("making document vectors failed")
            stop.wait(every_s)

    return _in_thread("assay-vectors", loop, join_s=60)


def start_index_follower(ws: Workspace, every_s: float = 2.0):
    """Keep this node's full-text index up with the store's change log: documents that another process or
    machine wrote (an ingest on another node of a shared PostgreSQL store, a worker) are searchable here within
    ``every_s`` seconds. A local ingest holds the writer and commits itself meanwhile."""

    from .service import follow_store

    def loop(stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                follow_store(ws)
            except Exception:  # the server goes on with what it has
                log.exception("catching the index up with the store failed")
            stop.wait(every_s)

    return _in_thread("assay-index", loop, join_s=30)


def start_story_catch_up(ws: Workspace):
    """Group the stored documents that have no story yet (a signature change dropped their clusters) in a
    thread at start-up, so a server-only install does not wait for its next upload to fold copies again.
    Returns the function that stops it (between batches), or None when there is nothing to do."""
    if not ws.store.count_unclustered():
        return None
    from .service import catch_up_stories

    def run(stop: threading.Event) -> None:
        try:
            t = time.monotonic()
            done = catch_up_stories(ws, stop=stop.is_set)
            log.info("stories: %d documents grouped in %.0f s", done, time.monotonic() - t)
        except Exception:  # the server goes on; the next ingest catches up
            log.exception("grouping documents into stories failed")

    return _in_thread("assay-stories", run, join_s=60)


_LEAD: dict[Path, object] = {}  # data directory → the open lock file this process leads it with


def take_lead(home: Path) -> bool:
    """Whether this process runs the data directory's background work (summaries, feeds, vectors, stories):
    of several ``assay serve`` processes over one data directory (``--workers N``) exactly one does, the one
    holding an exclusive lock on ``serve.lock`` (released when the process ends, however it ends)."""
    import fcntl

    home = Path(home).resolve()
    if home in _LEAD:
        return True
    home.mkdir(parents=True, exist_ok=True)
    f = open(home / "serve.lock", "a+")  # noqa: SIM115 - held open for the life of the process
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return False
    _LEAD[home] = f
    return True


def app_from_env() -> FastAPI:
    """The app of the settings in the environment: what each process of ``assay serve --workers N`` runs."""
    return create_app(Settings())


def create_app(settings: Settings, workspace: Workspace | None = None) -> FastAPI:
    """The app over ``workspace`` (opened from ``settings`` when not given; closed at shutdown if opened here)."""
    ws = workspace or Workspace(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        lead = take_lead(settings.home)  # several processes over one data directory: one does the background work
        service.leading = lead
        stop_stories = start_story_catch_up(ws) if lead else None
        stop_renewal = start_summary_renewal(ws) if lead else None
        stop = start_summary_worker(ws, settings) if lead else None
        stop_fetch = start_fetch_poller(ws, settings) if lead else None
        # the cross-lingual lexicon (CC-CEDICT: ~1.5 s to read) is read in the background, so that the first
        # English query does not wait for it; Chinese queries never need it
        threading.Thread(target=lexicon, name="assay-lexicon", daemon=True).start()
        stop_vectors = start_vector_catch_up(ws) if lead else None
        stop_index = start_index_follower(ws)
        yield
        stop_index()
        if stop_vectors is not None:
            stop_vectors()
        if stop_stories is not None:
            stop_stories()
        if stop_fetch is not None:
            stop_fetch()
        if stop is not None:
            stop()
        if stop_renewal is not None:
            stop_renewal()
        if workspace is None:
            ws.close()

    app = FastAPI(
        title="assay",
        summary="Search Chinese and English news and research, with cited summaries.",
        version="0.1.0",
        docs_url=None,  # Swagger UI needs inline scripts and a CDN: /api/docs renders the schema instead
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ws = ws
    app.state.settings = settings
    _add_error_handlers(app)
    _add_middleware(app, settings)
    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")

    from . import api
    from .web import pages

    app.include_router(api.router)
    app.include_router(pages.router)
    return app


# -- errors -------------------------------------------------------------------------------------------
def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, message: str, kind: str = "error") -> Response:
    """One place where errors are rendered: JSON for the API, an HTML page for the web UI."""
    if wants_json(request):
        return JSONResponse({"error": message, "status": status, "type": kind}, status_code=status)
    from .web.pages import error_page

    return error_page(request, status, message)


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ())]
        where = {"query": "query parameter", "path": "path parameter", "body": "body field", "form": "form field"}
        place = where.get(loc[0], loc[0]) if loc else "input"
        name = ".".join(loc[1:]) or "(whole body)"
        parts.append(f"{place} {name!r}: {e.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AssayError)
    async def _assay(request: Request, exc: AssayError):
        return error_response(request, exc.status, exc.message, type(exc).__name__)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        return error_response(request, 422, _validation_message(exc), "ValidationError")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such page or endpoint: {request.url.path}"
        response = error_response(request, exc.status_code, message, "HTTPError")
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request, 500, f"internal error ({type(exc).__name__}); see the server log")


# -- middleware (plain ASGI, so streaming bodies are limited as they arrive) --------------------------
def _add_middleware(app: FastAPI, settings: Settings) -> None:
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"])
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(Guard, local_only=settings.local_only, origins=set(settings.cors_origins))


class _TooLarge(Exception):
    pass


async def _send_json(send, status: int, message: str, extra_headers: list | None = None) -> None:
    body = json.dumps({"error": message, "status": status, "type": "RequestError"}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses bodies over ``max_bytes`` (413): by Content-Length up front, else while they stream in."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        message = f"request body larger than the limit of {self.max_bytes} bytes (ASSAY_MAX_REQUEST_BYTES)"
        length = dict(scope["headers"]).get(b"content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            return await _send_json(send, 413, message)
        received, started = 0, False

        async def limited_receive():
            nonlocal received
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return msg

        async def tracked_send(msg):
            nonlocal started
            started = started or msg["type"] == "http.response.start"
            await send(msg)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _send_json(send, 413, message)


class Guard:
    """Security headers on every response. In local-only mode: only loopback Host names (no DNS rebinding);
    always: writes whose Origin is another site are refused (no cross-site form posts to a local server)."""

    def __init__(self, app, local_only: bool, origins: set[str]):
        self.app, self.local_only, self.origins = app, local_only, origins

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")
        if self.local_only and not is_loopback(_hostname(host)):
            message = f"host {host!r} refused: this server is local-only (127.0.0.1)"
            return await _send_json(send, 400, message, SECURITY_HEADERS)
        if scope["method"] in UNSAFE_METHODS and _cross_site(headers, host, self.origins):
            message = "cross-site write refused (the Origin is not this server)"
            return await _send_json(send, 403, message, SECURITY_HEADERS)

        started = time.perf_counter()

        async def with_headers(msg):
            if msg["type"] == "http.response.start":
                # Server-Timing: the time this server spent before answering (browsers' dev tools show it)
                took = f"app;dur={(time.perf_counter() - started) * 1000:.2f}".encode()
                msg["headers"] = [*msg.get("headers", []), *SECURITY_HEADERS, (b"server-timing", took)]
            await send(msg)

        await self.app(scope, receive, with_headers)


def _hostname(host: str) -> str:
    if host.startswith("["):  # [::1]:8000
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cross_site(headers: dict[str, str], host: str, allowed: set[str]) -> bool:
    origin = headers.get("origin")
    if origin in allowed:
        return False
    if headers.get("sec-fetch-site") == "cross-site":
        return True
    if not origin or origin == "null":
        return origin == "null"
    return urlsplit(origin).netloc != host
