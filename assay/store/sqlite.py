"""SQLite (WAL) store: one file in the data directory, the system of record.

Documents keep their paragraphs as one JSON array (they are always read whole: show, snippets,
summaries), which makes ingest one row per document. Every write appends to ``changes`` in the same
transaction; the full-text index replays that log, so it can never stay behind the store after a crash.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from ..errors import StoreError
from ..model import KnownVersion
from .migrations import MIGRATIONS
from .sql import SqlStore, known_versions_in

log = logging.getLogger("assay.store")

WAL_PAGES = 16_384


class SqliteStore(SqlStore):
    """The embedded store. Safe to share across threads (one connection, serialized)."""

    integrity_errors = (sqlite3.IntegrityError,)

    def __init__(self, path: Path, quarantine_dir: Path | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.identity = str(self.path.resolve())  # one store: one band index per process
        self.quarantine_dir = quarantine_dir or self.path.parent / "quarantine"
        self._lock = threading.RLock()
        try:
            self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA cache_size=-65536")
            # a batch of documents touches pages all over the id-keyed indexes; checkpointing the WAL every
            # 1,000 pages (the default) copied most of them back after every batch. Every 16,384 pages
            # (64 MB) a page written by many batches is copied once: SQLite writes 0.155 → 0.115 ms a
            # document at 200k. The file is cut back to 64 MB after a checkpoint.
            self.db.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
            self.db.execute(f"PRAGMA journal_size_limit={WAL_PAGES * 4096}")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the store at {self.path}: {exc}") from exc

    # -- schema -----------------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        with self._lock:
            version = self.schema_version
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"the store at {self.path} has schema version {version}, newer than this assay "
                    f"knows ({len(MIGRATIONS)}); upgrade assay"
                )
            for step in range(version, len(MIGRATIONS)):
                with self._write():
                    if self.schema_version == step:  # another process may have migrated meanwhile
                        for statement in MIGRATIONS[step].split(";"):
                            if statement.strip():
                                self.db.execute(statement)
                        self.db.execute(f"PRAGMA user_version={step + 1}")

    def signature_high_water(self) -> int:
        """The highest signature number ever given (numbers are not reused, even after a rebuild)."""
        with self._lock:
            row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'dupe_signatures'").fetchone()
        return row[0] if row else 0

    def reader(self) -> SqliteReader:
        """A read-only handle for ingest workers in other processes (picklable; connects on first use)."""
        return SqliteReader(self.path)

    def close(self) -> None:
        with self._lock:
            self.db.close()

    _written_order = "d.rowid"  # documents in the order they were first written


class SqliteReader:
    """The lookups ingest workers make from their own processes, over a read-only connection of their own."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    def __getstate__(self) -> dict:
        return {"path": self.path}

    def __setstate__(self, state: dict) -> None:
        self.path, self._db = state["path"], None

    def known_versions(self, ids: list[str]) -> dict[str, KnownVersion]:
        if not ids or not self.path.exists():
            return {}
        if self._db is None:
            self._db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        try:
            return known_versions_in(self._db, ids)
        except sqlite3.OperationalError:  # a store not made yet (its tables come with the first write)
            return {}
