"""Watching folders for files to ingest (``assay ingest --watch``), by polling: portable, no extra package.

A file is ready when it is new or changed since it was last ingested, and its size and modification time
have stayed the same for ``settle`` seconds: a file still being written (copied, downloaded) is not
taken half-way. Hidden files and unsupported types are ignored (``sources.expand``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .sources import expand

Signature = tuple[int, int]  # (size, mtime in ns)


class FolderWatch:
    def __init__(self, folders: list[Path], settle: float = 2.0, clock: Callable[[], float] = time.monotonic):
        self.folders, self.settle, self.clock = folders, settle, clock
        self.ingested: dict[Path, Signature] = {}
        self._seen: dict[Path, tuple[Signature, float]] = {}  # signature and since when it has not changed

    def poll(self) -> list[Path]:
        """The files ready to ingest now (call ``done`` once they are in)."""
        now = self.clock()
        ready = []
        present = set()
        for path in expand(self.folders):
            present.add(path)
            sig = _signature(path)
            if sig is None or self.ingested.get(path) == sig:
                continue
            seen = self._seen.get(path)
            if seen is None or seen[0] != sig:
                self._seen[path] = (sig, now)  # new or still changing: look again later
            elif now - seen[1] >= self.settle:
                ready.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return ready

    def done(self, paths: list[Path]) -> None:
        """Mark files as ingested in the state they were in when ``poll`` offered them."""
        for path in paths:
            seen = self._seen.pop(path, None)
            if seen is not None:
                self.ingested[path] = seen[0]


def _signature(path: Path) -> Signature | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns
