"""Reading story clusters: which cluster a document is in, a cluster's members, the largest clusters, counts.

Used by search (collapsing hits into stories), ``assay dupes`` and the API. Reads only; see ``clusters.py``
for how clusters are made.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..model import StoryMember

MAX_LISTED = 50  # members listed under one card ("N similar" still counts them all)
_CHUNK = 900


@dataclass(slots=True)
class Story:
    id: str
    representative: str
    size: int
    members: list[StoryMember]

    def to_dict(self) -> dict[str, Any]:
        return {
            "cluster": self.id,
            "representative": self.representative,
            "size": self.size,
            "members": [m.to_dict() for m in self.members],
        }


class Stories:
    """Read access to the clusters kept in a ``SqliteStore``."""

    def __init__(self, store):
        self.store = store

    def _rows(self, sql: str, values, *params) -> Iterator[tuple]:
        values = list(values)
        with self.store._lock:
            for i in range(0, len(values), _CHUNK):
                chunk = values[i : i + _CHUNK]
                yield from self.store.db.execute(sql.format(",".join("?" * len(chunk))), [*params, *chunk]).fetchall()

    def heads_of(self, ids: list[str]) -> dict[str, tuple[str, str, int]]:
        """Each document's (cluster, representative, size) in one query; a document without a cluster of
        two or more is a story of its own: (its id, its id, 1)."""
        sql = (
            "SELECT d.id, d.cluster_id, c.representative, c.size FROM documents d"
            " LEFT JOIN clusters c ON c.id = d.cluster_id WHERE d.id IN ({})"
        )
        rows = self._rows(sql, ids)
        found = {doc: (cluster or doc, rep or doc, size or 1) for doc, cluster, rep, size in rows}
        return {i: found.get(i, (i, i, 1)) for i in ids}

    def members(self, cluster_ids: list[str], limit: int = MAX_LISTED) -> dict[str, list[StoryMember]]:
        """Members of each cluster, earliest first (at most ``limit`` each)."""
        sql = (
            "SELECT d.cluster_id, d.id, d.title, d.source, d.url, d.published_at, d.date_only,"
            " m.kind, m.matched, m.similarity FROM documents d LEFT JOIN cluster_members m ON m.doc_id = d.id"
            " WHERE d.cluster_id IN ({}) ORDER BY COALESCE(d.published_ts, 4611686018427387904), d.id"
        )
        out: dict[str, list[StoryMember]] = {}
        for r in self._rows(sql, cluster_ids):
            listed = out.setdefault(r[0], [])
            if len(listed) < limit:
                when = datetime.fromisoformat(r[5]) if r[5] else None
                listed.append(StoryMember(r[1], r[2], r[3], r[4], when, bool(r[6]), r[7] or "first", r[8], r[9]))
        return out

    def record_ids(self, doc_ids: list[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for ext, doc in self._rows("SELECT external_id, doc_id FROM external_ids WHERE doc_id IN ({})", doc_ids):
            out.setdefault(doc, []).append(ext)
        return {k: sorted(v) for k, v in out.items()}

    def stories(self, min_size: int = 2, limit: int | None = None, with_records: bool = True) -> list[Story]:
        """Clusters of at least ``min_size`` documents, the largest first, with all their members."""
        sql = "SELECT id, representative, size FROM clusters WHERE size >= ? ORDER BY size DESC, id"
        params: list = [min_size]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self.store._lock:
            heads = self.store.db.execute(sql, params).fetchall()
        members = self.members([h[0] for h in heads], limit=10**9)
        if with_records:
            records = self.record_ids([m.id for ms in members.values() for m in ms])
            for ms in members.values():
                for m in ms:
                    m.record_ids = records.get(m.id, [])
        return [Story(cid, rep, size, members.get(cid, [])) for cid, rep, size in heads]

    def stats(self) -> dict[str, Any]:
        with self.store._lock:
            db = self.store.db
            docs = db.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
            unclustered = db.execute("SELECT COUNT(*) FROM documents WHERE cluster_id IS NULL").fetchone()[0]
            multi, in_multi, largest = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(MAX(size), 1) FROM clusters"
            ).fetchone()
            kinds = dict(db.execute("SELECT kind, COUNT(*) FROM cluster_members GROUP BY kind").fetchall())
        return {
            "documents": docs,
            "stories": docs - (in_multi - multi),
            "clusters_with_copies": multi,
            "documents_in_them": in_multi,
            "copies_folded": in_multi - multi,
            "largest": largest if docs else 0,
            "unclustered": unclustered,
            "joined_as": {k: kinds.get(k, 0) for k in ("exact", "near", "revision")},
        }
