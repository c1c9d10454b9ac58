"""Uploaded files: a safe name inside ``<data dir>/uploads``, never a path the client chose."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from ..errors import InputError
from ..ingest.sources import DOCX_SUFFIXES, HTML_SUFFIXES, JSONL_SUFFIXES, PDF_SUFFIXES, TEXT_SUFFIXES, kind_of

MAX_NAME = 120
_UNSAFE = re.compile(r"[^\w.\- ()]+")
SUPPORTED = ", ".join(PDF_SUFFIXES + DOCX_SUFFIXES + HTML_SUFFIXES + TEXT_SUFFIXES + JSONL_SUFFIXES)


def safe_name(name: str | None) -> str:
    """The last component of a client's file name, reduced to word characters (any script), ``.-_ ()``.

    Raises InputError for a name with nothing left, or a type assay cannot ingest."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" ._")
    if not base:
        raise InputError(f"file name {name!r}: nothing usable left after removing unsafe characters")
    if kind_of(Path(base)) is None:
        raise InputError(f"file {name!r}: unsupported type (expected one of {SUPPORTED})")
    if len(base) > MAX_NAME:
        stem, dot, ext = base.partition(".")
        base = stem[: MAX_NAME - len(ext) - 1] + dot + ext
    return base


def store_upload(uploads_dir: Path, name: str | None, data: bytes) -> Path:
    """Write ``data`` under ``uploads_dir`` with a safe name; the same bytes under the same name reuse the
    file, other bytes get a numbered name. Returns the path (always directly inside ``uploads_dir``)."""
    base = safe_name(name)
    uploads_dir.mkdir(parents=True, exist_ok=True)
    root = uploads_dir.resolve()
    stem, dot, ext = base.partition(".")
    digest = hashlib.sha256(data).digest()
    for i in range(1, 1000):
        candidate = root / (base if i == 1 else f"{stem} ({i}){dot}{ext}")
        if candidate.parent != root:  # cannot happen with a sanitized name; checked all the same
            raise InputError(f"file name {name!r}: refers outside the upload folder")
        try:
            with candidate.open("xb") as f:  # never overwrite, even when two uploads race
                f.write(data)
            return candidate
        except FileExistsError:
            if hashlib.sha256(candidate.read_bytes()).digest() == digest:
                return candidate
    raise InputError(f"file name {name!r}: too many different uploads with this name")
