"""The system of record over SQL: everything a store does, written once in SQL that SQLite and PostgreSQL
both run (``ON CONFLICT``, ``RETURNING``, no engine functions). A subclass brings the connection — ``db``,
whose ``execute``/``executemany`` take ``?`` placeholders and return a cursor —, its ``_lock``, ``_write()``
(one write transaction), its schema, and the few statements engines spell differently (the signature
numbers' high-water mark, the order documents were written in)."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import orjson

from ..errors import Conflict, NotFound
from ..model import (
    ApiKey,
    ClusterChanges,
    Document,
    IngestDone,
    KnownVersion,
    SavedSearch,
    StoredVector,
    Summary,
    VectorRow,
    VectorSource,
)
from .base import Status, WriteOutcome
from .clusters import ClustersMixin
from .clusters import _apply as _apply_clusters
from .files import FilesMixin
from .ingest_queue import IngestQueueMixin
from .queue import PUT_SUMMARY as _PUT_SUMMARY
from .queue import QueueMixin
from .rows import CardRow, RowEntry, StoredText, _now, _paragraphs_from, document_row, read_summary, summary_row
from .stories import StoriesMixin
from .web import WebMixin

log = logging.getLogger("assay.store")

CHUNK = 900  # values bound in one IN (...)

_DOC_COLUMNS = (
    "id, external_id, title, source, url, published_at, date_only, doc_type, lang, institution, "
    "symbols, tags, content_hash, cluster_id, paragraphs, ingested_at"
)


_UPSERT = (
    "INSERT INTO documents (id, external_id, title, source, url, published_at, published_ts,"
    " date_only, doc_type, lang, institution, symbols, tags, content_hash, cluster_id,"
    " n_paragraphs, paragraphs, ingested_at, updated_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT(id) DO UPDATE SET external_id=COALESCE(excluded.external_id, documents.external_id),"
    " title=excluded.title, source=excluded.source, url=excluded.url,"
    " published_at=excluded.published_at, published_ts=excluded.published_ts,"
    " date_only=excluded.date_only, doc_type=excluded.doc_type, lang=excluded.lang,"
    " institution=excluded.institution, symbols=excluded.symbols, tags=excluded.tags,"
    " content_hash=excluded.content_hash, n_paragraphs=excluded.n_paragraphs,"
    " paragraphs=excluded.paragraphs, updated_at=excluded.updated_at"
)


class SqlStore(QueueMixin, IngestQueueMixin, WebMixin, StoriesMixin, FilesMixin, ClustersMixin):
    """The store's behaviour, over a subclass's connection."""

    integrity_errors: tuple[type[Exception], ...] = ()  # what the driver raises on a UNIQUE violation

    @contextmanager
    def _transaction(self, begin: str = "BEGIN IMMEDIATE"):
        """One transaction under the lock, ROLLBACK on any error (the connections are in autocommit mode, where
        ``with db:`` would commit each statement on its own)."""
        with self._lock:
            self.db.execute(begin)
            try:
                yield self.db
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    def _write(self):
        """A write transaction: it holds the store's write lock (SQLite's BEGIN IMMEDIATE; on PostgreSQL an
        advisory lock, see postgres.py), so writes, and the change log, commit one at a time."""
        return self._transaction()

    def _write_documents(self):
        """The transaction of ``write_rows``. SQLite's holds the write lock from its start (one writer); a
        store of many writers takes its locks inside it (``_enter_stories``, ``_enter_log``)."""
        return self._write()

    def _enter_stories(self) -> None:
        """Inside ``write_rows``: from here to COMMIT, one batch at a time plans and writes story clusters."""

    def _enter_log(self) -> None:
        """Inside ``write_rows``: from here to COMMIT, one transaction at a time appends to the change log."""

    @contextmanager
    def story_lock(self):
        """Held from a batch's story-cluster plan to its write, so that one ingest plans at a time and sees
        every batch written before it. SQLite needs none: one process writes at a time (the index writer)."""
        yield

    def _chunked(self, sql: str, values, *params) -> Iterator[tuple]:
        """Rows of ``sql`` whose ``IN ({})`` takes ``values``, a chunk of them at a time (SQLite's host
        parameters are limited), after ``params``."""
        values = list(values)
        with self._lock:
            for i in range(0, len(values), 900):
                chunk = values[i : i + 900]
                yield from self.db.execute(sql.format(",".join("?" * len(chunk))), [*params, *chunk]).fetchall()

    # -- writes -----------------------------------------------------------------------------------
    def existing_hashes(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(ids)
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(ids), 900):
                chunk = ids[i : i + 900]
                marks = ",".join("?" * len(chunk))
                rows = self.db.execute(f"SELECT id, content_hash FROM documents WHERE id IN ({marks})", chunk)
                out.update(dict(rows.fetchall()))
        return out

    def known_versions(self, ids: list[str]) -> dict[str, KnownVersion]:
        """The stored version of each document that has one."""
        with self._lock:
            return known_versions_in(self.db, ids)

    def write_batch(self, docs: list[Document], summaries: list[Summary]) -> WriteOutcome:
        """Insert or update documents (and their summaries) in one transaction."""
        by_doc = {s.doc_id: s for s in summaries}
        entries = []
        for d in docs:
            s = by_doc.get(d.id)
            entries.append(
                RowEntry(
                    d.id,
                    d.content_hash,
                    d.external_id,
                    document_row(d),
                    summary_row(s, d.content_hash, [p.text for p in d.paragraphs]) if s else None,
                )
            )
        return self.write_rows(entries)

    def write_rows(
        self,
        entries: list[RowEntry],
        queue_backend: str | None = None,
        clusters: ClusterChanges | Callable[[], ClusterChanges] | None = None,
        external_ids: Iterable[tuple[str, str]] = (),
        ingest_job: IngestDone | None = None,
    ) -> WriteOutcome:
        """The bulk path of ``write_batch``: rows prepared by ``document_row``/``summary_row`` (in workers).
        With ``queue_backend``, a summary job for each added or changed document is queued in the same
        transaction, and the batch's story clusters (``clusters``) are written in it too. ``external_ids`` are more
        (document id, record id) pairs: records of the batch that named a document of another entry. With
        ``ingest_job``, that chunk of the ingest queue is marked done in the same transaction (``LeaseLost``, and
        nothing written, when it is no longer the worker's).

        ``clusters`` may be a function that plans them: it is called inside the transaction, after the documents
        are written and once the store's story section is entered (one batch at a time across every process
        and machine: the plan sees each batch written before). Only the plan and what follows it — signatures,
        clusters, the change log, the commit — are serialized (``WriteOutcome.serialized_s``); the documents,
        their summaries and record ids are written before, side by side with other writers."""
        statuses: dict[str, Status] = {}
        serial_from = None
        with self._write_documents():
            before = self.existing_hashes(e.id for e in entries)
            rows, summaries, changed = [], [], []
            for e in entries:
                old = before.get(e.id)
                if old == e.content_hash:
                    statuses.setdefault(e.id, "unchanged")
                    continue
                statuses[e.id] = "updated" if old is not None or e.id in statuses else "added"
                before[e.id] = e.content_hash
                changed.append(e.id)
                rows.append(e.row)
                if e.summary is not None:
                    summaries.append(e.summary)
            self.db.executemany(_UPSERT, rows)
            self.db.executemany(
                "INSERT INTO external_ids (external_id, doc_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(e.external_id, e.id) for e in entries if e.external_id]
                + [(ext, doc_id) for doc_id, ext in external_ids if ext],
            )
            self.db.executemany(_PUT_SUMMARY, summaries)
            self.db.executemany(
                "INSERT INTO sources (source) VALUES (?) ON CONFLICT DO NOTHING",
                [(s,) for s in sorted({r.source for r in rows})],
            )
            self._enter_stories()
            serial_from = time.perf_counter()
            if callable(clusters):
                clusters = clusters()
            self._enter_log()
            self.db.executemany("INSERT INTO changes (doc_id) VALUES (?)", [(i,) for i in dict.fromkeys(changed)])
            if queue_backend:
                self._enqueue_rows([(r.id, r.content_hash) for r in rows], queue_backend, False, _now())
            if clusters is not None:
                held = frozenset(r.id for r in rows if r.cluster_id == r.id and statuses[r.id] == "added")
                _apply_clusters(self.db, clusters, held)
            if ingest_job is not None:
                counts = {
                    "unchanged": ingest_job.unchanged,
                    "quarantined": ingest_job.quarantined,
                    "updated": ingest_job.updated,
                }
                for status in statuses.values():
                    counts[status] = counts.get(status, 0) + 1
                self._finish_ingest(ingest_job.job_id, ingest_job.worker, counts)
            last = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]
        return WriteOutcome(statuses, last, time.perf_counter() - serial_from)

    def add_external_id(self, doc_id: str, external_id: str | None) -> None:
        if external_id:
            with self._lock:
                self.db.execute(
                    "INSERT INTO external_ids (external_id, doc_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    (external_id, doc_id),
                )

    def quarantine(self, source: str, reason: str, raw: bytes) -> bool:
        """Keep a rejected input (all of its bytes) with its reason. False if it was already kept."""
        digest = hashlib.sha256(raw).hexdigest()
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        blob = self.quarantine_dir / f"{digest}.bin"
        if not blob.exists():
            tmp = blob.with_suffix(".tmp")
            tmp.write_bytes(raw)
            tmp.replace(blob)
        with self._lock:
            cur = self.db.execute(
                "INSERT INTO quarantine (input, reason, sha256, size, blob_path, created_at)"
                " VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                (source, reason, digest, len(raw), blob.name, _now()),
            )
            return cur.rowcount > 0

    def quarantined(self, limit: int = 100) -> list[dict]:
        with self._lock:
            rows = self.db.execute(
                "SELECT id, input, reason, size, blob_path, created_at FROM quarantine ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        keys = ("id", "input", "reason", "size", "blob", "created_at")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    # -- reads ------------------------------------------------------------------------------------
    def _doc(self, row: tuple) -> Document:
        (
            id_,
            ext,
            title,
            source,
            url,
            published,
            date_only,
            doc_type,
            lang,
            inst,
            symbols,
            tags,
            chash,
            cluster,
            paragraphs,
            ingested,
        ) = row
        return Document(
            id=id_,
            external_id=ext,
            title=title,
            source=source,
            url=url,
            published_at=datetime.fromisoformat(published) if published else None,
            date_only=bool(date_only),
            doc_type=doc_type,
            lang=lang,
            institution=inst,
            symbols=orjson.loads(symbols),
            tags=orjson.loads(tags),
            content_hash=chash,
            cluster_id=cluster,
            paragraphs=_paragraphs_from(paragraphs),
            ingested_at=datetime.fromisoformat(ingested),
        )

    def resolve(self, key: str) -> str:
        """A document id from its id, its external (record) id, or a unique id prefix."""
        with self._lock:
            if self.db.execute("SELECT 1 FROM documents WHERE id = ?", (key,)).fetchone():
                return key
            row = self.db.execute("SELECT doc_id FROM external_ids WHERE external_id = ?", (key,)).fetchone()
            if row:
                return row[0]
            if len(key) >= 6:
                rows = self.db.execute(
                    "SELECT id FROM documents WHERE id >= ? AND id < ? LIMIT 2", (key, key + "\uffff")
                ).fetchall()
                if len(rows) == 1:
                    return rows[0][0]
        raise NotFound(f"no document with id {key!r}")

    def get_document(self, key: str) -> Document:
        doc_id = self.resolve(key)
        with self._lock:
            row = self.db.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise NotFound(f"no document with id {key!r}")
        return self._doc(row)

    def get_documents(self, ids: list[str]) -> dict[str, Document]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        with self._lock:
            rows = self.db.execute(f"SELECT {_DOC_COLUMNS} FROM documents WHERE id IN ({marks})", ids).fetchall()
        return {r[0]: self._doc(r) for r in rows}

    def cards(self, ids: list[str], backends: tuple[str, ...], version: int) -> dict[str, CardRow]:
        """What a result card needs, in one query, by id. The summary is the first
        of ``backends`` that has one for the document's text, of template ``version`` or, until it is made
        again (``stale_summaries``), of the newest older version: still verbatim and cited, only picked by an
        older template."""
        if not ids:
            return {}
        joins, datas, params = [], [], []
        for k, backend in enumerate(backends):
            joins.append(
                f" LEFT JOIN summaries s{k} ON s{k}.content_hash = d.content_hash AND s{k}.backend = ?"
                f" AND s{k}.template_version = (SELECT MAX(template_version) FROM summaries"
                f" WHERE content_hash = d.content_hash AND backend = ? AND template_version <= ?)"
            )
            datas.append(f"s{k}.data")
            params += [backend, backend, version]
        summary = f"COALESCE({', '.join(datas)})" if len(datas) > 1 else datas[0] if datas else "NULL"
        sql = (
            "SELECT d.id, d.external_id, d.title, d.source, d.url, d.published_at, d.date_only, d.doc_type,"
            f" d.lang, d.paragraphs, {summary} FROM documents d{''.join(joins)}"
            f" WHERE d.id IN ({','.join('?' * len(ids))})"
        )
        with self._lock:
            rows = self.db.execute(sql, [*params, *ids]).fetchall()
        return {r[0]: CardRow(*r) for r in rows}

    def external_ids(self, doc_id: str) -> list[str]:
        with self._lock:
            rows = self.db.execute("SELECT external_id FROM external_ids WHERE doc_id = ?", (doc_id,)).fetchall()
        return [r[0] for r in rows]

    def summaries_for(self, docs: Iterable[Document], backend: str, version: int) -> dict[str, Summary]:
        """Cached summaries by document id (looked up by content hash, backend, template version; the newest
        older version where this one is not made yet, as in ``cards``)."""
        docs = list(docs)
        by_hash: dict[str, list[str]] = {}
        for d in docs:
            by_hash.setdefault(d.content_hash, []).append(d.id)
        if not by_hash:
            return {}
        marks = ",".join("?" * len(by_hash))
        with self._lock:
            rows = self.db.execute(
                f"SELECT content_hash, data FROM summaries WHERE backend = ? AND template_version <= ?"
                f" AND content_hash IN ({marks}) ORDER BY template_version DESC",
                [backend, version, *by_hash],
            ).fetchall()
        texts = {d.content_hash: [p.text for p in d.paragraphs] for d in docs}
        out = {}
        done: set[str] = set()
        for chash, data in rows:
            if chash in done:
                continue  # an older version of a summary already read
            done.add(chash)
            for doc_id in by_hash[chash]:
                summary = read_summary(data, texts[chash], doc_id)
                if summary is not None:
                    out[doc_id] = summary
        return out

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        with self._lock:
            rows = self.db.execute("SELECT seq, doc_id FROM changes WHERE seq > ? ORDER BY seq", (seq,)).fetchall()
        if not rows:
            return seq, []
        return rows[-1][0], list(dict.fromkeys(r[1] for r in rows))

    def last_seq(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM changes").fetchone()[0]

    def prune_changes(self, upto: int, node: str | None = None) -> None:
        """An index has read the change log up to ``upto``: ``node`` (the index that did) records it, and the
        log is cut below the slowest index of the last week (its last entry stays: the position). Search nodes
        that share a store each keep their own cursor; one gone for a week no longer holds the log back."""
        with self._write():
            if node is not None:
                self.db.execute(
                    "INSERT INTO index_cursors (node, seq, updated_at) VALUES (?, ?, ?)"
                    " ON CONFLICT (node) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at",
                    (node, upto, _now()),
                )
            week = (datetime.now(UTC) - timedelta(days=7)).isoformat(timespec="seconds")
            slowest = self.db.execute("SELECT MIN(seq) FROM index_cursors WHERE updated_at >= ?", (week,)).fetchone()[0]
            if slowest is not None:
                upto = min(upto, slowest)
            self.db.execute("DELETE FROM changes WHERE seq <= ? AND seq < (SELECT MAX(seq) FROM changes)", (upto,))

    def index_cursors(self) -> dict[str, int]:
        """Each index's position in the change log."""
        with self._lock:
            return dict(self.db.execute("SELECT node, seq FROM index_cursors ORDER BY node").fetchall())

    def iter_documents(self, batch: int = 1000) -> Iterator[Document]:
        last = ""
        while True:
            with self._lock:
                rows = self.db.execute(
                    f"SELECT {_DOC_COLUMNS} FROM documents WHERE id > ? ORDER BY id LIMIT ?", (last, batch)
                ).fetchall()
            if not rows:
                return
            for r in rows:
                yield self._doc(r)
            last = rows[-1][0]

    # -- document vectors (semantic search) -------------------------------------------------------------
    def vector_todo(self, model: str, limit: int, chars: int) -> list[VectorSource]:
        """Documents without a current vector of ``model`` (none yet, or made from an older text): their
        title and first ``chars`` characters, oldest first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT d.id, d.content_hash, d.title, d.paragraphs FROM documents d"
                " LEFT JOIN vectors v ON v.doc_id = d.id AND v.model = ?"
                f" WHERE v.doc_id IS NULL OR v.content_hash != d.content_hash ORDER BY {self._written_order} LIMIT ?",
                (model, limit),
            ).fetchall()
        out = []
        for doc_id, content_hash, title, paragraphs in rows:
            text, n = [title], len(title)
            for p in orjson.loads(paragraphs):
                if n >= chars:
                    break
                text.append(p[0] if isinstance(p, list) else p)
                n += len(text[-1])
            out.append(VectorSource(doc_id, content_hash, "\n".join(text)[:chars]))
        return out

    def put_vectors(self, model: str, rows: list[VectorRow]) -> None:
        """Store vectors (one transaction); a document's older vector of the model is replaced."""
        with self._write():
            ids = [r.doc_id for r in rows]
            for i in range(0, len(ids), CHUNK):
                chunk = ids[i : i + CHUNK]
                self.db.execute(
                    f"DELETE FROM vectors WHERE model = ? AND doc_id IN ({','.join('?' * len(chunk))})", [model, *chunk]
                )
            self.db.executemany(
                "INSERT INTO vectors (doc_id, model, content_hash, vec) VALUES (?,?,?,?)",
                [(r.doc_id, model, r.content_hash, r.vec) for r in rows],
            )

    def vectors_since(self, model: str, seq: int, limit: int = 10_000) -> list[StoredVector]:
        """Vectors of ``model`` written after ``seq``, in write order."""
        with self._lock:
            rows = self.db.execute(
                "SELECT seq, doc_id, vec FROM vectors WHERE model = ? AND seq > ? ORDER BY seq LIMIT ?",
                (model, seq, limit),
            ).fetchall()
        return [StoredVector(*r) for r in rows]

    def vectors_of(self, model: str, doc_ids: list[str]) -> list[StoredVector]:
        """The current vectors of ``model`` of these documents (those that have one), in no order."""
        sql = "SELECT seq, doc_id, vec FROM vectors WHERE model = ? AND doc_id IN ({})"
        return [StoredVector(*r) for r in self._chunked(sql, doc_ids, model)]

    def vector_counts(self, model: str) -> tuple[int, int]:
        """(documents with a current vector of ``model``, documents)."""
        with self._lock:
            done = self.db.execute(
                "SELECT COUNT(*) FROM vectors v JOIN documents d ON d.id = v.doc_id"
                " WHERE v.model = ? AND v.content_hash = d.content_hash",
                (model,),
            ).fetchone()[0]
            total = self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        return done, total

    def drop_vectors(self, model: str | None = None) -> None:
        """Forget the vectors of ``model`` (all when None): ``assay reindex --vectors`` makes them again."""
        with self._write():
            if model is None:
                self.db.execute("DELETE FROM vectors")
            else:
                self.db.execute("DELETE FROM vectors WHERE model = ?", (model,))

    def stored_texts(self, batch: int = 2000) -> Iterator[StoredText]:
        """Every document's stored title, paragraphs and hash, as written (the integrity check reads them)."""
        last = ""
        while True:
            with self._lock:
                rows = self.db.execute(
                    "SELECT id, title, n_paragraphs, paragraphs, content_hash FROM documents WHERE id > ?"
                    " ORDER BY id LIMIT ?",
                    (last, batch),
                ).fetchall()
            if not rows:
                return
            yield from (StoredText(*r) for r in rows)
            last = rows[-1][0]

    def all_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self.db.execute("SELECT id FROM documents")}

    def sources_matching(self, fragment: str) -> list[str]:
        """Exact source names that contain ``fragment`` (case-insensitive)."""
        with self._lock:
            like = "%" + fragment.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = self.db.execute(
                "SELECT source FROM sources WHERE lower(source) LIKE ? ESCAPE '\\' ORDER BY source", (like,)
            ).fetchall()
        return [r[0] for r in rows]

    def count(self) -> int:
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    def count_unclustered(self) -> int:
        """Documents without a story cluster yet (the index on cluster_id counts them)."""
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM documents WHERE cluster_id IS NULL").fetchone()[0]

    def stats(self) -> dict:
        with self._lock:
            by = {}
            for col in ("source", "doc_type", "lang"):
                by[col] = dict(
                    self.db.execute(f"SELECT {col}, COUNT(*) FROM documents GROUP BY {col} ORDER BY 2 DESC").fetchall()
                )
            summaries = self.db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0]
            quarantined = self.db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]
            checks = self.db.execute(
                "SELECT backend, COUNT(*), SUM(supported), SUM(unsupported), SUM(unchecked) FROM summaries"
                " GROUP BY backend ORDER BY 2 DESC"
            ).fetchall()
        verification = {
            backend: {
                "summaries": n,
                "supported": sup,
                "unsupported": uns,
                "unchecked": unc,
                # the published quality figure: supported / checked bullets
                "supported_share": round(sup / (sup + uns), 4) if sup + uns else None,
            }
            for backend, n, sup, uns, unc in checks
        }
        return {
            "documents": self.count(),
            "summaries": summaries,
            "quarantined": quarantined,
            **by,
            "verification": verification,
        }

    def counts_by_day(self, days: int = 90) -> dict[str, int]:
        """Documents per publication day (the day as the source gave it), the latest ``days`` days."""
        with self._lock:
            rows = self.db.execute(
                "SELECT substr(published_at, 1, 10) AS day, COUNT(*) FROM documents WHERE published_at IS NOT NULL"
                " GROUP BY day ORDER BY day DESC LIMIT ?",
                (days,),
            ).fetchall()
        return dict(rows)

    # -- API keys ---------------------------------------------------------------------------------
    def add_api_key(self, name: str, prefix: str, key_hash: str) -> ApiKey:
        now = _now()
        with self._lock:
            key_id = self.db.execute(
                "INSERT INTO api_keys (name, prefix, key_hash, created_at) VALUES (?,?,?,?) RETURNING id",
                (name, prefix, key_hash, now),
            ).fetchall()[0][0]  # (all rows: a RETURNING statement finishes when they are read)
        return ApiKey(key_id, name, prefix, datetime.fromisoformat(now))

    def api_keys(self) -> list[ApiKey]:
        with self._lock:
            rows = self.db.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY id").fetchall()
        return [_api_key(r) for r in rows]

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        """The live (not revoked) key with this hash, marked as used now."""
        with self._lock:
            row = self.db.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,)
            ).fetchone()
            if row is not None:
                self.db.execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", (_now(), row[0]))
        return _api_key(row) if row else None

    def revoke_api_key(self, key: str) -> ApiKey:
        """Revoke a key by its id, name or prefix (exactly one live key must match)."""
        with self._lock:
            rows = self.db.execute(
                f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE revoked_at IS NULL"
                " AND (CAST(id AS TEXT) = ? OR name = ? OR prefix = ?)",
                (key, key, key),
            ).fetchall()
            if len(rows) != 1:
                why = "no live API key" if not rows else f"{len(rows)} live API keys match"
                raise NotFound(f"{why} with id, name or prefix {key!r}")
            self.db.execute("UPDATE api_keys SET revoked_at = ? WHERE id = ?", (_now(), rows[0][0]))
            row = self.db.execute(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = ?", (rows[0][0],)).fetchone()
        return _api_key(row)

    # -- saved searches ---------------------------------------------------------------------------
    def save_search(self, saved: SavedSearch) -> SavedSearch:
        now = _now()
        try:
            with self._write():
                cur = self.db.execute(
                    "INSERT INTO saved_searches (name, query, filters, sort, mode, created_at) VALUES (?,?,?,?,?,?)"
                    " RETURNING id",
                    (
                        saved.name,
                        saved.query,
                        json.dumps(saved.filters, ensure_ascii=False),
                        saved.sort,
                        saved.mode,
                        now,
                    ),
                )
                search_id = cur.fetchall()[0][0]
        except self.integrity_errors as exc:
            raise Conflict(f"a saved search named {saved.name!r} already exists") from exc
        return self.saved_search(search_id)

    def saved_searches(self) -> list[SavedSearch]:
        with self._lock:
            rows = self.db.execute(f"SELECT {_SAVED_COLUMNS} FROM saved_searches ORDER BY name").fetchall()
        return [_saved(r) for r in rows]

    def saved_search(self, search_id: int) -> SavedSearch:
        with self._lock:
            row = self.db.execute(f"SELECT {_SAVED_COLUMNS} FROM saved_searches WHERE id = ?", (search_id,)).fetchone()
        if row is None:
            raise NotFound(f"no saved search with id {search_id}")
        return _saved(row)

    def delete_saved_search(self, search_id: int) -> None:
        with self._lock:
            cur = self.db.execute("DELETE FROM saved_searches WHERE id = ?", (search_id,))
        if cur.rowcount == 0:
            raise NotFound(f"no saved search with id {search_id}")


_KEY_COLUMNS = "id, name, prefix, created_at, last_used_at, revoked_at"
_SAVED_COLUMNS = "id, name, query, filters, sort, mode, created_at"


def known_versions_in(db, ids: list[str]) -> dict[str, KnownVersion]:
    """The stored version of each of these documents that has one, over any connection (a worker's own)."""
    out = {}
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        sql = f"SELECT id, content_hash, ingested_at FROM documents WHERE id IN ({','.join('?' * len(chunk))})"
        out.update({r[0]: KnownVersion(r[1], r[2]) for r in db.execute(sql, chunk)})
    return out


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _api_key(row: tuple) -> ApiKey:
    id_, name, prefix, created, used, revoked = row
    return ApiKey(id_, name, prefix, datetime.fromisoformat(created), _when(used), _when(revoked))


def _saved(row: tuple) -> SavedSearch:
    id_, name, query, filters, sort, mode, created = row
    return SavedSearch(name, query, json.loads(filters), sort, id_, datetime.fromisoformat(created), mode)
