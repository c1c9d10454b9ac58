"""The web pages, rendered on the server: search, document, upload, workflows (saved searches), sign-in.

Every document string reaches the page through Jinja2 autoescaping; the only markup built here is the
highlighting of snippets, which escapes each piece before wrapping matches in ``<mark>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from ...errors import AssayError, QueryError
from ...model import DOC_TYPES
from ...workspace import Workspace
from .. import render, service
from ..auth import check_key
from ..deps import KEY_COOKIE, needs_key, presented_key, require_writer, workspace
from .i18n import choose_lang, translator

router = APIRouter(include_in_schema=False)
Ws = Annotated[Workspace, Depends(workspace)]
Many = Annotated[list[str] | None, Query()]
PAGE_SIZE = 20

env = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def highlight(text: str, spans: list[tuple[int, int]]) -> Markup:
    """``text`` escaped, with the spans wrapped in <mark> (pieces are escaped before they are joined)."""
    out, last = [], 0
    for a, b in sorted(spans):
        if a < last or b > len(text):
            continue
        out += [escape(text[last:a]), Markup("<mark>"), escape(text[a:b]), Markup("</mark>")]
        last = b
    out.append(escape(text[last:]))
    return Markup("").join(out)


env.filters["highlight"] = highlight


def render_page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    lang = choose_lang(settings.ui_lang, request.headers.get("accept-language"))
    t = translator(lang)
    tz = settings.tz

    def byline(source: str, dt, date_only: bool) -> str:
        when = render.when(dt, date_only, tz) if dt else t("date_unknown")
        return f"{source or t('unknown_source')}· {when}"

    html = env.get_template(name).render(
        t=t,
        ui_lang=lang,
        byline=byline,
        path=request.url.path,
        signed_in=bool(request.cookies.get(KEY_COOKIE)),
        needs_key=needs_key(request),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render_page(request, "error.html", status=status, status_code=status, message=message)


# -- search -------------------------------------------------------------------------------------------
@dataclass
class SearchForm:
    """The search page's state, all of it in the URL (bookmarkable, shareable)."""

    q: str = ""
    sort: str = "smart"
    source: list[str] = field(default_factory=list)
    doc_type: list[str] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)
    since: str = ""
    until: str = ""
    page: int = 1
    as_of: str = ""
    collapse: bool = True  # one card per story
    mentions: bool = False  # smart sort: the documents that only mention the query
    mode: str = "auto"  # keywords | hybrid | auto (keywords for Chinese, hybrid for English or mixed)

    def params(self, **override: Any) -> list[tuple[str, str]]:
        values = {
            "q": self.q,
            "sort": self.sort,
            "source": self.source,
            "type": self.doc_type,
            "lang": self.lang,
            "since": self.since,
            "until": self.until,
            "page": self.page,
            "as_of": self.as_of,
            "collapse": "" if self.collapse else "0",
            "mentions": "1" if self.mentions else "",
            "mode": self.mode,
        }
        values.update(override)
        out = []
        for key, value in values.items():
            for v in value if isinstance(value, list) else [value]:
                default = (key, v) in (("page", 1), ("sort", "smart"), ("mode", "auto"))
                if v not in ("", None) and not default:
                    out.append((key, str(v)))
        return out

    def url(self, path: str = "/", **override: Any) -> str:
        query = urlencode(self.params(**override))
        return f"{path}?{query}" if query else path


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    ws: Ws,
    q: str = "",
    sort: str = "smart",
    source: Many = None,
    doc_type: Annotated[list[str] | None, Query(alias="type")] = None,
    lang: Many = None,
    since: str = "",
    until: str = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    as_of: str = "",
    collapse: bool = True,
    mentions: bool = False,
    mode: str = "auto",
) -> HTMLResponse:
    form = SearchForm(
        q, sort, _clean(source), _clean(doc_type), _clean(lang), since, until, page, as_of, collapse, mentions, mode
    )
    try:
        form.sort = service.sort_name(sort)  # a link from before the smart sort (sort=newest) is latest
        as_of_dt = service.parse_as_of(as_of) or service.now_utc()
        form.as_of = as_of_dt.isoformat()
        filters = service.make_filters(
            ws.settings.tz,
            source=form.source,
            doc_type=form.doc_type,
            lang=form.lang,
            since=since,
            until=until,
            as_of=as_of_dt,
        )
        result = service.search(
            ws,
            q,
            filters,
            sort=form.sort,
            page=page,
            limit=PAGE_SIZE,
            collapse=collapse,
            mentions=mentions,
            mode=mode,
        )
    except QueryError as exc:
        return _search_response(request, form, None, exc.message, 400)
    return _search_response(request, form, result, None, 200)


def _clean(values: list[str] | None) -> list[str]:
    return [v.strip() for v in values or [] if v.strip()]


def _search_response(request: Request, form: SearchForm, result, error: str | None, status: int) -> HTMLResponse:
    more = result is not None and result.more
    return render_page(
        request,
        "search.html",
        status=status,
        form=form,
        result=result,
        error=error,
        doc_types=DOC_TYPES,
        next_url=form.url(page=form.page + 1) if more else None,
        prev_url=form.url(page=form.page - 1) if form.page > 1 else None,
        smart_url=form.url(sort="smart", page=1, as_of="", mentions=""),
        latest_url=form.url(sort="latest", page=1, as_of="", mentions=""),
        relevance_url=form.url(sort="relevance", page=1, as_of="", mentions=""),
        mentions_url=form.url(page=1, mentions="1"),
        about_url=form.url(page=1, mentions=""),
        keywords_url=form.url(mode="keywords", page=1, as_of=""),
        hybrid_url=form.url(mode="hybrid", page=1, as_of=""),
        semantic_url=form.url(mode="semantic", page=1, as_of="")
        if service.semantic_available(request.app.state.ws)
        else None,
        query_filters=render.query_filters_text(result.query_filters) if result is not None else "",
        collapse_url=form.url(collapse="", page=1, as_of=""),
        all_copies_url=form.url(collapse="0", page=1, as_of=""),
        save_url=form.url("/workflows", page=1, as_of=""),
        grouping=service.stories_status if service.stories_status.running else None,
        renewing=service.renewal_status if service.renewal_status.running else None,
        embedding=service.vectors_status if service.vectors_status.running else None,
    )


# -- document -----------------------------------------------------------------------------------------
@router.get("/doc/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, ws: Ws, doc_id: str) -> HTMLResponse:
    view = service.document_view(ws, doc_id)
    doc = view.document
    return render_page(
        request,
        "document.html",
        view=view,
        doc=doc,
        summary=view.summary,
        pages=render.paragraph_pages(doc),
        cover=render.cover(doc),
    )


# -- upload -------------------------------------------------------------------------------------------
@router.get("/upload", response_class=HTMLResponse)
def upload_page(request: Request) -> HTMLResponse:
    return render_page(request, "upload.html")


# -- workflows (saved searches) -----------------------------------------------------------------------
@router.get("/workflows", response_class=HTMLResponse)
def workflows_page(
    request: Request,
    ws: Ws,
    q: str = "",
    sort: str = "smart",
    source: Many = None,
    doc_type: Annotated[list[str] | None, Query(alias="type")] = None,
    lang: Many = None,
    since: str = "",
    until: str = "",
    mode: str = "auto",
) -> HTMLResponse:
    draft = SearchForm(
        q, service.SORT_ALIASES.get(sort, sort), _clean(source), _clean(doc_type), _clean(lang), since, until
    )
    draft.mode = mode
    return _workflows(request, ws, draft, None, 200)


def _workflows(request: Request, ws: Workspace, draft: SearchForm, error: str | None, status: int) -> HTMLResponse:
    saved = [(s, SearchForm(**_form_fields(s))) for s in ws.store.saved_searches()]
    return render_page(
        request, "workflows.html", status=status, saved=saved, draft=draft, error=error, doc_types=DOC_TYPES
    )


def _form_fields(saved) -> dict[str, Any]:
    f = saved.filters
    return {
        "q": saved.query,
        "sort": service.SORT_ALIASES.get(saved.sort, saved.sort),  # saved before the smart sort: newest = latest
        "source": f.get("source", []),
        "doc_type": f.get("doc_type", []),
        "lang": f.get("lang", []),
        "since": f.get("since", ""),
        "until": f.get("until", ""),
        "mode": saved.mode,
    }


@router.post("/workflows", dependencies=[Depends(require_writer)])
def create_workflow(
    request: Request,
    ws: Ws,
    name: Annotated[str, Form()] = "",
    q: Annotated[str, Form()] = "",
    sort: Annotated[str, Form()] = "smart",
    source: Annotated[str, Form()] = "",
    doc_type: Annotated[str, Form(alias="type")] = "",
    lang: Annotated[str, Form()] = "",
    since: Annotated[str, Form()] = "",
    until: Annotated[str, Form()] = "",
    mode: Annotated[str, Form()] = "auto",
) -> Response:
    filters = {"source": source, "doc_type": doc_type, "lang": lang, "since": since, "until": until}
    try:
        ws.store.save_search(service.saved_search(name, q, filters, sort, mode))
    except AssayError as exc:
        draft = SearchForm(q, sort, _clean([source]), _clean([doc_type]), _clean([lang]), since, until)
        draft.mode = mode
        return _workflows(request, ws, draft, exc.message, exc.status)
    return RedirectResponse("/workflows", status_code=303)


@router.post("/workflows/{search_id}/delete", dependencies=[Depends(require_writer)])
def delete_workflow(ws: Ws, search_id: int) -> Response:
    ws.store.delete_saved_search(search_id)
    return RedirectResponse("/workflows", status_code=303)


# -- sign-in (for servers that are not local-only) ----------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render_page(request, "login.html", error=None)


@router.post("/login")
def login(request: Request, ws: Ws, key: Annotated[str, Form()] = "") -> Response:
    try:
        check_key(ws.store, key)
    except AssayError as exc:
        return render_page(request, "login.html", status=exc.status, error=exc.message)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(KEY_COOKIE, key.strip(), httponly=True, samesite="strict", max_age=30 * 86400)
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/", status_code=303)
    if presented_key(request):
        response.delete_cookie(KEY_COOKIE)
    return response


# -- API docs, rendered from the OpenAPI schema (no scripts, works offline) ---------------------------
@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    endpoints = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            endpoints.append((method.upper(), path, op))
    return render_page(request, "api_docs.html", endpoints=endpoints, info=schema.get("info", {}))


def iso(dt: datetime | None) -> str:
    return dt.isoformat() if dt else ""


env.globals["iso"] = iso
