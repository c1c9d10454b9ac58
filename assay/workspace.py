"""A data directory opened for use: the store, the full-text index (caught up), and a searcher."""

from __future__ import annotations

from pathlib import Path

from .search.engine import Searcher
from .search.index import FullTextIndex
from .search.vectors import VectorIndex
from .settings import Settings
from .store import open_store
from .summarize.worker import backend_key
from .text.embed import available as embed_available


class Workspace:
    def __init__(self, settings: Settings, catch_up: bool = True):
        self.settings = settings
        self.home: Path = settings.home
        self.home.mkdir(parents=True, exist_ok=True)
        self.store = open_store(settings)
        self.index = FullTextIndex(settings.index_dir)
        if catch_up:
            self.index.catch_up(self.store)
        # document vectors (semantic and hybrid search), when the semantic extra is installed
        self.vectors = VectorIndex(self.home, self.store) if embed_available() else None
        self.searcher = Searcher(
            self.store,
            self.index,
            backend_key(settings),
            hide_unsupported=settings.unsupported_bullets == "hide",
            tz=settings.tz,
            vectors=self.vectors,
        )

    def close(self) -> None:
        if self.vectors is not None:
            self.vectors.save()
        self.index.close()
        self.store.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
