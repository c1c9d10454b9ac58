"""Stores: the system of record. ``SqliteStore`` is the embedded default."""

from .base import Store, WriteOutcome
from .sqlite import SqliteStore

__all__ = ["SqliteStore", "Store", "WriteOutcome"]
