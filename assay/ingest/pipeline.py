"""The ingest pipeline: read → parse → (skip unchanged) → segment + summarize → store → index.

Work per batch: one store transaction (documents, summaries, change log), then the same documents go to
the index writer; the index is committed at the end (and every ``COMMIT_EVERY`` documents), recording the
change-log position it covers. A crash at any point leaves the store consistent and the index behind at
most; the next open replays the difference (see ``FullTextIndex.catch_up``).

The CPU work (JSON, paragraph splitting, segmentation, summaries) runs in worker processes when more than
one core is available; each worker checks the store (read-only) to skip documents that did not change.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ..dedupe.clusters import Incoming, StoryClusters
from ..dedupe.signature import Signature, fold_table, signature, signatures
from ..errors import InputError, RecordError
from ..model import Document, IngestDone, KnownVersion
from ..search.index import FullTextIndex, index_fields
from ..settings import Settings
from ..store.base import Store, WriteOutcome
from ..store.rows import DocumentRow, RowEntry, document_row, paragraphs_text, summary_row
from ..summarize.verify import verify_summary
from ..summarize.worker import backend_key
from .decode import decode
from .ledger import FileLedger
from .records import file_to_document, record_to_document
from .sources import Item, expand, kind_of, parse_line, read_file, read_jsonl

COMMIT_EVERY = 100_000
# files are written in smaller batches (this many, or when the oldest waits this long): an interrupted folder
# ingest keeps its work
FILE_BATCH, FLUSH_SECONDS = 32, 2.0
FILE_KINDS = ("text", "html", "pdf", "docx")
CHUNK = 64  # items per task sent to a worker
CHUNK_BYTES = 256 * 1024  # or fewer items, when they are large files
IN_FLIGHT = 32  # chunks out with the workers or waiting for the writer, at most
WRITER_WAIT = 30.0  # seconds to wait for another process's ingest to finish with the index


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (input, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"added {self.added} · updated {self.updated} · unchanged {self.unchanged} · quarantined {self.quarantined}"
        )

    def to_dict(self) -> dict:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "quarantined": self.quarantined,
            "errors": [{"input": i, "reason": r} for i, r in self.errors],
            "notes": [{"input": i, "note": n} for i, n in self.notes],
        }


@dataclass(slots=True)
class Prepared:
    """What a worker sends back: plain rows, cheap to pickle (no Document objects)."""

    label: str
    entry: RowEntry | None = None
    fields: dict | None = None
    unchanged: bool = False
    error: str | None = None
    raw: bytes = b""
    note: str = ""
    dupe: Signature | None = None  # the near-duplicate signature (clustered in the main process)
    dupe_text: tuple[str, str] | None = None  # (title, text) until ``sign`` makes the signature


# -- the CPU part, run in workers or inline -----------------------------------------------------------
class Preparer:
    """Items → prepared rows: parse, skip what the store holds unchanged, segment, summarize (in a worker)."""

    def __init__(self, settings: Settings, store) -> None:
        self.tz = settings.tz
        self.summarize = settings.summarize_on_ingest
        self.max_bytes = settings.max_file_bytes
        self.store = store  # what ``known_versions`` asks: the store itself, or a worker's reader of it
        self._summarizer = None

    def summarizer(self):
        if self._summarizer is None:
            from ..summarize.extractive import ExtractiveSummarizer

            self._summarizer = ExtractiveSummarizer()
        return self._summarizer

    def __call__(self, item: Item) -> Prepared:
        return self.prepare([item])[0]

    def prepare(self, items: list[Item]) -> list[Prepared]:
        """Parse every item, look the documents up in the store together, then do the work for the new and
        changed ones."""
        parsed: list[tuple[Prepared, Document | None]] = []
        for item in items:
            out = Prepared(item.label, raw=item.raw)
            try:
                doc = self._document(item)
            except InputError as exc:
                out.error = exc.message
                doc = None
            out.note = item.note
            parsed.append((out, doc))
        known = self.store.known_versions([doc.id for _, doc in parsed if doc is not None])
        for out, doc in parsed:
            if doc is not None:
                self._finish(out, doc, known.get(doc.id))
        return [out for out, _ in parsed]

    def _finish(self, out: Prepared, doc: Document, known: KnownVersion | None) -> None:
        out.entry = RowEntry(doc.id, doc.content_hash, doc.external_id, ())
        if known and known.content_hash == doc.content_hash:
            out.unchanged = True
            return
        now = datetime.now(UTC)
        # an update keeps its first ingest time (the store keeps it too): as-of pagination stays stable
        doc.ingested_at = datetime.fromisoformat(known.ingested_at) if known else now
        out.entry.row = document_row(doc, now.isoformat(timespec="seconds"))
        out.fields = index_fields(doc)
        out.dupe_text = (doc.title, doc.text)
        if self.summarize:
            summary = verify_summary(self.summarizer().summarize(doc), doc)  # every backend's bullets are checked
            out.entry.summary = summary_row(summary, doc.content_hash, [p.text for p in doc.paragraphs])
        out.raw = b""

    def _document(self, item: Item) -> Document:
        if item.kind == "line":
            parse_line(item)
        if item.error:
            raise item.error
        if item.kind == "record":
            return record_to_document(item.record, self.tz)
        if item.kind == "pdf":
            from .pdf import pdf_document

            return pdf_document(item.path.resolve(), item.raw, self.tz)
        if item.kind == "docx":
            from .docx import docx_document

            return docx_document(item.path.resolve(), item.raw, self.max_bytes)
        text, codec = decode(item.raw)
        if codec not in ("utf-8", "utf-8-sig"):
            item.note = f"decoded as {codec}"
        if item.kind == "html":
            from .html import extract_html

            body, meta = extract_html(text)
            return file_to_document(item.path.resolve(), body, self.tz, meta)
        return file_to_document(item.path.resolve(), text, self.tz)


_worker: Preparer | None = None


def _init_worker(settings: Settings, reader) -> None:
    global _worker
    _worker = Preparer(settings, reader)


def _work(items: list[Item]) -> list[Prepared]:
    assert _worker is not None
    return sign(_worker.prepare(items))


def sign(prepared: list[Prepared]) -> list[Prepared]:
    """Near-duplicate signatures for the new and changed documents of a chunk, computed together."""
    todo = [p for p in prepared if p.dupe_text is not None]
    for p, sig in zip(todo, signatures([p.dupe_text for p in todo]), strict=True):
        p.dupe, p.dupe_text = sig, None
    return prepared


class Inputs:
    """The items of files and folders, in order: JSONL lines, files; a file an earlier run finished and that has
    not changed since (``FileLedger``) is skipped, and counted."""

    def __init__(self, settings: Settings, ledger: FileLedger, on_bytes: Callable[[int], None] | None = None):
        self.settings, self.ledger, self.on_bytes = settings, ledger, on_bytes
        self.skipped = 0  # files finished by an earlier run and unchanged since

    def items(self, paths: list[Path]) -> Iterator[Item]:
        for path in expand(paths):
            if not path.exists():
                yield Item(str(path), "record", b"", path, error=RecordError("no such file or folder"))
                continue
            kind = kind_of(path)
            if kind == "jsonl":
                yield from read_jsonl(path, self.settings.max_record_bytes, self.on_bytes)
            elif kind in FILE_KINDS:
                item = self._read_file(path, kind)
                if item is not None:
                    yield item
            else:
                yield Item(
                    str(path),
                    "record",
                    b"",
                    path,
                    error=RecordError("unsupported file type (expected .jsonl[.gz], .txt, .md, .html, .pdf or .docx)"),
                )

    def _read_file(self, path: Path, kind: str) -> Item | None:
        """The file's item, or None when an earlier run finished it and it has not changed."""
        if self.on_bytes:
            self.on_bytes(path.stat().st_size if path.exists() else 0)
        if self.ledger.unchanged(path):
            self.skipped += 1
            return None
        item = read_file(path, kind, self.settings.max_file_bytes)
        if self.ledger.same_bytes(path, item.raw):  # touched, not changed
            self.skipped += 1
            return None
        return item


# -- the driver ---------------------------------------------------------------------------------------
class Ingestor:
    def __init__(
        self,
        store: Store,
        index: FullTextIndex,
        settings: Settings,
        on_bytes: Callable[[int], None] | None = None,
        on_item: Callable[[Prepared], None] | None = None,
        on_stories: Callable[[int, int], None] | None = None,
    ):
        self.store, self.index, self.settings = store, index, settings
        self.on_bytes, self.on_item = on_bytes, on_item
        self.on_stories = on_stories  # (documents clustered, of how many) while older documents are caught up
        # with an LLM backend chosen, every added or changed document gets a summary job (the worker drains it)
        self.queue_backend = backend_key(settings) if settings.summary_backend != "extractive" else None
        self.clusters = StoryClusters(store, settings.dupe_representative, window_days=settings.dupe_window_days)
        self.ledger = FileLedger(store)  # finished files: an interrupted folder ingest resumes
        self.inputs = Inputs(settings, self.ledger, on_bytes)

    @staticmethod
    def total_bytes(paths: Iterable[Path]) -> int:
        return sum(p.stat().st_size for p in expand(list(paths)) if p.exists())

    def items(self, paths: list[Path]) -> Iterator[Item]:
        return self.inputs.items(paths)

    def _workers(self) -> int:
        if self.settings.workers > 0:
            return self.settings.workers
        return max(0, min(4, (os.cpu_count() or 1)))

    def _pool(self):
        n = self._workers()
        if n <= 1:
            return None
        ctx = mp.get_context("fork" if hasattr(os, "fork") else "spawn")
        return ctx.Pool(n, initializer=_init_worker, initargs=(self.settings, self.store.reader()))

    def _prepared(self, items: Iterator[Item], pool) -> Iterator[Prepared]:
        if pool is None:
            prep = Preparer(self.settings, self.store)
            for item in items:  # one at a time: a slow file is written before the next is read
                yield from sign([prep(item)])
            return
        yield from _bounded_imap(pool, chunked(items, CHUNK))

    def run(self, paths: list[Path]) -> IngestReport:
        # workers are forked before the index writer starts its threads (and after the signatures' fold table
        # is built, so they share it)
        fold_table()
        pool = self._pool()
        held = self.index.holds_writer
        try:
            return self._run(paths, pool)
        finally:
            if pool is not None:
                pool.terminate()
                pool.join()
            if not held:  # let a later ingest (another process: CLI beside a running server) have it
                self.index.release()

    def _run(self, paths: list[Path], pool) -> IngestReport:
        report = IngestReport()
        self.index.catch_up(self.store)
        self.index.writer(wait=WRITER_WAIT)  # hold the writer for the whole run: one ingest at a time
        # documents stored before clustering existed (or before a signature change), or written around the pipeline
        todo = self.clusters.unclustered() if self.on_stories else 0
        self.clusters.catch_up((lambda k: self.on_stories(k, todo)) if todo else None)
        pending: list[Prepared] = []
        since_commit, last_seq = 0, self.index.seq
        oldest, self.inputs.skipped = time.monotonic(), 0
        for prep in self._prepared(self.items(paths), pool):
            if self.on_item:
                self.on_item(prep)
            if prep.note:
                report.notes.append((prep.label, prep.note))
            if prep.error is not None:
                self._quarantine(prep, report)
            elif prep.unchanged:
                report.unchanged += 1
                self.store.add_external_id(prep.entry.id, prep.entry.external_id)
                self.ledger.mark([(prep.label, "done", prep.entry.id, None)])
            else:
                if not pending:
                    oldest = time.monotonic()
                pending.append(prep)
                due = self.ledger.tracked(prep.label) and (
                    len(pending) >= FILE_BATCH or time.monotonic() - oldest > FLUSH_SECONDS
                )
                if len(pending) >= self.settings.batch_size or due:
                    last_seq = self._flush(pending, report) or last_seq
                    since_commit += len(pending)
                    pending = []
                    if since_commit >= COMMIT_EVERY:
                        self.index.commit(last_seq)
                        since_commit = 0
        last_seq = self._flush(pending, report) or last_seq
        report.unchanged += self.inputs.skipped
        last_seq = max(last_seq, self.index.seq)
        self.index.commit(last_seq)
        self.store.prune_changes(last_seq, self.index.node)  # this index holds everything up to here
        return report

    def _flush(self, batch: list[Prepared], report: IngestReport) -> int | None:
        if not batch:
            return None
        kept, outcome = write_prepared(self.store, self.clusters, batch, report, self.queue_backend)
        added, updated = [], []
        for p in kept:
            status = outcome.statuses[p.entry.id]
            if status == "added":
                added.append(p.fields)
            elif status == "updated":
                updated.append(p.fields)
        self.index.add(added, replace=False)  # new ids: nothing to delete first
        self.index.add(updated)
        self.ledger.mark([(p.label, "done", p.entry.id, None) for p in batch])  # after the commit above
        return outcome.last_seq

    def _quarantine(self, prep: Prepared, report: IngestReport) -> None:
        self.store.quarantine(prep.label, prep.error or "unknown error", prep.raw)
        self.ledger.mark([(prep.label, "quarantined", None, prep.error)])
        report.quarantined += 1
        report.errors.append((prep.label, prep.error or ""))


def write_prepared(
    store: Store,
    clusters: StoryClusters,
    batch: list[Prepared],
    report: IngestReport,
    queue_backend: str | None,
    ingest_job: IngestDone | None = None,
    held: list[float] | None = None,
) -> tuple[list[Prepared], WriteOutcome]:
    """Write a batch of prepared documents and their story clusters in one transaction, the clusters planned
    inside it one batch at a time across every writer (``Store.write_rows``); the report counts what happened.
    Returns the documents written (the last of each id) and the outcome; ``held`` gets the seconds of the part
    of the write that is serialized across machines (the cluster plan, the change log, the commit)."""
    latest: dict[str, Prepared] = {}
    unchanged_before, updated_before = report.unchanged, report.updated
    # the same document twice in one batch: identical → unchanged, else the last wins; either way every
    # record id names it (written in the batch's transaction)
    aliases: list[tuple[str, str]] = []
    for p in batch:
        prev = latest.get(p.entry.id)
        if prev is not None:
            if prev.entry.content_hash == p.entry.content_hash:
                report.unchanged += 1
                if p.entry.external_id:
                    aliases.append((p.entry.id, p.entry.external_id))
                continue
            if prev.entry.external_id:
                aliases.append((prev.entry.id, prev.entry.external_id))
            report.updated += 1
        latest[p.entry.id] = p
    kept = list(latest.values())
    if ingest_job is not None:  # the chunk's counts in the store include the records folded here
        ingest_job = replace(
            ingest_job,
            unchanged=ingest_job.unchanged + report.unchanged - unchanged_before,
            updated=ingest_job.updated + report.updated - updated_before,
        )

    incoming = _incoming(kept)

    def plan():  # inside the write's transaction, one batch at a time (the store's story section)
        # (StoryClusters.prefetch, the read-ahead, is not used: with it, four concurrent ingests joined one CCTV
        # copy fewer than one ingest in 1 of 4 runs of tests/test_postgres.py — to be found before it returns)
        return clusters.plan(incoming).changes()

    for p in kept:  # a story of its own until the plan says otherwise: most rows need no second write
        p.entry.row = p.entry.row._replace(cluster_id=p.entry.id)

    outcome = store.write_rows(
        [p.entry for p in kept], queue_backend, clusters=plan, external_ids=aliases, ingest_job=ingest_job
    )
    if held is not None:
        held.append(outcome.serialized_s)
    for p in kept:
        status = outcome.statuses[p.entry.id]
        setattr(report, status, getattr(report, status) + 1)
    return kept, outcome


def _incoming(batch: list[Prepared]) -> list[Incoming]:
    """The batch's documents as story clustering takes them."""
    docs = []
    for p in batch:
        row = p.entry.row
        sig = p.dupe or signature(row.title, paragraphs_text(row.paragraphs))
        docs.append(Incoming(p.entry.id, sig, row.title, row.source, row.doc_type, row.published_ts, _body(row)))
    return docs


def _bounded_imap(pool, chunks: Iterator[list[Item]]) -> Iterator[Prepared]:
    """``pool.imap`` with back-pressure: at most ``IN_FLIGHT`` chunks are out with the workers or waiting to
    be written. Without it, workers that outpace the writer pile results up in the main process (memory
    grows with the input, and the garbage collector's passes over that heap slow the writer further)."""
    window = threading.Semaphore(IN_FLIGHT)
    stopped = False

    def fed() -> Iterator[list[Item]]:
        for chunk in chunks:
            window.acquire()
            if stopped:
                return
            yield chunk

    try:
        for batch in pool.imap(_work, fed(), chunksize=1):
            window.release()
            yield from batch
    finally:
        stopped = True
        for _ in range(IN_FLIGHT):  # never leave the pool's feeder thread blocked (pool.terminate joins it)
            window.release()


def _body(row: DocumentRow) -> Callable[[], str]:
    return lambda: paragraphs_text(row.paragraphs)


def chunked(items: Iterator[Item], size: int, max_bytes: int = CHUNK_BYTES) -> Iterator[list[Item]]:
    """Tasks of ``size`` items, or fewer when their bytes reach ``max_bytes`` (a PDF goes alone, so the
    workers share a folder of them)."""
    buf: list[Item] = []
    held = 0
    for item in items:
        buf.append(item)
        held += len(item.raw)
        if len(buf) >= size or held >= max_bytes:
            yield buf
            buf, held = [], 0
    if buf:
        yield buf
