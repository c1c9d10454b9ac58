"""Story clusters, kept in the store and maintained at ingest, one batch at a time (never recomputed whole).

Each document gets a signature row (exact key, size, band keys, sketch) and its cluster id in ``documents``.
A new document joins the cluster of the best confirmed match among its candidates (the same exact key first,
then documents sharing an LSH band — looked up in the in-memory ``BandIndex``); without one it is a story of
its own, its cluster named after it. A candidate is weighed by the two sketches first (``sketch_verdicts``):
most are ruled out or confirmed there, and only those the sketches cannot decide are compared exactly, by
``same_story`` on the shingle sets (their texts read from the store). Clusters are not merged afterwards: a
false merge hides news, so a document only ever joins the cluster of a document it is itself similar to,
and, unless their words are the same, one published within ``window_days`` of it (the ``dupe_window_days``
setting, 30): copies and revisions come within days or weeks, while a fixed template a year later
(CCTV's "本台明天将直播…开幕会" for another session: Jaccard up to 0.97) is other news.

Only clusters of two or more documents have a ``clusters`` row (representative, size), and only documents
that joined one have a ``cluster_members`` row (what they matched and how: ``exact`` — the same words,
``revision`` — a changed version from the same source: same title, or both reports — or ``near``; the
similarity is the exact Jaccard where the texts were compared, else the sketches' estimate). The
representative is the earliest document (publication time) or the most complete one (longest text), by the
``dupe_representative`` setting.

``plan`` reads the store (through its clustering methods: assay/store/clusters.py) and decides;
``Plan.changes`` is what the store writes, inside the transaction that writes the documents
(``write_rows(clusters=)``) or on its own (``write_clusters``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from ..model import ClusterAssignment, ClusterChanges, DocumentText, SignedDocument
from .bands import NO_TS, band_index
from .signature import (
    BANDS,
    NO,
    NUM_PERM,
    UNSURE,
    YES,
    Signature,
    Similarity,
    jaccard_bounds,
    normalize,
    same_story,
    shingle_set,
    shingle_sets,
    signatures,
    similarity,
    sketch_verdicts,
)

REPRESENTATIVES = ("earliest", "complete")
MAX_CANDIDATES = 5  # weighed per document: the most similar by the sketches first, one per stored story
SURE = 0.9  # a candidate this similar ends the search
_PAIRS = 65536  # candidate pairs whose sketches are compared at once
_LIKELIEST = 5  # stored stories read per document (then at most ``MAX_CANDIDATES`` weighed)


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


Member = SignedDocument  # a stored document as clustering sees it


@dataclass(slots=True, frozen=True)
class Candidate:
    """A document that may be the same story: a stored signature number, or "b<batch index>"; the sketches'
    verdict (YES, UNSURE) with the estimated Jaccard and its upper bound; how many bands it shares."""

    key: int | str
    verdict: int
    estimate: float
    upper: float
    shared: int


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

    def changes(self) -> ClusterChanges:
        """What the store writes for this batch."""
        return ClusterChanges(
            [
                ClusterAssignment(
                    d.doc.id,
                    d.n,
                    d.doc.sig.exact,
                    d.doc.sig.size,
                    d.doc.published_ts,
                    d.doc.sig.bands,
                    d.doc.sig.shingles if d.doc.sig.sketch else None,
                    d.doc.sig.sketch or None,
                    d.cluster,
                    d.kind,
                    d.matched,
                    d.similarity,
                    *d.matched_rank,
                )
                for d in self.decisions
            ],
            self.removed,
            self.representative,
            self.rows_carry_cluster,
        )


@dataclass(slots=True)
class Prefetched:
    """What ``StoryClusters.prefetch`` read ahead of a batch's plan."""

    top: int  # the highest signature number committed when it read
    exact: dict[str, int]  # exact key → a stored signature with it, numbered up to ``top``


@dataclass(slots=True)
class _Seen:
    """What ``StoryClusters._look_up`` found for a batch."""

    ns: list[int]  # the signature number of each document
    removed: list[str]  # documents of the batch clustered before (their text changed)
    exact: dict[str, int]  # exact key → a stored signature with it
    stored: dict[int, Member]  # stored signatures that share a key with the batch, or a band and a likely story
    taken: set[str]  # cluster ids in use by other documents
    cands: dict[int, list[Candidate]]  # batch index → candidates to weigh, the likeliest first


class StoryClusters:
    """Cluster assignment over a store (its clustering methods)."""

    def __init__(self, store, representative: str = "earliest", cache_size: int = 16000, window_days: int = 30):
        if representative not in REPRESENTATIVES:
            raise ValueError(f"representative must be one of {REPRESENTATIVES}")
        self.store = store
        self.representative = representative
        self.window = window_days * 86400  # seconds; 0: no limit
        self.bands = band_index(store.identity)
        self._sets: OrderedDict[str, np.ndarray] = OrderedDict()  # recent shingle sets, by document id
        self._cache_size = cache_size

    # -- deciding -----------------------------------------------------------------------------------
    def prefetch(self, docs: list[Incoming]) -> Prefetched:
        """What a plan reads that other writers change only by adding to it, read ahead of the story section
        (where one batch plans at a time): the stored signatures with the batch's exact keys, up to the highest
        number committed. The plan then reads only the signatures numbered after it."""
        top = self.store.signature_top()  # committed signatures: the exact keys below are read after it
        with self.bands.lock:
            self.bands.sync(self.store, BANDS)  # most of the band index's catching up, outside the section too
        return Prefetched(top, self.store.signatures_by_exact({d.sig.exact for d in docs}))

    def plan(self, docs: list[Incoming], ahead: Prefetched | None = None) -> Plan:
        """Decide the cluster of each document of a batch (against the store and the batch's earlier ones);
        ``ahead``: what ``prefetch`` read for it before."""
        seen = self._look_up(docs, ahead)
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
                    (seen.stored[c.key] if isinstance(c.key, int) else plan.decisions[int(c.key[1:])], c)
                    for c in seen.cands.get(i, ())
                ]
                plan.decisions.append(self._decide(doc, n, cands, seen.taken))
        banded = [d for d in plan.decisions if d.doc.sig.bands]
        with self.bands.lock:
            self.bands.set_clusters([d.n for d in banded], [d.cluster for d in banded])
        return plan

    def _look_up(self, docs: list[Incoming], ahead: Prefetched | None = None) -> _Seen:
        """Everything the decisions need from the store and the band index, read at once; the batch's
        signatures go into the index (numbered ``ns``) and the shingle sets to compare are made together."""
        rows = [i for i, d in enumerate(docs) if d.sig.bands]
        keys = np.frombuffer(b"".join(docs[i].sig.bands for i in rows), dtype=np.int64).reshape(len(rows), BANDS)
        sketch, shingles = _sketches([docs[i].sig for i in rows])
        times = [docs[i].published_ts for i in rows]
        ts = np.fromiter((NO_TS if t is None else t for t in times), dtype=np.int64, count=len(rows))
        with self.store.snapshot(), self.bands.lock:
            self.bands.sync(self.store, BANDS)
            first_n = max(self.bands.max_n, self.store.signature_high_water()) + 1
            removed = self.store.signed([d.id for d in docs])
            keys_exact = {d.sig.exact for d in docs}
            if ahead is None:
                exact = self.store.signatures_by_exact(keys_exact)
            else:  # the signatures committed since the prefetch, over what it read
                exact = {**ahead.exact, **self.store.signatures_by_exact(keys_exact, after=ahead.top)}
            positions, found = self.bands.matches(keys)
            pair_row, pair_n, pair_shared = _pairs(positions // BANDS, found)
            likely = self._likeliest(pair_row, pair_n, pair_shared, sketch, shingles, ts)
            pair_row, pair_n, pair_shared = pair_row[likely], pair_n[likely], pair_shared[likely]
            stored = self.store.signed_documents(set(pair_n.tolist()) | set(exact.values()))
            weighed = self._weigh_stored(pair_row, pair_n, pair_shared, stored, sketch, shingles)
            taken = self.store.taken_cluster_ids(removed)  # only a changed document's id can name another story
            ns = list(range(first_n, first_n + len(docs)))
            self.bands.add(np.array([ns[i] for i in rows], dtype=np.int64), keys, sketch, shingles, None, ts)
            self.bands.max_n = max(self.bands.max_n, first_n + len(docs) - 1)
        self.forget(removed)
        gone = set(removed)
        cands: dict[int, list[Candidate]] = {}
        for r, c in weighed:
            i = rows[r]
            m = stored[c.key]
            if m.id not in gone and m.id != docs[i].id and self._in_window(docs[i].published_ts, m.published_ts):
                cands.setdefault(i, []).append(c)
        for r, c in _batch_candidates(keys, sketch, shingles):
            i, j = rows[r], rows[int(c.key)]
            if self._in_window(docs[i].published_ts, docs[j].published_ts):
                cands.setdefault(i, []).append(replace(c, key=f"b{j}"))
        cands = {i: _ranked(cs, stored) for i, cs in cands.items()}
        compare = {i: _to_compare(cs) for i, cs in cands.items()}
        self._prefetch([stored[c.key].id for cs in compare.values() for c in cs if isinstance(c.key, int)])
        earlier = {int(c.key[1:]) for cs in compare.values() for c in cs if isinstance(c.key, str)}
        self._remember([docs[i] for i in sorted({i for i, cs in compare.items() if cs} | earlier)])
        return _Seen(ns, removed, exact, stored, taken, cands)

    def _in_window(self, a: int | None, b: int | None) -> bool:
        """May two documents published at these times be one story (beyond the same words)? Copies and
        revisions come within days or weeks; the same template a year later is other news."""
        return not self.window or a is None or b is None or abs(a - b) <= self.window

    def _likeliest(self, pair_row: np.ndarray, pair_n: np.ndarray, pair_shared, sketch, shingles, ts) -> np.ndarray:
        """The (batch row, stored signature) pairs worth reading from the store (their positions): those
        published within the time window (``ts``: the batch rows' times) that the in-memory sketches do not
        rule out, the likeliest of each story (estimated Jaccard, then bands shared; a pair without sketches
        last), at most ``_LIKELIEST`` stories per batch document. The window comes first, so a template's
        old editions cannot fill the places of this month's story."""
        at = self.bands.sketch_rows(pair_n)
        keep = np.ones(len(pair_n), dtype=bool)
        if self.window and len(pair_n):
            their_ts = np.where(at >= 0, self.bands.ts[np.maximum(at, 0)], NO_TS)
            my_ts = ts[pair_row]
            dated = (their_ts != NO_TS) & (my_ts != NO_TS)
            apart = np.abs(np.where(dated, my_ts, 0) - np.where(dated, their_ts, 0))
            keep = ~dated | (apart <= self.window)
        estimate = np.zeros(len(pair_n), dtype=np.int64)
        for a in range(0, len(pair_n), _PAIRS):
            part = slice(a, a + _PAIRS)
            rows, mine = at[part], pair_row[part]
            theirs = np.where(rows >= 0, self.bands.shingles[np.maximum(rows, 0)], -1)
            known = (theirs >= 0) & (shingles[mine] >= 0)
            if not known.any():
                continue
            idx = np.flatnonzero(known)
            equal = np.count_nonzero(sketch[mine[idx]] == self.bands.sketches[rows[idx]], axis=1)
            verdict, _ = sketch_verdicts(equal, shingles[mine[idx]], theirs[idx])
            keep[a + idx[verdict == NO]] = False
            estimate[a + idx] = equal
        kept = np.flatnonzero(keep)
        order = kept[np.lexsort((-pair_shared[kept], -estimate[kept], pair_row[kept]))]
        story = np.where(at[order] >= 0, self.bands.stories[np.maximum(at[order], 0)], -1)
        story = np.where(story >= 0, story, -2 - np.arange(len(order)))  # not known: a story of its own
        _, first_of_story = np.unique((pair_row[order] << 32) + story, return_index=True)  # numbers < 2**31
        order = order[np.sort(first_of_story)]
        rows = pair_row[order]
        first = np.searchsorted(rows, rows)  # the position of each row's first pair (rows are sorted)
        return np.sort(order[np.arange(len(order)) - first < _LIKELIEST])

    def _weigh_stored(self, pair_row, pair_n, pair_shared, stored: dict[int, Member], sketch, shingles) -> list:
        """(batch row, Candidate) for the pairs whose stored side still exists (it has a row in ``stored``),
        weighed by the two sketches (the stored one from the band index, which holds every stored sketch);
        those ruled out are left out."""
        have = np.fromiter((n in stored for n in pair_n.tolist()), dtype=bool, count=len(pair_n))
        pair_row, pair_n, pair_shared = pair_row[have], pair_n[have], pair_shared[have]
        if not len(pair_n):
            return []
        at = self.bands.sketch_rows(pair_n)
        theirs = self.bands.sketches[np.maximum(at, 0)]
        their_shingles = np.where(at >= 0, self.bands.shingles[np.maximum(at, 0)], -1)
        verdict, estimate, upper = _verdicts(sketch[pair_row], theirs, shingles[pair_row], their_shingles)
        out = []
        for r, n, v, e, u, k in zip(
            pair_row.tolist(),
            pair_n.tolist(),
            verdict.tolist(),
            estimate.tolist(),
            upper.tolist(),
            pair_shared.tolist(),
            strict=True,
        ):
            if v != NO:
                out.append((r, Candidate(n, v, e, u, k)))
        return out

    def _decide(self, doc: Incoming, n: int, cands: list, taken: set[str]) -> Decision:
        """The best confirmed candidate's cluster, else a story of its own. Candidates come likeliest first;
        the sketches confirm most; one they cannot decide is compared exactly if it could still be the best."""
        best: tuple[float, object, Similarity | None] | None = None
        for cand, c in cands:
            if best is not None and best[0] >= SURE:
                break
            if c.verdict == YES:
                if best is None or c.estimate > best[0]:
                    best = (c.estimate, cand, None)
                continue
            if best is not None and c.upper <= best[0]:
                continue
            sim = similarity(self._set_of(doc.id, doc.title, doc.text), self._candidate_set(cand))
            if same_story(sim) and (best is None or sim.jaccard > best[0]):
                best = (sim.jaccard, cand, sim)
        if best is None:
            cluster = f"{doc.id}~{n}" if doc.id in taken else doc.id
            return Decision(doc, n, cluster, "first")
        jaccard, cand, sim = best
        other = cand.doc if isinstance(cand, Decision) else cand
        if sim is None and jaccard >= 1.0 and _may_be_revision(doc, other):  # all sketch values equal
            jaccard = similarity(self._set_of(doc.id, doc.title, doc.text), self._candidate_set(cand)).jaccard
        kind = "revision" if jaccard < 1.0 and _may_be_revision(doc, other) else "near"
        return Decision(doc, n, cand.cluster, kind, other.id, round(jaccard, 4), _rank(cand))

    def _prefetch(self, doc_ids: list[str]) -> None:
        """Shingle sets of stored candidates: their texts read in one query, their sets made together."""
        missing = list(dict.fromkeys(i for i in doc_ids if i not in self._sets))
        if not missing:
            return
        texts = self.store.document_texts(missing)
        for t, s in zip(texts, shingle_sets([(t.title, t.text) for t in texts]), strict=True):
            self._keep(t.id, s)

    def _remember(self, docs: list[Incoming]) -> None:
        """Shingle sets of the batch documents that have candidates (made with their signatures, or here,
        together)."""
        todo = []
        for d in docs:
            if d.sig.shingle_set is not None:
                self._keep(d.id, d.sig.shingle_set)
            elif d.id not in self._sets:
                todo.append(d)
        for d, s in zip(todo, shingle_sets([(d.title, d.text()) for d in todo]), strict=True):
            self._keep(d.id, s)

    def _keep(self, doc_id: str, s: np.ndarray) -> None:
        if s.base is not None:  # a view into its batch's array, which it would keep alive
            s = s.copy()
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
        found = self.store.document_texts([doc_id])
        return found[0].text if found else ""

    # -- whole-store operations ---------------------------------------------------------------------
    def unclustered(self) -> int:
        return self.store.count_unclustered()

    def catch_up(
        self, progress: Callable[[int], None] | None = None, batch: int = 1000, stop: Callable[[], bool] | None = None
    ) -> int:
        """Cluster the documents that have no cluster yet (written before clustering existed, or by
        ``write_batch``), oldest ingest first, a batch per transaction. Returns how many. ``stop`` is asked
        between batches (a server shutting down): the rest waits for the next catch-up."""
        done = 0
        while stop is None or not stop():
            with self.store.story_lock():
                docs = self.store.unclustered(batch)
                if not docs:
                    return done
                self.store.write_clusters(self.plan(incoming_from_texts(docs)).changes())
            done += len(docs)
            if progress:
                progress(len(docs))
        return done

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget every cluster and signature, then cluster the whole store again (``assay dupes --rebuild``)."""
        with self.bands.lock:
            self.store.clear_clusters()
            self.bands.clear()
        self._sets.clear()
        return self.catch_up(progress)


def _sketches(sigs: list[Signature]) -> tuple[np.ndarray, np.ndarray]:
    """The sketches of signatures (rows × NUM_PERM uint16) and their distinct shingles (-1: no sketch)."""
    whole = 2 * NUM_PERM
    has = [len(sig.sketch) == whole for sig in sigs]
    blob = b"".join(sig.sketch if ok else bytes(whole) for sig, ok in zip(sigs, has, strict=True))
    sketch = np.frombuffer(blob, dtype="<u2").reshape(len(sigs), NUM_PERM)
    shingles = np.array([sig.shingles if ok else -1 for sig, ok in zip(sigs, has, strict=True)], dtype=np.int64)
    return sketch, shingles


def _pairs(rows: np.ndarray, found: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (batch row, stored signature) pairs among band matches, and how many bands each shares."""
    if not len(found):
        return _EMPTY, _EMPTY, _EMPTY
    code = np.sort((rows.astype(np.int64) << 40) | found.astype(np.int64))  # numbers stay far below 2**40
    first = np.ones(len(code), dtype=bool)
    np.not_equal(code[1:], code[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    shared = np.diff(np.append(starts, len(code)))
    code = code[starts]
    return code >> 40, code & ((1 << 40) - 1), shared


_EMPTY = np.zeros(0, dtype=np.int64)


def _verdicts(mine: np.ndarray, theirs: np.ndarray, my_shingles, their_shingles) -> tuple[np.ndarray, ...]:
    """Verdict, estimate and upper Jaccard bound of pairs of sketches (UNSURE where one has none)."""
    equal = np.count_nonzero(mine == theirs, axis=1)
    verdict, estimate = sketch_verdicts(equal, my_shingles, their_shingles)
    unknown = (np.asarray(my_shingles) < 0) | (np.asarray(their_shingles) < 0)
    verdict = np.where(unknown, UNSURE, verdict)
    upper = np.where(unknown, 1.0, jaccard_bounds(equal)[1])
    return verdict, estimate, upper


def _batch_candidates(keys: np.ndarray, sketch: np.ndarray, shingles: np.ndarray) -> list:
    """(later row, Candidate keyed by the earlier row) for the documents of the same batch that share a band,
    weighed by their sketches; those ruled out are left out."""
    pairs, shared = _batch_pairs(keys)
    if not len(pairs):
        return []
    verdict, estimate, upper = _verdicts(
        sketch[pairs[:, 0]], sketch[pairs[:, 1]], shingles[pairs[:, 0]], shingles[pairs[:, 1]]
    )
    out = []
    for (later, earlier), k, v, e, u in zip(
        pairs.tolist(), shared.tolist(), verdict.tolist(), estimate.tolist(), upper.tolist(), strict=True
    ):
        if v != NO:
            out.append((later, Candidate(earlier, v, e, u, k)))
    return out


def _batch_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (later row, earlier row) of a batch's band keys (rows × BANDS) that share a key, in that order,
    and how many keys each pair shares: all the pairs within each run of equal keys, made at once."""
    flat = keys.ravel()
    order = np.argsort(flat, kind="stable")  # equal keys stay in batch order
    ordered = flat[order]
    at = np.arange(len(ordered))
    new_run = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=new_run[1:])
    run_start = np.maximum.accumulate(np.where(new_run, at, 0))
    before = at - run_start  # entries earlier in the same run: one pair with each
    total = int(before.sum())
    if not total:
        return np.zeros((0, 2), dtype=np.int64), _EMPTY
    later = np.repeat(at, before)
    earlier = np.repeat(run_start - np.cumsum(before) + before, before) + np.arange(total)
    owner = order // keys.shape[1]
    later, earlier = owner[later], owner[earlier]
    apart = later != earlier  # a document with one key in two bands
    code, shared = np.unique((later[apart] << 32) | earlier[apart], return_counts=True)  # rows < 2**31
    return np.stack([code >> 32, code & 0xFFFFFFFF], axis=1), shared


def _rank(cand) -> tuple[int | None, int]:
    """(published_ts, size) of a stored member or of an earlier document of the batch."""
    if isinstance(cand, Decision):
        return cand.doc.published_ts, cand.doc.sig.size
    return cand.published_ts, cand.size


def _ranked(cands: list[Candidate], stored: dict[int, Member]) -> list[Candidate]:
    """The candidates worth weighing: the likeliest first (sketch estimate, then bands shared), at most
    ``MAX_CANDIDATES``, and of the stored ones only the closest member of each story (a document joins a
    story, not a member)."""
    out, stories = [], set()
    for c in sorted(cands, key=lambda c: (-c.estimate, -c.shared)):
        if isinstance(c.key, int):
            if stored[c.key].cluster in stories:
                continue
            stories.add(stored[c.key].cluster)
        out.append(c)
        if len(out) == MAX_CANDIDATES:
            break
    return out


def _to_compare(cands: list[Candidate]) -> list[Candidate]:
    """The candidates whose texts ``_decide`` may compare: those the sketches could not decide that might
    still beat the best confirmed one (``_decide`` may skip some of them: a comparison can raise the bar)."""
    bar = max((c.estimate for c in cands if c.verdict == YES), default=-1.0)
    if bar >= SURE:
        return []
    return [c for c in cands if c.verdict == UNSURE and c.upper > bar]


def incoming_from_texts(docs: list[DocumentText]) -> list[Incoming]:
    """``Incoming`` documents (their signatures made together) from stored ones."""
    sigs = signatures([(d.title, d.text) for d in docs])
    return [
        Incoming(d.id, sig, d.title, d.source, d.doc_type, d.published_ts, _const(d.text))
        for d, sig in zip(docs, sigs, strict=True)
    ]


def _const(value: str) -> Callable[[], str]:
    return lambda: value


def _may_be_revision(doc: Incoming, other) -> bool:
    """A changed version of the same document, if the texts differ (Jaccard under 1): from the same source,
    with the same title or both reports (another outlet's copy is ``near``; the same words are ``exact``)."""
    if doc.source != other.source:
        return False
    if doc.title and doc.title == other.title:
        return True
    same_title = bool(doc.title) and normalize(doc.title, "") == normalize(other.title, "")
    return same_title or doc.doc_type == other.doc_type == "report"
