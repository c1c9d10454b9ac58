"""Stores: the system of record. ``SqliteStore`` is the embedded default; ``open_store`` picks the one the
settings name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Store, StoreReader, WriteOutcome
from .sqlite import SqliteStore

if TYPE_CHECKING:
    from ..settings import Settings

__all__ = ["SqliteStore", "Store", "StoreReader", "WriteOutcome", "open_store"]


def open_store(settings: Settings) -> Store:
    """The store of these settings: the PostgreSQL database of ``database_url``, else the SQLite file in the
    data directory."""
    if settings.database_url:
        from .postgres import PostgresStore

        return PostgresStore(settings.database_url, settings.quarantine_dir)
    return SqliteStore(settings.db_path, settings.quarantine_dir)
