"""The files a folder ingest has finished, so that an interrupted ingest resumes where it stopped.

One row per file (by resolved path): its size, modification time and SHA-256 when it was finished, and
how (``done``: its document is stored; ``quarantined``: with the reason). A file whose size and time are
unchanged is skipped without being read; one that was touched but holds the same bytes is skipped after
hashing. A file is marked only after its document's transaction has committed, so a crash in between
costs a second parse of that file, whose document is then found unchanged: nothing is lost or doubled.

The ledger works on the store's own connection, under its lock (table ``files``, see store/migrations.py).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_UPSERT = (
    "INSERT INTO files (path, size, mtime_ns, sha256, status, doc_id, reason, updated_at) VALUES (?,?,?,?,?,?,?,?)"
    " ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, sha256=excluded.sha256,"
    " status=excluded.status, doc_id=excluded.doc_id, reason=excluded.reason, updated_at=excluded.updated_at"
)


@dataclass(slots=True)
class FileState:
    size: int
    mtime_ns: int
    sha256: str = ""


class FileLedger:
    def __init__(self, store):
        self.store = store
        self._pending: dict[str, FileState] = {}  # label → state of a file read this run, not yet marked

    def _known(self, key: str) -> tuple[int, int, str, str] | None:
        with self.store._lock:
            return self.store.db.execute(
                "SELECT size, mtime_ns, sha256, status FROM files WHERE path = ?", (key,)
            ).fetchone()

    def unchanged(self, path: Path) -> bool:
        """True when ``path`` was finished before and has not changed since (by size and time)."""
        try:
            st = path.stat()
        except OSError:
            return False
        row = self._known(_key(path))
        return row is not None and row[0] == st.st_size and row[1] == st.st_mtime_ns

    def same_bytes(self, path: Path, raw: bytes) -> bool:
        """True when the file was finished before with exactly these bytes (its time changed, not its
        content); its recorded time is brought up to date. Otherwise the file is remembered for ``mark``."""
        try:
            st = path.stat()
        except OSError:
            return False
        state = FileState(st.st_size, st.st_mtime_ns, hashlib.sha256(raw).hexdigest())
        row = self._known(_key(path))
        if row is not None and row[2] == state.sha256:
            with self.store._lock:
                self.store.db.execute(
                    "UPDATE files SET size = ?, mtime_ns = ?, updated_at = ? WHERE path = ?",
                    (state.size, state.mtime_ns, _now(), _key(path)),
                )
            return True
        self._pending[str(path)] = state
        return False

    def mark(self, entries: list[tuple[str, str, str | None, str | None]]) -> None:
        """Record files as finished: (label, status, doc_id, reason) for the files read this run."""
        rows = []
        now = _now()
        for label, status, doc_id, reason in entries:
            state = self._pending.pop(label, None)
            if state is not None:
                key = _key(Path(label))
                rows.append((key, state.size, state.mtime_ns, state.sha256, status, doc_id, reason, now))
        if rows:
            with self.store._lock:
                self.store.db.execute("BEGIN IMMEDIATE")
                try:
                    self.store.db.executemany(_UPSERT, rows)
                    self.store.db.execute("COMMIT")
                except BaseException:
                    self.store.db.execute("ROLLBACK")
                    raise

    def tracked(self, label: str) -> bool:
        return label in self._pending


def _key(path: Path) -> str:
    return os.path.realpath(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
