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
    def existing_hashes(self, ids: Iterable[str]) -> dict[str, str]: ...

    def write_batch(self, docs: list[Document], summaries: list[Summary]) -> WriteOutcome: ...

    def get_document(self, key: str) -> Document: ...

    def get_documents(self, ids: list[str]) -> dict[str, Document]: ...

    def summaries_for(self, docs: Iterable[Document], backend: str, version: int) -> dict[str, Summary]: ...

    def changes_since(self, seq: int) -> tuple[int, list[str]]: ...

    def iter_documents(self, batch: int = 1000) -> Iterator[Document]: ...

    def quarantine(self, source: str, reason: str, raw: bytes) -> bool: ...

    def count(self) -> int: ...

    def close(self) -> None: ...
