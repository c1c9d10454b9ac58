"""Input readers. Each yields ``Item``s: a raw record or file with a label naming where it came from.

Readers never raise for bad content; the pipeline turns bad items into quarantine entries.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from ..errors import InputError, RecordError
from .decode import decode

JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".json", ".json.gz")
TEXT_SUFFIXES = (".txt", ".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
Advance = Callable[[int], None]


@dataclass(slots=True)
class Item:
    label: str  # "path:line" or "path"
    kind: str  # "line" (unparsed JSONL) | "record" | "text" | "html" | "pdf" | "docx"
    raw: bytes
    path: Path | None
    record: dict | None = None
    error: InputError | None = None
    note: str = ""


def kind_of(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(TEXT_SUFFIXES):
        return "text"
    if name.endswith(HTML_SUFFIXES):
        return "html"
    if name.endswith(PDF_SUFFIXES):
        return "pdf"
    if name.endswith(DOCX_SUFFIXES):
        return "docx"
    return None


def expand(paths: list[Path]) -> Iterator[Path]:
    """Files to ingest: the files given, and the supported files under folders (sorted, recursive)."""
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and kind_of(f) and not f.name.startswith("."):
                    yield f
        else:
            yield p


class _Counting(io.RawIOBase):
    """A raw binary stream that reports how many bytes were read (progress for .gz too)."""

    def __init__(self, f, advance: Advance | None):
        super().__init__()
        self.f, self.advance = f, advance

    def readinto(self, b) -> int:
        n = self.f.readinto(b)
        if self.advance and n:
            self.advance(n)
        return n

    def readable(self) -> bool:
        return True


def read_jsonl(path: Path, max_record_bytes: int, advance: Advance | None = None) -> Iterator[Item]:
    raw_file = open(path, "rb")  # noqa: SIM115 - closed below
    counted = io.BufferedReader(_Counting(raw_file, advance), buffer_size=1 << 20)
    stream = gzip.GzipFile(fileobj=counted) if path.name.lower().endswith(".gz") else counted
    try:
        yield from _lines(path, stream, max_record_bytes)
    except (OSError, EOFError) as exc:  # truncated or corrupt .gz: what was read is kept
        yield Item(f"{path}", "record", b"", path, error=RecordError(f"unreadable file: {exc}"))
    finally:
        raw_file.close()


def _lines(path: Path, stream, max_record_bytes: int) -> Iterator[Item]:
    reader = stream
    lineno = 0
    while True:
        line = reader.readline(max_record_bytes + 1)
        if not line:
            return
        lineno += 1
        label = f"{path}:{lineno}"
        if len(line) > max_record_bytes and not line.endswith(b"\n"):
            rest = line + _drain_line(reader)
            yield Item(
                label,
                "record",
                rest,
                path,
                error=RecordError(
                    f"record too large ({len(rest) / 1e6:.1f} MB > {max_record_bytes / 1e6:.1f} MB limit)"
                ),
            )
            continue
        if not line.strip():
            continue
        yield Item(label, "line", line, None)  # parsed by the worker (parse_line); no Path to pickle


def _drain_line(reader) -> bytes:
    chunks = []
    while True:
        chunk = reader.readline(1 << 20)
        chunks.append(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return b"".join(chunks)


def parse_line(item: Item) -> Item:
    """Decode and parse one JSONL line in place: ``record`` on success, ``error`` otherwise."""
    item.kind = "record"
    line = item.raw
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text, codec = decode(line)
        except InputError as exc:
            item.error = exc
            return item
        item.note = f"decoded as {codec}"
    try:
        record = orjson.loads(text)  # the C parser; json's takes what it refuses (NaN, huge integers)
    except orjson.JSONDecodeError:
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            item.error = RecordError(f"invalid JSON: {exc.msg} at column {exc.colno}")
            return item
    if not isinstance(record, dict):
        item.error = RecordError(f"expected a JSON object, got {type(record).__name__}")
        return item
    item.record = record
    return item


def read_file(path: Path, kind: str, max_file_bytes: int) -> Item:
    label = str(path)
    try:
        size = path.stat().st_size
        if size > max_file_bytes:
            return Item(
                label,
                kind,
                path.read_bytes()[: 1 << 20],
                path,
                error=RecordError(
                    f"file too large ({size / 1e6:.1f} MB > {max_file_bytes / 1e6:.1f} MB limit); first MB kept"
                ),
            )
        raw = path.read_bytes()
    except OSError as exc:
        return Item(label, kind, b"", path, error=RecordError(f"unreadable file: {exc.strerror or exc}"))
    if not raw.strip():
        return Item(label, kind, raw, path, error=RecordError("empty file"))
    return Item(label, kind, raw, path)
