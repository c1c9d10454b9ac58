"""The full-text index: tantivy, fed pre-segmented tokens (tantivy has no Chinese tokenizer).

Fields: ``body``/``title`` hold default-mode words with positions (phrases); ``body_x``/``title_x`` hold
search-mode sub-words of compounds (frequencies only). ``source``, ``doc_type`` and ``lang`` are exact
filter terms; ``ts`` (publication time, seconds) is a fast field for newest-first and date ranges.

The index is derived data. ``state.json`` records the store's change-log position the last commit
covers; ``catch_up`` replays later changes (delete + add by id, which is idempotent), so after any crash
the index converges on the store. ``rebuild`` recreates it from the store.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import tantivy

from ..errors import StoreError
from ..model import Document
from ..text.segment import ANALYZER_NAME, build_analyzer, index_strings

SCHEMA_VERSION = 5
NO_DATE = -(2**62)  # sorts last in newest-first order
Progress = Callable[[int], None]


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw", index_option="basic")
    sb.add_text_field("title", tokenizer_name=ANALYZER_NAME, index_option="position")
    sb.add_text_field("title_x", tokenizer_name=ANALYZER_NAME, index_option="freq")
    sb.add_text_field("body", tokenizer_name=ANALYZER_NAME, index_option="position")
    sb.add_text_field("body_x", tokenizer_name=ANALYZER_NAME, index_option="freq")
    for name in ("source", "doc_type", "lang"):
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("ts", indexed=True, fast=True)
    sb.add_integer_field("newest", fast=True)
    sb.add_integer_field("added", indexed=True, fast=True)
    return sb.build()


def index_fields(doc: Document) -> dict:
    """The tantivy field values of a document (this is where segmentation cost is paid)."""
    title, title_x = index_strings(doc.title)
    body, body_x = index_strings("\n".join(p.text for p in doc.paragraphs))
    return {
        "id": doc.id,
        "title": title,
        "title_x": title_x,
        "body": body,
        "body_x": body_x,
        "source": doc.source,
        "doc_type": doc.doc_type,
        "lang": doc.lang,
        "ts": int(doc.published_at.timestamp()) if doc.published_at else NO_DATE,
        "newest": newest_key(doc),
        "added": int(doc.ingested_at.timestamp()) if doc.ingested_at else 0,
    }


def newest_key(doc: Document) -> int:
    """Sort key for newest first: the time, ties broken by id, so the order never depends on the index."""
    if doc.published_at is None:
        return NO_DATE + int(doc.id[:5], 16)
    return (int(doc.published_at.timestamp()) << 20) | int(doc.id[:5], 16)


class FullTextIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.schema = build_schema()
        self._writer: tantivy.IndexWriter | None = None
        self._open()

    # -- lifecycle --------------------------------------------------------------------------------
    def _open(self) -> None:
        state = self._read_state()
        if state.get("schema") != SCHEMA_VERSION and self.path.exists():
            shutil.rmtree(self.path)  # derived data in an old layout: rebuilt from the store
            state = {}
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            self.index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
            self.index.register_tokenizer(ANALYZER_NAME, build_analyzer())
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot open the index at {self.path}: {exc}; run `assay reindex`") from exc
        if not state:
            self._write_state(0)

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    def _read_state(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _write_state(self, seq: int) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"schema": SCHEMA_VERSION, "seq": seq}))
        os.replace(tmp, self.state_file)

    @property
    def seq(self) -> int:
        return int(self._read_state().get("seq", 0))

    def writer(self, wait: float = 0.0) -> tantivy.IndexWriter:
        """The one writer (held until ``release`` or ``close``). Waits up to ``wait`` seconds for another
        process to release it, then raises StoreError."""
        deadline = time.monotonic() + wait
        while self._writer is None:
            try:
                self._writer = self.index.writer(heap_size=256_000_000, num_threads=1)
            except ValueError as exc:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"the index is being written by another assay process ({exc}); try again when it is done"
                    ) from exc
                time.sleep(0.2)
        return self._writer

    @property
    def holds_writer(self) -> bool:
        return self._writer is not None

    def try_writer(self) -> tantivy.IndexWriter | None:
        try:
            return self.writer()
        except StoreError:
            return None

    def release(self) -> None:
        """Let go of the writer (after its merges), so another process (``assay ingest`` beside a running
        ``assay serve``) can write. Nothing uncommitted may be pending."""
        if self._writer is not None:
            self._writer.wait_merging_threads()
            self._writer = None

    def close(self) -> None:
        self.release()

    # -- writes -----------------------------------------------------------------------------------
    def add(self, fields: Iterable[dict], replace: bool = True) -> None:
        w = self.writer()
        for f in fields:
            if replace:
                w.delete_documents_by_term("id", f["id"])
            w.add_document(tantivy.Document(**f))

    def delete(self, ids: Iterable[str]) -> None:
        w = self.writer()
        for i in ids:
            w.delete_documents_by_term("id", i)

    @property
    def node(self) -> str:
        """This index among those that follow one store's change log: host and folder."""
        return f"{socket.gethostname()}:{self.path.resolve()}"

    def commit(self, seq: int) -> None:
        """Make added documents visible and record the change-log position they cover."""
        self.writer().commit()
        self._write_state(seq)
        self.index.reload()

    def catch_up(self, store, progress: Progress | None = None) -> int:
        """Replay store changes the index has not seen. Returns how many documents were re-indexed. A writer
        taken for this is released again."""
        seq = self.seq
        if store.last_seq() <= seq:
            return 0
        held = self.holds_writer
        if self.try_writer() is None:
            return 0  # an ingest in another process holds the writer and will commit itself
        try:
            return self._catch_up(store, seq, progress)
        finally:
            if not held:
                self.release()

    def _catch_up(self, store, seq: int, progress: Progress | None) -> int:
        if seq == 0:  # a new (or wiped) index: the change log may have been pruned, so read the store
            return self.rebuild(store, progress)
        last, ids = store.changes_since(seq)
        done = 0
        for i in range(0, len(ids), 1000):
            chunk = ids[i : i + 1000]
            docs = store.get_documents(chunk)
            self.delete(chunk)
            self.add((index_fields(d) for d in docs.values()), replace=False)
            done += len(chunk)
            if progress:
                progress(len(chunk))
        self.commit(last)
        store.prune_changes(last, self.node)
        return done

    def rebuild(self, store, progress: Progress | None = None) -> int:
        seq = store.last_seq()
        w = self.writer()
        w.delete_all_documents()
        n = 0
        batch = []
        for doc in store.iter_documents():
            batch.append(index_fields(doc))
            if len(batch) >= 1000:
                self.add(batch, replace=False)
                n += len(batch)
                if progress:
                    progress(len(batch))
                batch = []
        self.add(batch, replace=False)
        n += len(batch)
        if progress and batch:
            progress(len(batch))
        self.commit(seq)
        store.prune_changes(seq, self.node)
        return n

    # -- reads ------------------------------------------------------------------------------------
    def searcher(self) -> tantivy.Searcher:
        return self.index.searcher()

    def num_docs(self) -> int:
        return self.index.searcher().num_docs
