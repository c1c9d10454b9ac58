"""Folder ingest of PDFs, DOCX and text files: bad files are quarantined with their reason while the batch
goes on, and a second run skips the files the first one finished."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import data_file, make_settings, read_records

from assay.errors import RecordError
from assay.ingest.docx import docx_document, read_docx
from assay.ingest.pipeline import Ingestor
from assay.store.integrity import check_integrity
from assay.workspace import Workspace

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(blocks: list[tuple[str, str]], title: str | None = None, table: list[list[str]] | None = None) -> bytes:
    """A .docx as Word writes one: content types, relationships, styles (Heading 1, Heading 2), the body
    (``(style or "", text)`` paragraphs, then a table) and core properties."""
    body = []
    for style, text in blocks:
        ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
        body.append(f"<w:p>{ppr}<w:r><w:t xml:space='preserve'>{_xml(text)}</w:t></w:r></w:p>")
    if table:
        rows = "".join(
            "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{_xml(c)}</w:t></w:r></w:p></w:tc>" for c in row) + "</w:tr>"
            for row in table
        )
        body.append(f"<w:tbl>{rows}</w:tbl>")
    styles = "".join(
        f'<w:style w:type="paragraph" w:styleId="Heading{n}"><w:name w:val="heading {n}"/></w:style>' for n in (1, 2)
    )
    core = (
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        + (f"<dc:title>{_xml(title)}</dc:title>" if title else "")
        + "<dc:creator>assay tests</dc:creator></cp:coreProperties>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'wordprocessingml.document.main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{"".join(body)}</w:body></w:document>')
        z.writestr("word/styles.xml", f'<w:styles xmlns:w="{W}">{styles}</w:styles>')
        z.writestr("docProps/core.xml", core)
    return buf.getvalue()


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def zip_bomb(inflated: int = 60_000_000) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w") as f:
            chunk = b"\0" * (1 << 20)
            for _ in range(inflated // len(chunk)):
                f.write(chunk)
    return buf.getvalue()


def encrypted_pdf(source: Path) -> bytes:
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def imageless_blank_pdf(pages: int = 2) -> bytes:
    """A valid PDF with pages but no text layer (what a scan without OCR looks like to a text reader)."""
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def news_paragraphs(n: int) -> list[str]:
    return [r["text"] for r in read_records("zh_news_cctv_xwlb.jsonl.gz", n)]


@pytest.fixture
def folder(tmp_path):
    pdfs = data_file("broker_reports_pdf")
    root = tmp_path / "drop"
    root.mkdir()
    shutil.copy(pdfs / "report_06.pdf", root / "report_06.pdf")
    texts = news_paragraphs(3)
    (root / "note.txt").write_text(texts[0], encoding="utf-8")
    docx = make_docx(
        [("Heading1", "一、宏观环境"), ("", texts[1]), ("Heading2", "1.1 细分"), ("", texts[2])],
        title="上传的研究笔记",
        table=[["指标", "2024", "2025"], ["GDP 增速", "5.0%", "5.2%"]],
    )
    (root / "memo.docx").write_bytes(docx)
    return root


def _bad_files(root: Path) -> dict[str, str]:
    """name → a phrase its quarantine reason must hold."""
    good_pdf = (root / "report_06.pdf").read_bytes()
    (root / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(3000))
    (root / "truncated.pdf").write_bytes(good_pdf[:2000])
    (root / "locked.pdf").write_bytes(encrypted_pdf(root / "report_06.pdf"))
    (root / "empty.pdf").write_bytes(b"")
    (root / "scan.pdf").write_bytes(imageless_blank_pdf())
    (root / "picture.pdf").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
    (root / "bomb.docx").write_bytes(zip_bomb())
    (root / "notazip.docx").write_bytes(b"<html><body>hello</body></html>")
    (root / "nobody.html").write_text("<html><head><title>x</title></head></html>", encoding="utf-8")
    return {
        "corrupt.pdf": "corrupt PDF",
        "truncated.pdf": "corrupt PDF",
        "locked.pdf": "encrypted PDF",
        "empty.pdf": "empty file",
        "scan.pdf": "without a text layer",
        "picture.pdf": "PNG image",
        "bomb.docx": "zip bomb",
        "notazip.docx": "not a .docx",
        "nobody.html": "",
    }


def test_bad_files_are_quarantined_with_their_reason_and_the_batch_goes_on(tmp_path, folder):
    expected = _bad_files(folder)
    ws = Workspace(make_settings(tmp_path / "home"))
    try:
        report = Ingestor(ws.store, ws.index, ws.settings).run([folder])
        assert report.added == 3 and report.quarantined == len(expected), report.to_dict()
        reasons = {Path(label).name: reason for label, reason in report.errors}
        for name, phrase in expected.items():
            assert name in reasons, name
            assert reasons[name] and phrase in reasons[name], (name, reasons[name])
        kept = {Path(q["input"]).name: q for q in ws.store.quarantined()}
        assert set(kept) == set(expected)
        assert kept["locked.pdf"]["size"] == (folder / "locked.pdf").stat().st_size  # all the bytes are kept
        assert check_integrity(ws.store, ws.index) == []
    finally:
        ws.close()


def test_too_large_files_are_quarantined(tmp_path, folder):
    ws = Workspace(make_settings(tmp_path / "home", max_file_bytes=200_000))
    try:
        report = Ingestor(ws.store, ws.index, ws.settings).run([folder])
        assert report.added == 2 and report.quarantined == 1
        (label, reason), *_ = report.errors
        assert label.endswith("report_06.pdf") and "file too large" in reason
    finally:
        ws.close()


def test_docx_headings_tables_and_title(folder):
    content = read_docx((folder / "memo.docx").read_bytes(), 10_000_000)
    assert content.title == "上传的研究笔记"
    kinds = [(p.kind, p.level) for p in content.paragraphs]
    assert kinds[:4] == [("heading", 1), ("text", 0), ("heading", 2), ("text", 0)]
    assert content.paragraphs[-1].text == "GDP 增速 | 5.0% | 5.2%"
    doc = docx_document(folder / "memo.docx", (folder / "memo.docx").read_bytes(), 10_000_000)
    assert doc.title == "上传的研究笔记" and doc.paragraphs[0].text == "一、宏观环境" and doc.lang == "zh"
    assert "author:assay tests" in doc.tags
    with pytest.raises(RecordError, match="zip bomb"):
        read_docx(zip_bomb(20_000_000), 10_000_000)


def test_a_second_run_skips_finished_files(tmp_path, folder):
    ws = Workspace(make_settings(tmp_path / "home"))
    seen: list[str] = []
    try:
        first = Ingestor(ws.store, ws.index, ws.settings).run([folder])
        assert first.added == 3
        again = Ingestor(ws.store, ws.index, ws.settings, on_item=lambda p: seen.append(p.label)).run([folder])
        assert (again.added, again.unchanged, seen) == (0, 3, [])  # nothing was even parsed
        os.utime(folder / "report_06.pdf")  # touched, same bytes: still skipped, after hashing
        again = Ingestor(ws.store, ws.index, ws.settings, on_item=lambda p: seen.append(p.label)).run([folder])
        assert (again.unchanged, seen) == (3, [])
        (folder / "note.txt").write_text(news_paragraphs(4)[3], encoding="utf-8")
        again = Ingestor(ws.store, ws.index, ws.settings, on_item=lambda p: seen.append(p.label)).run([folder])
        assert (again.added + again.updated, again.unchanged) == (1, 2)
        assert [Path(x).name for x in seen] == ["note.txt"]
        assert check_integrity(ws.store, ws.index) == []
    finally:
        ws.close()


def test_uploads_accept_pdf_and_docx():
    from assay.interfaces.uploads import safe_name

    assert safe_name("研报 2024.pdf") == "研报 2024.pdf"
    assert safe_name("memo.docx") == "memo.docx"
