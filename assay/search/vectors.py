"""The vector index: the store's document vectors of one model in an approximate-nearest-neighbour graph
(usearch HNSW over int8 values, cosine), kept in the data directory beside the full-text index and
rebuilt from the store whenever it is missing or unreadable.

The graph holds each vector projected onto its first 128 principal directions (``PROJECTION``, fitted
by tools/make_projection.py on a sample of every corpus): it only finds candidates, ``OVERSAMPLE`` times as
many as asked, and the store's full vectors score them exactly. A quarter of the dimensions take the graph
from 146 to 75 MB of memory at 200k documents, and the exact scores keep the cosine thresholds of the engine
meaningful; against exact search over all vectors the candidates found are as good as the full graph's
(bench/README.md, issue 17).

The store is the system of record: each vector row carries a ``seq`` that grows with every write, and the
index remembers the last one it holds, so ``sync`` adds only what was written since (by this process, a
worker or another one). A document whose vector was made again is removed and added under the same key.
Exact search over 200k vectors in numpy takes 60 ms on 2 cores (400 MB of float32).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import numpy as np

from ..text.embed import MODEL, unpack

log = logging.getLogger(__name__)

SYNC_BATCH = 5000
EXPANSION_SEARCH = 128  # candidates the graph search keeps (recall against speed)
PROJECTION = Path(__file__).parents[1] / "text" / "use-m3-pca.npy"  # 512 × 128, float32
OVERSAMPLE = 2  # graph candidates per document asked for, scored exactly with the full vectors


def _key(doc_id: str) -> int:
    return int(doc_id, 16)  # document ids are 16 hex digits: one unsigned 64-bit key


def _doc_id(key: int) -> str:
    return f"{int(key):016x}"


class VectorIndex:
    def __init__(self, home: Path, store, model: str = MODEL) -> None:
        self.path = Path(home) / f"vectors-{model}.usearch"
        self.meta = self.path.with_suffix(".json")
        self.store, self.model = store, model
        self._lock = threading.Lock()
        self._index = None
        self.seq = 0
        self._dirty = False
        self._projection = None

    @property
    def projection(self) -> np.ndarray:
        if self._projection is None:
            self._projection = np.load(PROJECTION)
        return self._projection

    def _project(self, vecs: np.ndarray) -> np.ndarray:
        p = vecs @ self.projection
        return p / np.maximum(np.linalg.norm(p, axis=-1, keepdims=True), 1e-12)

    def _graph(self) -> str:
        return f"pca{self.projection.shape[1]}"  # what the saved graph holds: a new projection rebuilds it

    def _new(self):
        from usearch.index import Index

        return Index(ndim=self.projection.shape[1], metric="cos", dtype="i8", connectivity=16, expansion_add=64,
                     expansion_search=EXPANSION_SEARCH)  # fmt: skip

    def _open(self) -> None:
        if self._index is not None:
            return
        index = self._new()
        seq = 0
        if self.path.exists() and self.meta.exists():
            try:
                meta = json.loads(self.meta.read_text())
                if meta.get("model") == self.model and meta.get("graph") == self._graph():
                    index.load(str(self.path))
                    seq = int(meta["seq"])
            except Exception:  # unreadable: rebuilt from the store below
                log.warning("vector index %s unreadable; rebuilding it from the store", self.path)
                index, seq = self._new(), 0
        self._index, self.seq = index, seq

    def sync(self) -> int:
        """Add the vectors written since the last sync; returns how many."""
        with self._lock:
            self._open()
            added = 0
            while True:
                rows = self.store.vectors_since(self.model, self.seq, SYNC_BATCH)
                if not rows:
                    break
                keys = np.array([_key(r.doc_id) for r in rows], dtype=np.uint64)
                present = [k for k in keys.tolist() if self._index.contains(k)]
                for k in present:
                    self._index.remove(k)
                vecs = self._project(unpack([r.vec for r in rows]))
                # a document written twice in one batch: its last vector
                last = {k: i for i, k in enumerate(keys.tolist())}
                pick = np.array(sorted(last.values()))
                self._index.add(keys[pick], vecs[pick], threads=2)
                self.seq = rows[-1].seq
                added += len(pick)
                self._dirty = True
            return added

    def save(self) -> None:
        with self._lock:
            if self._index is None or not self._dirty:
                return
            tmp = self.path.with_suffix(".tmp")
            self._index.save(str(tmp))
            tmp.replace(self.path)
            self.meta.write_text(json.dumps({"model": self.model, "graph": self._graph(), "seq": self.seq}))
            self._dirty = False

    def search(self, vec: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` nearest documents to a unit vector: (document id, cosine similarity), nearest first —
        the graph's candidates in the projection, scored with the store's full vectors."""
        self.sync()
        with self._lock:
            if not len(self._index):
                return []
            found = self._index.search(self._project(vec.astype(np.float32)), min(k * OVERSAMPLE, len(self._index)))
        rows = self.store.vectors_of(self.model, [_doc_id(key) for key in found.keys])
        if not rows:
            return []
        scores = unpack([r.vec for r in rows]) @ vec.astype(np.float32)
        best = np.argsort(-scores, kind="stable")[:k]
        return [(rows[i].doc_id, float(scores[i])) for i in best]

    def __len__(self) -> int:
        """The vectors the graph holds, once it has caught up with the store (a graph that was missing or
        made under another projection is rebuilt here)."""
        self.sync()
        with self._lock:
            return len(self._index)

    def drop(self) -> None:
        with self._lock:
            self._index, self.seq, self._dirty = None, 0, False
            self.path.unlink(missing_ok=True)
            self.meta.unlink(missing_ok=True)


def catch_up(store, index: VectorIndex, progress=None, stop=None, batch: int = 256) -> int:
    """Make the vectors that the store lacks (new documents, changed texts), a batch at a time, each batch
    stored in one transaction: an interrupted run loses at most one batch of work and resumes where it
    stopped. ``progress(done, pending)`` after each batch; ``stop()`` ends it between batches. Returns how
    many were made; the index follows and is saved."""
    from ..model import VectorRow
    from ..text.embed import LEAD_CHARS, encoder, pack

    done = 0
    pending = store.vector_counts(index.model)
    pending = pending[1] - pending[0]
    enc = encoder()
    try:
        while not (stop and stop()):
            todo = store.vector_todo(index.model, batch, LEAD_CHARS)
            if not todo:
                break
            vecs = enc.encode([t.text for t in todo])
            store.put_vectors(index.model, [VectorRow(t.doc_id, t.content_hash, pack(v)) for t, v in zip(todo, vecs)])
            done += len(todo)
            if progress:
                progress(done, max(pending, done))
    finally:
        index.sync()
        index.save()
    return done
