"""The store's side of story clusters, read only: each document's story, a story's members, the largest
stories and the counts (tables ``clusters`` and ``cluster_members``, written with the documents: see
assay/dedupe/clusters.py). assay/dedupe/stories.py is the reading API over these methods."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model import StoryHead, StoryMember


class StoriesMixin:
    def story_heads(self, ids: list[str]) -> dict[str, StoryHead]:
        """Each document's story, in one query (a document of no cluster: a story of its own)."""
        sql = (
            "SELECT d.id, d.cluster_id, c.representative, c.size FROM documents d"
            " LEFT JOIN clusters c ON c.id = d.cluster_id WHERE d.id IN ({})"
        )
        found = {
            doc: StoryHead(cluster or doc, rep or doc, size or 1) for doc, cluster, rep, size in self._chunked(sql, ids)
        }
        return {i: found.get(i) or StoryHead(i, i, 1) for i in ids}

    def story_members(self, cluster_ids: list[str], limit: int) -> dict[str, list[StoryMember]]:
        """The members of each cluster, earliest first (at most ``limit`` each)."""
        sql = (
            "SELECT d.cluster_id, d.id, d.title, d.source, d.url, d.published_at, d.date_only,"
            " m.kind, m.matched, m.similarity FROM documents d LEFT JOIN cluster_members m ON m.doc_id = d.id"
            " WHERE d.cluster_id IN ({}) ORDER BY COALESCE(d.published_ts, 4611686018427387904), d.id"
        )
        out: dict[str, list[StoryMember]] = {}
        for cluster, doc, title, source, url, published, date_only, kind, matched, sim in self._chunked(
            sql, cluster_ids
        ):
            listed = out.setdefault(cluster, [])
            if len(listed) < limit:
                when = datetime.fromisoformat(published) if published else None
                listed.append(
                    StoryMember(doc, title, source, url, when, bool(date_only), kind or "first", matched, sim)
                )
        return out

    def record_ids_of(self, doc_ids: list[str]) -> dict[str, list[str]]:
        """The record ids each document was ingested under (those it has), sorted."""
        out: dict[str, list[str]] = {}
        for ext, doc in self._chunked("SELECT external_id, doc_id FROM external_ids WHERE doc_id IN ({})", doc_ids):
            out.setdefault(doc, []).append(ext)
        return {k: sorted(v) for k, v in out.items()}

    def largest_stories(self, min_size: int = 2, limit: int | None = None) -> list[StoryHead]:
        """Clusters of at least ``min_size`` documents, the largest first."""
        sql = "SELECT id, representative, size FROM clusters WHERE size >= ? ORDER BY size DESC, id"
        params: list = [min_size]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._lock:
            return [StoryHead(*row) for row in self.db.execute(sql, params).fetchall()]

    def story_stats(self) -> dict[str, Any]:
        with self._lock:
            db = self.db
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
