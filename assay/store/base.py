"""The Store protocol: what ingest, search and the interfaces need from a system of record."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from ..model import Document, Summary

Status = Literal["added", "updated", "unchanged"]


@dataclass(slots=True)
class WriteOutcome:
    statuses: dict[str, Status]  # doc id -> what happened
    last_seq: int  # the change-log position after this write


class Store(Protocol):
    """What the pipeline, the index and the interfaces call. ``SqliteStore`` is the embedded default."""

    # writes: documents with their summaries, in one transaction, appended to the change log
    def existing_hashes(self, ids: Iterable[str]) -> dict[str, str]: ...

    def write_batch(self, docs: list[Document], summaries: list[Summary]) -> WriteOutcome: ...

    def write_rows(self, entries: list) -> WriteOutcome: ...

    def add_external_id(self, doc_id: str, external_id: str | None) -> None: ...

    def quarantine(self, source: str, reason: str, raw: bytes) -> bool: ...

    # reads
    def resolve(self, key: str) -> str: ...

    def get_document(self, key: str) -> Document: ...

    def get_documents(self, ids: list[str]) -> dict[str, Document]: ...

    def external_ids(self, doc_id: str) -> list[str]: ...

    def summaries_for(self, docs: Iterable[Document], backend: str, version: int) -> dict[str, Summary]: ...

    def iter_documents(self, batch: int = 1000) -> Iterator[Document]: ...

    def sources_matching(self, fragment: str) -> list[str]: ...

    def count(self) -> int: ...

    def stats(self) -> dict: ...

    # the change log the full-text index replays
    def last_seq(self) -> int: ...

    def changes_since(self, seq: int) -> tuple[int, list[str]]: ...

    def prune_changes(self, upto: int) -> None: ...

    def close(self) -> None: ...
