"""``assay check``: a real store passes; a deliberately broken one (a document cut short, an index that lost
a document and holds a stranger, a ledger row naming a missing document) fails with exit status 1, says
what is wrong, and ``--repair`` fixes what it can."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import data_file

from assay.model import Document, Paragraph
from assay.search.index import FullTextIndex, index_fields
from assay.store.sqlite import SqliteStore

PDFS = ("report_05.pdf", "report_14.pdf", "report_23.pdf")


def assay(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "ASSAY_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "assay", *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A data directory with three real broker PDFs ingested from a folder (so the ledger has rows)."""
    root = tmp_path_factory.mktemp("check")
    folder = root / "pdfs"
    folder.mkdir()
    for name in PDFS:
        shutil.copy(data_file("broker_reports_pdf") / name, folder / name)
    done = assay("ingest", "--json", str(folder), home=root / "home")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == len(PDFS)
    return root / "home"


def _broken(home, tmp_path):
    """A copy of ``home`` with one problem of each kind."""
    copy = tmp_path / "broken"
    shutil.copytree(home, copy)
    store = SqliteStore(copy / "assay.db")
    index = FullTextIndex(copy / "index")
    try:
        ids = sorted(store.all_ids())
        # a document cut short: its last paragraph gone, its count and hash unchanged
        data = store.db.execute("SELECT paragraphs FROM documents WHERE id = ?", (ids[0],)).fetchone()[0]
        store.db.execute(
            "UPDATE documents SET paragraphs = ? WHERE id = ?", (json.dumps(json.loads(data)[:-1]), ids[0])
        )
        # the index loses one document and holds one the store never had (at the same change position)
        stranger = Document("not stored", [Paragraph(1, "nowhere")], source="x").finalize()
        index.delete([ids[1]])
        index.add([index_fields(stranger)], replace=False)
        index.commit(index.seq)
        # the ledger says a file is done whose document is not stored
        store.db.execute(
            "INSERT INTO files (path, size, mtime_ns, sha256, status, doc_id, updated_at)"
            " VALUES ('/gone/report.pdf', 1, 1, '', 'done', 'feedfeedfeedfeed', '2025-01-01')"
        )
    finally:
        index.close()
        store.close()
    return copy, ids, stranger.id


def test_a_real_store_passes(home):
    text = assay("check", home=home)
    assert text.returncode == 0, text.stdout + text.stderr
    assert "ok: no problems found" in text.stdout
    assert f"{len(PDFS)} documents" in text.stdout
    report = json.loads(assay("check", "--json", home=home).stdout)
    assert report["ok"] is True and report["documents"] == report["indexed"] == len(PDFS)
    assert report["paragraphs"] > 100 and report["counts"] == {"documents": 0, "index": 0, "files": 0}


def test_a_broken_store_fails_and_repair_fixes_index_and_ledger(home, tmp_path):
    broken, ids, stranger = _broken(home, tmp_path)
    text = assay("check", home=broken)
    assert text.returncode == 1
    out = text.stdout
    assert f"document {ids[0]}: " in out and "paragraphs stored" in out
    assert "1 stored documents missing from the index" in out and ids[1] in out
    assert "1 indexed documents not in the store" in out and stranger in out
    assert "/gone/report.pdf marked done" in out
    report = json.loads(assay("check", "--json", home=broken).stdout)
    assert report["ok"] is False and report["counts"]["documents"] == 1 and report["counts"]["files"] == 1
    assert report["counts"]["index"] >= 2

    fixed = assay("check", "--repair", "--json", home=broken)
    assert fixed.returncode == 1  # the damaged document stays: its source must be ingested again
    after = json.loads(fixed.stdout)
    assert after["repaired"]["rebuilt"] == len(PDFS) and after["repaired"]["files_forgotten"] == 1
    assert after["counts"] == {"documents": 1, "index": 0, "files": 0}
    assert after["before"]["counts"]["index"] >= 2 and after["indexed"] == len(PDFS)
    text = assay("check", home=broken).stdout
    assert "full-text index: ok" in text and "folder ledger: ok" in text and "ingest their sources again" in text


def test_repair_of_an_index_only_problem_exits_0(home, tmp_path):
    copy = tmp_path / "lagging"
    shutil.copytree(home, copy)
    store = SqliteStore(copy / "assay.db")
    gone = sorted(store.all_ids())[2]
    store.close()
    index = FullTextIndex(copy / "index")
    try:
        index.delete([gone])
        index.commit(index.seq)
    finally:
        index.close()
    assert assay("check", home=copy).returncode == 1
    fixed = assay("check", "--repair", home=copy)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "before repair" in fixed.stdout and "rebuilt the index (3 documents)" in fixed.stdout
    assert "ok: no problems found" in fixed.stdout
