"""The LSH buckets in memory: band key → signature numbers, as sorted numpy runs (no Python object per key).

The store keeps each document's band keys (``dupe_signatures.bands``); this index is derived from them, like
the full-text index from the documents. It is loaded once per process and data directory, then follows the
store: signature numbers only grow (even across ``assay dupes --rebuild``), so signatures written since, by
this process or another, are those numbered above the last one read; a store whose highest number went back
(a batch rolled back) is read again whole. Stale entries (documents changed or clustered again) are
harmless: a candidate whose signature row is gone is dropped when candidates are looked up.

New keys arrive a batch at a time as a sorted run; runs are merged when the newer is at least half the
size of the older (a merge of two sorted runs is linear with a stable sort), so a lookup searches a few
runs and the total merge work stays near n log n.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import numpy as np

_EMPTY_KEYS = np.zeros(0, dtype=np.int64)
_EMPTY_NS = np.zeros(0, dtype=np.int64)


class BandIndex:
    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted keys, signature numbers), oldest first
        self.max_n = 0
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self.runs)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + n.nbytes for k, n in self.runs)

    def clear(self) -> None:
        self.runs, self.max_n = [], 0

    def add(self, ns: np.ndarray, keys: np.ndarray) -> None:
        """Add documents ``ns`` with their band keys (a documents × bands array)."""
        if not len(ns):
            return
        flat_ns = np.repeat(np.asarray(ns, dtype=np.int64), keys.shape[1])
        flat_keys = np.asarray(keys, dtype=np.int64).ravel()
        order = np.argsort(flat_keys, kind="stable")
        self.runs.append((flat_keys[order], flat_ns[order]))
        self.max_n = max(self.max_n, int(np.max(ns)))
        while len(self.runs) > 1 and len(self.runs[-1][0]) * 2 >= len(self.runs[-2][0]):
            (k2, n2), (k1, n1) = self.runs.pop(), self.runs.pop()
            keys_, ns_ = np.concatenate([k1, k2]), np.concatenate([n1, n2])
            order = np.argsort(keys_, kind="stable")  # two sorted runs: timsort merges them in linear time
            self.runs.append((keys_[order], ns_[order]))

    def matches(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``keys`` flattened, signature number) for every key found: one pair per entry."""
        flat = np.asarray(keys, dtype=np.int64).ravel()
        order = np.argsort(flat)
        needles = flat[order]  # sorted queries walk the runs in order (far fewer cache misses)
        positions, found = [], []
        for run_keys, run_ns in self.runs:
            lo = np.searchsorted(run_keys, needles, "left")
            hi = np.searchsorted(run_keys, needles, "right")
            hit = np.flatnonzero(hi > lo)
            if not len(hit):
                continue
            counts = hi[hit] - lo[hit]
            positions.append(np.repeat(order[hit], counts))
            starts = np.repeat(lo[hit] - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            found.append(run_ns[starts + np.arange(counts.sum())])
        if not positions:
            return _EMPTY_NS, _EMPTY_NS
        return np.concatenate(positions), np.concatenate(found)

    def sync(self, db: sqlite3.Connection, bands: int) -> None:
        """Catch up with the store: read the signatures numbered after ``max_n``."""
        top = db.execute("SELECT COALESCE(MAX(n), 0) FROM dupe_signatures").fetchone()[0]
        if top < self.max_n:
            self.clear()
        if top == self.max_n:
            return
        rows = db.execute("SELECT n, bands FROM dupe_signatures WHERE n > ? ORDER BY n", (self.max_n,)).fetchall()
        rows = [r for r in rows if len(r[1]) == bands * 8]
        if rows:
            ns = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            keys = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.int64).reshape(len(rows), bands)
            self.add(ns, keys)
        self.max_n = max(self.max_n, top)


_INDEXES: dict[Path, BandIndex] = {}
_INDEXES_LOCK = threading.Lock()


def band_index(db_path: Path) -> BandIndex:
    """The process's index for one store file."""
    key = Path(db_path).resolve()
    with _INDEXES_LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = BandIndex()
        return _INDEXES[key]
