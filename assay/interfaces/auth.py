"""API keys: made here, shown once, stored as a SHA-256 hash (a key is 32 random bytes, so a plain hash is
as good as a slow one), looked up by that hash."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets

from ..errors import AuthError, InputError
from ..model import ApiKey
from ..store.base import Store

KEY_PREFIX = "assay_"


def hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_key(store: Store, name: str) -> tuple[str, ApiKey]:
    """A new key: (the key itself, to show once; its stored record)."""
    name = (name or "").strip()
    if not name:
        raise InputError("name: an API key needs a name (who or what uses it)")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    return raw, store.add_api_key(name, raw[: len(KEY_PREFIX) + 6], hash_key(raw))


def check_key(store: Store, raw: str | None) -> ApiKey:
    """The live key ``raw`` is, or AuthError."""
    if not raw:
        raise AuthError("this endpoint needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")
    key = store.api_key_by_hash(hash_key(raw.strip()))
    if key is None:
        raise AuthError("the API key is not valid (unknown or revoked)")
    return key


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
