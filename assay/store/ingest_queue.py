"""The ingest queue, in the store: ``assay ingest`` against a shared store hands its inputs to ``assay worker``
processes on any machine as chunks (a few hundred records or one file each, the bytes themselves, so a worker
needs no shared disk).

A chunk is ``queued`` → ``running`` (leased by one worker until ``lease_until``) → ``done`` | ``failed``. A
worker writes a chunk's documents and its "done" in one transaction (``write_rows(..., ingest_job=…)``): a
worker killed mid-chunk wrote nothing of it, and the next claim after its lease runs out takes the chunk again.
A chunk taken ``MAX_CLAIMS`` times without finishing is given up (it may be what kills the workers), with the
reason, and its inputs stay in the row for ``assay check`` and a second try.
"""

from __future__ import annotations

import socket
import time

from ..model import IngestJob, IngestProgress
from .queue import MAX_CLAIMS, _alive_here, _now_iso

INGEST_QUEUE_SCHEMA = """
CREATE TABLE ingest_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    batch TEXT NOT NULL,
    label TEXT NOT NULL,
    items BLOB NOT NULL,
    n_items INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    lease_until REAL,
    worker TEXT,
    error TEXT,
    added INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    quarantined INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ingest_jobs_state ON ingest_jobs(state, id);
CREATE INDEX ingest_jobs_batch ON ingest_jobs(batch, state);
"""


class LeaseLost(Exception):
    """The chunk is no longer this worker's (its lease ran out and another took it): nothing was written."""


class IngestQueueMixin:
    """Ingest-queue operations over the subclass's ``db`` / ``_lock`` / ``_write``."""

    def enqueue_ingest(self, batch: str, chunks: list[tuple[str, bytes, int]]) -> int:
        """Queue chunks of ``batch``: (label of the first input, encoded items, how many). Returns how many."""
        if not chunks:
            return 0
        now = _now_iso()
        with self._write():
            self.db.executemany(
                "INSERT INTO ingest_jobs (batch, label, items, n_items, created_at, updated_at) VALUES (?,?,?,?,?,?)",
                [(batch, label, items, n, now, now) for label, items, n in chunks],
            )
        return len(chunks)

    def claim_ingest(self, worker: str, lease_s: float, batch: str | None = None) -> IngestJob | None:
        """Lease the oldest due chunk to ``worker``: a queued one, else a running one whose lease ran out. A
        chunk claimed ``MAX_CLAIMS`` times is given up instead."""
        now = time.time()
        where, args = (" AND batch = ?", [batch]) if batch else ("", [])
        with self._write():
            self.db.execute(
                "UPDATE ingest_jobs SET state='failed', error=?, updated_at=? WHERE state = 'running'"
                f" AND lease_until < ? AND attempts >= ?{where}",
                [f"abandoned: its worker stopped {MAX_CLAIMS} times while on it", _now_iso(), now, MAX_CLAIMS, *args],
            )
            row = self.db.execute(
                f"SELECT id FROM ingest_jobs WHERE state = 'queued'{where} ORDER BY id LIMIT 1", args
            ).fetchone()
            if row is None:  # a running chunk whose lease ran out, or whose worker on this host is gone
                host = socket.gethostname()
                running = self.db.execute(
                    f"SELECT id, lease_until, worker FROM ingest_jobs WHERE state = 'running'{where}"
                    " ORDER BY id LIMIT 100",
                    args,
                ).fetchall()
                row = next((r for r in running if (r[1] or 0) < now or not _alive_here(r[2], host)), None)
            if row is None:
                return None
            got = self.db.execute(
                "UPDATE ingest_jobs SET state='running', attempts=attempts+1, lease_until=?, worker=?, updated_at=?"
                " WHERE id = ? RETURNING id, batch, label, items, n_items, attempts",
                (now + lease_s, worker, _now_iso(), row[0]),
            ).fetchone()
        return IngestJob(got[0], got[1], got[2], bytes(got[3]), got[4], got[5])

    def _finish_ingest(self, job_id: int, worker: str, counts: dict[str, int]) -> None:
        """Inside the chunk's write transaction: mark it done, or raise ``LeaseLost`` (rolling it back)."""
        cur = self.db.execute(
            "UPDATE ingest_jobs SET state='done', error=NULL, lease_until=NULL, updated_at=?, added=?, updated=?,"
            " unchanged=?, quarantined=? WHERE id = ? AND worker = ? AND state = 'running'",
            (
                _now_iso(),
                counts.get("added", 0),
                counts.get("updated", 0),
                counts.get("unchanged", 0),
                counts.get("quarantined", 0),
                job_id,
                worker,
            ),
        )
        if cur.rowcount != 1:
            raise LeaseLost(f"ingest chunk {job_id} is no longer {worker}'s")

    def fail_ingest(self, job_id: int, worker: str, error: str) -> None:
        """A chunk that cannot be written (not a bad input — those are quarantined — but e.g. a bug): failed
        for good, with the reason."""
        with self._write():
            self.db.execute(
                "UPDATE ingest_jobs SET state='failed', error=?, lease_until=NULL, updated_at=?"
                " WHERE id = ? AND worker = ? AND state = 'running'",
                (error[:1000], _now_iso(), job_id, worker),
            )

    def ingest_progress(self, batch: str | None = None) -> IngestProgress:
        """Chunks and inputs by state, and what the finished chunks wrote (of ``batch``, or of all)."""
        where, args = (" WHERE batch = ?", [batch]) if batch else ("", [])
        with self._lock:
            rows = self.db.execute(
                "SELECT state, COUNT(*), SUM(n_items), SUM(added), SUM(updated), SUM(unchanged), SUM(quarantined)"
                f" FROM ingest_jobs{where} GROUP BY state",
                args,
            ).fetchall()
        chunks = {"queued": 0, "running": 0, "done": 0, "failed": 0}
        items = dict(chunks)
        written = {"added": 0, "updated": 0, "unchanged": 0, "quarantined": 0}
        for state, n, k, *sums in rows:
            chunks[state], items[state] = int(n), int(k or 0)
            for key, value in zip(written, sums, strict=True):
                written[key] += int(value or 0)
        return IngestProgress(chunks, items, written)

    def failed_ingest(self, batch: str | None = None, limit: int = 50) -> list[dict]:
        where, args = (" AND batch = ?", [batch]) if batch else ("", [])
        with self._lock:
            rows = self.db.execute(
                f"SELECT id, batch, label, n_items, attempts, error FROM ingest_jobs WHERE state = 'failed'{where}"
                " ORDER BY id LIMIT ?",
                [*args, limit],
            ).fetchall()
        keys = ("id", "batch", "label", "items", "attempts", "error")
        return [dict(zip(keys, r, strict=True)) for r in rows]
