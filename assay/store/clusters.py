"""The store's side of story clustering: the near-duplicate signatures, the ``clusters`` and ``cluster_members``
tables and each document's ``cluster_id``. assay/dedupe/clusters.py decides; these methods read what it needs
and write what it decided (``ClusterChanges``) — in the documents' own transaction (``write_rows(clusters=)``)
or on their own (``write_clusters``)."""

from __future__ import annotations

from contextlib import contextmanager

from ..model import ClusterChanges, DocumentText, SignedDocument, StoredSignature
from .rows import paragraphs_text

_LATE = 4611686018427387904  # no publication time: last

_ORDER = {
    "earliest": f"COALESCE(s.published_ts, {_LATE}), s.size DESC, s.doc_id",
    "complete": f"s.size DESC, COALESCE(s.published_ts, {_LATE}), s.doc_id",
}
# a joining document replaces the representative when it ranks first: (time, -size, id) or (-size, time, id);
# parameters (doc, ts, size, cluster, then ts, size, doc again for the comparison)
_BETTER = {
    "earliest": "UPDATE clusters SET representative = ?, rep_ts = ?, rep_size = ? WHERE id = ?"
    f" AND (COALESCE(CAST(? AS BIGINT), {_LATE}), -CAST(? AS BIGINT), CAST(? AS TEXT))"
    f" < (COALESCE(rep_ts, {_LATE}), -rep_size, representative)",
    "complete": "UPDATE clusters SET representative = ?, rep_ts = ?, rep_size = ? WHERE id = ?"
    f" AND (-CAST(? AS BIGINT), COALESCE(CAST(? AS BIGINT), {_LATE}), CAST(? AS TEXT))"
    f" < (-rep_size, COALESCE(rep_ts, {_LATE}), representative)",
}


class ClustersMixin:
    @contextmanager
    def snapshot(self):
        """Reads that must see one state of the store: no write of this process comes between them."""
        with self._lock:
            yield

    # -- reads ----------------------------------------------------------------------------------------
    def signature_top(self) -> int:
        """The highest signature number held now (0: none)."""
        with self._lock:
            return self.db.execute("SELECT COALESCE(MAX(n), 0) FROM dupe_signatures").fetchone()[0]

    def signatures_after(self, n: int) -> list[StoredSignature]:
        with self._lock:
            rows = self.db.execute(
                "SELECT s.n, s.bands, s.shingles, s.sketch, d.cluster_id, s.published_ts FROM dupe_signatures s"
                " LEFT JOIN documents d ON d.id = s.doc_id WHERE s.n > ? ORDER BY s.n",
                (n,),
            ).fetchall()
        return [StoredSignature(*r) for r in rows]

    def signed(self, ids: list[str]) -> list[str]:
        """Those of these documents that have a signature (they were clustered)."""
        return [r[0] for r in self._chunked("SELECT doc_id FROM dupe_signatures WHERE doc_id IN ({})", ids)]

    def taken_cluster_ids(self, ids: list[str]) -> set[str]:
        """Of these cluster ids, those that other documents than the one they are named after hold."""
        sql = "SELECT cluster_id FROM documents WHERE cluster_id IN ({}) AND id != cluster_id"
        return {r[0] for r in self._chunked(sql, ids)}

    def signatures_by_exact(self, keys: set[str], after: int = 0) -> dict[str, int]:
        """A stored signature number for each exact key that has one (numbered above ``after``, when given)."""
        if after:
            sql = "SELECT exact, n FROM dupe_signatures WHERE n > ? AND exact IN ({})"
            return dict(self._chunked(sql, keys, after))
        return dict(self._chunked("SELECT exact, n FROM dupe_signatures WHERE exact IN ({})", keys))

    def signed_documents(self, ns: set[int]) -> dict[int, SignedDocument]:
        """The clustered documents of these signature numbers."""
        sql = (
            "SELECT s.n, s.doc_id, d.cluster_id, d.title, d.source, d.doc_type, s.published_ts, s.size"
            " FROM dupe_signatures s"
            " JOIN documents d ON d.id = s.doc_id WHERE s.n IN ({}) AND d.cluster_id IS NOT NULL"
        )
        return {r[0]: SignedDocument(*r[1:]) for r in self._chunked(sql, ns)}

    def document_texts(self, ids: list[str]) -> list[DocumentText]:
        """Title and body of each of these documents that is stored."""
        sql = "SELECT id, title, paragraphs FROM documents WHERE id IN ({})"
        return [DocumentText(i, title, paragraphs_text(p)) for i, title, p in self._chunked(sql, ids)]

    def unclustered(self, limit: int) -> list[DocumentText]:
        """Documents without a cluster (written before clustering existed, or around the pipeline), oldest
        ingest first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT id, title, paragraphs, source, doc_type, published_ts FROM documents"
                " WHERE cluster_id IS NULL ORDER BY ingested_at, id LIMIT ?",
                (limit,),
            ).fetchall()
        return [DocumentText(i, title, paragraphs_text(p), src, kind, ts) for i, title, p, src, kind, ts in rows]

    # -- writes ---------------------------------------------------------------------------------------
    def write_clusters(self, changes: ClusterChanges) -> None:
        """Apply a batch's cluster changes in a transaction of their own."""
        with self._write() as db:
            _apply(db, changes)

    def clear_clusters(self) -> None:
        """Forget every cluster and signature (a rebuild clusters the store again)."""
        with self._write() as db:
            for table in ("dupe_signatures", "cluster_members", "clusters"):
                db.execute(f"DELETE FROM {table}")
            db.execute("UPDATE documents SET cluster_id = NULL WHERE cluster_id IS NOT NULL")


def _apply(db, changes: ClusterChanges, held: frozenset[str] = frozenset()) -> None:
    """Write ``changes`` on ``db``, inside the caller's transaction. ``held``: documents whose rows, written in
    this transaction, already hold their own id as cluster id (a story of their own, the commonest decision)."""
    _remove(db, changes.removed, changes.representative)
    done = changes.assignments
    db.executemany(
        "INSERT INTO dupe_signatures (n, doc_id, exact, size, published_ts, bands, shingles, sketch)"
        " VALUES (?,?,?,?,?,?,?,?)",
        [(a.n, a.doc_id, a.exact, a.size, a.published_ts, a.bands, a.shingles, a.sketch) for a in done],
    )
    removed = set(changes.removed)
    db.executemany(
        "UPDATE documents SET cluster_id = ? WHERE id = ?",
        [
            (a.cluster, a.doc_id)
            for a in done
            if (not changes.rows_carry_cluster or a.doc_id in removed)
            and not (a.doc_id in held and a.cluster == a.doc_id and a.doc_id not in removed)
        ],
    )
    joined = [a for a in done if a.kind != "first"]
    db.executemany(
        "INSERT INTO cluster_members (doc_id, cluster_id, kind, matched, similarity) VALUES (?,?,?,?,?)",
        [(a.doc_id, a.cluster, a.kind, a.matched, a.similarity) for a in joined],
    )
    db.executemany(  # a story's first copy makes it a cluster of two: the other one is what it matched
        "INSERT INTO clusters (id, representative, size, rep_ts, rep_size) VALUES (?, ?, 1, ?, ?)"
        " ON CONFLICT DO NOTHING",
        [(a.cluster, a.matched, a.matched_ts, a.matched_size) for a in joined],
    )
    rank = (
        (lambda a: (a.published_ts, a.size))
        if changes.representative == "earliest"
        else (lambda a: (a.size, a.published_ts))
    )
    db.executemany(
        _BETTER[changes.representative],
        [(a.doc_id, a.published_ts, a.size, a.cluster, *rank(a), a.doc_id) for a in joined],
    )
    grown: dict[str, int] = {}
    for a in joined:
        grown[a.cluster] = grown.get(a.cluster, 0) + 1
    db.executemany("UPDATE clusters SET size = size + ? WHERE id = ?", [(k, c) for c, k in grown.items()])


def _remove(db, doc_ids: list[str], representative: str) -> None:
    """Take documents out of their stories (their text changed; they are assigned again)."""
    if not doc_ids:
        return
    marks = ",".join("?" * len(doc_ids))
    clusters = [r[0] for r in db.execute(f"SELECT cluster_id FROM documents WHERE id IN ({marks})", doc_ids)]
    db.execute(f"DELETE FROM dupe_signatures WHERE doc_id IN ({marks})", doc_ids)
    db.execute(f"DELETE FROM cluster_members WHERE doc_id IN ({marks})", doc_ids)
    db.execute(f"UPDATE documents SET cluster_id = NULL WHERE id IN ({marks})", doc_ids)
    for cluster in {c for c in clusters if c}:
        left = db.execute("SELECT COUNT(*) FROM documents WHERE cluster_id = ?", (cluster,)).fetchone()[0]
        if left <= 1:
            db.execute("DELETE FROM cluster_members WHERE cluster_id = ?", (cluster,))
            db.execute("DELETE FROM clusters WHERE id = ?", (cluster,))
        else:
            db.execute("UPDATE clusters SET size = ? WHERE id = ?", (left, cluster))
            row = db.execute(  # the representative chosen again among the members left
                "SELECT s.doc_id, s.published_ts, s.size FROM documents d JOIN dupe_signatures s ON s.doc_id = d.id"
                f" WHERE d.cluster_id = ? ORDER BY {_ORDER[representative]} LIMIT 1",
                (cluster,),
            ).fetchone()
            if row:
                db.execute(
                    "UPDATE clusters SET representative = ?, rep_ts = ?, rep_size = ? WHERE id = ?", (*row, cluster)
                )
