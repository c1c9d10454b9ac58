"""Reading story clusters: which story a document is in, a story's members, the largest stories, counts.

Used by search (collapsing hits into stories), ``assay dupes`` and the API. Reads only, through the store's
methods (``story_heads``, ``story_members``, ``record_ids_of``, ``largest_stories``, ``story_stats``); see
``clusters.py`` for how clusters are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import StoryHead, StoryMember

MAX_LISTED = 50  # members listed under one card ("N similar" still counts them all)


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
    """Read access to the clusters a store keeps."""

    def __init__(self, store):
        self.store = store

    def heads_of(self, ids: list[str]) -> dict[str, StoryHead]:
        """Each document's story in one query; a document without a cluster of two or more is a story of its
        own (its id, its id, 1)."""
        return self.store.story_heads(ids)

    def members(self, cluster_ids: list[str], limit: int = MAX_LISTED) -> dict[str, list[StoryMember]]:
        """Members of each cluster, earliest first (at most ``limit`` each)."""
        return self.store.story_members(cluster_ids, limit)

    def record_ids(self, doc_ids: list[str]) -> dict[str, list[str]]:
        return self.store.record_ids_of(doc_ids)

    def stories(self, min_size: int = 2, limit: int | None = None, with_records: bool = True) -> list[Story]:
        """Clusters of at least ``min_size`` documents, the largest first, with all their members."""
        heads = self.store.largest_stories(min_size, limit)
        members = self.members([h.cluster for h in heads], limit=10**9)
        if with_records:
            records = self.record_ids([m.id for ms in members.values() for m in ms])
            for ms in members.values():
                for m in ms:
                    m.record_ids = records.get(m.id, [])
        return [Story(h.cluster, h.representative, h.size, members.get(h.cluster, [])) for h in heads]

    def stats(self) -> dict[str, Any]:
        return self.store.story_stats()
