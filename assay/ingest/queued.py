"""Ingest through the store's queue, for a shared store (PostgreSQL): ``assay ingest`` reads the inputs and
queues them as chunks (the bytes themselves: a worker needs no shared disk); ``assay worker`` processes on any
machine take chunks, do the CPU work (parse, segment, summarize, sign) and write each chunk's documents, their
story clusters and the chunk's "done" in one transaction. The serialized part is that transaction and the
cluster plan before it (``write_prepared``, under the store's story lock).

A worker killed mid-chunk wrote nothing of it; the chunk is taken again when its lease runs out (at once when
the dead worker ran on the claiming host). Running the same ingest twice writes nothing new: the workers find
the documents unchanged.
"""

from __future__ import annotations

import logging
import struct
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..dedupe.clusters import StoryClusters
from ..dedupe.signature import fold_table
from ..errors import StoreUnavailable
from ..model import IngestDone, IngestJob, IngestProgress
from ..settings import Settings
from ..store.base import Store
from ..store.ingest_queue import LeaseLost
from ..store.queue import worker_name
from ..summarize.worker import backend_key
from .ledger import FileLedger
from .pipeline import IngestReport, Inputs, Prepared, Preparer, chunked, sign, write_prepared
from .sources import Item

log = logging.getLogger("assay.ingest")

CHUNK_ITEMS = 1000  # inputs per chunk (the library's batch_size: one transaction each)
CHUNK_BYTES = 8 * 1024 * 1024  # or fewer, when they are large files
LEASE_S = 300.0  # a chunk takes about a second; a worker silent this long is taken for dead
_HEAD = struct.Struct("<I")


# -- chunks -----------------------------------------------------------------------------------------------
def encode_items(items: list[Item]) -> bytes:
    """Items as bytes: a JSON head (label, kind, path, size of each) and the raw bytes after it, compressed."""
    head = orjson.dumps([[i.label, i.kind, str(i.path) if i.path else None, len(i.raw)] for i in items])
    return zlib.compress(_HEAD.pack(len(head)) + head + b"".join(i.raw for i in items), 1)


def decode_items(data: bytes) -> list[Item]:
    raw = zlib.decompress(data)
    (n,) = _HEAD.unpack_from(raw)
    at = _HEAD.size + n
    items = []
    for label, kind, path, size in orjson.loads(raw[_HEAD.size : at]):
        items.append(Item(label, kind, raw[at : at + size], Path(path) if path else None))
        at += size
    return items


@dataclass(slots=True)
class Enqueued:
    batch: str
    chunks: int = 0
    items: int = 0
    quarantined: int = 0  # inputs that could not be read (kept in quarantine at once)
    skipped: int = 0  # files an earlier run finished, unchanged since
    errors: list[tuple[str, str]] | None = None


def enqueue_paths(
    store: Store,
    settings: Settings,
    paths: list[Path],
    on_bytes: Callable[[int], None] | None = None,
    batch: str | None = None,
) -> Enqueued:
    """Queue the inputs of ``paths`` as chunks of one batch (a new id unless given)."""
    out = Enqueued(batch or uuid.uuid4().hex[:12], errors=[])
    inputs = Inputs(settings, FileLedger(store), on_bytes)
    readable: list[Item] = []

    def kept() -> Iterator[Item]:
        for item in inputs.items(paths):
            if item.error is not None:  # unreadable before parsing (no such file, too large): quarantined here
                store.quarantine(item.label, item.error.message, item.raw)
                out.quarantined += 1
                out.errors.append((item.label, item.error.message))
                continue
            readable.append(item)
            yield item

    for chunk in chunked(kept(), CHUNK_ITEMS, CHUNK_BYTES):
        store.enqueue_ingest(out.batch, [(chunk[0].label, encode_items(chunk), len(chunk))])
        out.chunks += 1
        out.items += len(chunk)
    out.skipped = inputs.skipped
    return out


# -- the worker -------------------------------------------------------------------------------------------
class IngestWorker:
    """Takes chunks of the ingest queue and writes their documents (one process; run several, anywhere)."""

    def __init__(self, store: Store, settings: Settings, name: str | None = None, lease_s: float = LEASE_S):
        self.store, self.settings = store, settings
        self.name = name or worker_name()
        self.lease_s = lease_s
        self.preparer = Preparer(settings, store)
        self.clusters = StoryClusters(store, settings.dupe_representative, window_days=settings.dupe_window_days)
        self.queue_backend = backend_key(settings) if settings.summary_backend != "extractive" else None
        self.report = IngestReport()
        self.chunks = 0
        self.serial_s = 0.0  # time holding the story lock: the chunk's cluster plan and its transaction
        self.on_chunk: Callable[[IngestJob], None] | None = None

    def run(
        self,
        batch: str | None = None,
        stop: threading.Event | None = None,
        until_empty: Callable[[], bool] | None = None,
        poll_s: float = 0.5,
    ) -> IngestReport:
        """Take chunks (of ``batch``, or any) until ``stop`` is set; with ``until_empty``, also stop once the
        queue has no chunk for this worker and ``until_empty()`` says no more will come."""
        fold_table()
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                job = self.store.claim_ingest(self.name, self.lease_s, batch)
            except StoreUnavailable as exc:
                log.warning("ingest worker %s: %s; trying again", self.name, exc)
                stop.wait(poll_s)
                continue
            if job is None:
                if until_empty is not None and until_empty():
                    break
                stop.wait(poll_s)
                continue
            self.process(job)
            if self.on_chunk:
                self.on_chunk(job)
        return self.report

    def process(self, job: IngestJob) -> bool:
        """Write the chunk's documents and mark it done; False when it was not (another worker has it now, or
        the store stayed away: the lease runs out and a worker takes it again)."""
        try:
            items = decode_items(job.items)
        except (zlib.error, ValueError, struct.error) as exc:
            self.store.fail_ingest(job.id, self.name, f"unreadable chunk: {exc}")
            return False
        for attempt in range(1, 11):  # the store restarting: the chunk is done again from the start
            try:
                report = self._write(job, [Item(i.label, i.kind, i.raw, i.path) for i in items])
                break
            except LeaseLost as exc:  # another worker took it (this one was too slow): nothing was written
                log.warning("%s", exc)
                return False
            except StoreUnavailable as exc:
                log.warning("chunk %s: %s; again (%d)", job.id, exc, attempt)
                time.sleep(min(0.5 * attempt, 3.0))
        else:
            return False
        self.chunks += 1
        for key in ("added", "updated", "unchanged", "quarantined"):
            setattr(self.report, key, getattr(self.report, key) + getattr(report, key))
        self.report.errors += report.errors
        self.report.notes += report.notes
        return True

    def _write(self, job: IngestJob, items: list[Item]) -> IngestReport:
        prepared = sign(self.preparer.prepare(items))
        report = IngestReport()
        todo: list[Prepared] = []
        for prep in prepared:
            if prep.note:
                report.notes.append((prep.label, prep.note))
            if prep.error is not None:
                self.store.quarantine(prep.label, prep.error or "unknown error", prep.raw)
                report.quarantined += 1
                report.errors.append((prep.label, prep.error or ""))
            elif prep.unchanged:
                report.unchanged += 1
                self.store.add_external_id(prep.entry.id, prep.entry.external_id)
            else:
                todo.append(prep)
        done = IngestDone(job.id, self.name, unchanged=report.unchanged, quarantined=report.quarantined)
        held: list[float] = []
        write_prepared(self.store, self.clusters, todo, report, self.queue_backend, ingest_job=done, held=held)
        self.serial_s += sum(held)
        return report


def wait_for(
    store: Store,
    batch: str,
    on_progress: Callable[[IngestProgress], None] | None = None,
    poll_s: float = 0.5,
    stop: threading.Event | None = None,
) -> IngestProgress:
    """Poll the batch's progress until every chunk is done or failed."""
    stop = stop or threading.Event()
    while True:
        try:
            progress = store.ingest_progress(batch)
        except StoreUnavailable:
            stop.wait(poll_s)
            continue
        if on_progress:
            on_progress(progress)
        if progress.finished or stop.is_set():
            return progress
        stop.wait(poll_s)
