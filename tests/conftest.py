"""Shared fixtures: the real corpora in ../shared/data, and fresh data directories."""

from __future__ import annotations

import gzip
import itertools
import json
import os
from pathlib import Path

import pytest

from assay.ingest.pipeline import Ingestor
from assay.settings import Settings
from assay.workspace import Workspace

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ASSAY_SHARED_DATA", REPO.parent / "shared" / "data"))
DEMO = REPO / "assay" / "demo" / "corpus.jsonl.gz"


def data_file(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"real data not available: {path} (set ASSAY_SHARED_DATA to the shared/data folder)")
    return path


def read_records(name: str, limit: int | None = None) -> list[dict]:
    with gzip.open(data_file(name), "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in itertools.islice(f, limit)]


def make_settings(home: Path, **kw) -> Settings:
    kw.setdefault("workers", 1)
    return Settings(home=home, **kw)


def ingest(ws: Workspace, *paths: Path):
    return Ingestor(ws.store, ws.index, ws.settings).run(list(paths))


@pytest.fixture
def workspace(tmp_path):
    ws = Workspace(make_settings(tmp_path / "home"))
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def demo_ws(tmp_path_factory):
    """A workspace with the bundled demo corpus ingested (shared, read-only for tests)."""
    ws = Workspace(make_settings(tmp_path_factory.mktemp("demo")))
    report = ingest(ws, DEMO)
    assert report.added > 400
    yield ws
    ws.close()


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server of the tests' own (tests/pg.py), for the whole session; skipped where none can run."""
    from pg import start_server

    server = start_server()
    yield server
    server.stop()
