"""The files a folder ingest has finished, so that an interrupted ingest resumes where it stopped.

One row per file (by resolved path): its size, modification time and SHA-256 when it was finished, and
how (``done``: its document is stored; ``quarantined``: with the reason). A file whose size and time are
unchanged is skipped without being read; one that was touched but holds the same bytes is skipped after
hashing. A file is marked only after its document's transaction has committed, so a crash in between
costs a second parse of that file, whose document is then found unchanged: nothing is lost or doubled.

The rows are kept by the store (``file_record``, ``touch_file``, ``mark_files``; table ``files``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ..model import FileRecord


@dataclass(slots=True)
class FileState:
    size: int
    mtime_ns: int
    sha256: str = ""


class FileLedger:
    def __init__(self, store):
        self.store = store
        self._pending: dict[str, FileState] = {}  # label → state of a file read this run, not yet marked

    def unchanged(self, path: Path) -> bool:
        """True when ``path`` was finished before and has not changed since (by size and time)."""
        try:
            st = path.stat()
        except OSError:
            return False
        known = self.store.file_record(_key(path))
        return known is not None and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns

    def same_bytes(self, path: Path, raw: bytes) -> bool:
        """True when the file was finished before with exactly these bytes (its time changed, not its
        content); its recorded time is brought up to date. Otherwise the file is remembered for ``mark``."""
        try:
            st = path.stat()
        except OSError:
            return False
        state = FileState(st.st_size, st.st_mtime_ns, hashlib.sha256(raw).hexdigest())
        known = self.store.file_record(_key(path))
        if known is not None and known.sha256 == state.sha256:
            self.store.touch_file(known.path, state.size, state.mtime_ns)
            return True
        self._pending[str(path)] = state
        return False

    def mark(self, entries: list[tuple[str, str, str | None, str | None]]) -> None:
        """Record files as finished: (label, status, doc_id, reason) for the files read this run."""
        records = []
        for label, status, doc_id, reason in entries:
            state = self._pending.pop(label, None)
            if state is not None:
                path = _key(Path(label))
                records.append(FileRecord(path, state.size, state.mtime_ns, state.sha256, status, doc_id, reason))
        self.store.mark_files(records)

    def tracked(self, label: str) -> bool:
        return label in self._pending


def _key(path: Path) -> str:
    return os.path.realpath(path)
