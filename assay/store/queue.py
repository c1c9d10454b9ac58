"""The summary queue, in the store: jobs survive restarts, a dead worker's job is retried, and a job's
summary and its "done" are written in one transaction — so a document never ends up with two current
summaries, whatever is killed when.

A job is one (content_hash, backend): the same text is summarized once per backend, however many
documents carry it. States: ``queued`` → ``running`` (leased by one worker until ``lease_until``) →
``done`` | ``failed`` (after ``max_attempts``, with the last error). A running job whose lease ran out, or
whose worker process on this host is gone, is taken again by the next claim.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ..model import TEMPLATE_VERSION
from .rows import SummaryRow

QUEUE_SCHEMA = """
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    backend TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL DEFAULT 0,
    lease_until REAL,
    worker TEXT,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (content_hash, backend)
);
CREATE INDEX jobs_state ON jobs(state, not_before, id);
"""

# one summaries row (a ``summary_row`` tuple): used here by the worker and by sqlite.py at ingest
PUT_SUMMARY = (
    "INSERT INTO summaries (content_hash, backend, template_version, doc_id, data, created_at,"
    " supported, unsupported, unchecked) VALUES (?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (content_hash, backend, template_version) DO UPDATE SET doc_id=excluded.doc_id,"
    " data=excluded.data, created_at=excluded.created_at, supported=excluded.supported,"
    " unsupported=excluded.unsupported, unchecked=excluded.unchecked"
)
MAX_ATTEMPTS = 3  # attempts that ended in an error
MAX_CLAIMS = 10  # a job whose worker died this many times is given up (it may be what kills the worker)


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    doc_id: str
    content_hash: str
    backend: str
    attempts: int


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive_here(worker: str | None, host: str) -> bool:
    """False only when ``worker`` ran on this host and its process is gone."""
    if not worker or ":" not in worker:
        return True
    wh, _, pid = worker.rpartition(":")
    if wh != host or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class QueueMixin:
    """Queue operations for SqliteStore (which provides ``db`` and ``_lock``)."""

    def enqueue(self, items: list[tuple[str, str]], backend: str, force: bool = False) -> int:
        """Queue (doc_id, content_hash) pairs for ``backend``. A pair already summarized, queued or running
        is left alone unless ``force`` (then a done or failed job is queued again). Returns how many were queued."""
        if not items:
            return 0
        now = _now_iso()
        with self._write():
            return self._enqueue_rows(items, backend, force, now)

    def _enqueue_rows(self, items: list[tuple[str, str]], backend: str, force: bool, now: str) -> int:
        """Inside a caller's transaction (ingest enqueues in the same transaction as the documents). Without
        ``force``, a text that has a summary of the current template version is left alone (one made by an
        older template is queued again; a done job for it is not, see ``stale_summaries``). Returns how many
        were queued."""
        if force:
            cur = self.db.executemany(
                "INSERT INTO jobs (doc_id, content_hash, backend, created_at, updated_at) VALUES (?,?,?,?,?)"
                " ON CONFLICT(content_hash, backend) DO UPDATE SET state='queued', attempts=0, not_before=0,"
                " error=NULL, doc_id=excluded.doc_id, updated_at=excluded.updated_at"
                " WHERE jobs.state IN ('done', 'failed')",
                [(d, h, backend, now, now) for d, h in items],
            )
        else:
            cur = self.db.executemany(
                "INSERT INTO jobs (doc_id, content_hash, backend, created_at, updated_at)"
                " SELECT ?,?,?,?,? WHERE NOT EXISTS (SELECT 1 FROM summaries"
                " WHERE content_hash = ? AND backend = ? AND template_version = ?) ON CONFLICT DO NOTHING",
                [(d, h, backend, now, now, h, backend, TEMPLATE_VERSION) for d, h in items],
            )
        return max(cur.rowcount, 0)

    def claim(self, worker: str, n: int, lease_s: float, backend: str | None = None) -> list[Job]:
        """Lease up to ``n`` jobs to ``worker``: queued ones that are due first (fresh before retried), then
        running ones whose lease ran out or whose worker died."""
        now = time.time()
        host = socket.gethostname()
        with self._write():
            where, args = "", []
            if backend:
                where, args = " AND backend = ?", [backend]
            # queued jobs that are due, fresh ones (not_before 0) first, then retries; then running ones.
            # Two queries that walk the jobs_state index in its order: one query with an OR and a sort
            # read every queued job (49 ms a claim with 65k queued, against 0.08 ms)
            cols, want = "id, doc_id, content_hash, backend, attempts, state, lease_until, worker", n * 4 + 16
            rows = self.db.execute(
                f"SELECT {cols} FROM jobs WHERE state = 'queued' AND not_before <= ?{where}"
                " ORDER BY not_before, id LIMIT ?",
                [now, *args, want],
            ).fetchall()
            if len(rows) < want:
                rows += self.db.execute(
                    f"SELECT {cols} FROM jobs WHERE state = 'running'{where} ORDER BY id LIMIT ?",
                    [*args, want - len(rows)],
                ).fetchall()
            picked: list[Job] = []
            abandoned: list[int] = []
            for jid, doc_id, chash, be, attempts, state, lease, owner in rows:
                if state == "running" and (lease or 0) > now and _alive_here(owner, host):
                    continue
                if attempts >= MAX_CLAIMS:
                    abandoned.append(jid)
                    continue
                picked.append(Job(jid, doc_id, chash, be, attempts + 1))
                if len(picked) >= n:
                    break
            self.db.executemany(
                "UPDATE jobs SET state='running', attempts=attempts+1, lease_until=?, worker=?, updated_at=?"
                " WHERE id = ?",
                [(now + lease_s, worker, _now_iso(), j.id) for j in picked],
            )
            self.db.executemany(
                "UPDATE jobs SET state='failed', error=? WHERE id = ?",
                [(f"abandoned: its worker stopped {MAX_CLAIMS} times while on it", j) for j in abandoned],
            )
        return picked

    def finish(self, job: Job, worker: str, summary_row: SummaryRow | None) -> bool:
        """Write the job's summary and mark it done, in one transaction. False (nothing written) when the
        job is no longer this worker's (its lease ran out and another worker took it)."""
        return bool(self.finish_many([(job, summary_row)], worker))

    def finish_many(self, results: list[tuple[Job, SummaryRow | None]], worker: str) -> set[int]:
        """``finish`` for several jobs in one transaction (a summary and its job's "done" still commit
        together). Returns the ids of the jobs that were still this worker's, which were written."""
        if not results:
            return set()
        now = _now_iso()
        written: set[int] = set()
        with self._write():
            for job, summary_row in results:
                owned = self.db.execute(
                    "SELECT 1 FROM jobs WHERE id = ? AND state = 'running' AND worker = ?", (job.id, worker)
                ).fetchone()
                if not owned:
                    continue
                if summary_row is not None:
                    self.db.execute(PUT_SUMMARY, summary_row)
                    self.db.execute(  # the same text's summary by an older template is replaced
                        "DELETE FROM summaries WHERE content_hash = ? AND backend = ? AND template_version < ?",
                        (summary_row.content_hash, summary_row.backend, summary_row.template_version),
                    )
                self.db.execute(
                    "UPDATE jobs SET state='done', error=NULL, lease_until=NULL, updated_at=? WHERE id = ?",
                    (now, job.id),
                )
                written.add(job.id)
        return written

    def fail(self, job: Job, worker: str, error: str, retry_in: float | None) -> None:
        """Record a failed attempt: queued again after ``retry_in`` seconds, or ``failed`` for good."""
        state = "queued" if retry_in is not None and job.attempts < MAX_ATTEMPTS else "failed"
        with self._lock:
            self.db.execute(
                "UPDATE jobs SET state=?, error=?, not_before=?, lease_until=NULL, updated_at=?"
                " WHERE id = ? AND worker = ? AND state = 'running'",
                (state, error[:1000], time.time() + (retry_in or 0), _now_iso(), job.id, worker),
            )

    def release(self, jobs: list[Job], worker: str) -> None:
        """Give leased jobs back untouched (a worker stopping cleanly)."""
        with self._lock:
            self.db.executemany(
                "UPDATE jobs SET state='queued', attempts=CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END,"
                " lease_until=NULL"
                " WHERE id = ? AND worker = ? AND state = 'running'",
                [(j.id, worker) for j in jobs],
            )

    def summary_candidates(self, since: datetime | None = None) -> list[tuple[str, str]]:
        """(doc_id, content_hash) of stored documents, those published since ``since`` only when given."""
        sql, args = "SELECT id, content_hash FROM documents", []
        if since is not None:
            sql, args = sql + " WHERE published_ts >= ?", [int(since.timestamp())]
        with self._lock:
            return [tuple(r) for r in self.db.execute(sql + " ORDER BY published_ts DESC", args).fetchall()]

    def stale_summaries(self, backend: str) -> list[tuple[str, str]]:
        """(doc_id, content_hash) of documents whose ``backend`` summary was made by an older template
        version than this code's, and not yet by this one, newest first. Cards show the older summary
        meanwhile (``SQLiteStore.cards``); ``enqueue(..., force=True)`` queues them again."""
        sql = (
            "SELECT d.id, d.content_hash FROM documents d WHERE EXISTS (SELECT 1 FROM summaries s"
            " WHERE s.content_hash = d.content_hash AND s.backend = ? AND s.template_version < ?)"
            " AND NOT EXISTS (SELECT 1 FROM summaries s"
            " WHERE s.content_hash = d.content_hash AND s.backend = ? AND s.template_version = ?)"
            " ORDER BY d.published_ts DESC"
        )
        with self._lock:
            rows = self.db.execute(sql, (backend, TEMPLATE_VERSION, backend, TEMPLATE_VERSION)).fetchall()
        return [tuple(r) for r in rows]

    def queue_counts(self, backend: str | None = None) -> dict[str, int]:
        where, args = ("WHERE backend = ?", [backend]) if backend else ("", [])
        with self._lock:
            rows = self.db.execute(f"SELECT state, COUNT(*) FROM jobs {where} GROUP BY state", args).fetchall()
        out = {"queued": 0, "running": 0, "done": 0, "failed": 0}
        out.update(dict(rows))
        return out

    def failed_jobs(self, limit: int = 50) -> list[dict]:
        with self._lock:
            rows = self.db.execute(
                "SELECT doc_id, backend, attempts, error, updated_at FROM jobs WHERE state = 'failed'"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        keys = ("doc_id", "backend", "attempts", "error", "updated_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]
