"""The store's side of the ingest ledger (table ``files``): the files a folder ingest finished, by resolved path
(assay/ingest/ledger.py decides what to skip)."""

from __future__ import annotations

from datetime import UTC, datetime

from ..model import FileRecord

_UPSERT = (
    "INSERT INTO files (path, size, mtime_ns, sha256, status, doc_id, reason, updated_at) VALUES (?,?,?,?,?,?,?,?)"
    " ON CONFLICT(path) DO UPDATE SET size=excluded.size, mtime_ns=excluded.mtime_ns, sha256=excluded.sha256,"
    " status=excluded.status, doc_id=excluded.doc_id, reason=excluded.reason, updated_at=excluded.updated_at"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FilesMixin:
    def file_record(self, path: str) -> FileRecord | None:
        with self._lock:
            row = self.db.execute(
                "SELECT path, size, mtime_ns, sha256, status, doc_id, reason FROM files WHERE path = ?", (path,)
            ).fetchone()
        return FileRecord(*row) if row else None

    def touch_file(self, path: str, size: int, mtime_ns: int) -> None:
        """A finished file's new size and time (its bytes unchanged)."""
        with self._write():
            self.db.execute(
                "UPDATE files SET size = ?, mtime_ns = ?, updated_at = ? WHERE path = ?", (size, mtime_ns, _now(), path)
            )

    def mark_files(self, records: list[FileRecord]) -> None:
        """Record files as finished, in one transaction."""
        if not records:
            return
        now = _now()
        rows = [(r.path, r.size, r.mtime_ns, r.sha256, r.status, r.doc_id, r.reason, now) for r in records]
        with self._write():
            self.db.executemany(_UPSERT, rows)

    def orphan_files(self) -> list[FileRecord]:
        """Files marked done whose document the store lacks."""
        with self._lock:
            rows = self.db.execute(
                "SELECT path, size, mtime_ns, sha256, status, doc_id, reason FROM files"
                " WHERE status = 'done' AND doc_id NOT IN (SELECT id FROM documents)"
            ).fetchall()
        return [FileRecord(*r) for r in rows]

    def forget_orphan_files(self) -> int:
        """Drop them (their files are read again by the next ingest of their folder); how many."""
        with self._write() as db:
            return db.execute(
                "DELETE FROM files WHERE status = 'done' AND doc_id NOT IN (SELECT id FROM documents)"
            ).rowcount
