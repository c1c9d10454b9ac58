"""The LSH buckets in memory: band key → signature numbers, as sorted numpy runs (no Python object per key),
and each signature's sketch (distinct shingles, 16-bit MinHash values), so that candidates can be weighed
before anything is read from the store.

The store keeps each document's band keys (``dupe_signatures.bands``); this index is derived from them, like
the full-text index from the documents. It is loaded once per process and data directory, then follows the
store: signature numbers only grow (even across ``assay dupes --rebuild``), so signatures written since, by
this process or another, are those numbered above the last one read; a store whose highest number went back
(a batch rolled back) is read again whole. Stale entries (documents changed or clustered again) are
harmless: a candidate whose signature row is gone is dropped when candidates are looked up.

New keys arrive a batch at a time as a sorted run; runs are merged when the newer is at least half the
size of the older (a merge of two sorted runs is linear with a stable sort), so a lookup searches a few
runs and the total merge work stays near n log n. Sketches are kept in arrays in signature-number order
(numbers arrive in increasing order), grown by doubling; a signature without one (written before sketches
existed) has a distinct-shingle count of -1, or no row. They rule candidates out before the store is read
(``StoryClusters._likeliest``) and weigh the ones kept (``StoryClusters._weigh_stored``). The story of
each signature (its cluster, as a number) is kept too, so that only the closest few of each story are read.
"""

from __future__ import annotations

import threading

import numpy as np

from .signature import NUM_PERM

_EMPTY_KEYS = np.zeros(0, dtype=np.int64)
_EMPTY_NS = np.zeros(0, dtype=np.int64)
NO_TS = np.iinfo(np.int64).min  # a signature whose document has no publication time


class BandIndex:
    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted keys, signature numbers), oldest first
        self.max_n = 0
        self._bits = np.zeros(0, dtype=np.uint8)  # a bit per hash slot: set where some key falls (see _filter)
        self._keys = 0
        self.lock = threading.Lock()
        self._clear_sketches()

    def _clear_sketches(self) -> None:
        self.count = 0  # signatures with a row in the arrays below (the first ``count`` rows are used)
        self.ns = np.zeros(0, dtype=np.int64)  # signature numbers, increasing
        self.shingles = np.zeros(0, dtype=np.int64)  # distinct shingles, -1: no sketch
        self.sketches = np.zeros((0, NUM_PERM), dtype=np.uint16)
        self.stories = np.zeros(0, dtype=np.int64)  # story (cluster) number, -1: not known yet
        self.ts = np.zeros(0, dtype=np.int64)  # publication time (seconds), NO_TS: none
        self.story_numbers: dict[str, int] = {}  # cluster id → story number

    def __len__(self) -> int:
        return sum(len(k) for k, _ in self.runs)

    @property
    def nbytes(self) -> int:
        return (
            sum(k.nbytes + n.nbytes for k, n in self.runs)
            + self._bits.nbytes
            + self.ns.nbytes
            + self.shingles.nbytes
            + self.sketches.nbytes
            + self.stories.nbytes
            + self.ts.nbytes
        )

    def clear(self) -> None:
        self.runs, self.max_n = [], 0
        self._bits, self._keys = np.zeros(0, dtype=np.uint8), 0
        self._clear_sketches()

    def add(
        self,
        ns: np.ndarray,
        keys: np.ndarray,
        sketches: np.ndarray | None = None,
        shingles: np.ndarray | None = None,
        clusters: list[str | None] | None = None,
        ts: np.ndarray | None = None,
    ) -> None:
        """Add documents ``ns`` (increasing, above those added before) with their band keys (a documents ×
        bands array) and, where known, their sketches (documents × NUM_PERM uint16), distinct shingles
        (-1 for a document without a sketch), clusters (else ``set_clusters`` later) and publication times
        (NO_TS: none)."""
        if not len(ns):
            return
        self._add_sketches(np.asarray(ns, dtype=np.int64), sketches, shingles, ts)
        if clusters is not None:
            self.set_clusters(ns, clusters)
        flat_ns = np.repeat(np.asarray(ns, dtype=np.int64), keys.shape[1])
        flat_keys = np.asarray(keys, dtype=np.int64).ravel()
        order = np.argsort(flat_keys, kind="stable")
        self.runs.append((flat_keys[order], flat_ns[order]))
        self._mark(flat_keys)
        self.max_n = max(self.max_n, int(np.max(ns)))
        while len(self.runs) > 1 and len(self.runs[-1][0]) * 2 >= len(self.runs[-2][0]):
            (k2, n2), (k1, n1) = self.runs.pop(), self.runs.pop()
            keys_, ns_ = np.concatenate([k1, k2]), np.concatenate([n1, n2])
            order = np.argsort(keys_, kind="stable")  # two sorted runs: timsort merges them in linear time
            self.runs.append((keys_[order], ns_[order]))

    def _add_sketches(
        self, ns: np.ndarray, sketches: np.ndarray | None, shingles: np.ndarray | None, ts: np.ndarray | None
    ) -> None:
        if self.count and ns[0] <= self.ns[self.count - 1]:
            self._clear_sketches()  # cannot happen as the store numbers signatures; unknown sketches are only slower
        need = self.count + len(ns)
        if need > len(self.ns):
            cap = max(need, 2 * len(self.ns), 1024)
            grown_ns = np.zeros(cap, dtype=np.int64)
            grown_shingles = np.full(cap, -1, dtype=np.int64)
            grown_sketches = np.zeros((cap, NUM_PERM), dtype=np.uint16)
            grown_stories = np.full(cap, -1, dtype=np.int64)
            grown_ts = np.full(cap, NO_TS, dtype=np.int64)
            grown_ns[: self.count] = self.ns[: self.count]
            grown_shingles[: self.count] = self.shingles[: self.count]
            grown_sketches[: self.count] = self.sketches[: self.count]
            grown_stories[: self.count] = self.stories[: self.count]
            grown_ts[: self.count] = self.ts[: self.count]
            self.ns, self.shingles, self.sketches = grown_ns, grown_shingles, grown_sketches
            self.stories, self.ts = grown_stories, grown_ts
        rows = slice(self.count, need)
        self.ns[rows] = ns
        self.stories[rows] = -1
        self.ts[rows] = NO_TS if ts is None else ts
        if sketches is None or shingles is None:
            self.shingles[rows] = -1
        else:
            self.shingles[rows] = shingles
            self.sketches[rows] = sketches
        self.count = need

    def set_clusters(self, ns, clusters: list[str | None]) -> None:
        """Record the cluster of signatures ``ns`` (they never change cluster: a changed document gets a new
        signature)."""
        rows = self.sketch_rows(np.asarray(ns, dtype=np.int64))
        numbers = self.story_numbers
        codes = [-1 if c is None else numbers.setdefault(c, len(numbers)) for c in clusters]
        known = rows >= 0
        self.stories[rows[known]] = np.asarray(codes, dtype=np.int64)[known]

    def sketch_rows(self, ns: np.ndarray) -> np.ndarray:
        """The row of each signature number in ``sketches`` / ``shingles`` (-1: not here)."""
        ns = np.asarray(ns, dtype=np.int64)
        known = self.ns[: self.count]
        rows = np.minimum(np.searchsorted(known, ns), max(self.count - 1, 0))
        found = (known[rows] == ns) if self.count else np.zeros(len(ns), dtype=bool)
        return np.where(found, rows, -1)

    def _mark(self, keys: np.ndarray) -> None:
        """Set the bits of new keys (already in ``runs``). The bitmap keeps 16 bits a key or more, so that
        at most one key in 16 that is not in the index passes ``_filter``; when it would fall under that, it
        is made anew, 32 to 64 bits a key, from every run."""
        self._keys += len(keys)
        if 8 * len(self._bits) >= 16 * self._keys:
            self._set_bits(keys)
            return
        size = max(1 << 24, 1 << int(np.ceil(np.log2(32 * self._keys))))  # bits, a power of two
        self._bits = np.zeros(size // 8, dtype=np.uint8)
        for run_keys, _ in self.runs:
            self._set_bits(run_keys)

    def _set_bits(self, keys: np.ndarray) -> None:
        slot = keys & (8 * len(self._bits) - 1)  # band keys are hashes: their low bits are as good as any
        byte, bit = slot >> 3, slot & 7
        for b in range(8):  # one bit at a time, a repeated byte gets the same value (np.bitwise_or.at: 6× slower)
            at = byte[bit == b]
            self._bits[at] |= np.uint8(1 << b)

    def _filter(self, keys: np.ndarray) -> np.ndarray:
        """The positions of the keys that may be in the index (every one that is, and a few that are not)."""
        if not len(self._bits):
            return np.zeros(0, dtype=np.intp)
        slot = keys & (8 * len(self._bits) - 1)
        return np.flatnonzero((np.take(self._bits, slot >> 3) >> (slot & 7).astype(np.uint8)) & 1)

    def matches(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(position in ``keys`` flattened, signature number) for every key found: one pair per entry."""
        flat = np.asarray(keys, dtype=np.int64).ravel()
        order = self._filter(flat)  # most keys of a batch are new: a bitmap leaves them out before any search
        order = order[np.argsort(flat[order])]
        needles = flat[order]  # sorted queries walk the runs in order (far fewer cache misses)
        positions, found = [], []
        for run_keys, run_ns in self.runs:
            lo = np.searchsorted(run_keys, needles, "left")
            hit = np.flatnonzero(run_keys[np.minimum(lo, len(run_keys) - 1)] == needles)  # most keys are not there
            if not len(hit):
                continue
            lo = lo[hit]
            counts = np.searchsorted(run_keys, needles[hit], "right") - lo
            positions.append(np.repeat(order[hit], counts))
            starts = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
            found.append(run_ns[starts + np.arange(counts.sum())])
        if not positions:
            return _EMPTY_NS, _EMPTY_NS
        return np.concatenate(positions), np.concatenate(found)

    def sync(self, store, bands: int) -> None:
        """Catch up with the store: read the signatures numbered after ``max_n``."""
        top = store.signature_top()
        if top < self.max_n:
            self.clear()
        if top == self.max_n:
            return
        rows = [r for r in store.signatures_after(self.max_n) if len(r.bands) == bands * 8]
        if rows:
            ns = np.fromiter((r.n for r in rows), dtype=np.int64, count=len(rows))
            keys = np.frombuffer(b"".join(r.bands for r in rows), dtype=np.int64).reshape(len(rows), bands)
            whole = 2 * NUM_PERM
            shingles = np.fromiter(
                (r.shingles if r.shingles is not None and r.sketch is not None and len(r.sketch) == whole else -1
                 for r in rows),
                dtype=np.int64,
                count=len(rows),
            )  # fmt: skip
            blob = b"".join(r.sketch if s >= 0 else bytes(whole) for r, s in zip(rows, shingles.tolist(), strict=True))
            sketches = np.frombuffer(blob, dtype="<u2").reshape(len(rows), NUM_PERM)
            ts = np.fromiter((NO_TS if r.published_ts is None else r.published_ts for r in rows), np.int64, len(rows))
            self.add(ns, keys, sketches, shingles, [r.cluster for r in rows], ts)
        self.max_n = max(self.max_n, top)


_INDEXES: dict[str, BandIndex] = {}
_INDEXES_LOCK = threading.Lock()


def band_index(key: str) -> BandIndex:
    """The process's index for one store (its ``identity``: the resolved file, the database URL)."""
    with _INDEXES_LOCK:
        if key not in _INDEXES:
            _INDEXES[key] = BandIndex()
        return _INDEXES[key]
