"""Search: the full-text index (tantivy, fed our own tokens), query parsing, ranking, snippets."""

from .engine import Searcher, search
from .index import FullTextIndex

__all__ = ["FullTextIndex", "Searcher", "search"]
