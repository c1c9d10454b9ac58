"""DOCX → paragraphs (headings from Word's heading styles, tables as rows) and the core title.

A .docx is a zip archive, so it is read with limits: the sizes the archive declares, and the bytes
actually inflated, may not pass ``max_bytes`` in all nor ``MAX_RATIO`` times the file's size (a zip bomb
stops there, before it fills memory).
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

from ..errors import RecordError
from ..model import Document, Paragraph
from ..text.normalize import detect_lang
from .records import infer_doc_type

MAX_RATIO = 100  # inflated bytes per byte of the file
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_HEADING_STYLE = re.compile(r"^(?:heading|标题|berschrift|titre)\s*(\d)$", re.I)


@dataclass(slots=True)
class DocxContent:
    paragraphs: list[Paragraph]
    title: str | None = None
    author: str | None = None


def docx_document(path: Path, raw: bytes, max_bytes: int) -> Document:
    """A Document from a .docx upload: the core title, else a leading heading, else the file name."""
    content = read_docx(raw, max_bytes)
    paragraphs = content.paragraphs
    title = content.title
    if not title and paragraphs[0].kind == "heading" and len(paragraphs) > 1:
        title = paragraphs[0].text
        paragraphs = paragraphs[1:]
        for i, p in enumerate(paragraphs, 1):
            p.n = i
    title = title or path.stem
    source = path.parent.name
    doc = Document(
        title=title,
        paragraphs=paragraphs,
        source=source,
        doc_type=infer_doc_type(source, title, None),
        lang=detect_lang(title + "\n" + "\n".join(p.text for p in paragraphs[:40])[:2000]),
        tags=[f"author:{content.author}"] if content.author else [],
        external_id=str(path),
    )
    return doc.finalize()


def read_docx(raw: bytes, max_bytes: int) -> DocxContent:
    """Paragraphs of a .docx. Raises RecordError naming the reason (not a zip, no document, a bomb…)."""
    if not raw.startswith(b"PK"):
        raise RecordError("not a .docx (no zip signature)")
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise RecordError(f"corrupt .docx: {exc}") from exc
    limit = min(max_bytes, max(len(raw), 1) * MAX_RATIO)
    with archive:
        declared = sum(i.file_size for i in archive.infolist())
        if declared > limit:
            raise RecordError(f"zip bomb refused: {declared / 1e6:.1f} MB inflated from {len(raw) / 1e6:.2f} MB")
        body = _member(archive, "word/document.xml", limit)
        if body is None:
            raise RecordError("not a .docx (no word/document.xml)")
        styles = _heading_styles(_member(archive, "word/styles.xml", limit))
        core = _member(archive, "docProps/core.xml", limit)
    paragraphs = _paragraphs(_parse(body), styles)
    if not paragraphs:
        raise RecordError(".docx without text")
    title, author = _core(core)
    return DocxContent(paragraphs, title, author)


def _member(archive: zipfile.ZipFile, name: str, limit: int) -> bytes | None:
    """A member's bytes, read in pieces and stopped past ``limit`` (declared sizes can lie)."""
    try:
        f = archive.open(name)
    except KeyError:
        return None
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as exc:  # encrypted or odd compression
        raise RecordError(f"unreadable .docx member {name}: {exc}") from exc
    out = bytearray()
    try:
        with f:
            while chunk := f.read(1 << 20):
                out += chunk
                if len(out) > limit:
                    raise RecordError(f"zip bomb refused: {name} inflates past {limit / 1e6:.1f} MB")
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise RecordError(f"corrupt .docx member {name}: {exc}") from exc
    return bytes(out)


def _parse(data: bytes) -> ET.Element:
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise RecordError(f"corrupt .docx XML: {exc}") from exc


def _heading_styles(data: bytes | None) -> dict[str, int]:
    """Style id → heading level, from the styles' names (Heading 1, 标题 1; Title counts as level 1)."""
    if not data:
        return {}
    out: dict[str, int] = {}
    for style in _parse(data).iter(f"{_W}style"):
        sid = style.get(f"{_W}styleId") or ""
        name_el = style.find(f"{_W}name")
        name = (name_el.get(f"{_W}val") if name_el is not None else "") or sid
        if m := _HEADING_STYLE.match(name.strip()) or _HEADING_STYLE.match(sid):
            out[sid] = int(m.group(1))
        elif name.strip().lower() == "title":
            out[sid] = 1
    return out


def _paragraphs(root: ET.Element, styles: dict[str, int]) -> list[Paragraph]:
    body = root.find(f"{_W}body")
    out: list[Paragraph] = []
    for el in body if body is not None else []:
        if el.tag == f"{_W}p":
            _add_paragraph(el, styles, out)
        elif el.tag == f"{_W}tbl":
            out.extend(Paragraph(0, row) for row in _table_rows(el))
    for i, p in enumerate(out, 1):
        p.n = i
    return out


def _add_paragraph(el: ET.Element, styles: dict[str, int], out: list[Paragraph]) -> None:
    text = " ".join(_text(el).split())
    if not text:
        return
    style = el.find(f"{_W}pPr/{_W}pStyle")
    sid = style.get(f"{_W}val") if style is not None else None
    level = styles.get(sid or "") or _builtin_level(sid)
    out.append(Paragraph(0, text, "heading", level) if level else Paragraph(0, text))


def _builtin_level(sid: str | None) -> int:
    m = _HEADING_STYLE.match(sid or "") or re.match(r"^Heading(\d)$", sid or "")
    return int(m.group(1)) if m else 0


def _text(el: ET.Element) -> str:
    parts: list[str] = []
    for node in el.iter():
        if node.tag == f"{_W}t" and node.text:
            parts.append(node.text)
        elif node.tag in (f"{_W}tab", f"{_W}br", f"{_W}cr"):
            parts.append(" ")
    return "".join(parts)


def _table_rows(tbl: ET.Element) -> list[str]:
    rows = []
    for tr in tbl.iter(f"{_W}tr"):
        cells = [" ".join(_text(tc).split()) for tc in tr.findall(f"{_W}tc")]
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def _core(data: bytes | None) -> tuple[str | None, str | None]:
    if not data:
        return None, None
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None, None
    title = (root.findtext(f"{_DC}title") or "").strip() or None
    author = (root.findtext(f"{_DC}creator") or "").strip() or None
    return title, author
