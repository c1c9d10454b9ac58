"""Near duplicates and story clusters: signatures at ingest (``signature``), clusters kept in the store and
maintained batch by batch (``clusters``, with the LSH buckets in ``bands``), read by search (``stories``)."""

from .clusters import StoryClusters
from .stories import Stories, Story

__all__ = ["Stories", "Story", "StoryClusters"]
