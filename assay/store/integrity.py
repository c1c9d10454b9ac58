"""Consistency of the store and the full-text index, as a list of problems (empty when all is well).

Checked: every document row is whole (its paragraph count matches its paragraphs, each paragraph has
text, and the content hash recomputed from title and paragraphs is the one stored: no half-written
document); the index holds exactly the store's document ids, once each; every file the folder ledger
marks done names a stored document. The crash tests run this after every SIGKILL; ``assay check`` shows
the full report (``integrity_report``) and repairs what is cheap to repair (``repair``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..model import content_hash
from .base import Store
from .rows import _paragraphs_from

AREAS = ("documents", "index", "files")


@dataclass(slots=True)
class IntegrityReport:
    """What was checked, and each problem found by area (``documents``, ``index``, ``files``). Listed
    problems stop at ``limit`` per area; ``counts`` holds how many there are in all."""

    documents: int = 0
    paragraphs: int = 0
    indexed: int | None = None  # documents in the index (None: the index was not checked)
    store_seq: int = 0  # the change-log position of the store ...
    index_seq: int | None = None  # ... and the one the index has caught up to
    problems: dict[str, list[str]] = field(default_factory=lambda: {a: [] for a in AREAS})
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AREAS, 0))
    missing: list[str] = field(default_factory=list)  # stored ids the index lacks
    extra: list[str] = field(default_factory=list)  # indexed ids the store lacks
    doubled: list[str] = field(default_factory=list)  # ids indexed more than once
    orphan_files: list[str] = field(default_factory=list)  # ledger paths marked done without their document

    @property
    def ok(self) -> bool:
        return not any(self.counts.values())

    def messages(self) -> list[str]:
        return [m for a in AREAS for m in self.problems[a]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "documents": self.documents,
            "paragraphs": self.paragraphs,
            "indexed": self.indexed,
            "store_seq": self.store_seq,
            "index_seq": self.index_seq,
            "counts": dict(self.counts),
            "problems": {a: list(v) for a, v in self.problems.items()},
        }

    def _add(self, area: str, message: str, limit: int) -> None:
        self.counts[area] += 1
        if len(self.problems[area]) < limit:
            self.problems[area].append(message)


def check_integrity(store: Store, index=None, limit: int = 20) -> list[str]:
    return integrity_report(store, index, limit).messages()


def integrity_report(store: Store, index=None, limit: int = 20) -> IntegrityReport:
    report = IntegrityReport(store_seq=store.last_seq())
    _documents(store, report, limit)
    if index is not None:
        _index(store, index, report, limit)
    _files(store, report, limit)
    return report


def _documents(store: Store, report: IntegrityReport, limit: int) -> None:
    for doc_id, title, n, data, chash in store.stored_texts():
        report.documents += 1
        try:
            paragraphs = _paragraphs_from(data)
        except (ValueError, TypeError, IndexError) as exc:
            report._add("documents", f"document {doc_id}: unreadable paragraphs ({exc})", limit)
            continue
        report.paragraphs += len(paragraphs)
        if len(paragraphs) != n or n == 0:
            report._add("documents", f"document {doc_id}: {len(paragraphs)} paragraphs stored, {n} expected", limit)
        elif any(not p.text for p in paragraphs):
            report._add("documents", f"document {doc_id}: an empty paragraph", limit)
        elif content_hash(title, paragraphs) != chash:
            report._add("documents", f"document {doc_id}: content does not match its hash", limit)


def index_ids(index) -> list[str]:
    """Every id in the (committed) index, duplicates included."""
    import tantivy

    index.index.reload()
    searcher = index.searcher()
    n = searcher.num_docs
    if n == 0:
        return []
    hits = searcher.search(tantivy.Query.all_query(), limit=n).hits
    return [searcher.doc(addr)["id"][0] for _, addr in hits]


def _index(store: Store, index, report: IntegrityReport, limit: int) -> None:
    ids = index_ids(index)
    counts = Counter(ids)
    stored = store.all_ids()
    report.indexed = len(ids)
    report.index_seq = index.seq
    report.doubled = sorted(i for i, c in counts.items() if c > 1)
    for i in report.doubled:
        report._add("index", f"index holds {i} {counts[i]} times", limit)
    report.missing = sorted(stored - counts.keys())
    report.extra = sorted(counts.keys() - stored)
    behind = f" (the index is at change {report.index_seq}, the store at {report.store_seq})"
    if report.missing:
        report._add(
            "index",
            f"{len(report.missing)} stored documents missing from the index, e.g. {report.missing[:3]}"
            + (behind if report.index_seq < report.store_seq else ""),
            limit,
        )
    if report.extra:
        report._add("index", f"{len(report.extra)} indexed documents not in the store, e.g. {report.extra[:3]}", limit)
    if len(ids) != len(stored):
        report._add("index", f"index has {len(ids)} documents, store {len(stored)}", limit)


def _files(store: Store, report: IntegrityReport, limit: int) -> None:
    for f in store.orphan_files():
        report.orphan_files.append(f.path)
        report._add("files", f"file {f.path} marked done, but its document {f.doc_id} is not stored", limit)


@dataclass(slots=True)
class Repair:
    """What ``repair`` did: documents re-indexed (caught up, or the whole index rebuilt) and ledger rows
    forgotten (their files are read again by the next ingest of their folder)."""

    caught_up: int = 0
    rebuilt: int = 0
    files_forgotten: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"caught_up": self.caught_up, "rebuilt": self.rebuilt, "files_forgotten": self.files_forgotten}


def repair(store: Store, index, report: IntegrityReport) -> Repair:
    """Fix what is cheap to fix: an index behind the store replays the change log; one that still
    differs (missing, extra or doubled ids) is rebuilt from the store; ledger rows that name a document
    the store lacks are dropped. Damaged documents are left as they are (their source must be ingested
    again). Raises StoreError when another process holds the index writer."""
    done = Repair()
    if report.counts["index"]:
        index.writer()  # fail early, before anything is changed, when an ingest holds it
        done.caught_up = index.catch_up(store)
        ids = index_ids(index)
        if len(ids) != len(set(ids)) or set(ids) != store.all_ids():
            done.rebuilt = index.rebuild(store)
    if report.orphan_files:
        done.files_forgotten = store.forget_orphan_files()
    return done
