"""Request dependencies shared by the API and the pages: the workspace, and the writer check."""

from __future__ import annotations

from fastapi import Request

from ..model import ApiKey
from ..settings import Settings
from ..workspace import Workspace
from .auth import check_key, is_loopback

KEY_COOKIE = "assay_key"


def workspace(request: Request) -> Workspace:
    return request.app.state.ws


def settings(request: Request) -> Settings:
    return request.app.state.settings


def presented_key(request: Request) -> str | None:
    """The key a request carries: ``Authorization: Bearer``, ``X-API-Key``, or the web sign-in cookie."""
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or request.cookies.get(KEY_COOKIE)


def local_writer(request: Request) -> bool:
    """Local-only mode lets loopback clients write without a key."""
    client = request.client.host if request.client else None
    return request.app.state.settings.local_only and is_loopback(client)


def needs_key(request: Request) -> bool:
    return not local_writer(request)


def require_writer(request: Request) -> ApiKey | None:
    """Dependency of every write: passes in local-only mode from loopback, else needs a live API key."""
    if local_writer(request):
        return None
    return check_key(request.app.state.ws.store, presented_key(request))
