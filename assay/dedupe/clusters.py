"""Story clusters, kept in the store and maintained at ingest, one batch at a time (never recomputed whole).

Each document gets a signature row (exact key, size, band keys) and its cluster id in ``documents``. A new
document joins the cluster of the best confirmed match among its candidates (the same exact key first, then
documents sharing an LSH band — looked up in the in-memory ``BandIndex`` — checked by ``same_story`` on the
exact shingle sets); without one it is a story of its own, its cluster named after it. Clusters are not
merged afterwards: a false merge hides news, so a document only ever joins the cluster of a document it is
itself similar to.

Only clusters of two or more documents have a ``clusters`` row (representative, size), and only documents
that joined one have a ``cluster_members`` row (what they matched and how: ``exact`` — the same words,
``revision`` — a changed version from the same source: same title, or both reports — or ``near``). The
representative is the earliest document (publication time) or the most complete one (longest text), by the
``dupe_representative`` setting.

``plan`` reads the store and decides; ``Plan.write`` applies the decisions on the store's connection, so
the pipeline runs it inside the transaction that writes the documents (``SqliteStore.write_rows(also=)``).
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .bands import band_index
from .signature import (
    BANDS,
    Signature,
    Similarity,
    normalize,
    same_story,
    shingle_set,
    shingle_sets,
    signatures,
    similarity,
)

REPRESENTATIVES = ("earliest", "complete")
MAX_CANDIDATES = 5  # compared per document: those sharing the most bands first, one per stored story
SURE = 0.9  # a candidate this similar ends the search
_CHUNK = 900  # SQLite host parameters per IN (...)


@dataclass(slots=True)
class Incoming:
    """A document about to be written: its id, signature, and what choosing and linking need."""

    id: str
    sig: Signature
    title: str
    source: str
    doc_type: str
    published_ts: int | None
    text: Callable[[], str]  # the body, only read when a candidate has to be confirmed


@dataclass(slots=True)
class Member:
    """A stored document as clustering sees it."""

    id: str
    cluster: str
    title: str
    source: str
    doc_type: str
    published_ts: int | None
    size: int


@dataclass(slots=True)
class Decision:
    doc: Incoming
    n: int
    cluster: str
    kind: str  # first | exact | near | revision
    matched: str | None = None
    similarity: float | None = None
    matched_rank: tuple[int | None, int] = (None, 0)  # the matched document's (published_ts, size)


@dataclass
class Plan:
    """What ``plan`` decided for a batch; ``write`` applies it (inside the caller's transaction)."""

    decisions: list[Decision] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # documents clustered before whose text changed
    representative: str = "earliest"
    rows_carry_cluster: bool = False  # the documents' new rows already hold their cluster id

    def cluster_of(self) -> dict[str, str]:
        return {d.doc.id: d.cluster for d in self.decisions}

    def write(self, db: sqlite3.Connection) -> None:
        _remove(db, self.removed, self.representative)
        db.executemany(
            "INSERT INTO dupe_signatures (n, doc_id, exact, size, published_ts, bands) VALUES (?,?,?,?,?,?)",
            [
                (d.n, d.doc.id, d.doc.sig.exact, d.doc.sig.size, d.doc.published_ts, _blob(d.doc.sig.bands))
                for d in self.decisions
            ],
        )
        removed = set(self.removed)
        db.executemany(
            "UPDATE documents SET cluster_id = ? WHERE id = ?",
            [(d.cluster, d.doc.id) for d in self.decisions if not self.rows_carry_cluster or d.doc.id in removed],
        )
        joined = [d for d in self.decisions if d.kind != "first"]
        db.executemany(
            "INSERT INTO cluster_members (doc_id, cluster_id, kind, matched, similarity) VALUES (?,?,?,?,?)",
            [(d.doc.id, d.cluster, d.kind, d.matched, d.similarity) for d in joined],
        )
        db.executemany(  # a story's first copy makes it a cluster of two: the other one is what it matched
            "INSERT OR IGNORE INTO clusters (id, representative, size, rep_ts, rep_size) VALUES (?, ?, 1, ?, ?)",
            [(d.cluster, d.matched, *d.matched_rank) for d in joined],
        )
        db.executemany(
            _BETTER[self.representative], [(d.doc.id, d.doc.published_ts, d.doc.sig.size, d.cluster) for d in joined]
        )
        grown: dict[str, int] = {}
        for d in joined:
            grown[d.cluster] = grown.get(d.cluster, 0) + 1
        db.executemany("UPDATE clusters SET size = size + ? WHERE id = ?", [(k, c) for c, k in grown.items()])


@dataclass(slots=True)
class _Seen:
    """What ``StoryClusters._look_up`` found for a batch."""

    ns: list[int]  # the signature number of each document
    removed: list[str]  # documents of the batch clustered before (their text changed)
    exact: dict[str, int]  # exact key → a stored signature with it
    stored: dict[int, Member]  # stored signatures that share a key or a band with the batch
    taken: set[str]  # cluster ids in use by other documents
    cands: dict[int, list]  # batch index → candidates to compare: stored n, or "b<batch index>"


class StoryClusters:
    """Cluster assignment over a ``SqliteStore`` (its connection and lock)."""

    def __init__(self, store, representative: str = "earliest", cache_size: int = 4000):
        if representative not in REPRESENTATIVES:
            raise ValueError(f"representative must be one of {REPRESENTATIVES}")
        self.store = store
        self.representative = representative
        self.bands = band_index(store.path)
        self._sets: OrderedDict[str, np.ndarray] = OrderedDict()  # recent shingle sets, by document id
        self._cache_size = cache_size

    @property
    def db(self) -> sqlite3.Connection:
        return self.store.db

    # -- deciding -----------------------------------------------------------------------------------
    def plan(self, docs: list[Incoming]) -> Plan:
        """Decide the cluster of each document of a batch (against the store and the batch's earlier ones)."""
        seen = self._look_up(docs)
        plan = Plan(removed=seen.removed, representative=self.representative)
        gone = set(seen.removed)
        batch_exact: dict[str, int] = {}
        for i, (doc, n) in enumerate(zip(docs, seen.ns, strict=True)):
            twin = batch_exact.setdefault(doc.sig.exact, i)
            m = seen.stored.get(seen.exact.get(doc.sig.exact, -1))
            if twin != i:  # the same words earlier in this batch
                d = plan.decisions[twin]
                plan.decisions.append(Decision(doc, n, d.cluster, "exact", d.doc.id, 1.0, _rank(d)))
            elif m is not None and m.id not in gone and m.id != doc.id:  # ... or in the store
                plan.decisions.append(Decision(doc, n, m.cluster, "exact", m.id, 1.0, _rank(m)))
            else:
                cands = [
                    seen.stored[c] if isinstance(c, int) else plan.decisions[int(c[1:])] for c in seen.cands.get(i, ())
                ]
                plan.decisions.append(self._decide(doc, n, cands, seen.taken))
        return plan

    def _look_up(self, docs: list[Incoming]) -> _Seen:
        """Everything the decisions need from the store and the band index, read at once; the batch's
        signatures go into the index (numbered ``ns``) and the shingle sets to compare are made together."""
        rows = [i for i, d in enumerate(docs) if d.sig.bands]
        keys = np.array([docs[i].sig.bands for i in rows], dtype=np.int64).reshape(len(rows), BANDS)
        with self.store._lock, self.bands.lock:
            self.bands.sync(self.db, BANDS)
            first_n = max(self.bands.max_n, self._high_water()) + 1
            removed = self._known([d.id for d in docs])
            exact = self._by_exact({d.sig.exact for d in docs})
            positions, found = self.bands.matches(keys)
            stored = self._members(set(found.tolist()) | set(exact.values()))
            taken = self._taken_cluster_ids(removed)  # only a changed document's id can name another story
            ns = list(range(first_n, first_n + len(docs)))
            self.bands.add(np.array([ns[i] for i in rows], dtype=np.int64), keys)
            self.bands.max_n = max(self.bands.max_n, first_n + len(docs) - 1)
        self.forget(removed)
        shared = _shared_bands(rows, positions, found, stored, set(removed), docs)
        _batch_shared_bands(rows, keys, shared)
        cands = {i: _ranked(counts, stored) for i, counts in shared.items()}
        self._prefetch([stored[c].id for cs in cands.values() for c in cs if isinstance(c, int)])
        earlier = {int(c[1:]) for cs in cands.values() for c in cs if isinstance(c, str)}
        self._remember([docs[i] for i in sorted(set(cands) | earlier)])
        return _Seen(ns, removed, exact, stored, taken, cands)

    def _decide(self, doc: Incoming, n: int, cands: list, taken: set[str]) -> Decision:
        """The best confirmed candidate's cluster, else a story of its own."""
        best: tuple[float, object, Similarity] | None = None
        for cand in cands:
            sim = similarity(self._set_of(doc.id, doc.title, doc.text), self._candidate_set(cand))
            if same_story(sim) and (best is None or sim.jaccard > best[0]):
                best = (sim.jaccard, cand, sim)
                if sim.jaccard >= SURE:
                    break
        if best is None:
            cluster = f"{doc.id}~{n}" if doc.id in taken else doc.id
            return Decision(doc, n, cluster, "first")
        jaccard, cand, sim = best
        other = cand.doc if isinstance(cand, Decision) else cand
        kind = "revision" if _is_revision(doc, other, sim) else "near"
        return Decision(doc, n, cand.cluster, kind, other.id, round(jaccard, 4), _rank(cand))

    def _prefetch(self, doc_ids: list[str]) -> None:
        """Shingle sets of stored candidates: their texts read in one query, their sets made together."""
        missing = list(dict.fromkeys(i for i in doc_ids if i not in self._sets))
        if not missing:
            return
        with self.store._lock:
            rows = list(self._select("SELECT id, title, paragraphs FROM documents WHERE id IN ({})", missing))
        sets = shingle_sets([(title, paragraphs_text(paragraphs)) for _, title, paragraphs in rows])
        for (doc_id, _, _), s in zip(rows, sets, strict=True):
            self._keep(doc_id, s)

    def _remember(self, docs: list[Incoming]) -> None:
        """Shingle sets of the batch documents that have candidates, made together."""
        todo = [d for d in docs if d.id not in self._sets]
        for d, s in zip(todo, shingle_sets([(d.title, d.text()) for d in todo]), strict=True):
            self._keep(d.id, s)

    def _keep(self, doc_id: str, s: np.ndarray) -> None:
        self._sets[doc_id] = s
        if len(self._sets) > self._cache_size:
            self._sets.popitem(last=False)

    def _candidate_set(self, cand) -> np.ndarray:
        if isinstance(cand, Decision):
            return self._set_of(cand.doc.id, cand.doc.title, cand.doc.text)
        return self._set_of(cand.id, cand.title, lambda: self._stored_text(cand.id))

    def _set_of(self, doc_id: str, title: str, text: Callable[[], str]) -> np.ndarray:
        s = self._sets.get(doc_id)
        if s is None:
            s = shingle_set(normalize(title, text()))
            self._keep(doc_id, s)
        else:
            self._sets.move_to_end(doc_id)
        return s

    def forget(self, doc_ids) -> None:
        """Drop cached shingle sets (documents whose text changed)."""
        for i in doc_ids:
            self._sets.pop(i, None)

    def _stored_text(self, doc_id: str) -> str:
        with self.store._lock:
            row = self.db.execute("SELECT paragraphs FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return paragraphs_text(row[0]) if row else ""

    # -- store lookups (under the store's lock) -----------------------------------------------------
    def _known(self, ids: list[str]) -> list[str]:
        return [r[0] for r in self._select("SELECT doc_id FROM dupe_signatures WHERE doc_id IN ({})", ids)]

    def _taken_cluster_ids(self, ids: list[str]) -> set[str]:
        """Cluster ids that other documents hold, which a new story of one of these would otherwise be named."""
        sql = "SELECT cluster_id FROM documents WHERE cluster_id IN ({}) AND id != cluster_id"
        return {r[0] for r in self._select(sql, ids)}

    def _high_water(self) -> int:
        """The highest signature number ever given (numbers are not reused, even after a rebuild)."""
        row = self.db.execute("SELECT seq FROM sqlite_sequence WHERE name = 'dupe_signatures'").fetchone()
        return row[0] if row else 0

    def _by_exact(self, keys: set[str]) -> dict[str, int]:
        return {k: n for k, n in self._select("SELECT exact, n FROM dupe_signatures WHERE exact IN ({})", keys)}

    def _members(self, ns: set[int]) -> dict[int, Member]:
        sql = (
            "SELECT s.n, s.doc_id, d.cluster_id, d.title, d.source, d.doc_type, s.published_ts, s.size"
            " FROM dupe_signatures s"
            " JOIN documents d ON d.id = s.doc_id WHERE s.n IN ({}) AND d.cluster_id IS NOT NULL"
        )
        return {r[0]: Member(*r[1:]) for r in self._select(sql, ns)}

    def _select(self, sql: str, values) -> Iterator[tuple]:
        values = list(values)
        for i in range(0, len(values), _CHUNK):
            chunk = values[i : i + _CHUNK]
            yield from self.db.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()

    # -- whole-store operations ---------------------------------------------------------------------
    def unclustered(self) -> int:
        with self.store._lock:
            return self.db.execute("SELECT COUNT(*) FROM documents WHERE cluster_id IS NULL").fetchone()[0]

    def catch_up(self, progress: Callable[[int], None] | None = None, batch: int = 1000) -> int:
        """Cluster the documents that have no cluster yet (written before clustering existed, or by
        ``write_batch``), oldest ingest first, a batch per transaction. Returns how many."""
        done = 0
        while True:
            with self.store._lock:
                rows = self.db.execute(
                    "SELECT id, title, source, doc_type, published_ts, paragraphs FROM documents"
                    " WHERE cluster_id IS NULL ORDER BY ingested_at, id LIMIT ?",
                    (batch,),
                ).fetchall()
            if not rows:
                return done
            plan = self.plan(incoming_from_rows(rows))
            with self.store._lock:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    plan.write(self.db)
                    self.db.execute("COMMIT")
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
            done += len(rows)
            if progress:
                progress(len(rows))

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget every cluster and signature, then cluster the whole store again (``assay dupes --rebuild``)."""
        with self.store._lock, self.bands.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for table in ("dupe_signatures", "cluster_members", "clusters"):
                    self.db.execute(f"DELETE FROM {table}")
                self.db.execute("UPDATE documents SET cluster_id = NULL WHERE cluster_id IS NOT NULL")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.bands.clear()
        self._sets.clear()
        return self.catch_up(progress)


def _shared_bands(rows, positions, found, stored, gone, docs) -> dict[int, dict]:
    """For each batch document (by index), the stored signatures it shares bands with, and how many."""
    shared: dict[int, dict] = {}
    for pos, n in zip((positions // BANDS).tolist(), found.tolist(), strict=True):
        i = rows[pos]
        m = stored.get(n)
        if m is not None and m.id not in gone and m.id != docs[i].id:
            counts = shared.setdefault(i, {})
            counts[n] = counts.get(n, 0) + 1
    return shared


def _batch_shared_bands(rows: list[int], keys: np.ndarray, shared: dict[int, dict]) -> None:
    """Add the earlier documents of the same batch that share a band (keyed "bJ": batch index J)."""
    flat = keys.ravel()
    order = np.argsort(flat, kind="stable")  # equal keys stay in batch order
    ordered = flat[order]
    starts = np.flatnonzero(ordered[1:] == ordered[:-1])
    if not len(starts):
        return
    owner = order // BANDS
    run_start = None
    for k in starts.tolist():
        if run_start is None or ordered[k] != ordered[run_start]:
            run_start = k
        later, earlier_run = rows[owner[k + 1]], owner[run_start : k + 1]
        for e in {rows[j] for j in earlier_run.tolist()}:
            if e != later:
                counts = shared.setdefault(later, {})
                counts[f"b{e}"] = counts.get(f"b{e}", 0) + 1


def _rank(cand) -> tuple[int | None, int]:
    """(published_ts, size) of a stored member or of an earlier document of the batch."""
    if isinstance(cand, Decision):
        return cand.doc.published_ts, cand.doc.sig.size
    return cand.published_ts, cand.size


def _ranked(counts: dict, stored: dict[int, Member]) -> list:
    """The candidates worth comparing: those sharing the most bands first, at most ``MAX_CANDIDATES``, and of
    the stored ones only the closest member of each story (a document joins a story, not a member)."""
    out, stories = [], set()
    for c, _ in sorted(counts.items(), key=lambda kv: -kv[1]):
        if isinstance(c, int):
            if stored[c].cluster in stories:
                continue
            stories.add(stored[c].cluster)
        out.append(c)
        if len(out) == MAX_CANDIDATES:
            break
    return out


def incoming_from_rows(rows) -> list[Incoming]:
    """``Incoming`` documents from (id, title, source, doc_type, published_ts, paragraphs JSON) rows."""
    texts = [(r[1], paragraphs_text(r[5])) for r in rows]
    sigs = signatures(texts)
    return [
        Incoming(r[0], sig, r[1], r[2], r[3], r[4], _const(text))
        for r, sig, (_, text) in zip(rows, sigs, texts, strict=True)
    ]


def paragraphs_text(data: str) -> str:
    """The body of a stored document from its paragraphs JSON (rows whose first value is the text)."""
    return "\n".join(row[0] for row in json.loads(data))


def _const(value: str) -> Callable[[], str]:
    return lambda: value


def _blob(bands: list[int]) -> bytes:
    return np.asarray(bands, dtype=np.int64).tobytes()


def _is_revision(doc: Incoming, other, sim: Similarity) -> bool:
    """A changed version of the same document: from the same source, with the same title or both reports
    (another outlet's copy is ``near``; the same words are ``exact``)."""
    if sim.jaccard >= 1.0 or doc.source != other.source:
        return False
    same_title = bool(doc.title) and normalize(doc.title, "") == normalize(other.title, "")
    return same_title or doc.doc_type == other.doc_type == "report"


def _remove(db: sqlite3.Connection, doc_ids: list[str], representative: str) -> None:
    """Take documents out of their stories (their text changed; they are assigned again)."""
    if not doc_ids:
        return
    marks = ",".join("?" * len(doc_ids))
    clusters = [r[0] for r in db.execute(f"SELECT cluster_id FROM documents WHERE id IN ({marks})", doc_ids)]
    db.execute(f"DELETE FROM dupe_signatures WHERE doc_id IN ({marks})", doc_ids)
    db.execute(f"DELETE FROM cluster_members WHERE doc_id IN ({marks})", doc_ids)
    db.execute(f"UPDATE documents SET cluster_id = NULL WHERE id IN ({marks})", doc_ids)
    for cluster in {c for c in clusters if c}:
        left = db.execute("SELECT COUNT(*) FROM documents WHERE cluster_id = ?", (cluster,)).fetchone()[0]
        if left <= 1:
            db.execute("DELETE FROM cluster_members WHERE cluster_id = ?", (cluster,))
            db.execute("DELETE FROM clusters WHERE id = ?", (cluster,))
        else:
            db.execute("UPDATE clusters SET size = ? WHERE id = ?", (left, cluster))
            _choose_representative(db, cluster, representative)


_ORDER = {
    "earliest": "COALESCE(s.published_ts, 4611686018427387904), s.size DESC, s.doc_id",
    "complete": "s.size DESC, COALESCE(s.published_ts, 4611686018427387904), s.doc_id",
}


# a joining document replaces the representative when it ranks first: (time, -size, id) or (-size, time, id)
_LATE = 4611686018427387904  # no publication time: last
_BETTER = {
    "earliest": "UPDATE clusters SET representative = ?1, rep_ts = ?2, rep_size = ?3 WHERE id = ?4"
    f" AND (COALESCE(?2, {_LATE}), -?3, ?1) < (COALESCE(rep_ts, {_LATE}), -rep_size, representative)",
    "complete": "UPDATE clusters SET representative = ?1, rep_ts = ?2, rep_size = ?3 WHERE id = ?4"
    f" AND (-?3, COALESCE(?2, {_LATE}), ?1) < (-rep_size, COALESCE(rep_ts, {_LATE}), representative)",
}


def _choose_representative(db: sqlite3.Connection, cluster: str, representative: str) -> None:
    """The representative chosen again among all members (a member left)."""
    row = db.execute(
        "SELECT s.doc_id, s.published_ts, s.size FROM documents d JOIN dupe_signatures s ON s.doc_id = d.id"
        f" WHERE d.cluster_id = ? ORDER BY {_ORDER[representative]} LIMIT 1",
        (cluster,),
    ).fetchone()
    if row:
        db.execute("UPDATE clusters SET representative = ?, rep_ts = ?, rep_size = ? WHERE id = ?", (*row, cluster))
